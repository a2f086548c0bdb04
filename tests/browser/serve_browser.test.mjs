// serve_browser.test.mjs — `runjournal serve` in a real browser.
//
// Debian's chromium (/usr/bin/chromium), headless, driven by playwright-core
// (which downloads no browser): the runs page opens; a run that another
// process (the runjournal command line) appends shows up within a second;
// its page shows the timeline of its events; clicking an event expands its
// payload; a hostile payload renders as text and runs nothing.
//
// Environment: RUNJOURNAL_CLI (the built binary; required), SCREENSHOT (a
// PNG path for the run page; default: in the test's temporary directory),
// SERVE_PIDFILE (where to write the server's pid, for run.sh's cleanup).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const CLI = process.env.RUNJOURNAL_CLI;
assert.ok(CLI, 'RUNJOURNAL_CLI must name the runjournal binary');
const HOSTILE = '<img src=x onerror="window.__pwned=1"></script><script>window.__pwned=2</script>';

const dir = mkdtempSync(join(tmpdir(), 'runjournal-browser-'));
const db = join(dir, 'agent.journal');
const screenshot = process.env.SCREENSHOT || join(dir, 'serve.png');
let server = null;
let browser = null;  // a persistent BrowserContext on a fresh profile
let base = '';

function cli(...args) {
  return execFileSync(CLI, args, { encoding: 'utf8' }).trim();
}

function startServer() {
  return new Promise((resolve, reject) => {
    server = spawn(CLI, ['serve', db, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    // run.sh stops it by this pid should the test itself be stopped.
    if (process.env.SERVE_PIDFILE) writeFileSync(process.env.SERVE_PIDFILE, String(server.pid));
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
      if (m) resolve(m[0]);
    });
    server.on('exit', (code) => reject(new Error('runjournal serve exited with ' + code + ': ' + out)));
  });
}

before(async () => {
  cli('init', db);
  // A finished run with paired events (spans), a live one, a failed one.
  const done = cli('start', db, '--session', 'docs', '--prompt', 'write the release notes', '--id', 'run-notes');
  cli('append', db, done, 'turn_started', '{"turn":1}');
  cli('append', db, done, 'tool_started', '{"tool_name":"search","query":"changelog"}');
  cli('append', db, done, 'tool_result', '{"tool_name":"search","hits":12}');
  cli('append', db, done, 'node_entered', '{"node":"draft"}');
  cli('append', db, done, 'node_exited', '{"node":"draft"}');
  cli('complete', db, done, '--result', 'notes written');
  cli('start', db, '--session', 'ops', '--prompt', 'deploy to staging', '--id', 'run-deploy');
  cli('fail', db, cli('start', db, '--session', 'ops', '--prompt', 'migrate the database', '--id', 'run-migrate'),
    '--error', 'lock timeout');
  cli('start', db, '--session', 'evil', '--prompt', HOSTILE, '--id', 'run-hostile');
  cli('append', db, 'run-hostile', 'tool_called', JSON.stringify({ html: HOSTILE, nested: { deeper: HOSTILE } }));
  base = await startServer();
  // A fresh profile (--user-data-dir) per run: nothing cached from before.
  browser = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.on('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

// A page that records what must never happen: a dialog, a script error, a
// request to anywhere but this server.
async function watchedPage() {
  const page = await browser.newPage();
  const problems = [];
  page.on('dialog', (d) => { problems.push('dialog: ' + d.message()); d.dismiss(); });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  page.on('request', (r) => { if (!r.url().startsWith(base)) problems.push('foreign request: ' + r.url()); });
  return { page, problems };
}

test('the runs page lists runs newest first, and a run another process starts appears within a second', async () => {
  const { page, problems } = await watchedPage();
  await page.goto(base + 'runs');
  await page.waitForSelector('table.runs tbody tr');
  const ids = await page.$$eval('table.runs tbody tr', (rows) => rows.map((r) => r.getAttribute('data-run-id')));
  assert.deepEqual(ids, ['run-hostile', 'run-migrate', 'run-deploy', 'run-notes']);
  assert.equal(await page.textContent('tr[data-run-id="run-migrate"] .status'), 'failed');
  await page.waitForSelector('#live.on');  // the stream is open

  const started = Date.now();
  cli('start', db, '--session', 'live', '--prompt', 'appeared while watching', '--id', 'run-live');
  await page.waitForSelector('tr[data-run-id="run-live"]', { timeout: 1000 });
  const seenAfter = Date.now() - started;
  assert.ok(seenAfter < 1000, 'the new run took ' + seenAfter + ' ms to appear');
  assert.equal(await page.textContent('tr[data-run-id="run-live"] .status'), 'created');

  // A status change shows without a reload too.
  cli('append', db, 'run-live', 'tool_called', '{"tool_name":"ls"}');
  await page.waitForFunction(() =>
    document.querySelector('tr[data-run-id="run-live"] .status')?.textContent === 'executing', null, { timeout: 1000 });

  // Filters are URL parameters: the page is shareable and reloadable.
  // The first page's runs come in the page itself: no request for them.
  const asked = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname === '/api/runs') asked.push(r.url()); });
  await page.goto(base + 'runs?status=failed');
  await page.waitForSelector('table.runs tbody tr');
  const failed = await page.$$eval('table.runs tbody tr', (rows) => rows.map((r) => r.getAttribute('data-run-id')));
  assert.deepEqual(failed, ['run-migrate']);
  assert.deepEqual(asked, []);
  assert.equal(await page.getAttribute('#json-link', 'href'), '/api/runs?status=failed');
  assert.equal(await page.locator('#runs-data').count(), 0);  // read once, then gone
  // Filters the API refuses: the page asks for them and shows its error.
  await page.goto(base + 'runs?status=nope');
  await page.waitForSelector('main .error-text');
  assert.match(await page.textContent('main .error-text'), /^bad_request: unknown status 'nope'/);
  assert.deepEqual(asked, [base + 'api/runs?status=nope']);
  assert.deepEqual(problems.filter((p) => !p.includes('400 (Bad Request)')), []);
  await page.close();
});

test('a run page shows its timeline; clicking an event expands its payload', async () => {
  const { page, problems } = await watchedPage();
  await page.goto(base + 'runs');
  await page.click('tr[data-run-id="run-notes"] a.run-link');
  await page.waitForURL(base + 'runs/run-notes');
  await page.waitForSelector('ol.events li.event');
  const kinds = await page.$$eval('ol.events li.event .event-toggle', (els) => els.map((e) => e.textContent));
  assert.deepEqual(kinds, ['run_created', 'turn_started', 'tool_started', 'tool_result', 'node_entered',
    'node_exited', 'run_completed']);
  const spans = await page.$$eval('.waterfall .span-label', (els) => els.map((e) => e.textContent));
  assert.ok(spans.includes('run'), spans.join(', '));
  assert.ok(spans.includes('tool search'), spans.join(', '));
  assert.ok(spans.includes('node draft'), spans.join(', '));
  assert.ok(spans.includes('turn'), spans.join(', '));

  const tool = page.locator('li.event[data-seq="3"]');
  assert.equal(await tool.locator('.payload').isHidden(), true);
  await tool.locator('.event-toggle').click();
  await tool.locator('.payload .json').waitFor();
  const payload = await tool.locator('.payload').textContent();
  assert.ok(payload.includes('"changelog"'), payload);
  assert.equal(await tool.locator('.event-toggle').getAttribute('aria-expanded'), 'true');
  await page.screenshot({ path: screenshot, fullPage: true });

  // A live run's page grows as the run does.
  await page.goto(base + 'runs/run-deploy');
  await page.waitForSelector('ol.events li.event');
  cli('append', db, 'run-deploy', 'step_started', '{"name":"push"}');
  await page.waitForSelector('li.event[data-seq="2"]', { timeout: 1000 });
  assert.equal(await page.textContent('li.event[data-seq="2"] .event-toggle'), 'step_started');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a hostile payload and prompt render as text and run nothing', async () => {
  const { page, problems } = await watchedPage();
  await page.goto(base + 'runs');
  await page.waitForSelector('tr[data-run-id="run-hostile"]');
  assert.equal(await page.textContent('tr[data-run-id="run-hostile"] td.prompt'), HOSTILE);
  // It came in the page's data block: still one script, the bundle.
  assert.deepEqual(await page.$$eval('script', (all) => all.map((s) => s.getAttribute('src'))), ['/assets/bundle.js']);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await page.goto(base + 'runs/run-hostile');
  await page.waitForSelector('li.event[data-seq="2"]');
  await page.click('li.event[data-seq="2"] .event-toggle');
  await page.locator('li.event[data-seq="2"] .payload .json').waitFor();
  // Open every level of the tree, so every string is in the DOM.
  await page.$$eval('li.event[data-seq="2"] details', (all) => all.forEach((d) => { d.open = true; }));
  const text = await page.textContent('li.event[data-seq="2"] .payload');
  assert.ok(text.includes(JSON.stringify(HOSTILE)), text);
  assert.equal(await page.textContent('.facts .prompt-full'), HOSTILE);
  assert.equal(await page.locator('main img').count(), 0);
  assert.equal(await page.locator('main script').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.deepEqual(problems, []);
  await page.close();
});

// The runs page's <main> as the browser holds it, with what changes by
// itself (the ticking durations of live runs) left out.
async function runsMain(page) {
  await page.waitForSelector('body[data-ready] table.runs');
  return page.$eval('#main', (main) => {
    const copy = main.cloneNode(true);
    for (const cell of copy.querySelectorAll('tr.is-live td.duration')) cell.textContent = '';
    return copy.innerHTML;
  });
}

test('the server draws the runs page as its script does, and without the script the runs are there as text', async () => {
  const tricky = ['quotes " and \' and & and <b>bold</b>', 'emoji \u{1F600} '.repeat(20) + 'past 120 units', 'x'.repeat(130)];
  for (let i = 0; i < 12; i++) {
    cli('start', db, '--session', 'many & more', '--prompt', tricky[i % tricky.length] + ' ' + i, '--id', 'run many/' + String(i).padStart(2, '0'));
  }
  cli('complete', db, 'run many/03', '--result', 'ok');
  cli('fail', db, 'run many/04', '--error', 'boom');
  const pages = ['runs', 'runs?session=many+%26+more&limit=5', 'runs?session=many+%26+more&limit=5&after=run+many%2F07',
    'runs?status=failed&order=oldest', 'runs?session=evil', 'runs?q=nothing-matches-this'];
  const { page, problems } = await watchedPage();
  for (const path of pages) {
    // As served: the server's drawing, taken over by the script.
    await page.goto(base + path);
    const served = await runsMain(page);
    assert.ok(served.includes('<tbody>'), path);
    // The same page with the server's drawing taken out: the script draws
    // it from the same data block.
    await page.route((url) => url.pathname === '/runs', async (route) => {
      const response = await route.fetch();
      const html = (await response.text()).replace(/<main id="main">[\s\S]*<\/main>/, '<main id="main"><p class="muted">Loading…</p></main>');
      await route.fulfill({ response, body: html });
    });
    await page.goto(base + path);
    const drawn = await runsMain(page);
    await page.unrouteAll();
    assert.equal(served, drawn, path);
  }
  // The pager the server drew leads on, five at a time.
  await page.goto(base + 'runs?session=many+%26+more&limit=5');
  await page.click('nav.pager a.next');
  await page.waitForURL(/after=/);
  assert.equal(await page.textContent('main h1 .muted'), '5 runs');

  // Without the script (its load refused), the runs page still lists the
  // runs, and hostile text is text.
  const bare = await browser.newPage();
  await bare.route('**/assets/bundle.js', (route) => route.abort());
  await bare.goto(base + 'runs?session=evil');
  // Styled by the inline app.css, which the CSP lets through by its hash
  // (a refused one would also be a console error, in `problems`).
  assert.equal(await bare.evaluate(() => getComputedStyle(document.querySelector('table.runs .status')).borderTopLeftRadius), '9px');
  assert.equal(await bare.textContent('tr[data-run-id="run-hostile"] td.prompt'), HOSTILE);
  assert.equal(await bare.getAttribute('tr[data-run-id="run-hostile"] td.prompt', 'title'), HOSTILE);
  assert.equal(await bare.locator('main img').count(), 0);
  assert.equal(await bare.locator('main script').count(), 0);
  assert.equal(await bare.evaluate(() => window.__pwned), undefined);
  assert.equal(await bare.getAttribute('tr[data-run-id="run-hostile"] a.session-link', 'href'), '/runs?session=evil');
  await bare.goto(base + 'runs?session=many+%26+more');
  assert.equal(await bare.locator('table.runs tbody tr').count(), 12);
  assert.equal(await bare.getAttribute('tr[data-run-id="run many/00"] a.run-link', 'href'), '/runs/run%20many%2F00');
  assert.equal(await bare.inputValue('form.filters input[name="session"]'), 'many & more');
  await bare.close();
  assert.deepEqual(problems, []);
  await page.close();
});
