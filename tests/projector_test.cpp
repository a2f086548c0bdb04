// projector_test.cpp — the status machine, pinned from the contract.
//
// These tests are written from DESIGN.md ("Status machine") and the
// projector's header, not from projector.cpp: each expectation below is what
// the contract promises, so a disagreement is a finding, not a typo to copy.
// Events are fed the way the journal feeds them: seq 1, 2, 3 … for the run,
// positions that grow with gaps (other runs interleave), timestamps that grow.
#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <runjournal/error.hpp>
#include <runjournal/run.hpp>

#include "core/projector.hpp"

namespace {

using nlohmann::json;
using runjournal::ErrorCode;
using runjournal::Run;
using runjournal::RunStatus;
using runjournal::detail::EventView;
using runjournal::detail::KindClass;

// Names for failure messages. doctest prints an enum as its number, so
// statuses, classes and codes are compared through these. They are local on
// purpose: this suite does not lean on the library's own string tables.
std::string name(RunStatus status) {
  switch (status) {
    case RunStatus::Created: return "created";
    case RunStatus::Planning: return "planning";
    case RunStatus::Executing: return "executing";
    case RunStatus::Verifying: return "verifying";
    case RunStatus::Interrupted: return "interrupted";
    case RunStatus::Completed: return "completed";
    case RunStatus::Failed: return "failed";
    case RunStatus::Cancelled: return "cancelled";
  }
  return "<bad RunStatus " + std::to_string(static_cast<int>(status)) + ">";
}

std::string name(KindClass kind_class) {
  switch (kind_class) {
    case KindClass::RunCreated: return "RunCreated";
    case KindClass::RunStarted: return "RunStarted";
    case KindClass::PlanningStarted: return "PlanningStarted";
    case KindClass::VerifyingStarted: return "VerifyingStarted";
    case KindClass::Activity: return "Activity";
    case KindClass::RunCompleted: return "RunCompleted";
    case KindClass::RunFailed: return "RunFailed";
    case KindClass::RunCancelled: return "RunCancelled";
    case KindClass::RunInterrupted: return "RunInterrupted";
    case KindClass::RunResumed: return "RunResumed";
    case KindClass::CheckpointSaved: return "CheckpointSaved";
    case KindClass::CheckpointDeleted: return "CheckpointDeleted";
    case KindClass::Other: return "Other";
  }
  return "<bad KindClass " + std::to_string(static_cast<int>(kind_class)) + ">";
}

std::string name(ErrorCode code) {
  switch (code) {
    case ErrorCode::NotFound: return "NotFound";
    case ErrorCode::Conflict: return "Conflict";
    case ErrorCode::AlreadyRunning: return "AlreadyRunning";
    case ErrorCode::AlreadyExists: return "AlreadyExists";
    case ErrorCode::InvalidArgument: return "InvalidArgument";
    case ErrorCode::Busy: return "Busy";
    case ErrorCode::Corrupt: return "Corrupt";
    case ErrorCode::SchemaTooNew: return "SchemaTooNew";
    case ErrorCode::NotAJournal: return "NotAJournal";
    case ErrorCode::Io: return "Io";
    case ErrorCode::TimedOut: return "TimedOut";
    case ErrorCode::ReadOnly: return "ReadOnly";
  }
  return "<bad ErrorCode " + std::to_string(static_cast<int>(code)) + ">";
}

template <typename T>
json optional_json(const std::optional<T>& value) {
  return value ? json(*value) : json();
}

// Every field, so a failed Run comparison shows what differs.
std::string describe(const Run& run) {
  json out = {
      {"run_id", run.run_id},
      {"session_id", run.session_id},
      {"status", name(run.status)},
      {"prompt", run.prompt},
      {"inputs", run.inputs},
      {"outputs", run.outputs},
      {"metadata", run.metadata},
      {"result_text", optional_json(run.result_text)},
      {"error", optional_json(run.error)},
      {"status_reason", optional_json(run.status_reason)},
      {"checkpoint_id", optional_json(run.checkpoint_id)},
      {"checkpoint", run.checkpoint},
      {"created_at_ms", run.created_at_ms},
      {"updated_at_ms", run.updated_at_ms},
      {"finished_at_ms", optional_json(run.finished_at_ms)},
      {"first_position", run.first_position},
      {"event_count", run.event_count},
      {"last_seq", run.last_seq},
      {"last_position", run.last_position},
  };
  return out.dump();
}

}  // namespace

namespace doctest {

template <typename T>
struct StringMaker<std::optional<T>> {
  static String convert(const std::optional<T>& value) {
    return value ? toString(*value) : String("nullopt");
  }
};

template <>
struct StringMaker<std::nullopt_t> {
  static String convert(std::nullopt_t) { return "nullopt"; }
};

template <>
struct StringMaker<Run> {
  static String convert(const Run& run) { return String(describe(run).c_str()); }
};

}  // namespace doctest

namespace {

constexpr std::string_view kRunId = "run-7f3a";
constexpr std::int64_t kFirstPosition = 40;
constexpr std::int64_t kPositionStride = 7;  // other runs' events interleave
constexpr std::int64_t kFirstTs = 1'700'000'000'000;
constexpr std::int64_t kTsStride = 1'000;

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
OwnedEvent nth_event(std::int64_t seq, std::string kind, std::string payload = "{}") {
  return OwnedEvent{std::string(kRunId), seq, kFirstPosition + (seq - 1) * kPositionStride,
                    kFirstTs + (seq - 1) * kTsStride, std::move(kind), std::move(payload)};
}

// The outcome of projecting onto an empty state: the name of the error code
// thrown, or "accepted". Other exception types escape and fail the test.
std::string error_on_empty_state(const OwnedEvent& event) {
  std::optional<Run> run;
  try {
    runjournal::detail::project(run, event.view());
  } catch (const runjournal::Error& error) {
    return name(error.code());
  }
  return "accepted";
}

// One run's events, applied one by one as they are appended. The events are
// kept (a deque, so references stay valid) to be replayed again later.
class RunFeed {
 public:
  const OwnedEvent& apply(std::string kind, std::string payload = "{}") {
    return apply_event(nth_event(next_seq(), std::move(kind), std::move(payload)));
  }

  // Like apply(), but with a timestamp of the caller's choosing.
  const OwnedEvent& apply_at(std::int64_t ts_ms, std::string kind, std::string payload = "{}") {
    OwnedEvent event = nth_event(next_seq(), std::move(kind), std::move(payload));
    event.ts_ms = ts_ms;
    return apply_event(std::move(event));
  }

  const Run& run() const {
    REQUIRE(run_.has_value());
    return *run_;
  }

  const std::deque<OwnedEvent>& events() const { return events_; }
  // What project() said the last event changed.
  runjournal::detail::RowChange last_change() const { return last_change_; }

 private:
  std::int64_t next_seq() const { return static_cast<std::int64_t>(events_.size()) + 1; }

  const OwnedEvent& apply_event(OwnedEvent event) {
    events_.push_back(std::move(event));
    last_change_ = runjournal::detail::project(run_, events_.back().view());
    return events_.back();
  }

  std::deque<OwnedEvent> events_;
  std::optional<Run> run_;
  runjournal::detail::RowChange last_change_ = runjournal::detail::RowChange::Row;
};

constexpr std::string_view kCreatedPayload =
    R"({"session_id": "sess-1", "prompt": "fix the failing tests"})";

RunFeed created_feed() {
  RunFeed feed;
  feed.apply("run_created", std::string(kCreatedPayload));
  return feed;
}

// A run brought to `status` by the shortest honest path of events.
RunFeed feed_in(RunStatus status) {
  RunFeed feed = created_feed();
  switch (status) {
    case RunStatus::Created:
      break;
    case RunStatus::Planning:
      feed.apply("planning_started");
      break;
    case RunStatus::Executing:
      feed.apply("run_started");
      break;
    case RunStatus::Verifying:
      feed.apply("run_started");
      feed.apply("verifying_started");
      break;
    case RunStatus::Interrupted:
      feed.apply("run_started");
      feed.apply("run_interrupted", R"({"reason": "driver died"})");
      break;
    case RunStatus::Completed:
      feed.apply("run_started");
      feed.apply("run_completed", R"({"result_text": "all green"})");
      break;
    case RunStatus::Failed:
      feed.apply("run_started");
      feed.apply("run_failed", R"({"error": "tool crashed"})");
      break;
    case RunStatus::Cancelled:
      feed.apply("run_started");
      feed.apply("run_cancelled", R"({"reason": "user pressed stop"})");
      break;
  }
  REQUIRE(name(feed.run().status) == name(status));
  return feed;
}

std::optional<Run> replay(const std::deque<OwnedEvent>& events) {
  std::optional<Run> run;
  for (const OwnedEvent& event : events) runjournal::detail::project(run, event.view());
  return run;
}

// The run with the four per-event counters zeroed: what "only counted" leaves equal.
Run without_counters(Run run) {
  run.event_count = 0;
  run.last_seq = 0;
  run.last_position = 0;
  run.updated_at_ms = 0;
  return run;
}

// Every event moves the counters, whatever else it does.
void check_counted(const Run& before, const Run& after, const OwnedEvent& event) {
  CHECK(after.event_count == before.event_count + 1);
  CHECK(after.last_seq == event.seq);
  CHECK(after.last_position == event.position);
  CHECK(after.updated_at_ms == event.ts_ms);
}

constexpr std::array kAllStatuses = {
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

constexpr std::array kKinds = {
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

TEST_CASE("classify_kind maps every canonical kind and every source-system alias to its class") {
  for (const KindRow& row : kKinds) {
    INFO("kind ", std::string(row.kind));
    CHECK(name(runjournal::detail::classify_kind(row.kind)) == name(row.kind_class));
  }
}

TEST_CASE("classify_kind treats a kind it does not know as Other, not as an error") {
  for (std::string_view kind : {"weird", "llm_token_usage", "", "run_completed_x", "ends"}) {
    INFO("kind '", std::string(kind), "'");
    CHECK(name(runjournal::detail::classify_kind(kind)) == "Other");
  }
}

TEST_CASE("canonical_kind maps each alias to its canonical name and keeps other names as written") {
  for (const KindRow& row : kKinds) {
    INFO("kind ", std::string(row.kind));
    CHECK(std::string(runjournal::detail::canonical_kind(row.kind)) == std::string(row.canonical));
  }
  CHECK(std::string(runjournal::detail::canonical_kind("end")) == "run_completed");
  CHECK(std::string(runjournal::detail::canonical_kind("weird")) == "weird");
  CHECK(std::string(runjournal::detail::canonical_kind("llm_token_usage")) == "llm_token_usage");
}

// ---------------------------------------------------------------------------
// run_created and the empty state

TEST_CASE("run_created on an empty state creates the run from its event and payload") {
  RunFeed feed;
  const OwnedEvent& created = feed.apply(
      "run_created",
      R"({"session_id": "sess-1", "prompt": "fix the failing tests",
          "inputs": {"repo": "acme/api", "files": [1, 2]}, "metadata": {"model": "m-1"}})");
  const Run& run = feed.run();

  CHECK(run.run_id == kRunId);
  CHECK(name(run.status) == "created");
  CHECK(run.session_id == "sess-1");
  CHECK(run.prompt == "fix the failing tests");
  CHECK(run.inputs == json::parse(R"({"repo": "acme/api", "files": [1, 2]})"));
  CHECK(run.metadata == json::parse(R"({"model": "m-1"})"));
  CHECK(run.outputs.is_null());
  CHECK(run.result_text == std::nullopt);
  CHECK(run.error == std::nullopt);
  CHECK(run.status_reason == std::nullopt);
  CHECK(run.checkpoint_id == std::nullopt);
  CHECK(run.checkpoint.is_null());
  CHECK(run.finished_at_ms == std::nullopt);
  CHECK(run.created_at_ms == created.ts_ms);
  CHECK(run.updated_at_ms == created.ts_ms);
  CHECK(run.first_position == created.position);
  CHECK(run.last_position == created.position);
  CHECK(run.event_count == 1);
  CHECK(run.last_seq == 1);
}

TEST_CASE("run_created without inputs or metadata leaves them null") {
  RunFeed feed = created_feed();
  CHECK(feed.run().inputs.is_null());
  CHECK(feed.run().metadata.is_null());
  CHECK(feed.run().outputs.is_null());
}

TEST_CASE("a first event that is not run_created is Corrupt") {
  for (const KindRow& row : kKinds) {
    if (row.kind_class == KindClass::RunCreated) continue;
    INFO("kind ", std::string(row.kind));
    CHECK(error_on_empty_state(nth_event(1, std::string(row.kind))) == "Corrupt");
  }
  CHECK(error_on_empty_state(nth_event(1, "llm_token_usage")) == "Corrupt");
  CHECK(error_on_empty_state(nth_event(2, "tool_called")) == "Corrupt");
}

TEST_CASE("a run_created that is not seq 1 on an empty state is Corrupt") {
  CHECK(error_on_empty_state(nth_event(1, "run_created", std::string(kCreatedPayload))) ==
        "accepted");
  CHECK(error_on_empty_state(nth_event(2, "run_created", std::string(kCreatedPayload))) ==
        "Corrupt");
  CHECK(error_on_empty_state(nth_event(0, "run_created", std::string(kCreatedPayload))) ==
        "Corrupt");
}

TEST_CASE("a second run_created on an existing run is only counted") {
  for (RunStatus start : kAllStatuses) {
    INFO("from ", name(start));
    RunFeed feed = feed_in(start);
    const Run before = feed.run();
    const OwnedEvent& again = feed.apply(
        "run_created",
        R"({"session_id": "other", "prompt": "tampered", "inputs": [1], "metadata": {"x": 1}})");
    check_counted(before, feed.run(), again);
    CHECK(without_counters(feed.run()) == without_counters(before));
  }
}

// ---------------------------------------------------------------------------
// Counters

TEST_CASE("every event is counted with its seq, position and timestamp") {
  RunFeed feed = created_feed();
  const std::array<std::pair<std::string_view, std::string_view>, 9> later = {{
      {"run_started", "{}"},
      {"tool_called", R"({"tool_name": "search"})"},
      {"llm_token_usage", R"({"tokens": 12})"},
      {"checkpoint_saved", R"({"checkpoint_id": "cp-1"})"},
      {"run_interrupted", "{}"},
      {"run_resumed", "{}"},
      {"run_completed", R"({"result_text": "done"})"},
      {"tool_called", "{}"},
      {"run_cancelled", "{}"},
  }};
  for (const auto& [kind, payload] : later) {
    // INFO captures by reference in a lambda; clang 14 cannot capture a
    // structured binding, so name a copy.
    const std::string kind_name(kind);
    INFO("kind ", kind_name);
    const Run before = feed.run();
    const OwnedEvent& event = feed.apply(std::string(kind), std::string(payload));
    check_counted(before, feed.run(), event);
  }
  CHECK(feed.run().event_count == 10);
  CHECK(feed.run().last_seq == 10);
  CHECK(feed.run().last_position == kFirstPosition + 9 * kPositionStride);
  CHECK(feed.run().first_position == kFirstPosition);
  CHECK(feed.run().created_at_ms == kFirstTs);
}

TEST_CASE("updated_at_ms is the latest event's timestamp even when the clock steps back") {
  RunFeed feed = created_feed();
  feed.apply_at(kFirstTs + 50'000, "run_started");
  CHECK(feed.run().updated_at_ms == kFirstTs + 50'000);
  feed.apply_at(kFirstTs + 20'000, "tool_called");
  CHECK(feed.run().updated_at_ms == kFirstTs + 20'000);
  CHECK(feed.run().created_at_ms == kFirstTs);
}

// ---------------------------------------------------------------------------
// The status machine, row by row

constexpr RunStatus Cr = RunStatus::Created;
constexpr RunStatus Pl = RunStatus::Planning;
constexpr RunStatus Ex = RunStatus::Executing;
constexpr RunStatus Ve = RunStatus::Verifying;
constexpr RunStatus In = RunStatus::Interrupted;
constexpr RunStatus Co = RunStatus::Completed;
constexpr RunStatus Fa = RunStatus::Failed;
constexpr RunStatus Ca = RunStatus::Cancelled;

struct TransitionRow {
  std::string_view kind;
  std::string_view payload;
  // The status after the event, for a run that was, in order:
  // created, planning, executing, verifying, interrupted, completed, failed, cancelled.
  std::array<RunStatus, 8> after;
};

// clang-format off
constexpr std::array kTransitions = {
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

TEST_CASE("each kind and alias moves each starting status as the status machine table says") {
  for (const TransitionRow& row : kTransitions) {
    for (std::size_t i = 0; i < kAllStatuses.size(); ++i) {
      const RunStatus start = kAllStatuses[i];
      INFO(std::string(row.kind), " on a ", name(start), " run");
      RunFeed feed = feed_in(start);
      const Run before = feed.run();
      const OwnedEvent& event = feed.apply(std::string(row.kind), std::string(row.payload));
      CHECK(name(feed.run().status) == name(row.after[i]));
      check_counted(before, feed.run(), event);
    }
  }
}

// The writer trusts RowChange::Counters to update only the four counter
// columns: a Counters answer for an event that moved anything else would
// leave the stored row wrong (and verify would find it).
TEST_CASE("project says Counters only when the event moved nothing but the counters") {
  using runjournal::detail::RowChange;
  int counters_only = 0;
  for (const TransitionRow& row : kTransitions) {
    for (const RunStatus start : kAllStatuses) {
      INFO(std::string(row.kind), " on a ", name(start), " run");
      RunFeed feed = feed_in(start);
      const Run before = feed.run();
      feed.apply(std::string(row.kind), std::string(row.payload));
      if (feed.last_change() == RowChange::Counters) {
        ++counters_only;
        CHECK(without_counters(feed.run()) == without_counters(before));
      }
    }
  }
  // Each terminal status (3) for every kind, and the plain activity of a
  // run already executing: the common case is the cheap one.
  CHECK(counters_only >= 3 * static_cast<int>(kTransitions.size()));
  RunFeed feed = feed_in(RunStatus::Executing);
  feed.apply("tool_called", R"({"tool_name":"search"})");
  CHECK(feed.last_change() == RowChange::Counters);
  feed.apply("llm_token_usage", R"({"tokens":12})");
  CHECK(feed.last_change() == RowChange::Counters);
  // A status move, a checkpoint, a new run: the whole row.
  feed.apply("checkpoint_saved", R"({"checkpoint_id":"cp-1"})");
  CHECK(feed.last_change() == RowChange::Row);
  feed.apply("verifying_started");
  CHECK(feed.last_change() == RowChange::Row);
  CHECK(created_feed().last_change() == RowChange::Row);
}

TEST_CASE("the transition table covers every kind the projector classifies") {
  // Keeps the table above honest: a kind added to kKinds needs its row.
  for (const KindRow& kind : kKinds) {
    bool found = false;
    for (const TransitionRow& row : kTransitions) found = found || row.kind == kind.kind;
    INFO("kind ", std::string(kind.kind));
    CHECK(found);
  }
}

TEST_CASE("run_started sets the prompt only when it was empty") {
  SUBCASE("an empty prompt is filled") {
    RunFeed feed;
    feed.apply("run_created", R"({"session_id": "sess-1"})");
    CHECK(feed.run().prompt.empty());
    feed.apply("run_started", R"({"prompt": "late prompt"})");
    CHECK(feed.run().prompt == "late prompt");
  }
  SUBCASE("an alias fills it too") {
    RunFeed feed;
    feed.apply("run_created", R"({"session_id": "sess-1", "prompt": ""})");
    feed.apply("start", R"({"prompt": "from start"})");
    CHECK(feed.run().prompt == "from start");
  }
  SUBCASE("a prompt already set is kept") {
    RunFeed feed = created_feed();
    feed.apply("run_started", R"({"prompt": "another prompt"})");
    CHECK(feed.run().prompt == "fix the failing tests");
  }
  SUBCASE("a run_started without a prompt keeps the prompt") {
    RunFeed feed = created_feed();
    feed.apply("run_started");
    CHECK(feed.run().prompt == "fix the failing tests");
  }
}

TEST_CASE("planning is not left by step, turn, tool or node starts") {
  RunFeed feed = feed_in(RunStatus::Planning);
  for (std::string_view kind : {"step_started", "turn_started", "tool_started", "tool_called",
                                "node_entered", "step_start", "turn_start", "tool_start"}) {
    INFO("kind ", std::string(kind));
    feed.apply(std::string(kind));
    CHECK(name(feed.run().status) == "planning");
  }
  feed.apply("run_started");
  CHECK(name(feed.run().status) == "executing");
}

TEST_CASE("planning is left for verifying by verifying_started") {
  RunFeed feed = feed_in(RunStatus::Planning);
  feed.apply("verifying_started");
  CHECK(name(feed.run().status) == "verifying");
  feed.apply("tool_called");
  CHECK(name(feed.run().status) == "executing");
}

TEST_CASE("interrupted is left only by run_resumed or a terminal event") {
  RunFeed feed = feed_in(RunStatus::Interrupted);
  for (std::string_view kind :
       {"run_started", "start", "graph_started", "planning_started", "planning_start",
        "verifying_started", "step_started", "step_start", "turn_started", "turn_start",
        "tool_started", "tool_start", "tool_called", "node_entered", "run_interrupted",
        "graph_interrupted", "checkpoint_saved", "llm_token_usage", "run_created"}) {
    INFO("kind ", std::string(kind));
    feed.apply(std::string(kind));
    CHECK(name(feed.run().status) == "interrupted");
  }
  feed.apply("run_resumed");
  CHECK(name(feed.run().status) == "executing");

  for (std::string_view terminal : {"run_completed", "run_failed", "run_cancelled", "end", "error",
                                    "graph_completed", "graph_failed"}) {
    INFO("terminal kind ", std::string(terminal));
    RunFeed interrupted = feed_in(RunStatus::Interrupted);
    const std::string_view expected =
        runjournal::detail::canonical_kind(terminal) == "run_completed" ? "completed"
        : runjournal::detail::canonical_kind(terminal) == "run_failed" ? "failed"
                                                                         : "cancelled";
    const OwnedEvent& event = interrupted.apply(std::string(terminal));
    CHECK(name(interrupted.run().status) == expected);
    CHECK(interrupted.run().finished_at_ms == event.ts_ms);
  }
}

TEST_CASE("run_resumed has no effect on a run that is not interrupted") {
  for (RunStatus start : kAllStatuses) {
    if (start == RunStatus::Interrupted) continue;
    INFO("from ", name(start));
    RunFeed feed = feed_in(start);
    const Run before = feed.run();
    const OwnedEvent& resumed = feed.apply("run_resumed");
    check_counted(before, feed.run(), resumed);
    CHECK(without_counters(feed.run()) == without_counters(before));
  }
}

// ---------------------------------------------------------------------------
// What each event records

TEST_CASE("run_completed records its result text and outputs and finishes the run") {
  RunFeed feed = feed_in(RunStatus::Executing);
  const OwnedEvent& done = feed.apply(
      "run_completed", R"({"result_text": "all 12 tests pass", "outputs": {"patch": "diff --git"},
                           "final_state_digest": "sha256:ab"})");
  CHECK(name(feed.run().status) == "completed");
  CHECK(feed.run().result_text == "all 12 tests pass");
  CHECK(feed.run().outputs == json::parse(R"({"patch": "diff --git"})"));
  CHECK(feed.run().final_state_digest == "sha256:ab");
  CHECK(feed.run().error == std::nullopt);
  CHECK(feed.run().finished_at_ms == done.ts_ms);
}

TEST_CASE("run_created records the agent spec digest and git sha; a late completion does not set the final digest") {
  std::optional<Run> run;
  const OwnedEvent created =
      nth_event(1, "run_created", R"({"session_id": "s", "agent_spec_digest": "spec:1", "git_sha": "abc123"})");
  runjournal::detail::project(run, created.view());
  CHECK(run->agent_spec_digest == "spec:1");
  CHECK(run->git_sha == "abc123");
  CHECK(run->final_state_digest == std::nullopt);
  const OwnedEvent cancelled = nth_event(2, "run_cancelled");
  runjournal::detail::project(run, cancelled.view());
  const OwnedEvent late = nth_event(3, "run_completed", R"({"final_state_digest": "late"})");
  runjournal::detail::project(run, late.view());
  CHECK(run->final_state_digest == std::nullopt);
  CHECK(run->agent_spec_digest == "spec:1");
}

TEST_CASE("run_completed without a result leaves result_text and outputs empty") {
  RunFeed feed = feed_in(RunStatus::Executing);
  const OwnedEvent& done = feed.apply("end");
  CHECK(name(feed.run().status) == "completed");
  CHECK(feed.run().result_text == std::nullopt);
  CHECK(feed.run().outputs.is_null());
  CHECK(feed.run().finished_at_ms == done.ts_ms);
}

TEST_CASE("run_completed clears an error the run carried") {
  // No event sequence leaves an error on a live run, but the contract says
  // run_completed clears it; project() takes any state, so start from one.
  RunFeed feed = feed_in(RunStatus::Executing);
  std::optional<Run> run = feed.run();
  run->error = "transient: rate limited";
  const OwnedEvent done = nth_event(feed.run().last_seq + 1, "run_completed",
                                    R"({"result_text": "done after retry"})");
  runjournal::detail::project(run, done.view());
  REQUIRE(run.has_value());
  CHECK(name(run->status) == "completed");
  CHECK(run->error == std::nullopt);
  CHECK(run->result_text == "done after retry");
}

TEST_CASE("run_failed records the error message and finishes the run") {
  for (std::string_view kind : {"run_failed", "error", "graph_failed"}) {
    INFO("kind ", std::string(kind));
    RunFeed feed = feed_in(RunStatus::Executing);
    const OwnedEvent& failed = feed.apply(std::string(kind), R"({"error": "tool crashed: ENOENT"})");
    CHECK(name(feed.run().status) == "failed");
    CHECK(feed.run().error == "tool crashed: ENOENT");
    CHECK(feed.run().finished_at_ms == failed.ts_ms);
  }
}

TEST_CASE("run_failed stores an error that is not a string as its JSON text") {
  RunFeed feed = feed_in(RunStatus::Executing);
  feed.apply("run_failed", R"({"error": {"code": 500, "message": "upstream"}})");
  CHECK(name(feed.run().status) == "failed");
  REQUIRE(feed.run().error.has_value());
  CHECK(json::parse(*feed.run().error) == json::parse(R"({"code": 500, "message": "upstream"})"));

  RunFeed numeric = feed_in(RunStatus::Executing);
  numeric.apply("error", R"({"error": 42})");
  CHECK(name(numeric.run().status) == "failed");
  CHECK(numeric.run().error == "42");
}

TEST_CASE("run_cancelled records its reason and finishes the run") {
  RunFeed feed = feed_in(RunStatus::Executing);
  const OwnedEvent& cancelled = feed.apply("run_cancelled", R"({"reason": "user pressed stop"})");
  CHECK(name(feed.run().status) == "cancelled");
  CHECK(feed.run().status_reason == "user pressed stop");
  CHECK(feed.run().finished_at_ms == cancelled.ts_ms);
}

TEST_CASE("run_interrupted records its reason and does not finish the run") {
  for (std::string_view kind : {"run_interrupted", "graph_interrupted"}) {
    INFO("kind ", std::string(kind));
    RunFeed feed = feed_in(RunStatus::Executing);
    feed.apply(std::string(kind), R"({"reason": "driver pid 4242 gone"})");
    CHECK(name(feed.run().status) == "interrupted");
    CHECK(feed.run().status_reason == "driver pid 4242 gone");
    CHECK(feed.run().finished_at_ms == std::nullopt);
    feed.apply("run_resumed");
    CHECK(name(feed.run().status) == "executing");
    CHECK(feed.run().finished_at_ms == std::nullopt);
  }
}

TEST_CASE("status_reason does not outlive the status it explains") {
  SUBCASE("resumed: the interruption's reason goes") {
    RunFeed feed = feed_in(RunStatus::Executing);
    feed.apply("run_interrupted", R"({"reason": "driver gone: process 9 exited"})");
    feed.apply("tool_called");  // an event that leaves the status alone keeps it
    CHECK(feed.run().status_reason == "driver gone: process 9 exited");
    feed.apply("run_resumed");
    CHECK(name(feed.run().status) == "executing");
    CHECK(feed.run().status_reason == std::nullopt);
  }
  SUBCASE("completed or failed after an interruption: it goes") {
    for (std::string_view terminal : {"run_completed", "run_failed"}) {
      INFO(std::string(terminal));
      RunFeed feed = feed_in(RunStatus::Interrupted);
      feed.apply("run_interrupted", R"({"reason": "driver gone"})");
      feed.apply(std::string(terminal));
      CHECK(feed.run().status_reason == std::nullopt);
    }
  }
  SUBCASE("cancelled after an interruption: the cancel's own reason, or none") {
    RunFeed feed = feed_in(RunStatus::Interrupted);
    feed.apply("run_interrupted", R"({"reason": "driver gone"})");
    feed.apply("run_cancelled");
    CHECK(feed.run().status_reason == std::nullopt);
  }
}

TEST_CASE("an unknown kind is counted and changes nothing else") {
  for (RunStatus start : kAllStatuses) {
    INFO("from ", name(start));
    RunFeed feed = feed_in(start);
    feed.apply("checkpoint_saved", R"({"checkpoint_id": "cp-1"})");
    const Run before = feed.run();
    const OwnedEvent& event = feed.apply(
        "llm_token_usage", R"({"tokens": 12, "result_text": "x", "error": "y", "prompt": "z",
                               "reason": "r", "checkpoint_id": "cp-1", "outputs": [1]})");
    check_counted(before, feed.run(), event);
    CHECK(without_counters(feed.run()) == without_counters(before));
  }
}

// ---------------------------------------------------------------------------
// Terminal statuses are final

TEST_CASE("a terminal run stays as it finished while late events are still counted") {
  for (RunStatus terminal : {RunStatus::Completed, RunStatus::Failed, RunStatus::Cancelled}) {
    for (const TransitionRow& row : kTransitions) {
      INFO("late ", std::string(row.kind), " on a ", name(terminal), " run");
      RunFeed feed = feed_in(terminal);
      const Run before = feed.run();
      REQUIRE(before.finished_at_ms.has_value());
      const OwnedEvent& late = feed.apply(std::string(row.kind), std::string(row.payload));
      const Run& after = feed.run();
      check_counted(before, after, late);
      CHECK(name(after.status) == name(terminal));
      CHECK(after.result_text == before.result_text);
      CHECK(after.error == before.error);
      CHECK(after.finished_at_ms == before.finished_at_ms);
      CHECK(after.checkpoint_id == before.checkpoint_id);
      CHECK(after.checkpoint == before.checkpoint);
    }
  }
}

TEST_CASE("a stream of late events after completion is all counted and moves nothing") {
  RunFeed feed = feed_in(RunStatus::Completed);
  const Run finished = feed.run();
  for (std::string_view kind : {"tool_called", "run_failed", "run_cancelled", "run_started",
                                "run_interrupted", "run_resumed", "end"}) {
    feed.apply(std::string(kind), R"({"error": "late", "result_text": "late", "reason": "late"})");
  }
  CHECK(feed.run().event_count == finished.event_count + 7);
  CHECK(feed.run().last_seq == finished.last_seq + 7);
  CHECK(name(feed.run().status) == "completed");
  CHECK(feed.run().result_text == "all green");
  CHECK(feed.run().error == std::nullopt);
  CHECK(feed.run().finished_at_ms == finished.finished_at_ms);
}

// ---------------------------------------------------------------------------
// The source systems' cases

TEST_CASE("a run that starts and ends is completed with its result text") {
  RunFeed feed = created_feed();
  feed.apply("start", R"({"prompt": "ignored, the run has one"})");
  feed.apply("turn_start");
  feed.apply("tool_start", R"({"tool_name": "pytest"})");
  feed.apply("tool_called", R"({"tool_name": "pytest", "exit_code": 0})");
  feed.apply("step_start");
  const OwnedEvent& end = feed.apply("end", R"({"result_text": "fixed 3 tests"})");
  const Run& run = feed.run();
  CHECK(name(run.status) == "completed");
  CHECK(run.result_text == "fixed 3 tests");
  CHECK(run.event_count == static_cast<std::int64_t>(feed.events().size()));
  CHECK(run.event_count == 7);
  CHECK(run.last_seq == 7);
  CHECK(run.finished_at_ms == end.ts_ms);
  CHECK(run.prompt == "fix the failing tests");
}

TEST_CASE("a cancelled run stays cancelled when a late end arrives") {
  RunFeed feed = created_feed();
  feed.apply("start");
  const OwnedEvent& cancel = feed.apply("run_cancelled", R"({"reason": "user pressed stop"})");
  feed.apply("tool_called", R"({"tool_name": "still_running"})");
  const OwnedEvent& end = feed.apply("end", R"({"result_text": "finished anyway"})");
  const Run& run = feed.run();
  CHECK(name(run.status) == "cancelled");
  CHECK(run.result_text == std::nullopt);
  CHECK(run.status_reason == "user pressed stop");
  CHECK(run.finished_at_ms == cancel.ts_ms);
  CHECK(run.event_count == 5);
  CHECK(run.last_seq == end.seq);
  CHECK(run.updated_at_ms == end.ts_ms);
}

TEST_CASE("a failed run is not turned into cancelled") {
  RunFeed feed = created_feed();
  feed.apply("start");
  const OwnedEvent& failure = feed.apply("error", R"({"error": "model refused"})");
  const OwnedEvent& cancel = feed.apply("run_cancelled", R"({"reason": "cleanup"})");
  const Run& run = feed.run();
  CHECK(name(run.status) == "failed");
  CHECK(run.error == "model refused");
  CHECK(run.finished_at_ms == failure.ts_ms);
  CHECK(run.event_count == 4);
  CHECK(run.last_position == cancel.position);
}

TEST_CASE("a graph run that is interrupted and resumed completes") {
  RunFeed feed = created_feed();
  feed.apply("graph_started");
  feed.apply("node_entered", R"({"node": "plan"})");
  feed.apply("checkpoint_saved", R"({"checkpoint_id": "cp-plan", "node": "plan"})");
  feed.apply("graph_interrupted", R"({"reason": "worker restarted"})");
  CHECK(name(feed.run().status) == "interrupted");
  CHECK(feed.run().checkpoint_id == "cp-plan");
  feed.apply("node_entered", R"({"node": "act"})");
  CHECK(name(feed.run().status) == "interrupted");
  feed.apply("run_resumed");
  CHECK(name(feed.run().status) == "executing");
  feed.apply("node_entered", R"({"node": "act"})");
  const OwnedEvent& done = feed.apply("graph_completed", R"({"outputs": {"answer": 42}})");
  CHECK(name(feed.run().status) == "completed");
  CHECK(feed.run().outputs == json::parse(R"({"answer": 42})"));
  CHECK(feed.run().finished_at_ms == done.ts_ms);
  CHECK(feed.run().checkpoint_id == std::nullopt);
  CHECK(feed.run().event_count == 9);
}

// ---------------------------------------------------------------------------
// Checkpoints

TEST_CASE("checkpoint_saved makes that checkpoint the run's live one, payload and all") {
  RunFeed feed = feed_in(RunStatus::Executing);
  feed.apply("checkpoint_saved",
             R"({"checkpoint_id": "cp-1", "step": 3, "state": {"files": ["a.py"]}})");
  CHECK(feed.run().checkpoint_id == "cp-1");
  CHECK(feed.run().checkpoint ==
        json::parse(R"({"checkpoint_id": "cp-1", "step": 3, "state": {"files": ["a.py"]}})"));
  CHECK(name(feed.run().status) == "executing");

  feed.apply("checkpoint_saved", R"({"checkpoint_id": "cp-2", "step": 4})");
  CHECK(feed.run().checkpoint_id == "cp-2");
  CHECK(feed.run().checkpoint == json::parse(R"({"checkpoint_id": "cp-2", "step": 4})"));
}

TEST_CASE("checkpoint_deleted clears the live checkpoint only when the id matches") {
  RunFeed feed = feed_in(RunStatus::Executing);
  feed.apply("checkpoint_saved", R"({"checkpoint_id": "cp-2", "step": 4})");

  feed.apply("checkpoint_deleted", R"({"checkpoint_id": "cp-1"})");
  CHECK(feed.run().checkpoint_id == "cp-2");
  CHECK(feed.run().checkpoint == json::parse(R"({"checkpoint_id": "cp-2", "step": 4})"));

  feed.apply("checkpoint_deleted", R"({"checkpoint_id": "cp-2"})");
  CHECK(feed.run().checkpoint_id == std::nullopt);
  CHECK(feed.run().checkpoint.is_null());
  CHECK(name(feed.run().status) == "executing");
}

TEST_CASE("a terminal event clears the live checkpoint") {
  for (std::string_view kind : {"run_completed", "end", "graph_completed", "run_failed", "error",
                                "graph_failed", "run_cancelled"}) {
    INFO("kind ", std::string(kind));
    RunFeed feed = feed_in(RunStatus::Executing);
    feed.apply("checkpoint_saved", R"({"checkpoint_id": "cp-1"})");
    REQUIRE(feed.run().checkpoint_id == "cp-1");
    feed.apply(std::string(kind), R"({"error": "boom"})");
    CHECK(feed.run().checkpoint_id == std::nullopt);
    CHECK(feed.run().checkpoint.is_null());
  }
}

TEST_CASE("an interrupted run keeps its live checkpoint to resume from") {
  RunFeed feed = feed_in(RunStatus::Executing);
  feed.apply("checkpoint_saved", R"({"checkpoint_id": "cp-1", "step": 2})");
  feed.apply("run_interrupted", R"({"reason": "driver died"})");
  CHECK(feed.run().checkpoint_id == "cp-1");
  CHECK(feed.run().checkpoint == json::parse(R"({"checkpoint_id": "cp-1", "step": 2})"));
  feed.apply("run_resumed");
  CHECK(feed.run().checkpoint_id == "cp-1");
}

TEST_CASE("a checkpoint saved after the run finished is not live") {
  for (RunStatus terminal : {RunStatus::Completed, RunStatus::Failed, RunStatus::Cancelled}) {
    INFO("on a ", name(terminal), " run");
    RunFeed feed = feed_in(terminal);
    feed.apply("checkpoint_saved", R"({"checkpoint_id": "cp-late"})");
    CHECK(feed.run().checkpoint_id == std::nullopt);
    CHECK(feed.run().checkpoint.is_null());
  }
}

// ---------------------------------------------------------------------------
// Payloads of the wrong shape

TEST_CASE("payload fields of the wrong type are ignored, not fatal") {
  SUBCASE("run_created") {
    RunFeed feed;
    feed.apply("run_created", R"({"session_id": 5, "prompt": ["not", "text"]})");
    CHECK(name(feed.run().status) == "created");
    CHECK(feed.run().session_id.empty());
    CHECK(feed.run().prompt.empty());
    CHECK(feed.run().event_count == 1);
  }
  SUBCASE("run_started") {
    RunFeed feed;
    feed.apply("run_created", R"({"session_id": "sess-1"})");
    feed.apply("run_started", R"({"prompt": 7})");
    CHECK(name(feed.run().status) == "executing");
    CHECK(feed.run().prompt.empty());
  }
  SUBCASE("run_completed") {
    RunFeed feed = feed_in(RunStatus::Executing);
    const OwnedEvent& done = feed.apply("run_completed", R"({"result_text": 5})");
    CHECK(name(feed.run().status) == "completed");
    CHECK(feed.run().result_text == std::nullopt);
    CHECK(feed.run().finished_at_ms == done.ts_ms);
  }
  SUBCASE("run_cancelled") {
    RunFeed feed = feed_in(RunStatus::Executing);
    feed.apply("run_cancelled", R"({"reason": 5})");
    CHECK(name(feed.run().status) == "cancelled");
    CHECK(feed.run().status_reason == std::nullopt);
  }
  SUBCASE("run_interrupted") {
    RunFeed feed = feed_in(RunStatus::Executing);
    feed.apply("run_interrupted", R"({"reason": {"pid": 4242}})");
    CHECK(name(feed.run().status) == "interrupted");
    CHECK(feed.run().status_reason == std::nullopt);
  }
  SUBCASE("checkpoint events") {
    RunFeed feed = feed_in(RunStatus::Executing);
    feed.apply("checkpoint_saved", R"({"checkpoint_id": "cp-1"})");
    const Run before = feed.run();
    const OwnedEvent& deleted = feed.apply("checkpoint_deleted", R"({"checkpoint_id": 5})");
    check_counted(before, feed.run(), deleted);
    CHECK(feed.run().checkpoint_id == "cp-1");
    const Run before_save = feed.run();
    const OwnedEvent& saved = feed.apply("checkpoint_saved", R"({"checkpoint_id": [1]})");
    check_counted(before_save, feed.run(), saved);
    CHECK(name(feed.run().status) == "executing");
  }
}

// ---------------------------------------------------------------------------
// Determinism

// A run that touches every row of the table, aliases included.
RunFeed eventful_run() {
  RunFeed feed;
  feed.apply("run_created",
             R"({"session_id": "sess-9", "inputs": {"n": 1}, "metadata": {"host": "ci"}})");
  feed.apply("planning_start", R"({"plan": ["a", "b"]})");
  feed.apply("step_started");
  feed.apply("start", R"({"prompt": "from start"})");
  feed.apply("checkpoint_saved", R"({"checkpoint_id": "cp-1", "step": 1})");
  feed.apply("tool_called", R"({"tool_name": "grep", "args": {"q": "TODO"}})");
  feed.apply("graph_interrupted", R"({"reason": "oom"})");
  feed.apply("tool_start");
  feed.apply("run_resumed");
  feed.apply("checkpoint_saved", R"({"checkpoint_id": "cp-2", "step": 2})");
  feed.apply("checkpoint_deleted", R"({"checkpoint_id": "cp-1"})");
  feed.apply("verifying_started");
  feed.apply("llm_token_usage", R"({"tokens": 1234})");
  feed.apply("turn_start");
  feed.apply("node_entered", R"({"node": "verify"})");
  feed.apply("end", R"({"result_text": "ok", "outputs": [1, 2, 3]})");
  feed.apply("run_cancelled", R"({"reason": "late"})");
  feed.apply("tool_called");
  return feed;
}

TEST_CASE("replaying the same events twice yields equal runs") {
  const RunFeed feed = eventful_run();
  // Fresh copies of the events: the result may not depend on where the
  // strings live.
  const std::deque<OwnedEvent> copy = feed.events();
  const std::optional<Run> first = replay(feed.events());
  const std::optional<Run> second = replay(copy);
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  CHECK(*first == *second);
  CHECK(*first == feed.run());
  CHECK(name(first->status) == "completed");
  CHECK(first->event_count == 18);
}

TEST_CASE("every prefix of a replay equals the run as it stood after that event") {
  const RunFeed feed = eventful_run();
  std::optional<Run> incremental;
  for (std::size_t n = 1; n <= feed.events().size(); ++n) {
    INFO("after ", n, " events");
    runjournal::detail::project(incremental, feed.events()[n - 1].view());
    const std::deque<OwnedEvent> prefix(feed.events().begin(),
                                        feed.events().begin() + static_cast<std::ptrdiff_t>(n));
    const std::optional<Run> rebuilt = replay(prefix);
    REQUIRE(rebuilt.has_value());
    REQUIRE(incremental.has_value());
    CHECK(*rebuilt == *incremental);
    CHECK(rebuilt->event_count == static_cast<std::int64_t>(n));
  }
}

}  // namespace
