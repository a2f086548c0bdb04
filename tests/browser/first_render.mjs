// first_render.mjs URL [LOADS] — the runs page's first render in Debian's
// chromium, for tools/bench_serve.cpp: each load in a fresh browser context
// (nothing cached), timed from navigation start to the end of the frame
// that first shows the table's rows, and of the frame that shows all of
// them; beside it, the browser opening /api/runs alone (the data without
// the page), timed the same way to the end of the frame that first shows
// the loaded document, as the baseline.
//
// The moment is taken inside the page by a small script the browser runs
// before the page's own (addInitScript): on each animation frame it checks
// whether the content is there; the first frame that finds it is the one
// that draws it. That frame's end (its style, layout and paint on the main
// thread) is the end of its long-animation-frame entry, which the browser
// records for every frame over 50 ms; for a shorter frame it is when a task
// queued from the frame runs (which may wait behind other tasks, so it is
// printed too). The page reports on the console, so nothing polls it from
// outside (playwright's waitForFunction injects and compiles its own script
// into the page, competing with the page for the main thread and finding
// the rows up to a few hundred ms late). Also printed: when that frame was
// presented (first-contentful-paint, after raster and compositing), where
// it is that frame.
//
// Printed: the medians of both, their ratio, and where the page's time
// goes (navigation and resource timing of the same loads).
import { chromium } from 'playwright-core';

const [base, loadsText] = process.argv.slice(2);
const loads = Number(loadsText || 10);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

// Runs in the page before its own scripts; `ready` says whether the
// content is there, `complete` (optional) whether all of it is. (Handed
// over as source text, not through eval: the page's CSP forbids eval.)
function watch(ready, complete) {
  const moments = {};
  // The browser's record of each frame that took over 50 ms: where its
  // rendering began and where its main-thread work (style, layout, paint)
  // ended, which a task queued from the frame may only see later, behind
  // other tasks (the page's script, say).
  window.__longFrames = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longFrames.push({ render: e.renderStart, end: e.startTime + e.duration });
  }).observe({ type: 'long-animation-frame', buffered: true });
  requestAnimationFrame(function frame() {
    const now = performance.now();
    const rows = document.querySelectorAll('table.runs tbody tr').length;
    const report = (name) => setTimeout(() => {
      moments[name] = { drawn: now, painted: performance.now(), rows };
      if (moments.first && (moments.all || !complete)) console.debug('first-render ' + JSON.stringify(moments));
    }, 0);
    if (!moments.seenFirst && ready()) { moments.seenFirst = true; report('first'); }
    if (complete && !moments.seenAll && complete()) { moments.seenAll = true; report('all'); }
    if (!moments.seenFirst || (complete && !moments.seenAll)) requestAnimationFrame(frame);
  });
}

async function timedLoad(url, ready, complete) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.addInitScript(`(${watch})(${ready}, ${complete || 'undefined'})`);
  const reported = page.waitForEvent('console', { predicate: (m) => m.text().startsWith('first-render '), timeout: 20000 });
  await page.goto(url, { waitUntil: 'commit' });
  const moments = JSON.parse((await reported).text().slice('first-render '.length));
  const moment = { drawn: moments.first.drawn, painted: moments.first.painted, firstRows: moments.first.rows, all: moments.all ? moments.all.painted : undefined, allDrawn: moments.all ? moments.all.drawn : undefined };
  // The browser's own record of when the first frame with content reached
  // the screen (its presentation, after raster and compositing): read once
  // it is there, after the measurement, so it costs the page nothing.
  await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0, null, { timeout: 10000 });
  await page.waitForTimeout(100);  // the long-frame entries arrive after their frame
  const timing = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const longFrames = window.__longFrames;
    const fcp = performance.getEntriesByName('first-contentful-paint')[0].startTime;
    const ends = {};
    for (const r of performance.getEntriesByType('resource')) ends[new URL(r.name).pathname] = r.responseEnd;
    return {
      html: nav.responseEnd, dcl: nav.domContentLoadedEventEnd, ends, fcp, longFrames,
      rows: document.querySelectorAll('table.runs tbody tr').length,
    };
  });
  await context.close();
  // The end of the frame that drew it: its long-frame entry, or, for a
  // frame under 50 ms, the task queued from it.
  const frameEnd = (drawn, queued) => {
    const entry = timing.longFrames.find((f) => f.render <= drawn + 0.5 && f.end >= drawn);
    return entry ? entry.end : queued;
  };
  return { ...moment, ...timing, painted: frameEnd(moment.drawn, moment.painted), queued: moment.painted,
    all: moment.allDrawn === undefined ? undefined : frameEnd(moment.allDrawn, moment.all) };
}

function median(values) {
  const sorted = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
}

const pages = [];
const bare = [];
for (let i = 0; i < loads; i++) {
  // The first frame with rows in it, and the first with all the page's
  // rows (its heading says how many: "50 runs").
  // (The server draws the first screen into the HTML, so the rows may be
  // painted before the page's script has run.)
  pages.push(await timedLoad(base + 'runs', () =>
    document.querySelectorAll('table.runs tbody tr').length > 0, () => {
    const heading = document.querySelector('main h1 .muted');
    const shown = heading ? parseInt(heading.textContent, 10) : NaN;
    return shown > 0 && document.querySelectorAll('table.runs tbody tr').length === shown;
  }));
  bare.push(await timedLoad(base + 'api/runs', () => document.readyState === 'complete'));
}
await browser.close();

const p = median(pages.map((l) => l.painted));
const d = median(bare.map((l) => l.painted));
const ms = (v) => (Number.isNaN(v) ? '-' : v.toFixed(0));
const resources = [...new Set(pages.flatMap((l) => Object.keys(l.ends)))].filter((r) => !r.endsWith('.svg'));
console.log(`  runs page, first frame with rows (${median(pages.map((l) => l.firstRows))} of ${pages[0].rows})   median ${p.toFixed(1)} ms   max ${Math.max(...pages.map((l) => l.painted)).toFixed(1)} ms   (${loads} loads)`);
console.log(`  (a task queued from that frame ran at median ${median(pages.map((l) => l.queued)).toFixed(1)} ms; the baseline's at ${median(bare.map((l) => l.queued)).toFixed(1)} ms)`);
console.log(`  all ${pages[0].rows} rows painted                 median ${median(pages.map((l) => l.all)).toFixed(1)} ms   max ${Math.max(...pages.map((l) => l.all)).toFixed(1)} ms`);
// First contentful paint is the frame with the rows when it comes no
// earlier than that frame (a frame before it showed no rows, so the rows'
// frame is the first with content); for the bare JSON it is the document.
const presented = pages.filter((l) => l.fcp >= l.drawn).map((l) => l.fcp);
console.log(`  that frame presented (first-contentful-paint; ${presented.length} of ${loads} loads) median ${median(presented).toFixed(1)} ms;` +
  ` the baseline's ${median(bare.map((l) => l.fcp)).toFixed(1)} ms`);
console.log(`  /api/runs opened alone (baseline) median ${d.toFixed(1)} ms   max ${Math.max(...bare.map((l) => l.painted)).toFixed(1)} ms   ratio ${(p / d).toFixed(1)}x`);
console.log(`  the page's medians, ms from navigation start: HTML received ${ms(median(pages.map((l) => l.html)))}, ` +
  resources.map((r) => `${r.slice(r.lastIndexOf('/') + 1)} ${ms(median(pages.map((l) => l.ends[r])))}`).join(', ') +
  `, DOMContentLoaded ${ms(median(pages.map((l) => l.dcl)))}, rows in the frame at ${ms(median(pages.map((l) => l.drawn)))}, painted ${ms(p)}`);
console.log(`  the baseline's: JSON received ${ms(median(bare.map((l) => l.html)))}, painted ${ms(d)}`);
