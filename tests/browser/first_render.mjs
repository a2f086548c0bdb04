// first_render.mjs URL [LOADS] — the runs page's first render in Debian's
// chromium, for tools/bench_serve.cpp: each load in a fresh browser context
// (nothing cached), timed from navigation start to the moment the table
// holds its rows; beside it, the browser opening /api/runs alone (the data
// without the page) as the baseline.
import { chromium } from 'playwright-core';

const [base, loadsText] = process.argv.slice(2);
const loads = Number(loadsText || 10);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const page_ms = [];
const data_ms = [];
let rows = 0;
for (let i = 0; i < loads; i++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(base + 'runs', { waitUntil: 'commit' });
  const handle = await page.waitForFunction(() =>
    document.body.hasAttribute('data-ready') && document.querySelectorAll('table.runs tbody tr').length > 0
      ? performance.now() : false, null, { polling: 'raf' });
  page_ms.push(await handle.jsonValue());
  rows = await page.$$eval('table.runs tbody tr', (r) => r.length);
  await context.close();

  const bare = await browser.newContext();
  const json = await bare.newPage();
  await json.goto(base + 'api/runs', { waitUntil: 'load' });
  data_ms.push(await json.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd));
  await bare.close();
}
await browser.close();
const p = median(page_ms);
const d = median(data_ms);
console.log(`  runs page, ${rows} rows rendered   median ${p.toFixed(1)} ms   max ${Math.max(...page_ms).toFixed(1)} ms   (${loads} loads)`);
console.log(`  /api/runs opened alone (baseline) median ${d.toFixed(1)} ms   max ${Math.max(...data_ms).toFixed(1)} ms   ratio ${(p / d).toFixed(1)}x`);
