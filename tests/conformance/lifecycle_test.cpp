// lifecycle_test (conformance): the run lifecycle the source systems kept in
// memory, now durable — a session's current run, cancel only the current
// live run, finishing from an execution result, runner reservations,
// checkpoints. Each case mirrors the source systems' own behaviour.
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <runjournal/journal.hpp>

#include "backend_fixture.hpp"

using nlohmann::json;
using runjournal::ErrorCode;
using runjournal::ExecutionResult;
using runjournal::Journal;
using runjournal::RunStatus;
using runjournal::test::code_of;
using runjournal::test::open_driven_by;
using runjournal::test::reused_pid_driver;
using runjournal::conformance::make_target;
using runjournal::conformance::Target;

TEST_CASE("the current run is the session's newest run that is not finished") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location);
  CHECK_FALSE(j.current_run("s").has_value());
  j.create_run({.session_id = "s", .run_id = "a"});
  j.create_run({.session_id = "s", .run_id = "b"});
  j.create_run({.session_id = "other", .run_id = "c"});
  CHECK(j.current_run("s")->run_id == "b");
  j.append("b", "run_completed");
  CHECK(j.current_run("s")->run_id == "a");
  j.append("a", "run_failed", {{"error", "x"}});
  CHECK_FALSE(j.current_run("s").has_value());
  CHECK(j.current_run("other")->run_id == "c");
}

TEST_CASE("cancel_if_live cancels the current live run once and returns true") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location);
  j.create_run({.session_id = "s", .run_id = "r"});
  j.append("r", "tool_called");
  CHECK(j.cancel_if_live("r", "user pressed stop"));
  const runjournal::Run run = j.run("r").value();
  CHECK(run.status == RunStatus::Cancelled);
  CHECK(run.status_reason == "user pressed stop");
  // Cancelling again: nothing live to cancel, nothing written.
  const std::int64_t position = j.last_position();
  CHECK_FALSE(j.cancel_if_live("r"));
  CHECK(j.last_position() == position);
}

TEST_CASE("cancel of a run that is not its session's current run is a no-op returning false") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location);
  j.create_run({.session_id = "s", .run_id = "older"});
  j.create_run({.session_id = "s", .run_id = "current"});
  const std::int64_t position = j.last_position();
  CHECK_FALSE(j.cancel_if_live("older"));
  CHECK(j.last_position() == position);
  CHECK(j.run("older")->status == RunStatus::Created);
  CHECK(j.cancel_if_live("current"));
  // With the newer one finished, the older is current again.
  CHECK(j.cancel_if_live("older"));
}

TEST_CASE("cancel of an unknown or finished run returns false and writes nothing") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location);
  j.create_run({.session_id = "s", .run_id = "done"});
  j.finish("done", {.outcome = ExecutionResult::Outcome::Ok});
  const std::int64_t position = j.last_position();
  CHECK_FALSE(j.cancel_if_live("nope"));
  CHECK_FALSE(j.cancel_if_live("done"));
  CHECK(j.last_position() == position);
  CHECK(j.run("done")->status == RunStatus::Completed);
}

TEST_CASE("eight threads cancelling one run: exactly one wins, one run_cancelled is written") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location);
  j.create_run({.session_id = "s", .run_id = "r"});
  std::atomic<int> wins{0};
  std::atomic<bool> stop{false};
  // A tool still reporting while the cancels race: forces Conflict retries.
  std::thread noise([&] {
    while (!stop) j.append("r", "tool_called");
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      if (j.cancel_if_live("r")) ++wins;
    });
  }
  for (auto& th : threads) th.join();
  stop = true;
  noise.join();
  CHECK(wins == 1);
  int cancels = 0;
  for (const runjournal::Event& e : j.events("r")) cancels += e.kind == "run_cancelled" ? 1 : 0;
  CHECK(cancels == 1);
  CHECK(j.run("r")->status == RunStatus::Cancelled);
}

TEST_CASE("finish maps ok to completed, cancelled to cancelled, error to failed with its message") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location);
  for (const char* id : {"ok", "cancelled", "error"}) j.create_run({.session_id = id, .run_id = id});
  const runjournal::Run ok = j.finish(
      "ok", {.outcome = ExecutionResult::Outcome::Ok, .result_text = "done", .outputs = {{"files", 2}}});
  CHECK(ok.status == RunStatus::Completed);
  CHECK(ok.result_text == "done");
  CHECK(ok.outputs == json{{"files", 2}});
  const runjournal::Run cancelled =
      j.finish("cancelled", {.outcome = ExecutionResult::Outcome::Cancelled, .error = "token fired"});
  CHECK(cancelled.status == RunStatus::Cancelled);
  CHECK(cancelled.status_reason == "token fired");
  const runjournal::Run failed =
      j.finish("error", {.outcome = ExecutionResult::Outcome::Error, .error = "model timed out"});
  CHECK(failed.status == RunStatus::Failed);
  CHECK(failed.error == "model timed out");
  CHECK(code_of([&] { j.finish("nope", {}); }) == ErrorCode::NotFound);
  CHECK(j.verify().ok());
}

TEST_CASE("checkpoints are saved, restored and deleted; a finished run holds none") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location);
  j.create_run({.session_id = "s", .run_id = "r"});
  CHECK_FALSE(j.latest_checkpoint("r").has_value());
  CHECK_FALSE(j.latest_checkpoint("nope").has_value());
  j.save_checkpoint("r", "cp-1", {{"step", 1}});
  j.save_checkpoint("r", "cp-2", {{"step", 2}, {"messages", {"a", "b"}}});
  const auto latest = j.latest_checkpoint("r");
  REQUIRE(latest.has_value());
  CHECK(latest->checkpoint_id == "cp-2");
  CHECK(latest->state == json{{"step", 2}, {"messages", {"a", "b"}}});
  // Deleting one that is not live changes nothing.
  const std::int64_t position = j.last_position();
  CHECK_FALSE(j.delete_checkpoint("r", "cp-1"));
  CHECK(j.last_position() == position);
  CHECK(j.delete_checkpoint("r", "cp-2"));
  CHECK_FALSE(j.latest_checkpoint("r").has_value());
  j.save_checkpoint("r", "cp-3", {{"step", 3}});
  j.finish("r", {.outcome = ExecutionResult::Outcome::Ok});
  CHECK_FALSE(j.latest_checkpoint("r").has_value());  // finished in-process: dropped
  CHECK(code_of([&] { j.save_checkpoint("r", "", json::object()); }) == ErrorCode::InvalidArgument);
  CHECK(code_of([&] { j.save_checkpoint("nope", "cp", json::object()); }) == ErrorCode::NotFound);
}

TEST_CASE("a reservation is refused while the session's runner is running and allowed after it ends") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location);
  const runjournal::Run first = j.reserve({.session_id = "s", .run_id = "first"});
  CHECK(first.status == RunStatus::Created);
  const std::int64_t position = j.last_position();
  try {
    j.reserve({.session_id = "s", .run_id = "second"});
    FAIL("the reservation was not refused");
  } catch (const runjournal::Error& e) {
    CHECK(e.code() == ErrorCode::AlreadyRunning);
    CHECK(std::string(e.what()).find("first") != std::string::npos);
  }
  CHECK(j.last_position() == position);
  CHECK_FALSE(j.run("second").has_value());
  CHECK(j.reserve({.session_id = "other", .run_id = "elsewhere"}).run_id == "elsewhere");
  j.finish("first", {.outcome = ExecutionResult::Outcome::Ok});
  CHECK(j.reserve({.session_id = "s", .run_id = "second"}).run_id == "second");
}

TEST_CASE("a reservation replaces a stale runner whose driver is gone") {
  const Target target = make_target("j");
  open_driven_by(target.location, reused_pid_driver()).reserve({.session_id = "s", .run_id = "stale"});
  Journal j = Journal::open(target.location);
  const runjournal::Run fresh = j.reserve({.session_id = "s", .run_id = "fresh"});
  CHECK(fresh.driver == runjournal::this_process_driver());
  const runjournal::Run stale = j.run("stale").value();
  CHECK(stale.status == RunStatus::Failed);
  CHECK(stale.error->find("stale runner") != std::string::npos);
  CHECK(j.current_run("s")->run_id == "fresh");
  CHECK(j.verify().ok());
}
