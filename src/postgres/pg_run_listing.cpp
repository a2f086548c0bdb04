// pg_run_listing.cpp — runs() on PostgreSQL: a keyset page of the runs
// table in creation order (first_position), either way, with the filters
// of RunFilter (include/runjournal/run.hpp), refused and matched as the
// SQLite listing does (core/run_filter.hpp holds the shared checks).
//
// Only the conditions a filter sets are in the statement, so the planner
// can use the index that fits (runs_by_status, runs_by_session,
// runs_by_created, or runs_by_creation for order and cursor); PostgreSQL
// keeps statistics, so the plan choices SQLite's listing makes by hand are
// the planner's here. The text filter is ILIKE on columns of collation
// "C": ASCII letters compare without case, every other byte exactly, as
// SQLite's LIKE does.
#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include <runjournal/error.hpp>

#include "core/run_filter.hpp"
#include "postgres/pg_stores.hpp"

namespace runjournal::detail {

std::vector<Run> PgRunStore::list(const RunFilter& filter, const Page& page) {
  check_run_listing(filter, page);
  std::optional<std::int64_t> cursor;
  if (const auto& cursor_id = page.after_run_id ? page.after_run_id : page.before_run_id) {
    // A cursor that names no run (a typo, or a run pruned between pages)
    // would silently restart at the first page and let a pager loop.
    const pg::Result r = conn_.exec("SELECT first_position FROM runs WHERE run_id = $1", {*cursor_id});
    if (r.rows() == 0) throw Error(ErrorCode::NotFound, fmt::format("page cursor: no run {}", *cursor_id));
    cursor = r.int64(0, r.column("first_position"));
  }
  // A page before the cursor is read backwards from it and then reversed.
  const bool ascending = (page.order == RunOrder::OldestFirst) != page.before_run_id.has_value();
  std::string sql = fmt::format("SELECT {} FROM runs WHERE TRUE", kPgRunColumns);
  std::vector<pg::Param> params;
  // Kept alive for the call: Params refer to their text.
  const std::string status = filter.status ? std::string(to_string(*filter.status)) : std::string();
  const std::string pattern = filter.text ? like_pattern(*filter.text) : std::string();
  const auto add = [&](const char* term, pg::Param value) {
    params.push_back(value);
    sql += fmt::format(fmt::runtime(term), params.size());
  };
  if (filter.status) add(" AND status = ${}", status);
  if (filter.session_id) add(" AND session_id = ${}", *filter.session_id);
  if (filter.created_since_ms) add(" AND created_at_ms >= ${}", *filter.created_since_ms);
  if (filter.created_until_ms) add(" AND created_at_ms < ${}", *filter.created_until_ms);
  if (filter.text && !filter.text->empty()) {
    add(" AND (run_id ILIKE ${0} ESCAPE '\\' OR session_id ILIKE ${0} ESCAPE '\\' OR prompt ILIKE ${0} ESCAPE '\\')",
        pattern);
  }
  if (cursor) add(ascending ? " AND first_position > ${}" : " AND first_position < ${}", *cursor);
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  add(ascending ? " ORDER BY first_position LIMIT ${}" : " ORDER BY first_position DESC LIMIT ${}",
      static_cast<std::int64_t>(page.limit > kMax ? kMax : page.limit));
  std::vector<Run> runs = read_pg_runs(conn_.exec(sql, params));
  if (page.before_run_id) std::reverse(runs.begin(), runs.end());
  return runs;
}

}  // namespace runjournal::detail
