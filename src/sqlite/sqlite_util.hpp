// sqlite_util.hpp — SQLite to runjournal glue: error translation and the
// transaction guards every table file uses.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>

#include <runjournal/error.hpp>

namespace runjournal::detail {

// Translates a SQLite failure into Error: BUSY/LOCKED -> Busy,
// CORRUPT -> Corrupt, NOTADB -> NotAJournal, everything else -> Io. The
// message keeps `context`, SQLite's text and its extended result code.
[[noreturn]] void throw_sqlite_error(const SQLite::Exception& e, std::string_view context);

// Runs `fn`, translating SQLite and std::bad_alloc-free failures on the way
// out; runjournal::Error passes through untouched.
template <class Fn>
decltype(auto) translate_errors(std::string_view context, Fn&& fn) {
  try {
    return std::forward<Fn>(fn)();
  } catch (const SQLite::Exception& e) {
    throw_sqlite_error(e, context);
  }
}

// The integer a single-value PRAGMA returns ("PRAGMA user_version"), 0 when
// it returns no row. Every file-level PRAGMA read goes through here.
std::int64_t pragma_int(SQLite::Database& db, const char* pragma);
// The file-level PRAGMAs the journal reads, named once.
inline std::int64_t user_version(SQLite::Database& db) { return pragma_int(db, "PRAGMA user_version"); }
inline std::int64_t application_id(SQLite::Database& db) { return pragma_int(db, "PRAGMA application_id"); }
inline std::int64_t freelist_count(SQLite::Database& db) { return pragma_int(db, "PRAGMA freelist_count"); }

// The statement in `slot`, prepared on first use and reset (bindings
// cleared) on every later one. Stores keep their hot statements this way.
SQLite::Statement& cached_statement(SQLite::Database& db, std::optional<SQLite::Statement>& slot, const char* sql);

// Resets a cached prepared statement when the scope ends, however it ends:
// a statement left mid-step keeps its read snapshot (and its locks) open.
class StatementReset {
 public:
  explicit StatementReset(SQLite::Statement& stmt) : stmt_(stmt) {}
  ~StatementReset();
  StatementReset(const StatementReset&) = delete;
  StatementReset& operator=(const StatementReset&) = delete;

 private:
  SQLite::Statement& stmt_;
};

// BEGIN IMMEDIATE, COMMIT and ROLLBACK prepared once, for a connection that
// writes many small transactions (the writer): sqlite3_exec would parse and
// plan each of them every time.
struct TransactionStatements {
  std::optional<SQLite::Statement> begin, commit, rollback;
};

// BEGIN IMMEDIATE … COMMIT, rolled back by the destructor unless committed.
// IMMEDIATE takes the write lock at BEGIN, so a writer never discovers a
// conflict halfway through (a deferred transaction that upgrades can fail
// with SQLITE_BUSY that no busy handler may retry).
class WriteTransaction {
 public:
  // `statements` (optional) must belong to `db` and outlive the transaction.
  explicit WriteTransaction(SQLite::Database& db, TransactionStatements* statements = nullptr);
  ~WriteTransaction();
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  void commit();
  // Rolls back now (the destructor then does nothing).
  void rollback();

 private:
  void run(std::optional<SQLite::Statement> TransactionStatements::*slot, const char* sql);

  SQLite::Database& db_;
  TransactionStatements* statements_;
  bool done_ = false;
};

// BEGIN … COMMIT for a read that needs one consistent snapshot across
// several statements. Ended by the destructor: a reader never holds a
// snapshot past the call that took it (a held snapshot stops checkpoints).
class ReadTransaction {
 public:
  explicit ReadTransaction(SQLite::Database& db);
  ~ReadTransaction();
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  SQLite::Database& db_;
};

}  // namespace runjournal::detail
