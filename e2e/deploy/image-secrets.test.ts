/**
 * No secrets in the images, checked without a Docker engine: what `docker build` would send
 * (every file of the context that .dockerignore lets through, as it is on disk now, tracked or
 * not) holds no credential, no Dockerfile bakes one in through ARG/ENV, and each runtime stage
 * takes files only from its own build stages. Non-root users and the image layout are checked
 * by compose-contract.test.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { copies, dockerignore, parseDockerfile } from './parse.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const isIgnored = dockerignore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));
const DOCKERFILES = ['metric-generator', 'metric-broadcaster', 'frontend'].map(
  (w) => `${w}/Dockerfile`,
);

/** What a leaked credential looks like (the common kinds; a test can only know some). */
const SECRET_PATTERNS: Array<[string, RegExp]> = [
  ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['npm token', /\bnpm_[A-Za-z0-9]{36}\b/],
  ['npm auth in .npmrc', /_auth(Token)?\s*=/],
  ['GitHub token', /\bgh[pousr]_[A-Za-z0-9]{36,}\b/],
  ['AWS access key', /\bAKIA[0-9A-Z]{16}\b/],
  ['Slack token', /\bxox[baprs]-[A-Za-z0-9-]{10,}/],
  ['password in a URL', /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@'"`]+:[^/\s@'"`$]{3,}@/i],
];

/** Files of the build context, as Docker would send them (ignored directories not entered). */
function contextFiles(dir = ROOT): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const rel = relative(ROOT, path);
    if (isIgnored(rel)) continue;
    if (entry.isDirectory()) out.push(...contextFiles(path));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

describe('container images', () => {
  it('keep local secrets and data out of the build context', () => {
    for (const path of ['.env', 'data/metrics.db', 'metrics.db-wal', '.git/config']) {
      expect(isIgnored(path), `${path} is ignored`).toBe(true);
    }
  });

  it('get no credential from any file of the build context', () => {
    const files = contextFiles();
    expect(files.length).toBeGreaterThan(20);
    const found: string[] = [];
    for (const file of files) {
      if (/(^|\/)(\.env|\.npmrc|id_rsa|id_ed25519)$|\.(pem|key|p12|pfx)$/.test(file)) {
        found.push(`${file}: a credential file`);
        continue;
      }
      if (statSync(join(ROOT, file)).size > 2_000_000) continue;
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const [what, pattern] of SECRET_PATTERNS) {
        if (pattern.test(text)) found.push(`${file}: ${what}`);
      }
    }
    expect(found).toEqual([]);
  });

  it.each(DOCKERFILES)(
    '%s bakes in no secret and its runtime copies only from its build stages',
    (path) => {
      const dockerfile = parseDockerfile(readFileSync(join(ROOT, path), 'utf8'));
      const names = new Set<string>();
      for (const stage of dockerfile.stages) {
        for (const { keyword, args } of stage.instructions) {
          if (keyword === 'ARG' || keyword === 'ENV') {
            expect(args, `${path}: ${keyword} ${args}`).not.toMatch(
              /\b\w*(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY|CREDENTIALS?)\w*\b/i,
            );
          }
          expect(`${keyword} ${args}`, path).not.toMatch(/--mount=type=secret|NPM_TOKEN|\.npmrc/);
        }
        if (stage.name) names.add(stage.name);
      }
      const runtime = dockerfile.stages.at(-1)!;
      for (const copy of copies(runtime)) {
        expect(
          copy.from,
          `${path} line ${copy.line}: runtime COPY from the build context`,
        ).toBeDefined();
        expect(names.has(copy.from!), `${path} line ${copy.line}: --from=${copy.from}`).toBe(true);
      }
    },
  );

  /** The mirror build arguments (scripts/npm-env.sh, docs/containers.md). */
  const MIRROR_ARGS = ['NPM_REGISTRY', 'NPMRC', 'NPM_CA', 'NPM_NODEDIR'];

  it.each(DOCKERFILES)(
    '%s takes the mirror build arguments in its npm stages only, each npm command through npm-env.sh',
    (path) => {
      const dockerfile = parseDockerfile(readFileSync(join(ROOT, path), 'utf8'));
      const runtime = dockerfile.stages.at(-1)!;
      expect(Object.keys(dockerfile.globalArgs).filter((a) => MIRROR_ARGS.includes(a))).toEqual([]);
      let npmStages = 0;
      for (const stage of dockerfile.stages) {
        const of = (keyword: string) =>
          stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
        const declared = of('ARG').map((a) => a.split('=')[0]!.trim());
        // A command of a RUN that calls npm to install or build: every one goes through npm-env.
        const npmCommands = of('RUN')
          .flatMap((run) => run.split(/&&|;/))
          .filter((cmd) => /\bnpm (ci|install|rebuild)\b/.test(cmd));
        for (const env of of('ENV')) {
          for (const arg of MIRROR_ARGS) expect(env, `${path}: ENV ${env}`).not.toContain(arg);
        }
        if (stage === runtime) {
          expect(
            declared.filter((a) => MIRROR_ARGS.includes(a)),
            `${path}: runtime ARG`,
          ).toEqual([]);
          expect(npmCommands, `${path}: runtime runs npm`).toEqual([]);
          continue;
        }
        if (npmCommands.length === 0) continue;
        npmStages++;
        expect(declared, `${path}: stage ${stage.name} declares`).toEqual(
          expect.arrayContaining(MIRROR_ARGS),
        );
        for (const cmd of npmCommands) {
          expect(cmd, `${path}: stage ${stage.name}`).toMatch(/^\s*sh \S*npm-env\.sh\s+npm /);
        }
      }
      expect(npmStages).toBeGreaterThan(0);
    },
  );
});
