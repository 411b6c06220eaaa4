// Functions given to page.evaluate run in the page: they need the DOM's types.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * UI benchmark: the real renderer in Debian Chromium against the real engine (`iris serve`'s server
 * in process) over a synthetic library of N photos (default 100,000).
 *
 *   npm run bench:ui [-- --photos 100000 --frames 600 --no-write]
 *
 * Measures: first contentful paint and the first painted grid rows; frame times while scrolling the
 * grid (rAF intervals + Chromium's long-animation-frame entries); the time from a search answer
 * arriving in the page to its results being painted. Goals: no frame over 50 ms while scrolling,
 * results painted within 100 ms of the engine's answer. Writes its section of BENCHMARKS.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { EngineService } from '../../main/engine/service/engine-service.js';
import { startServer } from '../../main/serve/server.js';
import { CHROMIUM_PATH, chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { fixtureModels } from '../helpers/colour-photos.js';
import { syntheticLibrary } from '../helpers/synthetic-library.js';
import { commandLine, machineBasics, markdownTable, positiveInt, writeBenchmarksSection } from './benchmarks-md.js';

const START = '<!-- bench:ui start -->';
const END = '<!-- bench:ui end -->';

const { values } = parseArgs({
  options: { photos: { type: 'string', default: '100000' }, frames: { type: 'string', default: '600' }, 'no-write': { type: 'boolean', default: false } },
});
const photoCount = positiveInt('photos', values.photos);
const frames = positiveInt('frames', values.frames);

interface FrameStats {
  frames: number;
  maxMs: number;
  p95Ms: number;
  p99Ms: number;
  over50: number;
  longAnimationFrames: number;
  worstLongFrameMs: number;
  /** Of the long frames, the most main-thread work in one: its scripts plus style, layout and paint. */
  worstLongFrameWorkMs: number;
  distancePx: number;
}

/** Scrolls the grid `pxPerFrame` every animation frame and records how long each frame took. */
async function scrollFrames(page: Page, count: number, pxPerFrame: number): Promise<FrameStats> {
  return page.evaluate(
    async ({ count, pxPerFrame }) => {
      const scroller = document.querySelector<HTMLElement>('[data-testid="grid"]');
      if (!scroller) throw new Error('no [data-testid="grid"] scroll container');
      // Long-animation-frame entries say where a slow frame went: scripts, then rendering from
      // renderStart; what is left is time the main thread did not spend (raster, decode, waiting).
      interface LongFrame extends PerformanceEntry {
        renderStart: number;
        scripts: { duration: number }[];
      }
      const long: { duration: number; work: number }[] = [];
      const observer = new PerformanceObserver((list) =>
        (list.getEntries() as LongFrame[]).forEach((entry) => {
          const rendering = entry.renderStart ? entry.startTime + entry.duration - entry.renderStart : 0;
          long.push({ duration: entry.duration, work: rendering + entry.scripts.reduce((sum, script) => sum + script.duration, 0) });
        }),
      );
      try {
        observer.observe({ type: 'long-animation-frame', buffered: false } as unknown as PerformanceObserverInit);
      } catch {
        // Older Chromium: the rAF intervals below still tell.
      }
      const intervals: number[] = [];
      const startTop = scroller.scrollTop;
      await new Promise<void>((resolve) => {
        let last = 0;
        let n = 0;
        const step = (time: number) => {
          if (last) intervals.push(time - last);
          last = time;
          if (++n > count) return resolve();
          // Back to the top at the end, so long runs keep scrolling through rows not seen yet.
          if (scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 1) scroller.scrollTop = 0;
          else scroller.scrollTop += pxPerFrame;
          requestAnimationFrame(step);
        };
        requestAnimationFrame(step);
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      observer.disconnect();
      const sorted = [...intervals].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
      return {
        frames: intervals.length,
        maxMs: sorted.at(-1) ?? 0,
        p95Ms: at(0.95),
        p99Ms: at(0.99),
        over50: intervals.filter((ms) => ms > 50).length,
        longAnimationFrames: long.filter((frame) => frame.duration > 50).length,
        worstLongFrameMs: Math.max(0, ...long.map((frame) => frame.duration)),
        worstLongFrameWorkMs: Math.max(0, ...long.filter((frame) => frame.duration > 50).map((frame) => frame.work)),
        distancePx: Math.abs(scroller.scrollTop - startTop),
      };
    },
    { count, pxPerFrame },
  );
}

/** Types a query and returns the ms from the answer arriving to its results painted. */
async function searchPaint(page: Page, query: string): Promise<number> {
  const input = page.getByTestId('search-input');
  await input.fill('');
  await page.evaluate(() => {
    const perf = (window as unknown as { __irisPerf: { lastSearchPaintedAt: number | null } }).__irisPerf;
    perf.lastSearchPaintedAt = null;
  });
  await input.fill(query);
  await page.waitForFunction(() => {
    const perf = (window as unknown as { __irisPerf: { lastSearchAnswerAt: number | null; lastSearchPaintedAt: number | null } }).__irisPerf;
    return perf.lastSearchPaintedAt !== null && perf.lastSearchAnswerAt !== null && perf.lastSearchPaintedAt >= perf.lastSearchAnswerAt;
  }, undefined, { timeout: 30_000 });
  return page.evaluate(() => {
    const perf = (window as unknown as { __irisPerf: { lastSearchAnswerAt: number; lastSearchPaintedAt: number } }).__irisPerf;
    return perf.lastSearchPaintedAt - perf.lastSearchAnswerAt;
  });
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function main(): Promise<void> {
  const missing = chromiumMissing();
  if (missing) {
    console.error(`bench:ui cannot run: ${missing}`);
    process.exit(2);
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'iris-ui-bench-'));
  try {
    let started = performance.now();
    const engine = await syntheticLibrary(path.join(work, 'library'), fixtureModels, photoCount);
    console.log(`synthetic library: ${photoCount} photos in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    // No service.start(): the photo files do not exist, and a scan would forget them.
    const service = new EngineService(engine, { watch: false });
    const server = await startServer({ service });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      started = performance.now();
      await page.goto(server.url);
      await page.waitForFunction(() => (window as unknown as { __irisPerf?: { gridReady: number | null } }).__irisPerf?.gridReady != null, undefined, { timeout: 60_000 });
      const paints = await page.evaluate(() => ({
        fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
        gridReady: (window as unknown as { __irisPerf: { gridReady: number } }).__irisPerf.gridReady,
        cells: document.querySelectorAll('[data-testid="grid-cell"]').length,
      }));
      console.log(`first contentful paint ${paints.fcp?.toFixed(0)} ms, grid painted ${paints.gridReady.toFixed(0)} ms (${paints.cells} cells in the DOM for ${photoCount} photos)`);
      await page.waitForTimeout(500);
      const gentle = await scrollFrames(page, frames, 40);
      const steady = await scrollFrames(page, frames, 120);
      const fling = await scrollFrames(page, Math.max(60, Math.floor(frames / 4)), 2400);
      const queries = ['red', 'a dog on the beach', 'blue sky', 'green', 'night city lights'];
      const searchPaints: number[] = [];
      for (const query of queries) searchPaints.push(await searchPaint(page, query));
      const rows = [
        ['Photos in the library', String(photoCount), 'synthetic rows + hard-linked 256 px WebP thumbnails, random 512-d vectors'],
        ['First contentful paint', paints.fcp === null ? 'n/a' : fmt(paints.fcp), 'navigation start → FCP (Chromium paint timing)'],
        ['Grid painted', fmt(paints.gridReady), 'navigation start → first grid rows painted (timeline of all photos fetched and laid out)'],
        ['Cells in the DOM', String(paints.cells), 'virtualised: only visible rows + overscan'],
        ...([['reading scroll, 40 px/frame', gentle], ['fast scroll, 120 px/frame', steady], ['fling, 2400 px/frame', fling]] as const).flatMap(([label, stats]) => [
          [`Frame time, ${label}`, `max ${fmt(stats.maxMs)}, p99 ${fmt(stats.p99Ms)}, p95 ${fmt(stats.p95Ms)}`, `${stats.frames} frames; goal: no frame over 50 ms`],
          [`Frames over 50 ms, ${label}`, `${stats.over50} (long-animation-frame entries > 50 ms: ${stats.longAnimationFrames}, worst ${fmt(stats.worstLongFrameMs)}, of which main-thread script + rendering at most ${fmt(stats.worstLongFrameWorkMs)})`, `${(stats.distancePx / 1000).toFixed(0)}k px scrolled`],
        ]),
        ['Search answer → results painted', `median ${fmt([...searchPaints].sort((a, b) => a - b)[Math.floor(searchPaints.length / 2)]!)}, max ${fmt(Math.max(...searchPaints))}`, `${queries.length} queries; goal: within 100 ms`],
      ];
      const table = markdownTable(rows);
      console.log(table);
      if (!values['no-write']) {
        const section = [
          START,
          '## UI: grid and search in Chromium (bench:ui)',
          '',
          `Run: \`${commandLine('bench:ui', 'dist/test/bench/ui-bench.js', process.argv.slice(2))}\` on ${new Date().toISOString().slice(0, 10)}.`,
          ...machineBasics(),
          `- Browser: Debian Chromium (${CHROMIUM_PATH}, ${browser.version()}), headless, --disable-gpu (software compositing), viewport 1440×900`,
          '',
          table,
          END,
        ].join('\n');
        writeBenchmarksSection(START, END, section);
        console.log('BENCHMARKS.md updated');
      }
    } finally {
      await browser.close();
      await server.close();
      await service.close();
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
