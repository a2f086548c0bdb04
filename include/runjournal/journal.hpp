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
//   of the process.
// - Atomicity: a write call that throws has written nothing. The projection
//   (`runs`) is updated in the same transaction as the events it derives from.
// - Errors: every failure is a runjournal::Error with a code (error.hpp). A
//   run that is simply absent is std::nullopt, not an error.
// - Reads never hold a snapshot open beyond the call that made it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <runjournal/error.hpp>
#include <runjournal/event.hpp>
#include <runjournal/run.hpp>

namespace runjournal {

enum class Durability {
  Full,    // synchronous=FULL: every commit is flushed; survives power loss
  Normal,  // synchronous=NORMAL: survives a process crash, not a power loss
};

struct Options {
  // Create and initialise the file when it is missing or empty. With false,
  // a missing or empty file is ErrorCode::NotFound and nothing is written.
  bool create_if_missing = true;
  Durability durability = Durability::Full;
  // Limits on one event; larger input is ErrorCode::InvalidArgument.
  std::size_t max_payload_bytes = 1024 * 1024;  // of the payload as compact JSON
  std::size_t max_kind_bytes = 256;
  // How long a write waits for another process's lock before ErrorCode::Busy.
  std::chrono::milliseconds busy_timeout{10'000};
  // Unix milliseconds for new events. Default: the system clock.
  std::function<std::int64_t()> clock;
  // Ids for runs created without one. Default: "run-" + a random UUID v4.
  std::function<std::string()> id_generator;
  // The SQLite VFS to open the file through, by registered name; empty for
  // the default. Meant for fault-injection tests.
  std::string vfs;
};

struct NewRun {
  std::string session_id;
  std::string prompt;
  std::optional<std::string> run_id;  // default: Options::id_generator
  nlohmann::json inputs;              // any JSON; null for none
  nlohmann::json metadata;            // any JSON; null for none
  // Refuse with ErrorCode::AlreadyRunning, naming the live run, when the
  // session already has a run that is not completed, failed or cancelled.
  // The check and the insert are one transaction.
  bool exclusive = false;
};

struct AppendOptions {
  // Optimistic concurrency: the last seq the caller saw for the run. When the
  // run has moved past it the append fails with ErrorCode::Conflict.
  std::optional<std::int64_t> expected_seq;
  // Unique per run. A retried append with a key the run already holds
  // returns the event first written with it and writes nothing.
  std::optional<std::string> idempotency_key;
};

struct NewEvent {
  std::string run_id;
  std::string kind;
  nlohmann::json payload = nlohmann::json::object();
  AppendOptions options;
};

struct RunFilter {
  std::optional<RunStatus> status;
  std::optional<std::string> session_id;
};

// Runs come in creation order. To page, pass the last run id of one page as
// `after_run_id` of the next.
struct Page {
  std::size_t limit = 100;
  std::optional<std::string> after_run_id;
};

struct RebuildReport {
  std::int64_t events = 0;  // events replayed
  std::int64_t runs = 0;    // rows written
};

struct VerifyReport {
  std::int64_t events_checked = 0;
  std::int64_t runs_checked = 0;
  std::vector<std::string> problems;  // one line each; empty when consistent
  bool ok() const noexcept { return problems.empty(); }
};

// Called now and then during long work with (done, total) in events.
using Progress = std::function<void(std::int64_t done, std::int64_t total)>;

class Journal {
 public:
  // Opens, creating or migrating as needed. Throws NotFound (missing file and
  // !create_if_missing), NotAJournal (not SQLite, or SQLite but not a
  // journal), SchemaTooNew (written by a newer runjournal), Busy, Io. A file
  // refused for its contents is left byte-for-byte as it was. Open is cheap:
  // it replays history only when the projector's version changed (a full
  // rebuild, once) or when `runs` lags `events` (it catches up).
  static Journal open(const std::filesystem::path& path, Options options = {});

  Journal(Journal&&) noexcept;
  Journal& operator=(Journal&&) noexcept;
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  ~Journal();

  const std::filesystem::path& path() const noexcept;

  // Writes the run's `run_created` event (seq 1) and returns the new run.
  // Throws InvalidArgument (empty session, bad UTF-8, …), AlreadyExists (the
  // id is taken), AlreadyRunning (see NewRun::exclusive), Busy, Io.
  Run create_run(const NewRun& run);

  // Appends one event to an existing run and returns it with its seq and
  // position. Throws NotFound (no such run), InvalidArgument (empty or
  // oversize kind, payload not a JSON object or oversize, bad UTF-8),
  // AlreadyExists (`run_created` for an existing run), Conflict (stale
  // expected_seq), Busy, Io. A `run_created` for a new id creates the run, as
  // create_run() does.
  Event append(const std::string& run_id, const std::string& kind,
               const nlohmann::json& payload = nlohmann::json::object(),
               const AppendOptions& options = {});

  // Appends all events in one transaction, in order, or none of them: the
  // first bad event throws as append() would, with its index in the message,
  // and nothing of the batch is written. A `run_created` in the batch creates
  // its run (its payload needs "session_id"). Each touched run's row is
  // written once.
  std::vector<Event> append_batch(const std::vector<NewEvent>& events);

  // append() and append_batch() without waiting for the commit: the future
  // becomes ready when the events are durable (or holds the Error). Input
  // checks that need no file (InvalidArgument) throw right here. Concurrent
  // appends, waiting or not, share transactions and flushes.
  std::future<Event> append_async(const std::string& run_id, const std::string& kind,
                                  const nlohmann::json& payload = nlohmann::json::object(),
                                  const AppendOptions& options = {});
  std::future<std::vector<Event>> append_batch_async(const std::vector<NewEvent>& events);

  // Reading. Each call is one short read transaction.
  std::optional<Run> run(const std::string& run_id) const;
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

  struct Impl;

 private:
  explicit Journal(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The library's version, "MAJOR.MINOR.PATCH".
std::string_view version() noexcept;

}  // namespace runjournal
