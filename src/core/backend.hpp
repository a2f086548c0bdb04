// backend.hpp — the seam between the journal's logic (src/core) and the
// engine that stores it (src/sqlite today). The core never names an engine:
// it reads through a ReadSession, writes through a WriteSession, and asks a
// Backend for either. docs/architecture.md draws the flows.
//
// What every backend guarantees (the core relies on each):
// - Ordering: a WriteSession's transactions are serialised against every
//   other writer of the journal, in any process or host: between begin()
//   and commit() no other writer commits, so positions read at begin() and
//   assigned in order stay unique and commit in increasing order, and a
//   reader that has seen position P never later sees a new event below P.
// - Atomicity: a transaction commits whole or not at all; rollback(), a
//   failed commit() or the death of the process leaves nothing of it. A
//   savepoint rolls back alone inside its transaction.
// - Durability: commit() returns only once the transaction is as durable as
//   the session's Durability says: Full survives a power loss, Normal a
//   crash of the process.
// - Isolation of readers: a ReadSession's snapshot (Snapshot) sees one
//   committed state across all its reads; without one each read sees some
//   committed state. A reader never blocks a writer's commit for longer
//   than a read takes, and never sees a transaction that is not committed.
// - Errors: every failure leaves the backend as runjournal::Error (guard()
//   translates the engine's own), with Busy for a lock not had in time.
//
// Capabilities each backend provides in its own way: the read-only SQL
// gate, giving space back after prune, storage statistics, the change
// counter that wakes a follower. Optional: a change listener (a push when
// another connection commits; without one a follower polls).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <runjournal/inspect.hpp>
#include <runjournal/options.hpp>

#include "core/stores.hpp"

namespace runjournal::detail {

// What a backend can tell about its storage (Journal::stats()).
struct StorageStats {
  std::int64_t file_bytes = 0;
  std::int64_t wal_bytes = 0;
  std::int64_t page_size = 0;
  std::int64_t page_count = 0;
  std::int64_t free_pages = 0;
  std::int64_t schema_version = 0;
  std::string engine_version;
};

// One connection's view of the journal. Used by one thread at a time.
class Session {
 public:
  virtual ~Session() = default;
  virtual EventStore& events() = 0;
  virtual RunStore& runs() = 0;
  virtual MetaStore& meta() = 0;
  virtual LeaseStore& leases() = 0;
  // The journal's name in messages: a path, or a URI without its password.
  virtual const std::string& name() const = 0;
  // The schema version the journal has, and the newest this library knows
  // for this backend (docs/format.md, "Identity and versions").
  virtual std::int64_t schema_version() = 0;
  virtual std::int64_t latest_schema_version() const = 0;
  // A number that changes whenever another connection commits to the
  // journal (and may change otherwise): cheap, touches no table.
  virtual std::int64_t change_counter() = 0;
  // Runs `fn`, turning the engine's own failures into runjournal::Error
  // whose message starts with `what`; an Error passes through untouched.
  virtual void guard(std::string_view what, const std::function<void()>& fn) = 0;
};

class ReadSession : public Session {
 public:
  // One snapshot for every read until end_snapshot() (Snapshot below).
  virtual void begin_snapshot() = 0;
  virtual void end_snapshot() noexcept = 0;
  virtual StorageStats storage_stats() = 0;
  // The storage engine's own check of what it stores, one line per problem
  // found (verify). A part it could not read is Error(Io), not a finding:
  // a transient read error never makes a sound journal look inconsistent.
  virtual std::vector<std::string> integrity_problems() = 0;
};

class WriteSession : public Session {
 public:
  // A write transaction that holds the journal's write lock from its start
  // (no conflict is discovered halfway), and its end.
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
  // One nested level: a batch inside a group's transaction.
  virtual void savepoint() = 0;
  virtual void release_savepoint() = 0;
  virtual void rollback_to_savepoint() = 0;
  // Whether the engine has given up the open transaction after a failed
  // statement (PostgreSQL does, SQLite does not): nothing more can be
  // written in it, only a rollback (to a savepoint, or whole) helps.
  virtual bool transaction_failed() const noexcept { return false; }
  virtual void set_durability(Durability durability) = 0;
  virtual Durability durability() const = 0;
  // After prune: gives back up to a bounded number of free pages in a
  // transaction of its own; returns how many it gave (0: none left).
  virtual std::int64_t reclaim_some_space() = 0;
  // After reclaiming: lets the file system see the smaller journal.
  virtual void finish_reclaiming() = 0;
};

// A push from the journal's storage when a writer commits events, on a
// connection of its own. Used by one thread at a time. A wake-up may be
// spurious, never missed: a commit that lands after the listener was opened
// ends a wait() in progress or the next one.
class ChangeListener {
 public:
  virtual ~ChangeListener() = default;
  // Waits until events may have been committed since the last wait() (or
  // since the listener opened), at most `timeout`: true then, false when
  // the time ran out. Throws runjournal::Error when the connection fails;
  // the listener is of no further use then.
  virtual bool wait(std::chrono::milliseconds timeout) = 0;
};

// One journal location, inspected and refused or accepted at open.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual const std::string& name() const = 0;
  // The journal's identity, the same for every location that names it (two
  // paths to one file): a process has one writer per identity. nullopt
  // while the journal does not exist yet.
  virtual std::optional<std::string> identity() const = 0;
  // A writing session on a journal migrated to latest_schema_version() (a
  // missing or empty one is created), durable as `durability`.
  virtual std::unique_ptr<WriteSession> open_writer(Durability durability) = 0;
  // A reading session; it never writes.
  virtual std::unique_ptr<ReadSession> open_reader() = 0;
  // A change listener, or nullptr when the backend has none (a follower
  // then polls the change counter). Throws like open_reader().
  virtual std::unique_ptr<ChangeListener> open_change_listener() { return nullptr; }
  // The read-only SQL gate (Journal::sql_each says what it refuses).
  virtual void sql_each(const std::string& query,
                        const std::function<void(const std::vector<std::string>&)>& on_columns,
                        const std::function<bool(const std::vector<SqlValue>&)>& on_row,
                        const SqlOptions& options) = 0;
};

// Opens the backend for `location`: a postgresql:// or postgres:// URI is a
// PostgreSQL journal (postgres/pg_backend.hpp; InvalidArgument when
// runjournal was built without it), anything else a SQLite file
// (sqlite/connection.hpp). Refuses, untouched, what is not a journal or is
// too new.
std::unique_ptr<Backend> open_backend(const std::filesystem::path& location, const Options& options);
// Whether `location` is a URI that names a PostgreSQL journal.
bool is_postgres_location(std::string_view location);

// `fn()`'s result, with the session's error translation around it.
template <class Fn>
auto guarded(Session& session, std::string_view what, Fn&& fn) {
  using Result = std::invoke_result_t<Fn&>;
  if constexpr (std::is_void_v<Result>) {
    session.guard(what, fn);
  } else {
    std::optional<Result> out;
    session.guard(what, [&] { out.emplace(fn()); });
    return Result(std::move(*out));
  }
}

// A read snapshot for a scope (ReadSession::begin_snapshot).
class Snapshot {
 public:
  explicit Snapshot(ReadSession& session) : session_(session) { session_.begin_snapshot(); }
  ~Snapshot() { session_.end_snapshot(); }
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

 private:
  ReadSession& session_;
};

// A write transaction for a scope, rolled back unless committed.
class Transaction {
 public:
  explicit Transaction(WriteSession& session) : session_(session) { session_.begin(); }
  ~Transaction() {
    if (!done_) session_.rollback();
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    session_.commit();
    done_ = true;
  }
  void rollback() noexcept {
    session_.rollback();
    done_ = true;
  }

 private:
  WriteSession& session_;
  bool done_ = false;
};

}  // namespace runjournal::detail
