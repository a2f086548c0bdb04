// projector_support.hpp — what the projector suites (projector_*_test.cpp)
// share: one run's events fed to runjournal::detail::project() the way the
// journal feeds them, runs brought to each status, the kind table and the
// status machine table.
//
// These suites are written from DESIGN.md ("Status machine") and the
// projector's header, not from projector.cpp: each expectation is what the
// contract promises, so a disagreement is a finding, not a typo to copy.
// Events are fed the way the journal feeds them: seq 1, 2, 3 … for the run,
// positions that grow with gaps (other runs interleave), timestamps that grow.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <runjournal/error.hpp>
#include <runjournal/run.hpp>

#include "core/projector.hpp"
#include "test_support.hpp"

namespace runjournal::test::projector {

using runjournal::ErrorCode;
using runjournal::Run;
using runjournal::RunStatus;
using runjournal::detail::EventView;
using runjournal::detail::KindClass;

// Names for failure messages. doctest prints an enum as its number, so
// statuses, classes and codes are compared through these. They are local on
// purpose: these suites do not lean on the library's own string tables.
std::string name(RunStatus status);
std::string name(KindClass kind_class);
std::string name(ErrorCode code);

inline constexpr std::string_view kRunId = "run-7f3a";
inline constexpr std::int64_t kFirstPosition = 40;
inline constexpr std::int64_t kPositionStride = 7;  // other runs' events interleave
inline constexpr std::int64_t kFirstTs = 1'700'000'000'000;
inline constexpr std::int64_t kTsStride = 1'000;

// One event with its own storage. view() borrows from it, so the OwnedEvent
// must outlive every use of the view.
struct OwnedEvent {
  std::string run_id;
  std::int64_t seq = 0;
  std::int64_t position = 0;
  std::int64_t ts_ms = 0;
  std::string kind;
  std::string payload;

  EventView view() const { return {run_id, seq, position, ts_ms, kind, payload}; }
};

// The n-th event (seq n) of the run, placed as the journal would place it.
OwnedEvent nth_event(std::int64_t seq, std::string kind, std::string payload = "{}");

// The outcome of projecting onto an empty state: the name of the error code
// thrown, or "accepted". Other exception types escape and fail the test.
std::string error_on_empty_state(const OwnedEvent& event);

// One run's events, applied one by one as they are appended. The events are
// kept (a deque, so references stay valid) to be replayed again later.
class RunFeed {
 public:
  const OwnedEvent& apply(std::string kind, std::string payload = "{}");
  // Like apply(), but with a timestamp of the caller's choosing.
  const OwnedEvent& apply_at(std::int64_t ts_ms, std::string kind, std::string payload = "{}");

  // The run as it stands (REQUIREs that the feed has created one).
  const Run& run() const;
  const std::deque<OwnedEvent>& events() const { return events_; }
  // What project() said the last event changed.
  runjournal::detail::RowChange last_change() const { return last_change_; }

 private:
  std::int64_t next_seq() const { return static_cast<std::int64_t>(events_.size()) + 1; }
  const OwnedEvent& apply_event(OwnedEvent event);

  std::deque<OwnedEvent> events_;
  std::optional<Run> run_;
  runjournal::detail::RowChange last_change_ = runjournal::detail::RowChange::Row;
};

inline constexpr std::string_view kCreatedPayload =
    R"({"session_id": "sess-1", "prompt": "fix the failing tests"})";

RunFeed created_feed();
// A run brought to `status` by the shortest honest path of events.
RunFeed feed_in(RunStatus status);

std::optional<Run> replay(const std::deque<OwnedEvent>& events);

// The run with the four per-event counters zeroed: what "only counted" leaves equal.
Run without_counters(Run run);

// Every event moves the counters, whatever else it does.
void check_counted(const Run& before, const Run& after, const OwnedEvent& event);

inline constexpr std::array kAllStatuses = {
    RunStatus::Created,     RunStatus::Planning,  RunStatus::Executing, RunStatus::Verifying,
    RunStatus::Interrupted, RunStatus::Completed, RunStatus::Failed,    RunStatus::Cancelled,
};

// ---------------------------------------------------------------------------
// Kind names

struct KindRow {
  std::string_view kind;
  KindClass kind_class;
  std::string_view canonical;
};

inline constexpr std::array kKinds = {
    KindRow{"run_created", KindClass::RunCreated, "run_created"},
    KindRow{"run_started", KindClass::RunStarted, "run_started"},
    KindRow{"planning_started", KindClass::PlanningStarted, "planning_started"},
    KindRow{"verifying_started", KindClass::VerifyingStarted, "verifying_started"},
    KindRow{"step_started", KindClass::Activity, "step_started"},
    KindRow{"turn_started", KindClass::Activity, "turn_started"},
    KindRow{"tool_started", KindClass::Activity, "tool_started"},
    KindRow{"tool_called", KindClass::Activity, "tool_called"},
    KindRow{"node_entered", KindClass::Activity, "node_entered"},
    KindRow{"run_completed", KindClass::RunCompleted, "run_completed"},
    KindRow{"run_failed", KindClass::RunFailed, "run_failed"},
    KindRow{"run_cancelled", KindClass::RunCancelled, "run_cancelled"},
    KindRow{"run_interrupted", KindClass::RunInterrupted, "run_interrupted"},
    KindRow{"run_resumed", KindClass::RunResumed, "run_resumed"},
    KindRow{"checkpoint_saved", KindClass::CheckpointSaved, "checkpoint_saved"},
    KindRow{"checkpoint_deleted", KindClass::CheckpointDeleted, "checkpoint_deleted"},
    // The source systems' names.
    KindRow{"start", KindClass::RunStarted, "run_started"},
    KindRow{"end", KindClass::RunCompleted, "run_completed"},
    KindRow{"error", KindClass::RunFailed, "run_failed"},
    KindRow{"planning_start", KindClass::PlanningStarted, "planning_started"},
    KindRow{"step_start", KindClass::Activity, "step_started"},
    KindRow{"tool_start", KindClass::Activity, "tool_started"},
    KindRow{"turn_start", KindClass::Activity, "turn_started"},
    KindRow{"graph_started", KindClass::RunStarted, "run_started"},
    KindRow{"graph_completed", KindClass::RunCompleted, "run_completed"},
    KindRow{"graph_failed", KindClass::RunFailed, "run_failed"},
    KindRow{"graph_interrupted", KindClass::RunInterrupted, "run_interrupted"},
};

// ---------------------------------------------------------------------------
// The status machine, row by row

inline constexpr RunStatus Cr = RunStatus::Created;
inline constexpr RunStatus Pl = RunStatus::Planning;
inline constexpr RunStatus Ex = RunStatus::Executing;
inline constexpr RunStatus Ve = RunStatus::Verifying;
inline constexpr RunStatus In = RunStatus::Interrupted;
inline constexpr RunStatus Co = RunStatus::Completed;
inline constexpr RunStatus Fa = RunStatus::Failed;
inline constexpr RunStatus Ca = RunStatus::Cancelled;

struct TransitionRow {
  std::string_view kind;
  std::string_view payload;
  // The status after the event, for a run that was, in order:
  // created, planning, executing, verifying, interrupted, completed, failed, cancelled.
  std::array<RunStatus, 8> after;
};

// clang-format off
inline constexpr std::array kTransitions = {
  //            kind                 payload                                  Cr  Pl  Ex  Ve  In  Co  Fa  Ca
  TransitionRow{"run_created",       R"({"session_id":"s","prompt":"p"})",  {Cr, Pl, Ex, Ve, In, Co, Fa, Ca}},
  TransitionRow{"run_started",       "{}",                                  {Ex, Ex, Ex, Ex, In, Co, Fa, Ca}},
  TransitionRow{"start",             "{}",                                  {Ex, Ex, Ex, Ex, In, Co, Fa, Ca}},
  TransitionRow{"graph_started",     "{}",                                  {Ex, Ex, Ex, Ex, In, Co, Fa, Ca}},
  TransitionRow{"planning_started",  "{}",                                  {Pl, Pl, Pl, Pl, In, Co, Fa, Ca}},
  TransitionRow{"planning_start",    "{}",                                  {Pl, Pl, Pl, Pl, In, Co, Fa, Ca}},
  TransitionRow{"verifying_started", "{}",                                  {Ve, Ve, Ve, Ve, In, Co, Fa, Ca}},
  TransitionRow{"step_started",      "{}",                                  {Ex, Pl, Ex, Ex, In, Co, Fa, Ca}},
  TransitionRow{"step_start",        "{}",                                  {Ex, Pl, Ex, Ex, In, Co, Fa, Ca}},
  TransitionRow{"turn_started",      "{}",                                  {Ex, Pl, Ex, Ex, In, Co, Fa, Ca}},
  TransitionRow{"turn_start",        "{}",                                  {Ex, Pl, Ex, Ex, In, Co, Fa, Ca}},
  TransitionRow{"tool_started",      "{}",                                  {Ex, Pl, Ex, Ex, In, Co, Fa, Ca}},
  TransitionRow{"tool_start",        "{}",                                  {Ex, Pl, Ex, Ex, In, Co, Fa, Ca}},
  TransitionRow{"tool_called",       R"({"tool_name":"search"})",           {Ex, Pl, Ex, Ex, In, Co, Fa, Ca}},
  TransitionRow{"node_entered",      R"({"node":"plan"})",                  {Ex, Pl, Ex, Ex, In, Co, Fa, Ca}},
  TransitionRow{"run_completed",     R"({"result_text":"done"})",           {Co, Co, Co, Co, Co, Co, Fa, Ca}},
  TransitionRow{"end",               R"({"result_text":"done"})",           {Co, Co, Co, Co, Co, Co, Fa, Ca}},
  TransitionRow{"graph_completed",   "{}",                                  {Co, Co, Co, Co, Co, Co, Fa, Ca}},
  TransitionRow{"run_failed",        R"({"error":"boom"})",                 {Fa, Fa, Fa, Fa, Fa, Co, Fa, Ca}},
  TransitionRow{"error",             R"({"error":"boom"})",                 {Fa, Fa, Fa, Fa, Fa, Co, Fa, Ca}},
  TransitionRow{"graph_failed",      R"({"error":"boom"})",                 {Fa, Fa, Fa, Fa, Fa, Co, Fa, Ca}},
  TransitionRow{"run_cancelled",     R"({"reason":"stop"})",                {Ca, Ca, Ca, Ca, Ca, Co, Fa, Ca}},
  TransitionRow{"run_interrupted",   R"({"reason":"driver died"})",         {In, In, In, In, In, Co, Fa, Ca}},
  TransitionRow{"graph_interrupted", "{}",                                  {In, In, In, In, In, Co, Fa, Ca}},
  TransitionRow{"run_resumed",       "{}",                                  {Cr, Pl, Ex, Ve, Ex, Co, Fa, Ca}},
  TransitionRow{"checkpoint_saved",  R"({"checkpoint_id":"cp-9"})",         {Cr, Pl, Ex, Ve, In, Co, Fa, Ca}},
  TransitionRow{"checkpoint_deleted",R"({"checkpoint_id":"cp-9"})",         {Cr, Pl, Ex, Ve, In, Co, Fa, Ca}},
  TransitionRow{"llm_token_usage",   R"({"tokens":12})",                    {Cr, Pl, Ex, Ve, In, Co, Fa, Ca}},
};
// clang-format on

}  // namespace runjournal::test::projector
