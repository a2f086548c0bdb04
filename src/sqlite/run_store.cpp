#include "sqlite/run_store.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

#include <runjournal/error.hpp>

#include "core/json_text.hpp"
#include "sqlite/sqlite_util.hpp"

namespace runjournal::detail {
namespace {

// The columns of `runs`, as the migrations added them. A reader may open a
// file an older runjournal wrote and nobody has migrated (a read-only open:
// it must not migrate), so each statement that reads rows names the columns
// the file has and reads the later ones as NULL (select_columns).
struct RunColumns {
  int since_schema;  // the migration that added them
  const char* names;
};
constexpr RunColumns kRunColumns[] = {
    {1,
     "run_id, session_id, status, prompt, inputs, outputs, metadata, result_text, error, status_reason, "
     "checkpoint_id, checkpoint, created_at_ms, updated_at_ms, finished_at_ms, first_position, "
     "event_count, last_seq, last_position"},
    {3, "driver_host, driver_pid, driver_start_time, driver_boot_id"},
    {5, "agent_spec_digest, git_sha, final_state_digest"},
    {7, "forked_from_run, forked_from_seq"},
};

// Calls f(name, since_schema) for each column of kRunColumns, in order.
template <class F>
void for_each_run_column(F&& f) {
  for (const RunColumns& group : kRunColumns) {
    std::string_view names = group.names;
    while (!names.empty()) {
      const std::size_t comma = names.find(',');
      f(names.substr(0, comma), group.since_schema);
      names = comma == std::string_view::npos ? std::string_view() : names.substr(comma + 2);
    }
  }
}

// "a, b, c" for a schema that has them, "NULL AS a, NULL AS b, …" before.
std::string select_columns(int schema_version) {
  std::string list;
  for_each_run_column([&](std::string_view name, int since_schema) {
    if (!list.empty()) list += ", ";
    if (schema_version >= since_schema) {
      list += name;
    } else {
      list += fmt::format("NULL AS {}", name);
    }
  });
  return list;
}

// Statements that read whole rows; "{columns}" becomes select_columns().
constexpr const char* kSelectById = "SELECT {columns} FROM runs WHERE run_id = ?";
// Every live run of a session, oldest first (current run, reservations).
constexpr const char* kSelectLiveListInSession =
    "SELECT {columns} FROM runs "
    "WHERE session_id = ? AND status NOT IN ('completed', 'failed', 'cancelled') ORDER BY first_position";
// Runs recover() considers, oldest first; ?1 also takes interrupted ones.
constexpr const char* kSelectUnfinished =
    "SELECT {columns} FROM runs "
    "WHERE status IN ('created', 'planning', 'executing', 'verifying') OR (?1 AND status = 'interrupted') "
    "ORDER BY first_position";

}  // namespace

std::string with_columns(const char* sql, const std::string& columns) {
  return fmt::format(fmt::runtime(sql), fmt::arg("columns", columns));
}

namespace {

// Insert and update name their parameters after the columns, so that one
// function binds what both write (bind_row). Writers work on migrated files
// only, so they name every column.
constexpr const char* kInsert =
    "INSERT INTO runs (run_id, session_id, status, prompt, inputs, outputs, metadata, result_text, error, "
    "status_reason, checkpoint_id, checkpoint, created_at_ms, updated_at_ms, finished_at_ms, first_position, "
    "event_count, last_seq, last_position, driver_host, driver_pid, driver_start_time, driver_boot_id, "
    "agent_spec_digest, git_sha, final_state_digest, forked_from_run, forked_from_seq"
    ") VALUES (:run_id, :session_id, :status, :prompt, :inputs, :outputs, :metadata, :result_text, :error, "
    ":status_reason, :checkpoint_id, :checkpoint, :created_at_ms, :updated_at_ms, :finished_at_ms, "
    ":first_position, :event_count, :last_seq, :last_position, :driver_host, :driver_pid, :driver_start_time, "
    ":driver_boot_id, :agent_spec_digest, :git_sha, :final_state_digest, :forked_from_run, :forked_from_seq)";
// Every column an event can change; session, creation and first_position
// are fixed by run_created.
constexpr const char* kUpdate =
    "UPDATE runs SET status = :status, prompt = :prompt, inputs = :inputs, outputs = :outputs, "
    "metadata = :metadata, result_text = :result_text, error = :error, status_reason = :status_reason, "
    "checkpoint_id = :checkpoint_id, checkpoint = :checkpoint, updated_at_ms = :updated_at_ms, "
    "finished_at_ms = :finished_at_ms, event_count = :event_count, last_seq = :last_seq, "
    "last_position = :last_position, driver_host = :driver_host, driver_pid = :driver_pid, "
    "driver_start_time = :driver_start_time, driver_boot_id = :driver_boot_id, "
    "agent_spec_digest = :agent_spec_digest, git_sha = :git_sha, final_state_digest = :final_state_digest, "
    "forked_from_run = :forked_from_run, forked_from_seq = :forked_from_seq WHERE run_id = :run_id";
constexpr const char* kUpdateCounters =
    "UPDATE runs SET updated_at_ms = ?2, event_count = ?3, last_seq = ?4, last_position = ?5 WHERE run_id = ?1";
constexpr const char* kSelectLastPosition = "SELECT last_position FROM runs WHERE run_id = ?";
constexpr const char* kSelectFirstPosition = "SELECT first_position FROM runs WHERE run_id = ?";
// Terminal statuses as listed in src/core/run_status.cpp.
constexpr const char* kSelectLiveInSession =
    "SELECT run_id FROM runs WHERE session_id = ? AND status NOT IN ('completed', 'failed', 'cancelled') "
    "ORDER BY first_position LIMIT 1";
constexpr const char* kSelectWithoutEvents =
    "SELECT run_id FROM runs WHERE NOT EXISTS (SELECT 1 FROM events WHERE events.run_id = runs.run_id) "
    "ORDER BY run_id";
constexpr const char* kDeleteAll = "DELETE FROM runs";
// Retention (src/core/retention.cpp): finished runs before a cut-off, oldest first.
// ?3 and ?4 are NULL when prune selects by no status or session.
#define RUNJOURNAL_PRUNABLE                                                                \
  "FROM runs WHERE status IN ('completed', 'failed', 'cancelled') AND finished_at_ms < ?1 " \
  "AND (?3 IS NULL OR status = ?3) AND (?4 IS NULL OR session_id = ?4) "
constexpr const char* kSelectFinishedBefore =
    "SELECT run_id " RUNJOURNAL_PRUNABLE "ORDER BY first_position LIMIT ?2";
constexpr const char* kCountFinishedBefore =
    "SELECT count(*) AS runs, coalesce(sum(event_count), 0) AS events " RUNJOURNAL_PRUNABLE;  // ?2 (the limit) unused
#undef RUNJOURNAL_PRUNABLE
constexpr const char* kDeleteOne = "DELETE FROM runs WHERE run_id = ?";
// Statistics (src/core/stats.cpp).
constexpr const char* kCountByStatus = "SELECT status, count(*) AS runs FROM runs GROUP BY status ORDER BY status";


std::optional<std::string> optional_text(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  return column.getString();
}

nlohmann::json json_column(const SQLite::Column& column, const char* what) {
  if (column.isNull()) return nullptr;
  return parse_stored_json(column.getString(), what);
}

// Each column's place in select_columns()' list: kRunColumns' names, in
// their order. Rows are read by place, not by name (a name is a map lookup
// in SQLiteCpp, and was most of the cost of reading a page of runs);
// check_run_columns() holds the two lists to each other once per query.
enum RunColumn : int {
  kRunId, kSessionId, kStatus, kPrompt, kInputs, kOutputs, kMetadata, kResultText, kError, kStatusReason,
  kCheckpointId, kCheckpoint, kCreatedAtMs, kUpdatedAtMs, kFinishedAtMs, kFirstPosition, kEventCount,
  kLastSeq, kLastPosition,
  kDriverHost, kDriverPid, kDriverStartTime, kDriverBootId,
  kAgentSpecDigest, kGitSha, kFinalStateDigest,
  kForkedFromRun, kForkedFromSeq,
  kRunColumnCount
};

// A statement whose columns are not select_columns()' is a bug here, not
// a bad file: say which column is out of place.
void check_run_columns(SQLite::Statement& stmt) {
  int index = 0;
  for_each_run_column([&](std::string_view name, int) {
    if (index >= stmt.getColumnCount() || name != stmt.getColumnName(index)) {
      throw std::logic_error(fmt::format("runs query: column {} is not {}", index, name));
    }
    ++index;
  });
  if (index != kRunColumnCount) throw std::logic_error("runs query: RunColumn and kRunColumns differ");
}

Run read_run(SQLite::Statement& stmt) {
  const auto column = [&](RunColumn c) { return stmt.getColumn(c); };
  Run run;
  run.run_id = column(kRunId).getString();
  run.session_id = column(kSessionId).getString();
  const std::string status = column(kStatus).getString();
  const auto parsed = parse_run_status(status);
  if (!parsed) throw Error(ErrorCode::Corrupt, fmt::format("run {} has unknown status '{}'", run.run_id, status));
  run.status = *parsed;
  run.prompt = column(kPrompt).getString();
  run.inputs = json_column(column(kInputs), "runs.inputs");
  run.outputs = json_column(column(kOutputs), "runs.outputs");
  run.metadata = json_column(column(kMetadata), "runs.metadata");
  run.result_text = optional_text(column(kResultText));
  run.error = optional_text(column(kError));
  run.status_reason = optional_text(column(kStatusReason));
  run.checkpoint_id = optional_text(column(kCheckpointId));
  run.checkpoint = json_column(column(kCheckpoint), "runs.checkpoint");
  run.created_at_ms = column(kCreatedAtMs).getInt64();
  run.updated_at_ms = column(kUpdatedAtMs).getInt64();
  const SQLite::Column finished = column(kFinishedAtMs);
  if (!finished.isNull()) run.finished_at_ms = finished.getInt64();
  run.first_position = column(kFirstPosition).getInt64();
  run.event_count = column(kEventCount).getInt64();
  run.last_seq = column(kLastSeq).getInt64();
  run.last_position = column(kLastPosition).getInt64();
  // The four driver columns are written together: all NULL or all set.
  const SQLite::Column driver_pid = column(kDriverPid);
  if (!driver_pid.isNull()) {
    run.driver = Driver{column(kDriverHost).getString(), driver_pid.getInt64(), column(kDriverStartTime).getInt64(),
                        column(kDriverBootId).getString()};
  }
  run.agent_spec_digest = optional_text(column(kAgentSpecDigest));
  run.git_sha = optional_text(column(kGitSha));
  run.final_state_digest = optional_text(column(kFinalStateDigest));
  run.forked_from_run = optional_text(column(kForkedFromRun));
  const SQLite::Column forked_from_seq = column(kForkedFromSeq);
  if (!forked_from_seq.isNull()) run.forked_from_seq = forked_from_seq.getInt64();
  return run;
}

template <class T>
void bind_optional(SQLite::Statement& stmt, const char* name, const std::optional<T>& value) {
  if (value) {
    stmt.bind(name, *value);
  } else {
    stmt.bind(name);
  }
}

// Binds run_id and every column an event can change (kInsert and kUpdate
// both have them). The four driver columns are all NULL or all set.
void bind_row(SQLite::Statement& stmt, const Run& run) {
  stmt.bind(":run_id", run.run_id);
  stmt.bind(":status", std::string(to_string(run.status)));
  stmt.bind(":prompt", run.prompt);
  bind_optional(stmt, ":inputs", dump_optional_json(run.inputs, "inputs"));
  bind_optional(stmt, ":outputs", dump_optional_json(run.outputs, "outputs"));
  bind_optional(stmt, ":metadata", dump_optional_json(run.metadata, "metadata"));
  bind_optional(stmt, ":result_text", run.result_text);
  bind_optional(stmt, ":error", run.error);
  bind_optional(stmt, ":status_reason", run.status_reason);
  bind_optional(stmt, ":checkpoint_id", run.checkpoint_id);
  bind_optional(stmt, ":checkpoint", dump_optional_json(run.checkpoint, "checkpoint"));
  stmt.bind(":updated_at_ms", run.updated_at_ms);
  bind_optional(stmt, ":finished_at_ms", run.finished_at_ms);
  stmt.bind(":event_count", run.event_count);
  stmt.bind(":last_seq", run.last_seq);
  stmt.bind(":last_position", run.last_position);
  const std::optional<Driver>& driver = run.driver;
  bind_optional(stmt, ":driver_host", driver ? std::optional(driver->host) : std::nullopt);
  bind_optional(stmt, ":driver_pid", driver ? std::optional(driver->pid) : std::nullopt);
  bind_optional(stmt, ":driver_start_time", driver ? std::optional(driver->start_time) : std::nullopt);
  bind_optional(stmt, ":driver_boot_id", driver ? std::optional(driver->boot_id) : std::nullopt);
  bind_optional(stmt, ":agent_spec_digest", run.agent_spec_digest);
  bind_optional(stmt, ":git_sha", run.git_sha);
  bind_optional(stmt, ":final_state_digest", run.final_state_digest);
  bind_optional(stmt, ":forked_from_run", run.forked_from_run);
  bind_optional(stmt, ":forked_from_seq", run.forked_from_seq);
}

}  // namespace

std::vector<Run> read_runs(SQLite::Statement& stmt) {
  check_run_columns(stmt);
  std::vector<Run> runs;
  while (stmt.executeStep()) runs.push_back(read_run(stmt));
  return runs;
}


SqliteRunStore::SqliteRunStore(SQLite::Database& db) : db_(db) {
  const std::string columns = select_columns(static_cast<int>(user_version(db)));
  select_by_id_ = with_columns(kSelectById, columns);
  select_live_list_ = with_columns(kSelectLiveListInSession, columns);
  select_unfinished_ = with_columns(kSelectUnfinished, columns);
  columns_ = columns;
  has_created_index_ = user_version(db) >= kCreatedIndexSchema;
}

std::optional<Run> SqliteRunStore::load(const std::string& run_id) {
  SQLite::Statement& stmt = cached_statement(db_, load_, select_by_id_.c_str());
  StatementReset reset_on_exit(stmt);
  stmt.bind(1, run_id);
  check_run_columns(stmt);
  std::optional<Run> run;
  if (stmt.executeStep()) run = read_run(stmt);
  return run;
}

void SqliteRunStore::insert(const Run& run) {
  SQLite::Statement& stmt = cached_statement(db_, insert_, kInsert);
  StatementReset reset_on_exit(stmt);
  bind_row(stmt, run);
  stmt.bind(":session_id", run.session_id);
  stmt.bind(":created_at_ms", run.created_at_ms);
  stmt.bind(":first_position", run.first_position);
  stmt.exec();
}

void SqliteRunStore::update(const Run& run) {
  SQLite::Statement& stmt = cached_statement(db_, update_, kUpdate);
  StatementReset reset_on_exit(stmt);
  bind_row(stmt, run);
  if (stmt.exec() != 1) throw Error(ErrorCode::Corrupt, fmt::format("runs row for {} vanished", run.run_id));
}

void SqliteRunStore::update_counters(const Run& run) {
  SQLite::Statement& stmt = cached_statement(db_, update_counters_, kUpdateCounters);
  StatementReset reset_on_exit(stmt);
  stmt.bind(1, run.run_id);
  stmt.bind(2, run.updated_at_ms);
  stmt.bind(3, run.event_count);
  stmt.bind(4, run.last_seq);
  stmt.bind(5, run.last_position);
  if (stmt.exec() != 1) throw Error(ErrorCode::Corrupt, fmt::format("runs row for {} vanished", run.run_id));
}

std::optional<std::int64_t> SqliteRunStore::last_position(const std::string& run_id) {
  SQLite::Statement& stmt = cached_statement(db_, last_position_, kSelectLastPosition);
  StatementReset reset_on_exit(stmt);
  stmt.bind(1, run_id);
  if (!stmt.executeStep()) return std::nullopt;
  return stmt.getColumn("last_position").getInt64();
}

std::optional<std::int64_t> SqliteRunStore::first_position(const std::string& run_id) {
  SQLite::Statement& stmt = cached_statement(db_, first_position_, kSelectFirstPosition);
  StatementReset reset_on_exit(stmt);
  stmt.bind(1, run_id);
  if (!stmt.executeStep()) return std::nullopt;
  return stmt.getColumn("first_position").getInt64();
}

std::optional<std::string> SqliteRunStore::live_run_in_session(const std::string& session_id) {
  SQLite::Statement& stmt = cached_statement(db_, live_, kSelectLiveInSession);
  StatementReset reset_on_exit(stmt);
  stmt.bind(1, session_id);
  std::optional<std::string> run_id;
  if (stmt.executeStep()) run_id = stmt.getColumn("run_id").getString();
  return run_id;
}

std::vector<Run> SqliteRunStore::live_runs_in_session(const std::string& session_id) {
  SQLite::Statement stmt(db_, select_live_list_);
  stmt.bind(1, session_id);
  return read_runs(stmt);
}

std::vector<Run> SqliteRunStore::unfinished(bool include_interrupted) {
  SQLite::Statement stmt(db_, select_unfinished_);
  stmt.bind(1, include_interrupted ? 1 : 0);
  return read_runs(stmt);
}

void SqliteRunStore::delete_all() { db_.exec(kDeleteAll); }

std::vector<std::string> SqliteRunStore::without_events() {
  SQLite::Statement stmt(db_, kSelectWithoutEvents);
  std::vector<std::string> ids;
  while (stmt.executeStep()) ids.push_back(stmt.getColumn("run_id").getString());
  return ids;
}

namespace {

void bind_prunable(SQLite::Statement& stmt, const Prunable& which, std::size_t limit) {
  stmt.bind(1, which.finished_before_ms);
  stmt.bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, std::numeric_limits<std::int32_t>::max())));
  if (which.status) {
    stmt.bind(3, std::string(to_string(*which.status)));
  } else {
    stmt.bind(3);
  }
  if (which.session_id) {
    stmt.bind(4, *which.session_id);
  } else {
    stmt.bind(4);
  }
}

}  // namespace

std::vector<std::string> SqliteRunStore::finished_before(const Prunable& which, std::size_t limit) {
  SQLite::Statement stmt(db_, kSelectFinishedBefore);
  bind_prunable(stmt, which, limit);
  std::vector<std::string> ids;
  while (stmt.executeStep()) ids.push_back(stmt.getColumn("run_id").getString());
  return ids;
}

std::pair<std::int64_t, std::int64_t> SqliteRunStore::count_finished_before(const Prunable& which) {
  SQLite::Statement stmt(db_, kCountFinishedBefore);
  bind_prunable(stmt, which, SIZE_MAX);
  stmt.executeStep();
  return {stmt.getColumn("runs").getInt64(), stmt.getColumn("events").getInt64()};
}

void SqliteRunStore::remove(const std::string& run_id) {
  SQLite::Statement stmt(db_, kDeleteOne);
  stmt.bind(1, run_id);
  stmt.exec();
}

std::vector<std::pair<std::string, std::int64_t>> SqliteRunStore::count_by_status() {
  SQLite::Statement stmt(db_, kCountByStatus);
  std::vector<std::pair<std::string, std::int64_t>> counts;
  while (stmt.executeStep()) {
    counts.emplace_back(stmt.getColumn("status").getString(), stmt.getColumn("runs").getInt64());
  }
  return counts;
}

}  // namespace runjournal::detail
