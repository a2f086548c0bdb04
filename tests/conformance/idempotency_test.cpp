// idempotency_test (conformance): optimistic concurrency (expected_seq) and
// idempotency keys — a retry returns the event first written and stores
// nothing, a key reused for something else is a Conflict.
#include <string>
#include <utility>
#include <vector>

#include <runjournal/journal.hpp>

#include "backend_fixture.hpp"

using nlohmann::json;
using runjournal::ErrorCode;
using runjournal::Event;
using runjournal::Journal;
using runjournal::Run;
using runjournal::RunStatus;
using runjournal::conformance::Stored;
using runjournal::test::clocked;
using runjournal::test::code_of;
using runjournal::test::State;
using runjournal::test::state_of;
using runjournal::conformance::make_target;
using runjournal::conformance::Target;

// ---------------------------------------------------------------------------
// expected_seq and idempotency keys

TEST_CASE("append with a matching expected_seq succeeds") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  j.create_run({.session_id = "s", .run_id = "r"});
  CHECK(j.append("r", "tool_called", json::object(), {.expected_seq = 1}).seq == 2);
  CHECK(j.append("r", "tool_called", json::object(), {.expected_seq = 2}).seq == 3);
  CHECK(j.append("new", "run_created", {{"session_id", "s"}}, {.expected_seq = 0}).seq == 1);
  // Inside a batch, expected_seq sees the batch's own earlier events.
  const std::vector<Event> out = j.append_batch({
      {.run_id = "r", .kind = "tool_called", .options = {.expected_seq = 3}},
      {.run_id = "r", .kind = "tool_called", .options = {.expected_seq = 4}},
  });
  CHECK(out.back().seq == 5);
}

TEST_CASE("append with a stale expected_seq is a Conflict and writes nothing") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  j.create_run({.session_id = "s", .run_id = "r"});
  j.append("r", "tool_called");
  const State before = state_of(j);
  CHECK(code_of([&] { j.append("r", "run_completed", json::object(), {.expected_seq = 1}); }) ==
        ErrorCode::Conflict);
  CHECK(state_of(j) == before);
  CHECK(j.run("r")->status == RunStatus::Executing);
}

TEST_CASE("a retried append with the same idempotency key returns the original event and writes nothing") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  j.create_run({.session_id = "s", .run_id = "r"});
  const Event original = j.append("r", "tool_called", {{"try", 1}, {"x", 2.5}}, {.idempotency_key = "k1"});
  CHECK(original.idempotency_key == "k1");
  const Run after_first = *j.run("r");
  const Stored files = target.stored();

  // The same event again, its keys in another order: a retry.
  const Event retry = j.append("r", "tool_called", {{"x", 2.5}, {"try", 1}}, {.idempotency_key = "k1"});
  CHECK(target.stored() == files);
  CHECK(retry == original);
  CHECK(j.run("r") == after_first);
  CHECK(j.run("r")->event_count == 2);
  CHECK(j.events("r").size() == 2);
  CHECK(j.last_position() == original.position);
}

TEST_CASE("an idempotency key reused for another kind or payload is a Conflict naming the stored event") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  j.create_run({.session_id = "s", .run_id = "r"});
  const Event original = j.append("r", "tool_called", {{"try", 1}}, {.idempotency_key = "k1"});
  const Stored files = target.stored();
  const State before = state_of(j);
  // Plain references, not a structured binding: doctest's INFO captures in a
  // lambda, and clang 14 cannot capture a structured binding.
  for (const auto& reuse : std::vector<std::pair<std::string, json>>{
           {"tool_called", {{"try", 2}}}, {"tool_result", {{"try", 1}}}, {"tool_called", json::object()}}) {
    const std::string& kind = reuse.first;
    const json& payload = reuse.second;
    INFO(kind << " " << payload.dump());
    try {
      j.append("r", kind, payload, {.idempotency_key = "k1"});
      FAIL("a reused key was accepted");
    } catch (const runjournal::Error& e) {
      CHECK(e.code() == ErrorCode::Conflict);
      CHECK(std::string(e.what()).find("seq 2") != std::string::npos);
      CHECK(std::string(e.what()).find("k1") != std::string::npos);
    }
    CHECK(target.stored() == files);
    CHECK(state_of(j) == before);
  }
  // In a batch too: the whole batch is refused, named by its event.
  CHECK(code_of([&] {
          j.append_batch({{.run_id = "r", .kind = "step_started"},
                          {.run_id = "r", .kind = "tool_called", .payload = {{"try", 3}}, .options = {.idempotency_key = "k1"}}});
        }) == ErrorCode::Conflict);
  CHECK(target.stored() == files);
  CHECK(j.events("r").back() == original);
}

TEST_CASE("a retried run_resumed from another process matches without the driver the journal added") {
  const Target target = make_target("j");
  runjournal::Options first_process = clocked();
  first_process.driver = runjournal::Driver{"host-a", 111, 5, "boot-a"};
  Journal a = Journal::open(target.location, first_process);
  a.create_run({.session_id = "s", .run_id = "r"});
  const Event original = a.append("r", "run_resumed", {{"from", "cp-1"}}, {.idempotency_key = "resume-1"});
  CHECK(original.payload.contains("driver"));
  runjournal::Options second_process = clocked();
  second_process.driver = runjournal::Driver{"host-b", 222, 7, "boot-b"};
  Journal b = Journal::open(target.location, second_process);
  CHECK(b.append("r", "run_resumed", {{"from", "cp-1"}}, {.idempotency_key = "resume-1"}) == original);
  // A driver the caller wrote itself is part of the event.
  CHECK(code_of([&] {
          b.append("r", "run_resumed", {{"from", "cp-1"}, {"driver", nullptr}}, {.idempotency_key = "resume-1"});
        }) == ErrorCode::Conflict);
}

TEST_CASE("idempotency keys are per run: one key on two runs gives two events") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  j.create_run({.session_id = "s", .run_id = "a"});
  j.create_run({.session_id = "s", .run_id = "b"});
  const Event on_a = j.append("a", "tool_called", {{"run", "a"}}, {.idempotency_key = "same"});
  const Event on_b = j.append("b", "tool_called", {{"run", "b"}}, {.idempotency_key = "same"});
  CHECK(on_a.run_id == "a");
  CHECK(on_b.run_id == "b");
  CHECK(on_b.position == on_a.position + 1);
  CHECK(on_b.payload == json{{"run", "b"}});
  CHECK(j.run("a")->event_count == 2);
  CHECK(j.run("b")->event_count == 2);
}

TEST_CASE("a key repeated inside one batch returns the batch's first event") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  j.create_run({.session_id = "s", .run_id = "r"});
  const std::vector<Event> out = j.append_batch({
      {.run_id = "r", .kind = "tool_called", .payload = {{"n", 1}}, .options = {.idempotency_key = "kb"}},
      {.run_id = "r", .kind = "tool_called", .payload = {{"n", 1}}, .options = {.idempotency_key = "kb"}},
      {.run_id = "r", .kind = "step_started", .payload = {{"n", 3}}},
  });
  REQUIRE(out.size() == 3);
  CHECK(out[1] == out[0]);
  CHECK(out[0].payload == json{{"n", 1}});
  CHECK(out[2].seq == out[0].seq + 1);
  CHECK(out[2].position == out[0].position + 1);
  CHECK(j.events("r").size() == 3);
  CHECK(j.run("r")->event_count == 3);
}
