// cli_test.cpp — the `runjournal` command line, run as a real subprocess.
//
// Every test gets its own journal in a TempDir and runs the built binary
// (RUNJOURNAL_CLI) with posix_spawn, capturing stdout, stderr and the exit
// status. The contract under test is DESIGN.md, "Command line": output
// shapes, exit statuses 0/1/2, one `error:` line on stderr, reading verbs
// never creating files, and all-or-nothing JSONL batches.
//
// The JSON conversion (runjournal/json.hpp) is tested at the end, directly:
// it is the shape every --json output has.

#include <doctest/doctest.h>

#include <spawn.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include <runjournal/error.hpp>
#include <runjournal/journal.hpp>
#include <runjournal/json.hpp>

#include "cli_support.hpp"
#include "test_support.hpp"

namespace {

using nlohmann::json;
using runjournal::test::TempDir;

using runjournal::test::Cli;
using runjournal::test::CliResult;
using runjournal::test::is_one_error_line;
using runjournal::test::lines_of;

std::string iso_utc(std::int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms % 1000));
  return std::string(buffer) + millis;
}

// Whether every character of `text` is a digit where `shape` has '9', a
// lowercase hex digit where it has 'x', and equal to it elsewhere. (No
// std::regex: GCC 12 warns inside it under -Werror with sanitizers.)
bool has_shape(const std::string& text, const std::string& shape) {
  if (text.size() != shape.size()) {
    return false;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool digit = c >= '0' && c <= '9';
    const bool ok = shape[i] == '9'   ? digit
                    : shape[i] == 'x' ? digit || (c >= 'a' && c <= 'f')
                                      : c == shape[i];
    if (!ok) {
      return false;
    }
  }
  return true;
}

const std::string kIsoShape = "9999-99-99T99:99:99.999Z";

}  // namespace

TEST_SUITE("cli: general") {
  TEST_CASE("--version prints the library's version and exits 0") {
    Cli cli;
    CliResult r = cli.run({"--version"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "runjournal " + std::string(runjournal::version()) + "\n");
    CHECK(r.err.empty());
  }

  TEST_CASE("no verb is a usage error with one error line") {
    Cli cli;
    CliResult r = cli.run({});
    CHECK(r.exit_code == 2);
    CHECK(is_one_error_line(r.err));
    CHECK(r.out.empty());
  }

  TEST_CASE("an unknown verb is a usage error") {
    Cli cli;
    CliResult r = cli.run({"frobnicate", cli.db()});
    CHECK(r.exit_code == 2);
    CHECK(is_one_error_line(r.err));
    CHECK_FALSE(std::filesystem::exists(cli.db()));
  }

  TEST_CASE("an unknown option is a usage error") {
    Cli cli;
    cli.init_with_run();
    CliResult r = cli.run({"runs", cli.db(), "--colour"});
    CHECK(r.exit_code == 2);
    CHECK(is_one_error_line(r.err));
  }

  TEST_CASE("every verb's --help shows an example and exits 0") {
    Cli cli;
    for (const char* verb : {"init", "start", "append", "complete", "fail", "cancel", "show",
                             "runs", "events", "rebuild", "verify"}) {
      CAPTURE(verb);
      CliResult r = cli.run({verb, "--help"});
      CHECK(r.exit_code == 0);
      CHECK(r.out.find("Examples:\n  runjournal " + std::string(verb)) != std::string::npos);
    }
    CliResult top = cli.run({"--help"});
    CHECK(top.exit_code == 0);
    CHECK(top.out.find("Examples:") != std::string::npos);
  }

  TEST_CASE("every verb but init on a missing journal exits 1 and creates no file") {
    Cli cli;
    const std::vector<std::vector<std::string>> commands = {
        {"start", cli.db(), "--session", "s1"},
        {"append", cli.db(), "r1", "tool_called"},
        {"append", cli.db(), "--jsonl", "-"},
        {"complete", cli.db(), "r1"},
        {"fail", cli.db(), "r1", "--error", "boom"},
        {"cancel", cli.db(), "r1"},
        {"show", cli.db(), "r1"},
        {"runs", cli.db()},
        {"events", cli.db(), "r1"},
        {"rebuild", cli.db()},
        {"verify", cli.db()},
    };
    for (const std::vector<std::string>& command : commands) {
      CAPTURE(command[0]);
      CliResult r = cli.run(command);
      CHECK(r.exit_code == 1);
      CHECK(is_one_error_line(r.err));
      CHECK(r.err == "error: no journal at " + cli.db() + "\n");
      CHECK_FALSE(std::filesystem::exists(cli.db()));
      CHECK_FALSE(std::filesystem::exists(cli.db() + "-wal"));
    }
  }

  TEST_CASE("a file that is not a journal is refused and left untouched") {
    Cli cli;
    const std::string content = "these are not the bytes of a SQLite database\n";
    runjournal::test::write_file(cli.db(), content);
    for (const char* verb : {"runs", "verify", "init"}) {
      CAPTURE(verb);
      CliResult r = cli.run({verb, cli.db()});
      CHECK(r.exit_code == 1);
      CHECK(is_one_error_line(r.err));
      CHECK(runjournal::test::read_file(cli.db()) == content);
    }
  }

  TEST_CASE("init creates an empty journal and is harmless to repeat") {
    Cli cli;
    CHECK(cli.ok({"init", cli.db()}) == "created journal " + cli.db() + "\n");
    CHECK(std::filesystem::exists(cli.db()));
    CHECK(cli.ok({"init", cli.db()}) == "journal is ready: " + cli.db() + "\n");
    CHECK(cli.ok_json({"runs", cli.db(), "--json"}) == json::array());
    CHECK(cli.ok({"verify", cli.db()}) == "ok: 0 runs and 0 events checked\n");
  }
}

TEST_SUITE("cli: start") {
  TEST_CASE("start prints the run id it was given") {
    Cli cli;
    cli.ok({"init", cli.db()});
    CHECK(cli.ok({"start", cli.db(), "--session", "s1", "--id", "r42"}) == "r42\n");
    CHECK(cli.ok_json({"show", cli.db(), "r42", "--json"})["session_id"] == "s1");
  }

  TEST_CASE("start without --id prints a generated run-<uuid v4> id") {
    Cli cli;
    cli.ok({"init", cli.db()});
    const std::string out = cli.ok({"start", cli.db(), "--session", "s1"});
    CHECK(has_shape(out, "run-xxxxxxxx-xxxx-4xxx-xxxx-xxxxxxxxxxxx\n"));
    CHECK(std::string("89ab").find(out[23]) != std::string::npos);  // the UUID variant
  }

  TEST_CASE("start --json prints the run object with inputs as a JSON value") {
    Cli cli;
    cli.ok({"init", cli.db()});
    json run = cli.ok_json({"start", cli.db(), "--session", "s1", "--id", "r1", "--prompt", "p",
                            "--inputs", R"({"repo":"x","n":[1,2]})", "--json"});
    CHECK(run["run_id"] == "r1");
    CHECK(run["status"] == "created");
    CHECK(run["prompt"] == "p");
    CHECK(run["inputs"] == json{{"repo", "x"}, {"n", {1, 2}}});
    CHECK(run["outputs"].is_null());
    CHECK(run["finished_at_ms"].is_null());
    CHECK(run["event_count"] == 1);
    CHECK(run == cli.ok_json({"show", cli.db(), "r1", "--json"}));
  }

  TEST_CASE("start --inputs that is not JSON is bad data (exit 1), not usage, and writes nothing") {
    Cli cli;
    cli.ok({"init", cli.db()});
    CliResult r = cli.run({"start", cli.db(), "--session", "s1", "--inputs", "{not json"});
    CHECK(r.exit_code == 1);
    CHECK(is_one_error_line(r.err));
    CHECK(cli.ok_json({"runs", cli.db(), "--json"}) == json::array());
  }

  TEST_CASE("start without --session is a usage error") {
    Cli cli;
    cli.ok({"init", cli.db()});
    CliResult r = cli.run({"start", cli.db()});
    CHECK(r.exit_code == 2);
    CHECK(is_one_error_line(r.err));
  }

  TEST_CASE("start --exclusive fails while the session has a live run, naming it") {
    Cli cli;
    cli.init_with_run("live-one");
    CliResult r = cli.run({"start", cli.db(), "--session", "s1", "--id", "r2", "--exclusive"});
    CHECK(r.exit_code == 1);
    CHECK(is_one_error_line(r.err));
    CHECK(r.err.find("live-one") != std::string::npos);
    CHECK(cli.ok_json({"runs", cli.db(), "--json"}).size() == 1);
    // Once the live run is finished, an exclusive start succeeds.
    cli.ok({"complete", cli.db(), "live-one"});
    CHECK(cli.ok({"start", cli.db(), "--session", "s1", "--id", "r2", "--exclusive"}) == "r2\n");
  }

  TEST_CASE("start with a taken run id exits 1") {
    Cli cli;
    cli.init_with_run("r1");
    CliResult r = cli.run({"start", cli.db(), "--session", "s2", "--id", "r1"});
    CHECK(r.exit_code == 1);
    CHECK(is_one_error_line(r.err));
  }
}

TEST_SUITE("cli: append") {
  TEST_CASE("append prints seq and position") {
    Cli cli;
    cli.init_with_run();
    CHECK(cli.ok({"append", cli.db(), "r1", "tool_called", R"({"tool_name":"search"})"}) ==
          "2 2\n");
    CHECK(cli.ok({"append", cli.db(), "r1", "step_started"}) == "3 3\n");
    json events = cli.ok_json({"events", cli.db(), "r1", "--json"});
    REQUIRE(events.size() == 3);
    CHECK(events[1]["payload"] == json{{"tool_name", "search"}});
    CHECK(events[2]["payload"] == json::object());
  }

  TEST_CASE("append --json prints the event object with its payload as JSON") {
    Cli cli;
    cli.init_with_run();
    json event = cli.ok_json({"append", cli.db(), "r1", "tool_called", R"({"a":[1,{"b":null}]})",
                              "--key", "k1", "--json"});
    CHECK(event["run_id"] == "r1");
    CHECK(event["seq"] == 2);
    CHECK(event["position"] == 2);
    CHECK(event["kind"] == "tool_called");
    CHECK(event["payload"] == json::parse(R"({"a":[1,{"b":null}]})"));
    CHECK(event["idempotency_key"] == "k1");
    CHECK(event["ts_ms"].is_number_integer());
  }

  TEST_CASE("append with a repeated --key returns the first event and writes nothing") {
    Cli cli;
    cli.init_with_run();
    CHECK(cli.ok({"append", cli.db(), "r1", "tool_called", "{}", "--key", "once"}) == "2 2\n");
    CHECK(cli.ok({"append", cli.db(), "r1", "tool_called", "{}", "--key", "once"}) == "2 2\n");
    CHECK(cli.ok_json({"events", cli.db(), "r1", "--json"}).size() == 2);
  }

  TEST_CASE(
      "append --expect-seq: current passes, stale is a conflict (exit 1), malformed is usage (2)") {
    Cli cli;
    cli.init_with_run();
    CHECK(cli.ok({"append", cli.db(), "r1", "step_started", "--expect-seq", "1"}) == "2 2\n");
    CliResult stale = cli.run({"append", cli.db(), "r1", "step_started", "--expect-seq", "1"});
    CHECK(stale.exit_code == 1);
    CHECK(is_one_error_line(stale.err));
    CliResult bad = cli.run({"append", cli.db(), "r1", "step_started", "--expect-seq", "abc"});
    CHECK(bad.exit_code == 2);
    CHECK(is_one_error_line(bad.err));
    CHECK(cli.ok_json({"events", cli.db(), "r1", "--json"}).size() == 2);
  }

  TEST_CASE("append PAYLOAD that is not JSON, or JSON that is not an object, is bad data: exit 1") {
    Cli cli;
    cli.init_with_run();
    CliResult not_json = cli.run({"append", cli.db(), "r1", "tool_called", "{oops"});
    CHECK(not_json.exit_code == 1);
    CHECK(is_one_error_line(not_json.err));
    CliResult array = cli.run({"append", cli.db(), "r1", "tool_called", "[1,2]"});
    CHECK(array.exit_code == 1);
    CHECK(is_one_error_line(array.err));
    CHECK(cli.ok_json({"events", cli.db(), "r1", "--json"}).size() == 1);
  }

  TEST_CASE("append to an unknown run exits 1") {
    Cli cli;
    cli.init_with_run();
    CliResult r = cli.run({"append", cli.db(), "nope", "tool_called"});
    CHECK(r.exit_code == 1);
    CHECK(is_one_error_line(r.err));
  }

  TEST_CASE("append without RUN and KIND, or with both RUN and --jsonl, is a usage error") {
    Cli cli;
    cli.init_with_run();
    CHECK(cli.run({"append", cli.db()}).exit_code == 2);
    CHECK(cli.run({"append", cli.db(), "r1"}).exit_code == 2);
    CliResult both = cli.run({"append", cli.db(), "r1", "tool_called", "--jsonl", "-"});
    CHECK(both.exit_code == 2);
    CHECK(is_one_error_line(both.err));
    CHECK(cli.run({"append", cli.db(), "--jsonl", "-", "--key", "k"}).exit_code == 2);
  }
}

TEST_SUITE("cli: append --jsonl") {
  TEST_CASE("a JSONL file is appended in order; --each prints seq and position per event") {
    Cli cli;
    cli.init_with_run("r1");
    cli.ok({"start", cli.db(), "--session", "s2", "--id", "r2"});
    runjournal::test::write_file(
        cli.file("batch.jsonl"),
        R"({"run_id":"r1","kind":"tool_called","payload":{"n":1}})"
        "\n\n"
        R"({"run_id":"r2","kind":"step_started","payload":{},"idempotency_key":"k"})"
        "\r\n"
        R"({"run_id":"r1","kind":"run_completed","payload":{"result_text":"ok"},"expected_seq":2})"
        "\n");
    CHECK(cli.ok({"append", cli.db(), "--jsonl", cli.file("batch.jsonl").string(), "--each"}) ==
          "2 3\n2 4\n3 5\n");
    CHECK(cli.ok_json({"show", cli.db(), "r1", "--json"})["status"] == "completed");
    CHECK(cli.ok_json({"events", cli.db(), "r2", "--json"})[1]["idempotency_key"] == "k");
  }

  TEST_CASE("a JSONL batch is read from stdin with -, and --json prints one event per line") {
    Cli cli;
    cli.init_with_run();
    const std::vector<std::string> lines = lines_of(cli.ok({"append", cli.db(), "--jsonl", "-", "--json"},
                                                           R"({"run_id":"r1","kind":"a","payload":{}})"
                                                           "\n"
                                                           R"({"run_id":"r1","kind":"b","payload":{"x":true}})"
                                                           "\n"));
    REQUIRE(lines.size() == 2);
    json events = json::array({json::parse(lines[0]), json::parse(lines[1])});
    CHECK(events[0]["kind"] == "a");
    CHECK(events[1]["payload"] == json{{"x", true}});
    CHECK(events[1]["seq"] == 3);
  }

  TEST_CASE("a bad line rejects the whole batch, names its line number, and writes nothing") {
    Cli cli;
    cli.init_with_run();
    const std::string input = R"({"run_id":"r1","kind":"a","payload":{}})"
                              "\n"
                              R"({"run_id":"r1","kind":"b","payload":{}})"
                              "\n"
                              R"({"run_id":"r1","kind":"c","payload":"not an object"})"
                              "\n";
    CliResult r = cli.run({"append", cli.db(), "--jsonl", "-"}, input);
    CHECK(r.exit_code == 1);
    CHECK(r.err == "error: line 3: payload is not a JSON object\n");
    CHECK(r.out.empty());
    CHECK(cli.ok_json({"events", cli.db(), "r1", "--json"}).size() == 1);
    CHECK(cli.ok_json({"show", cli.db(), "r1", "--json"})["event_count"] == 1);
  }

  TEST_CASE(
      "JSONL line numbers count blank lines; bad JSON, unknown fields and missing fields are "
      "named") {
    Cli cli;
    cli.init_with_run();
    const std::string good = R"({"run_id":"r1","kind":"a","payload":{}})";
    struct Case {
      std::string line;
      std::string error;
    };
    const std::vector<Case> cases = {
        {"{not json", "error: line 3 is not valid JSON (byte 3) syntax error while parsing object key - invalid "
                      "literal; last read: '{no'; expected string literal\n"},
        {"1e999", "error: line 3 is not valid JSON (byte 5) number overflow parsing '1e999'\n"},
        {"[1]", "error: line 3: not a JSON object\n"},
        {R"({"run_id":"r1","kind":"a","payload":[]})", "error: line 3: payload is not a JSON object\n"},
        {R"({"kind":"a","payload":{}})", "error: line 3: missing \"run_id\"\n"},
        {R"({"run_id":"r1","kind":7,"payload":{}})", "error: line 3: kind is not a string\n"},
        {R"({"run_id":"r1","kind":"a","payload":{},"expect_seq":1})",
         "error: line 3: unknown field \"expect_seq\"\n"},
        {R"({"run_id":"r1","kind":"a","payload":{},"expected_seq":"1"})",
         "error: line 3: expected_seq is not an integer\n"},
        {R"({"run_id":"r1","kind":"a","payload":{},"idempotency_key":5})",
         "error: line 3: idempotency_key is not a string\n"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.line);
      CliResult r = cli.run({"append", cli.db(), "--jsonl", "-"}, good + "\n\n" + c.line + "\n");
      CHECK(r.exit_code == 1);
      CHECK(r.err == c.error);
    }
    CHECK(cli.ok_json({"events", cli.db(), "r1", "--json"}).size() == 1);
  }

  TEST_CASE("a batch the library rejects (unknown run on a later line) writes nothing") {
    Cli cli;
    cli.init_with_run();
    CliResult r = cli.run({"append", cli.db(), "--jsonl", "-"},
                          R"({"run_id":"r1","kind":"a","payload":{}})"
                          "\n"
                          R"({"run_id":"ghost","kind":"b","payload":{}})"
                          "\n");
    CHECK(r.exit_code == 1);
    CHECK(is_one_error_line(r.err));
    // The library names the refused event; the command line names its line.
    CHECK(r.err.rfind("error: line 2: ", 0) == 0);
    CHECK(r.err.find("ghost") != std::string::npos);
    CHECK(r.out.empty());
    CHECK(cli.ok_json({"events", cli.db(), "r1", "--json"}).size() == 1);
    CHECK(cli.ok_json({"runs", cli.db(), "--json"}).size() == 1);
  }

  TEST_CASE("a stale expected_seq in a batch rejects it all") {
    Cli cli;
    cli.init_with_run();
    CliResult r = cli.run({"append", cli.db(), "--jsonl", "-"},
                          R"({"run_id":"r1","kind":"a","payload":{},"expected_seq":1})"
                          "\n"
                          R"({"run_id":"r1","kind":"b","payload":{},"expected_seq":1})"
                          "\n");
    CHECK(r.exit_code == 1);
    CHECK(is_one_error_line(r.err));
    CHECK(cli.ok_json({"events", cli.db(), "r1", "--json"}).size() == 1);
  }

  // The command parses a chunk of lines while the journal writes the chunk
  // before (4,096 lines each): errors far into a large input must still
  // name their line and leave nothing written.
  TEST_CASE("a large batch is written whole, and an error in a late chunk names its line and writes nothing") {
    Cli cli;
    cli.init_with_run();
    constexpr int kLines = 10'000;
    std::string good;
    for (int i = 0; i < kLines; ++i) good += R"({"run_id":"r1","kind":"tool_called","payload":{"i":)" + std::to_string(i) + "}}\n";

    std::string bad_json = good;
    bad_json += "{not json\n";
    CliResult r = cli.run({"append", cli.db(), "--jsonl", "-"}, bad_json);
    CHECK(r.exit_code == 1);
    CHECK(r.err.rfind("error: line " + std::to_string(kLines + 1) + " is not valid JSON (byte 3) ", 0) == 0);
    CHECK(cli.ok_json({"show", cli.db(), "r1", "--json"})["event_count"] == 1);

    std::string ghost = good;
    ghost += R"({"run_id":"ghost","kind":"b","payload":{}})" "\n";
    r = cli.run({"append", cli.db(), "--jsonl", "-"}, ghost);
    CHECK(r.exit_code == 1);
    CHECK(r.err.rfind("error: line " + std::to_string(kLines + 1) + ": ", 0) == 0);
    CHECK(cli.ok_json({"show", cli.db(), "r1", "--json"})["event_count"] == 1);

    const std::string out = cli.ok({"append", cli.db(), "--jsonl", "-", "--each"}, good);
    CHECK(std::count(out.begin(), out.end(), '\n') == kLines);
    const std::string last = std::to_string(kLines + 1) + " " + std::to_string(kLines + 1) + "\n";  // seq, position
    CHECK(out.substr(out.size() - last.size()) == last);
    CHECK(cli.ok_json({"show", cli.db(), "r1", "--json"})["event_count"] == kLines + 1);
  }

  // Refused at its first line while the reader is still chunks ahead (and
  // blocked on a full queue): the command must stop the reader and return.
  TEST_CASE("a large batch refused at its first line stops reading, names the line and writes nothing") {
    Cli cli;
    cli.init_with_run();
    std::string input = R"({"run_id":"ghost","kind":"a"})" "\n";
    for (int i = 0; i < 40'000; ++i) input += R"({"run_id":"r1","kind":"tool_called"})" "\n";
    CliResult r = cli.run({"append", cli.db(), "--jsonl", "-"}, input);
    CHECK(r.exit_code == 1);
    CHECK(r.err.rfind("error: line 1: ", 0) == 0);
    CHECK(r.out.empty());
    CHECK(cli.ok_json({"show", cli.db(), "r1", "--json"})["event_count"] == 1);
  }

  TEST_CASE("a JSONL line without a payload (or with a null one) appends an empty payload") {
    Cli cli;
    cli.init_with_run();
    CHECK(cli.ok({"append", cli.db(), "--jsonl", "-"},
                 R"({"run_id":"r1","kind":"run_started"})"
                 "\n"
                 R"({"run_id":"r1","kind":"note","payload":null})"
                 "\n") == "appended 2 events to 1 run (positions 2..3)\n");
    const json events = cli.ok_json({"events", cli.db(), "r1", "--json"});
    REQUIRE(events.size() == 3);
    CHECK(events[1]["payload"] == json::object());
    CHECK(events[2]["payload"] == json::object());
  }

  TEST_CASE("an empty batch writes nothing and succeeds; a missing file is an error") {
    Cli cli;
    cli.init_with_run();
    CHECK(cli.ok({"append", cli.db(), "--jsonl", "-"}, "\n  \n") == "appended 0 events\n");
    CliResult r = cli.run({"append", cli.db(), "--jsonl", cli.file("absent.jsonl").string()});
    CHECK(r.exit_code == 1);
    CHECK(is_one_error_line(r.err));
    CHECK(cli.ok_json({"events", cli.db(), "r1", "--json"}).size() == 1);
  }
}

TEST_SUITE("cli: complete, fail, cancel") {
  TEST_CASE("complete records result and outputs and prints seq and position") {
    Cli cli;
    cli.init_with_run();
    CHECK(cli.ok({"complete", cli.db(), "r1", "--result", "tests pass", "--outputs",
                  R"({"files":2})"}) == "2 2\n");
    json run = cli.ok_json({"show", cli.db(), "r1", "--json"});
    CHECK(run["status"] == "completed");
    CHECK(run["result_text"] == "tests pass");
    CHECK(run["outputs"] == json{{"files", 2}});
    CHECK(run["finished_at_ms"].is_number_integer());
  }

  TEST_CASE("fail needs --error and records it") {
    Cli cli;
    cli.init_with_run();
    CliResult missing = cli.run({"fail", cli.db(), "r1"});
    CHECK(missing.exit_code == 2);
    CHECK(is_one_error_line(missing.err));
    json event = cli.ok_json({"fail", cli.db(), "r1", "--error", "compiler crashed", "--json"});
    CHECK(event["kind"] == "run_failed");
    CHECK(event["payload"] == json{{"error", "compiler crashed"}});
    json run = cli.ok_json({"show", cli.db(), "r1", "--json"});
    CHECK(run["status"] == "failed");
    CHECK(run["error"] == "compiler crashed");
  }

  TEST_CASE("cancel records its reason") {
    Cli cli;
    cli.init_with_run();
    cli.ok({"cancel", cli.db(), "r1", "--reason", "user pressed stop"});
    json run = cli.ok_json({"show", cli.db(), "r1", "--json"});
    CHECK(run["status"] == "cancelled");
    CHECK(run["status_reason"] == "user pressed stop");
  }

  TEST_CASE("finishing a finished run records the event, keeps the status and notes it on stderr") {
    Cli cli;
    cli.init_with_run();
    cli.ok({"fail", cli.db(), "r1", "--error", "boom"});
    CliResult r = cli.run({"complete", cli.db(), "r1", "--result", "late"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "3 3\n");
    CHECK(r.err.rfind("note: run r1 was already failed", 0) == 0);
    CHECK(r.err.find('\n') == r.err.size() - 1);
    json run = cli.ok_json({"show", cli.db(), "r1", "--json"});
    CHECK(run["status"] == "failed");
    CHECK(run["event_count"] == 3);
    CHECK(run["error"] == "boom");
  }

  TEST_CASE("finishing an unknown run exits 1") {
    Cli cli;
    cli.init_with_run();
    for (const char* verb : {"complete", "cancel"}) {
      CliResult r = cli.run({verb, cli.db(), "ghost"});
      CHECK(r.exit_code == 1);
      CHECK(is_one_error_line(r.err));
    }
  }
}

TEST_SUITE("cli: show, runs, events") {
  TEST_CASE("show prints aligned key: value lines with readable UTC times") {
    Cli cli;
    cli.init_with_run();
    cli.ok({"complete", cli.db(), "r1", "--result", "line one\nline two"});
    json run = cli.ok_json({"show", cli.db(), "r1", "--json"});
    const std::vector<std::string> lines = lines_of(cli.ok({"show", cli.db(), "r1"}));
    REQUIRE(lines.size() == 20);
    const std::size_t value_column = lines[0].find("r1");
    for (const std::string& line : lines) {
      CAPTURE(line);
      const std::size_t colon = line.find(':');
      REQUIRE(colon != std::string::npos);
      CHECK(line.find_first_not_of(' ', colon + 1) == value_column);
    }
    CHECK(lines[0].rfind("run_id:", 0) == 0);
    CHECK(lines[2] == "status:" + std::string(value_column - 7, ' ') + "completed");
    CHECK(lines[7] == "result_text:" + std::string(value_column - 12, ' ') + "line one\\nline two");
    CHECK(lines[8].substr(value_column) == "-");  // error: none
    CHECK(lines[12].substr(value_column) == iso_utc(run["created_at_ms"].get<std::int64_t>()));
    CHECK(lines[14].substr(value_column) == iso_utc(run["finished_at_ms"].get<std::int64_t>()));
    CHECK(has_shape(lines[13].substr(value_column), kIsoShape));
  }

  TEST_CASE("show of an unknown run exits 1") {
    Cli cli;
    cli.init_with_run();
    CliResult r = cli.run({"show", cli.db(), "ghost"});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "error: no run ghost in " + cli.db() + "\n");
    CHECK(r.out.empty());
  }

  TEST_CASE("runs prints an aligned table and truncates long prompts, but not in --json") {
    Cli cli;
    cli.ok({"init", cli.db()});
    const std::string long_prompt(200, 'p');
    cli.ok({"start", cli.db(), "--session", "s1", "--id", "r1", "--prompt", "short"});
    cli.ok(
        {"start", cli.db(), "--session", "session-2", "--id", "run-two", "--prompt", long_prompt});
    cli.ok({"complete", cli.db(), "r1"});
    const std::vector<std::string> lines = lines_of(cli.ok({"runs", cli.db(), "--oldest-first"}));
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] ==
          "RUN_ID   SESSION    STATUS     EVENTS  CREATED                   FINISHED                  DURATION  PROMPT");
    json runs = cli.ok_json({"runs", cli.db(), "--json", "--oldest-first"});
    REQUIRE(runs.size() == 2);
    const std::size_t duration = lines[0].find("DURATION");
    CHECK(lines[1].rfind("r1       s1         completed       2  " +
                             iso_utc(runs[0]["created_at_ms"].get<std::int64_t>()) + "  " +
                             iso_utc(runs[0]["finished_at_ms"].get<std::int64_t>()) + "  ",
                         0) == 0);
    CHECK(lines[1].substr(duration + 8) == "  short");
    CHECK(lines[2].rfind("run-two  session-2  created         1  " +
                             iso_utc(runs[1]["created_at_ms"].get<std::int64_t>()) + "  -" + std::string(25, ' '),
                         0) == 0);
    CHECK(lines[2].substr(duration + 8) == "  " + std::string(47, 'p') + "…");
    CHECK(runs[1]["prompt"] == long_prompt);
  }

  TEST_CASE("runs filters by --status and --session and stops at --limit") {
    Cli cli;
    cli.ok({"init", cli.db()});
    cli.ok({"start", cli.db(), "--session", "a", "--id", "r1"});
    cli.ok({"start", cli.db(), "--session", "b", "--id", "r2"});
    cli.ok({"start", cli.db(), "--session", "a", "--id", "r3"});
    cli.ok({"cancel", cli.db(), "r3"});
    auto ids = [&](const std::vector<std::string>& extra) {
      std::vector<std::string> args = {"runs", cli.db(), "--json"};
      args.insert(args.end(), extra.begin(), extra.end());
      std::vector<std::string> out;
      for (const json& run : cli.ok_json(args)) {
        out.push_back(run["run_id"].get<std::string>());
      }
      return out;
    };
    CHECK(ids({}) == std::vector<std::string>{"r3", "r2", "r1"});  // newest first
    CHECK(ids({"--status", "cancelled"}) == std::vector<std::string>{"r3"});
    CHECK(ids({"--session", "a"}) == std::vector<std::string>{"r3", "r1"});
    CHECK(ids({"--session", "a", "--status", "created"}) == std::vector<std::string>{"r1"});
    CHECK(ids({"--limit", "2"}) == std::vector<std::string>{"r3", "r2"});
    CHECK(ids({"--limit", "2", "--oldest-first"}) == std::vector<std::string>{"r1", "r2"});
  }

  TEST_CASE("runs with a --status that is not a status, or a bad --limit, is a usage error") {
    Cli cli;
    cli.init_with_run();
    for (const std::vector<std::string>& extra :
         {std::vector<std::string>{"--status", "running"}, {"--limit", "abc"}, {"--limit", "0"}}) {
      CAPTURE(extra[1]);
      std::vector<std::string> args = {"runs", cli.db()};
      args.insert(args.end(), extra.begin(), extra.end());
      CliResult r = cli.run(args);
      CHECK(r.exit_code == 2);
      CHECK(is_one_error_line(r.err));
      CHECK(r.out.empty());
    }
  }

  TEST_CASE("events prints a table with readable times and truncated payloads, full in --json") {
    Cli cli;
    cli.init_with_run();
    const json big = {{"text", std::string(300, 'x')}};
    cli.ok({"append", cli.db(), "r1", "tool_called", big.dump()});
    const std::vector<std::string> lines = lines_of(cli.ok({"events", cli.db(), "r1"}));
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == "SEQ  POSITION  TIME                      KIND         PAYLOAD");
    json events = cli.ok_json({"events", cli.db(), "r1", "--json"});
    CHECK(events[1]["payload"] == big);
    auto time_of = [&](int i) { return iso_utc(events[i]["ts_ms"].get<std::int64_t>()); };
    // run_created carries its driver, so even its payload is cut at the width.
    CHECK(lines[1].rfind("  1         1  " + time_of(0) + "  run_created  {\"driver\":", 0) == 0);
    CHECK(lines[2] == "  2         2  " + time_of(1) + "  tool_called  {\"text\":\"" +
                          std::string(54, 'x') + "…");
  }

  TEST_CASE("events shows a KEY column only when some event has an idempotency key") {
    Cli cli;
    cli.init_with_run();
    cli.ok({"append", cli.db(), "r1", "step_started", "--key", "step-1"});
    const std::vector<std::string> lines = lines_of(cli.ok({"events", cli.db(), "r1"}));
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == "SEQ  POSITION  TIME                      KIND          KEY     PAYLOAD");
    CHECK(lines[1].find("  -       {") != std::string::npos);
    CHECK(lines[2].find("  step-1  {}") != std::string::npos);
  }

  TEST_CASE("events of an unknown run exits 1") {
    Cli cli;
    cli.init_with_run();
    CliResult r = cli.run({"events", cli.db(), "ghost", "--json"});
    CHECK(r.exit_code == 1);
    CHECK(is_one_error_line(r.err));
    CHECK(r.out.empty());
  }

  TEST_CASE("table lines never end in blanks, even when the last cell is empty") {
    Cli cli;
    cli.ok({"init", cli.db()});
    cli.ok({"start", cli.db(), "--session", "s1", "--id", "r1"});  // no prompt
    for (const std::string& line : lines_of(cli.ok({"runs", cli.db()}))) {
      CAPTURE(line);
      REQUIRE_FALSE(line.empty());
      CHECK(line.back() != ' ');
    }
  }

  TEST_CASE("control characters in stored text cannot reach the terminal raw") {
    Cli cli;
    cli.ok({"init", cli.db()});
    cli.ok({"start", cli.db(), "--session", "s1", "--id", "r1", "--prompt", "a\x1b[31mred\tb"});
    const std::string table = cli.ok({"runs", cli.db()});
    CHECK(table.find('\x1b') == std::string::npos);
    CHECK(table.find("a\\x1b[31mred\\tb") != std::string::npos);
    CHECK(cli.ok_json({"show", cli.db(), "r1", "--json"})["prompt"] == "a\x1b[31mred\tb");
  }
}

TEST_SUITE("cli: rebuild, verify") {
  TEST_CASE("rebuild prints the counts it rebuilt") {
    Cli cli;
    cli.init_with_run("r1");
    cli.ok({"start", cli.db(), "--session", "s1", "--id", "r2"});
    cli.ok({"append", cli.db(), "r1", "tool_called"});
    CHECK(cli.ok({"rebuild", cli.db()}) == "rebuilt 2 runs from 3 events\n");
    CHECK(cli.ok_json({"rebuild", cli.db(), "--json"}) == json{{"runs", 2}, {"events", 3}});
  }

  TEST_CASE("verify passes on a consistent journal") {
    Cli cli;
    cli.init_with_run();
    cli.ok({"append", cli.db(), "r1", "tool_called"});
    CHECK(cli.ok({"verify", cli.db()}) == "ok: 1 runs and 2 events checked\n");
    json report = cli.ok_json({"verify", cli.db(), "--json"});
    CHECK(report["ok"] == true);
    CHECK(report["problems"] == json::array());
  }

  TEST_CASE(
      "verify prints each problem and exits 1 when runs disagrees with events; rebuild repairs "
      "it") {
    Cli cli;
    cli.init_with_run();
    {
      SQLite::Database db(cli.db(), SQLite::OPEN_READWRITE);
      db.exec("UPDATE runs SET status = 'failed', error = 'tampered' WHERE run_id = 'r1'");
    }
    CliResult r = cli.run({"verify", cli.db()});
    CHECK(r.exit_code == 1);
    CHECK(is_one_error_line(r.err));
    CHECK_FALSE(r.out.empty());
    CHECK(r.out.find("ok:") == std::string::npos);
    CliResult as_json = cli.run({"verify", cli.db(), "--json"});
    CHECK(as_json.exit_code == 1);
    json report = json::parse(as_json.out);
    CHECK(report["ok"] == false);
    CHECK(report["problems"].size() == lines_of(r.out).size());

    cli.ok({"rebuild", cli.db()});
    CHECK(cli.run({"verify", cli.db()}).exit_code == 0);
    CHECK(cli.ok_json({"show", cli.db(), "r1", "--json"})["status"] == "created");
  }
}

TEST_SUITE("json conversion") {
  runjournal::Run sample_run() {
    runjournal::Run run;
    run.run_id = "r1";
    run.session_id = "s1";
    run.status = runjournal::RunStatus::Failed;
    run.prompt = "fix";
    run.inputs = {{"a", 1}};
    run.metadata = json::array({1, "two"});
    run.error = "boom";
    run.checkpoint_id = "c1";
    run.checkpoint = {{"checkpoint_id", "c1"}};
    run.created_at_ms = 1'700'000'000'000;
    run.updated_at_ms = 1'700'000'000'005;
    run.finished_at_ms = 1'700'000'000'005;
    run.first_position = 3;
    run.event_count = 4;
    run.last_seq = 4;
    run.last_position = 9;
    return run;
  }

  TEST_CASE("a run becomes an object keyed by the runs columns, with JSON values and nulls") {
    json j = runjournal::to_json(sample_run());
    CHECK(j.size() == 28);
    CHECK(j["forked_from_run"].is_null());
    CHECK(j["forked_from_seq"].is_null());
    CHECK(j["status"] == "failed");
    CHECK(j["inputs"] == json{{"a", 1}});
    CHECK(j["metadata"] == json::array({1, "two"}));
    CHECK(j["outputs"].is_null());
    CHECK(j["result_text"].is_null());
    CHECK(j["status_reason"].is_null());
    CHECK(j["finished_at_ms"] == 1'700'000'000'005);
    CHECK(runjournal::run_from_json(j) == sample_run());
  }

  TEST_CASE("an event round-trips, and a missing key is null") {
    runjournal::Event event{7,           "r1", 2, 1'700'000'000'001, "tool_called", {{"x", {1, 2}}},
                            std::nullopt};
    json j = runjournal::to_json(event);
    CHECK(j == json{{"position", 7},
                    {"run_id", "r1"},
                    {"seq", 2},
                    {"ts_ms", 1'700'000'000'001},
                    {"kind", "tool_called"},
                    {"payload", {{"x", {1, 2}}}},
                    {"idempotency_key", nullptr}});
    CHECK(runjournal::event_from_json(j) == event);
    event.idempotency_key = "k";
    CHECK(runjournal::event_from_json(runjournal::to_json(event)) == event);
  }

  TEST_CASE("reading refuses missing, ill-typed and unknown values instead of defaulting") {
    auto rejects_run = [](const json& j) {
      try {
        runjournal::run_from_json(j);
      } catch (const runjournal::Error& e) {
        return e.code() == runjournal::ErrorCode::InvalidArgument;
      }
      return false;
    };
    auto rejects_event = [](const json& j) {
      try {
        runjournal::event_from_json(j);
      } catch (const runjournal::Error& e) {
        return e.code() == runjournal::ErrorCode::InvalidArgument;
      }
      return false;
    };
    const json run = runjournal::to_json(sample_run());
    CHECK(rejects_run(json::array()));
    json no_status = run;
    no_status.erase("status");
    CHECK(rejects_run(no_status));
    json no_outputs = run;
    no_outputs.erase("outputs");
    CHECK(rejects_run(no_outputs));
    json bad_status = run;
    bad_status["status"] = "running";
    CHECK(rejects_run(bad_status));
    json fraction = run;
    fraction["event_count"] = 4.5;
    CHECK(rejects_run(fraction));
    json text_number = run;
    text_number["last_seq"] = "4";
    CHECK(rejects_run(text_number));
    json null_prompt = run;
    null_prompt["prompt"] = nullptr;
    CHECK(rejects_run(null_prompt));
    json huge = run;
    huge["last_position"] = std::uint64_t{1} << 63;
    CHECK(rejects_run(huge));

    const json event =
        runjournal::to_json(runjournal::Event{1, "r1", 1, 5, "run_created", json::object(), {}});
    json string_payload = event;
    string_payload["payload"] = "{}";
    CHECK(rejects_event(string_payload));
    json no_key = event;
    no_key.erase("idempotency_key");
    CHECK(rejects_event(no_key));
    json numeric_key = event;
    numeric_key["idempotency_key"] = 3;
    CHECK(rejects_event(numeric_key));
    json extra = event;
    extra["future_column"] = 1;
    CHECK_FALSE(rejects_event(extra));
  }
}

TEST_SUITE("cli: fork") {
TEST_CASE("runjournal fork prints the new run's id; its usage errors exit 2") {
  Cli cli;
  cli.init_with_run("r1");
  cli.ok({"append", cli.db(), "r1", "run_started"});
  cli.ok({"append", cli.db(), "r1", "checkpoint_saved", R"({"checkpoint_id":"cp-1"})"});
  CHECK(cli.ok({"fork", cli.db(), "r1", "--at", "2", "--id", "f1"}) == "f1\n");
  const json fork = json::parse(cli.ok({"fork", cli.db(), "r1", "--checkpoint", "cp-1", "--json"}));
  CHECK(fork["forked_from_run"] == "r1");
  CHECK(fork["forked_from_seq"] == 3);
  CHECK(cli.run({"fork", cli.db(), "r1"}).exit_code == 2);
  CHECK(cli.run({"fork", cli.db(), "r1", "--at", "2", "--checkpoint", "cp-1"}).exit_code == 2);
  CHECK(cli.run({"fork", cli.db(), "r1", "--at", "0"}).exit_code == 2);
  CHECK(cli.run({"fork", cli.db(), "r1", "--at", "9"}).exit_code == 1);
  CHECK(cli.run({"fork", cli.db(), "ghost", "--at", "1"}).exit_code == 1);
}
}
