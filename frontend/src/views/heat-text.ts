/**
 * The heat map's words (grid label, caption, tooltips, histogram and hottest-list texts) as pure
 * functions, so every wording is testable without a browser.
 */
import type { IndexRange } from '../heat-aggregate.js';
import { formatCount, formatPct } from '../format.js';

/** The canvas's accessible name. */
export function gridLabel(servers: number, blockSize: number, metric: string): string {
  const what =
    blockSize === 1
      ? `one square per server`
      : `one square per block of ${formatCount(blockSize)} servers, coloured by its hottest`;
  return `Heat map of ${formatCount(servers)} servers by ${metric}, ${what}. Arrow keys move, Enter opens.`;
}

/** `server-1 … server-50`, or the one id of a single server. */
export function rangeText(first: string, last: string): string {
  return first === last ? first : `${first} … ${last}`;
}

/** The line under the grid. */
export function gridCaption(
  ids: readonly string[],
  range: IndexRange,
  total: number,
  blockSize: number,
  depth: number,
): string {
  const n = range.end - range.start;
  if (total === 0) return 'Waiting for the server list…';
  const where =
    depth > 1
      ? `Zoomed in: ${rangeText(ids[range.start] ?? '', ids[range.end - 1] ?? '')}, ${formatCount(n)} of ${formatCount(total)} servers. `
      : '';
  return blockSize === 1
    ? `${where}One square per server, in name order. Hover to read it, click to open it.`
    : `${where}Each square is ${formatCount(blockSize)} servers in name order, coloured by the hottest; a corner marks stale ones. Hover to read a block, click to zoom in.`;
}

export function serverTip(
  id: string,
  cpu: number,
  mem: number,
  disk: number,
  stale: boolean,
): string {
  return (
    `${id} · CPU ${formatPct(cpu)} · mem ${formatPct(mem)} · disk ${formatPct(disk)}` +
    (stale ? ' · stale' : '')
  );
}

export interface BlockTipInput {
  first: string;
  last: string;
  /** Servers in the block. */
  servers: number;
  /** Of those, the ones the filter keeps (all without a filter). */
  counted: number;
  stale: number;
  hottest: string | undefined;
  hottestValue: number;
  metric: string;
}

export function blockTip(b: BlockTipInput): string {
  const parts = [`${rangeText(b.first, b.last)} (${formatCount(b.servers)} servers)`];
  if (b.counted < b.servers) parts.push(`${formatCount(b.counted)} match the filter`);
  if (b.hottest !== undefined)
    parts.push(`hottest ${b.hottest} ${b.metric} ${formatPct(b.hottestValue)}`);
  else if (b.counted > 0) parts.push('no live data');
  if (b.stale > 0) parts.push(`${formatCount(b.stale)} stale`);
  parts.push('click to zoom in');
  return parts.join(' · ');
}

/** The histogram's headline: how many live servers are at or above the hot threshold. */
export function hotText(hot: number, live: number, threshold: number): string {
  if (live === 0) return 'no live data';
  return `${formatCount(hot)} of ${formatCount(live)} at ≥ ${threshold} %`;
}

/** The histogram's accessible name: the headline and the fullest band. */
export function histogramLabel(
  metric: string,
  bins: Uint32Array,
  live: number,
  hot: string,
): string {
  if (live === 0) return `Distribution of ${metric}: no live data`;
  let top = 0;
  for (let b = 1; b < bins.length; b++) if (bins[b]! > bins[top]!) top = b;
  const width = 100 / bins.length;
  return (
    `Distribution of ${metric} over ${formatCount(live)} live servers: ${hot}; ` +
    `most (${formatCount(bins[top]!)}) between ${top * width} and ${(top + 1) * width} %`
  );
}

/** One histogram bar's title. */
export function binTitle(bin: number, bins: number, count: number): string {
  const width = 100 / bins;
  return `${bin * width}–${(bin + 1) * width} %: ${formatCount(count)} ${count === 1 ? 'server' : 'servers'}`;
}
