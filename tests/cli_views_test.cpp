// The command line's views for people: runs newest first with time bounds
// and a cursor, FINISHED and DURATION, relative, UTC and local times,
// colour only on a terminal, wide characters aligned, events --follow and
// --kind, show --timeline, resume and interrupt, prune --dry-run and its
// selections, `help VERB`. Each runs the real binary.
#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
#include <regex>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <runjournal/journal.hpp>

#include "cli_support.hpp"
#include "process.hpp"
#include "sqlite_file.hpp"
#include "test_support.hpp"

using nlohmann::json;
using runjournal::Journal;
using runjournal::test::Cli;
using runjournal::test::CliResult;
using runjournal::test::Files;
using runjournal::test::files_of;
using runjournal::test::lines_of;

namespace {

// 2025-01-01T00:00:00Z: the journals below have times of their own.
constexpr std::int64_t kT0 = 1'735'689'600'000;

// Three runs made with a clock the test moves: r-old (completed after 65 s),
// r-mid (failed after 1.5 s, a day later) and r-new (still executing, two
// days later; a tool call and its result, 250 ms apart).
void three_runs(const Cli& cli) {
  std::int64_t now = kT0;
  runjournal::Options options;
  options.clock = [&now] { return now; };
  Journal j = Journal::open(cli.db(), options);
  j.create_run({.session_id = "s-a", .prompt = "old one", .run_id = "r-old"});
  now += 65'000;
  j.append("r-old", "run_completed", {{"result_text", "done"}});
  now = kT0 + 86'400'000;
  j.create_run({.session_id = "s-b", .prompt = "middle", .run_id = "r-mid"});
  now += 1'500;
  j.append("r-mid", "run_failed", {{"error", "boom"}});
  now = kT0 + 2 * 86'400'000;
  j.create_run({.session_id = "s-a", .prompt = "new one", .run_id = "r-new"});
  j.append("r-new", "run_started", json::object());
  now += 100;
  j.append("r-new", "tool_called", {{"tool_name", "search"}, {"tool_call_id", "c1"}});
  now += 250;
  j.append("r-new", "tool_result", {{"tool_call_id", "c1"}, {"ok", true}});
}

std::vector<std::string> ids_of(const json& runs) {
  std::vector<std::string> ids;
  for (const json& run : runs) ids.push_back(run["run_id"].get<std::string>());
  return ids;
}

// The byte offset of `column`'s header in the table's first line.
std::size_t header_at(const std::string& table, const std::string& column) {
  return lines_of(table).at(0).find(column);
}

}  // namespace

TEST_SUITE("cli: runs views") {
  TEST_CASE("runs lists newest first; --oldest-first lists in creation order") {
    Cli cli;
    three_runs(cli);
    CHECK(ids_of(cli.ok_json({"runs", cli.db(), "--json"})) == std::vector<std::string>{"r-new", "r-mid", "r-old"});
    CHECK(ids_of(cli.ok_json({"runs", cli.db(), "--json", "--oldest-first"})) ==
          std::vector<std::string>{"r-old", "r-mid", "r-new"});
    const std::vector<std::string> lines = lines_of(cli.ok({"runs", cli.db()}));
    REQUIRE(lines.size() == 4);
    CHECK(lines[1].rfind("r-new", 0) == 0);
    CHECK(lines[3].rfind("r-old", 0) == 0);
  }

  TEST_CASE("FINISHED and DURATION: finished minus created, or the time so far for a live run") {
    Cli cli;
    three_runs(cli);
    const std::string table = cli.ok({"runs", cli.db(), "--utc"});
    const std::vector<std::string> lines = lines_of(table);
    REQUIRE(lines.size() == 4);
    const std::size_t finished = header_at(table, "FINISHED");
    REQUIRE(finished != std::string::npos);
    CHECK(lines[3].substr(finished, 24) == "2025-01-01T00:01:05.000Z");
    CHECK(lines[2].substr(finished, 24) == "2025-01-02T00:00:01.500Z");
    CHECK(lines[1].substr(finished, 1) == "-");
    // DURATION is right-aligned: it ends where its header ends.
    const std::size_t duration_end = header_at(table, "DURATION") + 8;
    CHECK(lines[3].substr(0, duration_end).ends_with(" 1m05s"));
    CHECK(lines[2].substr(0, duration_end).ends_with(" 1.5s"));
    // The live run has been going since 2025-01-03: days by now.
    CHECK(std::regex_search(lines[1].substr(0, duration_end), std::regex(" [0-9]+d[0-9]{2}h$")));
  }

  TEST_CASE("--since and --until bound the creation time, as ISO-8601 times or ages") {
    Cli cli;
    three_runs(cli);
    CHECK(ids_of(cli.ok_json({"runs", cli.db(), "--json", "--since", "2025-01-02"})) ==
          std::vector<std::string>{"r-new", "r-mid"});
    CHECK(ids_of(cli.ok_json({"runs", cli.db(), "--json", "--until", "2025-01-02"})) ==
          std::vector<std::string>{"r-old"});
    CHECK(ids_of(cli.ok_json({"runs", cli.db(), "--json", "--since", "2025-01-02T00:00:00Z", "--until",
                              "2025-01-02T12:00:00+02:00"})) == std::vector<std::string>{"r-mid"});
    // All three are older than a day (an age counts back from now).
    CHECK(cli.ok_json({"runs", cli.db(), "--json", "--since", "1d"}).empty());
    CHECK(cli.ok_json({"runs", cli.db(), "--json", "--until", "1d"}).size() == 3);
  }

  TEST_CASE("a bad --since or an --until before --since is a usage error that writes nothing") {
    Cli cli;
    three_runs(cli);
    const Files before = files_of(cli.db());
    for (const std::vector<std::string>& extra : {std::vector<std::string>{"--since", "yesterday"},
                                                  {"--until", "2025-13-01"},
                                                  {"--since", "2025-01-03", "--until", "2025-01-02"}}) {
      const std::string what = extra[1];
      INFO(what);
      std::vector<std::string> args = {"runs", cli.db()};
      args.insert(args.end(), extra.begin(), extra.end());
      const CliResult r = cli.run(args);
      CHECK(r.exit_code == 2);
      CHECK(runjournal::test::is_one_error_line(r.err));
      CHECK(r.out.empty());
    }
    CHECK(files_of(cli.db()) == before);
  }

  TEST_CASE("--limit pages: a note says where the next page starts, --after and --before follow it") {
    Cli cli;
    three_runs(cli);
    const CliResult first = cli.run({"runs", cli.db(), "--json", "--limit", "2"});
    CHECK(first.exit_code == 0);
    CHECK(ids_of(json::parse(first.out)) == std::vector<std::string>{"r-new", "r-mid"});
    CHECK(first.err == "note: more runs: --after r-mid\n");
    const CliResult second = cli.run({"runs", cli.db(), "--json", "--limit", "2", "--after", "r-mid"});
    CHECK(ids_of(json::parse(second.out)) == std::vector<std::string>{"r-old"});
    CHECK(second.err.empty());  // the last page
    const CliResult back = cli.run({"runs", cli.db(), "--json", "--limit", "1", "--before", "r-old"});
    CHECK(ids_of(json::parse(back.out)) == std::vector<std::string>{"r-mid"});
    CHECK(back.err == "note: more runs: --before r-mid\n");
    // No limit: everything, no note.
    CHECK(cli.run({"runs", cli.db(), "--json"}).err.empty());
    // A cursor naming no run is an error; both cursors a usage error.
    CHECK(cli.run({"runs", cli.db(), "--after", "ghost"}).exit_code == 1);
    CHECK(cli.run({"runs", cli.db(), "--after", "r-new", "--before", "r-old"}).exit_code == 2);
  }

  TEST_CASE("times: UTC off a terminal, --relative, --local with its offset; one style at most") {
    Cli cli;
    three_runs(cli);
    CHECK(cli.ok({"runs", cli.db()}).find("2025-01-01T00:00:00.000Z") != std::string::npos);
    const std::string relative = cli.ok({"runs", cli.db(), "--relative"});
    CHECK(relative.find("2025-01-01T") == std::string::npos);
    CHECK(std::regex_search(relative, std::regex("[0-9]+d ago")));
    const std::string local = cli.ok({"runs", cli.db(), "--local"});
    CHECK(std::regex_search(local, std::regex("2025-01-0[12]T[0-9:.]{12}[+-][0-9]{2}:[0-9]{2}")));
    CHECK(cli.run({"runs", cli.db(), "--utc", "--local"}).exit_code == 2);
    CHECK(cli.run({"events", cli.db(), "r-new", "--relative"}).out.find(" ago") != std::string::npos);
  }

  TEST_CASE("statuses are coloured on a terminal only, never with NO_COLOR or --colour never") {
    Cli cli;
    three_runs(cli);
    const std::string green = "\x1b[32mcompleted\x1b[0m";
    const std::string red = "\x1b[31mfailed\x1b[0m";
    CHECK(cli.ok({"runs", cli.db()}).find('\x1b') == std::string::npos);
    const std::string cli_path = RUNJOURNAL_CLI;
    const CliResult tty = cli.run_program({"script", "-qefc", cli_path + " runs " + cli.db(), "/dev/null"});
    CHECK(tty.exit_code == 0);
    CHECK(tty.out.find(green) != std::string::npos);
    CHECK(tty.out.find(red) != std::string::npos);
    CHECK(std::regex_search(tty.out, std::regex("[0-9]+d ago")));  // relative on a terminal
    const CliResult no_colour =
        cli.run_program({"script", "-qefc", "NO_COLOR=1 " + cli_path + " runs " + cli.db(), "/dev/null"});
    CHECK(no_colour.out.find('\x1b') == std::string::npos);
    const CliResult never =
        cli.run_program({"script", "-qefc", cli_path + " runs " + cli.db() + " --colour never", "/dev/null"});
    CHECK(never.out.find('\x1b') == std::string::npos);
    CHECK(cli.ok({"runs", cli.db(), "--colour", "always"}).find(green) != std::string::npos);
    CHECK(cli.run({"runs", cli.db(), "--colour", "sometimes"}).exit_code == 2);
  }

  TEST_CASE("wide characters take two cells, so the columns after them line up") {
    Cli cli;
    cli.ok({"init", cli.db()});
    cli.ok({"start", cli.db(), "--session", "会话一", "--id", "r1", "--prompt", "查找文件 🔍"});
    cli.ok({"start", cli.db(), "--session", "s1", "--id", "r2", "--prompt", "plain"});
    const std::vector<std::string> lines = lines_of(cli.ok({"runs", cli.db(), "--oldest-first"}));
    REQUIRE(lines.size() == 3);
    // SESSION is as wide as its widest cell, 会话一 (6 cells; 9 bytes), so
    // STATUS starts 4 cells later in the s1 row than "s1" ends.
    CHECK(lines[0] == "RUN_ID  SESSION  STATUS   EVENTS  CREATED                   FINISHED  DURATION  PROMPT");
    CHECK(lines[1].rfind("r1      会话一   created       1  ", 0) == 0);
    CHECK(lines[2].rfind("r2      s1       created       1  ", 0) == 0);
  }
}

TEST_SUITE("cli: events and tail views") {
  TEST_CASE("--kind keeps the events of the kinds given, on events and on tail") {
    Cli cli;
    three_runs(cli);
    const json tools = cli.ok_json({"events", cli.db(), "r-new", "--json", "--kind", "tool_called", "--kind", "tool_result"});
    REQUIRE(tools.size() == 2);
    CHECK(tools[0]["seq"] == 3);
    CHECK(tools[1]["seq"] == 4);
    const std::vector<std::string> tail = lines_of(cli.ok({"tail", cli.db(), "--json", "--kind", "run_completed", "--kind", "run_failed"}));
    REQUIRE(tail.size() == 2);
    CHECK(json::parse(tail[0])["run_id"] == "r-old");
    CHECK(json::parse(tail[1])["run_id"] == "r-mid");
    CHECK(lines_of(cli.ok({"events", cli.db(), "r-new", "--kind", "nothing"})).size() == 1);  // the header
  }

  TEST_CASE("tail on a terminal prints a header and aligned columns; off one, the plain lines") {
    Cli cli;
    three_runs(cli);
    const std::string plain = cli.ok({"tail", cli.db()});
    CHECK(plain.find("POSITION") == std::string::npos);
    CHECK(lines_of(plain).size() == 8);
    const CliResult tty =
        cli.run_program({"script", "-qefc", std::string(RUNJOURNAL_CLI) + " tail " + cli.db() + " --utc", "/dev/null"});
    const std::vector<std::string> lines = lines_of(tty.out);
    REQUIRE(lines.size() == 9);
    CHECK(lines[0].rfind("POSITION  TIME", 0) == 0);
    // Every row's KIND starts under the header's (the rows are ASCII here).
    const std::size_t kind = lines[0].find("KIND");
    REQUIRE(kind != std::string::npos);
    for (std::size_t i = 1; i < lines.size(); ++i) {
      INFO(lines[i]);
      CHECK(lines[i].substr(kind - 2, 2) == "  ");
      CHECK(lines[i][kind] != ' ');
    }
    CHECK(lines[8].substr(kind).rfind("tool_result", 0) == 0);
  }

  TEST_CASE("events --follow prints the run's events so far, then each new one, until it finishes") {
    Cli cli;
    three_runs(cli);
    runjournal::test::Child child =
        runjournal::test::start_process({RUNJOURNAL_CLI, "events", cli.db(), "r-new", "--follow", "--json"});
    for (int seq = 1; seq <= 4; ++seq) {
      CHECK(json::parse(runjournal::test::read_line(child))["seq"] == seq);
    }
    cli.ok({"append", cli.db(), "r-old", "late", "{}"});  // another run's: not shown
    cli.ok({"append", cli.db(), "r-new", "step_started", "{}"});
    CHECK(json::parse(runjournal::test::read_line(child))["kind"] == "step_started");
    cli.ok({"complete", cli.db(), "r-new"});
    CHECK(json::parse(runjournal::test::read_line(child))["kind"] == "run_completed");
    const runjournal::test::Outcome done = runjournal::test::finish_process(child);
    CHECK(done.exit_code == 0);  // it ended by itself when the run finished
    // A finished run: --follow prints what there is and returns at once.
    CHECK(lines_of(cli.ok({"events", cli.db(), "r-old", "--follow", "--json"})).size() == 3);
  }
}

TEST_SUITE("cli: show --timeline") {
  TEST_CASE("each event with its time from the start and from the one before; paired events as spans") {
    Cli cli;
    three_runs(cli);
    const std::string text = cli.ok({"show", cli.db(), "r-new", "--timeline", "--utc"});
    INFO(text);
    CHECK(text.rfind("run r-new  executing  began 2025-01-03T00:00:00.000Z  so far ", 0) == 0);
    const std::vector<std::string> lines = lines_of(text);
    // The events: SEQ AT DELTA KIND PAYLOAD.
    REQUIRE(lines.size() >= 8);
    CHECK(lines[2].rfind("SEQ     AT   DELTA  KIND", 0) == 0);
    CHECK(std::regex_search(lines[5], std::regex("^  3  100ms  \\+100ms  tool_called ")));
    CHECK(std::regex_search(lines[6], std::regex("^  4  350ms  \\+250ms  tool_result ")));
    // The spans: the run's own, and the tool call nested under it.
    CHECK(text.find("SPAN") != std::string::npos);
    CHECK(std::regex_search(text, std::regex("\n  tool c1 +[·█]+ +250ms  ended +3-4\n")));
    CHECK(std::regex_search(text, std::regex("\nrun +[·█]+ +[0-9a-z.]+  running +1\n")));
  }

  TEST_CASE("--timeline --json: events with offset_ms and delta_ms, spans with their seqs and state") {
    Cli cli;
    three_runs(cli);
    const json t = cli.ok_json({"show", cli.db(), "r-new", "--timeline", "--json"});
    CHECK(t["run"]["run_id"] == "r-new");
    REQUIRE(t["events"].size() == 4);
    CHECK(t["events"][3]["offset_ms"] == 350);
    CHECK(t["events"][3]["delta_ms"] == 250);
    REQUIRE(t["spans"].size() == 2);
    CHECK(t["spans"][0]["family"] == "run");
    CHECK(t["spans"][0]["state"] == "running");
    CHECK(t["spans"][1]["family"] == "tool");
    CHECK(t["spans"][1]["open_seq"] == 3);
    CHECK(t["spans"][1]["close_seq"] == 4);
    CHECK(t["spans"][1]["duration_ms"] == 250);
    CHECK(t["spans"][1]["parent"] == 0);
    // A finished run's own span ended with it.
    const json old = cli.ok_json({"show", cli.db(), "r-old", "--timeline", "--json"});
    CHECK(old["duration_ms"] == 65'000);
    CHECK(old["spans"][0]["state"] == "ended");
    CHECK(cli.run({"show", cli.db(), "ghost", "--timeline"}).exit_code == 1);
  }
}

TEST_SUITE("cli: resume and interrupt") {
  TEST_CASE("interrupt gives a run up with a reason; resume takes it over from a checkpoint") {
    Cli cli;
    three_runs(cli);
    CHECK(cli.ok({"interrupt", cli.db(), "r-new", "--reason", "host going down"}) == "5 9\n");
    json run = cli.ok_json({"show", cli.db(), "r-new", "--json"});
    CHECK(run["status"] == "interrupted");
    CHECK(run["status_reason"] == "host going down");
    run = cli.ok_json({"resume", cli.db(), "r-new", "--checkpoint", "cp-1", "--json", "--driver-pid",
                       std::to_string(::getpid())});
    CHECK(run["status"] == "executing");
    CHECK(run["status_reason"].is_null());
    CHECK(run["driver_pid"] == ::getpid());
    const json events = cli.ok_json({"events", cli.db(), "r-new", "--json"});
    CHECK(events.back()["kind"] == "run_resumed");
    CHECK(events.back()["payload"]["from_checkpoint"] == "cp-1");
    // Without a reason, interrupt says who gave it up.
    cli.ok({"interrupt", cli.db(), "r-new"});
    CHECK(cli.ok_json({"show", cli.db(), "r-new", "--json"})["status_reason"] == "given up with runjournal interrupt");
  }

  TEST_CASE("resume and interrupt refuse a finished or unknown run and a stale --expect-seq, writing nothing") {
    Cli cli;
    three_runs(cli);
    const Files before = files_of(cli.db());
    const std::vector<std::vector<std::string>> refused = {
        {"interrupt", cli.db(), "r-old"},
        {"resume", cli.db(), "r-mid"},
        {"resume", cli.db(), "ghost"},
        {"interrupt", cli.db(), "ghost"},
        {"interrupt", cli.db(), "r-new", "--expect-seq", "3"},
        {"resume", cli.db(), "r-new", "[1]"},
        {"resume", cli.db(), "r-new", "{not json"},
    };
    for (const std::vector<std::string>& args : refused) {
      const std::string what = args[0] + " " + args[2] + " " + args.back();
      INFO(what);
      const CliResult r = cli.run(args);
      CHECK(r.exit_code == 1);
      CHECK(runjournal::test::is_one_error_line(r.err));
    }
    CHECK(cli.run({"interrupt", cli.db(), "r-new", "--expect-seq", "x"}).exit_code == 2);
    CHECK(files_of(cli.db()) == before);
  }
}

TEST_SUITE("cli: prune selections") {
  TEST_CASE("prune --dry-run counts what would go and writes nothing") {
    Cli cli;
    three_runs(cli);
    const Files before = files_of(cli.db());
    CHECK(cli.ok({"prune", cli.db(), "--finished-before", "1d", "--dry-run"}) ==
          "would remove 2 runs (4 events); nothing was removed\n");
    const json counted = cli.ok_json({"prune", cli.db(), "--finished-before", "1d", "--dry-run", "--json"});
    CHECK(counted["runs"] == 2);
    CHECK(counted["dry_run"] == true);
    CHECK(files_of(cli.db()) == before);
    CHECK(cli.run({"prune", cli.db(), "--finished-before", "1d", "--dry-run", "--archive", "a.jsonl"}).exit_code == 2);
  }

  TEST_CASE("prune --status and --session remove only the finished runs they name") {
    Cli cli;
    three_runs(cli);
    CHECK(cli.ok_json({"prune", cli.db(), "--finished-before", "1d", "--status", "failed", "--json"})["runs"] == 1);
    CHECK(ids_of(cli.ok_json({"runs", cli.db(), "--json"})) == std::vector<std::string>{"r-new", "r-old"});
    CHECK(cli.ok_json({"prune", cli.db(), "--finished-before", "1d", "--session", "s-b", "--json"})["runs"] == 0);
    CHECK(cli.ok_json({"prune", cli.db(), "--finished-before", "1d", "--session", "s-a", "--json"})["runs"] == 1);
    CHECK(ids_of(cli.ok_json({"runs", cli.db(), "--json"})) == std::vector<std::string>{"r-new"});
    // A live status is never pruned: a usage error.
    const Files before = files_of(cli.db());
    CHECK(cli.run({"prune", cli.db(), "--finished-before", "1d", "--status", "executing"}).exit_code == 2);
    CHECK(files_of(cli.db()) == before);
  }
}

TEST_SUITE("cli: help") {
  TEST_CASE("runjournal help VERB prints what VERB --help prints; help alone, the verbs") {
    Cli cli;
    for (const char* verb : {"runs", "events", "show", "tail", "resume", "interrupt", "prune", "fork"}) {
      INFO(verb);
      const CliResult help = cli.run({"help", verb});
      CHECK(help.exit_code == 0);
      CHECK(help.out == cli.run({verb, "--help"}).out);
      CHECK(help.out.find("Examples") != std::string::npos);
    }
    const CliResult all = cli.run({"help"});
    CHECK(all.exit_code == 0);
    CHECK(all.out == cli.run({"--help"}).out);
    const CliResult two = cli.run({"help", "runs", "events"});
    CHECK(two.exit_code == 2);
    CHECK(runjournal::test::is_one_error_line(two.err));
    CHECK(two.out.empty());
    const CliResult unknown = cli.run({"help", "frobnicate"});
    CHECK(unknown.exit_code == 2);
    CHECK(runjournal::test::is_one_error_line(unknown.err));
  }
}
