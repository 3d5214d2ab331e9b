/**
 * `npm run bench:frontend [-- --quick]`: the dashboard's overview at SERVER_COUNT = 10,000 in
 * headless Debian Chromium, through the real stack (generator, broadcaster, frontend server,
 * nginx). Measures, per scenario (live updates with the page at rest; live updates while the
 * table scrolls every frame):
 *   - frame rate: requestAnimationFrame callbacks per second and the longest frame gap,
 *   - main-thread busy time per second: Chromium's own TaskDuration (CDP Performance metrics),
 *   - long tasks (> 50 ms) from a PerformanceObserver,
 *   - the dashboard's own User Timing measures: one fleet frame decoded + applied
 *     (`fleet:apply`) and one overview render (`overview:render`),
 * plus time to first data after navigation (FIRST_LOADS fresh visitors, each its own browser
 * context: no cache, a new socket; median and worst reported) and the bundle's gzipped size.
 * Bounded: about a minute (`--quick`: about 30 s). Writes bench/results/frontend.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium, type Page } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/chromium.ts';
import { startStack, type Stack } from '../scripts/lib/stack.ts';
import { round, summarize, type Summary } from './lib/stats.ts';
import { formatTable } from './lib/table.ts';

const quick = process.argv.includes('--quick');
const SERVER_COUNT = Number(process.env.SERVER_COUNT ?? 10_000);
const WARMUP_MS = quick ? 3_000 : 5_000;
const MEASURE_MS = quick ? 6_000 : 15_000;
const DEADLINE_MS = 4 * 60_000;
/** Fresh page loads for time to first data; about a second apart, so some find the fleet idle. */
const FIRST_LOADS = quick ? 3 : 7;
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RESULTS = join(ROOT, 'bench/results');
const DIST = join(ROOT, 'frontend/dist');

interface Scenario {
  name: string;
  seconds: number;
  fps: number;
  frameGapMs: Summary;
  /** Main-thread task time per wall-clock second (ms/s). */
  busyMsPerSecond: number;
  scriptMsPerSecond: number;
  layoutMsPerSecond: number;
  longTasks: number;
  longTaskMs: number;
  fleetApplyMs: Summary;
  renderMs: Summary;
  framesApplied: number;
}

/**
 * Injected before the app: counts frames, notes when names and values first show, collects long
 * tasks and the app's User Timing measures. Plain JavaScript text: a function here would be
 * transpiled by tsx with helpers the page does not have.
 */
const PROBE = `(() => {
  const bench = { frames: [], longTasks: [], measures: {}, firstNames: NaN, firstValues: NaN };
  window.__bench = bench;
  const loop = (t) => {
    bench.frames.push(t);
    if (Number.isNaN(bench.firstValues)) {
      const row = document.querySelector('.tbody .row:not([hidden])');
      if (row && Number.isNaN(bench.firstNames)) bench.firstNames = t;
      const val = (row && row.querySelector('.val') && row.querySelector('.val').textContent) || '';
      if (/\\d/.test(val)) bench.firstValues = t;
    }
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) bench.longTasks.push(e.duration);
  }).observe({ type: 'longtask', buffered: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) (bench.measures[e.name] ??= []).push(e.duration);
  }).observe({ type: 'measure', buffered: true });
})();`;

interface ProbeData {
  frames: number[];
  longTasks: number[];
  measures: Record<string, number[]>;
  firstNames: number;
  firstValues: number;
}

interface FirstData {
  names: number;
  values: number;
}

/** Navigates and waits until the first row shows a number; times from navigation start. */
async function loadUntilValues(page: Page, url: string): Promise<FirstData> {
  await page.goto(url);
  await page.waitForFunction(
    () => !Number.isNaN((globalThis as unknown as { __bench: ProbeData }).__bench.firstValues),
    undefined,
    { timeout: 15_000 },
  );
  return page.evaluate(() => {
    const b = (globalThis as unknown as { __bench: ProbeData }).__bench;
    return { names: b.firstNames, values: b.firstValues };
  });
}

async function readProbe(page: Page): Promise<ProbeData> {
  return page.evaluate(() => {
    const b = (globalThis as unknown as { __bench: ProbeData }).__bench;
    const out = structuredClone(b);
    b.frames.length = 0;
    b.longTasks.length = 0;
    b.measures = {};
    return out;
  });
}

async function measureScenario(
  page: Page,
  name: string,
  cdp: {
    send(method: 'Performance.getMetrics'): Promise<{ metrics: { name: string; value: number }[] }>;
  },
  during?: () => Promise<void>,
): Promise<Scenario> {
  const metrics = async () =>
    Object.fromEntries(
      (await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]),
    );
  await readProbe(page); // reset
  const before = await metrics();
  const started = Date.now();
  await Promise.all([new Promise((r) => setTimeout(r, MEASURE_MS)), during?.()]);
  const after = await metrics();
  const probe = await readProbe(page);
  const seconds = (Date.now() - started) / 1000;
  const perSecond = (key: string) => round(((after[key]! - before[key]!) * 1000) / seconds, 1);
  const gaps = probe.frames.slice(1).map((t, i) => t - probe.frames[i]!);
  const span = (probe.frames.at(-1)! - probe.frames[0]!) / 1000;
  return {
    name,
    seconds: round(seconds, 1),
    fps: round((probe.frames.length - 1) / span, 1),
    frameGapMs: roundSummary(summarize(gaps)),
    busyMsPerSecond: perSecond('TaskDuration'),
    scriptMsPerSecond: perSecond('ScriptDuration'),
    layoutMsPerSecond: round(
      ((after.LayoutDuration! -
        before.LayoutDuration! +
        (after.RecalcStyleDuration! - before.RecalcStyleDuration!)) *
        1000) /
        seconds,
      1,
    ),
    longTasks: probe.longTasks.length,
    longTaskMs: round(
      probe.longTasks.reduce((a, b) => a + b, 0),
      1,
    ),
    fleetApplyMs: roundSummary(summarize(probe.measures['fleet:apply'] ?? [])),
    renderMs: roundSummary(summarize(probe.measures['overview:render'] ?? [])),
    framesApplied: (probe.measures['fleet:apply'] ?? []).length,
  };
}

function roundSummary(s: Summary): Summary {
  return Object.fromEntries(
    Object.entries(s).map(([k, v]) => [k, k === 'count' ? v : round(v, 2)]),
  ) as unknown as Summary;
}

function bundleSize() {
  const assets = join(DIST, 'assets');
  const files = readdirSync(assets).filter((f) => /\.(js|css)$/.test(f));
  const sizeOf = (ext: string) =>
    files
      .filter((f) => f.endsWith(ext))
      .reduce(
        (acc, f) => {
          const bytes = readFileSync(join(assets, f));
          acc.raw += bytes.length;
          acc.gzip += gzipSync(bytes, { level: 9 }).length;
          return acc;
        },
        { raw: 0, gzip: 0 },
      );
  const js = sizeOf('.js');
  const css = sizeOf('.css');
  const kb = (n: number) => round(n / 1024, 1);
  return {
    jsKB: kb(js.raw),
    jsGzipKB: kb(js.gzip),
    cssKB: kb(css.raw),
    cssGzipKB: kb(css.gzip),
    budgetGzipKB: 150,
  };
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    console.error(`bench:frontend: gave up after ${DEADLINE_MS / 1000} s`);
    process.exit(1);
  }, DEADLINE_MS);
  deadline.unref();

  console.log('building the dashboard (vite build)…');
  const build = spawnSync('npm', ['run', 'build', '-w', 'frontend', '--silent'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (build.status !== 0) throw new Error('npm run build -w frontend failed');
  const bundle = bundleSize();

  console.log(`starting the stack with SERVER_COUNT=${SERVER_COUNT}…`);
  let stack: Stack | undefined;
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS],
  });
  try {
    stack = await startStack({ serverCount: SERVER_COUNT, ingress: 'nginx', timeoutMs: 60_000 });
    const firstLoads: FirstData[] = [];
    for (let i = 0; i < FIRST_LOADS; i++) {
      const visitor = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const visitorPage = await visitor.newPage();
      await visitorPage.addInitScript({ content: PROBE });
      firstLoads.push(await loadUntilValues(visitorPage, `${stack.url}/`));
      await visitor.close();
      await new Promise((r) => setTimeout(r, 1_100));
    }
    const firstData = {
      loads: firstLoads.length,
      serverNames: summarize(firstLoads.map((f) => f.names)),
      values: summarize(firstLoads.map((f) => f.values)),
    };
    console.log(
      `first values on screen after navigation start, ${firstLoads.length} fresh loads: ` +
        `median ${round(firstData.values.p50)} ms, worst ${round(firstData.values.max)} ms ` +
        `(${firstLoads.map((f) => round(f.values, 0)).join(', ')})`,
    );

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.addInitScript({ content: PROBE });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable', { timeDomain: 'timeTicks' });
    await loadUntilValues(page, `${stack.url}/`);
    const shown = await page.locator('.shown').textContent();
    if (!shown?.includes(SERVER_COUNT.toLocaleString('en-US'))) {
      throw new Error(`the overview shows "${shown}", expected ${SERVER_COUNT} servers`);
    }
    await page.waitForTimeout(WARMUP_MS);

    console.log(`measuring ${MEASURE_MS / 1000} s at rest…`);
    const idle = await measureScenario(page, 'live updates, page at rest', cdp);

    console.log(`measuring ${MEASURE_MS / 1000} s while scrolling…`);
    const scrolling = await measureScenario(
      page,
      'live updates, table scrolling every frame',
      cdp,
      () =>
        page.evaluate(`new Promise((resolve) => {
        const end = performance.now() + ${MEASURE_MS - 200};
        let dir = 1;
        const step = () => {
          const max = document.documentElement.scrollHeight - innerHeight;
          if (window.scrollY >= max - 60) dir = -1;
          else if (window.scrollY <= 0) dir = 1;
          window.scrollBy(0, dir * 120);
          if (performance.now() < end) requestAnimationFrame(step);
          else resolve();
        };
        requestAnimationFrame(step);
      })`),
    );
    await page.evaluate('window.scrollTo(0, 0)');
    mkdirSync(join(ROOT, 'test-results/bench'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results/bench/overview-10000.png') });

    const chromiumVersion = browser.version();
    const result = {
      bench: 'frontend',
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpu: cpus()[0]?.model,
        node: process.version,
        chromium: chromiumVersion,
      },
      serverCount: SERVER_COUNT,
      viewport: '1440x900',
      quick,
      firstDataMs: {
        loads: firstData.loads,
        serverNames: roundSummary(firstData.serverNames),
        values: roundSummary(firstData.values),
      },
      bundle,
      scenarios: [idle, scrolling],
      targets: {
        firstValuesWithin1s: {
          target: 'median of fresh loads ≤ 1,000 ms from navigation to first values',
          value: `median ${round(firstData.values.p50, 0)} ms, worst ${round(firstData.values.max, 0)} ms`,
          met: firstData.values.p50 <= 1_000,
        },
        smoothAtRest: {
          target: '≥ 55 fps with live updates, page at rest',
          value: `${idle.fps} fps`,
          met: idle.fps >= 55,
        },
        bundleBudget: {
          target: `≤ ${bundle.budgetGzipKB} KB gzipped JS`,
          value: `${bundle.jsGzipKB} KB`,
          met: bundle.jsGzipKB <= bundle.budgetGzipKB,
        },
      },
    };
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, 'frontend.json'), `${JSON.stringify(result, null, 2)}\n`);

    console.log(
      `\nbundle: ${bundle.jsGzipKB} KB gzipped JS (${bundle.jsKB} KB raw), ${bundle.cssGzipKB} KB gzipped CSS; budget ${bundle.budgetGzipKB} KB`,
    );
    console.log(
      `first values on screen: median ${round(firstData.values.p50)} ms, worst ${round(firstData.values.max)} ms after navigation start (${firstData.loads} fresh loads)\n`,
    );
    console.log(
      formatTable(
        [
          'scenario',
          'fps',
          'frame gap p99 ms',
          'max ms',
          'busy ms/s',
          'script ms/s',
          'long tasks',
          'apply p50 ms',
          'render p50 / max ms',
        ],
        [idle, scrolling].map((s) => [
          s.name,
          s.fps,
          s.frameGapMs.p99,
          s.frameGapMs.max,
          s.busyMsPerSecond,
          s.scriptMsPerSecond,
          s.longTasks,
          s.fleetApplyMs.p50,
          `${s.renderMs.p50} / ${s.renderMs.max}`,
        ]),
      ),
    );
    console.log(`\nwrote ${join(RESULTS, 'frontend.json')}`);
  } finally {
    await browser.close().catch(() => undefined);
    await stack?.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
