// replay.hpp — running events through the projector against stored rows.
//
// Everything that derives `runs` goes through here: an append's batch,
// catching up at open, a full rebuild, verify and runs_as_of. So there is
// one way events become rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <runjournal/inspect.hpp>

#include "core/backend.hpp"
#include "core/projector.hpp"
#include "core/stores.hpp"

namespace runjournal::detail {

// A write-back cache of `runs` rows: a row is read at most once, projected
// any number of times, and written once at flush(), with a four-column
// update when only its counters moved. It serves one write transaction, or
// (the writer's) a series of them while nothing else writes the file.
// Past `capacity` runs it flushes and forgets, so replaying any history
// needs bounded memory.
class ProjectionCache {
 public:
  ProjectionCache(RunStore& store, std::size_t capacity);

  // The run's state before the next event: cached, else stored, else nullopt.
  const std::optional<Run>& get(const std::string& run_id);
  // Projects one event onto its run (see project() in projector.hpp).
  const Run& apply(const EventView& event);
  // Writes every changed row (insert or update) and, past capacity, forgets.
  void flush();
  // Undo for one batch inside a group: after begin_undo(), the first touch
  // of each run saves its entry; end_undo(true) puts them back (the batch
  // was rolled back to its savepoint), end_undo(false) keeps the changes.
  void begin_undo();
  void end_undo(bool roll_back);
  // Forgets every entry, flushed or not: after a rollback, or when the table
  // may have changed behind the cache's back.
  void clear() noexcept {
    entries_.clear();
    undo_.reset();
  }
  std::size_t size() const noexcept { return entries_.size(); }
  // Rows inserted by flush() so far (runs that had no row).
  std::int64_t inserted() const noexcept { return inserted_; }

 private:
  struct Entry {
    std::optional<Run> run;
    bool stored = false;  // a row exists in the table
    bool dirty = false;   // the row differs from the table's
    bool row_dirty = false;  // ... in more than the counters (RowChange::Row)
  };
  Entry& entry(const std::string& run_id);

  RunStore& store_;
  std::size_t capacity_;
  std::unordered_map<std::string, Entry> entries_;
  // run id -> its entry before the batch (nullopt: it was not cached).
  std::optional<std::unordered_map<std::string, std::optional<Entry>>> undo_;
  std::int64_t inserted_ = 0;
};

// Projects every event after `after` onto `runs` in position order, except
// those a run's row already reflects (position <= its last_position), and
// returns what it did (RebuildReport::runs counts rows it created). Used by rebuild (after emptying `runs`) and by the
// catch-up at open. Runs inside the caller's write transaction.
RebuildReport project_events_after(EventStore& events, RunStore& runs, std::int64_t after,
                                   const Progress& progress);

// Recomputes every run from its events, one run at a time, and compares with
// the stored rows. Runs inside the caller's read transaction.
// The storage's own check comes first (ReadSession::integrity_problems).
VerifyReport verify_projection(ReadSession& session, const Meta& meta, const Progress& progress);

// Every run as it stood after the event at `position`, in creation order.
std::vector<Run> project_as_of(EventStore& events, std::int64_t position);

}  // namespace runjournal::detail
