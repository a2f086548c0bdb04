// sqlite_sessions.cpp — SQLite's sessions: prepared transaction statements
// (sqlite3_exec would parse and plan BEGIN and COMMIT every time), one
// savepoint level for a batch in a group, and the file's own PRAGMAs.
#include "sqlite/sqlite_sessions.hpp"

#include <cstdlib>
#include <cstring>
#include <system_error>

#include <sqlite3.h>

#include "sqlite/migrator.hpp"

namespace runjournal::detail {
namespace {

// Pages given back per transaction after prune: a bounded transaction, so
// appends wait for one step, not for the whole reclaiming.
constexpr const char* kIncrementalVacuum = "PRAGMA incremental_vacuum(2000)";
// Copies the shrunken file back from the WAL so the file system sees it;
// PASSIVE: it never waits for a reader.
constexpr const char* kCheckpoint = "PRAGMA wal_checkpoint(PASSIVE)";

// 0 for a file that is not there (a WAL removed by the last close).
std::int64_t size_of(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<std::int64_t>(size);
}

// Whether a row of PRAGMA integrity_check says SQLite could not read a page
// (an I/O error, a full disk, no memory) rather than that a page is wrong.
// SQLite reports both as rows: "Page N: unable to get the page. error
// code=C", "Failed to read ptrmap key=N" (a ptrmap page that could not be
// fetched; a wrong ptrmap entry is "Bad ptr map entry").
bool is_read_failure(const std::string& line) {
  if (line.find("Failed to read ptrmap key=") != std::string::npos) return true;
  constexpr const char* kUnreadable = "unable to get the page. error code=";
  const std::size_t at = line.find(kUnreadable);
  if (at == std::string::npos) return false;
  const int primary = std::atoi(line.c_str() + at + std::strlen(kUnreadable)) & 0xFF;
  return primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_NOMEM;
}

}  // namespace

SqliteStores::SqliteStores(std::unique_ptr<SQLite::Database> connection)
    : db(std::move(connection)), events(*db), runs(*db), meta(*db), leases(*db), name(db->getFilename()) {}

std::int64_t SqliteStores::data_version() {
  SQLite::Statement& stmt = cached_statement(*db, data_version_statement, "PRAGMA data_version");
  StatementReset reset_on_exit(stmt);
  stmt.executeStep();
  return stmt.getColumn("data_version").getInt64();
}

std::int64_t SqliteStores::user_version() { return detail::user_version(*db); }

std::int64_t SqliteReadSession::latest_schema_version() const { return detail::latest_schema_version(); }

void SqliteReadSession::begin_snapshot() { snapshot_.emplace(*stores_.db); }

void SqliteReadSession::end_snapshot() noexcept { snapshot_.reset(); }

StorageStats SqliteReadSession::storage_stats() {
  SQLite::Database& db = *stores_.db;
  StorageStats stats;
  stats.page_size = pragma_int(db, "PRAGMA page_size");
  stats.page_count = pragma_int(db, "PRAGMA page_count");
  stats.free_pages = freelist_count(db);
  stats.schema_version = stores_.user_version();
  stats.file_bytes = size_of(stores_.name);
  stats.wal_bytes = size_of(stores_.name + "-wal");
  stats.engine_version = sqlite3_libversion();
  return stats;
}

std::vector<std::string> SqliteReadSession::integrity_problems() {
  std::vector<std::string> problems;
  SQLite::Statement check(*stores_.db, "PRAGMA integrity_check");
  while (check.executeStep()) {
    const std::string line = check.getColumn(0).getString();
    // Found by tests/fault_test.cpp: a read fault during verify().
    if (is_read_failure(line)) {
      throw Error(ErrorCode::Io, "verify: integrity_check could not read the file: " + line);
    }
    if (line != "ok") problems.push_back("integrity_check: " + line);
  }
  return problems;
}

SqliteWriteSession::SqliteWriteSession(std::unique_ptr<SQLite::Database> db, Durability durability)
    : stores_(std::move(db)), durability_(durability) {
  install_checkpoint_hook(*stores_.db, checkpoint_hook_);
}

std::int64_t SqliteWriteSession::latest_schema_version() const { return detail::latest_schema_version(); }

void SqliteWriteSession::run(std::optional<SQLite::Statement>& slot, const char* sql) {
  SQLite::Statement& stmt = cached_statement(*stores_.db, slot, sql);
  StatementReset reset_on_exit(stmt);
  stmt.exec();
}

// IMMEDIATE takes the write lock at BEGIN, so a writer never discovers a
// conflict halfway through (a deferred transaction that upgrades can fail
// with SQLITE_BUSY that no busy handler may retry).
void SqliteWriteSession::begin() {
  translate_errors("begin write", [&] { run(begin_, "BEGIN IMMEDIATE"); });
}

void SqliteWriteSession::commit() {
  translate_errors("commit", [&] { run(commit_, "COMMIT"); });
}

void SqliteWriteSession::rollback() noexcept {
  // Swallowed: if ROLLBACK itself fails, SQLite has already rolled the
  // transaction back (an I/O error or a full disk aborts it), so nothing is
  // left half-written either way.
  try {
    run(rollback_, "ROLLBACK");
  } catch (...) {
  }
}

void SqliteWriteSession::savepoint() { run(savepoint_, "SAVEPOINT batch"); }

void SqliteWriteSession::release_savepoint() { run(release_, "RELEASE batch"); }

void SqliteWriteSession::rollback_to_savepoint() {
  run(rollback_to_, "ROLLBACK TO batch");
  run(release_, "RELEASE batch");
}

void SqliteWriteSession::set_durability(Durability durability) {
  detail::set_durability(*stores_.db, durability);
  durability_ = durability;
}

std::int64_t SqliteWriteSession::reclaim_some_space() {
  SQLite::Database& db = *stores_.db;
  const std::int64_t before = freelist_count(db);
  if (before == 0) return 0;
  WriteTransaction txn(db);
  db.exec(kIncrementalVacuum);
  const std::int64_t after = freelist_count(db);
  txn.commit();
  return before - after;
}

void SqliteWriteSession::finish_reclaiming() { stores_.db->exec(kCheckpoint); }

}  // namespace runjournal::detail
