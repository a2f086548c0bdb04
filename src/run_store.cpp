#include "run_store.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <string_view>

#include <fmt/format.h>

#include <runjournal/error.hpp>

#include "json_text.hpp"
#include "sqlite_util.hpp"

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

// "a, b, c" for a schema that has them, "NULL AS a, NULL AS b, …" before.
std::string select_columns(int schema_version) {
  std::string list;
  for (const RunColumns& group : kRunColumns) {
    std::string_view names = group.names;
    while (!names.empty()) {
      const std::size_t comma = names.find(',');
      std::string_view name = names.substr(0, comma);
      names = comma == std::string_view::npos ? std::string_view() : names.substr(comma + 2);
      if (!list.empty()) list += ", ";
      if (schema_version >= group.since_schema) {
        list += name;
      } else {
        list += fmt::format("NULL AS {}", name);
      }
    }
  }
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

std::string with_columns(const char* sql, const std::string& columns) {
  return fmt::format(fmt::runtime(sql), fmt::arg("columns", columns));
}

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
// Terminal statuses as listed in src/run_status.cpp.
constexpr const char* kSelectLiveInSession =
    "SELECT run_id FROM runs WHERE session_id = ? AND status NOT IN ('completed', 'failed', 'cancelled') "
    "ORDER BY first_position LIMIT 1";
// The listing (runs()) is assembled from these parts: only the conditions a
// filter sets are in the statement, so SQLite can pick the index that fits
// (runs_by_status or runs_by_session for an equality, seeking to the cursor
// inside it; runs_by_creation for order and cursor otherwise) instead of
// scanning past `?1 IS NULL OR …` terms no index can serve. The cursor is a
// first_position, compared in the scan's direction. LIKE compares ASCII
// letters without case (SQLite's default); the pattern is escaped with `\`.
//
// A created-time window picks one of three plans (ListPlan, list()):
// - Scan: the terms below filter the scan in listing order (no window, or a
//   file without runs_by_created, read-only before migration 6).
// - Window, for a window of fewer than kSmallWindow runs: read the window's
//   index entries, keep the page's rowids in listing order, then fetch those
//   rows. It sorts, but at most kSmallWindow entries.
// - Bounded, for a larger window: the scan of Scan, bounded to the window's
//   first and last position, so it neither walks the runs before the window
//   nor runs past its end.
constexpr const char* kListSelect = "SELECT {columns} FROM runs WHERE TRUE";
constexpr const char* kListWindowSelect =
    "SELECT {columns} FROM runs WHERE rowid IN (SELECT rowid FROM runs INDEXED BY runs_by_created WHERE TRUE";
constexpr const char* kListStatus = " AND status = :status";
// With a session too, `+status` keeps SQLite from choosing runs_by_status:
// with no statistics it cannot know that a session (a conversation) holds
// far fewer runs than a status (most runs are `completed`).
constexpr const char* kListStatusUnindexed = " AND +status = :status";
constexpr const char* kListSession = " AND session_id = :session_id";
constexpr const char* kListSince = " AND created_at_ms >= :since";
constexpr const char* kListUntil = " AND created_at_ms < :until";
constexpr const char* kListSinceUnindexed = " AND +created_at_ms >= :since";
constexpr const char* kListUntilUnindexed = " AND +created_at_ms < :until";
constexpr const char* kListBounds = " AND first_position BETWEEN :lo AND :hi";
constexpr const char* kListText =
    " AND (run_id LIKE :text ESCAPE '\\' OR session_id LIKE :text ESCAPE '\\' OR prompt LIKE :text ESCAPE '\\')";
constexpr const char* kListCursorAscending = " AND first_position > :cursor";
constexpr const char* kListCursorDescending = " AND first_position < :cursor";
constexpr const char* kListAscending = " ORDER BY first_position LIMIT :limit";
constexpr const char* kListDescending = " ORDER BY first_position DESC LIMIT :limit";
constexpr const char* kListWindowAscending = ") ORDER BY first_position";
constexpr const char* kListWindowDescending = ") ORDER BY first_position DESC";
// A window's size up to a cap, its position bounds, and how they grow with
// runs created since: the window plans' lookups. "{window}" becomes the
// window's terms.
constexpr const char* kWindowCount =
    "SELECT count(*) AS runs FROM (SELECT 1 FROM runs INDEXED BY runs_by_created WHERE TRUE{window} LIMIT :cap)";
constexpr const char* kWindowBounds =
    "SELECT min(first_position) AS lo, max(first_position) AS hi FROM runs INDEXED BY runs_by_created "
    "WHERE TRUE{window}";
constexpr const char* kWindowBoundsSince =
    "SELECT min(first_position) AS lo, max(first_position) AS hi FROM runs "
    "WHERE first_position > :known{window_unindexed}";
constexpr const char* kNewestFirstPosition = "SELECT max(first_position) AS newest FROM runs";
constexpr const char* kSelectWithoutEvents =
    "SELECT run_id FROM runs WHERE NOT EXISTS (SELECT 1 FROM events WHERE events.run_id = runs.run_id) "
    "ORDER BY run_id";
constexpr const char* kDeleteAll = "DELETE FROM runs";
// Retention (src/retention.cpp): finished runs before a cut-off, oldest first.
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
// Statistics (src/stats.cpp).
constexpr const char* kCountByStatus = "SELECT status, count(*) AS runs FROM runs GROUP BY status ORDER BY status";


std::optional<std::string> optional_text(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  return column.getString();
}

nlohmann::json json_column(const SQLite::Column& column, const char* what) {
  if (column.isNull()) return nullptr;
  return parse_stored_json(column.getString(), what);
}

Run read_run(SQLite::Statement& stmt) {
  Run run;
  run.run_id = stmt.getColumn("run_id").getString();
  run.session_id = stmt.getColumn("session_id").getString();
  const std::string status = stmt.getColumn("status").getString();
  const auto parsed = parse_run_status(status);
  if (!parsed) throw Error(ErrorCode::Corrupt, fmt::format("run {} has unknown status '{}'", run.run_id, status));
  run.status = *parsed;
  run.prompt = stmt.getColumn("prompt").getString();
  run.inputs = json_column(stmt.getColumn("inputs"), "runs.inputs");
  run.outputs = json_column(stmt.getColumn("outputs"), "runs.outputs");
  run.metadata = json_column(stmt.getColumn("metadata"), "runs.metadata");
  run.result_text = optional_text(stmt.getColumn("result_text"));
  run.error = optional_text(stmt.getColumn("error"));
  run.status_reason = optional_text(stmt.getColumn("status_reason"));
  run.checkpoint_id = optional_text(stmt.getColumn("checkpoint_id"));
  run.checkpoint = json_column(stmt.getColumn("checkpoint"), "runs.checkpoint");
  run.created_at_ms = stmt.getColumn("created_at_ms").getInt64();
  run.updated_at_ms = stmt.getColumn("updated_at_ms").getInt64();
  const SQLite::Column finished = stmt.getColumn("finished_at_ms");
  if (!finished.isNull()) run.finished_at_ms = finished.getInt64();
  run.first_position = stmt.getColumn("first_position").getInt64();
  run.event_count = stmt.getColumn("event_count").getInt64();
  run.last_seq = stmt.getColumn("last_seq").getInt64();
  run.last_position = stmt.getColumn("last_position").getInt64();
  // The four driver columns are written together: all NULL or all set.
  const SQLite::Column driver_pid = stmt.getColumn("driver_pid");
  if (!driver_pid.isNull()) {
    run.driver = Driver{stmt.getColumn("driver_host").getString(), driver_pid.getInt64(),
                        stmt.getColumn("driver_start_time").getInt64(), stmt.getColumn("driver_boot_id").getString()};
  }
  run.agent_spec_digest = optional_text(stmt.getColumn("agent_spec_digest"));
  run.git_sha = optional_text(stmt.getColumn("git_sha"));
  run.final_state_digest = optional_text(stmt.getColumn("final_state_digest"));
  run.forked_from_run = optional_text(stmt.getColumn("forked_from_run"));
  const SQLite::Column forked_from_seq = stmt.getColumn("forked_from_seq");
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

std::vector<Run> read_runs(SQLite::Statement& stmt) {
  std::vector<Run> runs;
  while (stmt.executeStep()) runs.push_back(read_run(stmt));
  return runs;
}

}  // namespace

RunStore::RunStore(SQLite::Database& db) : db_(db) {
  const std::string columns = select_columns(static_cast<int>(pragma_int(db, "PRAGMA user_version")));
  select_by_id_ = with_columns(kSelectById, columns);
  select_live_list_ = with_columns(kSelectLiveListInSession, columns);
  select_unfinished_ = with_columns(kSelectUnfinished, columns);
  columns_ = columns;
  has_created_index_ = pragma_int(db, "PRAGMA user_version") >= kCreatedIndexSchema;
}

std::optional<Run> RunStore::load(const std::string& run_id) {
  SQLite::Statement& stmt = cached_statement(db_, load_, select_by_id_.c_str());
  StatementReset reset_on_exit(stmt);
  stmt.bind(1, run_id);
  std::optional<Run> run;
  if (stmt.executeStep()) run = read_run(stmt);
  return run;
}

void RunStore::insert(const Run& run) {
  SQLite::Statement& stmt = cached_statement(db_, insert_, kInsert);
  StatementReset reset_on_exit(stmt);
  bind_row(stmt, run);
  stmt.bind(":session_id", run.session_id);
  stmt.bind(":created_at_ms", run.created_at_ms);
  stmt.bind(":first_position", run.first_position);
  stmt.exec();
}

void RunStore::update(const Run& run) {
  SQLite::Statement& stmt = cached_statement(db_, update_, kUpdate);
  StatementReset reset_on_exit(stmt);
  bind_row(stmt, run);
  if (stmt.exec() != 1) throw Error(ErrorCode::Corrupt, fmt::format("runs row for {} vanished", run.run_id));
}

void RunStore::update_counters(const Run& run) {
  SQLite::Statement& stmt = cached_statement(db_, update_counters_, kUpdateCounters);
  StatementReset reset_on_exit(stmt);
  stmt.bind(1, run.run_id);
  stmt.bind(2, run.updated_at_ms);
  stmt.bind(3, run.event_count);
  stmt.bind(4, run.last_seq);
  stmt.bind(5, run.last_position);
  if (stmt.exec() != 1) throw Error(ErrorCode::Corrupt, fmt::format("runs row for {} vanished", run.run_id));
}

std::optional<std::int64_t> RunStore::last_position(const std::string& run_id) {
  SQLite::Statement& stmt = cached_statement(db_, last_position_, kSelectLastPosition);
  StatementReset reset_on_exit(stmt);
  stmt.bind(1, run_id);
  if (!stmt.executeStep()) return std::nullopt;
  return stmt.getColumn("last_position").getInt64();
}

std::string list_query(const ListShape& shape, const std::string& columns) {
  const bool window = shape.plan == ListPlan::Window;
  const bool bounded = shape.plan == ListPlan::Bounded;
  std::string sql = with_columns(window ? kListWindowSelect : kListSelect, columns);
  if (shape.status) sql += shape.session && !window ? kListStatusUnindexed : kListStatus;
  if (shape.session) sql += kListSession;
  // Outside the Window plan, `+created_at_ms` keeps SQLite on the index
  // that reads in listing order.
  if (shape.since) sql += window ? kListSince : kListSinceUnindexed;
  if (shape.until) sql += window ? kListUntil : kListUntilUnindexed;
  if (bounded) sql += kListBounds;
  if (shape.text) sql += kListText;
  if (shape.cursor) sql += shape.ascending ? kListCursorAscending : kListCursorDescending;
  sql += shape.ascending ? kListAscending : kListDescending;
  if (window) sql += shape.ascending ? kListWindowAscending : kListWindowDescending;
  return sql;
}

std::string like_pattern(std::string_view text) {
  std::string pattern = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  pattern += '%';
  return pattern;
}

ListShape list_shape(const RunFilter& filter, const Page& page) {
  if (page.after_run_id && page.before_run_id) {
    throw Error(ErrorCode::InvalidArgument, "page: after_run_id and before_run_id are both set; pass one cursor");
  }
  if (filter.created_since_ms && filter.created_until_ms && *filter.created_since_ms > *filter.created_until_ms) {
    throw Error(ErrorCode::InvalidArgument,
                fmt::format("run filter: created_since_ms {} is after created_until_ms {}", *filter.created_since_ms,
                            *filter.created_until_ms));
  }
  if (filter.text) {
    if (filter.text->size() > kMaxRunTextFilterBytes) {
      throw Error(ErrorCode::InvalidArgument, fmt::format("run filter: text is {} bytes, more than the {} allowed",
                                                          filter.text->size(), kMaxRunTextFilterBytes));
    }
    require_utf8(*filter.text, "run filter text");
  }
  ListShape shape;
  shape.status = filter.status.has_value();
  shape.session = filter.session_id.has_value();
  shape.since = filter.created_since_ms.has_value();
  shape.until = filter.created_until_ms.has_value();
  shape.text = filter.text.has_value() && !filter.text->empty();
  shape.cursor = page.after_run_id.has_value() || page.before_run_id.has_value();
  // A page before the cursor is read backwards from it and then reversed:
  // the scan runs against the listing order.
  shape.ascending = (page.order == RunOrder::OldestFirst) != page.before_run_id.has_value();
  return shape;
}

std::vector<Run> RunStore::list(const RunFilter& filter, const Page& page) {
  ListShape shape = list_shape(filter, page);
  std::optional<Bounds> bounds;
  if ((shape.since || shape.until) && has_created_index_) {
    if (window_size(filter, kSmallWindow) < kSmallWindow) {
      shape.plan = ListPlan::Window;
    } else {
      shape.plan = ListPlan::Bounded;
      bounds = window_bounds(filter);
    }
  }
  std::optional<std::int64_t> cursor;
  if (const auto& cursor_id = page.after_run_id ? page.after_run_id : page.before_run_id) {
    // A cursor that names no run (a typo, or a run pruned between pages)
    // would silently restart at the first page and let a pager loop.
    cursor = first_position(*cursor_id);
    if (!cursor) throw Error(ErrorCode::NotFound, fmt::format("page cursor: no run {}", *cursor_id));
  }
  // One prepared statement per shape: a page costs one plan, not one
  // parse, after the first (there are at most 128 shapes).
  std::unique_ptr<SQLite::Statement>& slot = list_statements_[shape.key()];
  if (!slot) slot = std::make_unique<SQLite::Statement>(db_, list_query(shape, columns_));
  SQLite::Statement& stmt = *slot;
  StatementReset reset_on_exit(stmt);
  if (filter.status) stmt.bind(":status", std::string(to_string(*filter.status)));
  if (filter.session_id) stmt.bind(":session_id", *filter.session_id);
  if (filter.created_since_ms) stmt.bind(":since", *filter.created_since_ms);
  if (filter.created_until_ms) stmt.bind(":until", *filter.created_until_ms);
  if (shape.text) stmt.bind(":text", like_pattern(*filter.text));
  if (cursor) stmt.bind(":cursor", *cursor);
  if (bounds) {
    stmt.bind(":lo", bounds->lo);
    stmt.bind(":hi", bounds->hi);
  }
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  stmt.bind(":limit", static_cast<std::int64_t>(page.limit > kMax ? kMax : page.limit));
  std::vector<Run> runs;
  while (stmt.executeStep()) runs.push_back(read_run(stmt));
  if (page.before_run_id) std::reverse(runs.begin(), runs.end());
  return runs;
}

namespace {

// The window's terms, for the lookups (kWindowCount, kWindowBounds…).
std::string window_terms(const RunFilter& filter, bool unindexed) {
  std::string terms;
  if (filter.created_since_ms) terms += unindexed ? kListSinceUnindexed : kListSince;
  if (filter.created_until_ms) terms += unindexed ? kListUntilUnindexed : kListUntil;
  return terms;
}

void bind_window(SQLite::Statement& stmt, const RunFilter& filter) {
  if (filter.created_since_ms) stmt.bind(":since", *filter.created_since_ms);
  if (filter.created_until_ms) stmt.bind(":until", *filter.created_until_ms);
}

}  // namespace

SQLite::Statement& RunStore::window_statement(const char* sql, const RunFilter& filter) {
  const unsigned ends = (filter.created_since_ms ? 1u : 0u) | (filter.created_until_ms ? 2u : 0u);
  std::unique_ptr<SQLite::Statement>& slot = window_statements_[{sql, ends}];
  if (!slot) {
    slot = std::make_unique<SQLite::Statement>(
        db_, fmt::format(fmt::runtime(sql), fmt::arg("window", window_terms(filter, false)),
                         fmt::arg("window_unindexed", window_terms(filter, true))));
  }
  return *slot;
}

std::int64_t RunStore::window_size(const RunFilter& filter, std::int64_t cap) {
  SQLite::Statement& stmt = window_statement(kWindowCount, filter);
  StatementReset reset_on_exit(stmt);
  bind_window(stmt, filter);
  stmt.bind(":cap", cap);
  stmt.executeStep();
  return stmt.getColumn("runs").getInt64();
}

RunStore::Bounds RunStore::window_bounds(const RunFilter& filter) {
  // The newest position first: a run created after it was read has a
  // higher first_position, so the next call's catch-up finds it.
  std::int64_t newest = 0;
  {
    SQLite::Statement& stmt = cached_statement(db_, newest_, kNewestFirstPosition);
    StatementReset reset_on_exit(stmt);
    if (stmt.executeStep() && !stmt.getColumn("newest").isNull()) newest = stmt.getColumn("newest").getInt64();
  }
  const auto read = [&](SQLite::Statement& stmt, Bounds& bounds) {
    StatementReset reset_on_exit(stmt);
    bind_window(stmt, filter);
    if (!stmt.executeStep() || stmt.getColumn("lo").isNull()) return;
    const std::int64_t lo = stmt.getColumn("lo").getInt64();
    const std::int64_t hi = stmt.getColumn("hi").getInt64();
    bounds.lo = bounds.hi < bounds.lo ? lo : std::min(bounds.lo, lo);
    bounds.hi = std::max(bounds.hi, hi);
  };
  const std::pair key{filter.created_since_ms, filter.created_until_ms};
  auto it = bounds_cache_.find(key);
  if (it == bounds_cache_.end()) {
    // One pass over the window's index entries; remembered, so that paging
    // through the window (or a page refreshed live) pays it once.
    if (bounds_cache_.size() >= kBoundsCacheSize) bounds_cache_.clear();
    Bounds bounds;
    read(window_statement(kWindowBounds, filter), bounds);
    bounds.known = newest;
    it = bounds_cache_.emplace(key, bounds).first;
  } else if (newest > it->second.known) {
    // Only runs created since can widen the window's bounds (a pruned run
    // leaves them loose, never wrong; positions are never reused).
    SQLite::Statement& stmt = window_statement(kWindowBoundsSince, filter);
    stmt.bind(":known", it->second.known);
    read(stmt, it->second);
    it->second.known = newest;
  }
  return it->second;
}

std::optional<std::int64_t> RunStore::first_position(const std::string& run_id) {
  SQLite::Statement& stmt = cached_statement(db_, first_position_, kSelectFirstPosition);
  StatementReset reset_on_exit(stmt);
  stmt.bind(1, run_id);
  if (!stmt.executeStep()) return std::nullopt;
  return stmt.getColumn("first_position").getInt64();
}

std::optional<std::string> RunStore::live_run_in_session(const std::string& session_id) {
  SQLite::Statement& stmt = cached_statement(db_, live_, kSelectLiveInSession);
  StatementReset reset_on_exit(stmt);
  stmt.bind(1, session_id);
  std::optional<std::string> run_id;
  if (stmt.executeStep()) run_id = stmt.getColumn("run_id").getString();
  return run_id;
}

std::vector<Run> RunStore::live_runs_in_session(const std::string& session_id) {
  SQLite::Statement stmt(db_, select_live_list_);
  stmt.bind(1, session_id);
  return read_runs(stmt);
}

std::vector<Run> RunStore::unfinished(bool include_interrupted) {
  SQLite::Statement stmt(db_, select_unfinished_);
  stmt.bind(1, include_interrupted ? 1 : 0);
  return read_runs(stmt);
}

void RunStore::delete_all() { db_.exec(kDeleteAll); }

std::vector<std::string> RunStore::without_events() {
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

std::vector<std::string> RunStore::finished_before(const Prunable& which, std::size_t limit) {
  SQLite::Statement stmt(db_, kSelectFinishedBefore);
  bind_prunable(stmt, which, limit);
  std::vector<std::string> ids;
  while (stmt.executeStep()) ids.push_back(stmt.getColumn("run_id").getString());
  return ids;
}

std::pair<std::int64_t, std::int64_t> RunStore::count_finished_before(const Prunable& which) {
  SQLite::Statement stmt(db_, kCountFinishedBefore);
  bind_prunable(stmt, which, SIZE_MAX);
  stmt.executeStep();
  return {stmt.getColumn("runs").getInt64(), stmt.getColumn("events").getInt64()};
}

void RunStore::remove(const std::string& run_id) {
  SQLite::Statement stmt(db_, kDeleteOne);
  stmt.bind(1, run_id);
  stmt.exec();
}

std::vector<std::pair<std::string, std::int64_t>> RunStore::count_by_status() {
  SQLite::Statement stmt(db_, kCountByStatus);
  std::vector<std::pair<std::string, std::int64_t>> counts;
  while (stmt.executeStep()) {
    counts.emplace_back(stmt.getColumn("status").getString(), stmt.getColumn("runs").getInt64());
  }
  return counts;
}

}  // namespace runjournal::detail
