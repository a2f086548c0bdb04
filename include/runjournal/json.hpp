// runjournal/json.hpp — Run and Event as JSON objects, and back.
//
// The JSON shape is the SQL shape: an object's keys are exactly the column
// names of the `runs` or `events` table (schema/schema.sql), so a person who
// knows one knows the other. Specifically:
//
// - Run: run_id, session_id, status, prompt, inputs, outputs, metadata,
//   result_text, error, status_reason, checkpoint_id, checkpoint,
//   created_at_ms, updated_at_ms, finished_at_ms, first_position,
//   event_count, last_seq, last_position, driver_host, driver_pid,
//   driver_start_time, driver_boot_id (Run::driver; all four null or all set),
//   agent_spec_digest, git_sha, final_state_digest, forked_from_run,
//   forked_from_seq (added in 0.2: a reader takes them as null when absent,
//   so older exports still import).
// - Event: position, run_id, seq, ts_ms, kind, payload, idempotency_key.
// - JSON columns (payload, inputs, outputs, metadata, checkpoint) are JSON
//   values, never strings holding JSON. An event's payload is always an object.
// - status is its name as stored ("created", "completed", …).
// - An optional field that is absent is null, never a missing key. Times are
//   Unix milliseconds, as integers.
//
// Guarantees:
// - to_json() never throws for a value the library produced, and
//   run_from_json(to_json(run)) == run, event_from_json(to_json(event)) == event.
// - The *_from_json() functions never fill in a default. A key that is
//   missing, a value of the wrong type (a string where an integer belongs, a
//   fraction, a number beyond int64), an unknown status or a payload that is
//   not an object throws runjournal::Error(ErrorCode::InvalidArgument) naming
//   the field. Keys they do not know are ignored, so a reader accepts objects
//   from a newer runjournal that has grown columns.
// - Pure functions: no I/O, no shared state; safe from any thread.
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include <runjournal/error.hpp>
#include <runjournal/event.hpp>
#include <runjournal/inspect.hpp>
#include <runjournal/run.hpp>

namespace runjournal {

nlohmann::json to_json(const Run& run);
nlohmann::json to_json(const Event& event);
// JournalStats (Journal::stats()) under its field names, plus free_bytes
// (free_pages × page_size): what `runjournal stats --json`, the C API's
// rj_journal_stats_json and serve's /api/stats return.
nlohmann::json to_json(const JournalStats& stats);

// Throw Error(ErrorCode::InvalidArgument) as described above.
Run run_from_json(const nlohmann::json& json);
Event event_from_json(const nlohmann::json& json);

// Parses JSON text the way the journal parses every text it is handed (the
// command line's PAYLOAD, --inputs and --outputs, JSON Lines batches,
// imports): without recursion, refusing at the first container nested
// deeper than `max_depth` (use Journal::max_json_depth()), so that no text,
// however hostile, can overflow the stack or be stored beyond what the
// journal's SQL functions read. Every failure is
// Error(ErrorCode::InvalidArgument) whose message starts with `what` and
// says where: malformed text, a number that overflows a double (1e999),
// invalid UTF-8, or nesting past the limit (the message names it). No
// nlohmann exception escapes. Safe from any thread.
nlohmann::json parse_json(std::string_view text, std::size_t max_depth, std::string_view what = "JSON text");

}  // namespace runjournal
