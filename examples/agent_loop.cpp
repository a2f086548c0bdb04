// agent_loop.cpp — an agent host whose only persistence is a runjournal journal.
//
//   agent-loop DIR             play the whole story and check its outcome (CI runs this)
//   agent-loop host JOURNAL    a host process, which the story kills mid-run
//
// The host takes prompts and runs a pretend agent on each: one run per
// prompt, and per step a `step_started`, a `tool_called`, a `tool_result` and
// a `checkpoint_saved` holding everything the agent needs to go on (its
// memory and the next step). Nothing else is stored anywhere: after a crash,
// the journal alone says which runs were cut off and where to pick them up.
//
// The story, each part checked:
//   1. a prompt runs to completion;
//   2. a long prompt is cancelled from another thread (a user pressing stop):
//      that thread appends `run_cancelled`, and the agent loop, which reads
//      its run's status at every step, stops;
//   3. a host process is killed with SIGKILL in the middle of a run; the
//      restarted host reopens the journal, finds the run, and resumes it from
//      its last checkpoint without redoing the steps that checkpoint covers.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <future>
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
using runjournal::Run;
using runjournal::RunStatus;

// ---- the pretend agent -------------------------------------------------------

// Everything the agent must carry from one step to the next. It lives in the
// checkpoint payload, so a resumed run restores it from the journal.
struct AgentState {
  int next_step = 1;
  std::vector<std::string> memory;  // one note per finished step

  json to_checkpoint(const std::string& checkpoint_id) const {
    return {{"checkpoint_id", checkpoint_id}, {"next_step", next_step}, {"memory", memory}};
  }
  static AgentState from_checkpoint(const json& checkpoint) {
    AgentState state;
    if (!checkpoint.is_object()) return state;  // no checkpoint yet: start over
    state.next_step = checkpoint.value("next_step", 1);
    state.memory = checkpoint.value("memory", std::vector<std::string>{});
    return state;
  }
};

const std::vector<std::string> kTools = {"search_code", "read_file", "run_tests", "edit_file"};

struct StepHooks {
  std::chrono::milliseconds pace{0};           // stands for the model's and the tool's time
  std::function<void(int step)> after_step;    // called after each checkpoint
};

// Runs steps state.next_step … `steps` of `run_id`, then completes the run.
// Returns the run's status when the loop stopped: Completed, or Cancelled
// when someone cancelled the run between two steps.
RunStatus drive(Journal& journal, const std::string& run_id, AgentState state, int steps,
                const StepHooks& hooks = {}) {
  for (; state.next_step <= steps; ++state.next_step) {
    const int step = state.next_step;
    // The run's status is the journal's, so a cancel from another thread or
    // another process (`runjournal cancel DB RUN`) is seen here.
    // TODO(issue 4): a cancellation token fed by Journal::cancel_if_live.
    const RunStatus status = journal.run(run_id).value().status;
    if (runjournal::is_terminal(status)) return status;

    journal.append(run_id, "step_started", {{"step", step}});
    std::this_thread::sleep_for(hooks.pace);
    const std::string& tool = kTools[static_cast<std::size_t>(step - 1) % kTools.size()];
    journal.append(run_id, "tool_called", {{"step", step}, {"tool_name", tool}, {"arguments", {{"query", "step " + std::to_string(step)}}}});
    std::this_thread::sleep_for(hooks.pace);
    journal.append(run_id, "tool_result", {{"step", step}, {"tool_name", tool}, {"ok", true}});
    state.memory.push_back(tool + "@" + std::to_string(step));

    AgentState after = state;
    after.next_step = step + 1;
    journal.append(run_id, "checkpoint_saved", after.to_checkpoint("cp-" + std::to_string(step)));
    if (hooks.after_step) hooks.after_step(step);
  }
  journal.append(run_id, "run_completed",
                 {{"result_text", "done in " + std::to_string(steps) + " steps"}, {"outputs", {{"memory", state.memory}}}});
  return RunStatus::Completed;
}

Run start_run(Journal& journal, const std::string& prompt) {
  Run run = journal.create_run({.session_id = "agent-session", .prompt = prompt});
  journal.append(run.run_id, "run_started");
  return run;
}

// The runs a previous host left unfinished. This example runs one host per
// journal, so every run that is not terminal was cut off.
// TODO(issue 4): Journal::recover() lists exactly the runs whose driving
// process is gone, which also holds with several hosts on one journal.
std::vector<Run> cut_off_runs(const Journal& journal) {
  std::vector<Run> found;
  runjournal::Page page;
  for (;;) {
    const std::vector<Run> batch = journal.runs({}, page);
    for (const Run& run : batch)
      if (!runjournal::is_terminal(run.status)) found.push_back(run);
    if (batch.size() < page.limit) return found;
    page.after_run_id = batch.back().run_id;
  }
}

// ---- the host process that gets killed ---------------------------------------

constexpr int kCrashSteps = 6;

int host(const std::string& path) {
  Journal journal = Journal::open(path);
  const Run run = start_run(journal, "make the failing tests pass");
  drive(journal, run.run_id, {}, kCrashSteps,
        {.pace = std::chrono::milliseconds(20), .after_step = [](int step) {
           // Tells the parent how far we got; it pulls the plug after step 3.
           std::printf("checkpointed %d\n", step);
           std::fflush(stdout);
         }});
  return 0;
}

// ---- the story -----------------------------------------------------------------

int failures = 0;
void check(bool ok, const std::string& what) {
  std::printf("  %s %s\n", ok ? "ok:  " : "FAIL:", what.c_str());
  if (!ok) ++failures;
}

std::int64_t count_kind(const Journal& journal, const std::string& run_id, const std::string& kind) {
  const std::vector<runjournal::Event> events = journal.events(run_id);
  return std::count_if(events.begin(), events.end(), [&](const runjournal::Event& e) { return e.kind == kind; });
}

void completes(Journal& journal) {
  std::printf("== 1. a prompt, run to completion\n");
  const Run run = start_run(journal, "summarise the changelog");
  drive(journal, run.run_id, {}, 3);
  const Run done = journal.run(run.run_id).value();
  check(done.status == RunStatus::Completed, "the run is completed");
  check(done.outputs.value("memory", json::array()).size() == 3, "its outputs hold one note per step");
  check(!done.checkpoint_id, "a finished run keeps no live checkpoint");
}

void cancelled_from_another_thread(Journal& journal) {
  std::printf("== 2. a long prompt, cancelled from another thread\n");
  const Run run = start_run(journal, "watch CI and fix every failure");
  constexpr int kLongSteps = 200;
  std::promise<void> second_step_done;
  // The "stop" button: another thread, the same Journal (it is thread-safe).
  std::thread stop_button([&journal, &run, ready = second_step_done.get_future()]() mutable {
    ready.wait();
    journal.append(run.run_id, "run_cancelled", {{"reason", "the user pressed stop"}});
  });
  const RunStatus ended = drive(journal, run.run_id, {}, kLongSteps,
                                {.pace = std::chrono::milliseconds(2), .after_step = [&](int step) {
                                   if (step == 2) second_step_done.set_value();
                                 }});
  stop_button.join();
  const Run now = journal.run(run.run_id).value();
  check(ended == RunStatus::Cancelled && now.status == RunStatus::Cancelled, "the loop saw the cancel and stopped");
  check(now.status_reason == "the user pressed stop", "the reason is recorded");
  check(count_kind(journal, run.run_id, "step_started") < kLongSteps, "it stopped before the last step");
}

pid_t spawn(const std::vector<std::string>& args, int stdout_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

void crash_and_resume(const std::string& path) {
  std::printf("== 3. a host killed with SIGKILL mid-run, and the restarted host resuming it\n");
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t child = spawn({std::filesystem::read_symlink("/proc/self/exe").string(), "host", path}, fds[1]);
  close(fds[1]);
  if (child < 0) throw std::runtime_error("cannot start the host process");
  FILE* from_host = fdopen(fds[0], "r");
  char line[64];
  while (std::fgets(line, sizeof line, from_host) && std::string(line) != "checkpointed 3\n") {
  }
  kill(child, SIGKILL);  // in the middle of step 4
  int status = 0;
  waitpid(child, &status, 0);
  std::fclose(from_host);
  check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the host died of SIGKILL");

  // The restarted host: a fresh open, and the journal is all it knows.
  Journal journal = Journal::open(path, {.create_if_missing = false});
  const std::vector<Run> cut_off = cut_off_runs(journal);
  check(cut_off.size() == 1, "one run was cut off");
  for (const Run& run : cut_off) {
    std::printf("  run %s was cut off in status %s; last checkpoint %s\n", run.run_id.c_str(),
                std::string(runjournal::to_string(run.status)).c_str(), run.checkpoint_id.value_or("none").c_str());
    check(run.checkpoint.is_object() && run.checkpoint.value("next_step", 0) >= 4, "its checkpoint covers steps 1-3");
    // Record what happened, then go on from the checkpoint.
    // TODO(issue 4): Journal::interrupt_run / resume_run write these two.
    journal.append(run.run_id, "run_interrupted", {{"reason", "the host process died"}});
    journal.append(run.run_id, "run_resumed", {{"from_checkpoint", run.checkpoint_id.value_or("")}});
    const AgentState restored = AgentState::from_checkpoint(run.checkpoint);
    drive(journal, run.run_id, restored, kCrashSteps);

    const Run done = journal.run(run.run_id).value();
    check(done.status == RunStatus::Completed, "the resumed run completed");
    std::vector<std::string> memory = done.outputs.value("memory", std::vector<std::string>{});
    std::sort(memory.begin(), memory.end());
    check(memory.size() == kCrashSteps && std::adjacent_find(memory.begin(), memory.end()) == memory.end(),
          "its memory holds every step exactly once");
    check(count_kind(journal, run.run_id, "checkpoint_saved") == kCrashSteps,
          "no checkpointed step was done twice");
  }
  check(journal.verify().ok(), "verify: the runs table equals a replay of the events");
}

int story(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "agent.journal").string();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  {
    Journal journal = Journal::open(path);
    completes(journal);
    cancelled_from_another_thread(journal);
  }
  crash_and_resume(path);
  std::printf("%s (journal: %s)\n", failures == 0 ? "all checks passed" : "SOME CHECKS FAILED", path.c_str());
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 2 && args[0] == "host") return host(args[1]);
    if (args.size() == 1) return story(args[0]);
    std::fprintf(stderr, "usage: agent-loop DIR\n");
    return 2;
  } catch (const runjournal::Error& e) {
    std::fprintf(stderr, "error (%s): %s\n", std::string(runjournal::to_string(e.code())).c_str(), e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
