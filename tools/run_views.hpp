// run_views.hpp — how the command line shows runs and events to a person.
//
// Human output only; --json goes through runjournal/json.hpp and is never
// truncated. Times are UTC ISO-8601 with milliseconds; text is made safe for
// a terminal (control characters escaped); long prompts and payloads are
// truncated in tables, never in `show`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <runjournal/event.hpp>
#include <runjournal/run.hpp>

#include "text_format.hpp"

namespace runjournal::cli {

// `show`: one aligned "key: value" line per column of the run, in schema
// order, times as ISO-8601 (created_at, updated_at, finished_at), JSON
// columns as compact JSON, absent values as "-"; the four driver columns
// as one "driver" line.
std::string run_fields(const Run& run);

// How a table is shown: to a person at a terminal (its width, relative
// times, colour) or to a pipe (full width, UTC times, no colour).
struct TableStyle {
  bool terminal = false;      // stdout is a terminal: a person reads it
  std::size_t fit_width = 0;  // as for render_table (0: no width to fit)
  TimeStyle times = TimeStyle::Utc;
  bool colour = false;
  std::int64_t now_ms = 0;  // what relative times and live durations count from
};

// `runs`: RUN_ID SESSION STATUS EVENTS CREATED FINISHED DURATION PROMPT, one
// row per run. DURATION is finished minus created, or for a run that has not
// finished the time it has been going ("so far", counted to now_ms).
std::string runs_table(const std::vector<Run>& runs, const TableStyle& style);

// `events`: SEQ POSITION TIME KIND [KEY] PAYLOAD, one row per event; the KEY
// column appears only when some event has an idempotency key.
std::string events_table(const std::vector<Event>& events, const TableStyle& style);

// `show --timeline`: each event with its time from the run's start and from
// the event before (+DELTA), and the spans paired events make drawn as a
// bar of the run's length, one line per span.
std::string timeline(const Run& run, const std::vector<Event>& events, const TableStyle& style);
// The same as JSON: the run, its events each with offset_ms (from the
// first event) and delta_ms (from the one before), and its spans.
nlohmann::json timeline_json(const Run& run, const std::vector<Event>& events, std::int64_t now_ms);

}  // namespace runjournal::cli
