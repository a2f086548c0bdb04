// pg_sessions.cpp — PostgreSQL's sessions (pg_sessions.hpp): the write
// lock, the counter row raised at commit, snapshots, durability, space.
#include "postgres/pg_sessions.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "postgres/database_error.hpp"
#include "postgres/migrations.hpp"
#include "postgres/pipeline.hpp"

namespace runjournal::detail {
namespace {

// The write lock, and what the core reads first under it. READ COMMITTED:
// every statement after the lock sees what its previous holder committed.
constexpr const char* kLockCounter =
    "SELECT last_position, xmin::text::bigint AS version FROM journal_meta WHERE singleton = 1 FOR UPDATE";
// At every commit: the floor for the next writer, and the row's new xmin
// (this transaction's id), by which this session knows its own commit.
constexpr const char* kRaiseCounter =
    "UPDATE journal_meta SET last_position = GREATEST(last_position, $1) WHERE singleton = 1 "
    "RETURNING xmin::text::bigint AS version";
// Wakes followers (pg_backend.cpp's listener): sent inside the transaction,
// so it is delivered when, and only if, the transaction commits.
constexpr const char* kNotifyChange = "SELECT pg_notify($1, current_schema())";
constexpr const char* kReadCounter = "SELECT xmin::text::bigint AS version FROM journal_meta WHERE singleton = 1";
// The journal's tables and their indexes and TOAST, in bytes.
constexpr const char* kTableBytes =
    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes, "
    "coalesce(sum(pg_relation_size(c.oid)), 0)::bigint AS heap_bytes, "
    "current_setting('block_size')::bigint AS block_size, current_setting('server_version') AS server_version "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relkind = 'r'";

std::int64_t heap_pages(pg::Connection& conn) {
  const pg::Result r = conn.exec(kTableBytes);
  return r.int64(0, r.column("heap_bytes")) / std::max<std::int64_t>(1, r.int64(0, r.column("block_size")));
}

void reconnect_if_lost(pg::Connection& conn, const PgSettings& settings) {
  if (!conn.usable() && !conn.in_transaction()) conn.reconnect(settings.busy_timeout);
}

}  // namespace

pg::Connection connect_session(const PgSettings& settings) {
  pg::ConnectOptions options;
  options.connect_timeout = settings.busy_timeout.count() > 0 ? settings.busy_timeout : std::chrono::seconds(10);
  pg::Connection conn = pg::Connection::connect(settings.conninfo, options);
  conn.exec(fmt::format("SET lock_timeout = {}", std::max<std::int64_t>(1, settings.busy_timeout.count())));
  return conn;
}

void pg_translate_errors(std::string_view what, const std::function<void()>& fn) {
  try {
    fn();
  } catch (const pg::DatabaseError& e) {
    // A duplicate (run, seq) is a writer that lost a race for a seq: the
    // unique key is the backstop behind the run's lock (docs/postgresql.md).
    ErrorCode code = e.code();
    if (e.constraint() == "events_run_id_seq_key") code = ErrorCode::Conflict;
    throw Error(code, fmt::format("{}: {}", what, e.what()));
  }
}

PgStores::PgStores(pg::Connection connection)
    : conn(std::move(connection)), queue(conn), events(conn, state, queue), runs(conn, queue), meta(conn), leases(conn) {}

PgReadSession::PgReadSession(const PgSettings& settings)
    : settings_(settings), stores_(std::make_unique<PgStores>(connect_session(settings))) {}

std::int64_t PgReadSession::latest_schema_version() const {
  return static_cast<std::int64_t>(pg::migrations().size());
}

std::int64_t PgReadSession::change_counter() {
  if (!in_snapshot_) reconnect_if_lost(stores_->conn, settings_);
  const pg::Result r = stores_->conn.exec(kReadCounter);
  return r.rows() == 0 ? 0 : r.int64(0, r.column("version"));
}

// Every read comes through here: a connection the server ended (a restart,
// pg_terminate_backend) is replaced before the read, outside a snapshot.
// The read that found it lost failed with Io; the next one works.
void PgReadSession::guard(std::string_view what, const std::function<void()>& fn) {
  pg_translate_errors(what, [&] {
    if (!in_snapshot_) reconnect_if_lost(stores_->conn, settings_);
    fn();
  });
}

void PgReadSession::begin_snapshot() {
  reconnect_if_lost(stores_->conn, settings_);
  stores_->conn.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  in_snapshot_ = true;
}

void PgReadSession::end_snapshot() noexcept {
  in_snapshot_ = false;
  // Swallowed: a read-only transaction has nothing to lose, and a
  // connection that broke has ended it on the server.
  try {
    if (stores_->conn.in_transaction()) stores_->conn.exec("COMMIT");
  } catch (...) {
  }
}

StorageStats PgReadSession::storage_stats() {
  pg::Connection& conn = stores_->conn;
  const pg::Result r = conn.exec(kTableBytes);
  StorageStats stats;
  stats.file_bytes = r.int64(0, r.column("bytes"));
  stats.page_size = r.int64(0, r.column("block_size"));
  stats.page_count = stats.page_size > 0 ? stats.file_bytes / stats.page_size : 0;
  stats.schema_version = pg_schema_version(conn);
  stats.engine_version = fmt::format("PostgreSQL {}", r.text(0, r.column("server_version")));
  return stats;
}

// PostgreSQL checks pages as it reads them (a damaged one fails the read:
// XX001, Corrupt) and offers no cheap whole-database check without the
// amcheck extension; verify() reads every event and row, which is that
// check for the journal's tables. Nothing more is claimed here.
std::vector<std::string> PgReadSession::integrity_problems() { return {}; }

PgWriteSession::PgWriteSession(const PgSettings& settings, pg::Connection connection, Durability durability)
    : settings_(settings), stores_(std::make_unique<PgStores>(std::move(connection))), durability_(durability) {
  apply_settings();
}

std::int64_t PgWriteSession::latest_schema_version() const {
  return static_cast<std::int64_t>(pg::migrations().size());
}

// Durability (docs/postgresql.md, "Durability"): Full waits for the WAL
// flush of the commit on the server (and on synchronous standbys, when the
// server has any); Normal waits for the local flush only.
void PgWriteSession::apply_settings() {
  pg::Connection& conn = stores_->conn;
  conn.exec(durability_ == Durability::Full ? "SET synchronous_commit = on" : "SET synchronous_commit = local");
  conn.exec(fmt::format("SET lock_timeout = {}", std::max<std::int64_t>(1, settings_.busy_timeout.count())));
}

void PgWriteSession::guard(std::string_view what, const std::function<void()>& fn) {
  pg_translate_errors(what, fn);
}

void PgWriteSession::begin() {
  pg_translate_errors("begin write", [&] {
    pg::Connection& conn = stores_->conn;
    if (!conn.usable() && !conn.in_transaction()) {
      conn.reconnect(settings_.busy_timeout);
      apply_settings();
    }
    stores_->state = PgTransactionState{};
    stores_->queue.discard();
    pg::Pipeline pipeline(conn);
    pipeline.send("BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE", std::span<const pg::Param>());
    pipeline.send(kLockCounter, std::span<const pg::Param>());
    std::vector<pg::Result> results;
    try {
      results = pipeline.sync();
    } catch (...) {
      if (conn.usable() && conn.in_transaction()) conn.exec("ROLLBACK");
      throw;
    }
    const pg::Result& locked = results.at(1);
    if (locked.rows() == 0) throw Error(ErrorCode::Corrupt, "journal_meta has no row");
    const std::int64_t version = locked.int64(0, locked.column("version"));
    if (version != own_version_) ++generation_;
  });
}

void PgWriteSession::commit() {
  pg_translate_errors("commit", [&] {
    pg::Connection& conn = stores_->conn;
    pg::Pipeline pipeline(conn);
    pipeline.send(kRaiseCounter, {stores_->state.max_inserted});
    const bool wrote_events = stores_->state.max_inserted > 0;
    if (wrote_events) pipeline.send(kNotifyChange, {std::string_view(kChangeChannel)});
    pipeline.send("COMMIT", std::span<const pg::Param>());
    const std::vector<pg::Result> results = pipeline.sync();
    const pg::Result& committed = results.back();
    if (committed.command_status() != "COMMIT") {
      throw Error(ErrorCode::Io, fmt::format("commit: the server rolled the transaction back (it answered {})",
                                             committed.command_status()));
    }
    own_version_ = results.at(0).int64(0, results.at(0).column("version"));
    vacuumed_ = false;
  });
}

void PgWriteSession::rollback() noexcept {
  // Swallowed: a connection that broke has rolled the transaction back on
  // the server, so nothing is left half-written either way.
  try {
    stores_->queue.discard();  // the rollback would undo it
    pg::Connection& conn = stores_->conn;
    if (conn.usable() && conn.in_transaction()) conn.exec("ROLLBACK");
  } catch (...) {
  }
}

// The write queue (pg_write_queue.hpp) goes out before each of these
// statements: before SAVEPOINT, so what earlier batches wrote fails outside
// this batch's savepoint; before RELEASE, so what this batch wrote fails
// inside it, and the batch is refused alone. COMMIT's pipeline sends it
// likewise.
void PgWriteSession::savepoint() { stores_->conn.exec("SAVEPOINT batch"); }

void PgWriteSession::release_savepoint() { stores_->conn.exec("RELEASE SAVEPOINT batch"); }

void PgWriteSession::rollback_to_savepoint() {
  // Queued since the savepoint (savepoint() sent everything before it):
  // the rollback undoes it, so it need not be sent.
  stores_->queue.discard();
  stores_->conn.exec("ROLLBACK TO SAVEPOINT batch");
  stores_->conn.exec("RELEASE SAVEPOINT batch");
}

void PgWriteSession::set_durability(Durability durability) {
  durability_ = durability;
  apply_settings();
}

// After prune: one VACUUM of the journal's tables (it cannot run inside a
// transaction, and the core calls this outside one), which makes the
// removed rows' space reusable and gives trailing empty pages back to the
// file system. The pages returned are the heap's shrinkage; the next call
// returns 0 (VACUUM has done what it can).
std::int64_t PgWriteSession::reclaim_some_space() {
  if (vacuumed_) return 0;
  pg::Connection& conn = stores_->conn;
  const std::int64_t before = heap_pages(conn);
  conn.exec("VACUUM events, runs, driver_leases, journal_meta");
  vacuumed_ = true;
  return std::max<std::int64_t>(0, before - heap_pages(conn));
}

void PgWriteSession::finish_reclaiming() { vacuumed_ = false; }

}  // namespace runjournal::detail
