// recovery_test (conformance): recover() lists the runs whose driver is gone
// (a reused pid, a reboot, no driver at all) and never a finished one; a
// host gives a run up (interrupt_run) or resumes it (resume_run), and a
// stale decision is a Conflict (docs/recovery.md).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
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

namespace {

// A host of its own: this process (so /proc judges it alive where it is
// "this host"), under another host name and boot id, with `lease_ttl`.
Journal open_as_host(const std::string& location, const std::string& host,
                     std::chrono::milliseconds lease_ttl = std::chrono::milliseconds(30'000)) {
  Driver driver = runjournal::this_process_driver();
  driver.host = host;
  driver.boot_id = "boot-of-" + host;
  runjournal::Options options;
  options.driver = driver;
  options.lease_ttl = lease_ttl;
  return Journal::open(location, options);
}

// A run cut off while executing: its driver's host crashed, and no lease
// speaks for it.
void create_cut_off(Journal& journal, const std::string& run_id) {
  const json driver = {{"host", "host-gone"}, {"pid", 1}, {"start_time", 1}, {"boot_id", "boot-of-host-gone"}};
  journal.append(run_id, "run_created", {{"session_id", "s-" + run_id}, {"driver", driver}});
  journal.append(run_id, "run_started");  // cut off while executing
}

// The run_resumed events of every run, by run id.
std::map<std::string, int> resumes_by_run(const Journal& journal) {
  std::map<std::string, int> resumes;
  for (const runjournal::Event& e : runjournal::test::all_events(journal)) {
    if (e.kind == "run_resumed") ++resumes[e.run_id];
  }
  return resumes;
}

}  // namespace

TEST_CASE("several hosts claiming at once: each cut-off run is claimed by exactly one of them") {
  const Target target = make_target("j");
  constexpr int kCutOff = 24;
  constexpr int kHosts = 4;
  // Opened first and kept: the process's writer refreshes the lease of this
  // process's own host, not of the hosts posed as below (docs/recovery.md).
  Journal setup = Journal::open(target.location);
  std::set<std::string> cut_off;
  for (int i = 0; i < kCutOff; ++i) {
    const std::string id = "cut-" + std::to_string(i);
    create_cut_off(setup, id);
    if (i % 3 == 0) setup.save_checkpoint(id, "cp", {{"step", i}});
    cut_off.insert(id);
  }
  // A live host's run and a finished run are never claimed.
  Journal live = open_as_host(target.location, "host-live");
  live.create_run({.session_id = "live", .run_id = "alive"});
  live.heartbeat();
  setup.create_run({.session_id = "done", .run_id = "done"});
  setup.append("done", "run_completed");

  std::vector<Journal> hosts;
  for (int h = 0; h < kHosts; ++h) hosts.push_back(open_as_host(target.location, "host-" + std::to_string(h)));
  std::vector<std::vector<RecoveredRun>> claimed(kHosts);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int h = 0; h < kHosts; ++h) {
    threads.emplace_back([&, h] {
      ready.fetch_add(1);
      while (ready.load() < kHosts) std::this_thread::yield();
      claimed[static_cast<std::size_t>(h)] = hosts[static_cast<std::size_t>(h)].claim_recovered();
    });
  }
  for (std::thread& t : threads) t.join();

  std::multiset<std::string> all;
  for (int h = 0; h < kHosts; ++h) {
    for (const RecoveredRun& r : claimed[static_cast<std::size_t>(h)]) {
      all.insert(r.run.run_id);
      // Returned as it is now: resumed, driven by the host that claimed it.
      CHECK(r.run.status == RunStatus::Executing);
      REQUIRE(r.run.driver.has_value());
      CHECK(r.run.driver->host == "host-" + std::to_string(h));
      CHECK(r.checkpoint.has_value() == (std::stoi(r.run.run_id.substr(4)) % 3 == 0));
    }
  }
  CHECK(std::set<std::string>(all.begin(), all.end()) == cut_off);
  CHECK(all.size() == cut_off.size());  // no run claimed twice
  const Journal reader = Journal::open(target.location);
  const std::map<std::string, int> resumes = resumes_by_run(reader);
  CHECK(resumes.size() == cut_off.size());
  for (const auto& entry : resumes) CHECK(entry.second == 1);
  CHECK(reader.run("alive")->driver->host == "host-live");
  CHECK(reader.run("done")->status == RunStatus::Completed);
  CHECK(reader.verify().ok());
  // Every claimant holds a fresh lease: a host arriving later finds nothing.
  CHECK(open_as_host(target.location, "host-late").claim_recovered().empty());
}

TEST_CASE("a claim is bounded by its limit, and a claimant whose lease lapses loses its runs to the next host") {
  const Target target = make_target("j");
  Journal setup = Journal::open(target.location);
  for (int i = 0; i < 5; ++i) create_cut_off(setup, "r" + std::to_string(i));
  Journal brief = open_as_host(target.location, "host-brief", std::chrono::milliseconds(1));
  const std::vector<RecoveredRun> first = brief.claim_recovered({.limit = 2});
  REQUIRE(first.size() == 2);
  CHECK(first[0].run.run_id == "r0");  // oldest first
  CHECK(first[1].run.run_id == "r1");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // host-brief's lease lapses
  Journal next = open_as_host(target.location, "host-next");
  const std::vector<RecoveredRun> second = next.claim_recovered({.payload = {{"attempt", 2}}});
  CHECK(second.size() == 5);
  for (const RecoveredRun& r : second) CHECK(r.run.driver->host == "host-next");
  CHECK(resumes_by_run(next).at("r0") == 2);
  CHECK(resumes_by_run(next).at("r4") == 1);
}

TEST_CASE("claiming refuses a payload that is not an object or names a driver, and a read-only journal, writing nothing") {
  const Target target = make_target("j");
  Journal setup = Journal::open(target.location);
  create_cut_off(setup, "r");
  const std::int64_t position = setup.last_position();
  Journal claimant = open_as_host(target.location, "host-a");
  CHECK(code_of([&] { claimant.claim_recovered({.payload = json::array()}); }) == ErrorCode::InvalidArgument);
  // A driver of its own would leave the run to be claimed again.
  const json other_driver = {{"driver", {{"host", "elsewhere"}, {"pid", 1}, {"start_time", 1}, {"boot_id", "b"}}}};
  CHECK(code_of([&] { claimant.claim_recovered({.payload = other_driver}); }) == ErrorCode::InvalidArgument);
  runjournal::Options read_only;
  read_only.read_only = true;
  CHECK(code_of([&] { Journal::open(target.location, read_only).claim_recovered(); }) == ErrorCode::ReadOnly);
  CHECK(setup.last_position() == position);
  CHECK(setup.run("r")->status == RunStatus::Executing);
  CHECK(setup.run("r")->driver->host == "host-gone");
}
