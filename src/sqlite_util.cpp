#include "sqlite_util.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

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
