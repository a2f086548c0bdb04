// other_pages.js — /recovery, /sql and /stats.
import { apiURL, debounce, follow, getJSON } from './api.js';
import { h, replace } from './dom.js';
import { clip, duration, STATUSES, statusBadge, time } from './format.js';
import { jsonTree } from './json_tree.js';

function runLink(id) {
  return h('a', { href: '/runs/' + encodeURIComponent(id), class: 'mono' }, clip(id, 48));
}

// Draws once, then again (debounced) whenever the journal changes.
async function live(draw) {
  const stats = await getJSON('/api/stats');
  follow({ after: stats.last_position, payloads: 0 }, debounce(draw, 300));
}

export async function recoveryPage(main, params) {
  const include = params.get('include_interrupted') === '1';
  const url = apiURL('/api/recovery', { include_interrupted: include ? '1' : '' });
  document.getElementById('json-link').setAttribute('href', url);
  const table = h('div', {});
  const draw = async () => {
    const body = await getJSON(url);
    if (body.runs.length === 0) {
      replace(table, h('p', { class: 'muted' }, 'No run was cut off: every unfinished run has a live driver.'));
      return;
    }
    replace(table, h('table', { class: 'recovery' },
      h('thead', {}, h('tr', {}, ['status', 'run', 'session', 'prompt', 'silent for', 'why', 'checkpoint'].map((c) => h('th', {}, c)))),
      h('tbody', {}, body.runs.map((r) => h('tr', { 'data-run-id': r.run.run_id },
        h('td', {}, statusBadge(r.run.status)),
        h('td', {}, runLink(r.run.run_id)),
        h('td', {}, clip(r.run.session_id, 32)),
        h('td', { class: 'prompt' }, clip(r.run.prompt, 100)),
        h('td', { class: 'num nowrap' }, duration(r.silent_ms)),
        h('td', {}, r.why),
        h('td', {}, r.checkpoint ? [h('span', { class: 'mono' }, r.checkpoint.checkpoint_id), jsonTree(r.checkpoint.state, 0)] : h('span', { class: 'muted' }, 'none')))))));
  };
  replace(main,
    h('h1', {}, 'Recovery'),
    h('p', { class: 'muted' }, 'What recover() would list: unfinished runs whose driving process is gone, with their latest live checkpoint. Listing changes nothing.'),
    h('form', { method: 'get', action: '/recovery', class: 'filters' },
      h('label', {}, h('input', { type: 'checkbox', name: 'include_interrupted', value: '1', checked: include }), ' include runs already interrupted'),
      h('button', { type: 'submit' }, 'Show')),
    table);
  await draw();
  await live(draw);
}

function cellNode(value) {
  if (value === null) return h('span', { class: 'j-null' }, 'NULL');
  if (typeof value === 'object') return jsonTree(value, 0);
  return clip(String(value), 500);
}

export async function sqlPage(main, params) {
  const query = params.get('q') || '';
  const url = query ? apiURL('/api/sql', { q: query }) : '/api/sql';
  document.getElementById('json-link').setAttribute('href', url);
  const examples = [
    'SELECT status, count(*) AS runs FROM runs GROUP BY status ORDER BY status',
    'SELECT run_id, prompt, duration_s FROM runs_readable ORDER BY first_position DESC LIMIT 20',
    "SELECT kind, count(*) AS events FROM events GROUP BY kind ORDER BY events DESC",
  ];
  const result = h('div', { class: 'sql-result' });
  replace(main,
    h('h1', {}, 'SQL'),
    h('p', { class: 'muted' }, 'One read-only statement, through the same gate as runjournal sql: writes, ATTACH and PRAGMAs that change anything are refused; 5 s and 10,000 rows at most here (downloads: 200,000).'),
    h('form', { method: 'get', action: '/sql', class: 'sql-form' },
      h('textarea', { name: 'q', rows: 5, spellcheck: 'false', 'aria-label': 'SQL query' }, query),
      h('div', {}, h('button', { type: 'submit' }, 'Run'),
        ' ', examples.map((e) => [' ', h('a', { href: apiURL('/sql', { q: e }), class: 'example' }, clip(e, 48))]))),
    result);
  if (!query) return;
  try {
    const body = await getJSON(url);
    replace(result,
      h('p', {}, body.rows.length + (body.rows.length === 1 ? ' row · ' : ' rows · '),
        h('a', { href: apiURL('/api/sql', { q: query, format: 'csv' }), download: 'query.csv' }, 'CSV'), ' · ',
        h('a', { href: apiURL('/api/sql', { q: query, format: 'objects' }), download: 'query.json' }, 'JSON')),
      h('div', { class: 'scroll' }, h('table', { class: 'sql' },
        h('thead', {}, h('tr', {}, body.columns.map((c) => h('th', {}, c)))),
        h('tbody', {}, body.rows.map((r) => h('tr', {}, r.map((v) => h('td', {}, cellNode(v)))))))));
  } catch (e) {
    replace(result, h('p', { class: 'error-text' }, (e.code ? e.code + ': ' : '') + e.message));
  }
}

function bytes(n) {
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KiB';
  if (n < 1024 * 1024 * 1024) return (n / 1024 / 1024).toFixed(1) + ' MiB';
  return (n / 1024 / 1024 / 1024).toFixed(2) + ' GiB';
}

export async function statsPage(main) {
  document.getElementById('json-link').setAttribute('href', '/api/stats');
  const slot = h('div', {});
  const draw = async () => {
    const s = await getJSON('/api/stats');
    const row = (k, v) => h('tr', {}, h('th', {}, k), h('td', { class: 'num' }, v));
    replace(slot,
      h('table', { class: 'stats' }, h('tbody', {},
        row('runs', String(s.runs)), row('events', String(s.events)),
        row('positions', s.first_position + ' … ' + s.last_position + ' (assigned ' + s.assigned_position + ')'),
        row('file', bytes(s.file_bytes) + ' + WAL ' + bytes(s.wal_bytes)),
        row('pages', s.page_count + ' × ' + s.page_size + ' B, ' + s.free_pages + ' free'),
        row('schema / projector', s.schema_version + ' / ' + s.projector_version),
        row('SQLite', s.sqlite_version), row('journal id', s.journal_id), row('path', s.path))),
      h('h2', {}, 'Runs by status'),
      h('table', { class: 'stats' }, h('tbody', {}, STATUSES.map((st) =>
        h('tr', {}, h('th', {}, h('a', { href: apiURL('/runs', { status: st }) }, statusBadge(st))), h('td', { class: 'num' }, String(s.runs_by_status[st] || 0)))))),
      h('p', { class: 'muted' }, 'as of ' + time(Date.now())));
  };
  replace(main, h('h1', {}, 'Stats'), slot);
  await draw();
  await live(draw);
}
