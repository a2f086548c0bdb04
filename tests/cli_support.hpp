// cli_support.hpp — running the built `runjournal` command line (RUNJOURNAL_CLI)
// as a real subprocess in tests, against a journal of the test's own.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace runjournal::test {

struct CliResult {
  int exit_code = -1;  // 128 + the signal when killed by one
  std::string out;
  std::string err;
  long max_rss_kb = 0;  // the process's peak resident memory
};

// One test's journal (agent.journal in a TempDir) and a way to run the
// binary against it. stdin, stdout and stderr go through files, so inputs
// and outputs of any size work.
class Cli {
 public:
  Cli();

  const std::string& db() const { return db_; }
  std::filesystem::path file(const std::string& name) const { return dir_.file(name); }
  const std::filesystem::path& dir() const { return dir_.path(); }

  // Runs `runjournal ARGS…` with `input` on stdin; waits for it.
  CliResult run(const std::vector<std::string>& args, const std::string& input = "");
  // Runs `PROGRAM ARGS…` the same way (a wrapper such as setpriv or script).
  CliResult run_program(const std::vector<std::string>& argv, const std::string& input = "");
  // Runs `runjournal ARGS…` with stdout thrown away (CliResult::out stays
  // empty): for measuring a command's memory, since a child's peak counts
  // the memory of the test that spawned it (posix_spawn shares it until
  // exec), and a big output read back would be counted by the next one.
  // Under AddressSanitizer the child runs without ASan's quarantine, so its
  // peak is what it holds, not what ASan keeps of what it freed.
  CliResult run_discarding_output(const std::vector<std::string>& args);

  // Runs a command that must succeed and returns its stdout.
  std::string ok(const std::vector<std::string>& args, const std::string& input = "");
  nlohmann::json ok_json(const std::vector<std::string>& args);

  // A journal with one run `run_id` in session "s1".
  void init_with_run(const std::string& run_id = "r1");

 private:
  CliResult spawn(const std::vector<std::string>& argv, const std::string& input, bool keep_output,
                  bool measuring_memory = false);

  TempDir dir_;
  std::string db_;
  int calls_ = 0;
};

std::vector<std::string> lines_of(const std::string& text);

// The error contract: exactly one line on stderr, starting "error: ".
bool is_one_error_line(const std::string& err);

}  // namespace runjournal::test
