// projector_fields_test: what each event records in the run (results,
// errors, reasons, provenance), checkpoints, and payload fields of the wrong
// shape. Written from the contract (projector_support.hpp says how).
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

}  // namespace
