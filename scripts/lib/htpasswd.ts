/**
 * An htpasswd file as the fallback ingress checks it: `user:hash` lines with apr1
 * (`openssl passwd -apr1`, `htpasswd -m`) or bcrypt (`htpasswd -B`, `$2a$`/`$2b$`/`$2y$`)
 * hashes, the two kinds the project supports in nginx as well. Any other kind (crypt, {SHA},
 * plain) is refused when the file is read, so a file that nginx would read differently never
 * half-works here. Verification goes through `apache-md5` and `bcryptjs`.
 */
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import apacheMd5 from 'apache-md5';
import bcrypt from 'bcryptjs';

// The package's typings declare an ES default export for its CommonJS `module.exports = fn`;
// at run time the default import is that function.
const md5 = apacheMd5 as unknown as (password: string, salt?: string) => string;

export type HashKind = 'apr1' | 'bcrypt';

export interface Htpasswd {
  readonly users: readonly string[];
  /** Whether `password` is the one of `user`; false for an unknown user. */
  verify(user: string, password: string): Promise<boolean>;
}

const KINDS: Array<[HashKind, RegExp]> = [
  ['apr1', /^\$apr1\$[./0-9A-Za-z]{1,8}\$[./0-9A-Za-z]{22}$/],
  ['bcrypt', /^\$2[aby]\$\d\d\$[./0-9A-Za-z]{53}$/],
];

/** Parses htpasswd text; throws naming the first line it cannot use. */
export function parseHtpasswd(text: string, source = 'htpasswd'): Htpasswd {
  const entries = new Map<string, { kind: HashKind; hash: string }>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    const kind = KINDS.find(([, pattern]) => pattern.test(hash))?.[0];
    if (colon <= 0 || !kind) {
      throw new Error(
        `${source}:${index + 1}: expected user:hash with an apr1 ($apr1$…) or bcrypt ($2y$…) hash`,
      );
    }
    entries.set(user, { kind, hash });
  });
  if (entries.size === 0) throw new Error(`${source}: no users in the file`);

  return {
    users: [...entries.keys()],
    async verify(user, password) {
      const entry = entries.get(user);
      if (!entry) return false;
      if (entry.kind === 'bcrypt') return bcrypt.compare(password, entry.hash);
      const computed = Buffer.from(md5(password, entry.hash));
      const expected = Buffer.from(entry.hash);
      return computed.length === expected.length && timingSafeEqual(computed, expected);
    },
  };
}

export function readHtpasswd(path: string): Htpasswd {
  return parseHtpasswd(readFileSync(path, 'utf8'), path);
}
