/**
 * Rehearses a service's Dockerfile without Docker (for a machine with no engine): every stage
 * gets its own directory standing in for `/app`, `COPY` copies from the build context (honouring
 * .dockerignore) or from an earlier stage, `RUN` runs with `sh -c` in the stage's WORKDIR, `ENV`
 * applies. Then the runtime stage's `CMD` is started with its `ENV` and the HEALTHCHECK command is
 * run against it. What it cannot do, it says: `apt-get` lines are skipped (the host must already
 * have the toolchain), and so is any `RUN` of the runtime stage (it only prepares `/data`, which
 * the rehearsal replaces with a temporary directory).
 *
 *   npx tsx e2e/deploy/rehearse-dockerfile.ts metric-generator [--keep]
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copies, dockerignore, parseDockerfile } from './parse.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const service = process.argv[2];
if (!service || !existsSync(join(ROOT, service, 'Dockerfile'))) {
  console.error(
    'usage: tsx e2e/deploy/rehearse-dockerfile.ts <metric-generator|metric-broadcaster|frontend>',
  );
  process.exit(2);
}
const keep = process.argv.includes('--keep');
const dockerfile = parseDockerfile(readFileSync(join(ROOT, service, 'Dockerfile'), 'utf8'));
const ignored = dockerignore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), `rehearse-${service}-`));
const log = (text: string) => console.log(`[rehearse ${service}] ${text}`);

/** `/app/...` inside a stage → its directory on this machine. */
const hostPath = (stageDir: string, containerPath: string) => {
  if (!containerPath.startsWith('/app')) throw new Error(`path outside /app: ${containerPath}`);
  return join(stageDir, containerPath.slice('/app'.length));
};

const stageDirs = new Map<string, string>();
let runtimeEnv: Record<string, string> = {};
let runtimeDir = '';
let runtimeWorkdir = '/app';
const started = Date.now();

dockerfile.stages.forEach((stage, index) => {
  const name = stage.name ?? `stage-${index}`;
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  stageDirs.set(name, dir);
  const isRuntime = index === dockerfile.stages.length - 1;
  let workdir = '/app';
  const env: Record<string, string> = {};
  const stageCopies = copies(stage);
  log(`stage ${name} (${stage.image})`);

  for (const instruction of stage.instructions) {
    const { keyword, args, line } = instruction;
    if (keyword === 'WORKDIR') {
      workdir = posix.resolve(workdir, args);
      mkdirSync(hostPath(dir, workdir), { recursive: true });
    } else if (keyword === 'ENV') {
      for (const match of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) {
        env[match[1]!] = match[2]!.replace(/^"|"$/g, '');
      }
    } else if (keyword === 'COPY') {
      const copy = stageCopies.find((c) => c.line === line)!;
      const destination = hostPath(dir, posix.resolve(workdir, copy.destination));
      for (const source of copy.sources) {
        const from = copy.from ? hostPath(stageDirs.get(copy.from)!, source) : join(ROOT, source);
        // A directory's contents go into the destination; a file goes into it when it ends in /.
        const isDir = statSync(from).isDirectory();
        const into =
          !isDir && copy.destination.endsWith('/')
            ? join(destination, posix.basename(source))
            : destination;
        mkdirSync(isDir ? into : join(into, '..'), { recursive: true });
        cpSync(from, into, {
          recursive: true,
          verbatimSymlinks: true,
          filter: (path) => copy.from !== undefined || !ignored(relative(ROOT, path) || '.'),
        });
      }
    } else if (keyword === 'RUN') {
      if (/apt-get/.test(args)) {
        log(`  skipped (needs root in a container): RUN ${args.slice(0, 70)}…`);
        continue;
      }
      if (isRuntime) {
        log(`  skipped (runtime filesystem prep): RUN ${args}`);
        continue;
      }
      log(`  RUN ${args}`);
      const run = spawnSync('sh', ['-c', args], {
        cwd: hostPath(dir, workdir),
        stdio: 'inherit',
        env: { ...process.env, ...env },
      });
      if (run.status !== 0) throw new Error(`RUN failed (exit ${run.status}): ${args}`);
    }
  }
  if (isRuntime) {
    runtimeEnv = env;
    runtimeDir = dir;
    runtimeWorkdir = workdir;
  }
});

const runtime = dockerfile.stages.at(-1)!;
const last = (keyword: string) =>
  runtime.instructions.filter((i) => i.keyword === keyword).at(-1)?.args;
const cmd = JSON.parse(last('CMD')!) as string[];
const healthcheck = /CMD\s+(\[.*\])$/.exec(last('HEALTHCHECK')!)![1]!;
const dataDir = join(work, 'data');
mkdirSync(dataDir);
const env = {
  PATH: process.env.PATH,
  ...runtimeEnv,
  ...(runtimeEnv.DB_PATH ? { DB_PATH: join(dataDir, 'metrics.db') } : {}),
  // A generator for the broadcaster is not part of this rehearsal: health may say "down".
};
log(`runtime: ${cmd.join(' ')} in ${runtimeWorkdir} (${JSON.stringify(env)})`);
const child = spawn(cmd[0] === 'node' ? process.execPath : cmd[0]!, cmd.slice(1), {
  cwd: hostPath(runtimeDir, runtimeWorkdir),
  env,
  stdio: ['ignore', 'pipe', 'pipe'],
});
let output = '';
child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));

const deadline = Date.now() + 20_000;
let healthy = false;
while (Date.now() < deadline && child.exitCode === null) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  if (!output.includes('"msg":"listening"')) continue;
  const [bin, ...args] = JSON.parse(healthcheck) as string[];
  const probe = spawnSync(bin === 'node' ? process.execPath : bin!, args, {
    env,
    encoding: 'utf8',
  });
  if (probe.status === 0) {
    healthy = true;
    break;
  }
}
child.kill('SIGTERM');
const exit = await new Promise<number | null>((resolve) =>
  child.on('exit', (code) => resolve(code)),
);
console.log(output.trim().split('\n').slice(0, 8).join('\n'));
log(
  `HEALTHCHECK ${healthy ? 'passed' : 'FAILED'}; SIGTERM → exit ${exit}; ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
if (!keep) rmSync(work, { recursive: true, force: true });
else log(`kept ${work}`);
process.exit(healthy && exit === 0 ? 0 : 1);
