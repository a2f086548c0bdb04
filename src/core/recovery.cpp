// Crash recovery: listing the runs whose driver is gone, resuming them,
// giving them up, and this host's heartbeat lease (docs/recovery.md).
//
// recover() only reads. Whatever the host decides is an event (run_resumed,
// run_interrupted, run_failed), so a rebuild reproduces it, and a decision
// made on a stale listing is caught by expected_seq instead of overwriting a
// run that turned out to be alive.
#include <runjournal/journal.hpp>

#include <fmt/format.h>

#include "core/journal_impl.hpp"
#include "core/process_identity.hpp"
#include "core/recovery.hpp"

namespace runjournal {
namespace detail {

std::optional<Checkpoint> checkpoint_of(const Run& run) {
  if (!run.checkpoint_id) return std::nullopt;
  // save_checkpoint() keeps the host's state under "state"; a hand-written
  // checkpoint_saved has its state spread over the payload itself.
  const nlohmann::json& payload = run.checkpoint;
  const bool has_state = payload.is_object() && payload.contains("state");
  return Checkpoint{*run.checkpoint_id, has_state ? payload.at("state") : payload, payload};
}

World world_now(std::vector<Lease> leases) {
  return World{this_process_driver(), process_start_time, std::move(leases), system_clock_ms()};
}

}  // namespace detail

Run Journal::Impl::append_for_run(const NewEvent& event) {
  detail::Writer& w = writable(event.kind);
  std::vector<detail::PreparedEvent> batch;
  batch.push_back(detail::prepare_event(event, options, now()));
  detail::BatchResult result = w.append(std::move(batch), detail::WithRuns::Yes);
  if (!result.runs.empty()) return std::move(result.runs.front());
  // An idempotent retry wrote nothing and touched no row: read it.
  return read("reading a run", [&](detail::ReadSession& s) { return s.runs().load(event.run_id); })
      .value();
}

void Journal::heartbeat() { impl_->writable("heartbeat").heartbeat(impl_->driver(), impl_->options.lease_ttl.count()); }

std::vector<RecoveredRun> Journal::recover(const RecoverOptions& options) const {
  std::vector<Run> candidates;
  std::vector<detail::Lease> leases;
  impl_->read("recover", [&](detail::ReadSession& s) {
    detail::Snapshot snapshot(s);  // the runs and the leases of one moment
    candidates = s.runs().unfinished(options.include_interrupted);
    leases = s.leases().load_all();
  });
  const std::int64_t now_ms = impl_->now();  // silence is measured on the event clock
  const detail::World world = detail::world_now(std::move(leases));
  std::vector<RecoveredRun> found;
  for (Run& run : candidates) {
    detail::Verdict verdict = detail::judge_driver(run.driver, world);
    if (verdict.alive) continue;
    std::optional<Checkpoint> checkpoint = detail::checkpoint_of(run);
    const std::int64_t silent = std::max<std::int64_t>(now_ms - run.updated_at_ms, 0);
    found.push_back(RecoveredRun{std::move(run), std::move(checkpoint), silent, std::move(verdict.why)});
  }
  return found;
}

Run Journal::resume_run(const std::string& run_id, const nlohmann::json& payload, const AppendOptions& options) {
  impl_->writable("resume_run");
  detail::require_caller_json(payload, "payload", impl_->options);
  const std::optional<Run> run = this->run(run_id);
  if (!run) throw Error(ErrorCode::NotFound, fmt::format("no run {}", run_id));
  if (is_terminal(run->status)) {
    throw Error(ErrorCode::InvalidArgument,
                fmt::format("run {} is {}: a finished run cannot be resumed", run_id, to_string(run->status)));
  }
  if (run->driver && *run->driver != impl_->driver()) {
    std::vector<detail::Lease> leases = impl_->read(
        "reading leases", [&](detail::ReadSession& s) { return s.leases().load_all(); });
    const detail::Verdict verdict = detail::judge_driver(run->driver, detail::world_now(std::move(leases)));
    if (verdict.alive) {
      throw Error(ErrorCode::AlreadyRunning,
                  fmt::format("run {} still has a live driver ({}); it cannot be resumed elsewhere", run_id,
                              verdict.why));
    }
  }
  // Decided on what was read: if the run moves meanwhile (its driver was
  // alive after all, or another process resumed it first), this is a Conflict.
  AppendOptions guarded = options;
  if (!guarded.expected_seq) guarded.expected_seq = run->last_seq;
  return impl_->append_for_run(NewEvent{run_id, "run_resumed", payload, guarded});
}

Run Journal::interrupt_run(const std::string& run_id, const std::string& reason, const AppendOptions& options) {
  impl_->writable("interrupt_run");
  const std::optional<Run> run = this->run(run_id);
  if (!run) throw Error(ErrorCode::NotFound, fmt::format("no run {}", run_id));
  if (is_terminal(run->status)) {
    throw Error(ErrorCode::InvalidArgument,
                fmt::format("run {} is {}: a finished run cannot be interrupted", run_id, to_string(run->status)));
  }
  return impl_->append_for_run(NewEvent{run_id, "run_interrupted", {{"reason", reason}}, options});
}

std::vector<RecoveredRun> Journal::claim_recovered(const ClaimOptions& options) {
  impl_->writable("claim_recovered");
  detail::require_caller_json(options.payload, "payload", impl_->options);
  // The claimant must be the recorded driver, or its lease would not keep
  // the run from being claimed again.
  if (!options.payload.is_object() || options.payload.contains(detail::kDriverKey)) {
    throw Error(ErrorCode::InvalidArgument,
                "claim_recovered: the payload must be a JSON object without \"driver\" (the claimant is recorded as the "
                "driver)");
  }
  // The lease first: from the moment a run names this driver, every other
  // host must see it alive, or it would claim the run again.
  heartbeat();
  std::vector<RecoveredRun> claimed;
  for (RecoveredRun& found : recover({.include_interrupted = options.include_interrupted})) {
    if (claimed.size() >= options.limit) break;
    try {
      // expected_seq: the run as it was judged. A run another host resumed
      // meanwhile has moved (Conflict) or, re-read, has a live driver
      // (AlreadyRunning); one finished or pruned meanwhile is no longer
      // there to claim. Each is left to whoever got it.
      found.run = resume_run(found.run.run_id, options.payload, {.expected_seq = found.run.last_seq});
    } catch (const Error& e) {
      const ErrorCode code = e.code();
      if (code == ErrorCode::Conflict || code == ErrorCode::AlreadyRunning || code == ErrorCode::NotFound ||
          code == ErrorCode::InvalidArgument) {
        continue;
      }
      throw;
    }
    claimed.push_back(std::move(found));
  }
  return claimed;
}

}  // namespace runjournal
