// projector_status_test: the status machine, row by row, and terminal
// statuses that stay final while late events are counted. Written from the
// contract (projector_support.hpp says how).
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

}  // namespace
