// runjournal/journal.hpp — the journal: append events, read runs.
//
//   auto journal = runjournal::Journal::open("agent.journal");
//   runjournal::Run run = journal.create_run({.session_id = "s1", .prompt = "fix tests"});
//   journal.append(run.run_id, "tool_called", {{"tool_name", "search"}});
//
// Guarantees, for every call below:
// - Thread safety: one Journal may be used from many threads at once. Several
//   Journal objects, in one process or in several, may share one file; inside
//   a process they share one writer connection.
// - Durability: a write call that returns has committed its events; at
//   Durability::Full they survive a power loss, at Durability::Normal a crash
//   of the process. Journals on one file in one process share a connection,
//   and the strongest durability any of them asked for applies to all.
//   An *_async future is durable once it is ready, not before.
// - Atomicity: a write call that throws has written nothing. The projection
//   (`runs`) is updated in the same transaction as the events it derives from.
// - Errors: every failure is a runjournal::Error with a code (error.hpp). A
//   run that is simply absent is std::nullopt, not an error.
// - Reads never hold a snapshot open beyond the call that made it.
// - Lifetime: a moved-from Journal may only be destroyed or assigned to.
//   When the last Journal on a file in a process is destroyed, its pending
//   asynchronous appends are committed (or fail) first: none is dropped.
// - Public headers include no SQLite or SQLiteCpp header
//   (tests/public_headers.cmake checks it); docs/guarantees.md has the limits.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <runjournal/driver.hpp>
#include <runjournal/error.hpp>
#include <runjournal/event.hpp>
#include <runjournal/inspect.hpp>
#include <runjournal/lifecycle.hpp>
#include <runjournal/options.hpp>
#include <runjournal/run.hpp>

namespace runjournal {

class Journal {
 public:
  // Opens, creating or migrating as needed. Throws NotFound (missing file and
  // !create_if_missing), NotAJournal (not SQLite, or SQLite but not a
  // journal), SchemaTooNew (written by a newer runjournal: its schema or
  // its projector is newer than this library's; with read_only, only when
  // its compatible version is too), InvalidArgument (Options out of range),
  // Busy, Io. The message of SchemaTooNew names the versions and the
  // runjournal that wrote them. A file refused for its contents is left
  // byte-for-byte as it was. Open is cheap: it replays history only when
  // the projector's version is older than this library's (a full rebuild,
  // once) or when `runs` lags `events` (it catches up); a read-only open
  // replays nothing and writes nothing.
  //
  // `path` may also be a libpq URI, postgresql://… or postgres://…: the
  // journal in that database's schema (the first of its search_path), with
  // the same API and contract (docs/postgresql.md). An empty schema is a
  // missing journal; a server that cannot be reached is Io (TimedOut past
  // Options::busy_timeout). A runjournal built without PostgreSQL refuses
  // such a URI with InvalidArgument.
  static Journal open(const std::filesystem::path& path, Options options = {});

  Journal(Journal&&) noexcept;
  Journal& operator=(Journal&&) noexcept;
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  ~Journal();

  const std::filesystem::path& path() const noexcept;
  // Options::max_json_depth as this journal applies it (the default
  // resolved). For parse_json() of text a caller will append.
  std::size_t max_json_depth() const noexcept;
  // Whether this journal was opened with Options::read_only.
  bool read_only() const noexcept;

  // Writes the run's `run_created` event (seq 1) and returns the new run.
  // Throws InvalidArgument (empty session, bad UTF-8, …), AlreadyExists (the
  // id is taken), AlreadyRunning (see NewRun::exclusive), Busy, Io.
  Run create_run(const NewRun& run);

  // Appends one event to an existing run and returns it with its seq and
  // position. Throws NotFound (no such run), InvalidArgument (empty or
  // oversize kind, payload not a JSON object or oversize, bad UTF-8),
  // AlreadyExists (`run_created` for an existing run), Conflict (stale
  // expected_seq), Busy, Io. A `run_created` for a new id creates the run, as
  // create_run() does. A `run_created` or `run_resumed` whose payload has no
  // "driver" key gets one added (Options::driver; docs/recovery.md): the
  // stored and returned payload carry it.
  Event append(const std::string& run_id, const std::string& kind,
               const nlohmann::json& payload = nlohmann::json::object(),
               const AppendOptions& options = {});

  // Appends all events in one transaction, in order, or none of them: the
  // first bad event throws as append() would, with its index in the message,
  // and nothing of the batch is written. A `run_created` in the batch creates
  // its run (its payload needs "session_id"). Each touched run's row is
  // written once.
  std::vector<Event> append_batch(const std::vector<NewEvent>& events);
  // The same, taking the events' payloads instead of copying them (a bulk
  // loader that builds a batch only to append it).
  std::vector<Event> append_batch(std::vector<NewEvent>&& events);
  // One batch that arrives in chunks, for bulk loaders: `next` is called
  // until it returns false, each time with `chunk` empty, to fill it with the
  // batch's next events. They are appended exactly as append_batch() would
  // append them all at once: in one transaction, in order, all or none, a
  // refused event named by its index in the whole batch. But each chunk is
  // checked and written as it comes, so the caller can read and parse the
  // next chunk while the last one is written. Anything `next` throws rolls
  // the batch back and propagates unchanged. Until it returns, this
  // process's other appends wait (another process's wait as for any write);
  // so `next` must not append to this journal itself (it may read).
  std::vector<Event> append_batch_chunked(const std::function<bool(std::vector<NewEvent>& chunk)>& next);

  // append() and append_batch() without waiting for the commit: the future
  // becomes ready when the events are durable (or holds the Error). Input
  // checks that need no file (InvalidArgument) throw right here. Concurrent
  // appends, waiting or not, share transactions and flushes.
  std::future<Event> append_async(const std::string& run_id, const std::string& kind,
                                  const nlohmann::json& payload = nlohmann::json::object(),
                                  const AppendOptions& options = {});
  std::future<std::vector<Event>> append_batch_async(const std::vector<NewEvent>& events);

  // Reading. Each call is one short read transaction on a read-only
  // connection; it never waits for a writer. Throws Io, Corrupt (a stored
  // row breaks the format: an unknown status, JSON that does not parse), and
  // Busy only in the rare case that SQLite must recover the WAL index.
  std::optional<Run> run(const std::string& run_id) const;
  // Runs matching `filter`, one `page` at a time (RunFilter, Page above).
  // Each call is one read: a page never mixes two states of the journal.
  std::vector<Run> runs(const RunFilter& filter = {}, const Page& page = {}) const;
  std::vector<Event> events(const std::string& run_id, std::int64_t from_seq = 1,
                            std::size_t limit = SIZE_MAX) const;
  // Up to `limit` events with position > after_position, in position order.
  std::vector<Event> events_after(std::int64_t after_position, std::size_t limit) const;
  // Every event after `after_position`, in position order, a page at a time
  // (memory stays bounded). `visit` returns false to stop early.
  void scan(std::int64_t after_position, const std::function<bool(const Event&)>& visit,
            std::size_t page_size = 1000) const;
  // Every run as it stood right after the event at `position`, in creation
  // order (runs created later are absent).
  std::vector<Run> runs_as_of(std::int64_t position) const;
  // The position of the newest event; 0 for an empty journal.
  std::int64_t last_position() const;

  // Drops `runs` and recomputes it from the events in one transaction.
  RebuildReport rebuild(const Progress& progress = {});
  // Recomputes every run in memory, one run at a time, and compares: rows
  // missing, extra or different, seq gaps, positions out of order, the
  // stored projection position and version, PRAGMA integrity_check.
  VerifyReport verify(const Progress& progress = {}) const;

  // ---- Inspection and data movement (inspect.hpp, docs/sql.md) ----
  // Implemented in src/sqlite/sql_gate.cpp, src/core/stats.cpp, src/core/records.cpp,
  // src/core/retention.cpp and src/core/follow.cpp.

  // Runs ONE read-only SQL statement on a separate read-only connection and
  // returns its rows. Read-only whatever the text says: writes, DDL, ATTACH,
  // VACUUM, transactions and savepoints, PRAGMAs other than read-only
  // introspection, and load_extension are refused with InvalidArgument before
  // anything runs, as is more than one statement. Past options.timeout the
  // query is stopped: TimedOut. SQLite errors in the query: InvalidArgument.
  SqlResult sql(const std::string& query, const SqlOptions& options = {}) const;
  // The same query, its rows streamed: `on_columns` gets the result's column
  // names once, then `on_row` each row as SQLite produces it, until it
  // returns false; memory stays bounded whatever the row count. The
  // query's read snapshot is held until the last row (or the stop), as for
  // any SQLite reader. Errors as sql(); a refused query calls neither.
  void sql_each(const std::string& query, const std::function<void(const std::vector<std::string>&)>& on_columns,
                const std::function<bool(const std::vector<SqlValue>&)>& on_row,
                const SqlOptions& options = {}) const;
  // Counts, positions, sizes and versions; one read transaction.
  JournalStats stats() const;
  // Every run (or only `run_id`; NotFound when it is absent) as a whole
  // record, in creation order. Each record is read in one short read
  // transaction (its row and events agree); no snapshot spans records.
  // `progress` counts runs.
  void records(const std::function<void(const RunRecord&)>& visit,
               const std::optional<std::string>& run_id = std::nullopt, const Progress& progress = {}) const;
  // Imports JSON Lines of records (record_to_line) from `in`: all or nothing,
  // in one write transaction. Each record's events must be seq 1, 2, 3 … with
  // no gap; their kinds, payloads, times and keys are kept, positions are
  // assigned here, and each run row is derived by the projector (the file's
  // is never trusted). A run id already in the journal is skipped when its
  // events are identical, else refused (AlreadyExists); twice in the file is
  // refused. Any bad line throws (InvalidArgument, AlreadyExists, …) naming
  // it as "line N", and nothing is written. `progress` counts lines read.
  ImportReport import_records(std::istream& in, const Progress& progress = {});
  // Removes finished runs (completed, failed, cancelled) that finished before
  // options.finished_before_ms: their events and row, a chunk of runs per
  // write transaction, archived first when asked; live runs are never
  // touched; options.status and session_id narrow the selection, and
  // dry_run only counts (it writes nothing, so a read-only Journal may ask).
  // Then gives freed pages back (incremental vacuum). Positions are never
  // reused: journal_meta.last_position never goes back. `progress` counts
  // runs. Throws InvalidArgument for a live status, ReadOnly.
  PruneReport prune(const PruneOptions& options, const Progress& progress = {});
  // Follows the journal: visits every event after `after_position` in
  // position order, then waits for commits by any connection or process
  // (PRAGMA data_version, polled every `poll` with no transaction open while
  // waiting) and visits new events as they land. Returns when `visit`
  // returns false, or when `keep_going` (asked between polls) returns false.
  void follow(std::int64_t after_position, const std::function<bool(const Event&)>& visit,
              const std::function<bool()>& keep_going = {},
              std::chrono::milliseconds poll = std::chrono::milliseconds(20)) const;
  // ---- end of inspection and data movement ----

  // ---- Run lifecycle and crash recovery (lifecycle.hpp, docs/recovery.md) ----
  // Implemented in src/core/lifecycle.cpp and src/core/recovery.cpp. Each write is one
  // append with the guarantees above; where a call decides on what it read,
  // the append carries expected_seq, so a run that moved meanwhile is never
  // overwritten by a stale decision.

  // The runs in created, planning, executing or verifying (and interrupted,
  // when asked) whose driver is gone: on this host, its process has exited,
  // or its pid now belongs to a process with another start time, or the
  // machine rebooted; on another host, that host's heartbeat lease expired.
  // A run with no recorded driver counts as gone. A run whose driver is
  // alive is never listed, however quiet. In creation order. Writes nothing.
  std::vector<RecoveredRun> recover(const RecoverOptions& options = {}) const;
  // Appends run_resumed (payload plus this Journal's driver, unless it has a
  // "driver"): an interrupted run goes back to executing, a live one keeps
  // its status; either way the resumer becomes its driver. Throws NotFound,
  // InvalidArgument (the run is finished), AlreadyRunning (its driver is
  // alive and is not this Journal's driver), Conflict (stale expected_seq).
  Run resume_run(const std::string& run_id, const nlohmann::json& payload = nlohmann::json::object(),
                 const AppendOptions& options = {});
  // Gives a run up: appends run_interrupted {reason}. Throws NotFound,
  // InvalidArgument (the run is finished), Conflict (stale expected_seq).
  Run interrupt_run(const std::string& run_id, const std::string& reason, const AppendOptions& options = {});
  // Recovery by several hosts at once: refreshes this host's lease
  // (heartbeat()), then resumes what recover() lists, oldest first, each
  // with the expected_seq it was judged at, and returns the runs this
  // Journal resumed, as they are now (its driver), with their checkpoints.
  // Whatever any number of Journals on any hosts call at once, each cut-off
  // run is claimed by exactly one of them: a run another one resumed first
  // is skipped, never resumed twice (docs/recovery.md, "Several hosts").
  // Throws what a write throws (ReadOnly, Io, …), never for a lost race.
  std::vector<RecoveredRun> claim_recovered(const ClaimOptions& options = {});

  // The session's current run: its newest run that is not completed, failed
  // or cancelled; std::nullopt when it has none.
  std::optional<Run> current_run(const std::string& session_id) const;
  // Cancels the run only if it is live and is its session's current run:
  // appends run_cancelled {reason?} and returns true. Otherwise (unknown,
  // finished, not current) returns false and writes nothing. The append
  // carries the seq it decided on, and is retried after a Conflict.
  bool cancel_if_live(const std::string& run_id, const std::optional<std::string>& reason = std::nullopt);
  // Records how an execution ended (ExecutionResult) and returns the run.
  // On a run already finished the event is recorded and the status stays.
  Run finish(const std::string& run_id, const ExecutionResult& result);
  // A runner reservation: creates the run exclusively in its session
  // (NewRun::exclusive is implied). A session run whose driver is gone is
  // stale: it is failed (run_failed) and the reservation goes ahead. A live
  // driver's run refuses it with AlreadyRunning, naming that run.
  Run reserve(const NewRun& run);

  // Forks a run, as DBOS forks a workflow from a step, Temporal resets one
  // to an event and LangGraph forks from a checkpoint: a new run whose
  // events 1 … at_seq are copies of the source's (kinds, payloads, times and
  // idempotency keys; new positions), so that its status is what the
  // source's was after at_seq; its run_created also records the lineage
  // (Run::forked_from_run, forked_from_seq) and this Journal's driver. The
  // fork is a new live run the caller drives; the source is unchanged. One
  // write, all or nothing, from the source's committed events. Throws
  // NotFound (no such run), InvalidArgument (at_seq outside 1 … the
  // source's last committed seq, or at or past its terminal event: the fork
  // would be finished), AlreadyExists (the fork's id is taken), ReadOnly.
  Run fork(const std::string& run_id, std::int64_t at_seq, const ForkOptions& options = {});
  // The same, up to the checkpoint_saved event that saved `checkpoint_id`
  // (its latest, if saved twice): the fork resumes from that checkpoint.
  // NotFound when the run saved no such checkpoint.
  Run fork_at_checkpoint(const std::string& run_id, const std::string& checkpoint_id,
                         const ForkOptions& options = {});

  // Checkpoints. save_checkpoint appends checkpoint_saved {checkpoint_id,
  // state}; it becomes the run's latest live checkpoint until deleted or the
  // run finishes (a finished run holds none).
  Event save_checkpoint(const std::string& run_id, const std::string& checkpoint_id, const nlohmann::json& state);
  std::optional<Checkpoint> latest_checkpoint(const std::string& run_id) const;
  // Appends checkpoint_deleted when `checkpoint_id` is the run's live
  // checkpoint and returns true; otherwise writes nothing, returns false.
  bool delete_checkpoint(const std::string& run_id, const std::string& checkpoint_id);

  // Refreshes the heartbeat lease of this Journal's driver's host
  // (Options::driver, or this process) now. Writes refresh it too (at most
  // every lease_ttl / 6); a host that drives runs seen from other hosts and
  // may stay quiet longer than lease_ttl calls this periodically.
  void heartbeat();
  // ---- end of run lifecycle ----

  struct Impl;

 private:
  explicit Journal(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The library's version, "MAJOR.MINOR.PATCH".
std::string_view version() noexcept;

// The version of the SQLite library runjournal runs on, e.g. "3.40.1".
std::string_view sqlite_version() noexcept;

// The deepest nesting the linked SQLite's JSON functions accept (2,000 for
// SQLite 3.40, 1,000 from 3.45): asked of SQLite itself once per process,
// by json_valid() on ever deeper arrays, not taken from a table of versions.
// The default of Options::max_json_depth.
std::size_t sqlite_json_max_depth() noexcept;

}  // namespace runjournal
