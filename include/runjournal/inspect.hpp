// runjournal/inspect.hpp — the types of the inspection and data-movement
// calls on Journal (journal.hpp): read-only SQL, statistics, whole-run
// records (export and import as JSON Lines), retention (prune), and the
// reports of rebuild() and verify().
//
// Values of these types are plain data, safe to copy and to use from any
// thread. The calls that produce and consume them state their guarantees
// where they are declared, in journal.hpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <runjournal/event.hpp>
#include <runjournal/run.hpp>

namespace runjournal {

// ---- read-only SQL --------------------------------------------------------

// One cell of a query's result, typed as SQLite returned it. `Json` is text
// known to hold JSON: a value of a JSON column (events.payload, runs.inputs,
// outputs, metadata, checkpoint, also through a view) or, for a computed
// column, text that is a JSON object or array (json_object(), json_extract()
// of an object…). Its `json` member holds the parsed value.
struct SqlValue {
  enum class Type { Null, Integer, Real, Text, Json, Blob };
  Type type = Type::Null;
  std::int64_t integer = 0;
  double real = 0;
  std::string text;     // Text and Json: the text; Blob: the bytes
  nlohmann::json json;  // Json only

  friend bool operator==(const SqlValue&, const SqlValue&) = default;
};

struct SqlResult {
  std::vector<std::string> columns;        // the result's column names, in order
  std::vector<std::vector<SqlValue>> rows;  // one value per column, in the query's order
};

struct SqlOptions {
  // The query is interrupted once SQLite has worked on it this long (time
  // spent in the caller's row callback does not count) and fails with
  // ErrorCode::TimedOut.
  std::chrono::milliseconds timeout{10'000};
  // Journal::sql() only, which holds every row: more rows than this fail
  // with ErrorCode::InvalidArgument. No limit by default; Journal::sql_each
  // streams rows and needs none.
  std::size_t max_rows = SIZE_MAX;
};

// ---- statistics ------------------------------------------------------------

struct JournalStats {
  std::string path;
  std::string journal_id;
  std::map<std::string, std::int64_t> runs_by_status;  // every status, 0 included
  std::int64_t runs = 0;
  std::int64_t events = 0;
  std::int64_t first_position = 0;     // oldest event still stored; 0 when none
  std::int64_t last_position = 0;      // newest event still stored; 0 when none
  std::int64_t assigned_position = 0;  // highest position ever assigned (never reused)
  std::int64_t file_bytes = 0;         // the main file
  std::int64_t wal_bytes = 0;          // the -wal file; 0 when absent
  std::int64_t page_size = 0;
  std::int64_t page_count = 0;
  std::int64_t free_pages = 0;         // pages an incremental vacuum can give back
  std::int64_t schema_version = 0;     // PRAGMA user_version
  std::int64_t projector_version = 0;  // the projector version that derived `runs`
  std::string sqlite_version;          // of the SQLite library in use
};

// ---- records: whole runs out and in ---------------------------------------

// A whole run: its row as stored and every event in seq order. On a line of
// JSON Lines it is {"run": {…runs columns…}, "events": [{…events columns…}, …]}
// (to_json/run_from_json/event_from_json shapes, runjournal/json.hpp).
struct RunRecord {
  Run run;
  std::vector<Event> events;
};

// One record as one line of JSON Lines (no newline), and back. record_from_json
// throws Error(InvalidArgument) naming what is wrong, as run_from_json does.
std::string record_to_line(const RunRecord& record);
RunRecord record_from_json(const nlohmann::json& json);

struct ImportReport {
  std::int64_t runs_imported = 0;
  std::int64_t runs_skipped = 0;  // already present with identical events
  std::int64_t events_imported = 0;
};

// ---- retention -------------------------------------------------------------

struct PruneOptions {
  // Runs whose finished_at_ms is before this (Unix ms) are removed.
  std::int64_t finished_before_ms = 0;
  // When set, every removed run is appended to this JSON Lines file (made if
  // missing) and flushed to disk before its removal commits.
  std::optional<std::filesystem::path> archive;
  // Runs removed per write transaction: bounds how long a writer waits.
  std::size_t runs_per_transaction = 100;
  // Only runs in this status: completed, failed or cancelled (a live status
  // is ErrorCode::InvalidArgument: live runs are never pruned).
  std::optional<RunStatus> status;
  // Only runs of this session.
  std::optional<std::string> session_id;
  // Count what would be removed, and remove nothing: no write, no archive;
  // the report's runs and events are what a real prune would remove now
  // (pages_freed stays 0).
  bool dry_run = false;
};

struct PruneReport {
  std::int64_t runs = 0;         // runs removed
  std::int64_t events = 0;       // their events
  std::int64_t pages_freed = 0;  // pages given back to the file system
};

// Parses a prune cut-off: an ISO-8601 UTC time ("2025-01-31",
// "2025-01-31T12:00:00Z", "2025-01-31T12:00:00.250Z", "…+02:00") or an age
// before `now_ms` ("30d", "12h", "15m", "45s"). Returns Unix ms; throws
// Error(InvalidArgument) for anything else.
std::int64_t parse_cutoff(const std::string& text, std::int64_t now_ms);

struct RebuildReport {
  std::int64_t events = 0;  // events replayed
  std::int64_t runs = 0;    // rows written
};

struct VerifyReport {
  std::int64_t events_checked = 0;
  std::int64_t runs_checked = 0;
  std::vector<std::string> problems;  // one line each; empty when consistent
  bool ok() const noexcept { return problems.empty(); }
};

// Called now and then during long work with (done, total) in events.
using Progress = std::function<void(std::int64_t done, std::int64_t total)>;

}  // namespace runjournal
