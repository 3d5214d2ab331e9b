/**
 * The overview's filter: words separated by spaces, all of which must match. A plain word is
 * looked for in the server's name (as before labels existed); `key=value` matches a label whose
 * value contains `value` (`role=db`, `region=eu`; `role=` any server with a role). `source` is a
 * label of every server: `source=simulated`, `source=node_exporter`, `source=host`, and
 * `source=real` for both of the latter. Pure, lower-cased input.
 */
import type { ServerInfo } from '@metrics/protocol';

export type FilterTerm =
  { kind: 'name'; text: string } | { kind: 'label'; key: string; value: string };

export function parseFilter(filter: string): FilterTerm[] {
  return filter
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => {
      const eq = word.indexOf('=');
      return eq > 0
        ? { kind: 'label', key: word.slice(0, eq), value: word.slice(eq + 1) }
        : { kind: 'name', text: word };
    });
}

/** What a simulated server without labels is searched by: one array shared by all of them. */
const SIMULATED_ONLY: readonly string[] = Object.freeze(['source=simulated']);

/** A server's labels as `key=value` strings, lower-cased, `source` included. */
export function searchLabels(info: ServerInfo): readonly string[] {
  if ((info.source ?? 'simulated') === 'simulated' && !info.labels) return SIMULATED_ONLY;
  const source = info.source ?? 'simulated';
  const out = [`source=${source}`];
  if (source !== 'simulated') out.push('source=real');
  for (const [k, v] of Object.entries(info.labels ?? {})) out.push(`${k}=${v}`.toLowerCase());
  return out;
}

export function matchesTerms(
  terms: readonly FilterTerm[],
  lowerId: string,
  labels: readonly string[],
): boolean {
  for (const t of terms) {
    if (t.kind === 'name') {
      if (!lowerId.includes(t.text)) return false;
    } else {
      const prefix = `${t.key}=`;
      if (!labels.some((l) => l.startsWith(prefix) && l.slice(prefix.length).includes(t.value))) {
        return false;
      }
    }
  }
  return true;
}

/** What the table shows under a server's name: its labels, `role=db · region=eu`. */
export function labelsText(info: ServerInfo | undefined): string {
  return Object.entries(info?.labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(' · ');
}

/** A server's source as the table and the detail header say it. */
export function sourceText(info: ServerInfo | undefined): string {
  switch (info?.source) {
    case 'node_exporter':
      return 'node_exporter';
    case 'host':
      return 'this machine';
    default:
      return 'simulated';
  }
}

/** Why a real server is not reporting, when its last scrape failed; undefined otherwise. */
export function downText(info: ServerInfo | undefined): string | undefined {
  const s = info?.scrape;
  if (!s || s.up) return undefined;
  return `down: ${s.lastError ?? 'no answer'}`;
}
