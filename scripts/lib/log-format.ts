/**
 * One readable, prefixed line per log entry for `npm start`: the services write pino JSON lines,
 * nginx and tsx write plain text. Pure, so the formatting is unit-tested.
 *
 *   07:41:03.120 generator   INFO  listening port=3001
 *   07:41:05.002 nginx       127.0.0.1 - - [22/Nov/2026:07:41:05 +0000] "GET / HTTP/1.1" 200 …
 */

export const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LevelName = keyof typeof LEVELS;

const LEVEL_LABELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};

const ANSI = {
  reset: '\u001b[0m',
  dim: '\u001b[2m',
  red: '\u001b[31m',
  yellow: '\u001b[33m',
  colors: ['\u001b[36m', '\u001b[35m', '\u001b[32m', '\u001b[34m', '\u001b[33m'],
};

/** Fields pino adds to every line that the prefix already says or that only add noise here. */
const HIDDEN_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'v']);

export interface FormatOptions {
  /** Lines of pino entries below this level are dropped (plain-text lines are always kept). */
  minLevel: number;
  color: boolean;
  /** Width of the name column. */
  width: number;
  /** Index of the name's color. */
  colorIndex?: number;
}

/** The numeric pino level of a `LOG_LEVEL` value; undefined when it is not a pino level name. */
export function levelValue(name: string | undefined): number | undefined {
  if (name === undefined) return undefined;
  if (name === 'silent') return Infinity;
  return LEVELS[name as LevelName];
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

function clock(time: unknown, fallback: Date): string {
  const date = typeof time === 'number' ? new Date(time) : fallback;
  return date.toISOString().slice(11, 23);
}

/**
 * Formats one output line of the part `name`; returns undefined when the line is filtered out.
 * `now` stamps plain-text lines, which carry no time of their own.
 */
export function formatLogLine(
  name: string,
  line: string,
  options: FormatOptions,
  now: Date = new Date(),
): string | undefined {
  if (line.trim() === '') return undefined;
  const paint = (code: string, text: string) =>
    options.color ? `${code}${text}${ANSI.reset}` : text;
  const label = paint(
    ANSI.colors[(options.colorIndex ?? 0) % ANSI.colors.length]!,
    name.padEnd(options.width),
  );

  let entry: Record<string, unknown> | undefined;
  if (line.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(line);
      if (
        parsed &&
        typeof parsed === 'object' &&
        typeof (parsed as { level?: unknown }).level === 'number'
      ) {
        entry = parsed as Record<string, unknown>;
      }
    } catch {
      // not JSON after all: print it as text
    }
  }
  if (!entry) return `${paint(ANSI.dim, clock(undefined, now))} ${label} ${line}`;

  const level = entry.level as number;
  if (level < options.minLevel) return undefined;
  const levelText = LEVEL_LABELS[level] ?? String(level).padEnd(5);
  const levelPainted =
    level >= 50
      ? paint(ANSI.red, levelText)
      : level >= 40
        ? paint(ANSI.yellow, levelText)
        : levelText;

  const fields: string[] = [];
  let stack: string | undefined;
  for (const [key, value] of Object.entries(entry)) {
    if (HIDDEN_FIELDS.has(key)) continue;
    if (key === 'err' && value && typeof value === 'object') {
      const err = value as { message?: unknown; stack?: unknown };
      fields.push(`err=${formatValue(err.message ?? value)}`);
      if (typeof err.stack === 'string') stack = err.stack;
      continue;
    }
    fields.push(`${key}=${formatValue(value)}`);
  }
  const msg = typeof entry.msg === 'string' ? entry.msg : '';
  const text = [msg, ...fields].filter(Boolean).join(' ');
  const head = `${paint(ANSI.dim, clock(entry.time, now))} ${label} ${levelPainted} ${text}`;
  return stack ? `${head}\n${stack.replace(/^/gm, '    ')}` : head;
}
