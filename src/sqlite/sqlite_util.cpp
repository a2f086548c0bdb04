#include "sqlite/sqlite_util.hpp"

#include <cstddef>
#include <string>

#include <fmt/format.h>
#include <sqlite3.h>

#include <runjournal/journal.hpp>

namespace runjournal {
namespace {

// Whether SQLite's json_valid() accepts `depth` nested arrays.
bool json_accepts_depth(sqlite3_stmt* stmt, std::size_t depth) {
  std::string text(depth, '[');
  text.append(depth, ']');
  sqlite3_reset(stmt);
  sqlite3_bind_text(stmt, 1, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0) == 1;
}

// Asks the linked SQLite: the largest depth json_valid() accepts, by
// bisection between 1 and 2^17 (SQLite's limit has been 2,000, then 1,000).
std::size_t probe_json_max_depth() noexcept {
  // Used only if SQLite cannot tell (JSON functions compiled out, no
  // memory): the smallest limit any SQLite with JSON functions has had.
  constexpr std::size_t kFallback = 1000;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return kFallback;
  }
  sqlite3_stmt* stmt = nullptr;
  std::size_t found = kFallback;
  if (sqlite3_prepare_v2(db, "SELECT json_valid(?1)", -1, &stmt, nullptr) == SQLITE_OK &&
      json_accepts_depth(stmt, 1)) {
    std::size_t accepted = 1;
    std::size_t refused = std::size_t{1} << 17;
    if (json_accepts_depth(stmt, refused)) {
      found = refused;  // no limit worth the name; ours (kMaxStoredDepth) applies
    } else {
      while (refused - accepted > 1) {
        const std::size_t mid = accepted + (refused - accepted) / 2;
        (json_accepts_depth(stmt, mid) ? accepted : refused) = mid;
      }
      found = accepted;
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return found;
}

}  // namespace

std::string_view sqlite_version() noexcept { return sqlite3_libversion(); }

std::size_t sqlite_json_max_depth() noexcept {
  static const std::size_t depth = probe_json_max_depth();
  return depth;
}

}  // namespace runjournal

namespace runjournal::detail {

void throw_sqlite_error(const SQLite::Exception& e, std::string_view context) {
  const int extended = e.getExtendedErrorCode();
  ErrorCode code = ErrorCode::Io;
  switch (extended & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: code = ErrorCode::Busy; break;
    case SQLITE_CORRUPT: code = ErrorCode::Corrupt; break;
    case SQLITE_NOTADB: code = ErrorCode::NotAJournal; break;
    default: break;
  }
  throw Error(code, fmt::format("{}: {} (sqlite error {})", context, e.what(), extended));
}

std::int64_t pragma_int(SQLite::Database& db, const char* pragma) {
  SQLite::Statement stmt(db, pragma);
  if (!stmt.executeStep()) return 0;
  return stmt.getColumn(0).getInt64();
}

SQLite::Statement& cached_statement(SQLite::Database& db, std::optional<SQLite::Statement>& slot, const char* sql) {
  if (!slot) {
    slot.emplace(db, sql);
  } else {
    // tryReset: sqlite3_reset repeats the error of the statement's last
    // failed step, which its caller has already seen; the statement itself
    // is reusable.
    slot->tryReset();
    slot->clearBindings();
  }
  return *slot;
}

StatementReset::~StatementReset() {
  // Swallowed: reset() reports the error of the step that failed, which the
  // caller has already seen (and is being thrown right now).
  try {
    stmt_.reset();
  } catch (...) {
  }
}

WriteTransaction::WriteTransaction(SQLite::Database& db, TransactionStatements* statements)
    : db_(db), statements_(statements) {
  translate_errors("begin write", [&] { run(&TransactionStatements::begin, "BEGIN IMMEDIATE"); });
}

void WriteTransaction::run(std::optional<SQLite::Statement> TransactionStatements::*slot, const char* sql) {
  if (!statements_) {
    db_.exec(sql);
    return;
  }
  SQLite::Statement& stmt = cached_statement(db_, statements_->*slot, sql);
  StatementReset reset_on_exit(stmt);
  stmt.exec();
}

WriteTransaction::~WriteTransaction() {
  if (done_) return;
  // The one place an error is swallowed: a destructor may run during stack
  // unwinding and must not throw. If ROLLBACK itself fails, SQLite has
  // already rolled the transaction back (an I/O error or a full disk aborts
  // the transaction), so nothing is left half-written either way.
  try {
    run(&TransactionStatements::rollback, "ROLLBACK");
  } catch (...) {
  }
}

void WriteTransaction::rollback() {
  done_ = true;
  translate_errors("rollback", [&] { run(&TransactionStatements::rollback, "ROLLBACK"); });
}

void WriteTransaction::commit() {
  translate_errors("commit", [&] { run(&TransactionStatements::commit, "COMMIT"); });
  done_ = true;
}

ReadTransaction::ReadTransaction(SQLite::Database& db) : db_(db) {
  translate_errors("begin read", [&] { db_.exec("BEGIN"); });
}

ReadTransaction::~ReadTransaction() {
  // A read transaction changes nothing; if ending it fails the connection is
  // closed soon after anyway. Swallowed for the same reason as above.
  try {
    db_.exec("COMMIT");
  } catch (...) {
  }
}

}  // namespace runjournal::detail
