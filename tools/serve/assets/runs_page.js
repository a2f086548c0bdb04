// runs_page.js — /runs: the runs, newest first, filtered and paged by the
// URL's parameters (the same as /api/runs takes), live.
import { apiURL, debounce, follow, getJSON, pageData } from './api.js';
import { h, replace } from './dom.js';
import { clip, duration, runDuration, STATUSES, statusBadge, time, TERMINAL } from './format.js';

const FILTERS = ['status', 'session', 'since', 'until', 'q', 'order', 'limit'];

function runLink(id) {
  return '/runs/' + encodeURIComponent(id);
}

function row(run, now) {
  return h('tr', { 'data-run-id': run.run_id, class: TERMINAL.has(run.status) ? '' : 'is-live' },
    h('td', {}, statusBadge(run.status, run.status_reason)),
    h('td', { class: 'mono' }, h('a', { href: runLink(run.run_id), class: 'run-link' }, clip(run.run_id, 48))),
    h('td', {}, h('a', { href: apiURL('/runs', { session: run.session_id }), class: 'session-link' }, clip(run.session_id, 32))),
    h('td', { class: 'prompt', title: clip(run.prompt, 2000) }, clip(run.prompt, 120)),
    h('td', { class: 'nowrap' }, time(run.created_at_ms)),
    h('td', { class: 'nowrap num duration', 'data-created': run.created_at_ms,
      'data-finished': run.finished_at_ms === null ? '' : run.finished_at_ms }, duration(runDuration(run, now))),
    h('td', { class: 'num' }, String(run.event_count)));
}

function filterForm(params) {
  const input = (name, placeholder, size) =>
    h('input', { name, value: params.get(name) || '', placeholder, size, autocomplete: 'off', spellcheck: 'false' });
  const status = h('select', { name: 'status' }, h('option', { value: '' }, 'any status'),
    STATUSES.map((s) => h('option', { value: s, selected: params.get('status') === s }, s)));
  const order = h('select', { name: 'order' },
    h('option', { value: 'newest', selected: params.get('order') !== 'oldest' }, 'newest first'),
    h('option', { value: 'oldest', selected: params.get('order') === 'oldest' }, 'oldest first'));
  return h('form', { class: 'filters', method: 'get', action: '/runs' },
    status,
    input('session', 'session', 14),
    input('since', 'since: 1h, 2025-01-31', 16),
    input('until', 'until', 12),
    input('q', 'text in prompt, run id, session', 26),
    order,
    params.get('limit') ? h('input', { type: 'hidden', name: 'limit', value: params.get('limit') }) : null,
    h('button', { type: 'submit' }, 'Filter'),
    h('a', { href: '/runs', class: 'clear' }, 'clear'));
}

function pager(params, body) {
  const base = {};
  for (const name of FILTERS) if (params.get(name)) base[name] = params.get(name);
  const newest = body.order === 'newest';
  const links = [];
  if (body.prev_before) {
    links.push(h('a', { href: apiURL('/runs', { ...base, before: body.prev_before }), class: 'prev' }, newest ? '← newer' : '← older'));
  }
  if (params.get('after') || params.get('before')) links.push(h('a', { href: apiURL('/runs', base), class: 'first' }, newest ? 'newest' : 'oldest'));
  if (body.next_after) {
    links.push(h('a', { href: apiURL('/runs', { ...base, after: body.next_after }), class: 'next' }, newest ? 'older →' : 'newer →'));
  }
  return h('nav', { class: 'pager' }, links);
}

export async function runsPage(main, params) {
  const query = {};
  for (const name of [...FILTERS, 'after', 'before']) if (params.get(name)) query[name] = params.get(name);
  const url = apiURL('/api/runs', query);
  document.getElementById('json-link').setAttribute('href', url);
  // The server sends the first answer in the page itself (the same body
  // as `url` gives), and draws the page's first screen from it into <main>
  // (runs_page_html.cpp): those elements are taken over, not drawn again.
  // Fetched and drawn here only when the server could not (an error to
  // show).
  const served = pageData('runs-data');
  let body = served || await getJSON(url);
  const servedRows = served === null ? null : main.querySelector(':scope > table.runs > tbody');
  const drawnByServer = servedRows !== null;
  const tbody = drawnByServer ? servedRows : h('tbody', {});
  const notice = drawnByServer ? main.querySelector(':scope > p.notice') : h('p', { class: 'notice', 'aria-live': 'polite' });
  const count = drawnByServer ? main.querySelector(':scope > h1 > span.muted') : h('span', { class: 'muted' });
  const pagerSlot = drawnByServer ? main.lastElementChild : h('div', {});
  const draw = (changed) => {
    const now = Date.now();
    replace(tbody, body.runs.map((run) => {
      const tr = row(run, now);
      if (changed && changed.has(run.run_id)) tr.classList.add('flash');
      return tr;
    }));
    replace(count, body.runs.length === 0 ? 'no runs match' : body.runs.length + (body.runs.length === 1 ? ' run' : ' runs'));
    replace(pagerSlot, pager(params, body));
  };
  if (!drawnByServer) {
    const table = h('table', { class: 'runs' },
      h('thead', {}, h('tr', {}, ['status', 'run', 'session', 'prompt', 'created (UTC)', 'duration', 'events'].map((c) => h('th', {}, c)))),
      tbody);
    replace(main, h('h1', {}, 'Runs ', count), filterForm(params), notice, table, pagerSlot);
    draw(null);
  }

  // Live: the first page is fetched again when anything changes; a deeper
  // page refreshes the runs it shows and says how many are new.
  const firstPage = !params.get('after') && !params.get('before') && body.order === 'newest';
  const pending = new Set();
  let created = 0;
  const refresh = debounce(async () => {
    const changed = new Set(pending);
    pending.clear();
    try {
      if (firstPage) {
        body = await getJSON(url);
      } else {
        const shown = new Set(body.runs.map((r) => r.run_id));
        for (const id of changed) {
          if (!shown.has(id)) continue;
          const one = await getJSON('/api/runs/' + encodeURIComponent(id));
          body.runs = body.runs.map((r) => (r.run_id === id ? one.run : r));
        }
        if (created > 0) replace(notice, h('a', { href: '/runs' }, created + ' new ' + (created === 1 ? 'run' : 'runs') + ': show the newest'));
      }
      draw(changed);
    } catch (e) {
      replace(notice, 'live update failed: ' + e.message);
    }
  }, 80);
  follow({ after: body.position, payloads: 0 }, (event) => {
    pending.add(event.run_id);
    if (event.kind === 'run_created') created += 1;
    refresh();
  });
  // Live runs' durations tick.
  setInterval(() => {
    const now = Date.now();
    for (const cell of tbody.querySelectorAll('tr.is-live td.duration')) {
      const createdAt = Number(cell.getAttribute('data-created'));
      replace(cell, duration(now - createdAt));
    }
  }, 1000);
}
