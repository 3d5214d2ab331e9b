/**
 * Stand-ins for the official base images, built locally where no container registry is
 * reachable (none can be pulled here, so none is ever asked for):
 *   - Debian bookworm from `debootstrap`, from the machine's own Debian mirror;
 *   - Node: that Debian plus this machine's Node install (binary, npm, headers at the same
 *     paths, so `nodedir` settings carry over), a `node` user of uid 1000 and the official
 *     image's entrypoint (standin/node.Dockerfile);
 *   - nginx: Debian's nginx laid out like the official image, with its template rendering
 *     (standin/nginx.Dockerfile).
 * They get local names (`metrics-standin/…`), never the official ones, and reach the project's
 * Dockerfiles through their NODE_IMAGE argument and compose's `image:` (standin.override.yml).
 * The rootfs tarball and the images stay in the cache, so a repeat run rebuilds nothing.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  lstatSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Runner } from './run-command.ts';

const STANDIN_DIR = fileURLToPath(new URL('./standin/', import.meta.url));

export const DEBIAN_SUITE = 'bookworm';
export const DEBIAN_IMAGE = `metrics-standin/debian:${DEBIAN_SUITE}`;

export interface StandinOptions {
  run: Runner;
  /** Environment for the docker CLI (DOCKER_HOST of the private engine). */
  env: NodeJS.ProcessEnv;
  /** Keeps the debootstrapped rootfs tarball. */
  cacheDir: string;
  /** Scratch space for build contexts, removed by the caller. */
  workDir: string;
}

export interface Standins {
  node: string;
  nginx: string;
}

/** The machine's apt source stanzas (deb822) of Debian itself, for the stand-in's apt. */
export function debianSources(files: Array<{ name: string; text: string }>): string[] {
  const stanzas: string[] = [];
  for (const { name, text } of files) {
    if (name.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const uris = /^URIs:\s*(.+)$/m.exec(stanza)?.[1] ?? '';
        const suites = /^Suites:\s*(.+)$/m.exec(stanza)?.[1] ?? '';
        const enabled = !/^Enabled:\s*no/im.test(stanza);
        if (enabled && /\/debian(-security)?\/?(\s|$)/.test(uris) && /\bbookworm/.test(suites)) {
          stanzas.push(stanza.trim());
        }
      }
    } else {
      for (const line of text.split('\n')) {
        const m =
          /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian(?:-security)?\/?)\s+(bookworm\S*)\s+(.+)$/.exec(
            line.trim(),
          );
        if (!m) continue;
        stanzas.push(
          `Types: deb\nURIs: ${m[1]}\nSuites: ${m[2]}\nComponents: ${m[3]}\n` +
            'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
        );
      }
    }
  }
  return stanzas;
}

/** The main Debian archive among `stanzas` (debootstrap's mirror), or deb.debian.org. */
export function debianMirror(stanzas: string[]): string {
  for (const stanza of stanzas) {
    const suites = /^Suites:\s*(.+)$/m.exec(stanza)?.[1] ?? '';
    const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
    if (uri && /(^|\s)bookworm(\s|$)/.test(suites) && !uri.includes('-security')) return uri;
  }
  return 'http://deb.debian.org/debian';
}

function machineAptSources(): Array<{ name: string; text: string }> {
  const files: Array<{ name: string; text: string }> = [];
  if (existsSync('/etc/apt/sources.list')) {
    files.push({ name: 'sources.list', text: readFileSync('/etc/apt/sources.list', 'utf8') });
  }
  const dir = '/etc/apt/sources.list.d';
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    if (name.endsWith('.sources') || name.endsWith('.list')) {
      files.push({ name, text: readFileSync(join(dir, name), 'utf8') });
    }
  }
  return files;
}

async function imageExists(run: Runner, env: NodeJS.ProcessEnv, image: string) {
  const r = await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image], {
    env,
    echo: false,
    allowFailure: true,
  });
  return r.code === 0;
}

/** Debian bookworm minbase, debootstrapped once into a tarball in the cache, then imported. */
async function ensureDebian(options: StandinOptions): Promise<void> {
  const { run, env, cacheDir } = options;
  if (await imageExists(run, env, DEBIAN_IMAGE)) return;
  const tarball = join(cacheDir, `debian-${DEBIAN_SUITE}-minbase.tar`);
  if (!existsSync(tarball)) {
    const sources = debianSources(machineAptSources());
    const mirror = debianMirror(sources);
    const rootfs = join(cacheDir, `rootfs-${process.pid}`);
    rmSync(rootfs, { recursive: true, force: true });
    try {
      await run('debootstrap', ['--variant=minbase', DEBIAN_SUITE, rootfs, mirror], {
        timeoutMs: 900_000,
        echo: false,
      });
      // The machine's own Debian sources (updates and security included), as the official
      // image has them; no package lists or downloaded packages kept.
      if (sources.length > 0) {
        writeFileSync(
          join(rootfs, 'etc/apt/sources.list.d/debian.sources'),
          `${sources.join('\n\n')}\n`,
        );
        rmSync(join(rootfs, 'etc/apt/sources.list'), { force: true });
      }
      await run('chroot', [rootfs, 'apt-get', 'clean'], { echo: false });
      rmSync(join(rootfs, 'var/lib/apt/lists'), { recursive: true, force: true });
      mkdirSync(join(rootfs, 'var/lib/apt/lists/partial'), { recursive: true });
      await run('tar', ['--numeric-owner', '-C', rootfs, '-cf', `${tarball}.part`, '.']);
      renameSync(`${tarball}.part`, tarball);
    } finally {
      rmSync(rootfs, { recursive: true, force: true });
      rmSync(`${tarball}.part`, { force: true });
    }
  }
  await run('docker', ['import', '--change', 'CMD ["bash"]', tarball, DEBIAN_IMAGE], { env });
}

/** Copies a file tree, keeping symlinks as they are (npm's bin links are relative). */
function copyTree(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true, verbatimSymlinks: true });
}

/** This machine's Node install laid out under `root/` at the same absolute paths. */
function nodeContext(workDir: string): { dir: string; version: string } {
  const dir = join(workDir, 'node-standin');
  rmSync(dir, { recursive: true, force: true });
  const nodeBin = process.execPath;
  const prefix = dirname(dirname(nodeBin));
  const root = join(dir, 'root');
  const inRoot = (path: string) => join(root, relative('/', path));
  copyTree(nodeBin, inRoot(nodeBin));
  for (const tool of ['npm', 'npx']) {
    const link = join(prefix, 'bin', tool);
    if (existsSync(link) && lstatSync(link).isSymbolicLink()) {
      symlinkSync(readlinkSync(link), inRoot(link));
    }
  }
  copyTree(join(prefix, 'lib/node_modules/npm'), inRoot(join(prefix, 'lib/node_modules/npm')));
  copyTree(join(prefix, 'include/node'), inRoot(join(prefix, 'include/node')));
  cpSync(join(STANDIN_DIR, 'node-entrypoint.sh'), join(dir, 'node-entrypoint.sh'));
  cpSync(join(STANDIN_DIR, 'node.Dockerfile'), join(dir, 'Dockerfile'));
  return { dir, version: process.versions.node };
}

/** The prefix under which this machine's Node keeps its headers (npm's `nodedir`). */
export function nodePrefix(): string {
  return dirname(dirname(process.execPath));
}

/** What a stand-in is built from: its recipe files, the Debian image, this machine's Node. */
function standinKey(debianId: string): string {
  const hash = createHash('sha256').update(debianId).update(process.version);
  const npmPackage = join(nodePrefix(), 'lib/node_modules/npm/package.json');
  if (existsSync(npmPackage)) hash.update(readFileSync(npmPackage));
  for (const file of readdirSync(STANDIN_DIR, { recursive: true, encoding: 'utf8' }).sort()) {
    const path = join(STANDIN_DIR, file);
    if (statSync(path).isFile()) hash.update(file).update(readFileSync(path));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The key each stand-in was last built from, kept beside the engine's data root rather than in
 * a label: a label would change the image id, and with it every build layer above it, whenever
 * a comment of the recipe changed.
 */
function builtKeys(cacheDir: string): Record<string, { key: string; id: string }> {
  const file = join(cacheDir, 'standin-keys.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, { key: string; id: string }>;
  } catch {
    return {};
  }
}

async function imageId(run: Runner, env: NodeJS.ProcessEnv, image: string) {
  const r = await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image], {
    env,
    echo: false,
    allowFailure: true,
  });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

export async function buildStandins(options: StandinOptions): Promise<Standins> {
  const { run, env, workDir, cacheDir } = options;
  await ensureDebian(options);
  const buildEnv = { ...env, DOCKER_BUILDKIT: '0' };
  // Rebuilt only when their recipe, the Debian image or this machine's Node changed.
  const key = standinKey((await imageId(run, env, DEBIAN_IMAGE))!);
  const keys = builtKeys(cacheDir);
  const current = async (image: string) => {
    const id = await imageId(run, env, image);
    return id !== undefined && keys[image]?.key === key && keys[image]?.id === id;
  };
  const remember = async (image: string) => {
    keys[image] = { key, id: (await imageId(run, env, image))! };
    writeFileSync(join(cacheDir, 'standin-keys.json'), `${JSON.stringify(keys, null, 2)}\n`);
  };

  const node = `metrics-standin/node:${process.versions.node}-${DEBIAN_SUITE}`;
  if (!(await current(node))) {
    const context = nodeContext(workDir);
    await run(
      'docker',
      ['build', '--quiet', '--build-arg', `DEBIAN_IMAGE=${DEBIAN_IMAGE}`, '-t', node, context.dir],
      { env: buildEnv, timeoutMs: 600_000 },
    );
    rmSync(context.dir, { recursive: true, force: true });
    await remember(node);
  }

  const nginx = `metrics-standin/nginx:debian-${DEBIAN_SUITE}`;
  if (!(await current(nginx))) {
    await run(
      'docker',
      [
        'build',
        '--quiet',
        '--network=host',
        '--build-arg',
        `DEBIAN_IMAGE=${DEBIAN_IMAGE}`,
        '-f',
        join(STANDIN_DIR, 'nginx.Dockerfile'),
        '-t',
        nginx,
        STANDIN_DIR,
      ],
      { env: buildEnv, timeoutMs: 900_000 },
    );
    await remember(nginx);
  }
  return { node, nginx };
}
