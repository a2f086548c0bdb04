// postgres/transaction.hpp — BEGIN … COMMIT as a scope (RAII), and retries.
//
// A Transaction begins in its constructor and rolls back in its destructor
// unless commit() succeeded: an exception anywhere in between leaves
// nothing behind on the server. Isolation defaults to READ COMMITTED, where
// each statement sees everything committed before it started; that is what
// a writer that first takes a lock and then reads wants (the read after the
// lock sees the previous holder's commit). REPEATABLE READ and SERIALIZABLE
// take their snapshot at the first query and may fail with 40001
// (serialization_failure: Busy, retryable).
//
// commit() throws when the server did not commit: a failed transaction's
// COMMIT answers ROLLBACK without an error, and that is an error here. A
// commit whose connection broke has an unknown outcome (see
// DatabaseError::connection_lost()).
//
// Thread safety: as the Connection's.
#pragma once

#include <chrono>
#include <thread>

#include "postgres/connection.hpp"
#include "postgres/database_error.hpp"

namespace runjournal::pg {

enum class Isolation { ReadCommitted, RepeatableRead, Serializable };

struct TransactionOptions {
  Isolation isolation = Isolation::ReadCommitted;
  bool read_only = false;   // the server refuses writes: 25006, ReadOnly
  bool deferrable = false;  // with Serializable and read_only: waits for a snapshot that cannot fail
};

// "BEGIN ISOLATION LEVEL … READ WRITE": the statement that starts one.
std::string begin_statement(const TransactionOptions& options);

class Transaction {
 public:
  explicit Transaction(Connection& connection, const TransactionOptions& options = {});
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  void commit();
  // Ends it now; a no-op after commit() or rollback().
  void rollback();
  bool active() const noexcept { return active_; }

 private:
  Connection& connection_;
  bool active_ = false;
};

// Runs `body` (which makes its own Transaction) up to `attempts` times while
// it fails with a retryable SQLSTATE (serialisation failure, deadlock, lock
// timeout, too many connections), sleeping 1, 2, 4 … ms between attempts;
// rethrows the last failure, or at once any other. A lost connection is not
// retried here: that needs a reconnect, and a COMMIT lost so needs an
// idempotency key, both the caller's.
template <typename Body>
auto with_retries(int attempts, Body&& body) -> decltype(body()) {
  for (int attempt = 1;; ++attempt) {
    try {
      return body();
    } catch (const DatabaseError& e) {
      if (attempt >= attempts || e.connection_lost() || !sqlstate_retryable(e.sqlstate())) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(1 << (attempt - 1 < 10 ? attempt - 1 : 10)));
    }
  }
}

}  // namespace runjournal::pg
