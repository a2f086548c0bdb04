// api_json.hpp — the JSON shapes of the server's API (docs/serve.md).
//
// Runs and events keep the library's shapes (runjournal/json.hpp: the
// column names of `runs` and `events`); the rest name their fields after
// the library's types (JournalStats, RecoveredRun, SqlResult).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <runjournal/journal.hpp>

namespace runjournal::serve {

// Whether a run's driver is still running, as far as this machine can tell:
// {"alive": true|false|null, "why": "…"}; null when it cannot tell (no
// driver recorded, or a driver on another host).
nlohmann::json driver_state(const Run& run);

nlohmann::json checkpoint_json(const std::optional<Checkpoint>& checkpoint);
nlohmann::json recovered_json(const RecoveredRun& recovered);
nlohmann::json stats_json(const JournalStats& stats);

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
