/**
 * `npm run bench:frontend [-- --quick] [-- --no-lighthouse]`: the dashboard's overview at
 * SERVER_COUNT = 10,000 and 100,000 (`SERVER_COUNT=N` runs one size) in headless Debian
 * Chromium, through the real stack (generator, broadcaster, frontend server, nginx). Per size:
 *   - time to first data after navigation (FIRST_LOADS fresh visitors, each its own browser
 *     context: no cache, a new socket; median and worst reported),
 *   - per scenario (live updates with the page at rest; live updates while the table scrolls
 *     every frame): frame rate (requestAnimationFrame callbacks per second, longest gap),
 *     main-thread busy time per second (Chromium's TaskDuration over CDP), long tasks (> 50 ms),
 *     and the dashboard's own User Timing measures: one fleet frame decoded + applied
 *     (`fleet:apply`) and one overview render (`overview:render`),
 *   - Lighthouse 12 (mobile, simulated throttling) on the overview and on a server's detail:
 *     performance, accessibility and best-practices scores, CLS and what keeps a score below 100,
 *   - screenshots of the overview, light and dark, in test-results/bench/.
 * Plus the bundle's gzipped size. Before the first page load it waits until the generator has
 * committed a tick of every server, so a slow start on a busy machine is not taken for a slow
 * page; every wait says what it was waiting for when it gives up. Bounded: `DEADLINE_MS`.
 * Writes bench/results/frontend.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/chromium.ts';
import { startStack, type Stack } from '../scripts/lib/stack.ts';
import { runLighthouse, type LighthouseSummary } from './lib/lighthouse.ts';
import { round, summarize, type Summary } from './lib/stats.ts';
import { formatTable } from './lib/table.ts';

const quick = process.argv.includes('--quick');
const lighthouseOn = !process.argv.includes('--no-lighthouse');
const SIZES = process.env.SERVER_COUNT ? [Number(process.env.SERVER_COUNT)] : [10_000, 100_000];
const WARMUP_MS = quick ? 3_000 : 5_000;
const MEASURE_MS = quick ? 6_000 : 15_000;
const DEADLINE_MS = (quick ? 8 : 12) * 60_000 * SIZES.length;
/** Fresh page loads for time to first data; about a second apart, so some find the fleet idle. */
const FIRST_LOADS = quick ? 3 : 7;
/** Fleet size of the baseline first loads (`runBaseline`). */
const BASELINE_SERVERS = 1_000;
/** How long one fresh page may take to show values before the bench gives up on it. */
const firstValuesTimeoutMs = (servers: number) => 20_000 + servers * 0.3;
/** How long the stack may take to tick and discover every server (a busy machine is slow). */
const fleetReadyMs = (servers: number) => 90_000 + servers;
const VIEWPORT = { width: 1440, height: 900 };
const TARGET_FIRST_VALUES_MS = 600;
const TARGET_FPS = 55;
const TARGET_CLS = 0.05;
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RESULTS = join(ROOT, 'bench/results');
const SHOTS = join(ROOT, 'test-results/bench');
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
  /** The heat panel's part of a render (grid, histogram, hottest list). */
  heatMs: Summary;
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

/**
 * Navigates and waits until the first row shows a number; times from navigation start. Gives up
 * after `timeoutMs` with what the page showed (connection state, table count), so a timeout says
 * whether the server list, the socket or the values were missing.
 */
async function loadUntilValues(page: Page, url: string, timeoutMs: number): Promise<FirstData> {
  await page.goto(url, { timeout: timeoutMs });
  try {
    await page.waitForFunction(
      () => !Number.isNaN((globalThis as unknown as { __bench: ProbeData }).__bench.firstValues),
      undefined,
      { timeout: timeoutMs, polling: 100 },
    );
  } catch (err) {
    const seen = await page
      .evaluate<{ connection: string; table: string; rows: number }>(
        `({
          connection: document.querySelector('[data-testid="connection"]')?.textContent ?? '?',
          table: document.querySelector('.shown')?.textContent ?? '?',
          rows: document.querySelectorAll('.tbody .row:not([hidden])').length,
        })`,
      )
      .catch(() => undefined);
    throw new Error(
      `no values on screen ${round(timeoutMs / 1000, 0)} s after opening ${url}: ` +
        (seen
          ? `connection "${seen.connection}", table "${seen.table}", ${seen.rows} rows drawn ` +
            `(no rows: the server list never came; rows without values: no fleet frame applied)`
          : 'the page did not answer') +
        ` (${(err as Error).message.split('\n')[0]})`,
      { cause: err },
    );
  }
  return page.evaluate(() => {
    const b = (globalThis as unknown as { __bench: ProbeData }).__bench;
    return { names: b.firstNames, values: b.firstValues };
  });
}

/**
 * Waits until the generator serves every one of `servers` ids and has committed a tick for the
 * last of them, and the broadcaster has discovered them all with the generator up: the stack is
 * up, so what the page measures is the page.
 */
async function waitForFleet(stack: Stack, servers: number): Promise<void> {
  const started = Date.now();
  let last = 'no answer yet';
  while (Date.now() - started < fleetReadyMs(servers)) {
    try {
      const list = await fetch(`${stack.generator.url}/v1/servers`, {
        signal: AbortSignal.timeout(30_000),
      });
      const body = (await list.json()) as { servers?: unknown[] };
      const count = body.servers?.length ?? 0;
      if (count === servers) {
        const latest = await fetch(`${stack.generator.url}/v1/servers/server-${servers}/latest`, {
          signal: AbortSignal.timeout(30_000),
        });
        if (latest.ok) {
          // And the broadcaster has discovered all of them and sees the generator up.
          const health = (await (
            await fetch(`${stack.broadcaster.url}/healthz`, { signal: AbortSignal.timeout(30_000) })
          ).json()) as { generator?: string; servers?: number };
          if (health.generator === 'up' && health.servers === servers) return;
          last = `the broadcaster reports generator ${health.generator}, ${health.servers} servers`;
        } else {
          last = `server-${servers}/latest answered ${latest.status}`;
        }
      } else {
        last = `/v1/servers lists ${count} servers`;
      }
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `the stack at SERVER_COUNT=${servers} was not ready (generator ticking every server, broadcaster seeing them) after ` +
      `${fleetReadyMs(servers) / 1000} s (last: ${last})`,
  );
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
    heatMs: roundSummary(summarize(probe.measures['overview:heat'] ?? [])),
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

interface SizeRun {
  serverCount: number;
  firstDataMs: { loads: number; serverNames: Summary; values: Summary };
  scenarios: Scenario[];
  lighthouse: { overview: LighthouseSummary; detail: LighthouseSummary } | undefined;
  screenshots: string[];
}

/** Fresh loads of the overview, each in a new browser context, until values are on screen. */
async function measureFirstLoads(
  browser: Browser,
  url: string,
  servers: number,
): Promise<SizeRun['firstDataMs']> {
  const timeoutMs = firstValuesTimeoutMs(servers);
  const firstLoads: FirstData[] = [];
  for (let i = 0; i < FIRST_LOADS; i++) {
    const visitor = await browser.newContext({ viewport: VIEWPORT });
    try {
      const visitorPage = await visitor.newPage();
      await visitorPage.addInitScript({ content: PROBE });
      firstLoads.push(await loadUntilValues(visitorPage, `${url}/`, timeoutMs));
    } finally {
      await visitor.close();
    }
    await new Promise((r) => setTimeout(r, 1_100));
  }
  const firstDataMs = {
    loads: firstLoads.length,
    serverNames: roundSummary(summarize(firstLoads.map((f) => f.names))),
    values: roundSummary(summarize(firstLoads.map((f) => f.values))),
  };
  console.log(
    `first values on screen after navigation start, ${firstLoads.length} fresh loads: ` +
      `median ${round(firstDataMs.values.p50)} ms, worst ${round(firstDataMs.values.max)} ms ` +
      `(${firstLoads.map((f) => round(f.values, 0)).join(', ')})`,
  );
  return firstDataMs;
}

/**
 * The same fresh loads at a small fleet, in the same run: the page's own floor on this machine
 * (browser start-up, the bundle, the socket), against which the large sizes are read.
 */
async function runBaseline(browser: Browser): Promise<SizeRun['firstDataMs']> {
  console.log(
    `\n== baseline: SERVER_COUNT=${BASELINE_SERVERS.toLocaleString('en-US')}, first values only…`,
  );
  const stack = await startStack({
    serverCount: BASELINE_SERVERS,
    ingress: 'nginx',
    timeoutMs: 90_000,
  });
  try {
    await waitForFleet(stack, BASELINE_SERVERS);
    return await measureFirstLoads(browser, stack.url, BASELINE_SERVERS);
  } finally {
    await stack.stop();
  }
}

/** Everything measured at one fleet size, on a stack of its own. */
async function runSize(browser: Browser, servers: number): Promise<SizeRun> {
  console.log(`\n== SERVER_COUNT=${servers.toLocaleString('en-US')}: starting the stack…`);
  const stack = await startStack({ serverCount: servers, ingress: 'nginx', timeoutMs: 90_000 });
  try {
    await waitForFleet(stack, servers);
    const firstDataMs = await measureFirstLoads(browser, stack.url, servers);

    const context = await browser.newContext({ viewport: VIEWPORT });
    try {
      const page = await context.newPage();
      await page.addInitScript({ content: PROBE });
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable', { timeDomain: 'timeTicks' });
      await loadUntilValues(page, `${stack.url}/`, firstValuesTimeoutMs(servers));
      const shown = await page.locator('.shown').textContent();
      if (!shown?.includes(servers.toLocaleString('en-US'))) {
        throw new Error(`the overview shows "${shown}", expected ${servers} servers`);
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
      for (const sc of [idle, scrolling]) {
        console.log(
          `  ${sc.name}: ${sc.fps} fps, frame gap p99 ${sc.frameGapMs.p99} ms, busy ${sc.busyMsPerSecond} ms/s, ` +
            `${sc.longTasks} long tasks, apply p50 ${sc.fleetApplyMs.p50} ms, render p50 / max ${sc.renderMs.p50} / ${sc.renderMs.max} ms (heat panel p50 ${sc.heatMs.p50} ms)`,
        );
      }
      await page.evaluate('window.scrollTo(0, 0)');
      mkdirSync(SHOTS, { recursive: true });
      const screenshots: string[] = [];
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        // Two frames: the canvas reads the theme's colours when it draws.
        await page.waitForTimeout(1_500);
        const file = join(SHOTS, `overview-${servers}-${scheme}.png`);
        await page.screenshot({ path: file });
        screenshots.push(file);
      }

      let lighthouse: SizeRun['lighthouse'];
      if (lighthouseOn) {
        console.log('lighthouse: overview…');
        const overview = await runLighthouse(`${stack.url}/`);
        console.log(`  ${lighthouseLine(overview)}`);
        console.log('lighthouse: server detail…');
        const detail = await runLighthouse(`${stack.url}/#/servers/server-1`);
        console.log(`  ${lighthouseLine(detail)}`);
        lighthouse = { overview, detail };
      }
      return {
        serverCount: servers,
        firstDataMs,
        scenarios: [idle, scrolling],
        lighthouse,
        screenshots,
      };
    } finally {
      await context.close();
    }
  } finally {
    await stack.stop();
  }
}

function lighthouseLine(lh: LighthouseSummary): string {
  return (
    `performance ${lh.scores.performance}, accessibility ${lh.scores.accessibility}, ` +
    `best practices ${lh.scores['best-practices']}, CLS ${lh.cls}` +
    (lh.failing.length ? ` (below 100: ${lh.failing.join(', ')})` : '')
  );
}

function sizeTargets(
  run: SizeRun,
  baseline: SizeRun['firstDataMs'] | undefined,
): Record<string, { target: string; value: string; met: boolean }> {
  const n = run.serverCount.toLocaleString('en-US');
  const idle = run.scenarios[0]!;
  const out: Record<string, { target: string; value: string; met: boolean }> = {
    [`firstValues@${run.serverCount}`]: {
      target: `${n} servers: median of fresh loads ≤ ${TARGET_FIRST_VALUES_MS} ms from navigation to first values`,
      value:
        `median ${round(run.firstDataMs.values.p50, 0)} ms, worst ${round(run.firstDataMs.values.max, 0)} ms` +
        (baseline
          ? ` (${BASELINE_SERVERS.toLocaleString('en-US')} servers in the same run: median ${round(baseline.values.p50, 0)} ms)`
          : ''),
      met: run.firstDataMs.values.p50 <= TARGET_FIRST_VALUES_MS,
    },
    [`smoothAtRest@${run.serverCount}`]: {
      target: `${n} servers: ≥ ${TARGET_FPS} fps with live updates, page at rest`,
      value: `${idle.fps} fps`,
      met: idle.fps >= TARGET_FPS,
    },
  };
  if (run.lighthouse) {
    for (const [view, lh] of Object.entries(run.lighthouse)) {
      out[`lighthouse-${view}@${run.serverCount}`] = {
        target: `${n} servers, ${view}: Lighthouse accessibility and best practices 100, CLS ≤ ${TARGET_CLS}`,
        value:
          `accessibility ${lh.scores.accessibility}, best practices ${lh.scores['best-practices']}, CLS ${lh.cls}` +
          (lh.failing.length ? ` (${lh.failing.join(', ')})` : ''),
        met:
          lh.scores.accessibility === 100 &&
          lh.scores['best-practices'] === 100 &&
          lh.cls <= TARGET_CLS,
      };
    }
  }
  return out;
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    console.error(`bench:frontend: gave up after ${DEADLINE_MS / 1000} s`);
    process.exit(1);
  }, DEADLINE_MS);
  deadline.unref();
  const loadBefore = loadavg();

  console.log('building the dashboard (vite build)…');
  const build = spawnSync('npm', ['run', 'build', '-w', 'frontend', '--silent'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (build.status !== 0) throw new Error('npm run build -w frontend failed');
  const bundle = bundleSize();

  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS],
  });
  const runs: SizeRun[] = [];
  const failures: { serverCount: number; error: string }[] = [];
  let baseline: SizeRun['firstDataMs'] | undefined;
  try {
    try {
      baseline = await runBaseline(browser);
    } catch (err) {
      console.error(`baseline failed: ${(err as Error).message}`);
    }
    for (const servers of SIZES) {
      try {
        runs.push(await runSize(browser, servers));
      } catch (err) {
        // One size failing (a stack too slow to start on a loaded machine) keeps the others.
        console.error(`SERVER_COUNT=${servers} failed: ${(err as Error).message}`);
        failures.push({ serverCount: servers, error: (err as Error).message });
      }
    }
  } finally {
    await browser.close().catch(() => undefined);
  }
  const loadAfter = loadavg();

  const targets = {
    ...Object.assign({}, ...runs.map((run) => sizeTargets(run, baseline))),
    ...Object.fromEntries(
      failures.map((f) => [
        `run@${f.serverCount}`,
        { target: `${f.serverCount} servers measured`, value: f.error, met: false },
      ]),
    ),
    bundleBudget: {
      target: `≤ ${bundle.budgetGzipKB} KB gzipped JS`,
      value: `${bundle.jsGzipKB} KB`,
      met: bundle.jsGzipKB <= bundle.budgetGzipKB,
    },
  };
  const result = {
    bench: 'frontend',
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      node: process.version,
      chromium: browser.version(),
      loadAverage: {
        before: loadBefore.map((l) => round(l, 2)),
        after: loadAfter.map((l) => round(l, 2)),
      },
    },
    viewport: `${VIEWPORT.width}x${VIEWPORT.height}`,
    quick,
    bundle,
    baseline: baseline && { serverCount: BASELINE_SERVERS, firstDataMs: baseline },
    runs,
    failures,
    targets,
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'frontend.json'), `${JSON.stringify(result, null, 2)}\n`);

  console.log(
    `\nload average (1/5/15 min) before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`,
  );
  console.log(
    `bundle: ${bundle.jsGzipKB} KB gzipped JS (${bundle.jsKB} KB raw), ${bundle.cssGzipKB} KB gzipped CSS; budget ${bundle.budgetGzipKB} KB\n`,
  );
  console.log(
    formatTable(
      [
        'servers',
        'first values p50 / max ms',
        'scenario',
        'fps',
        'frame gap p99 ms',
        'busy ms/s',
        'long tasks',
        'apply p50 ms',
        'render p50 / max ms',
        'heat panel p50 ms',
      ],
      runs.flatMap((r) =>
        r.scenarios.map((s) => [
          r.serverCount.toLocaleString('en-US'),
          `${round(r.firstDataMs.values.p50, 0)} / ${round(r.firstDataMs.values.max, 0)}`,
          s.name,
          s.fps,
          s.frameGapMs.p99,
          s.busyMsPerSecond,
          s.longTasks,
          s.fleetApplyMs.p50,
          `${s.renderMs.p50} / ${s.renderMs.max}`,
          s.heatMs.p50,
        ]),
      ),
    ),
  );
  if (lighthouseOn) {
    console.log(
      `\n${formatTable(
        [
          'servers',
          'view',
          'performance',
          'accessibility',
          'best practices',
          'CLS',
          'LCP ms',
          'TBT ms',
          'below 100',
        ],
        runs.flatMap((r) =>
          Object.entries(r.lighthouse ?? {}).map(([view, lh]) => [
            r.serverCount.toLocaleString('en-US'),
            view,
            lh.scores.performance,
            lh.scores.accessibility,
            lh.scores['best-practices'],
            lh.cls,
            lh.lcpMs,
            lh.tbtMs,
            lh.failing.join(', ') || '—',
          ]),
        ),
      )}`,
    );
  }
  console.log('\ntargets:');
  for (const t of Object.values(targets) as { target: string; value: string; met: boolean }[]) {
    console.log(`  ${t.met ? 'met    ' : 'NOT MET'}  ${t.target}: ${t.value}`);
  }
  console.log(`\nwrote ${join(RESULTS, 'frontend.json')}; screenshots in ${SHOTS}`);
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
