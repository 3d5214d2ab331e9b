/**
 * Markdown helpers for the benches' summary tables. A summary reads a bench's JSON defensively
 * (every field optional): a results file may come from an older run of a bench whose shape
 * has since changed.
 */
export type Json = Record<string, unknown>;
export const at = (o: unknown, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Json)[k] : undefined), o);
export const num = (v: unknown, digits = 1): string => {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  const f = 10 ** digits;
  return (Math.round(v * f) / f).toLocaleString('en-US');
};
export const ms = (v: unknown, digits = 0) =>
  typeof v === 'number' ? `${num(v, digits)} ms` : '–';
export const ordinal = (v: unknown): string => {
  if (typeof v !== 'number') return '?';
  if (v === 1) return 'single';
  const suffix =
    v % 10 === 2 && v % 100 !== 12 ? 'nd' : v % 10 === 3 && v % 100 !== 13 ? 'rd' : 'th';
  return `${v}${suffix}`;
};
export const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(header),
    line(header.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...rows.map(line),
  ].join('\n');
}

/** Targets as a list, in either of the shapes the benches use. */
export function targets(t: unknown): string {
  if (!t || typeof t !== 'object') return '';
  const lines = Object.entries(t as Json).map(([name, v]) => {
    if (typeof v === 'boolean') return `- ${v ? 'met' : '**not met**'}: ${name}`;
    const target = at(v, 'target');
    const value = at(v, 'value');
    const met = at(v, 'met');
    const verdict = met === true ? 'met' : met === false ? '**not met**' : 'not measured';
    return `- ${verdict}: ${name} — target ${String(target ?? '?')}, measured ${
      value === undefined ? '–' : String(value)
    }`;
  });
  return lines.length ? `Targets:\n${lines.join('\n')}` : '';
}
