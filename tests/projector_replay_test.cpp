// projector_replay_test: the source systems' whole runs, and determinism:
// replaying the same events gives the same run, at every prefix. Written
// from the contract (projector_support.hpp says how).
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

#include "projector_support.hpp"

namespace {

using nlohmann::json;
using namespace runjournal::test::projector;

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
