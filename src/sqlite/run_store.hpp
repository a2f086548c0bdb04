// run_store.hpp — every statement on the `runs` table (the projection).
//
// Bound to one connection, statements kept prepared; used by one thread at
// a time, like the connection.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <runjournal/error.hpp>
#include <runjournal/run.hpp>

#include "core/run_filter.hpp"
#include "core/stores.hpp"

namespace runjournal::detail {

// How a listing with a created-time window reads it (run_store.cpp says
// when each is chosen).
enum class ListPlan { Scan, Window, Bounded };

// What a runs() listing's statement is made of: which conditions it has,
// which way it scans, and its plan. Statements are prepared once per shape.
struct ListShape {
  bool status = false, session = false, since = false, until = false, text = false, cursor = false;
  bool ascending = true;  // the scan's direction by first_position
  ListPlan plan = ListPlan::Scan;
  unsigned key() const noexcept {
    return (status ? 1u : 0u) | (session ? 2u : 0u) | (since ? 4u : 0u) | (until ? 8u : 0u) | (text ? 16u : 0u) |
           (cursor ? 32u : 0u) | (ascending ? 64u : 0u) | (static_cast<unsigned>(plan) << 7);
  }
};

// A window of fewer runs than this is read whole (ListPlan::Window).
inline constexpr std::int64_t kSmallWindow = 4096;
// The schema version that has runs_by_created (migrations/0006).
inline constexpr std::int64_t kCreatedIndexSchema = 6;

// The shape of the listing for `filter` and `page`. Throws
// Error(InvalidArgument) for a filter or page runs() refuses (journal.hpp).
ListShape list_shape(const RunFilter& filter, const Page& page);
// The listing's SQL for a shape, selecting `columns` (the named parameters
// :status, :session_id, :since, :until, :text, :cursor, :limit, as the shape
// has them).
std::string list_query(const ListShape& shape, const std::string& columns);

// Shared by run_store.cpp and run_listing.cpp: `sql` with "{columns}"
// replaced, and every row a statement returns, read as runs.
std::string with_columns(const char* sql, const std::string& columns);
std::vector<Run> read_runs(SQLite::Statement& stmt);

class SqliteRunStore final : public RunStore {
 public:
  // Reads the file's schema version once: rows of a file that predates a
  // column (a read-only open of an unmigrated file) read it as absent.
  explicit SqliteRunStore(SQLite::Database& db);

  std::optional<Run> load(const std::string& run_id) override;
  void insert(const Run& run) override;
  // Writes the columns an event can change; session, creation and
  // first_position are fixed by run_created.
  void update(const Run& run) override;
  // Writes only event_count, last_seq, last_position and updated_at_ms: for
  // a row whose other columns the events since it was stored left alone
  // (RowChange::Counters). Touches no index.
  void update_counters(const Run& run) override;
  // The run's last_position column, without reading the rest of the row.
  std::optional<std::int64_t> last_position(const std::string& run_id) override;
  // runs(): the page of runs matching `filter` (journal.hpp says how).
  std::vector<Run> list(const RunFilter& filter, const Page& page) override;
  // The run's first_position (its creation order), without the rest of the row.
  std::optional<std::int64_t> first_position(const std::string& run_id);
  // How many runs a created-time window holds, counting at most `cap`.
  std::int64_t window_size(const RunFilter& filter, std::int64_t cap);
  // The oldest run of the session that is not completed, failed or cancelled.
  std::optional<std::string> live_run_in_session(const std::string& session_id) override;
  // Every run of the session that is not completed, failed or cancelled,
  // oldest first (the last is the session's current run).
  std::vector<Run> live_runs_in_session(const std::string& session_id) override;
  // Runs in created, planning, executing or verifying (and interrupted when
  // asked), in creation order: what recover() judges.
  std::vector<Run> unfinished(bool include_interrupted) override;
  void delete_all() override;
  // Retention: ids of completed, failed or cancelled runs with
  // finished_at_ms < which.finished_before_ms (and in its status and
  // session, when set), oldest first, at most `limit`.
  std::vector<std::string> finished_before(const Prunable& which, std::size_t limit) override;
  // How many runs finished_before would select with no limit, and the sum
  // of their event counts.
  std::pair<std::int64_t, std::int64_t> count_finished_before(const Prunable& which) override;
  // Deletes one run's row (its events are EventStore::remove_run's).
  void remove(const std::string& run_id) override;
  // (status, number of runs) for every status that has runs, by status.
  std::vector<std::pair<std::string, std::int64_t>> count_by_status() override;
  // Ids of runs rows with no event at all (verify).
  std::vector<std::string> without_events() override;

 private:
  SQLite::Database& db_;
  std::string select_by_id_, select_live_list_, select_unfinished_;
  std::string columns_;  // the select list for this file's schema (listing statements)
  std::optional<SQLite::Statement> load_, insert_, update_, update_counters_, last_position_, first_position_, live_;
  std::map<unsigned, std::unique_ptr<SQLite::Statement>> list_statements_;  // by ListShape::key()

  // The first and last first_position of a created-time window's runs
  // (lo > hi: none yet), as of the runs up to `known`.
  struct Bounds {
    std::int64_t lo = 1, hi = 0, known = 0;
  };
  Bounds window_bounds(const RunFilter& filter);
  // The window lookup `sql` for the window's ends, prepared once each.
  SQLite::Statement& window_statement(const char* sql, const RunFilter& filter);
  static constexpr std::size_t kBoundsCacheSize = 64;
  bool has_created_index_ = false;
  std::optional<SQLite::Statement> newest_;
  std::map<std::pair<const char*, unsigned>, std::unique_ptr<SQLite::Statement>> window_statements_;
  std::map<std::pair<std::optional<std::int64_t>, std::optional<std::int64_t>>, Bounds> bounds_cache_;
};

}  // namespace runjournal::detail
