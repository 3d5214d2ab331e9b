/**
 * Small, strict readers for the deployment files the contract test checks: Dockerfiles,
 * .dockerignore, the nginx template and the README's configuration table. Each understands
 * exactly the subset this repository uses and throws on anything it cannot read, so a change in
 * shape fails the test instead of silently checking nothing.
 */

export interface DockerInstruction {
  keyword: string;
  args: string;
  line: number;
}

export interface DockerStage {
  image: string;
  name: string | undefined;
  instructions: DockerInstruction[];
}

export interface Dockerfile {
  /** `ARG`s before the first `FROM`, with their defaults. */
  globalArgs: Record<string, string>;
  stages: DockerStage[];
}

/** Splits a Dockerfile into stages of instructions (continuation lines joined, comments dropped). */
export function parseDockerfile(text: string): Dockerfile {
  const instructions: DockerInstruction[] = [];
  let pending = '';
  let startLine = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) return;
    if (pending && line.startsWith('#')) return;
    if (!pending) startLine = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const full = `${pending}${line}`.replace(/\s+/g, ' ').trim();
    pending = '';
    const match = /^([A-Za-z]+)\s+([\s\S]*)$/.exec(full);
    if (!match) throw new Error(`line ${startLine}: cannot read "${full}"`);
    instructions.push({
      keyword: match[1]!.toUpperCase(),
      args: match[2]!.trim(),
      line: startLine,
    });
  });

  const globalArgs: Record<string, string> = {};
  const stages: DockerStage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image, as, name] = instruction.args.split(/\s+/);
      if (as !== undefined && as.toUpperCase() !== 'AS') {
        throw new Error(`line ${instruction.line}: cannot read FROM ${instruction.args}`);
      }
      const resolved = image!.replace(/^\$\{?(\w+)\}?$/, (_, arg: string) => {
        const value = globalArgs[arg];
        if (value === undefined)
          throw new Error(`line ${instruction.line}: ARG ${arg} has no default`);
        return value;
      });
      stages.push({ image: resolved, name, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') {
        throw new Error(`line ${instruction.line}: ${instruction.keyword} before FROM`);
      }
      const [name, ...value] = instruction.args.split('=');
      // An ARG without a default cannot resolve a FROM: leave it out so that use throws.
      if (value.length > 0) globalArgs[name!] = value.join('=');
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

export interface CopyInstruction {
  from: string | undefined;
  sources: string[];
  destination: string;
  line: number;
}

/** The `COPY` instructions of a stage: `--from=<stage>` and the sources/destination. */
export function copies(stage: DockerStage): CopyInstruction[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY')
    .map((i) => {
      const words = i.args.split(/\s+/);
      let from: string | undefined;
      const paths: string[] = [];
      for (const word of words) {
        if (word.startsWith('--from=')) from = word.slice('--from='.length);
        else if (word.startsWith('--')) continue;
        else paths.push(word);
      }
      if (paths.length < 2)
        throw new Error(`line ${i.line}: COPY needs a source and a destination`);
      return { from, sources: paths.slice(0, -1), destination: paths.at(-1)!, line: i.line };
    });
}

/**
 * `.dockerignore` as a predicate over context-relative paths, with Docker's semantics for the
 * patterns used here: `*` within a segment, `**` across segments, `!` re-includes, the last
 * matching pattern wins, and a pattern that matches a directory excludes what is inside it.
 */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = (negate ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      const source = pattern
        .split('/')
        .map((segment) =>
          segment === '**'
            ? '(?:.*)'
            : segment
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]'),
        )
        .join('/')
        .replace(/\(\?:\.\*\)\//g, '(?:.*/)?');
      return { negate, regex: new RegExp(`^${source}$`) };
    });
  return (path: string) => {
    const clean = path.replace(/^\.\/|\/+$/g, '');
    const segments = clean.split('/');
    let excluded = false;
    for (const { negate, regex } of rules) {
      // The path itself or any of its parent directories.
      for (let n = 1; n <= segments.length; n++) {
        if (regex.test(segments.slice(0, n).join('/'))) {
          excluded = !negate;
          break;
        }
      }
    }
    return excluded;
  };
}

export interface NginxTemplate {
  upstreams: Map<string, string[]>;
  /** location → the upstream its `proxy_pass http://<name>` names (undefined: no proxy). */
  locations: Map<string, string | undefined>;
  variables: string[];
}

/** Upstreams, locations and the `${VAR}`s of the nginx template. */
export function parseNginxTemplate(text: string): NginxTemplate {
  const body = text.replace(/#.*$/gm, '');
  const upstreams = new Map<string, string[]>();
  // Blocks end at a `}` on its own line: `${VAR}` inside them holds braces too.
  for (const match of body.matchAll(/upstream\s+(\S+)\s*\{([\s\S]*?)\n\s*\}/g)) {
    const servers = [...match[2]!.matchAll(/^\s*server\s+([^\s;]+)/gm)].map((m) => m[1]!);
    upstreams.set(match[1]!, servers);
  }
  const locations = new Map<string, string | undefined>();
  for (const match of body.matchAll(/location\s+((?:=\s*)?\S+)\s*\{([\s\S]*?)\n\s*\}/g)) {
    const pass = /proxy_pass\s+http:\/\/([^\s;/]+)/.exec(match[2]!);
    locations.set(match[1]!.replace(/\s+/g, ' '), pass?.[1]);
  }
  const variables = [...new Set([...body.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!))].sort();
  return { upstreams, locations, variables };
}

/** `service → variables` documented in README's `## Configuration` table. */
export function readmeConfigTable(readme: string): Map<string, Set<string>> {
  const section = /^## Configuration\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
  if (!section) throw new Error('README has no "## Configuration" section');
  const table = new Map<string, Set<string>>();
  for (const match of section.matchAll(
    /^\|\s*([a-z-]+)\s*\|\s*(?:host port\s+)?`([A-Z][A-Z0-9_]*)`/gm,
  )) {
    const service = match[1]!;
    if (!table.has(service)) table.set(service, new Set());
    table.get(service)!.add(match[2]!);
  }
  if (table.size === 0) throw new Error("README's configuration table has no rows");
  return table;
}

/** `${NAME:-default}` / `${NAME-default}` / `${NAME}` in a compose value. */
export function interpolation(
  value: string,
): { name: string; fallback: string | undefined } | undefined {
  const match = /^\$\{(\w+)(?::?-([^}]*))?\}$/.exec(value);
  return match ? { name: match[1]!, fallback: match[2] } : undefined;
}
