/**
 * What every bench reports, so `run-all.ts` composes them without knowing their shapes: the
 * JSON it writes to `bench/results/<name>.json`, and a Markdown table of that JSON for the
 * summary in docs/performance.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));

export interface BenchResult<J extends object = object> {
  /** `generator`, `broadcaster`, …: the `bench:<name>` script and `bench/results/<name>.json`. */
  name: string;
  json: J;
  /** The Markdown summary of `json` (without a heading). */
  table(): string;
}

/** A bench as `run-all.ts` sees it: how to run it, and how to read back what it wrote. */
export interface Bench<J extends object = object> {
  name: string;
  /** Heading of its part of the summary. */
  title: string;
  /** Command-line flags for the default (short) run or the `--full` one. */
  flags(full: boolean): string[];
  /** Its result, from the JSON a run wrote (possibly an older run: read defensively). */
  fromJson(json: J): BenchResult<J>;
}

/** Writes `result.json` to bench/results/<name>.json; returns the path. */
export function writeResult(result: BenchResult): string {
  mkdirSync(RESULTS, { recursive: true });
  const path = join(RESULTS, `${result.name}.json`);
  writeFileSync(path, `${JSON.stringify(result.json, null, 2)}\n`);
  return path;
}
