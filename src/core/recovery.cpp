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

void Journal::heartbeat() { impl_->writable("heartbeat").heartbeat(); }

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

}  // namespace runjournal
