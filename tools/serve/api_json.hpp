// api_json.hpp — the JSON shapes of the server's API (docs/serve.md).
//
// Runs and events keep the library's shapes (runjournal/json.hpp: the
// column names of `runs` and `events`); the rest name their fields after
// the library's types (JournalStats, RecoveredRun, SqlResult).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <runjournal/journal.hpp>

namespace runjournal::serve {

// Whether a run's driver is still running, as far as this machine can tell:
// {"alive": true|false|null, "why": "…"}; null when it cannot tell (no
// driver recorded, or a driver on another host).
nlohmann::json driver_state(const Run& run);

// A run as the runs list carries it, appended to `out` as JSON text: the
// run's JSON shape (runjournal/json.hpp) without its JSON columns (inputs,
// outputs, metadata, checkpoint), and prompt, result_text, error and
// status_reason cut to kListTextChars characters (an ellipsis ends a cut
// one). Written directly, not through nlohmann::json objects: building those
// was most of a runs page's cost. /api/runs/RUN, or /api/runs?full=1, has
// whole runs.
void append_run_summary(std::string& out, const Run& run);
inline constexpr std::size_t kListTextChars = 500;
// `text` as a JSON string literal, appended to `out`. `text` is UTF-8 (as
// everything the journal stores); bytes that are not are written as U+FFFD.
void append_json_string(std::string& out, std::string_view text);

nlohmann::json checkpoint_json(const std::optional<Checkpoint>& checkpoint);
nlohmann::json recovered_json(const RecoveredRun& recovered);

// {"columns": [...], "rows": [[...], ...]}: JSON columns as JSON values,
// blobs as lower-case hex text.
nlohmann::json sql_json(const SqlResult& result);
// An array of objects, one per row, keyed by column name in the query's
// column order, as `runjournal sql --json` prints it (JSON text).
std::string sql_objects_text(const SqlResult& result);
// RFC 4180 CSV with a header line, as `runjournal sql --csv` prints it.
std::string sql_csv(const SqlResult& result);

// A time parameter: Unix milliseconds (digits), an ISO-8601 UTC time, or an
// age before `now_ms` ("30d", "12h", "15m", "45s"), as parse_cutoff()
// reads them. Throws ApiError(400) for anything else.
std::int64_t parse_time_param(const std::string& name, const std::string& text, std::int64_t now_ms);

}  // namespace runjournal::serve
