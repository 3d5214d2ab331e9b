/**
 * The heat scale shared by the grid, the table bars and the legend: calm teal at 0 %, amber
 * around 60 %, red at 100 %. Hue and lightness both change, so the hottest cells stand out
 * for colour-blind viewers too. Precomputed as 1001 packed RGBA values (0.1 % steps).
 */
const STOPS: [pct: number, r: number, g: number, b: number][] = [
  [0, 45, 160, 140],
  [40, 120, 190, 110],
  [60, 240, 190, 60],
  [80, 245, 130, 45],
  [100, 220, 38, 56],
];

function rgbAt(pct: number): [number, number, number] {
  const p = Math.min(100, Math.max(0, pct));
  for (let k = 1; k < STOPS.length; k++) {
    const [p1, r1, g1, b1] = STOPS[k]!;
    if (p <= p1) {
      const [p0, r0, g0, b0] = STOPS[k - 1]!;
      const f = (p - p0) / (p1 - p0);
      return [r0 + (r1 - r0) * f, g0 + (g1 - g0) * f, b0 + (b1 - b0) * f].map(Math.round) as [
        number,
        number,
        number,
      ];
    }
  }
  const [, r, g, b] = STOPS.at(-1)!;
  return [r, g, b];
}

const CSS: string[] = [];
/** Little-endian packed RGBA for an ImageData's Uint32 view. */
export const HEAT_RGBA = new Uint32Array(1001);
for (let i = 0; i <= 1000; i++) {
  const [r, g, b] = rgbAt(i / 10);
  HEAT_RGBA[i] = (255 << 24) | (b << 16) | (g << 8) | r;
  CSS.push(`rgb(${r} ${g} ${b})`);
}

export function heatIndex(pct: number): number {
  if (!(pct >= 0)) return 0;
  return pct >= 100 ? 1000 : Math.round(pct * 10);
}

export function heatCss(pct: number): string {
  return CSS[heatIndex(pct)]!;
}

/** A CSS gradient of the scale, for the legend. */
export function heatGradient(): string {
  return `linear-gradient(to right, ${STOPS.map(([p, r, g, b]) => `rgb(${r} ${g} ${b}) ${p}%`).join(', ')})`;
}

export function packRgba(r: number, g: number, b: number, a = 255): number {
  return ((a << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

/** `#rgb`, `#rrggbb` or `rgb(r g b)` / `rgb(r, g, b)` to components; black when unreadable. */
export function parseColor(css: string): [number, number, number] {
  const text = css.trim();
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(text);
  if (short)
    return [1, 2, 3].map((k) => parseInt(short[k]!.repeat(2), 16)) as [number, number, number];
  const hex = /^#([0-9a-f]{6})$/i.exec(text);
  if (hex) {
    const v = parseInt(hex[1]!, 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }
  const rgb = /rgba?\(\s*(\d+)[\s,]+(\d+)[\s,]+(\d+)/i.exec(text);
  return rgb ? [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])] : [0, 0, 0];
}
