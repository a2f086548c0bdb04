// run_page.js — /runs/RUN: one run's state, its spans and its events,
// live while it runs.
import { apiURL, debounce, follow, getJSON } from './api.js';
import { h, replace } from './dom.js';
import { clip, duration, offset, runDuration, statusBadge, time, TERMINAL } from './format.js';
import { jsonTree } from './json_tree.js';
import { spans } from './timeline.js';

// Spans drawn at most (the events list still shows every event).
const MAX_SPANS = 2000;

function fact(label, ...value) {
  return [h('dt', {}, label), h('dd', {}, ...value)];
}

function driverText(run, driver) {
  if (run.driver_pid === null) return 'none recorded';
  const where = run.driver_host + ' pid ' + run.driver_pid;
  if (TERMINAL.has(run.status)) return where;
  const state = driver.alive === true ? 'alive' : driver.alive === false ? 'gone' : 'unknown';
  return [where + ' — ', h('span', { class: 'driver-' + state, title: driver.why }, state), h('span', { class: 'muted' }, ' (' + driver.why + ')')];
}

function facts(body) {
  const run = body.run;
  const now = Date.now();
  const items = [
    fact('status', statusBadge(run.status, run.status_reason), run.status_reason ? h('span', { class: 'muted' }, ' ' + run.status_reason) : null),
    fact('session', h('a', { href: apiURL('/runs', { session: run.session_id }) }, run.session_id)),
    fact('prompt', h('span', { class: 'prompt-full' }, run.prompt)),
    fact('created', time(run.created_at_ms)),
    fact('finished', run.finished_at_ms === null ? h('span', { class: 'muted' }, 'not yet') : time(run.finished_at_ms)),
    fact('duration', duration(runDuration(run, now)), TERMINAL.has(run.status) ? null : h('span', { class: 'muted' }, ' so far')),
    fact('events', String(run.event_count) + ' (last seq ' + run.last_seq + ', position ' + run.last_position + ')'),
    fact('driver', driverText(run, body.driver)),
  ];
  if (run.forked_from_run !== null) {
    items.push(fact('forked from', h('a', { class: 'mono', href: '/runs/' + encodeURIComponent(run.forked_from_run) }, run.forked_from_run),
                    ' at seq ' + run.forked_from_seq));
  }
  if (run.result_text !== null) items.push(fact('result', h('pre', { class: 'result' }, run.result_text)));
  if (run.error !== null) items.push(fact('error', h('pre', { class: 'error-text' }, run.error)));
  if (body.checkpoint) {
    items.push(fact('checkpoint', h('span', { class: 'mono' }, body.checkpoint.checkpoint_id), jsonTree(body.checkpoint.state, 1)));
  }
  for (const name of ['inputs', 'outputs', 'metadata']) {
    if (run[name] !== null) items.push(fact(name, jsonTree(run[name], 1)));
  }
  return h('dl', { class: 'facts' }, items);
}

// The first few top-level fields of a payload, as one line.
function gist(payload) {
  if (!payload) return '';
  const parts = [];
  for (const [key, value] of Object.entries(payload).slice(0, 4)) {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    parts.push(key + '=' + clip(text, 60));
  }
  return clip(parts.join('  '), 160);
}

function waterfall(list, live) {
  const now = Date.now();
  const all = spans(list, live, now).slice(0, MAX_SPANS);
  if (all.length === 0) return h('p', { class: 'muted' }, 'no spans');
  const t0 = Math.min(...all.map((s) => s.start));
  const t1 = Math.max(...all.map((s) => s.end), t0 + 1);
  const total = t1 - t0;
  const rows = all.map((span) => {
    const left = ((span.start - t0) / total) * 100;
    const width = Math.max(((span.end - span.start) / total) * 100, 0.4);
    const cls = 'bar bar-' + (['run', 'tool', 'node', 'turn', 'step'].includes(span.family) ? span.family : 'other') +
      (span.open ? ' open' : '') + (span.cut ? ' cut' : '') + (span.moment ? ' moment' : '');
    const note = span.open ? ' (running)' : span.cut ? ' (cut off)' : span.moment ? '' : '';
    return h('div', { class: 'span-row', 'data-open-seq': span.openSeq },
      h('span', { class: 'span-label', style: { 'padding-left': span.depth * 12 + 'px' }, title: span.label }, clip(span.label, 40)),
      h('span', { class: 'span-track' },
        h('span', { class: cls, style: { left: left + '%', width: (span.moment ? 0.4 : width) + '%' } })),
      h('span', { class: 'span-time num' }, span.moment ? 'at ' + offset(span.start - t0) : duration(span.end - span.start) + note));
  });
  return h('div', { class: 'waterfall' }, rows);
}

function eventRow(event, start, previous) {
  const payload = h('div', { class: 'payload', hidden: true });
  const toggle = h('button', { type: 'button', class: 'event-toggle', 'aria-expanded': 'false' }, event.kind);
  const li = h('li', { class: 'event', 'data-seq': event.seq, id: 'event-' + event.seq },
    h('span', { class: 'seq num' }, String(event.seq)),
    h('span', { class: 'at num', title: time(event.ts_ms) }, offset(event.ts_ms - start)),
    h('span', { class: 'gap num' }, previous === null ? '' : '+' + duration(event.ts_ms - previous)),
    toggle,
    h('span', { class: 'gist' }, gist(event.payload)),
    payload);
  toggle.addEventListener('click', () => {
    const opening = payload.hidden;
    if (opening && payload.childNodes.length === 0) {
      replace(payload,
        h('div', { class: 'muted' }, 'position ' + event.position + ' · ' + time(event.ts_ms) +
          (event.idempotency_key === null ? '' : ' · key ' + event.idempotency_key)),
        jsonTree(event.payload, 2));
    }
    payload.hidden = !opening;
    toggle.setAttribute('aria-expanded', opening ? 'true' : 'false');
    li.classList.toggle('expanded', opening);
  });
  return li;
}

export async function runPage(main, runId) {
  const url = '/api/runs/' + encodeURIComponent(runId);
  document.getElementById('json-link').setAttribute('href', url);
  let body = await getJSON(url);
  const events = body.events.slice();
  document.title = 'run ' + runId + ' · runjournal';

  const factsSlot = h('div', {}, facts(body));
  const spansSlot = h('div', {});
  const list = h('ol', { class: 'events' });
  const more = h('div', {});
  const start = () => (events.length ? events[0].ts_ms : body.run.created_at_ms);
  const drawSpans = () => replace(spansSlot, waterfall(events, !TERMINAL.has(body.run.status)));
  let lastTs = null;
  const appendEvents = (fresh) => {
    for (const event of fresh) {
      list.append(eventRow(event, start(), lastTs));
      lastTs = event.ts_ms;
    }
  };
  const showMore = (nextSeq) => {
    if (nextSeq === null) return replace(more);
    replace(more, h('button', { type: 'button', class: 'more', onclick: async () => {
      const page = await getJSON(apiURL('/api/events', { run: runId, from_seq: nextSeq }));
      const fresh = page.events.filter((e) => e.seq > events[events.length - 1].seq);
      events.push(...fresh);
      appendEvents(fresh);
      drawSpans();
      showMore(page.next_from_seq);
    } }, 'more events'));
  };

  replace(main,
    h('h1', {}, 'Run ', h('span', { class: 'mono run-id' }, runId), ' ', statusBadge(body.run.status, body.run.status_reason)),
    factsSlot,
    h('h2', {}, 'Timeline'),
    spansSlot,
    h('h2', {}, 'Events'),
    list,
    more);
  appendEvents(events);
  drawSpans();
  showMore(body.events_next_seq);

  // Live: new events are appended as they come (only while every event so
  // far is loaded); the facts are fetched again after a burst.
  const refetch = debounce(async () => {
    try {
      body = await getJSON(url);
      replace(factsSlot, facts(body));
      const badge = main.querySelector('h1 .status');
      if (badge) badge.replaceWith(statusBadge(body.run.status, body.run.status_reason));
      drawSpans();
    } catch (e) {
      replace(factsSlot, h('p', { class: 'error-text' }, 'live update failed: ' + e.message));
    }
  }, 100);
  const after = events.length ? events[events.length - 1].position : body.position;
  follow({ run: runId, after }, (event) => {
    if (body.events_next_seq === null && (events.length === 0 || event.seq === events[events.length - 1].seq + 1)) {
      events.push(event);
      appendEvents([event]);
    }
    refetch();
  });
}
