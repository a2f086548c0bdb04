// cli_inspect_test.cpp — sql, stats, tail, export, import and prune from the
// command line, run as real subprocesses (tests/cli_support.hpp): output shapes,
// exit statuses 0/1/2, one `error:` line, files left untouched.

#include <doctest/doctest.h>

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "process.hpp"
#include "test_support.hpp"

namespace {

using nlohmann::json;
using runjournal::test::Cli;
using runjournal::test::CliResult;
using runjournal::test::lines_of;
using runjournal::test::Outcome;

// A journal with a finished run (unicode, nested JSON) and a live one.
std::string make_journal(Cli& cli) {
  const std::string db = cli.db();
  cli.ok({"init", db});
  cli.ok({"start", db, "--session", "s1", "--prompt", "naïve 日本語 🚀", "--id", "r1", "--inputs",
          R"({"deep":{"list":[1,2.5,"three",null,{}]}})"});
  cli.ok({"append", db, "r1", "tool_called", R"({"tool_name":"search","args":{"q":"é\"\\\n"}})"});
  cli.ok({"complete", db, "r1", "--result", "done ✓"});
  cli.ok({"start", db, "--session", "s2", "--id", "r2"});
  return db;
}

}  // namespace

TEST_CASE("cli: sql refuses writes with one error line, exit 1, and the file unchanged") {
  Cli cli;
  const std::string db = make_journal(cli);
  const std::string before = runjournal::test::read_file(db);
  for (const std::string query : {"DELETE FROM events", "DROP TABLE runs", "ATTACH 'x.db' AS x", "VACUUM",
                                  "PRAGMA user_version = 7", "BEGIN", "SELECT 1; SELECT 2",
                                  "SELECT load_extension('x')"}) {
    INFO("query: " << query);
    const CliResult r = cli.run({"sql", db, query});
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(r.err.rfind("error: ", 0) == 0);
    CHECK(lines_of(r.err).size() == 1);
  }
  CHECK(runjournal::test::read_file(db) == before);
  CHECK(cli.ok({"sql", db, "SELECT count(*) AS n FROM events", "--json"}) == "[\n  {\n    \"n\": 4\n  }\n]\n");
}

TEST_CASE("cli: sql stops a runaway query at --timeout") {
  Cli cli;
  const std::string db = make_journal(cli);
  const auto start = std::chrono::steady_clock::now();
  const CliResult r = cli.run({"sql", db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c",
                         "--timeout", "0.3"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("time limit") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK(cli.run({"sql", db, "SELECT 1", "--timeout", "soon"}).exit_code == 2);
  CHECK(cli.run({"sql", db, "SELECT 1", "--json", "--csv"}).exit_code == 2);
}

TEST_CASE("cli: sql prints a table, JSON with JSON columns as values, and CSV") {
  Cli cli;
  const std::string db = make_journal(cli);
  const std::string query = "SELECT run_id, seq, kind, payload FROM events WHERE kind = 'tool_called' ORDER BY position";
  const json rows = json::parse(cli.ok({"sql", db, query, "--json"}));
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["seq"] == 2);
  CHECK(rows[0]["payload"]["args"]["q"] == "é\"\\\n");
  const std::vector<std::string> csv = lines_of(cli.ok({"sql", db, "SELECT run_id, 'a,b' AS t, NULL AS n FROM runs ORDER BY first_position", "--csv"}));
  REQUIRE(csv.size() == 3);
  CHECK(csv[0] == "run_id,t,n");
  CHECK(csv[1] == "r1,\"a,b\",");
  const std::vector<std::string> table = lines_of(cli.ok({"sql", db, "SELECT run_id, status FROM runs ORDER BY first_position"}));
  REQUIRE(table.size() == 3);
  CHECK(table[0] == "run_id  status");
  CHECK(table[1] == "r1      completed");
}

TEST_CASE("cli: export and import round-trip every run; a bad line is named and nothing is written") {
  Cli cli;
  const std::string db = make_journal(cli);
  const std::string file = cli.file("runs.jsonl").string();
  CHECK(cli.ok({"export", db, "-o", file}).find("exported 2 runs (4 events)") != std::string::npos);
  const std::string copy = cli.file("copy.journal").string();
  cli.ok({"init", copy});
  const json report = json::parse(cli.ok({"import", copy, file, "--json"}));
  CHECK(report["runs_imported"] == 2);
  CHECK(report["events_imported"] == 4);
  for (const std::string run : {"r1", "r2"}) {
    json a = json::parse(cli.ok({"show", db, run, "--json"}));
    json b = json::parse(cli.ok({"show", copy, run, "--json"}));
    CHECK(a == b);  // same creation order, so even positions agree here
    CHECK(cli.ok({"events", db, run, "--json"}) == cli.ok({"events", copy, run, "--json"}));
  }
  // Importing again skips identical runs.
  CHECK(json::parse(cli.ok({"import", copy, file, "--json"}))["runs_skipped"] == 2);

  // A seq gap on line 2: refused, nothing written.
  std::vector<std::string> lines = lines_of(runjournal::test::read_file(file));
  REQUIRE(lines.size() == 2);
  json second = json::parse(lines[1]);
  second["run"]["run_id"] = "r3";
  for (auto& e : second["events"]) e["run_id"] = "r3";
  second["events"].push_back(second["events"][0]);
  second["events"].back()["seq"] = 5;
  second["events"].back()["kind"] = "tool_called";
  const std::string bad = cli.file("bad.jsonl").string();
  runjournal::test::write_file(bad, lines[0] + "\n" + second.dump() + "\n");
  const std::string empty = cli.file("empty.journal").string();
  cli.ok({"init", empty});
  const CliResult r = cli.run({"import", empty, bad});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("line 2") != std::string::npos);
  CHECK(json::parse(cli.ok({"stats", empty, "--json"}))["events"] == 0);
  // Import from stdin, and export of one run.
  CHECK(json::parse(cli.ok({"import", empty, "-", "--json"}, cli.ok({"export", db, "--run", "r2"})))["runs_imported"] == 1);
  CHECK(cli.run({"export", db, "--run", "nope"}).exit_code == 1);
}

TEST_CASE("cli: tail prints events after a position; --follow sees another process's commits within a second, in order") {
  Cli cli;
  const std::string db = make_journal(cli);
  const std::vector<std::string> after2 = lines_of(cli.ok({"tail", db, "--after", "2", "--json"}));
  REQUIRE(after2.size() == 2);
  CHECK(json::parse(after2[0])["position"] == 3);

  runjournal::test::Child tail =
      runjournal::test::start_process({RUNJOURNAL_CLI, "tail", db, "--follow", "--json", "--after", "4"});
  constexpr int kEvents = 300;
  const Outcome writer = runjournal::test::run_process({RUNJOURNAL_TEST_CHILD, "append", db, "r2", std::to_string(kEvents), "normal"});
  REQUIRE(writer.exit_code == 0);
  const auto written = std::chrono::steady_clock::now();
  std::string received;
  while (std::count(received.begin(), received.end(), '\n') < kEvents &&
         std::chrono::steady_clock::now() - written < std::chrono::seconds(1)) {
    pollfd fd{tail.out_fd, POLLIN, 0};
    if (poll(&fd, 1, 50) > 0) {
      char buf[65536];
      const ssize_t n = read(tail.out_fd, buf, sizeof buf);
      if (n > 0) received.append(buf, static_cast<std::size_t>(n));
    }
  }
  kill(tail.pid, SIGTERM);  // tail --follow has no end of its own
  const Outcome ended = runjournal::test::finish_process(tail);
  received += ended.out;
  const std::vector<std::string> got = lines_of(received);
  REQUIRE(got.size() == static_cast<std::size_t>(kEvents));
  for (std::size_t i = 0; i < got.size(); ++i) {
    const json e = json::parse(got[i]);
    CHECK(e["position"] == static_cast<std::int64_t>(5 + i));
    CHECK(e["payload"]["i"] == static_cast<std::int64_t>(i));
  }
}

TEST_CASE("cli: stats reports counts and versions") {
  Cli cli;
  const std::string db = make_journal(cli);
  const json s = json::parse(cli.ok({"stats", db, "--json"}));
  CHECK(s["runs"] == 2);
  CHECK(s["runs_by_status"]["completed"] == 1);
  CHECK(s["runs_by_status"]["created"] == 1);
  CHECK(s["events"] == 4);
  CHECK(s["first_position"] == 1);
  CHECK(s["last_position"] == 4);
  CHECK(s["file_bytes"].get<std::int64_t>() > 0);
  CHECK(s["schema_version"].get<std::int64_t>() >= 2);
  CHECK(cli.ok({"stats", db}).find("sqlite_version") != std::string::npos);
}

TEST_CASE("cli: prune removes finished runs only, archives them, and refuses a malformed TIME with exit 2") {
  Cli cli;
  const std::string db = make_journal(cli);
  const std::string archive = cli.file("archive.jsonl").string();
  CHECK(cli.run({"prune", db, "--finished-before", "last tuesday"}).exit_code == 2);
  CHECK(cli.run({"prune", db}).exit_code == 2);
  // Nothing finished a day ago yet.
  CHECK(json::parse(cli.ok({"prune", db, "--finished-before", "1d", "--json"}))["runs"] == 0);
  const json report = json::parse(cli.ok({"prune", db, "--finished-before", "2999-01-01", "--archive", archive, "--json"}));
  CHECK(report["runs"] == 1);
  CHECK(report["events"] == 3);
  CHECK(cli.run({"show", db, "r1"}).exit_code == 1);
  CHECK(cli.run({"show", db, "r2"}).exit_code == 0);  // live: never touched
  CHECK(lines_of(runjournal::test::read_file(archive)).size() == 1);
  const json e = json::parse(cli.ok({"append", db, "r2", "note", "--json"}));
  CHECK(e["position"] == 5);  // after the removed ones: never reused
}

TEST_CASE("cli: the new verbs never create a journal and each has --help with an example") {
  Cli cli;
  const std::string missing = cli.file("missing.journal").string();
  const std::string some = cli.file("some.jsonl").string();
  runjournal::test::write_file(some, "");
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"sql", missing, "SELECT 1"},
                                             {"stats", missing},
                                             {"tail", missing},
                                             {"export", missing},
                                             {"import", missing, some},
                                             {"prune", missing, "--finished-before", "1d"}}) {
    INFO("verb: " << args[0]);
    const CliResult r = cli.run(args);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("no journal at") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(missing));
    const std::string help = cli.ok({args[0], "--help"});
    CHECK(help.find("Examples:") != std::string::npos);
    CHECK(help.find("runjournal " + args[0]) != std::string::npos);
  }
}
