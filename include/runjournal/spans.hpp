// runjournal/spans.hpp — a run's events as spans: which event opens
// something (a tool call, a graph node, a turn, a step, any X_started) and
// which one ends it.
//
// The rules are exactly those of the web view's timeline
// (tools/serve/assets/timeline.js; docs/serve.md, "Spans"), so that the page,
// the command line and the OpenTelemetry export (runjournal/otlp.hpp) show
// the same spans for the same events. By kind, aliases included:
//
//   tool_started | tool_start | tool_called  →  tool_result | tool_completed | tool_finished |
//                                               tool_failed | tool_error | tool_returned
//   node_entered | node_started              →  node_exited | node_completed | node_failed
//   turn_started | turn_start                →  turn_completed | turn_ended | turn_finished |
//                                               turn_failed, or the next turn
//   step_started | step_start                →  step_completed | step_ended | step_finished |
//                                               step_failed, or the next step
//   X_started | X_start                      →  X_completed | X_ended | X_finished | X_failed
//                                               (any other X but run and graph)
//   run_created                              →  the run's first terminal event (the whole run)
//
// An end pairs with the latest open span of its family whose key (the first
// of tool_call_id, call_id, span_id, node_id, node, tool_name, name that its
// payload holds as a string or a number) has the same value, else with the
// latest open span of its family. A terminal event (run_completed,
// run_failed, run_cancelled, end, error, graph_completed, graph_failed) ends
// every span still open: a turn or a step simply ends, anything else is cut
// off, except a tool_called. A tool_called that nothing ends, live run or
// finished, is a moment, not a span (hosts often record a call and its
// result as one event).
//
// Guarantees: pure functions (no I/O, no clock, no shared state), safe from
// any thread; they never throw for events the journal produced, whatever
// their kinds and payloads. Time and memory are O(n log n) in the events.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <runjournal/event.hpp>

namespace runjournal {

enum class SpanState {
  Ended,    // its end event (or the next turn or step, or the run's end for a turn or step) ended it
  CutOff,   // the run ended while it was open (anything but a turn or step)
  Running,  // still open, and the run is live: it runs to `now_ms`
  Moment,   // a tool_called that nothing ended: a point in time (end == start)
  Unended,  // nothing ended it and the run is over (it opened after the run's
            // end): it reaches the run's last event
};

// "ended", "cut_off", "running", "moment", "unended".
std::string_view to_string(SpanState state) noexcept;

// What ended a span (Ended and CutOff spans; None for the others).
enum class SpanEnd {
  None,
  EndEvent,  // an end event of its family: tool_result, node_exited, step_failed, …
  Next,      // the next turn or step opening
  RunEnd,    // a terminal event: the run's end (a run span ends so, as does
             // everything still open then)
};

struct Span {
  // "run", "tool", "node", "turn", "step", or the X of X_started.
  std::string family;
  // The family, then a space and the key when there is one: "tool search".
  std::string label;
  // The opening event's identifying payload field and its value as text
  // (a number as JavaScript's String() prints it: 3, 0.5, 1e+21), when it
  // has one.
  std::optional<std::string> key_field;
  std::optional<std::string> key;
  // The opening event: its index in the events given, and its seq.
  std::size_t open_index = 0;
  std::int64_t open_seq = 0;
  // The event that ended it (state Ended or CutOff); std::nullopt otherwise.
  std::optional<std::size_t> close_index;
  std::optional<std::int64_t> close_seq;
  SpanEnd ended_by = SpanEnd::None;
  // Unix ms, as the timeline draws it: the opening event's ts_ms, and the
  // ending event's (Ended, CutOff), the start (Moment), or the last event's
  // or `now_ms`, whichever is later while live (Running, Unended). The
  // events' clock may go backwards, so end_ms may be below start_ms.
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  SpanState state = SpanState::Ended;
  // The innermost span that encloses this one, by seq: the latest-opened
  // span that opened before it and ends at or after its end (a span still
  // open ends after everything; a moment ends where it starts). An index in
  // the returned vector; std::nullopt for a top-level span (the run's own,
  // or one opened after it ended). This nesting is by event order, not by
  // time: the timeline's indentation, which compares times, may differ.
  std::optional<std::size_t> parent;

  friend bool operator==(const Span&, const Span&) = default;
};

// The spans of one run's `events` (in seq order, as Journal::events returns
// them), in the order they opened (the run's own span first). `live`: the
// run has not finished (its status is not completed, failed or cancelled),
// so open spans are Running and reach max(now_ms, the last event's ts_ms);
// when not live they are Unended and reach the last event. A tool_called
// that nothing ends is a Moment either way.
std::vector<Span> pair_spans(const std::vector<Event>& events, bool live, std::int64_t now_ms);

// A JSON number as JavaScript's String() prints it, for span keys: the
// shortest text that reads back as the same double, in plain notation from
// 1e-6 to below 1e21 (0.000001, 100000000000000000000) and in exponent
// notation beyond (1e-7, 1.5e+21); -0 is "0".
std::string javascript_number_text(double value);

}  // namespace runjournal
