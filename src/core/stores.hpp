// stores.hpp — the journal's four tables as the core sees them, whatever
// the backend: events, runs (the projection), meta (the journal's own
// bookkeeping) and leases (hosts' heartbeats).
//
// A store belongs to one session (backend.hpp) and works inside that
// session's transaction or snapshot: it never begins or ends one itself.
// Like its session, it is used by one thread at a time. Every method throws
// runjournal::Error (the backend translates its own failures); a row that is
// simply absent is std::nullopt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <runjournal/event.hpp>
#include <runjournal/run.hpp>

#include "core/driver.hpp"

namespace runjournal::detail {

// An event as stored, payload still text. The views point into the row
// being visited and die with it.
struct EventRow {
  std::int64_t position = 0;
  std::string_view run_id;
  std::int64_t seq = 0;
  std::int64_t ts_ms = 0;
  std::string_view kind;
  std::string_view payload;
  bool payload_is_object = true;  // filled only by for_each_by_run
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Inserts one event at the position and seq the caller assigned (the
  // writer: positions only grow, seq is the run's next).
  virtual void insert(std::int64_t position, const std::string& run_id, std::int64_t seq, std::int64_t ts_ms,
                      const std::string& kind, const std::string& payload,
                      const std::optional<std::string>& idempotency_key) = 0;
  virtual std::optional<Event> find_by_key(const std::string& run_id, const std::string& idempotency_key) = 0;
  // The run's events from `from_seq` on, in seq order, at most `limit`.
  virtual std::vector<Event> by_run(const std::string& run_id, std::int64_t from_seq, std::size_t limit) = 0;
  // Events with position > `position`, in position order, at most `limit`.
  virtual std::vector<Event> after(std::int64_t position, std::size_t limit) = 0;
  virtual std::int64_t max_position() = 0;
  // The newest event's position and run, if any (cheap: no history read).
  virtual std::optional<std::pair<std::int64_t, std::string>> newest() = 0;
  virtual std::int64_t min_position() = 0;
  virtual std::int64_t count() = 0;
  // Deletes every event of the run; returns how many (retention).
  virtual std::int64_t remove_run(const std::string& run_id) = 0;

  // Every event with position > `after`, in position order, payload as text.
  virtual void for_each_after(std::int64_t after, const std::function<void(const EventRow&)>& visit) = 0;
  // Every event with position <= `up_to`, ordered by run_id then seq (one
  // run's history at a time), with a check that each payload is an object.
  virtual void for_each_by_run(std::int64_t up_to, const std::function<void(const EventRow&)>& visit) = 0;
};

// Which runs prune() removes (PruneOptions, less how).
struct Prunable {
  std::int64_t finished_before_ms = 0;
  std::optional<RunStatus> status;
  std::optional<std::string> session_id;
};

class RunStore {
 public:
  virtual ~RunStore() = default;

  virtual std::optional<Run> load(const std::string& run_id) = 0;
  virtual void insert(const Run& run) = 0;
  // Writes the columns an event can change; session, creation and
  // first_position are fixed by run_created.
  virtual void update(const Run& run) = 0;
  // Writes only event_count, last_seq, last_position and updated_at_ms: for
  // a row whose other columns the events since it was stored left alone
  // (RowChange::Counters). A backend may make it cheaper than update().
  virtual void update_counters(const Run& run) = 0;
  // The run's last_position, without reading the rest of the row.
  virtual std::optional<std::int64_t> last_position(const std::string& run_id) = 0;
  // runs(): the page of runs matching `filter` (journal.hpp says how).
  // Throws Error(InvalidArgument) for a filter or page runs() refuses,
  // Error(NotFound) for a cursor that names no run.
  virtual std::vector<Run> list(const RunFilter& filter, const Page& page) = 0;
  // The oldest run of the session that is not completed, failed or cancelled.
  virtual std::optional<std::string> live_run_in_session(const std::string& session_id) = 0;
  // Every run of the session that is not completed, failed or cancelled,
  // oldest first (the last is the session's current run).
  virtual std::vector<Run> live_runs_in_session(const std::string& session_id) = 0;
  // Runs in created, planning, executing or verifying (and interrupted when
  // asked), in creation order: what recover() judges.
  virtual std::vector<Run> unfinished(bool include_interrupted) = 0;
  virtual void delete_all() = 0;
  // Retention: ids of completed, failed or cancelled runs with
  // finished_at_ms < which.finished_before_ms (and in its status and
  // session, when set), oldest first, at most `limit`.
  virtual std::vector<std::string> finished_before(const Prunable& which, std::size_t limit) = 0;
  // How many runs finished_before would select with no limit, and the sum
  // of their event counts.
  virtual std::pair<std::int64_t, std::int64_t> count_finished_before(const Prunable& which) = 0;
  // Deletes one run's row (its events are EventStore::remove_run's).
  virtual void remove(const std::string& run_id) = 0;
  // (status, number of runs) for every status that has runs, by status.
  virtual std::vector<std::pair<std::string, std::int64_t>> count_by_status() = 0;
  // Ids of runs rows with no event at all (verify).
  virtual std::vector<std::string> without_events() = 0;
};

struct Meta {
  std::string journal_id;
  std::int64_t created_at_ms = 0;
  std::int64_t projector_version = 0;
  std::int64_t last_position = 0;       // highest position ever assigned
  std::int64_t projected_position = 0;  // `runs` reflects events up to here
  std::int64_t compatible_version = 1;  // the oldest schema whose runjournal may read the journal
  std::string library_version;          // the runjournal that last migrated it or rebuilt runs
};

class MetaStore {
 public:
  virtual ~MetaStore() = default;
  virtual Meta load() = 0;
  // Records that positions up to `last_position` are assigned and `runs`
  // reflects events up to `projected_position`.
  virtual void save_positions(std::int64_t last_position, std::int64_t projected_position) = 0;
  // Records the projector that derived `runs` and this runjournal's version.
  virtual void save_projector_version(std::int64_t version) = 0;
};

class LeaseStore {
 public:
  virtual ~LeaseStore() = default;
  // Extends the lease of (host, boot_id) to `expires_at_ms`; a lease is
  // never shortened (two journals of one host may refresh it with
  // different TTLs).
  virtual void refresh(const std::string& host, const std::string& boot_id, std::int64_t expires_at_ms) = 0;
  // Every lease, expired or not, by host and boot id.
  virtual std::vector<Lease> load_all() = 0;
};

}  // namespace runjournal::detail
