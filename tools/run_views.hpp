// run_views.hpp — how the command line shows runs and events to a person.
//
// Human output only; --json goes through runjournal/json.hpp and is never
// truncated. Times are UTC ISO-8601 with milliseconds; text is made safe for
// a terminal (control characters escaped); long prompts and payloads are
// truncated in tables, never in `show`.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <runjournal/event.hpp>
#include <runjournal/run.hpp>

namespace runjournal::cli {

// `show`: one aligned "key: value" line per column of the run, in schema
// order, times as ISO-8601 (created_at, updated_at, finished_at), JSON
// columns as compact JSON, absent values as "-"; the four driver columns
// as one "driver" line.
std::string run_fields(const Run& run);

// `runs`: RUN_ID SESSION STATUS EVENTS CREATED PROMPT, one row per run.
// `fit_width` as for render_table (0: not a terminal).
std::string runs_table(const std::vector<Run>& runs, std::size_t fit_width);

// `events`: SEQ POSITION TIME KIND [KEY] PAYLOAD, one row per event; the KEY
// column appears only when some event has an idempotency key.
std::string events_table(const std::vector<Event>& events, std::size_t fit_width);

}  // namespace runjournal::cli
