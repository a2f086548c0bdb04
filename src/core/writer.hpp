// writer.hpp — the one writing session per journal per process, and group
// commit. Backend-free: it writes through a WriteSession (backend.hpp);
// the append rules it applies to each batch are append_rules.hpp's.
//
// Nothing is committed that changes nothing: a transaction whose batches
// were all refused, or were idempotent retries, is rolled back, so the file
// stays byte-for-byte as it was. This host's heartbeat lease rides in the
// transaction of a commit that writes events (once due), never in one of
// its own before a write that might be refused.
//
// Every write in a process goes through one Writer per journal: SQLite
// before 3.51.3 can corrupt a WAL when two connections of one process write
// or checkpoint at once (the WAL-reset race), and one session also makes
// seq and position assignment a matter of one lock. Journal objects on the
// same journal share it through acquire(). Between processes, the backend's
// write lock (WriteSession::begin) orders the writers.
//
// Group commit: callers queue their batches; whichever caller finds no
// commit in progress becomes the leader, takes every queued batch, and
// writes them all in one transaction with one flush; while that
// transaction is open it keeps taking batches that arrive, for up to half a
// flush, until every caller inside append() has one in it (gathering). Each batch runs inside
// its own SAVEPOINT, so a batch that is refused (unknown run, stale
// expected_seq, …) rolls back alone and fails alone; a commit that fails
// (I/O error, full disk) fails exactly the batches it carried. A caller
// returns only when its own batch is committed, so a returned append is as
// durable as the connection's synchronous setting makes it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <runjournal/event.hpp>
#include <runjournal/inspect.hpp>
#include <runjournal/options.hpp>
#include <runjournal/run.hpp>

#include "core/backend.hpp"
#include "core/append_rules.hpp"
#include "core/replay.hpp"

namespace runjournal::detail {

// How many commits the writer has made and how many batches they carried;
// tests use it to see that concurrent appends share transactions.
struct CommitStats {
  std::int64_t commits = 0;
  std::int64_t batches = 0;
};

class Writer {
 public:
  // The process's writer for the backend's journal, opened (and the
  // journal migrated, caught up or rebuilt as needed) on first use.
  static std::shared_ptr<Writer> acquire(Backend& backend, const Options& options);

  explicit Writer(std::unique_ptr<WriteSession> session);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Stores the events in one transaction, all or none, and returns once they
  // are committed; see Journal::append_batch. May commit together with
  // other threads' batches.
  BatchResult append(std::vector<PreparedEvent> events, WithRuns with_runs = WithRuns::No);
  // The same, without waiting: exactly one of `done` and `failed` is called,
  // on a writer thread, once the batch is committed or has failed. They must
  // not call back into the journal.
  void append_async(std::vector<PreparedEvent> events, std::function<void(BatchResult&&)> done,
                    std::function<void(std::exception_ptr)> failed);

  // One batch that arrives in chunks (Journal::append_batch_chunked): holds
  // the connection, in one transaction, while `next` fills each chunk (its
  // argument `first` is the batch index of the chunk's first event) until it
  // returns false; then commits. A refusal names the event's batch index;
  // anything thrown rolls it all back. Other appends wait meanwhile.
  using ChunkSource = std::function<bool(std::vector<PreparedEvent>& chunk, std::size_t first)>;
  BatchResult append_chunked(const ChunkSource& next);

  RebuildReport rebuild(const Progress& progress);
  // Refreshes this host's heartbeat lease now, in a transaction of its own.
  // Upserts the lease of `self`'s host (its host name and boot id) to
  // expire `ttl_ms` from now.
  void heartbeat(const Driver& self, std::int64_t ttl_ms);
  CommitStats commit_stats();
  // Runs `fn` on the writing session with the write lock held (appends
  // wait), the engine's errors translated. `fn` opens its own transactions
  // (Transaction) and keeps each short: retention runs in chunks.
  void with_session(std::string_view what, const std::function<void(WriteSession&)>& fn);

 private:
  struct Request {
    std::vector<PreparedEvent> events;
    // A caller of append() waits (on done_cv_) for `done` and then reads
    // its outcome; an append_async() request has callbacks instead.
    bool waiter = false;
    bool with_runs = false;  // fill BatchResult::runs
    bool done = false;  // guarded by queue_mu_
    std::optional<BatchResult> result;
    std::exception_ptr error;
    std::function<void(BatchResult&&)> on_done;
    std::function<void(std::exception_ptr)> on_failed;
  };

  // What a leader waits for while its group's transaction is open.
  struct Gathering {
    std::size_t expected = 0;  // callers inside append() when it took over
    bool enabled = false;      // flushes are slow enough to be worth waiting
    std::chrono::steady_clock::time_point deadline;
    std::size_t events = 0;  // in the group so far (kMaxGroupEvents)
  };

  // Takes the queued requests and commits them, with any that arrive while
  // it writes, as one group; called with queue_mu_ held and leader_active_
  // false.
  void lead(std::unique_lock<std::mutex>& lock);
  // Moves queued requests into `group` while it stays within
  // kMaxGroupEvents; called with queue_mu_ held.
  void take_queued(std::vector<std::shared_ptr<Request>>& group, Gathering& gathering);
  // For a leader whose group is written so far: takes more requests,
  // waiting for them as `gathering` allows. False when the group is done.
  bool take_more(std::vector<std::shared_ptr<Request>>& group, Gathering& gathering);
  // Writes `group` (and what take_more adds) in one transaction; records
  // every request's outcome.
  void commit_group(std::vector<std::shared_ptr<Request>>& group, Gathering& gathering);
  // Hands a request its outcome: stored for a waiting caller, or passed to
  // the asynchronous request's callback.
  void settle(Request& request, std::optional<BatchResult> result, std::exception_ptr error);
  // In an open write transaction: the last position assigned and the
  // journal's change counter, with the row cache made current.
  std::pair<std::int64_t, std::int64_t> begin_positions();
  // Flushes the cached rows, refreshes journal_meta and the lease when
  // due, commits, and records what the next transaction may reuse. When the
  // transaction wrote no event (`first` is still the position it began at)
  // it is rolled back instead: a refusal or a retry writes nothing.
  void finish_commit(Transaction& txn, std::int64_t first, std::int64_t position, std::int64_t version);
  // Upserts the lease of `host`/`boot_id` to expire at `expires_at_ms`.
  void write_lease(const std::string& host, const std::string& boot_id, std::int64_t expires_at_ms);
  void flusher_loop();

  void reconcile_projection();
  // Forgets the cached rows: the next commit reads them from the table.
  void invalidate_cache() noexcept;
  // Returns the highest position ever assigned: the next event gets the
  // one after it.
  std::int64_t catch_up_in_transaction();
  // Whether events lie beyond what runs reflects (see catch-up at open);
  // `newest` is EventStore::newest().
  bool runs_lag(const Meta& meta, const std::optional<std::pair<std::int64_t, std::string>>& newest);
  RebuildReport rebuild_in_transaction(const Progress& progress);

  // Guards the session and its stores: held by the leader while it writes.
  std::mutex db_mu_;
  std::unique_ptr<WriteSession> session_;
  // Rows of recently written runs, kept between commits; valid while
  // cache_valid_ and the change counter is still data_version_, and
  // then committed_position_ is the last position assigned.
  ProjectionCache cache_;
  bool cache_valid_ = false;
  std::int64_t data_version_ = 0;
  std::int64_t committed_position_ = 0;
  // journal_meta.projected_position as this connection last read or wrote it.
  std::int64_t meta_projected_ = 0;
  // This host's lease (docs/recovery.md): the longest TTL any Journal on the
  // file asked for, and when (system clock) a commit next refreshes it.
  std::int64_t lease_ttl_ms_ = 0;
  std::int64_t lease_due_ms_ = 0;
  // The host whose lease commits refresh: that of the driver of the first
  // Journal that opened this writer (Options::driver, or this process).
  std::string lease_host_;
  std::string lease_boot_id_;

  // The queue of requests waiting for a commit.
  std::mutex queue_mu_;
  std::condition_variable flusher_cv_;  // the flusher waits here
  std::condition_variable done_cv_;     // callers of append() wait here
  std::deque<std::shared_ptr<Request>> queue_;
  bool leader_active_ = false;
  std::size_t callers_ = 0;  // threads inside append(), queued or just done
  bool gathering_ = false;   // a leader waits on gather_cv_ for batches
  std::size_t gather_need_ = 0;  // ... until this many are queued
  std::condition_variable gather_cv_;
  // How long a commit's COMMIT takes (its flush), averaged, in microseconds.
  std::atomic<std::int64_t> flush_ewma_us_{0};
  bool stopping_ = false;
  std::thread flusher_;  // started by the first append_async
  CommitStats stats_;
};

// The commit counts of the process's writer for `path` (opened if need be):
// for tests and the benchmark.
CommitStats commit_stats_of(const std::filesystem::path& path, const Options& options = {});

}  // namespace runjournal::detail
