/** Display formatting: every number on screen goes through here, so units are always shown. */

const NBSP = '\u00a0';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `37.2 %`; `—` when there is no value. */
export function formatPct(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${value.toFixed(digits)}${NBSP}%`;
}

const RATE_UNITS = ['B/s', 'KB/s', 'MB/s', 'GB/s', 'TB/s'] as const;

/**
 * Bytes per second in decimal units with three significant digits: `950 B/s`, `182 KB/s`,
 * `1.25 MB/s`. Decimal (1000) because that is how network throughput is quoted.
 */
export function formatRate(bytesPerSecond: number | null | undefined): string {
  if (bytesPerSecond === null || bytesPerSecond === undefined || !Number.isFinite(bytesPerSecond)) {
    return '—';
  }
  let v = Math.max(0, bytesPerSecond);
  let unit = 0;
  while (v >= 999.5 && unit < RATE_UNITS.length - 1) {
    v /= 1000;
    unit++;
  }
  const digits = unit === 0 || v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${v.toFixed(digits)}${NBSP}${RATE_UNITS[unit]}`;
}

/** Load average with two decimals. */
export function formatLoad(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toFixed(2);
}

export function formatCount(value: number): string {
  return integer.format(value);
}

/** Age of an update: `0.4 s`, `12 s`, `3 min`, `2 h`. */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)}${NBSP}s`;
  if (s < 90) return `${Math.round(s)}${NBSP}s`;
  if (s < 90 * 60) return `${Math.round(s / 60)}${NBSP}min`;
  return `${Math.round(s / 3600)}${NBSP}h`;
}

/** Wall-clock time of an epoch ms as `HH:MM:SS` in the viewer's time zone. */
export function formatClock(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `4.73 MB/s`, `13.2 MB/s` → `4.73–13.2 MB/s`: the unit once when both share it. */
export function formatRange(low: string, high: string): string {
  const unit = /\u00a0(\S+)$/.exec(high)?.[1];
  if (unit && low.endsWith(`${NBSP}${unit}`)) return `${low.slice(0, -unit.length - 1)}–${high}`;
  return `${low}–${high}`;
}
