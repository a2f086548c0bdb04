// projector_kinds_test: kind names and their classes, the first event of a
// run (run_created on an empty state), and the counters every event moves.
// Written from the contract (projector_support.hpp says how).
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

}  // namespace
