// lifecycle.cpp — crash recovery, the run lifecycle and checkpoints.
#include <fmt/format.h>

#include "capi.hpp"

using namespace runjournal;
using namespace runjournal::capi;

namespace {

void give_run(Run&& run, rj_run** out) {
  if (out != nullptr) *out = new rj_run(std::move(run));
}

// The C list of what recover() found or claim_recovered() claimed.
rj_recovered_list* recovered_list(std::vector<RecoveredRun>&& found) {
  auto list = std::make_unique<rj_recovered_list>();
  list->items.reserve(found.size());
  for (RecoveredRun& r : found) {
    std::optional<rj_checkpoint> checkpoint;
    if (r.checkpoint) checkpoint.emplace(std::move(*r.checkpoint));
    list->items.push_back({rj_run(std::move(r.run)), std::move(checkpoint), r.silent_ms, std::move(r.why)});
  }
  return list.release();
}

}  // namespace

extern "C" {

rj_status rj_recover(rj_journal* journal, int include_interrupted, rj_recovered_list** out) {
  clear(out);
  return guard([&] {
    require(out, "out");
    *out = recovered_list(
        require(journal, "journal")->journal.recover({.include_interrupted = include_interrupted != 0}));
  });
}

rj_status rj_claim_recovered(rj_journal* journal, int include_interrupted, size_t limit, const char* payload_json,
                             rj_recovered_list** out) {
  clear(out);
  return guard([&] {
    require(out, "out");
    require(journal, "journal");
    const ClaimOptions options{.include_interrupted = include_interrupted != 0,
                               .limit = limit,
                               .payload = parse_json(*journal, payload_json, "payload", nlohmann::json::object())};
    *out = recovered_list(journal->journal.claim_recovered(options));
  });
}

rj_status rj_resume_run(rj_journal* journal, const char* run_id, const char* payload_json,
                        const rj_append_options* options, rj_run** out) {
  clear(out);
  return guard([&] {
    require(journal, "journal");
    const std::string run = require_text(run_id, "run_id");
    const nlohmann::json payload = parse_json(*journal, payload_json, "payload", nlohmann::json::object());
    give_run(journal->journal.resume_run(run, payload, append_options(options)), out);
  });
}

rj_status rj_interrupt_run(rj_journal* journal, const char* run_id, const char* reason,
                           const rj_append_options* options, rj_run** out) {
  clear(out);
  return guard([&] {
    require(journal, "journal");
    give_run(journal->journal.interrupt_run(require_text(run_id, "run_id"), require_text(reason, "reason"),
                                            append_options(options)),
             out);
  });
}

rj_status rj_current_run(rj_journal* journal, const char* session_id, rj_run** out) {
  clear(out);
  return guard([&] {
    require(out, "out");
    std::optional<Run> run = require(journal, "journal")->journal.current_run(require_text(session_id, "session_id"));
    if (run) *out = new rj_run(std::move(*run));
  });
}

rj_status rj_cancel_if_live(rj_journal* journal, const char* run_id, const char* reason, int* cancelled) {
  if (cancelled != nullptr) *cancelled = 0;
  return guard([&] {
    require(journal, "journal");
    std::optional<std::string> why;
    if (reason != nullptr) why = reason;
    const bool done = journal->journal.cancel_if_live(require_text(run_id, "run_id"), why);
    if (cancelled != nullptr) *cancelled = done ? 1 : 0;
  });
}

rj_status rj_finish(rj_journal* journal, const char* run_id, rj_outcome outcome, const char* result_text,
                    const char* outputs_json, const char* message, rj_run** out) {
  clear(out);
  return guard([&] {
    require(journal, "journal");
    ExecutionResult result;
    switch (raw_value(outcome)) {
      case RJ_OUTCOME_OK: result.outcome = ExecutionResult::Outcome::Ok; break;
      case RJ_OUTCOME_CANCELLED: result.outcome = ExecutionResult::Outcome::Cancelled; break;
      case RJ_OUTCOME_ERROR: result.outcome = ExecutionResult::Outcome::Error; break;
      default: throw Error(ErrorCode::InvalidArgument, fmt::format("{} is not an outcome", raw_value(outcome)));
    }
    if (result_text != nullptr) result.result_text = result_text;
    result.outputs = parse_json(*journal, outputs_json, "outputs");
    if (result.outcome == ExecutionResult::Outcome::Error) {
      result.error = require_text(message, "message");
    } else if (message != nullptr) {
      result.error = message;
    }
    give_run(journal->journal.finish(require_text(run_id, "run_id"), result), out);
  });
}

rj_status rj_reserve(rj_journal* journal, const rj_new_run* run, rj_run** out) {
  clear(out);
  return guard([&] {
    require(journal, "journal");
    give_run(journal->journal.reserve(new_run(*journal, run)), out);
  });
}

rj_status rj_save_checkpoint(rj_journal* journal, const char* run_id, const char* checkpoint_id,
                             const char* state_json, rj_event** out) {
  clear(out);
  return guard([&] {
    require(journal, "journal");
    const std::string run = require_text(run_id, "run_id");
    const std::string id = require_text(checkpoint_id, "checkpoint_id");
    const nlohmann::json state = parse_json(*journal, state_json, "state");
    Event event = journal->journal.save_checkpoint(run, id, state);
    if (out != nullptr) *out = new rj_event(std::move(event));
  });
}

rj_status rj_latest_checkpoint(rj_journal* journal, const char* run_id, rj_checkpoint** out) {
  clear(out);
  return guard([&] {
    require(out, "out");
    std::optional<Checkpoint> checkpoint =
        require(journal, "journal")->journal.latest_checkpoint(require_text(run_id, "run_id"));
    if (checkpoint) *out = new rj_checkpoint(std::move(*checkpoint));
  });
}

rj_status rj_delete_checkpoint(rj_journal* journal, const char* run_id, const char* checkpoint_id, int* deleted) {
  if (deleted != nullptr) *deleted = 0;
  return guard([&] {
    require(journal, "journal");
    const bool done =
        journal->journal.delete_checkpoint(require_text(run_id, "run_id"), require_text(checkpoint_id, "checkpoint_id"));
    if (deleted != nullptr) *deleted = done ? 1 : 0;
  });
}

rj_status rj_heartbeat(rj_journal* journal) {
  return guard([&] { require(journal, "journal")->journal.heartbeat(); });
}

}  // extern "C"
