// The status machine of DESIGN.md ("Status machine"), in one place.
//
// Payloads are parsed only for the kinds whose fields the projector reads
// (run_created, run_started, the terminal kinds, checkpoints): most events of
// a long run are tool and step events whose payload the projection ignores,
// and rebuild should not pay for a DOM of each of them.
#include "core/projector.hpp"

#include <array>
#include <cstdint>
#include <utility>

#include <fmt/format.h>

#include <runjournal/error.hpp>

#include "core/driver.hpp"
#include "core/json_text.hpp"

namespace runjournal::detail {
namespace {

struct KindName {
  std::string_view name;
  std::string_view canonical;
  KindClass kind_class;
};

// Canonical names first, then the source systems' aliases.
constexpr std::array<KindName, 27> kKinds{{
    {"run_created", "run_created", KindClass::RunCreated},
    {"run_started", "run_started", KindClass::RunStarted},
    {"planning_started", "planning_started", KindClass::PlanningStarted},
    {"verifying_started", "verifying_started", KindClass::VerifyingStarted},
    {"step_started", "step_started", KindClass::Activity},
    {"turn_started", "turn_started", KindClass::Activity},
    {"tool_started", "tool_started", KindClass::Activity},
    {"tool_called", "tool_called", KindClass::Activity},
    {"node_entered", "node_entered", KindClass::Activity},
    {"run_completed", "run_completed", KindClass::RunCompleted},
    {"run_failed", "run_failed", KindClass::RunFailed},
    {"run_cancelled", "run_cancelled", KindClass::RunCancelled},
    {"run_interrupted", "run_interrupted", KindClass::RunInterrupted},
    {"run_resumed", "run_resumed", KindClass::RunResumed},
    {"checkpoint_saved", "checkpoint_saved", KindClass::CheckpointSaved},
    {"checkpoint_deleted", "checkpoint_deleted", KindClass::CheckpointDeleted},
    {"start", "run_started", KindClass::RunStarted},
    {"end", "run_completed", KindClass::RunCompleted},
    {"error", "run_failed", KindClass::RunFailed},
    {"planning_start", "planning_started", KindClass::PlanningStarted},
    {"step_start", "step_started", KindClass::Activity},
    {"tool_start", "tool_started", KindClass::Activity},
    {"turn_start", "turn_started", KindClass::Activity},
    {"graph_started", "run_started", KindClass::RunStarted},
    {"graph_completed", "run_completed", KindClass::RunCompleted},
    {"graph_failed", "run_failed", KindClass::RunFailed},
    {"graph_interrupted", "run_interrupted", KindClass::RunInterrupted},
}};

const KindName* find_kind(std::string_view kind) noexcept {
  for (const auto& k : kKinds) {
    if (k.name == kind) return &k;
  }
  return nullptr;
}

nlohmann::json parse_payload(std::string_view text) {
  // A stored payload is a JSON object; if a tampered file holds anything else,
  // replay goes on with no fields rather than failing (verify reports it).
  // Bounded too: a hand-inserted payload nested past anything runjournal
  // stores replays with no fields rather than recursing later.
  std::optional<nlohmann::json> value = try_parse_json_limited(text, kMaxStoredDepth);
  if (!value || !value->is_object()) return nlohmann::json::object();
  return std::move(*value);
}

std::optional<std::string> string_field(const nlohmann::json& payload, const char* key) {
  auto it = payload.find(key);
  if (it == payload.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

nlohmann::json value_field(const nlohmann::json& payload, const char* key) {
  auto it = payload.find(key);
  return it == payload.end() ? nlohmann::json() : *it;
}

void clear_checkpoint(Run& run) {
  run.checkpoint_id.reset();
  run.checkpoint = nullptr;
}

void finish(Run& run, RunStatus status, std::int64_t ts_ms) {
  run.status = status;
  run.finished_at_ms = ts_ms;
  clear_checkpoint(run);
}

Run created_run(const EventView& event) {
  const nlohmann::json payload = parse_payload(event.payload);
  Run run;
  run.run_id = std::string(event.run_id);
  run.session_id = string_field(payload, "session_id").value_or("");
  run.prompt = string_field(payload, "prompt").value_or("");
  run.inputs = value_field(payload, "inputs");
  run.metadata = value_field(payload, "metadata");
  run.driver = driver_from_payload(payload);
  run.agent_spec_digest = string_field(payload, "agent_spec_digest");
  run.git_sha = string_field(payload, "git_sha");
  // A fork names its source and how much of it it copied (Journal::fork).
  if (auto source = string_field(payload, "forked_from_run")) {
    auto seq = payload.find("forked_from_seq");
    // A seq is a positive integer (parsed ones are unsigned); anything else
    // is no lineage, and the event still replays.
    if (seq != payload.end() && seq->is_number_unsigned() && seq->get<std::uint64_t>() >= 1 &&
        seq->get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX)) {
      run.forked_from_seq = static_cast<std::int64_t>(seq->get<std::uint64_t>());
      run.forked_from_run = std::move(source);
    }
  }
  run.status = RunStatus::Created;
  run.created_at_ms = event.ts_ms;
  run.first_position = event.position;
  return run;
}

// Moves a live run; terminal runs never reach here.
void apply_live(Run& run, KindClass kind_class, const EventView& event) {
  const bool interrupted = run.status == RunStatus::Interrupted;
  switch (kind_class) {
    case KindClass::RunCreated:
    case KindClass::Other:
      return;
    case KindClass::RunStarted: {
      if (run.prompt.empty()) {
        run.prompt = string_field(parse_payload(event.payload), "prompt").value_or("");
      }
      if (!interrupted) run.status = RunStatus::Executing;
      return;
    }
    case KindClass::PlanningStarted:
      if (!interrupted) run.status = RunStatus::Planning;
      return;
    case KindClass::VerifyingStarted:
      if (!interrupted) run.status = RunStatus::Verifying;
      return;
    case KindClass::Activity:
      if (!interrupted && run.status != RunStatus::Planning) run.status = RunStatus::Executing;
      return;
    case KindClass::RunResumed: {
      // The resumer drives the run from now on, whatever its status; a
      // run_resumed without a (valid) driver leaves the old one. In a fork,
      // the events up to forked_from_seq are copies of the source's: their
      // resumers drove the source, while the fork is driven by whoever
      // forked it (its run_created's driver).
      const bool copied = run.forked_from_seq && event.seq <= *run.forked_from_seq;
      if (auto driver = driver_from_payload(parse_payload(event.payload)); driver && !copied) {
        run.driver = std::move(driver);
      }
      if (interrupted) run.status = RunStatus::Executing;
      return;
    }
    case KindClass::RunInterrupted:
      run.status = RunStatus::Interrupted;
      run.status_reason = string_field(parse_payload(event.payload), "reason");
      return;
    case KindClass::RunCompleted: {
      const nlohmann::json payload = parse_payload(event.payload);
      if (auto text = string_field(payload, "result_text")) run.result_text = std::move(text);
      if (payload.contains("outputs")) run.outputs = payload["outputs"];
      if (auto digest = string_field(payload, "final_state_digest")) run.final_state_digest = std::move(digest);
      run.error.reset();
      finish(run, RunStatus::Completed, event.ts_ms);
      return;
    }
    case KindClass::RunFailed: {
      const nlohmann::json payload = parse_payload(event.payload);
      auto it = payload.find("error");
      if (it == payload.end() || it->is_null()) {
        run.error = "";
      } else {
        run.error = it->is_string() ? it->get<std::string>() : it->dump();
      }
      finish(run, RunStatus::Failed, event.ts_ms);
      return;
    }
    case KindClass::RunCancelled:
      run.status_reason = string_field(parse_payload(event.payload), "reason");
      finish(run, RunStatus::Cancelled, event.ts_ms);
      return;
    case KindClass::CheckpointSaved: {
      nlohmann::json payload = parse_payload(event.payload);
      run.checkpoint_id = string_field(payload, "checkpoint_id");
      run.checkpoint = std::move(payload);
      return;
    }
    case KindClass::CheckpointDeleted: {
      const auto id = string_field(parse_payload(event.payload), "checkpoint_id");
      if (run.checkpoint_id && id == run.checkpoint_id) clear_checkpoint(run);
      return;
    }
  }
}

}  // namespace

KindClass classify_kind(std::string_view kind) noexcept {
  const KindName* k = find_kind(kind);
  return k ? k->kind_class : KindClass::Other;
}

std::string_view canonical_kind(std::string_view kind) noexcept {
  const KindName* k = find_kind(kind);
  return k ? k->canonical : kind;
}

RowChange project(std::optional<Run>& run, const EventView& event) {
  const KindClass kind_class = classify_kind(event.kind);
  RowChange change = RowChange::Row;
  if (!run) {
    if (kind_class != KindClass::RunCreated || event.seq != 1) {
      throw Error(ErrorCode::Corrupt,
                  fmt::format("run {} starts with {} at seq {} (position {}); its first event must be "
                              "run_created at seq 1",
                              event.run_id, event.kind, event.seq, event.position));
    }
    run = created_run(event);
  } else if (is_terminal(run->status)) {
    change = RowChange::Counters;  // a late event is counted, nothing more
  } else {
    const RunStatus before = run->status;
    apply_live(*run, kind_class, event);
    // status_reason says why the run is cancelled or interrupted: a run
    // that moves to any other status (resumed, completed, failed) no longer
    // is, and "driver gone: …" must not outlive the interruption.
    if (run->status != before && run->status != RunStatus::Cancelled && run->status != RunStatus::Interrupted) {
      run->status_reason.reset();
    }
    // Of the live kinds, only these leave every field but the status alone
    // (apply_live above); and the status may not have moved either.
    const bool status_only = kind_class == KindClass::Activity || kind_class == KindClass::Other ||
                             kind_class == KindClass::RunCreated || kind_class == KindClass::PlanningStarted ||
                             kind_class == KindClass::VerifyingStarted;
    if (status_only && run->status == before) change = RowChange::Counters;
  }
  run->event_count += 1;
  run->last_seq = event.seq;
  run->last_position = event.position;
  run->updated_at_ms = event.ts_ms;
  return change;
}

}  // namespace runjournal::detail
