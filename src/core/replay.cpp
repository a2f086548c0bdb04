#include "core/replay.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include <runjournal/error.hpp>

namespace runjournal::detail {
namespace {

// Report progress every this many events (a terminal redraw is not free).
constexpr std::int64_t kProgressEvery = 10'000;

EventView view_of(const EventRow& row) {
  return EventView{row.run_id, row.seq, row.position, row.ts_ms, row.kind, row.payload};
}

// The names of the fields where two rows of one run differ.
std::vector<std::string> differing_fields(const Run& a, const Run& b) {
  std::vector<std::string> fields;
  auto check = [&](bool same, const char* name) {
    if (!same) fields.emplace_back(name);
  };
  check(a.session_id == b.session_id, "session_id");
  check(a.status == b.status, "status");
  check(a.prompt == b.prompt, "prompt");
  check(a.inputs == b.inputs, "inputs");
  check(a.outputs == b.outputs, "outputs");
  check(a.metadata == b.metadata, "metadata");
  check(a.result_text == b.result_text, "result_text");
  check(a.error == b.error, "error");
  check(a.status_reason == b.status_reason, "status_reason");
  check(a.checkpoint_id == b.checkpoint_id, "checkpoint_id");
  check(a.checkpoint == b.checkpoint, "checkpoint");
  check(a.created_at_ms == b.created_at_ms, "created_at_ms");
  check(a.updated_at_ms == b.updated_at_ms, "updated_at_ms");
  check(a.finished_at_ms == b.finished_at_ms, "finished_at_ms");
  check(a.first_position == b.first_position, "first_position");
  check(a.event_count == b.event_count, "event_count");
  check(a.last_seq == b.last_seq, "last_seq");
  check(a.last_position == b.last_position, "last_position");
  check(a.driver == b.driver, "driver");
  return fields;
}

std::string describe(const std::optional<std::string>& v) { return v ? "'" + *v + "'" : "NULL"; }

// Replays histories delivered run by run (ordered by run_id, seq) and hands
// each finished run to `done`. Problems with the history itself (gaps,
// order, a first event that is not run_created) go to `problems`.
class PerRunReplayer {
 public:
  PerRunReplayer(std::function<void(const std::string&, const std::optional<Run>&)> done,
                 std::vector<std::string>* problems)
      : done_(std::move(done)), problems_(problems) {}

  void visit(const EventRow& row) {
    if (row.run_id != run_id_) {
      finish();
      run_id_ = std::string(row.run_id);
      run_.reset();
      broken_ = false;
      prev_seq_ = 0;
      prev_position_ = 0;
    }
    if (problems_) {
      if (row.seq != prev_seq_ + 1) {
        problems_->push_back(fmt::format("run {}: seq {} follows seq {} (a gap or a duplicate)", run_id_,
                                         row.seq, prev_seq_));
      }
      if (row.position <= prev_position_) {
        problems_->push_back(fmt::format("run {}: seq {} has position {}, not after the previous event's {}",
                                         run_id_, row.seq, row.position, prev_position_));
      }
      if (!row.payload_is_object) {
        problems_->push_back(
            fmt::format("run {}: seq {} (position {}) has a payload that is not a JSON object", run_id_,
                        row.seq, row.position));
      }
    }
    prev_seq_ = row.seq;
    prev_position_ = row.position;
    if (broken_) return;
    try {
      project(run_, view_of(row));
    } catch (const Error& e) {
      if (!problems_) throw;
      problems_->push_back(e.what());
      broken_ = true;
    }
  }

  void finish() {
    if (!run_id_.empty() || run_) done_(run_id_, broken_ ? std::nullopt : run_);
    run_id_.clear();
    run_.reset();
  }

 private:
  std::function<void(const std::string&, const std::optional<Run>&)> done_;
  std::vector<std::string>* problems_;
  std::string run_id_;
  std::optional<Run> run_;
  bool broken_ = false;
  std::int64_t prev_seq_ = 0;
  std::int64_t prev_position_ = 0;
};

}  // namespace

ProjectionCache::ProjectionCache(RunStore& store, std::size_t capacity) : store_(store), capacity_(capacity) {}

ProjectionCache::Entry& ProjectionCache::entry(const std::string& run_id) {
  auto it = entries_.find(run_id);
  if (undo_ && !undo_->count(run_id)) {
    undo_->emplace(run_id, it == entries_.end() ? std::nullopt : std::optional<Entry>(it->second));
  }
  if (it != entries_.end()) return it->second;
  Entry fresh;
  fresh.run = store_.load(run_id);
  fresh.stored = fresh.run.has_value();
  return entries_.emplace(run_id, std::move(fresh)).first->second;
}

const std::optional<Run>& ProjectionCache::get(const std::string& run_id) { return entry(run_id).run; }

const Run& ProjectionCache::apply(const EventView& event) {
  Entry& e = entry(std::string(event.run_id));
  if (project(e.run, event) == RowChange::Row) e.row_dirty = true;
  e.dirty = true;
  return *e.run;
}

void ProjectionCache::begin_undo() { undo_.emplace(); }

void ProjectionCache::end_undo(bool roll_back) {
  if (roll_back && undo_) {
    for (auto& [run_id, before] : *undo_) {
      if (before) {
        entries_[run_id] = std::move(*before);
      } else {
        entries_.erase(run_id);
      }
    }
  }
  undo_.reset();
}

void ProjectionCache::flush() {
  for (auto& [run_id, e] : entries_) {
    if (!e.dirty) continue;
    if (e.stored && !e.row_dirty) {
      store_.update_counters(*e.run);
    } else if (e.stored) {
      store_.update(*e.run);
    } else {
      store_.insert(*e.run);
      e.stored = true;
      ++inserted_;
    }
    e.dirty = false;
    e.row_dirty = false;
  }
  if (entries_.size() > capacity_) entries_.clear();
}

RebuildReport project_events_after(EventStore& events, RunStore& runs, std::int64_t after,
                                   const Progress& progress) {
  constexpr std::size_t kCapacity = 4096;
  ProjectionCache cache(runs, kCapacity);
  RebuildReport report;
  const std::int64_t first = after;
  const std::int64_t last = events.max_position();
  std::size_t since_flush = 0;
  events.for_each_after(after, [&](const EventRow& row) {
    // A run's row reflects exactly a prefix of its events (every commit
    // projects what it inserts), so an event at or before the row's
    // last_position is already in it: skipped, a catch-up is idempotent.
    const std::optional<Run>& run = cache.get(std::string(row.run_id));
    if (run && row.position <= run->last_position) return;
    cache.apply(view_of(row));
    ++report.events;
    if (++since_flush >= kCapacity) {
      cache.flush();
      since_flush = 0;
    }
    if (progress && report.events % kProgressEvery == 0) progress(row.position - first, last - first);
  });
  cache.flush();
  report.runs = cache.inserted();
  if (progress) progress(last - first, last - first);
  return report;
}

VerifyReport verify_projection(ReadSession& session, const Meta& meta, const Progress& progress) {
  VerifyReport report;
  for (const std::string& line : session.integrity_problems()) report.problems.push_back(line);
  EventStore& events = session.events();
  RunStore& runs = session.runs();
  const std::int64_t max_position = events.max_position();
  if (meta.projector_version != kProjectorVersion) {
    report.problems.push_back(fmt::format("runs was derived by projector version {}, this library has {}",
                                          meta.projector_version, kProjectorVersion));
  }
  // journal_meta's positions are lower bounds, written now and then
  // (docs/format.md): only one beyond every event is wrong.
  if (meta.projected_position > max_position) {
    report.problems.push_back(fmt::format("journal_meta.projected_position {} is beyond the newest event {}",
                                          meta.projected_position, max_position));
  }

  const std::int64_t total = events.count();
  PerRunReplayer replayer(
      [&](const std::string& run_id, const std::optional<Run>& expected) {
        ++report.runs_checked;
        const std::optional<Run> stored = runs.load(run_id);
        if (!stored) {
          report.problems.push_back(fmt::format("run {}: has events but no runs row", run_id));
          return;
        }
        if (!expected) return;  // its history is broken; already reported
        const auto fields = differing_fields(*expected, *stored);
        for (const auto& field : fields) {
          std::string detail;
          if (field == "status") {
            detail = fmt::format(" (stored '{}', events say '{}')", to_string(stored->status),
                                 to_string(expected->status));
          } else if (field == "error") {
            detail = fmt::format(" (stored {}, events say {})", describe(stored->error), describe(expected->error));
          }
          report.problems.push_back(fmt::format("run {}: runs.{} differs from its events{}", run_id, field, detail));
        }
      },
      &report.problems);
  events.for_each_by_run(max_position, [&](const EventRow& row) {
    replayer.visit(row);
    if (progress && ++report.events_checked % kProgressEvery == 0) progress(report.events_checked, total);
  });
  replayer.finish();
  report.events_checked = total;
  for (const std::string& orphan : runs.without_events()) {
    report.problems.push_back(fmt::format("run {}: runs row has no events", orphan));
  }
  if (progress) progress(total, total);
  return report;
}

std::vector<Run> project_as_of(EventStore& events, std::int64_t position) {
  std::vector<Run> result;
  PerRunReplayer replayer(
      [&](const std::string&, const std::optional<Run>& run) {
        if (run) result.push_back(*run);
      },
      nullptr);
  events.for_each_by_run(position, [&](const EventRow& row) { replayer.visit(row); });
  replayer.finish();
  std::sort(result.begin(), result.end(),
            [](const Run& a, const Run& b) { return a.first_position < b.first_position; });
  return result;
}

}  // namespace runjournal::detail
