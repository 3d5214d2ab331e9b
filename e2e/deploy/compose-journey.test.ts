/**
 * The compose journey's pure parts and its mirror script, without a Docker engine: how the
 * machine's npm settings become build arguments, how its apt sources become the stand-in's,
 * and that scripts/npm-env.sh hands the settings to npm and leaves no file behind.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  buildArgFlags,
  extraCertificates,
  NPMRC_MARKER,
  pemBlocks,
} from '../../scripts/compose/npm-build-args.ts';
import { skipReason } from '../../scripts/compose/journey.ts';
import { debianMirror, debianSources } from '../../scripts/compose/standin-images.ts';

const NPM_ENV = fileURLToPath(new URL('../../scripts/npm-env.sh', import.meta.url));

/** A syntactically valid certificate block that Node does not ship. */
const PROXY_CA = `-----BEGIN CERTIFICATE-----\nMIIBproxyCAnotInNode\n-----END CERTIFICATE-----\n`;

describe('npm build arguments', () => {
  it('passes on only the CAs that Node does not already trust, however the PEM is wrapped', () => {
    const known = rootCertificates[0]!;
    const rewrapped = known.replace(/\n/g, '\r\n').replace(/([A-Za-z0-9+/=]{32})/, '$1\n');
    const bundle = `# a comment\n${rewrapped}\n${PROXY_CA}`;
    expect(extraCertificates(bundle)).toEqual([PROXY_CA]);
    expect(extraCertificates(known)).toEqual([]);
    expect(pemBlocks(`${PROXY_CA}${PROXY_CA}`)).toHaveLength(2);
  });

  it('turns the settings into --build-arg pairs, leaving out the unset ones', () => {
    expect(
      buildArgFlags({
        NPM_REGISTRY: 'https://mirror/',
        NPMRC: `a=1\n${NPMRC_MARKER}\n`,
        NPM_CA: undefined,
      }),
    ).toEqual([
      '--build-arg',
      'NPM_REGISTRY=https://mirror/',
      '--build-arg',
      `NPMRC=a=1\n${NPMRC_MARKER}\n`,
    ]);
  });
});

describe('stand-in apt sources', () => {
  const deb822 = [
    'Types: deb',
    'URIs: http://deb.debian.org/debian',
    'Suites: bookworm bookworm-updates',
    'Components: main',
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
    '',
    'Types: deb',
    'URIs: http://deb.debian.org/debian-security',
    'Suites: bookworm-security',
    'Components: main',
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
  ].join('\n');
  const nodesource =
    'Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\nComponents: main';

  it("keeps the machine's Debian stanzas (updates, security) and drops third-party ones", () => {
    const stanzas = debianSources([
      { name: 'debian.sources', text: deb822 },
      { name: 'nodesource.sources', text: nodesource },
    ]);
    expect(stanzas).toHaveLength(2);
    expect(stanzas[1]).toContain('bookworm-security');
    expect(debianMirror(stanzas)).toBe('http://deb.debian.org/debian');
  });

  it('reads one-line sources.list entries too, and falls back to deb.debian.org', () => {
    const stanzas = debianSources([
      {
        name: 'sources.list',
        text: 'deb http://mirror.example/debian bookworm main contrib\n# deb-src x',
      },
    ]);
    expect(stanzas).toEqual([
      'Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\nComponents: main contrib\n' +
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
    ]);
    expect(debianMirror(stanzas)).toBe('http://mirror.example/debian');
    expect(debianMirror([])).toBe('http://deb.debian.org/debian');
  });
});

describe('scripts/npm-env.sh', () => {
  const run = (env: Record<string, string>, script: string) =>
    spawnSync('sh', [NPM_ENV, 'sh', '-c', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ...env },
    });

  it('hands registry, .npmrc, CA and nodedir to the command, then removes the files', () => {
    const r = run(
      {
        NPM_REGISTRY: 'https://mirror.example/',
        NPMRC: 'always-auth=true',
        NPM_CA: PROXY_CA,
        NPM_NODEDIR: '/usr/local',
      },
      'echo "$npm_config_registry|$npm_config_nodedir|$npm_config_userconfig|$NODE_EXTRA_CA_CERTS"; cat "$npm_config_userconfig" "$NODE_EXTRA_CA_CERTS"',
    );
    expect(r.status).toBe(0);
    const [vars, ...files] = r.stdout.split('\n');
    const [registry, nodedir, userconfig, ca] = vars!.split('|');
    expect([registry, nodedir]).toEqual(['https://mirror.example/', '/usr/local']);
    expect(files.join('\n')).toBe(`always-auth=true\n${PROXY_CA}\n`);
    expect(existsSync(userconfig!)).toBe(false);
    expect(existsSync(ca!)).toBe(false);
  });

  it("sets nothing when no argument is given, and keeps the command's exit status", () => {
    const r = run(
      {},
      'echo "[$npm_config_registry$npm_config_userconfig$NODE_EXTRA_CA_CERTS]"; exit 3',
    );
    expect(r.stdout.trim()).toBe('[]');
    expect(r.status).toBe(3);
  });
});

describe('the journey', () => {
  it('says why it is skipped when asked to be', () => {
    expect(skipReason({ COMPOSE_JOURNEY: '0' })).toBe('COMPOSE_JOURNEY=0');
  });
});
