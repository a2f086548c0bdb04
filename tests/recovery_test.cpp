// recovery_test: drivers, recover(), resume and give up, heartbeat leases
// (docs/recovery.md). Crashes are real: a child process is killed with
// SIGKILL while it drives a run.
#include <doctest/doctest.h>

#include <csignal>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <chrono>

#include <sys/wait.h>
#include <unistd.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <runjournal/journal.hpp>

#include "core/driver.hpp"
#include "process.hpp"
#include "core/process_identity.hpp"
#include "test_support.hpp"

using nlohmann::json;
using runjournal::Driver;
using runjournal::ErrorCode;
using runjournal::Journal;
using runjournal::RecoveredRun;
using runjournal::RunStatus;
using runjournal::test::code_of;
using runjournal::test::TempDir;

namespace {

const RecoveredRun* find(const std::vector<RecoveredRun>& found, const std::string& run_id) {
  for (const RecoveredRun& r : found) {
    if (r.run.run_id == run_id) return &r;
  }
  return nullptr;
}

Journal open_driven_by(const std::filesystem::path& path, const Driver& driver) {
  runjournal::Options options;
  options.driver = driver;
  return Journal::open(path, options);
}

// This process, but started at another time: what a reused pid looks like.
Driver reused_pid_driver() {
  Driver d = runjournal::this_process_driver();
  d.start_time += 1;
  return d;
}

void put_lease(const std::filesystem::path& path, const std::string& host, const std::string& boot_id,
               std::int64_t expires_at_ms) {
  SQLite::Database db(path.string(), SQLite::OPEN_READWRITE);
  SQLite::Statement stmt(db,
                         "INSERT OR REPLACE INTO driver_leases (host, boot_id, expires_at_ms) VALUES (?, ?, ?)");
  stmt.bind(1, host);
  stmt.bind(2, boot_id);
  stmt.bind(3, expires_at_ms);
  stmt.exec();
}

std::int64_t system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TEST_CASE("a run whose driver is killed with SIGKILL is listed with its checkpoint; while it lives it is not") {
  TempDir dir;
  const auto path = dir.file("j.db");
  { Journal::open(path); }
  runjournal::test::Child child = runjournal::test::start_process({RUNJOURNAL_TEST_CHILD, "drive", path.string(), "s1", "r1"});
  REQUIRE(runjournal::test::read_line(child) == "READY");
  Journal journal = Journal::open(path);
  const runjournal::Run driven = journal.run("r1").value();
  REQUIRE(driven.driver.has_value());
  CHECK(driven.driver->pid == child.pid);
  CHECK(driven.driver->host == runjournal::this_process_driver().host);
  // Alive, however quiet: never listed.
  CHECK(find(journal.recover(), "r1") == nullptr);

  ::kill(child.pid, SIGKILL);
  const runjournal::test::Outcome outcome = runjournal::test::finish_process(child);
  CHECK(outcome.signal == SIGKILL);
  const std::int64_t position = journal.last_position();
  const std::vector<RecoveredRun> found = journal.recover();
  const RecoveredRun* r = find(found, "r1");
  REQUIRE(r != nullptr);
  CHECK(r->run.status == RunStatus::Executing);
  REQUIRE(r->checkpoint.has_value());
  CHECK(r->checkpoint->checkpoint_id == "cp-1");
  CHECK(r->checkpoint->state == json{{"step", 1}});
  CHECK(r->silent_ms >= 0);
  CHECK(r->why.find("exited") != std::string::npos);
  // Listing changed nothing.
  CHECK(journal.last_position() == position);
  CHECK(journal.run("r1").value() == driven);
}

TEST_CASE("a run of this live process is not listed; a reused pid with another start time counts as gone") {
  TempDir dir;
  const auto path = dir.file("j.db");
  Journal live = Journal::open(path);
  live.create_run({.session_id = "s", .run_id = "mine"});
  Journal reused = open_driven_by(path, reused_pid_driver());
  reused.create_run({.session_id = "s", .run_id = "reused"});
  const std::vector<RecoveredRun> found = live.recover();
  CHECK(find(found, "mine") == nullptr);
  const RecoveredRun* r = find(found, "reused");
  REQUIRE(r != nullptr);
  CHECK(r->run.driver->pid == ::getpid());
  CHECK(r->why.find("another process") != std::string::npos);
}

TEST_CASE("a driver recorded under another boot of this host counts as gone (the machine rebooted)") {
  TempDir dir;
  const auto path = dir.file("j.db");
  Driver before_reboot = runjournal::this_process_driver();
  before_reboot.boot_id = "an-earlier-boot";
  open_driven_by(path, before_reboot).create_run({.session_id = "s", .run_id = "r"});
  const std::vector<RecoveredRun> found = Journal::open(path).recover();
  REQUIRE(find(found, "r") != nullptr);
  CHECK(find(found, "r")->why.find("rebooted") != std::string::npos);
}

TEST_CASE("a run driven from another host lives exactly while that host's lease is fresh") {
  TempDir dir;
  const auto path = dir.file("j.db");
  const Driver remote{"some-other-host", 4242, 777, "remote-boot"};
  Journal journal = open_driven_by(path, remote);
  journal.create_run({.session_id = "s", .run_id = "r"});
  CHECK(find(journal.recover(), "r") != nullptr);  // no lease at all
  put_lease(path, remote.host, remote.boot_id, system_ms() + 60'000);
  CHECK(find(journal.recover(), "r") == nullptr);
  put_lease(path, remote.host, "another-boot", system_ms() + 60'000);
  put_lease(path, remote.host, remote.boot_id, system_ms() - 1);
  const std::vector<RecoveredRun> found = journal.recover();
  REQUIRE(find(found, "r") != nullptr);
  CHECK(find(found, "r")->why.find("expired") != std::string::npos);
}

TEST_CASE("writes and heartbeat() keep this host's lease fresh") {
  TempDir dir;
  const auto path = dir.file("j.db");
  runjournal::Options options;
  options.lease_ttl = std::chrono::milliseconds(60'000);
  Journal journal = Journal::open(path, options);
  auto expiry = [&]() -> std::optional<std::int64_t> {
    SQLite::Database db(path.string());
    SQLite::Statement stmt(db, "SELECT expires_at_ms FROM driver_leases WHERE host = ? AND boot_id = ?");
    stmt.bind(1, runjournal::this_process_driver().host);
    stmt.bind(2, runjournal::this_process_driver().boot_id);
    if (!stmt.executeStep()) return std::nullopt;
    return stmt.getColumn(0).getInt64();
  };
  CHECK_FALSE(expiry().has_value());  // opening writes nothing
  const std::int64_t before = system_ms();
  journal.create_run({.session_id = "s", .run_id = "r"});
  REQUIRE(expiry().has_value());
  CHECK(*expiry() >= before + 60'000);
  const std::int64_t first = *expiry();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  journal.heartbeat();
  CHECK(*expiry() > first);
}

TEST_CASE("a run with no recorded driver counts as gone") {
  TempDir dir;
  Journal journal = Journal::open(dir.file("j.db"));
  journal.append("r", "run_created", {{"session_id", "s"}, {"driver", nullptr}});
  CHECK_FALSE(journal.run("r")->driver.has_value());
  const std::vector<RecoveredRun> found = journal.recover();
  REQUIRE(find(found, "r") != nullptr);
  CHECK(find(found, "r")->why == "no driver recorded");
}

TEST_CASE("run_created without a driver gets this journal's; one with its own keeps it") {
  TempDir dir;
  Journal journal = Journal::open(dir.file("j.db"));
  const runjournal::Event created = journal.append("a", "run_created", {{"session_id", "s"}});
  CHECK(created.payload["driver"]["pid"] == ::getpid());
  CHECK(journal.events("a").front().payload == created.payload);
  CHECK(journal.run("a")->driver == runjournal::this_process_driver());
  const Driver other{"h", 7, 8, "b"};
  journal.append("b", "run_created", {{"session_id", "s"}, {"driver", runjournal::detail::driver_to_payload(other)}});
  CHECK(journal.run("b")->driver == other);
}

TEST_CASE("finished runs are never listed; interrupted ones only when asked") {
  TempDir dir;
  const auto path = dir.file("j.db");
  Journal gone = open_driven_by(path, reused_pid_driver());
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
  TempDir dir;
  const auto path = dir.file("j.db");
  open_driven_by(path, reused_pid_driver()).create_run({.session_id = "s", .run_id = "r"});
  Journal journal = Journal::open(path);
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
  TempDir dir;
  const auto path = dir.file("j.db");
  Journal old_host = open_driven_by(path, reused_pid_driver());
  old_host.create_run({.session_id = "s", .run_id = "r"});
  old_host.append("r", "run_started");
  old_host.save_checkpoint("r", "cp-3", {{"next_step", 4}});
  Journal journal = Journal::open(path);
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
  TempDir dir;
  const auto path = dir.file("j.db");
  Journal old_host = open_driven_by(path, reused_pid_driver());
  old_host.create_run({.session_id = "s", .run_id = "r"});
  old_host.append("r", "tool_called");
  Journal journal = Journal::open(path);
  const runjournal::Run resumed = journal.resume_run("r");
  CHECK(resumed.status == RunStatus::Executing);
  CHECK(resumed.driver == runjournal::this_process_driver());
}

TEST_CASE("resume refuses a run whose driver is alive, a finished run and an unknown one") {
  TempDir dir;
  const auto path = dir.file("j.db");
  // Our parent process (the test runner) is alive and is not us.
  const std::optional<Driver> parent = runjournal::process_driver(::getppid());
  REQUIRE(parent.has_value());
  open_driven_by(path, *parent).create_run({.session_id = "s", .run_id = "alive"});
  Journal journal = Journal::open(path);
  const std::int64_t position = journal.last_position();
  CHECK(code_of([&] { journal.resume_run("alive"); }) == ErrorCode::AlreadyRunning);
  CHECK(journal.last_position() == position);
  journal.create_run({.session_id = "t", .run_id = "done"});
  journal.append("done", "run_completed");
  CHECK(code_of([&] { journal.resume_run("done"); }) == ErrorCode::InvalidArgument);
  CHECK(code_of([&] { journal.resume_run("nope"); }) == ErrorCode::NotFound);
}

TEST_CASE("two processes resuming one run: the second decision is a Conflict, not a second resume") {
  TempDir dir;
  const auto path = dir.file("j.db");
  open_driven_by(path, reused_pid_driver()).create_run({.session_id = "s", .run_id = "r"});
  Journal journal = Journal::open(path);
  const std::int64_t seen = journal.run("r")->last_seq;
  journal.resume_run("r");
  CHECK(code_of([&] { journal.resume_run("r", json::object(), {.expected_seq = seen}); }) == ErrorCode::Conflict);
}

TEST_CASE("the driver object is read leniently: a malformed one is no driver") {
  using runjournal::detail::driver_from_payload;
  CHECK(driver_from_payload(json{{"driver", {{"host", "h"}, {"pid", 1}, {"start_time", 2}, {"boot_id", "b"}}}}) ==
        Driver{"h", 1, 2, "b"});
  CHECK_FALSE(driver_from_payload(json{{"driver", {{"host", "h"}, {"pid", "1"}, {"start_time", 2}, {"boot_id", "b"}}}}));
  CHECK_FALSE(driver_from_payload(json{{"driver", {{"host", "h"}, {"pid", 1}, {"boot_id", "b"}}}}));
  CHECK_FALSE(driver_from_payload(json{{"driver", 5}}));
  CHECK_FALSE(driver_from_payload(json::object()));
}

TEST_CASE("the start time is field 22 of /proc/PID/stat, even when the command name holds ') '") {
  using runjournal::detail::parse_stat_start_time;
  const std::string tail = " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 123456 999 5\n";
  CHECK(parse_stat_start_time("42 (bash)" + tail) == 123456);
  CHECK(parse_stat_start_time("42 (a) b (c) d)" + tail) == 123456);
  CHECK_FALSE(parse_stat_start_time("42 (bash) S 1 2"));
  CHECK_FALSE(parse_stat_start_time("garbage"));
  // This process, read for real, is stable.
  const auto mine = runjournal::detail::process_start_time(::getpid());
  REQUIRE(mine.has_value());
  CHECK(runjournal::this_process_driver().start_time == *mine);
  CHECK_FALSE(runjournal::detail::process_start_time(0).has_value());
}

TEST_CASE("judging a driver: this host by /proc, a reboot is gone, other hosts by lease") {
  using runjournal::detail::judge_driver;
  using runjournal::detail::World;
  World world;
  world.self = Driver{"here", 1, 1, "boot-1"};
  world.start_time_of = [](std::int64_t pid) -> std::optional<std::int64_t> {
    if (pid == 10) return 100;
    return std::nullopt;
  };
  world.now_ms = 1000;
  world.leases = {{"there", "boot-9", 2000}, {"stale", "boot-8", 999}};
  CHECK(judge_driver(Driver{"here", 10, 100, "boot-1"}, world).alive);
  CHECK_FALSE(judge_driver(Driver{"here", 10, 101, "boot-1"}, world).alive);
  CHECK_FALSE(judge_driver(Driver{"here", 11, 100, "boot-1"}, world).alive);
  CHECK_FALSE(judge_driver(Driver{"here", 10, 100, "boot-0"}, world).alive);
  CHECK(judge_driver(Driver{"there", 10, 100, "boot-9"}, world).alive);
  CHECK_FALSE(judge_driver(Driver{"there", 10, 100, "boot-7"}, world).alive);
  CHECK_FALSE(judge_driver(Driver{"stale", 10, 100, "boot-8"}, world).alive);
  CHECK_FALSE(judge_driver(std::nullopt, world).alive);
}
