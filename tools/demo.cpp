// runjournal-demo: an agent host that crashes in the middle of a run and is
// picked up by the next process from the journal alone.
//
//   runjournal-demo DIR          play the whole story (what the README runs)
//   runjournal-demo host JOURNAL     the agent process (killed midway)
//   runjournal-demo resume JOURNAL   the restarted process
//
// The story: the host journals a run (planning, steps, tool calls, a
// checkpoint after each step), and is killed with SIGKILL halfway. A new
// process reopens the journal and asks recover() which runs were cut off:
// it finds the run, whose driver (the killed host) is gone, with its last
// checkpoint; it resumes it from there (run_resumed makes it the driver)
// and completes it. Then the stock `sqlite3` shell answers a question about
// what happened, drivers included.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <runjournal/journal.hpp>

extern char** environ;

namespace {

using nlohmann::json;
using runjournal::Journal;

constexpr int kSteps = 5;
const char* const kTools[kSteps] = {"search_docs", "read_file", "run_tests", "edit_file", "run_tests"};

// One step of the pretend agent: start, call a tool, save a checkpoint.
// `pace` stands for the time the model and the tool take.
void play_step(Journal& journal, const std::string& run_id, int step, std::chrono::milliseconds pace) {
  journal.append(run_id, "step_started", {{"step", step}});
  std::this_thread::sleep_for(pace);
  journal.append(run_id, "tool_called", {{"step", step}, {"tool_name", kTools[step - 1]}});
  std::this_thread::sleep_for(pace);
  journal.append(run_id, "tool_result", {{"step", step}, {"ok", true}});
  std::this_thread::sleep_for(pace);
  journal.save_checkpoint(run_id, "cp-" + std::to_string(step), {{"step", step}, {"next_step", step + 1}});
}

int host(const std::string& path) {
  Journal journal = Journal::open(path);
  // A runner reservation: refused if the session's runner were still running.
  runjournal::Run run = journal.reserve(
      {.session_id = "demo-session", .prompt = "Make the failing tests pass", .inputs = {{"repo", "acme/app"}}});
  std::printf("host: pid %d drives run %s\n", static_cast<int>(getpid()), run.run_id.c_str());
  // Plan first, then execute: step and tool events do not end planning,
  // run_started does.
  journal.append(run.run_id, "planning_started", {{"plan", "search, read, test, edit, test"}});
  journal.append(run.run_id, "run_started");
  for (int step = 1; step <= kSteps; ++step) {
    play_step(journal, run.run_id, step, std::chrono::milliseconds(50));
    // Tell the parent how far we got; it pulls the plug during step 4.
    std::printf("host: step %d done, checkpoint cp-%d saved\n", step, step);
    std::fflush(stdout);
  }
  journal.append(run.run_id, "run_completed", {{"result_text", "never reached in the demo"}});
  return 0;
}

int resume(const std::string& path) {
  Journal journal = Journal::open(path, {.create_if_missing = false});
  // Which runs were cut off? Those not finished whose driver is gone: here
  // the killed host (its pid no longer runs with its start time).
  const std::vector<runjournal::RecoveredRun> found = journal.recover();
  std::printf("resume: pid %d asks recover(): %zu run(s) cut off\n", static_cast<int>(getpid()), found.size());
  for (const runjournal::RecoveredRun& cut : found) {
    const runjournal::Run& run = cut.run;
    const int next = cut.checkpoint ? cut.checkpoint->state.value("next_step", 1) : 1;
    std::printf("resume: run %s (status %s, %lld events, silent %lld ms): %s\n", run.run_id.c_str(),
                std::string(runjournal::to_string(run.status)).c_str(), static_cast<long long>(run.event_count),
                static_cast<long long>(cut.silent_ms), cut.why.c_str());
    std::printf("resume: latest checkpoint %s = %s; resuming at step %d\n",
                cut.checkpoint ? cut.checkpoint->checkpoint_id.c_str() : "none",
                cut.checkpoint ? cut.checkpoint->state.dump().c_str() : "{}", next);
    journal.resume_run(run.run_id, {{"from_checkpoint", cut.checkpoint ? cut.checkpoint->checkpoint_id : ""}});
    for (int step = next; step <= kSteps; ++step) play_step(journal, run.run_id, step, {});
    const runjournal::Run done =
        journal.finish(run.run_id, {.outcome = runjournal::ExecutionResult::Outcome::Ok,
                                    .result_text = "all tests pass",
                                    .outputs = {{"files_changed", 1}}});
    std::printf("resume: run %s is %s: %s (live checkpoint now: %s)\n", done.run_id.c_str(),
                std::string(runjournal::to_string(done.status)).c_str(), done.result_text.value_or("").c_str(),
                done.checkpoint_id.value_or("none").c_str());
  }
  if (!journal.recover().empty()) return 1;  // nothing may be left behind
  return 0;
}

pid_t spawn(const std::vector<std::string>& args, int stdout_fd) {
  std::fflush(stdout);  // our lines first, then the child's, also when piped
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stdout_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

int story(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const std::string journal = (dir / "demo.journal").string();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(journal + suffix);
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();

  std::printf("== 1. a host process journals an agent run into %s\n", journal.c_str());
  int fds[2];
  if (pipe(fds) != 0) return 1;
  const pid_t host_pid = spawn({self, "host", journal}, fds[1]);
  close(fds[1]);
  if (host_pid < 0) return 1;
  FILE* from_host = fdopen(fds[0], "r");
  char line[256];
  while (std::fgets(line, sizeof line, from_host)) {
    std::fputs(line, stdout);
    if (std::string(line).find("step 3 done") != std::string::npos) break;
  }
  std::printf("== 2. the host is killed with SIGKILL in the middle of step 4\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(75));
  kill(host_pid, SIGKILL);
  const int status = wait_for(host_pid);
  std::fclose(from_host);
  std::printf("host: %s\n", WIFSIGNALED(status) ? "killed by SIGKILL" : "exited on its own (unexpected)");

  std::printf("== 3. a new process reopens the journal, asks recover() for cut-off runs, and resumes from the checkpoint\n");
  if (wait_for(spawn({self, "resume", journal}, -1)) != 0) return 1;

  std::printf("== 4. the stock sqlite3 shell: what did the run do, and what happened around the crash?\n");
  const std::string query =
      "SELECT seq, kind, coalesce(json_extract(payload, '$.step'), json_extract(payload, '$.state.step')) AS step, "
      "json_extract(payload, '$.driver.pid') AS driver_pid, "
      "coalesce(json_extract(payload, '$.tool_name'), json_extract(payload, '$.checkpoint_id'), "
      "json_extract(payload, '$.from_checkpoint'), json_extract(payload, '$.result_text'), '') AS detail "
      "FROM events WHERE kind IN ('run_created', 'tool_called', 'checkpoint_saved', 'run_resumed', 'run_completed') "
      "ORDER BY position;";
  std::printf("$ sqlite3 -box %s \"%s\"\n", journal.c_str(), query.c_str());
  std::fflush(stdout);
  if (wait_for(spawn({"sqlite3", "-box", journal, query}, -1)) != 0) return 1;
  const std::string summary =
      "SELECT status, event_count, result_text, driver_pid, checkpoint_id, "
      "(SELECT count(*) FROM events e WHERE e.run_id = runs.run_id AND e.kind = 'tool_called') AS tool_calls "
      "FROM runs;";
  std::printf("$ sqlite3 -box %s \"%s\"\n", journal.c_str(), summary.c_str());
  std::fflush(stdout);
  return wait_for(spawn({"sqlite3", "-box", journal, summary}, -1)) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 2 && args[0] == "host") return host(args[1]);
    if (args.size() == 2 && args[0] == "resume") return resume(args[1]);
    // An option is never a directory name: "--help" would make ./--help/.
    if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
      std::printf("usage: runjournal-demo DIR\n  plays the story in DIR (created if missing)\n");
      return 0;
    }
    if (args.size() == 1 && !args[0].empty() && args[0][0] != '-') return story(args[0]);
    std::fprintf(stderr, "usage: runjournal-demo DIR\n");
    return 2;
  } catch (const runjournal::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
