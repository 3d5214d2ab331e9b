/**
 * One Lighthouse run (npm `lighthouse` 12.2.3, which runs on Node 20) against Debian's Chromium:
 * `CHROME_PATH` (default the project's Chromium) started by chrome-launcher with the project's
 * flags plus `--headless`. Lighthouse's default settings: a mobile device, simulated throttling.
 * Returns the category scores (0–100), the cumulative layout shift, the failing audits of the
 * accessibility and best-practices categories, and the elements that moved most.
 */
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../e2e/chromium.ts';

export const LIGHTHOUSE_CATEGORIES = ['performance', 'accessibility', 'best-practices'] as const;

export interface LighthouseSummary {
  url: string;
  scores: Record<(typeof LIGHTHOUSE_CATEGORIES)[number], number>;
  cls: number;
  lcpMs: number;
  tbtMs: number;
  /** Audits scored below 1 in accessibility and best practices: what keeps them from 100. */
  failing: string[];
  /** The elements behind the largest layout shifts (selector and score). */
  shifts: { node: string; score: number }[];
}

interface AuditResult {
  score: number | null;
  scoreDisplayMode?: string;
  numericValue?: number;
  details?: { items?: { node?: { selector?: string; snippet?: string }; score?: number }[] };
}

/**
 * Lighthouse on `url`, tried up to `attempts` times: on a loaded machine a run now and then fails
 * to record its trace (`NO_NAVSTART`), which says nothing about the page.
 */
export async function runLighthouse(url: string, attempts = 3): Promise<LighthouseSummary> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runOnce(url);
    } catch (err) {
      if (attempt >= attempts) throw err;
      console.warn(
        `lighthouse attempt ${attempt} on ${url} failed (${(err as Error).message}); again`,
      );
    }
  }
}

async function runOnce(url: string): Promise<LighthouseSummary> {
  const chrome = await chromeLauncher.launch({
    chromePath: process.env.CHROME_PATH ?? CHROMIUM_PATH,
    chromeFlags: ['--headless', ...CHROMIUM_ARGS],
  });
  try {
    const result = await lighthouse(url, {
      port: chrome.port,
      output: 'json',
      logLevel: 'error',
      onlyCategories: [...LIGHTHOUSE_CATEGORIES],
    });
    if (!result) throw new Error(`lighthouse returned no result for ${url}`);
    const lhr = result.lhr;
    if (lhr.runtimeError) {
      throw new Error(`lighthouse: ${lhr.runtimeError.code}: ${lhr.runtimeError.message}`);
    }
    const audits = lhr.audits as Record<string, AuditResult>;
    const scores = Object.fromEntries(
      LIGHTHOUSE_CATEGORIES.map((c) => [c, Math.round((lhr.categories[c]?.score ?? 0) * 100)]),
    ) as LighthouseSummary['scores'];
    const failing: string[] = [];
    for (const c of ['accessibility', 'best-practices'] as const) {
      for (const ref of lhr.categories[c]?.auditRefs ?? []) {
        const a = audits[ref.id];
        if (ref.weight > 0 && a && a.score !== null && a.score < 1) failing.push(`${c}: ${ref.id}`);
      }
    }
    const shifts = (audits['layout-shifts']?.details?.items ?? []).slice(0, 5).map((item) => ({
      node: item.node?.selector ?? item.node?.snippet ?? '?',
      score: Math.round((item.score ?? 0) * 1000) / 1000,
    }));
    return {
      url,
      scores,
      cls: Math.round((audits['cumulative-layout-shift']?.numericValue ?? NaN) * 1000) / 1000,
      lcpMs: Math.round(audits['largest-contentful-paint']?.numericValue ?? NaN),
      tbtMs: Math.round(audits['total-blocking-time']?.numericValue ?? NaN),
      failing,
      shifts,
    };
  } finally {
    chrome.kill();
  }
}
