// run_listing.cpp — runs(): planning and running a listing of the runs
// table (the plans are described above kListSelect), and the created-time
// windows' bounds it remembers.
#include "sqlite/run_store.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <string_view>

#include <fmt/format.h>

#include <runjournal/error.hpp>

#include "core/json_text.hpp"
#include "core/run_filter.hpp"
#include "sqlite/sqlite_util.hpp"

namespace runjournal::detail {
namespace {

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
}  // namespace

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

ListShape list_shape(const RunFilter& filter, const Page& page) {
  check_run_listing(filter, page);
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

std::vector<Run> SqliteRunStore::list(const RunFilter& filter, const Page& page) {
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
  std::vector<Run> runs = read_runs(stmt);
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

SQLite::Statement& SqliteRunStore::window_statement(const char* sql, const RunFilter& filter) {
  const unsigned ends = (filter.created_since_ms ? 1u : 0u) | (filter.created_until_ms ? 2u : 0u);
  std::unique_ptr<SQLite::Statement>& slot = window_statements_[{sql, ends}];
  if (!slot) {
    slot = std::make_unique<SQLite::Statement>(
        db_, fmt::format(fmt::runtime(sql), fmt::arg("window", window_terms(filter, false)),
                         fmt::arg("window_unindexed", window_terms(filter, true))));
  }
  return *slot;
}

std::int64_t SqliteRunStore::window_size(const RunFilter& filter, std::int64_t cap) {
  SQLite::Statement& stmt = window_statement(kWindowCount, filter);
  StatementReset reset_on_exit(stmt);
  bind_window(stmt, filter);
  stmt.bind(":cap", cap);
  stmt.executeStep();
  return stmt.getColumn("runs").getInt64();
}

SqliteRunStore::Bounds SqliteRunStore::window_bounds(const RunFilter& filter) {
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

}  // namespace runjournal::detail
