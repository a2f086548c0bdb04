// cli_recover_test: `runjournal recover` and the command line's drivers
// (--driver-pid, the parent by default), run as real subprocesses.
#include <doctest/doctest.h>

#include <csignal>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <runjournal/journal.hpp>

#include "cli_support.hpp"
#include "process.hpp"
#include "test_support.hpp"

using nlohmann::json;
using runjournal::test::Cli;
using runjournal::test::CliResult;

namespace {

// A process that is gone: started, killed, reaped. Its pid is not reused
// within a test in practice; and if it were, the start time would differ.
std::string dead_pid() {
  runjournal::test::Child child = runjournal::test::start_process({"sleep", "30"});
  ::kill(child.pid, SIGKILL);
  runjournal::test::finish_process(child);
  return std::to_string(child.pid);
}

// A run started under a driver that then died, with a checkpoint.
void cut_off_run(Cli& cli, const std::string& run_id) {
  runjournal::test::Child driver = runjournal::test::start_process({"sleep", "30"});
  const std::string pid = std::to_string(driver.pid);
  cli.ok({"start", cli.db(), "--session", "s-" + run_id, "--id", run_id, "--driver-pid", pid});
  cli.ok({"append", cli.db(), run_id, "checkpoint_saved", R"({"checkpoint_id":"cp-2","next_step":3})"});
  ::kill(driver.pid, SIGKILL);
  runjournal::test::finish_process(driver);
}

}  // namespace

TEST_CASE("recover lists a run whose driver died, with its checkpoint, and changes nothing") {
  Cli cli;
  cli.ok({"init", cli.db()});
  cut_off_run(cli, "r1");
  const std::string events_before = cli.ok({"events", cli.db(), "r1", "--json"});
  const json found = cli.ok_json({"recover", cli.db(), "--json"});
  REQUIRE(found.size() == 1);
  CHECK(found[0]["run_id"] == "r1");
  CHECK(found[0]["status"] == "created");
  CHECK(found[0]["checkpoint_id"] == "cp-2");
  CHECK(found[0]["checkpoint"]["next_step"] == 3);
  CHECK(found[0]["silent_ms"].is_number_integer());
  CHECK(found[0]["marked_interrupted"] == false);
  CHECK(found[0]["why"].get<std::string>().find("exited") != std::string::npos);
  CHECK(cli.ok({"events", cli.db(), "r1", "--json"}) == events_before);
  const std::string table = cli.ok({"recover", cli.db()});
  CHECK(table.rfind("RUN_ID", 0) == 0);
  CHECK(table.find("r1") != std::string::npos);
  CHECK(table.find("cp-2") != std::string::npos);
}

TEST_CASE("a run driven by a live process, or by the caller of runjournal, is not listed") {
  Cli cli;
  cli.ok({"init", cli.db()});
  runjournal::test::Child driver = runjournal::test::start_process({"sleep", "30"});
  cli.ok({"start", cli.db(), "--session", "a", "--id", "driven", "--driver-pid", std::to_string(driver.pid)});
  // Without --driver-pid the driver is the parent: this test process.
  const json run = cli.ok_json({"start", cli.db(), "--session", "b", "--id", "mine", "--json"});
  CHECK(run["driver_pid"] == ::getpid());
  CHECK(cli.ok_json({"recover", cli.db(), "--json"}) == json::array());
  CHECK(cli.ok({"recover", cli.db()}) == "no run was cut off\n");
  ::kill(driver.pid, SIGKILL);
  runjournal::test::finish_process(driver);
  const json found = cli.ok_json({"recover", cli.db(), "--json"});
  REQUIRE(found.size() == 1);
  CHECK(found[0]["run_id"] == "driven");
}

TEST_CASE("--mark-interrupted writes run_interrupted to each listed run, and verify still passes") {
  Cli cli;
  cli.ok({"init", cli.db()});
  cut_off_run(cli, "r1");
  cut_off_run(cli, "r2");
  const std::string out = cli.ok({"recover", cli.db(), "--mark-interrupted"});
  CHECK(out.find("marked 2 runs interrupted") != std::string::npos);
  for (const char* id : {"r1", "r2"}) {
    const json events = cli.ok_json({"events", cli.db(), id, "--json"});
    CHECK(events.back()["kind"] == "run_interrupted");
    CHECK(cli.ok_json({"show", cli.db(), id, "--json"})["status"] == "interrupted");
  }
  CHECK(cli.ok({"verify", cli.db()}).rfind("ok", 0) == 0);
  CHECK(cli.ok_json({"recover", cli.db(), "--json"}) == json::array());
  const json interrupted = cli.ok_json({"recover", cli.db(), "--json", "--include-interrupted"});
  REQUIRE(interrupted.size() == 2);
  CHECK(interrupted[0]["checkpoint_id"] == "cp-2");
  // Marking again leaves interrupted runs as they are.
  CHECK(cli.ok({"recover", cli.db(), "--mark-interrupted", "--include-interrupted"}).find("marked 0 runs") !=
        std::string::npos);
}

TEST_CASE("--claim resumes the listed runs for the caller, oldest first, at most --limit of them") {
  Cli cli;
  cli.ok({"init", cli.db()});
  cut_off_run(cli, "r1");
  cut_off_run(cli, "r2");
  const json first = cli.ok_json({"recover", cli.db(), "--claim", "--limit", "1", "--json"});
  REQUIRE(first.size() == 1);
  CHECK(first[0]["run_id"] == "r1");
  CHECK(first[0]["status"] == "created");  // resuming keeps a live run's status
  CHECK(first[0]["driver_pid"] == ::getpid());  // the caller of runjournal drives it now
  CHECK(first[0]["checkpoint_id"] == "cp-2");
  const std::string second = cli.ok({"recover", cli.db(), "--claim"});
  CHECK(second.find("r2") != std::string::npos);
  CHECK(second.find("claimed 1 run\n") != std::string::npos);
  // Driven by this live process: nothing is cut off, nothing left to claim.
  CHECK(cli.ok_json({"recover", cli.db(), "--json"}) == json::array());
  CHECK(cli.ok({"recover", cli.db(), "--claim"}) == "no run was cut off\n");
  for (const char* id : {"r1", "r2"}) {
    const json events = cli.ok_json({"events", cli.db(), id, "--json"});
    CHECK(events.back()["kind"] == "run_resumed");
  }
  CHECK(cli.ok({"verify", cli.db()}).rfind("ok", 0) == 0);
}

TEST_CASE("--claim with --mark-interrupted, and --limit without --claim or below 1, are usage errors") {
  Cli cli;
  cli.ok({"init", cli.db()});
  cut_off_run(cli, "r1");
  const std::int64_t before = cli.ok_json({"stats", cli.db(), "--json"})["last_position"].get<std::int64_t>();
  CHECK(cli.run({"recover", cli.db(), "--claim", "--mark-interrupted"}).exit_code == 2);
  CHECK(cli.run({"recover", cli.db(), "--limit", "3"}).exit_code == 2);
  CHECK(cli.run({"recover", cli.db(), "--claim", "--limit", "0"}).exit_code == 2);
  CHECK(cli.ok_json({"stats", cli.db(), "--json"})["last_position"].get<std::int64_t>() == before);
}

TEST_CASE("run_resumed with --driver-pid brings an interrupted run back to executing under that driver") {
  Cli cli;
  cli.ok({"init", cli.db()});
  cut_off_run(cli, "r1");
  cli.ok({"recover", cli.db(), "--mark-interrupted"});
  runjournal::test::Child driver = runjournal::test::start_process({"sleep", "30"});
  cli.ok({"append", cli.db(), "r1", "run_resumed", R"({"from_checkpoint":"cp-2"})", "--driver-pid",
          std::to_string(driver.pid)});
  const json run = cli.ok_json({"show", cli.db(), "r1", "--json"});
  CHECK(run["status"] == "executing");
  CHECK(run["driver_pid"] == driver.pid);
  CHECK(cli.ok_json({"recover", cli.db(), "--json", "--include-interrupted"}) == json::array());
  ::kill(driver.pid, SIGKILL);
  runjournal::test::finish_process(driver);
}

TEST_CASE("--driver-pid naming no process is an error and writes nothing; a bad value is a usage error") {
  Cli cli;
  cli.ok({"init", cli.db()});
  const CliResult gone = cli.run({"start", cli.db(), "--session", "s", "--id", "r", "--driver-pid", dead_pid()});
  CHECK(gone.exit_code == 1);
  CHECK(gone.err.rfind("error: --driver-pid", 0) == 0);
  CHECK(cli.run({"show", cli.db(), "r"}).exit_code == 1);
  CHECK(cli.run({"start", cli.db(), "--session", "s", "--driver-pid", "-3"}).exit_code == 2);
  CHECK(cli.run({"start", cli.db(), "--session", "s", "--driver-pid", "abc"}).exit_code == 2);
}

TEST_CASE("recover on a missing journal is an error and creates no file; --help shows an example") {
  Cli cli;
  const CliResult missing = cli.run({"recover", cli.db()});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.rfind("error: ", 0) == 0);
  CHECK_FALSE(std::filesystem::exists(cli.db()));
  const std::string help = cli.ok({"recover", "--help"});
  CHECK(help.find("runjournal recover agent.journal") != std::string::npos);
}
