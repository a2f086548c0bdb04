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
//      that thread calls Journal::cancel_if_live, which writes `run_cancelled`
//      only while the run is live, and the agent loop, which reads its run's
//      status at every step, stops;
//   3. a host process is killed with SIGKILL in the middle of a run; the
//      restarted host reopens the journal, Journal::recover() finds the run
//      whose driver is gone, and the host records the interruption
//      (interrupt_run), takes the run over (resume_run) and goes on from its
//      last checkpoint without redoing the steps that checkpoint covers.
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
    // The cancel token is the run's status in the journal: a stop button's
    // cancel_if_live in this process and `runjournal cancel DB RUN` from
    // another both land there, so one read per step sees either. The loop
    // writes no terminal event of its own then, since the cancel already is.
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
  bool stop_took = false;
  std::thread stop_button([&journal, &run, &stop_took, ready = second_step_done.get_future()]() mutable {
    ready.wait();
    stop_took = journal.cancel_if_live(run.run_id, "the user pressed stop");
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
  // cancel_if_live cancels only a live run, so pressing stop again (or a
  // second button racing the first) records nothing more.
  const bool second_press_took = journal.cancel_if_live(run.run_id, "the user pressed stop again");
  check(stop_took && !second_press_took && count_kind(journal, run.run_id, "run_cancelled") == 1,
        "cancel_if_live cancelled the live run once; pressing stop again wrote nothing");
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
  // recover() lists the unfinished runs whose driving process is gone; the
  // runs of parts 1 and 2 are finished, and a run another live host drove
  // would not be listed however quiet it was.
  Journal journal = Journal::open(path, {.create_if_missing = false});
  const std::vector<runjournal::RecoveredRun> cut_off = journal.recover();
  check(cut_off.size() == 1, "recover() lists one run cut off");
  for (const runjournal::RecoveredRun& found : cut_off) {
    const Run& run = found.run;
    std::printf("  run %s was cut off in status %s (%s); last checkpoint %s\n", run.run_id.c_str(),
                std::string(runjournal::to_string(run.status)).c_str(), found.why.c_str(),
                found.checkpoint ? found.checkpoint->checkpoint_id.c_str() : "none");
    // This host writes its checkpoint_saved payloads by hand, with no "state"
    // member, so the Checkpoint's state is the whole payload.
    const json checkpoint = found.checkpoint ? found.checkpoint->state : json();
    check(checkpoint.is_object() && checkpoint.value("next_step", 0) >= 4, "its checkpoint covers steps 1-3");

    // Record what happened, then take the run over and go on from the
    // checkpoint. expected_seq is the seq recover() saw: had the run moved
    // since (its driver alive after all), interrupt_run would throw Conflict
    // rather than mark it.
    journal.interrupt_run(run.run_id, "the host process died", {.expected_seq = run.last_seq});
    const Run resumed =
        journal.resume_run(run.run_id, {{"from_checkpoint", found.checkpoint ? found.checkpoint->checkpoint_id : ""}});
    check(resumed.status == RunStatus::Executing && resumed.driver == runjournal::this_process_driver(),
          "resume_run put the run back to executing, driven by this process");
    check(journal.recover({.include_interrupted = true}).empty(), "recover() no longer lists it");
    const AgentState restored = AgentState::from_checkpoint(checkpoint);
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
    // An option is never a directory name: "--help" would make ./--help/.
    if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
      std::printf("usage: agent-loop DIR\n  plays the story in DIR (created if missing)\n");
      return 0;
    }
    if (args.size() == 1 && !args[0].empty() && args[0][0] != '-') return story(args[0]);
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
