// timeline.js — a run's events as spans: which event opens something
// (a tool call, a graph node, a turn, a step) and which one ends it.
//
// Pairs, by kind (the aliases DESIGN.md accepts included):
//   tool_started | tool_start | tool_called  →  tool_result | tool_completed | tool_finished | tool_failed | tool_error
//   node_entered | node_started              →  node_exited | node_completed | node_failed
//   turn_started | turn_start                →  turn_completed | turn_ended | turn_failed, or the next turn
//   step_started | step_start                →  step_completed | step_ended | step_failed, or the next step
//   X_started | X_start                      →  X_completed | X_ended | X_finished | X_failed (any other X)
//   run_created                              →  the run's terminal event (the whole run)
// An end pairs with the latest open span of its family whose identifying
// payload field (tool_call_id, call_id, span_id, node_id, node, tool_name,
// name: the first the opener has) holds the same value, else with the
// latest open one. A terminal event ends every span still open (a tool
// call or node left open is marked "cut off"; a turn or step just ends),
// but a tool_called that nothing ends is a moment, not a span, before and
// after the run ends (hosts often record a call and its result as one
// event).
//
// src/spans.cpp (runjournal::pair_spans) pairs exactly the same way for the
// command line and the OpenTelemetry export; tests/spans_test.cpp runs this
// file under node beside it on generated runs, so change both together.

const KEY_FIELDS = ['tool_call_id', 'call_id', 'span_id', 'node_id', 'node', 'tool_name', 'name'];
const TERMINAL_KINDS = new Set(['run_completed', 'run_failed', 'run_cancelled', 'end', 'error', 'graph_completed', 'graph_failed']);

const FAMILIES = [
  { family: 'tool', open: /^tool_(started|start|called)$/, close: /^tool_(result|completed|finished|failed|error|returned)$/ },
  { family: 'node', open: /^node_(entered|started)$/, close: /^node_(exited|completed|failed)$/ },
  { family: 'turn', open: /^turn_(started|start)$/, close: /^turn_(completed|ended|finished|failed)$/, next: true },
  { family: 'step', open: /^step_(started|start)$/, close: /^step_(completed|ended|finished|failed)$/, next: true },
];

function classify(kind) {
  for (const f of FAMILIES) {
    if (f.open.test(kind)) return { family: f.family, role: 'open', next: !!f.next };
    if (f.close.test(kind)) return { family: f.family, role: 'close' };
  }
  let m = /^(.+)_(started|start)$/.exec(kind);
  if (m && m[1] !== 'run' && m[1] !== 'graph') return { family: m[1], role: 'open' };
  m = /^(.+)_(completed|ended|finished|failed)$/.exec(kind);
  if (m && m[1] !== 'run' && m[1] !== 'graph') return { family: m[1], role: 'close' };
  return null;
}

function keyOf(payload) {
  if (!payload || typeof payload !== 'object') return null;
  for (const field of KEY_FIELDS) {
    const v = payload[field];
    if (typeof v === 'string' || typeof v === 'number') return { field, value: String(v) };
  }
  return null;
}

// Spans of `events` (seq order; payloads may be absent). `live`: the run
// has not finished, so open spans run to `now`. Each span: {family, label,
// start (ms), end (ms), open (bool), cut (bool), moment (bool), openSeq,
// closeSeq, depth}.
export function spans(events, live, now) {
  const result = [];
  const open = [];  // spans not yet ended, in start order
  const end = (span, event, cut) => {
    span.end = event.ts_ms;
    span.closeSeq = event.seq;
    span.cut = cut;
    open.splice(open.indexOf(span), 1);
  };
  let runSpan = null;
  for (const event of events) {
    if (event.kind === 'run_created') {
      runSpan = { family: 'run', label: 'run', start: event.ts_ms, end: null, openSeq: event.seq, closeSeq: null };
      result.push(runSpan);
      continue;
    }
    if (TERMINAL_KINDS.has(event.kind)) {
      // A turn or step simply ends with the run; anything else was cut off,
      // except a tool_called that nothing ended: it stays a moment (below),
      // as a host that records a call and its result as one event means.
      for (const span of [...open]) {
        if (span.called) {
          open.splice(open.indexOf(span), 1);
          continue;
        }
        end(span, event, !span.next);
      }
      if (runSpan && runSpan.end === null) {
        runSpan.end = event.ts_ms;
        runSpan.closeSeq = event.seq;
      }
      continue;
    }
    const c = classify(event.kind);
    if (!c) continue;
    const key = keyOf(event.payload);
    if (c.role === 'open') {
      if (c.next) {
        // A new turn (step) ends the one before it.
        for (const span of [...open]) if (span.family === c.family && span.next) end(span, event, false);
      }
      const label = c.family + (key ? ' ' + key.value : '');
      const span = { family: c.family, label, key, start: event.ts_ms, end: null, openSeq: event.seq, closeSeq: null,
        next: c.next, called: event.kind === 'tool_called' };
      open.push(span);
      result.push(span);
    } else {
      const candidates = open.filter((s) => s.family === c.family);
      let match = null;
      if (key) match = [...candidates].reverse().find((s) => s.key && s.key.value === key.value) || null;
      if (!match) match = candidates.length ? candidates[candidates.length - 1] : null;
      if (match) end(match, event, false);
    }
  }
  const last = events.length ? events[events.length - 1].ts_ms : now;
  const finalEnd = live ? Math.max(now, last) : last;
  for (const span of result) {
    if (span.end !== null) continue;
    span.moment = span.called === true;
    span.open = !span.moment && live;
    span.end = span.moment ? span.start : finalEnd;
  }
  if (runSpan) runSpan.open = runSpan.closeSeq === null && live;
  // Depth: how many earlier spans contain this one.
  for (let i = 0; i < result.length; i++) {
    let depth = 0;
    for (let j = 0; j < i; j++) {
      if (result[j].start <= result[i].start && result[j].end >= result[i].end && result[j] !== result[i]) depth++;
    }
    result[i].depth = Math.min(depth, 8);
  }
  return result;
}
