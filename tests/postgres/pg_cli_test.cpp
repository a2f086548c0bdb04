// pg_cli_test.cpp — the command line with a PostgreSQL URI where it takes
// a journal path: init, start, append, read verbs, sql, stats, verify,
// export into a SQLite file's import, and the missing-journal error, each
// run as the real binary (RUNJOURNAL_CLI) against the fixture's server.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

#include "pg_test_support.hpp"

namespace {

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string quoted(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string slurp(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `runjournal ARGS…` through the shell, stdout and stderr to files.
Outcome cli(const std::vector<std::string>& args) {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string base = rjpg_test::unique_name("rj_pg_cli");
  const auto out = dir / (base + ".out");
  const auto err = dir / (base + ".err");
  std::string command = quoted(RUNJOURNAL_CLI);
  for (const std::string& arg : args) command += " " + quoted(arg);
  command += " >" + quoted(out.string()) + " 2>" + quoted(err.string()) + " </dev/null";
  const int status = std::system(command.c_str());
  Outcome outcome;
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  outcome.out = slurp(out);
  outcome.err = slurp(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return outcome;
}

std::string ok(const std::vector<std::string>& args) {
  const Outcome outcome = cli(args);
  INFO("stderr: " << outcome.err);
  REQUIRE(outcome.exit_code == 0);
  return outcome.out;
}

}  // namespace

TEST_CASE("every verb takes a PostgreSQL URI where it takes a journal path") {
  rjpg_test::ScratchSchema schema;
  const std::string& uri = schema.uri();

  const Outcome missing = cli({"runs", uri});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("no journal at postgresql://") != std::string::npos);

  CHECK(ok({"init", uri}).find("created journal postgresql://") == 0);
  CHECK(ok({"init", uri}).find("journal is ready: postgresql://") == 0);
  const std::string run = ok({"start", uri, "--session", "s1", "--prompt", "fix the tests", "--id", "r1"});
  CHECK(run == "r1\n");
  CHECK(ok({"append", uri, "r1", "tool_called", R"({"tool_name":"search"})"}) == "2 2\n");
  CHECK(ok({"append", uri, "r1", "step", "{}", "--expect-seq", "2", "--key", "k"}) == "3 3\n");
  const Outcome stale = cli({"append", uri, "r1", "step", "{}", "--expect-seq", "1"});
  CHECK(stale.exit_code != 0);
  CHECK(ok({"complete", uri, "r1", "--result", "done"}).size() > 0);

  CHECK(ok({"runs", uri}).find("r1") != std::string::npos);
  CHECK(ok({"show", uri, "r1"}).find("completed") != std::string::npos);
  CHECK(ok({"tail", uri, "--after", "2"}).find("step") != std::string::npos);
  CHECK(ok({"sql", uri, "SELECT count(*) AS n FROM events", "--csv"}).find("4") != std::string::npos);
  CHECK(cli({"sql", uri, "SELECT pg_read_file('/etc/passwd')"}).exit_code != 0);
  CHECK(ok({"stats", uri, "--json"}).find("\"events\": 4") != std::string::npos);
  CHECK(ok({"verify", uri}).size() > 0);

  const auto file = std::filesystem::temp_directory_path() / (rjpg_test::unique_name("rj_pg_cli") + ".journal");
  const auto dump = std::filesystem::temp_directory_path() / (rjpg_test::unique_name("rj_pg_cli") + ".jsonl");
  ok({"export", uri, "-o", dump.string()});
  ok({"init", file.string()});
  ok({"import", file.string(), dump.string()});
  CHECK(ok({"sql", file.string(), "SELECT count(*) AS n FROM events", "--csv"}).find("4") != std::string::npos);
  std::filesystem::remove(file);
  std::filesystem::remove(dump);
}
