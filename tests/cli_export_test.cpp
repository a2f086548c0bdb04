// cli_export_test.cpp — `runjournal export --format otlp-json` as a real
// subprocess: the traces it writes read back to the OTLP specification
// (otlp_reader.hpp), the summary it prints, and bad input refused with
// exit 1 or 2 and no file left behind.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include <runjournal/otlp.hpp>

#include "cli_support.hpp"
#include "otlp_reader.hpp"

namespace {

using runjournal::test::Cli;
using runjournal::test::CliResult;

// Two runs: r1 with a tool call, finished; r2 live.
void two_runs(Cli& cli) {
  cli.init_with_run("r1");
  cli.ok({"append", cli.db(), "r1", "tool_started", R"({"tool_name":"search","tool_call_id":"c1"})"});
  cli.ok({"append", cli.db(), "r1", "tool_result", R"({"tool_call_id":"c1","result":"3 hits"})"});
  cli.ok({"complete", cli.db(), "r1", "--result", "done"});
  cli.ok({"start", cli.db(), "--session", "s2", "--id", "r2"});
}

std::string journal_id(Cli& cli) {
  return cli.ok_json({"stats", cli.db(), "--json"})["journal_id"].get<std::string>();
}

}  // namespace

TEST_SUITE("cli: export --format otlp-json") {
  TEST_CASE("-o FILE gets a trace per run, and the summary says how many spans") {
    Cli cli;
    two_runs(cli);
    const std::string file = cli.file("traces.jsonl").string();
    const std::string out = cli.ok({"export", cli.db(), "--format", "otlp-json", "-o", file});
    CHECK(out == "exported 2 runs as traces (3 spans, 0 span events) to " + file + "\n");
    const runjournal::test::OtlpFile traces = runjournal::test::read_otlp_file(runjournal::test::read_file(file));
    REQUIRE(traces.lines.size() == 2);
    const std::string id = journal_id(cli);
    const auto& r1 = traces.traces.at(runjournal::otlp_trace_id(id, "r1"));
    REQUIRE(r1.size() == 2);
    CHECK(r1[0].status_code == 1);
    CHECK(r1[1].name == "execute_tool search");
    CHECK(r1[1].attributes["gen_ai.tool.call.result"] == "3 hits");
    CHECK(traces.traces.count(runjournal::otlp_trace_id(id, "r2")) == 1);
  }

  TEST_CASE("--run RUN writes that run's trace to stdout; --service-name names the service") {
    Cli cli;
    two_runs(cli);
    const std::string out =
        cli.ok({"export", cli.db(), "--format", "otlp-json", "--run", "r2", "--service-name", "agents"});
    const runjournal::test::OtlpFile traces = runjournal::test::read_otlp_file(out);
    REQUIRE(traces.lines.size() == 1);
    CHECK(traces.lines[0].resource["service.name"] == "agents");
    CHECK(traces.traces.begin()->first == runjournal::otlp_trace_id(journal_id(cli), "r2"));
  }

  TEST_CASE("an unknown --run exits 1 with one error line and leaves no file, in either format") {
    Cli cli;
    two_runs(cli);
    for (const std::string format : {"otlp-json", "jsonl"}) {
      INFO(format);
      const std::string file = cli.file("out-" + format).string();
      const CliResult r = cli.run({"export", cli.db(), "--format", format, "--run", "nope", "-o", file});
      CHECK(r.exit_code == 1);
      CHECK(runjournal::test::is_one_error_line(r.err));
      CHECK(r.err.find("nope") != std::string::npos);
      CHECK(!std::filesystem::exists(file));
    }
  }

  TEST_CASE("an unknown --format is a usage error (exit 2) that names the formats and leaves no file") {
    Cli cli;
    two_runs(cli);
    const std::string file = cli.file("out").string();
    const CliResult r = cli.run({"export", cli.db(), "--format", "otlp", "-o", file});
    CHECK(r.exit_code == 2);
    CHECK(runjournal::test::is_one_error_line(r.err));
    CHECK(r.err.find("jsonl or otlp-json") != std::string::npos);
    CHECK(!std::filesystem::exists(file));
  }

  TEST_CASE("the default format is still jsonl: records that import reads back") {
    Cli cli;
    two_runs(cli);
    const std::string file = cli.file("runs.jsonl").string();
    CHECK(cli.ok({"export", cli.db(), "-o", file}) == "exported 2 runs (5 events) to " + file + "\n");
    const std::string other = cli.file("other.journal").string();
    cli.ok({"init", other});
    CHECK(cli.ok({"import", other, file}).find("imported 2 runs (5 events)") == 0);
  }
}
