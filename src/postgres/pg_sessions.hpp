// pg_sessions.hpp — PostgreSQL's ReadSession and WriteSession
// (core/backend.hpp): one connection each, its four stores, its
// transactions. docs/postgresql.md says why each is as it is.
//
// The write lock is the counter row: begin() takes journal_meta's row FOR
// UPDATE, held to COMMIT, so writers of the journal on every connection and
// host commit one at a time; commit() raises journal_meta.last_position to
// the highest position the transaction inserted before it commits, so the
// next writer, anywhere, starts above it.
//
// The change counter is the counter row's xmin, the transaction that last
// wrote it: every commit of a WriteSession writes the row, so it changes
// with every commit to the journal, and a writer recognises its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/backend.hpp"
#include "postgres/connection.hpp"
#include "postgres/pg_stores.hpp"

namespace runjournal::detail {

// How sessions set up their connection (pg_backend.cpp makes it).
// The channel on which commits that write events notify followers; the
// payload is the journal's schema.
inline constexpr const char* kChangeChannel = "runjournal_changes";

struct PgSettings {
  std::string conninfo;  // what libpq connects to
  std::string name;      // the journal's name in messages: the URI without its password
  std::chrono::milliseconds busy_timeout{10'000};
};

// A connection for a session: connected within the busy timeout, waits for
// a lock at most that long (lock_timeout: then Busy).
pg::Connection connect_session(const PgSettings& settings);

// Turns the layer's errors (pg::DatabaseError, already runjournal::Error)
// into runjournal::Error whose message starts with `what`.
void pg_translate_errors(std::string_view what, const std::function<void()>& fn);

struct PgStores {
  explicit PgStores(pg::Connection connection);
  pg::Connection conn;
  PgTransactionState state;
  PgWriteQueue queue;  // conn's before-statement hook
  PgEventStore events;
  PgRunStore runs;
  PgMetaStore meta;
  PgLeaseStore leases;
};

class PgReadSession final : public ReadSession {
 public:
  explicit PgReadSession(const PgSettings& settings);
  EventStore& events() override { return stores_->events; }
  RunStore& runs() override { return stores_->runs; }
  MetaStore& meta() override { return stores_->meta; }
  LeaseStore& leases() override { return stores_->leases; }
  const std::string& name() const override { return settings_.name; }
  std::int64_t schema_version() override { return pg_schema_version(stores_->conn); }
  std::int64_t latest_schema_version() const override;
  std::int64_t change_counter() override;
  void guard(std::string_view what, const std::function<void()>& fn) override;
  void begin_snapshot() override;
  void end_snapshot() noexcept override;
  StorageStats storage_stats() override;
  std::vector<std::string> integrity_problems() override;

 private:
  PgSettings settings_;
  std::unique_ptr<PgStores> stores_;
  bool in_snapshot_ = false;
};

class PgWriteSession final : public WriteSession {
 public:
  PgWriteSession(const PgSettings& settings, pg::Connection connection, Durability durability);
  EventStore& events() override { return stores_->events; }
  RunStore& runs() override { return stores_->runs; }
  MetaStore& meta() override { return stores_->meta; }
  LeaseStore& leases() override { return stores_->leases; }
  const std::string& name() const override { return settings_.name; }
  std::int64_t schema_version() override { return pg_schema_version(stores_->conn); }
  std::int64_t latest_schema_version() const override;
  // Inside a transaction: a number that moved since the last commit of this
  // session exactly when another session has committed meanwhile.
  std::int64_t change_counter() override { return generation_; }
  void guard(std::string_view what, const std::function<void()>& fn) override;
  void begin() override;
  void commit() override;
  void rollback() noexcept override;
  void savepoint() override;
  void release_savepoint() override;
  void rollback_to_savepoint() override;
  bool transaction_failed() const noexcept override { return stores_->conn.transaction_failed(); }
  void set_durability(Durability durability) override;
  Durability durability() const override { return durability_; }
  std::int64_t reclaim_some_space() override;
  void finish_reclaiming() override;

 private:
  void apply_settings();
  PgSettings settings_;
  std::unique_ptr<PgStores> stores_;
  Durability durability_;
  std::int64_t generation_ = 0;
  std::int64_t own_version_ = -1;  // the counter row's xmin after this session's last commit
  bool vacuumed_ = false;          // reclaim_some_space() has run VACUUM since the last commit
};

}  // namespace runjournal::detail
