// pg_write_queue.hpp — a write session's deferred writes on PostgreSQL: the
// events and runs rows a transaction writes are held in the client and sent
// together, in one pipeline, right before the next statement on the
// connection (docs/postgresql.md, "Group commit"). A group of appends then
// costs its round trips for BEGIN, the reads it needs and COMMIT, not one per
// row written.
//
// Guarantees:
// - Order: the queue goes out before every later statement on its
//   connection (pg::Connection's before-statement hook: exec, prepare,
//   exec_prepared, a Pipeline), in the order queued. So a read sees every
//   row queued before it, SAVEPOINT follows what was queued before it,
//   RELEASE SAVEPOINT what the savepoint holds, COMMIT everything.
// - Errors: a row the server refuses fails the call of the statement that
//   sent the queue, with the server's error (pg::DatabaseError: SQLSTATE,
//   constraint), inside the savepoint the row was queued in; a runs UPDATE
//   that changes no row is Corrupt. The queue is empty afterwards, sent or
//   failed; the transaction is then failed as after any failed statement.
// - discard() forgets what is queued: for a rollback (whole, or to a
//   savepoint opened after everything earlier went out), which would undo it.
// - Outside a transaction nothing is deferred (the stores run each write at
//   once): there may be no next statement to carry it.
//
// Used by one thread at a time, like its connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "postgres/connection.hpp"

namespace runjournal::detail {

class PgWriteQueue {
 public:
  // A parameter the queue owns until it is sent: NULL, text or an integer.
  using Value = std::variant<std::monostate, std::string, std::int64_t>;

  struct EventRow {
    std::int64_t position = 0;
    std::string run_id;
    std::int64_t seq = 0;
    std::int64_t ts_ms = 0;
    std::string kind;
    std::string payload;  // JSON text, cast to JSONB by the server
    std::optional<std::string> idempotency_key;
  };

  // Installs itself as `conn`'s before-statement hook; `conn` must outlive it.
  explicit PgWriteQueue(pg::Connection& conn);
  PgWriteQueue(const PgWriteQueue&) = delete;
  PgWriteQueue& operator=(const PgWriteQueue&) = delete;

  void add_event(EventRow row);
  // A prepared statement (prepared on the connection already) writing the
  // runs row of `run_id`; with `one_row`, exactly one row must change.
  void add_run_write(std::string statement, std::vector<Value> params, std::string run_id, bool one_row);
  // Sends what is queued now (what the hook does).
  void flush();
  void discard() noexcept { items_.clear(); }
  bool empty() const noexcept { return items_.empty(); }

 private:
  struct RunWrite {
    std::string statement;
    std::vector<Value> params;
    std::string run_id;
    bool one_row = false;
  };
  pg::Connection& conn_;
  std::vector<std::variant<EventRow, RunWrite>> items_;
  bool prepared_ = false;
};

}  // namespace runjournal::detail
