/**
 * What the compose journey's steps read from the running project: a container's inspection,
 * whether an image's saved form holds a string, the generator's stored samples, and the
 * journey's own `assert` (a failed check is a thrown error naming what was found).
 */
import { spawn } from 'node:child_process';
import type { ComposeProject } from './compose-project.ts';

/** Every runtime image's saved form (layers, config, history) searched for `needles`. */
export async function imageContains(env: NodeJS.ProcessEnv, image: string, needles: string[]) {
  const wanted = needles.map((n) => Buffer.from(n));
  const overlap = Math.max(...wanted.map((n) => n.length));
  const found = new Set<string>();
  const child = spawn('docker', ['save', image], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let tail = Buffer.alloc(0);
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    const window = Buffer.concat([tail, chunk]);
    wanted.forEach((needle, i) => {
      if (window.includes(needle)) found.add(needles[i]!);
    });
    tail = window.subarray(Math.max(0, window.length - overlap));
  }
  const code = await new Promise<number | null>((r) => child.on('close', r));
  if (code !== 0) throw new Error(`docker save ${image}: exit ${code}`);
  return [...found];
}

export async function inspect(project: ComposeProject, id: string) {
  const [info] = JSON.parse(await project.docker(['inspect', id])) as Array<{
    Config: { User: string; Image: string };
    Image: string;
    HostConfig: {
      ReadonlyRootfs: boolean;
      SecurityOpt: string[] | null;
      CapDrop: string[] | null;
      CapAdd: string[] | null;
      PortBindings: Record<string, Array<{ HostIp: string; HostPort: string }>> | null;
    };
  }>;
  return info!;
}

/** Oldest and newest stored sample of server-1, asked of the generator itself. */
export async function storedSamples(project: ComposeProject) {
  const res = await project.generatorGet('/v1/servers/server-1/history?from=0&limit=10000');
  if (res.status !== 200) throw new Error(`history: HTTP ${res.status} ${res.body}`);
  const { samples } = JSON.parse(res.body) as { samples: Array<{ timestamp: string }> };
  return {
    count: samples.length,
    oldest: samples[0]?.timestamp,
    newest: samples.at(-1)?.timestamp,
  };
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
