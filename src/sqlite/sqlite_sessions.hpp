// sqlite_sessions.hpp — the SQLite side of ReadSession and WriteSession
// (backend.hpp): one connection each, its stores, and its transactions.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "core/backend.hpp"
#include "sqlite/connection.hpp"
#include "sqlite/event_store.hpp"
#include "sqlite/lease_store.hpp"
#include "sqlite/meta_store.hpp"
#include "sqlite/run_store.hpp"
#include "sqlite/sqlite_util.hpp"

namespace runjournal::detail {

// What both sessions share: the connection and the four stores on it.
struct SqliteStores {
  explicit SqliteStores(std::unique_ptr<SQLite::Database> connection);
  std::unique_ptr<SQLite::Database> db;
  SqliteEventStore events;
  SqliteRunStore runs;
  SqliteMetaStore meta;
  SqliteLeaseStore leases;
  std::string name;
  std::optional<SQLite::Statement> data_version_statement;
  // PRAGMA data_version: changes when another connection commits.
  std::int64_t data_version();
  // PRAGMA user_version: the file's schema.
  std::int64_t user_version();
};

class SqliteReadSession final : public ReadSession {
 public:
  explicit SqliteReadSession(std::unique_ptr<SQLite::Database> db) : stores_(std::move(db)) {}
  EventStore& events() override { return stores_.events; }
  RunStore& runs() override { return stores_.runs; }
  MetaStore& meta() override { return stores_.meta; }
  LeaseStore& leases() override { return stores_.leases; }
  const std::string& name() const override { return stores_.name; }
  std::int64_t schema_version() override { return stores_.user_version(); }
  std::int64_t latest_schema_version() const override;
  std::int64_t change_counter() override { return stores_.data_version(); }
  void guard(std::string_view what, const std::function<void()>& fn) override { translate_errors(what, fn); }
  void begin_snapshot() override;
  void end_snapshot() noexcept override;
  StorageStats storage_stats() override;
  std::vector<std::string> integrity_problems() override;

 private:
  SqliteStores stores_;
  std::optional<ReadTransaction> snapshot_;
};

class SqliteWriteSession final : public WriteSession {
 public:
  // `db` is open_writer()'s connection, already migrated.
  SqliteWriteSession(std::unique_ptr<SQLite::Database> db, Durability durability);
  EventStore& events() override { return stores_.events; }
  RunStore& runs() override { return stores_.runs; }
  MetaStore& meta() override { return stores_.meta; }
  LeaseStore& leases() override { return stores_.leases; }
  const std::string& name() const override { return stores_.name; }
  std::int64_t schema_version() override { return stores_.user_version(); }
  std::int64_t latest_schema_version() const override;
  std::int64_t change_counter() override { return stores_.data_version(); }
  void guard(std::string_view what, const std::function<void()>& fn) override { translate_errors(what, fn); }
  void begin() override;
  void commit() override;
  void rollback() noexcept override;
  void savepoint() override;
  void release_savepoint() override;
  void rollback_to_savepoint() override;
  void set_durability(Durability durability) override;
  Durability durability() const override { return durability_; }
  std::int64_t reclaim_some_space() override;
  void finish_reclaiming() override;

 private:
  void run(std::optional<SQLite::Statement>& slot, const char* sql);

  // The state of the connection's checkpoint hook (connection.hpp); declared
  // before the connection, so that it outlives it.
  CheckpointHook checkpoint_hook_;
  SqliteStores stores_;
  Durability durability_;
  std::optional<SQLite::Statement> begin_, commit_, rollback_, savepoint_, release_, rollback_to_;
};

}  // namespace runjournal::detail
