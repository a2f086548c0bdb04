// transaction.cpp — BEGIN, COMMIT, ROLLBACK.
#include "postgres/transaction.hpp"

#include <runjournal/error.hpp>

namespace runjournal::pg {

std::string begin_statement(const TransactionOptions& options) {
  std::string s = "BEGIN ISOLATION LEVEL ";
  switch (options.isolation) {
    case Isolation::ReadCommitted: s += "READ COMMITTED"; break;
    case Isolation::RepeatableRead: s += "REPEATABLE READ"; break;
    case Isolation::Serializable: s += "SERIALIZABLE"; break;
  }
  s += options.read_only ? " READ ONLY" : " READ WRITE";
  if (options.deferrable) s += " DEFERRABLE";
  return s;
}

Transaction::Transaction(Connection& connection, const TransactionOptions& options) : connection_(connection) {
  if (connection_.in_transaction()) {
    throw Error(ErrorCode::InvalidArgument, "a transaction is already open on this connection");
  }
  connection_.exec(begin_statement(options));
  active_ = true;
}

Transaction::~Transaction() {
  if (!active_) return;
  // The one place an error is swallowed: a destructor runs while an
  // exception may already be on its way, and a rollback that fails (the
  // connection is gone) has nothing left to undo, since the server rolls
  // back a transaction whose session ends.
  try {
    rollback();
  } catch (const std::exception&) {
  }
}

void Transaction::commit() {
  if (!active_) throw Error(ErrorCode::InvalidArgument, "commit of a transaction that is not open");
  // Whatever happens next, this object no longer owns an open transaction:
  // after a failed COMMIT the server has ended it either way.
  active_ = false;
  const Result r = connection_.exec("COMMIT");
  if (r.command_status() != "COMMIT") {
    throw DatabaseError(ErrorCode::Io,
                        "COMMIT: the transaction had failed and was rolled back (the server answered " +
                            std::string(r.command_status()) + ")",
                        {});
  }
}

void Transaction::rollback() {
  if (!active_) return;
  active_ = false;
  if (connection_.usable()) connection_.exec("ROLLBACK");
}

}  // namespace runjournal::pg
