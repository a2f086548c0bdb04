// pg_stores.hpp — the four stores (core/stores.hpp) on one PostgreSQL
// connection: the SQL of the journal's tables, as SQLite's stores have it,
// with PostgreSQL's types (JSONB payloads, TEXT COLLATE "C").
//
// A store never begins or ends a transaction: it runs inside its session's
// (pg_sessions.hpp), or, outside one, each statement in its own. Inside one,
// event inserts and runs row writes wait in the session's write queue
// (pg_write_queue.hpp) and go out together before the next statement. Statements
// that run often are prepared once per connection (named "rj_…"); the rest
// are sent as they are. Used by one thread at a time, like the connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/stores.hpp"
#include "postgres/connection.hpp"
#include "postgres/pg_write_queue.hpp"

namespace runjournal::detail {

// What a write transaction has done so far, shared by its stores and its
// session: the session brings journal_meta.last_position up to the highest
// position inserted before it commits.
struct PgTransactionState {
  std::int64_t max_inserted = 0;  // 0: nothing inserted in this transaction
};

class PgEventStore final : public EventStore {
 public:
  PgEventStore(pg::Connection& conn, PgTransactionState& state, PgWriteQueue& queue)
      : conn_(conn), state_(state), queue_(queue) {}
  void insert(std::int64_t position, const std::string& run_id, std::int64_t seq, std::int64_t ts_ms,
              const std::string& kind, const std::string& payload,
              const std::optional<std::string>& idempotency_key) override;
  std::optional<Event> find_by_key(const std::string& run_id, const std::string& idempotency_key) override;
  std::vector<Event> by_run(const std::string& run_id, std::int64_t from_seq, std::size_t limit) override;
  std::vector<Event> after(std::int64_t position, std::size_t limit) override;
  std::int64_t max_position() override;
  std::optional<std::pair<std::int64_t, std::string>> newest() override;
  std::int64_t min_position() override;
  std::int64_t count() override;
  std::int64_t remove_run(const std::string& run_id) override;
  void for_each_after(std::int64_t after, const std::function<void(const EventRow&)>& visit) override;
  void for_each_by_run(std::int64_t up_to, const std::function<void(const EventRow&)>& visit) override;

 private:
  void prepare_once();
  pg::Connection& conn_;
  PgTransactionState& state_;
  PgWriteQueue& queue_;
  bool prepared_ = false;
};

class PgRunStore final : public RunStore {
 public:
  PgRunStore(pg::Connection& conn, PgWriteQueue& queue) : conn_(conn), queue_(queue) {}
  std::optional<Run> load(const std::string& run_id) override;
  void insert(const Run& run) override;
  void update(const Run& run) override;
  void update_counters(const Run& run) override;
  std::optional<std::int64_t> last_position(const std::string& run_id) override;
  // pg_run_listing.cpp
  std::vector<Run> list(const RunFilter& filter, const Page& page) override;
  std::optional<std::string> live_run_in_session(const std::string& session_id) override;
  std::vector<Run> live_runs_in_session(const std::string& session_id) override;
  std::vector<Run> unfinished(bool include_interrupted) override;
  void delete_all() override;
  std::vector<std::string> finished_before(const Prunable& which, std::size_t limit) override;
  std::pair<std::int64_t, std::int64_t> count_finished_before(const Prunable& which) override;
  void remove(const std::string& run_id) override;
  std::vector<std::pair<std::string, std::int64_t>> count_by_status() override;
  std::vector<std::string> without_events() override;

 private:
  void prepare_once();
  void write(const char* statement, std::vector<PgWriteQueue::Value> values, const std::string& run_id,
             bool one_row);
  pg::Connection& conn_;
  PgWriteQueue& queue_;
  bool prepared_ = false;
};

// The select list of a whole runs row, and every row of a result as runs
// (pg_run_store.cpp; the listing uses them too).
extern const char* const kPgRunColumns;
std::vector<Run> read_pg_runs(const pg::Result& result);

class PgMetaStore final : public MetaStore {
 public:
  explicit PgMetaStore(pg::Connection& conn) : conn_(conn) {}
  Meta load() override;
  void save_positions(std::int64_t last_position, std::int64_t projected_position) override;
  void save_projector_version(std::int64_t version) override;

 private:
  pg::Connection& conn_;
};

class PgLeaseStore final : public LeaseStore {
 public:
  explicit PgLeaseStore(pg::Connection& conn) : conn_(conn) {}
  void refresh(const std::string& host, const std::string& boot_id, std::int64_t expires_at_ms) override;
  std::vector<Lease> load_all() override;

 private:
  pg::Connection& conn_;
};

// The schema version of the connection's journal: max(journal_migrations.version).
std::int64_t pg_schema_version(pg::Connection& conn);

}  // namespace runjournal::detail
