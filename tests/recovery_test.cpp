// recovery_test: what recovery does beneath the API (docs/recovery.md) —
// a real crash (a child process killed with SIGKILL while it drives a run),
// heartbeat leases in driver_leases, the driver record in run_created, and
// the backend-free judgement of a driver. Recovery through the public API
// alone (recover, resume, give up) is in tests/conformance/recovery_test.cpp.
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

#include "conformance/histories.hpp"
#include "core/driver.hpp"
#include "process.hpp"
#include "core/process_identity.hpp"
#include "test_support.hpp"

using nlohmann::json;
using runjournal::Driver;
using runjournal::Journal;
using runjournal::RecoveredRun;
using runjournal::RunStatus;
using runjournal::test::find;
using runjournal::test::open_driven_by;
using runjournal::test::TempDir;

namespace {

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

TEST_CASE("a run driven from another host lives exactly while that host's lease is fresh") {
  TempDir dir;
  const auto path = dir.file("j.db");
  const Driver remote{"some-other-host", 4242, 777, "remote-boot"};
  Journal journal = open_driven_by(path, remote);
  journal.create_run({.session_id = "s", .run_id = "r"});
  // The Journal that records `remote` as its driver keeps remote's lease
  // fresh with its writes: alive.
  CHECK(find(journal.recover(), "r") == nullptr);
  {
    SQLite::Database db(path.string(), SQLite::OPEN_READWRITE);
    db.exec("DELETE FROM driver_leases");
  }
  CHECK(find(journal.recover(), "r") != nullptr);  // no lease at all
  put_lease(path, remote.host, remote.boot_id, system_ms() + 60'000);
  CHECK(find(journal.recover(), "r") == nullptr);
  put_lease(path, remote.host, "another-boot", system_ms() + 60'000);
  put_lease(path, remote.host, remote.boot_id, system_ms() - 1);
  const std::vector<RecoveredRun> found = journal.recover();
  REQUIRE(find(found, "r") != nullptr);
  CHECK(find(found, "r")->why.find("expired") != std::string::npos);
}

TEST_CASE("writes and heartbeat() keep the lease of the Journal's driver's host fresh") {
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
  // Under a driver of another host (Options::driver), the lease written is
  // that host's: the one other hosts judge the runs it records by.
  const auto other_path = dir.file("other.db");
  const Driver worker{"worker-7", ::getpid(), 1, "worker-boot"};
  Journal driven = open_driven_by(other_path, worker);
  driven.create_run({.session_id = "s", .run_id = "w"});
  SQLite::Database db(other_path.string());
  SQLite::Statement hosts(db, "SELECT host, boot_id FROM driver_leases ORDER BY host");
  REQUIRE(hosts.executeStep());
  CHECK(hosts.getColumn(0).getString() == "worker-7");
  CHECK(hosts.getColumn(1).getString() == "worker-boot");
  CHECK_FALSE(hosts.executeStep());
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
