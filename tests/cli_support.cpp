#include "cli_support.hpp"

#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "process.hpp"

extern char** environ;

namespace runjournal::test {

Cli::Cli() : db_(dir_.file("agent.journal").string()) {}

CliResult Cli::run(const std::vector<std::string>& args, const std::string& input) {
  std::vector<std::string> argv = {RUNJOURNAL_CLI};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv, input);
}

CliResult Cli::run_program(const std::vector<std::string>& argv, const std::string& input) {
  return spawn(argv, input, true);
}

CliResult Cli::run_discarding_output(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {RUNJOURNAL_CLI};
  argv.insert(argv.end(), args.begin(), args.end());
  return spawn(argv, "", false, /*measuring_memory=*/true);
}

namespace {

// The environment for a child whose peak memory is measured: as ours, but
// under AddressSanitizer with no quarantine. ASan holds freed blocks in a
// 256 MB quarantine to catch use after free, so a program that streams
// 1M rows through short-lived strings peaks at the quarantine's size
// (284-466 MB measured) however little it holds; without it the peak is
// what the program holds (about 32 MB). Other builds ignore ASAN_OPTIONS.
std::vector<std::string> measuring_environment() {
  std::vector<std::string> env;
  std::string asan = "ASAN_OPTIONS=";
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    if (entry.rfind("ASAN_OPTIONS=", 0) == 0) {
      asan = entry + ":";
    } else {
      env.push_back(entry);
    }
  }
  env.push_back(asan + "quarantine_size_mb=0:thread_local_quarantine_size_kb=0");
  return env;
}

}  // namespace

CliResult Cli::spawn(const std::vector<std::string>& argv, const std::string& input, bool keep_output,
                     bool measuring_memory) {
  const int n = calls_++;
  const std::filesystem::path in_path = dir_.file("stdin-" + std::to_string(n));
  const std::filesystem::path out_path = keep_output ? dir_.file("stdout-" + std::to_string(n)) : "/dev/null";
  const std::filesystem::path err_path = dir_.file("stderr-" + std::to_string(n));
  write_file(in_path, input);

  // Close-on-exec: the child gets them only as its 0, 1 and 2.
  const int in_fd = ::open(in_path.c_str(), O_RDONLY | O_CLOEXEC);
  const int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE_MESSAGE((in_fd >= 0 && out_fd >= 0 && err_fd >= 0), "cannot open the streams in " << dir_.path());
  const std::vector<std::string> env = measuring_memory ? measuring_environment() : std::vector<std::string>{};
  pid_t pid = -1;
  std::string failure;
  try {
    pid = spawn_process(argv, {.in = in_fd, .out = out_fd, .err = err_fd}, measuring_memory ? &env : nullptr);
  } catch (const std::runtime_error& e) {
    failure = e.what();
  }
  ::close(in_fd);
  ::close(out_fd);
  ::close(err_fd);
  REQUIRE_MESSAGE(failure.empty(), failure);

  const Outcome outcome = wait_process(pid);
  CliResult result;
  result.exit_code = outcome.signal != 0 ? 128 + outcome.signal : outcome.exit_code;
  if (keep_output) result.out = read_file(out_path);
  result.err = read_file(err_path);
  result.max_rss_kb = outcome.max_rss_kb;
  return result;
}

std::string Cli::ok(const std::vector<std::string>& args, const std::string& input) {
  CliResult r = run(args, input);
  INFO("runjournal exited " << r.exit_code << "; stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

nlohmann::json Cli::ok_json(const std::vector<std::string>& args) { return nlohmann::json::parse(ok(args)); }

void Cli::init_with_run(const std::string& run_id) {
  ok({"init", db_});
  ok({"start", db_, "--session", "s1", "--prompt", "fix the tests", "--id", run_id});
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool is_one_error_line(const std::string& err) {
  return err.rfind("error: ", 0) == 0 && err.find('\n') == err.size() - 1;
}

}  // namespace runjournal::test
