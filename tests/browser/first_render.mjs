// first_render.mjs URL [LOADS] — the runs page's first render in Debian's
// chromium, for tools/bench_serve.cpp: each load in a fresh browser context
// (nothing cached), timed from navigation start to the end of the frame
// that first shows the table's rows; beside it, the browser opening
// /api/runs alone (the data without the page), timed the same way to the
// end of the frame that first shows the loaded document, as the baseline.
//
// The moment is taken inside the page by a small script the browser runs
// before the page's own (addInitScript): on each animation frame it checks
// whether the content is there; the first frame that finds it is the one
// that draws it, and a task queued from that frame runs once the frame's
// style, layout and paint are done. The page reports it on the console, so
// nothing polls it from outside (playwright's waitForFunction injects and
// compiles its own script into the page, competing with the page for the
// main thread and finding the rows up to a few hundred ms late).
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
// content is there. (Handed over as source text, not through eval: the
// page's CSP forbids eval.)
function watch(ready) {
  requestAnimationFrame(function frame() {
    if (!ready()) return requestAnimationFrame(frame);
    const drawn = performance.now();
    setTimeout(() => console.debug('first-render ' + JSON.stringify({ drawn, painted: performance.now() })), 0);
  });
}

async function timedLoad(url, ready) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.addInitScript(`(${watch})(${ready})`);
  const reported = page.waitForEvent('console', { predicate: (m) => m.text().startsWith('first-render '), timeout: 20000 });
  await page.goto(url, { waitUntil: 'commit' });
  const moment = JSON.parse((await reported).text().slice('first-render '.length));
  const timing = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const ends = {};
    for (const r of performance.getEntriesByType('resource')) ends[new URL(r.name).pathname] = r.responseEnd;
    return {
      html: nav.responseEnd, dcl: nav.domContentLoadedEventEnd, ends,
      rows: document.querySelectorAll('table.runs tbody tr').length,
    };
  });
  await context.close();
  return { ...moment, ...timing };
}

function median(values) {
  const sorted = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
}

const pages = [];
const bare = [];
for (let i = 0; i < loads; i++) {
  pages.push(await timedLoad(base + 'runs', () =>
    document.body !== null && document.body.hasAttribute('data-ready') &&
    document.querySelectorAll('table.runs tbody tr').length > 0));
  bare.push(await timedLoad(base + 'api/runs', () => document.readyState === 'complete'));
}
await browser.close();

const p = median(pages.map((l) => l.painted));
const d = median(bare.map((l) => l.painted));
const ms = (v) => (Number.isNaN(v) ? '-' : v.toFixed(0));
const resources = [...new Set(pages.flatMap((l) => Object.keys(l.ends)))].filter((r) => !r.endsWith('.svg'));
console.log(`  runs page, ${pages[0].rows} rows rendered   median ${p.toFixed(1)} ms   max ${Math.max(...pages.map((l) => l.painted)).toFixed(1)} ms   (${loads} loads)`);
console.log(`  /api/runs opened alone (baseline) median ${d.toFixed(1)} ms   max ${Math.max(...bare.map((l) => l.painted)).toFixed(1)} ms   ratio ${(p / d).toFixed(1)}x`);
console.log(`  the page's medians, ms from navigation start: HTML received ${ms(median(pages.map((l) => l.html)))}, ` +
  resources.map((r) => `${r.slice(r.lastIndexOf('/') + 1)} ${ms(median(pages.map((l) => l.ends[r])))}`).join(', ') +
  `, DOMContentLoaded ${ms(median(pages.map((l) => l.dcl)))}, rows in the frame at ${ms(median(pages.map((l) => l.drawn)))}, painted ${ms(p)}`);
console.log(`  the baseline's: JSON received ${ms(median(bare.map((l) => l.html)))}, painted ${ms(d)}`);
