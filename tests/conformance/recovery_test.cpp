// recovery_test (conformance): recover() lists the runs whose driver is gone
// (a reused pid, a reboot, no driver at all) and never a finished one; a
// host gives a run up (interrupt_run) or resumes it (resume_run), and a
// stale decision is a Conflict (docs/recovery.md).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include <runjournal/journal.hpp>

#include "backend_fixture.hpp"

using nlohmann::json;
using runjournal::Driver;
using runjournal::ErrorCode;
using runjournal::Journal;
using runjournal::RecoveredRun;
using runjournal::RunStatus;
using runjournal::test::code_of;
using runjournal::test::find;
using runjournal::test::open_driven_by;
using runjournal::test::reused_pid_driver;
using runjournal::conformance::make_target;
using runjournal::conformance::Target;

TEST_CASE("a run of this live process is not listed; a reused pid with another start time counts as gone") {
  const Target target = make_target("j");
  Journal live = Journal::open(target.location);
  live.create_run({.session_id = "s", .run_id = "mine"});
  Journal reused = open_driven_by(target.location, reused_pid_driver());
  reused.create_run({.session_id = "s", .run_id = "reused"});
  const std::vector<RecoveredRun> found = live.recover();
  CHECK(find(found, "mine") == nullptr);
  const RecoveredRun* r = find(found, "reused");
  REQUIRE(r != nullptr);
  CHECK(r->run.driver->pid == ::getpid());
  CHECK(r->why.find("another process") != std::string::npos);
}

TEST_CASE("a driver recorded under another boot of this host counts as gone (the machine rebooted)") {
  const Target target = make_target("j");
  Driver before_reboot = runjournal::this_process_driver();
  before_reboot.boot_id = "an-earlier-boot";
  open_driven_by(target.location, before_reboot).create_run({.session_id = "s", .run_id = "r"});
  const std::vector<RecoveredRun> found = Journal::open(target.location).recover();
  REQUIRE(find(found, "r") != nullptr);
  CHECK(find(found, "r")->why.find("rebooted") != std::string::npos);
}

TEST_CASE("a run with no recorded driver counts as gone") {
  const Target target = make_target("j");
  Journal journal = Journal::open(target.location);
  journal.append("r", "run_created", {{"session_id", "s"}, {"driver", nullptr}});
  CHECK_FALSE(journal.run("r")->driver.has_value());
  const std::vector<RecoveredRun> found = journal.recover();
  REQUIRE(find(found, "r") != nullptr);
  CHECK(find(found, "r")->why == "no driver recorded");
}

TEST_CASE("finished runs are never listed; interrupted ones only when asked") {
  const Target target = make_target("j");
  Journal gone = open_driven_by(target.location, reused_pid_driver());
  for (const char* id : {"done", "failed", "cancelled", "paused", "cut"}) gone.create_run({.session_id = id, .run_id = id});
  gone.append("done", "run_completed");
  gone.append("failed", "run_failed", {{"error", "x"}});
  gone.append("cancelled", "run_cancelled");
  gone.append("paused", "run_interrupted", {{"reason", "host stopped"}});
  const std::vector<RecoveredRun> found = gone.recover();
  REQUIRE(found.size() == 1);
  CHECK(found[0].run.run_id == "cut");
  const std::vector<RecoveredRun> all = gone.recover({.include_interrupted = true});
  REQUIRE(all.size() == 2);
  CHECK(all[0].run.run_id == "paused");  // creation order
  CHECK(all[1].run.run_id == "cut");
}

TEST_CASE("giving up a cut-off run writes run_interrupted, and verify still passes") {
  const Target target = make_target("j");
  open_driven_by(target.location, reused_pid_driver()).create_run({.session_id = "s", .run_id = "r"});
  Journal journal = Journal::open(target.location);
  const RecoveredRun listed = journal.recover().at(0);
  const runjournal::Run after =
      journal.interrupt_run("r", "driver gone", {.expected_seq = listed.run.last_seq});
  CHECK(after.status == RunStatus::Interrupted);
  CHECK(after.status_reason == "driver gone");
  CHECK(journal.events("r").back().kind == "run_interrupted");
  CHECK(journal.recover().empty());
  CHECK(journal.recover({.include_interrupted = true}).size() == 1);
  CHECK(journal.verify().ok());
  // A stale listing is caught, not acted on.
  CHECK(code_of([&] { journal.interrupt_run("r", "again", {.expected_seq = listed.run.last_seq}); }) ==
        ErrorCode::Conflict);
  journal.append("r", "run_failed", {{"error", "given up"}});
  CHECK(code_of([&] { journal.interrupt_run("r", "late"); }) == ErrorCode::InvalidArgument);
  CHECK(code_of([&] { journal.interrupt_run("nope", "x"); }) == ErrorCode::NotFound);
}

TEST_CASE("run_resumed brings an interrupted run back to executing under the new driver") {
  const Target target = make_target("j");
  Journal old_host = open_driven_by(target.location, reused_pid_driver());
  old_host.create_run({.session_id = "s", .run_id = "r"});
  old_host.append("r", "run_started");
  old_host.save_checkpoint("r", "cp-3", {{"next_step", 4}});
  Journal journal = Journal::open(target.location);
  journal.interrupt_run("r", "driver gone");
  const runjournal::Run resumed = journal.resume_run("r", {{"from_checkpoint", "cp-3"}});
  CHECK(resumed.status == RunStatus::Executing);
  CHECK(resumed.driver == runjournal::this_process_driver());
  CHECK(resumed.checkpoint_id == "cp-3");  // resuming keeps the checkpoint it resumes from
  CHECK(journal.events("r").back().payload["from_checkpoint"] == "cp-3");
  CHECK(journal.recover({.include_interrupted = true}).empty());  // its driver is this live process
  CHECK(journal.verify().ok());
  // Replay reproduces the driver change.
  journal.rebuild();
  CHECK(journal.run("r").value() == resumed);
}

TEST_CASE("resuming a cut-off executing run keeps it executing, under the new driver") {
  const Target target = make_target("j");
  Journal old_host = open_driven_by(target.location, reused_pid_driver());
  old_host.create_run({.session_id = "s", .run_id = "r"});
  old_host.append("r", "tool_called");
  Journal journal = Journal::open(target.location);
  const runjournal::Run resumed = journal.resume_run("r");
  CHECK(resumed.status == RunStatus::Executing);
  CHECK(resumed.driver == runjournal::this_process_driver());
}

TEST_CASE("resume refuses a run whose driver is alive, a finished run and an unknown one") {
  const Target target = make_target("j");
  // Our parent process (the test runner) is alive and is not us.
  const std::optional<Driver> parent = runjournal::process_driver(::getppid());
  REQUIRE(parent.has_value());
  open_driven_by(target.location, *parent).create_run({.session_id = "s", .run_id = "alive"});
  Journal journal = Journal::open(target.location);
  const std::int64_t position = journal.last_position();
  CHECK(code_of([&] { journal.resume_run("alive"); }) == ErrorCode::AlreadyRunning);
  CHECK(journal.last_position() == position);
  journal.create_run({.session_id = "t", .run_id = "done"});
  journal.append("done", "run_completed");
  CHECK(code_of([&] { journal.resume_run("done"); }) == ErrorCode::InvalidArgument);
  CHECK(code_of([&] { journal.resume_run("nope"); }) == ErrorCode::NotFound);
}

TEST_CASE("two processes resuming one run: the second decision is a Conflict, not a second resume") {
  const Target target = make_target("j");
  open_driven_by(target.location, reused_pid_driver()).create_run({.session_id = "s", .run_id = "r"});
  Journal journal = Journal::open(target.location);
  const std::int64_t seen = journal.run("r")->last_seq;
  journal.resume_run("r");
  CHECK(code_of([&] { journal.resume_run("r", json::object(), {.expected_seq = seen}); }) == ErrorCode::Conflict);
}
