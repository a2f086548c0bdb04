// The run lifecycle the source systems need, over events: a session's
// current run, cancel only if live, finishing from an execution result,
// runner reservations, checkpoints (journal.hpp, docs/recovery.md).
//
// The source systems kept this state in memory under one lock. Here every
// decision is taken on a read and then written with expected_seq = the seq
// that read saw: if anything reached the run in between, the append is a
// Conflict and the decision is taken again on fresh state. So two processes
// cancelling one run write one run_cancelled, not two.
#include <runjournal/journal.hpp>

#include <fmt/format.h>

#include "core/event_input.hpp"
#include "core/journal_impl.hpp"
#include "core/recovery.hpp"

namespace runjournal {
namespace {

// How often a decision is retaken after a Conflict before giving up. Each
// Conflict means another writer moved the run, so this is only reached
// under a flood of appends to one run.
constexpr int kMaxAttempts = 1000;

struct RunAndSession {
  std::optional<Run> run;
  std::optional<Run> current;  // the session's current run
};

// The run and its session's current run, in one snapshot.
RunAndSession run_and_current(Journal::Impl& impl, const std::string& run_id) {
  return impl.read("reading a run", [&](detail::ReadSession& s) {
    detail::Snapshot snapshot(s);
    RunAndSession found;
    found.run = s.runs().load(run_id);
    if (found.run) {
      std::vector<Run> live = s.runs().live_runs_in_session(found.run->session_id);
      if (!live.empty()) found.current = std::move(live.back());
    }
    return found;
  });
}

bool is_conflict(const Error& e) { return e.code() == ErrorCode::Conflict; }

}  // namespace

std::optional<Run> Journal::current_run(const std::string& session_id) const {
  return impl_->read("reading the current run", [&](detail::ReadSession& s) -> std::optional<Run> {
    std::vector<Run> live = s.runs().live_runs_in_session(session_id);
    if (live.empty()) return std::nullopt;
    return std::move(live.back());
  });
}

bool Journal::cancel_if_live(const std::string& run_id, const std::optional<std::string>& reason) {
  impl_->writable("cancel_if_live");
  nlohmann::json payload = nlohmann::json::object();
  if (reason) payload["reason"] = *reason;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    const RunAndSession found = run_and_current(*impl_, run_id);
    // Unknown, finished, or not what its session is running now: as in the
    // source systems, nothing to cancel.
    if (!found.run || is_terminal(found.run->status)) return false;
    if (!found.current || found.current->run_id != run_id) return false;
    try {
      impl_->append_for_run(NewEvent{run_id, "run_cancelled", payload, {.expected_seq = found.run->last_seq}});
      return true;
    } catch (const Error& e) {
      if (!is_conflict(e)) throw;
    }
  }
  throw Error(ErrorCode::Conflict, fmt::format("run {} kept moving; cancel gave up after {} attempts", run_id,
                                               kMaxAttempts));
}

Run Journal::finish(const std::string& run_id, const ExecutionResult& result) {
  impl_->writable("finish");
  detail::require_caller_json(result.outputs, "outputs", impl_->options, 1);
  switch (result.outcome) {
    case ExecutionResult::Outcome::Ok: {
      nlohmann::json payload = nlohmann::json::object();
      if (result.result_text) payload["result_text"] = *result.result_text;
      if (!result.outputs.is_null()) payload["outputs"] = result.outputs;
      return impl_->append_for_run(NewEvent{run_id, "run_completed", std::move(payload), {}});
    }
    case ExecutionResult::Outcome::Cancelled: {
      nlohmann::json payload = nlohmann::json::object();
      if (!result.error.empty()) payload["reason"] = result.error;
      return impl_->append_for_run(NewEvent{run_id, "run_cancelled", std::move(payload), {}});
    }
    case ExecutionResult::Outcome::Error:
      return impl_->append_for_run(NewEvent{run_id, "run_failed", {{"error", result.error}}, {}});
  }
  throw Error(ErrorCode::InvalidArgument, "unknown execution outcome");
}

Run Journal::reserve(const NewRun& run) {
  impl_->writable("reserve");
  NewRun wanted = run;
  wanted.exclusive = true;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    try {
      return create_run(wanted);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::AlreadyRunning) throw;
    }
    // The session has live runs. A runner that is running refuses the
    // reservation; stale ones (driver gone) are failed, then try again.
    std::vector<Run> live;
    std::vector<detail::Lease> leases;
    impl_->read("reading a session", [&](detail::ReadSession& s) {
      detail::Snapshot snapshot(s);
      live = s.runs().live_runs_in_session(run.session_id);
      leases = s.leases().load_all();
    });
    const detail::World world = detail::world_now(std::move(leases));
    for (const Run& holder : live) {
      const detail::Verdict verdict = detail::judge_driver(holder.driver, world);
      if (verdict.alive) {
        throw Error(ErrorCode::AlreadyRunning,
                    fmt::format("session {} already has a live run: {} ({})", run.session_id, holder.run_id,
                                verdict.why));
      }
    }
    for (const Run& stale : live) {
      // Terminal, not run_interrupted: an interrupted run still holds its
      // session (only completed, failed and cancelled release it).
      const nlohmann::json payload = {
          {"error", fmt::format("stale runner replaced by a new reservation: {}",
                                detail::judge_driver(stale.driver, world).why)}};
      try {
        impl_->append_for_run(NewEvent{stale.run_id, "run_failed", payload, {.expected_seq = stale.last_seq}});
      } catch (const Error& e) {
        if (!is_conflict(e)) throw;  // it moved: judge the session again
      }
    }
  }
  throw Error(ErrorCode::AlreadyRunning,
              fmt::format("session {} kept getting new runs; reservation gave up after {} attempts", run.session_id,
                          kMaxAttempts));
}

Event Journal::save_checkpoint(const std::string& run_id, const std::string& checkpoint_id,
                               const nlohmann::json& state) {
  detail::require_id(checkpoint_id, "checkpoint id");
  detail::require_caller_json(state, "checkpoint state", impl_->options, 1);
  return append(run_id, "checkpoint_saved", {{"checkpoint_id", checkpoint_id}, {"state", state}});
}

std::optional<Checkpoint> Journal::latest_checkpoint(const std::string& run_id) const {
  const std::optional<Run> found = run(run_id);
  if (!found) return std::nullopt;
  return detail::checkpoint_of(*found);
}

bool Journal::delete_checkpoint(const std::string& run_id, const std::string& checkpoint_id) {
  impl_->writable("delete_checkpoint");
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    const std::optional<Run> found = run(run_id);
    if (!found || found->checkpoint_id != checkpoint_id) return false;
    try {
      impl_->append_for_run(NewEvent{run_id, "checkpoint_deleted", {{"checkpoint_id", checkpoint_id}},
                                     {.expected_seq = found->last_seq}});
      return true;
    } catch (const Error& e) {
      if (!is_conflict(e)) throw;
    }
  }
  throw Error(ErrorCode::Conflict, fmt::format("run {} kept moving; delete_checkpoint gave up after {} attempts",
                                               run_id, kMaxAttempts));
}

}  // namespace runjournal
