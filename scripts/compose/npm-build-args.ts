/**
 * The machine's own npm settings as the Dockerfiles' mirror build arguments (scripts/npm-env.sh,
 * docs/containers.md): the journey builds through the same mechanism a user behind a registry
 * mirror or a TLS-intercepting proxy uses, not through a base image that carries the settings.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

/**
 * A line added to the NPMRC the journey passes: the journey then searches every image it built
 * for it (history, config, files), proving that the build argument stayed in the build stages.
 */
export const NPMRC_MARKER =
  '# metrics-pipeline compose journey: this line must never reach an image';

/** The PEM blocks of `pem`, normalized (one trailing newline each). */
export function pemBlocks(pem: string): string[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map(
    (m) => `${m[0].replace(/\r/g, '').trim()}\n`,
  );
}

/** A certificate's identity: its base64 body without line breaks (the same DER either way). */
const body = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');

/** The certificates of `bundle` that Node does not already trust (its built-in roots). */
export function extraCertificates(bundle: string, nodeRoots: readonly string[] = rootCertificates) {
  const known = new Set(nodeRoots.flatMap(pemBlocks).map(body));
  return pemBlocks(bundle).filter((cert) => !known.has(body(cert)));
}

function npmConfig(key: string): string | undefined {
  const r = spawnSync('npm', ['config', 'get', key], { encoding: 'utf8' });
  const value = r.status === 0 ? r.stdout.trim() : '';
  return value && value !== 'undefined' && value !== 'null' ? value : undefined;
}

export interface NpmBuildArgs {
  NPM_REGISTRY?: string;
  NPMRC: string;
  NPM_CA?: string;
  NPM_NODEDIR?: string;
}

/**
 * NPM_REGISTRY: npm's registry; NPMRC: the user's .npmrc (plus NPMRC_MARKER); NPM_CA: the CAs
 * of npm's `cafile` and NODE_EXTRA_CA_CERTS beyond Node's own; NPM_NODEDIR: npm's `nodedir`,
 * else `fallbackNodedir` (where the stand-in keeps the headers).
 */
export function machineNpmBuildArgs(fallbackNodedir: string): NpmBuildArgs {
  const userconfig = npmConfig('userconfig');
  const npmrc = userconfig && existsSync(userconfig) ? readFileSync(userconfig, 'utf8') : '';
  const caFiles = [npmConfig('cafile'), process.env.NODE_EXTRA_CA_CERTS].filter(
    (f): f is string => !!f && existsSync(f),
  );
  const extra = [...new Set(caFiles.flatMap((f) => extraCertificates(readFileSync(f, 'utf8'))))];
  return {
    NPM_REGISTRY: npmConfig('registry'),
    NPMRC: `${npmrc.trimEnd()}\n${NPMRC_MARKER}\n`,
    NPM_CA: extra.length > 0 ? extra.join('') : undefined,
    NPM_NODEDIR: npmConfig('nodedir') ?? fallbackNodedir,
  };
}

/** `--build-arg NAME=value` pairs for `docker-compose build`. */
export function buildArgFlags(args: NpmBuildArgs): string[] {
  return Object.entries(args)
    .filter(([, value]) => value !== undefined && value !== '')
    .flatMap(([name, value]) => ['--build-arg', `${name}=${value as string}`]);
}
