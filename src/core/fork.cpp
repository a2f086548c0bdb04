// fork.cpp — Journal::fork and fork_at_checkpoint: a new run that starts as
// a copy of another's first events (journal.hpp).
//
// A fork is history, not a snapshot: its events 1 … at_seq are the source's
// (same kinds, payloads, times and keys), so the projector derives the
// fork's state from them exactly as it derived the source's; only its
// run_created differs, carrying the lineage and the forking Journal's
// driver (the projector then ignores the drivers of the copied run_resumed
// events: projector.cpp). The copy is read from the source's committed
// events, which never change, and written as one batch: the fork exists
// whole or not at all.
#include <runjournal/journal.hpp>

#include <fmt/format.h>

#include "core/driver.hpp"
#include "core/event_input.hpp"
#include "core/journal_impl.hpp"
#include "core/projector.hpp"

namespace runjournal {
namespace {

// The source's events 1 … at_seq as committed now, checked: the run exists,
// at_seq is one of its seqs, and the copy does not end finished.
std::vector<Event> events_to_copy(Journal::Impl& impl, const std::string& run_id, std::int64_t at_seq) {
  const auto [run, events] = impl.read("reading the run to fork", [&](detail::ReadSession& s) {
    detail::Snapshot snapshot(s);  // the row and its events of one moment
    std::optional<Run> found = s.runs().load(run_id);
    std::vector<Event> copied;
    if (found && at_seq >= 1 && at_seq <= found->last_seq) {
      copied = s.events().by_run(run_id, 1, static_cast<std::size_t>(at_seq));
    }
    return std::pair{std::move(found), std::move(copied)};
  });
  if (!run) throw Error(ErrorCode::NotFound, fmt::format("no run {}", run_id));
  if (at_seq < 1 || at_seq > run->last_seq) {
    throw Error(ErrorCode::InvalidArgument,
                fmt::format("fork: seq {} is not a seq of run {}, which has 1 to {} committed", at_seq, run_id,
                            run->last_seq));
  }
  // The state the fork would start in: the source's after at_seq.
  std::optional<Run> state;
  for (const Event& e : events) {
    const std::string payload = e.payload.dump();
    detail::project(state, detail::EventView{e.run_id, e.seq, e.position, e.ts_ms, e.kind, payload});
    if (is_terminal(state->status)) {
      throw Error(ErrorCode::InvalidArgument,
                  fmt::format("fork: run {} is {} at seq {} (a fork from there would be finished); fork from "
                              "before seq {}",
                              run_id, to_string(state->status), e.seq, e.seq));
    }
  }
  return events;
}

}  // namespace

Run Journal::fork(const std::string& run_id, std::int64_t at_seq, const ForkOptions& options) {
  detail::Writer& writer = impl_->writable("fork");
  std::vector<Event> source = events_to_copy(*impl_, run_id, at_seq);
  const std::string fork_id = options.run_id ? *options.run_id
                              : impl_->options.id_generator ? impl_->options.id_generator()
                                                            : detail::random_run_id();
  std::vector<detail::PreparedEvent> batch;
  batch.reserve(source.size());
  for (Event& e : source) {
    NewEvent copy{fork_id, std::move(e.kind), std::move(e.payload),
                  {.expected_seq = e.seq - 1, .idempotency_key = std::move(e.idempotency_key)}};
    if (e.seq == 1) {
      // The fork's own run_created: its lineage, its session, and this
      // Journal as its driver (prepare_event adds it).
      copy.payload["forked_from_run"] = run_id;
      copy.payload["forked_from_seq"] = at_seq;
      if (options.session_id) copy.payload["session_id"] = *options.session_id;
      copy.payload.erase(detail::kDriverKey);
      batch.push_back(detail::prepare_event(std::move(copy), impl_->options, e.ts_ms));
    } else {
      batch.push_back(detail::prepare_copied_event(std::move(copy), impl_->options, e.ts_ms));
    }
  }
  detail::BatchResult result = writer.append(std::move(batch), detail::WithRuns::Yes);
  return std::move(result.runs.front());
}

Run Journal::fork_at_checkpoint(const std::string& run_id, const std::string& checkpoint_id,
                                const ForkOptions& options) {
  impl_->writable("fork");
  detail::require_id(checkpoint_id, "checkpoint id");
  // The checkpoint_saved that saved it last, found by its payload.
  const std::optional<std::int64_t> seq = impl_->read("finding a checkpoint", [&](detail::ReadSession& s) {
    std::optional<std::int64_t> found;
    for (const Event& e : s.events().by_run(run_id, 1, SIZE_MAX)) {
      if (detail::classify_kind(e.kind) != detail::KindClass::CheckpointSaved) continue;
      auto id = e.payload.find("checkpoint_id");
      if (id != e.payload.end() && id->is_string() && id->get<std::string>() == checkpoint_id) found = e.seq;
    }
    return found;
  });
  if (!seq) {
    throw Error(ErrorCode::NotFound, fmt::format("run {} saved no checkpoint {}", run_id, checkpoint_id));
  }
  return fork(run_id, *seq, options);
}

}  // namespace runjournal
