// graph_executor.cpp — a graph executor host whose only persistence is a
// runjournal journal.
//
//   graph-executor DIR                        the whole story, checked (CI runs this)
//   graph-executor execute JOURNAL CRASH_AT   a process that dies on entering node CRASH_AT
//
// A graph of nodes shares one state, a JSON object. Each node reads the state
// and returns a patch; the executor journals, per node:
//   node_entered {node, attempt}
//   node_failed {node, attempt, error} and node_retrying {node, attempt, delay_ms}
//       when the node throws a transient error (it is retried up to 3 times)
//   state_updated {node, patch}              what the node changed
//   node_exited {node, next}                 and which edge it took
//   checkpoint_saved {checkpoint_id, next_node, state}
// and, after a crash, checkpoint_restored {checkpoint_id, next_node} before
// going on (after run_interrupted and run_resumed, which interrupt_run and
// resume_run write). The graph has a conditional edge (review sends the
// draft back once), so the path is decided by the state, as in a real graph.
//
// The story, each part checked: an execution is killed with SIGKILL inside a
// node; the restarted executor finds the run with Journal::recover() (its
// driver is gone), takes it over with resume_run, restores the state from its
// latest checkpoint (latest_checkpoint) and finishes; its final state equals
// that of a second run that was never interrupted.
#include <cstdio>
#include <csignal>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
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

// ---- the graph -------------------------------------------------------------------

// A failure worth retrying (a rate limit, a timeout).
struct TransientError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Node {
  // Reads the state, returns the patch to merge into it. `attempt` counts
  // from 1 for each entry into the node.
  std::function<json(const json& state, int attempt)> run;
  // The next node for the state after the patch; "" ends the graph.
  std::function<std::string(const json& state)> next;
};

const std::map<std::string, Node>& graph() {
  static const std::map<std::string, Node> nodes = {
      {"load", {[](const json&, int) { return json{{"documents", {"design.md", "format.md"}}}; },
                [](const json&) { return "search"; }}},
      {"search", {[](const json& state, int attempt) {
                    // The search service rate-limits the first call.
                    if (attempt == 1) throw TransientError("429 Too Many Requests");
                    return json{{"hits", state["documents"].size() * 3}};
                  },
                  [](const json&) { return "draft"; }}},
      {"draft", {[](const json& state, int) {
                   const int revision = state.value("revision", 0) + 1;
                   return json{{"revision", revision}, {"draft", "summary r" + std::to_string(revision)}};
                 },
                 [](const json&) { return "review"; }}},
      {"review", {[](const json& state, int) { return json{{"approved", state["revision"] >= 2}}; },
                  // The conditional edge: a draft that is not approved goes back.
                  [](const json& state) { return state["approved"].get<bool>() ? "publish" : "draft"; }}},
      {"publish", {[](const json& state, int) { return json{{"published", state["draft"]}}; },
                   [](const json&) { return ""; }}},
  };
  return nodes;
}

constexpr int kMaxAttempts = 3;

// Executes the graph from `node` with `state` until it ends; completes the
// run with the final state as its outputs. `crash_at` names a node whose
// entry kills this process (the simulated crash).
json execute(Journal& journal, const std::string& run_id, std::string node, json state, int superstep,
             const std::string& crash_at = "") {
  while (!node.empty()) {
    const Node& spec = graph().at(node);
    json patch;
    for (int attempt = 1;; ++attempt) {
      journal.append(run_id, "node_entered", {{"node", node}, {"attempt", attempt}});
      if (node == crash_at) raise(SIGKILL);  // sudden death: no destructor, no flush, nothing
      try {
        patch = spec.run(state, attempt);
        break;
      } catch (const TransientError& e) {
        journal.append(run_id, "node_failed", {{"node", node}, {"attempt", attempt}, {"error", e.what()}});
        if (attempt == kMaxAttempts) {
          journal.append(run_id, "run_failed", {{"error", node + ": " + e.what()}});
          throw;
        }
        journal.append(run_id, "node_retrying", {{"node", node}, {"attempt", attempt + 1}, {"delay_ms", 0}});
      }
    }
    state.merge_patch(patch);
    journal.append(run_id, "state_updated", {{"node", node}, {"patch", patch}});
    const std::string next = spec.next(state);
    journal.append(run_id, "node_exited", {{"node", node}, {"next", next}});
    ++superstep;
    // After every node: enough to go on from the next one after a crash.
    journal.append(run_id, "checkpoint_saved", {{"checkpoint_id", "superstep-" + std::to_string(superstep)},
                                                {"superstep", superstep},
                                                {"next_node", next},
                                                {"state", state}});
    node = next;
  }
  journal.append(run_id, "run_completed", {{"result_text", state.value("published", "")},
                                           {"outputs", state},
                                           {"final_state_digest", std::to_string(std::hash<std::string>{}(state.dump()))}});
  return state;
}

Run start(Journal& journal, const std::string& question) {
  Run run = journal.create_run({.session_id = "graph-session", .prompt = question, .inputs = {{"graph", "summarise"}}});
  journal.append(run.run_id, "graph_started");  // an alias of run_started
  return run;
}

// Takes over a run that recover() listed, restores it from its latest live
// checkpoint and executes the rest.
json restore_and_finish(Journal& journal, const Run& run) {
  // On record first: the run was cut off. expected_seq is the seq recover()
  // saw, so a run that moved since (its driver alive after all) is a
  // Conflict, not marked. Then resume_run makes this process its driver and
  // puts it back to executing; the checkpoint survives both.
  journal.interrupt_run(run.run_id, "the executor process died", {.expected_seq = run.last_seq});
  const std::optional<runjournal::Checkpoint> checkpoint = journal.latest_checkpoint(run.run_id);
  journal.resume_run(run.run_id, {{"from_checkpoint", checkpoint ? checkpoint->checkpoint_id : ""}});

  std::string node = "load";
  json state = json::object();
  int superstep = 0;
  if (checkpoint) {
    // The payload's "state" member (where save_checkpoint would put it too)
    // is the graph state; next_node and superstep are the executor's own.
    state = checkpoint->state;
    node = checkpoint->payload.value("next_node", "load");
    superstep = checkpoint->payload.value("superstep", 0);
    journal.append(run.run_id, "checkpoint_restored",
                   {{"checkpoint_id", checkpoint->checkpoint_id}, {"next_node", node}});
  }
  return execute(journal, run.run_id, node, state, superstep);
}

// ---- the story ---------------------------------------------------------------------

int failures = 0;
void check(bool ok, const std::string& what) {
  std::printf("  %s %s\n", ok ? "ok:  " : "FAIL:", what.c_str());
  if (!ok) ++failures;
}

int count_kind(const std::vector<runjournal::Event>& events, const std::string& kind, const std::string& node = "") {
  int n = 0;
  for (const runjournal::Event& e : events)
    if (e.kind == kind && (node.empty() || e.payload.value("node", "") == node)) ++n;
  return n;
}

int execute_until_crash(const std::string& path, const std::string& crash_at) {
  Journal journal = Journal::open(path);
  const Run run = start(journal, "summarise the design documents");
  execute(journal, run.run_id, "load", json::object(), 0, crash_at);
  return 0;  // not reached when crash_at is a node of the path
}

int story(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "graph.journal").string();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);

  std::printf("== 1. an executor process dies on entering node \"review\"\n");
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::vector<std::string> args = {self, "execute", path, "review"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t child = -1;
  if (posix_spawn(&child, self.c_str(), nullptr, nullptr, argv.data(), environ) != 0) return 1;
  int status = 0;
  waitpid(child, &status, 0);
  check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the executor died of SIGKILL");

  std::printf("== 2. the restarted executor restores the last checkpoint and finishes\n");
  Journal journal = Journal::open(path, {.create_if_missing = false});
  // The unfinished runs whose driving process is gone.
  const std::vector<runjournal::RecoveredRun> cut_off = journal.recover();
  check(cut_off.size() == 1, "recover() lists one run cut off");
  if (cut_off.size() != 1) return 1;
  const Run& crashed = cut_off.front().run;
  const std::optional<runjournal::Checkpoint>& last = cut_off.front().checkpoint;
  const std::string next_node = last ? last->payload.value("next_node", "") : "";
  std::printf("  run %s (%s): last checkpoint %s, next node %s\n", crashed.run_id.c_str(),
              cut_off.front().why.c_str(), last ? last->checkpoint_id.c_str() : "none", next_node.c_str());
  check(next_node == "review", "its checkpoint resumes at review");
  const json resumed_state = restore_and_finish(journal, crashed);

  std::printf("== 3. the same graph, never interrupted\n");
  const Run clean = start(journal, "summarise the design documents");
  const json clean_state = execute(journal, clean.run_id, "load", json::object(), 0);

  const Run resumed = journal.run(crashed.run_id).value();
  const std::vector<runjournal::Event> events = journal.events(crashed.run_id);
  check(resumed.status == RunStatus::Completed, "the resumed run completed");
  check(resumed.driver == runjournal::this_process_driver(), "the restarted executor drove it to the end");
  check(count_kind(events, "run_interrupted") == 1 && count_kind(events, "run_resumed") == 1,
        "the interruption and the resume are on record");
  check(resumed_state == clean_state && resumed.outputs == journal.run(clean.run_id)->outputs,
        "its final state equals the uninterrupted run's");
  check(count_kind(events, "node_exited", "load") == 1 && count_kind(events, "node_exited", "search") == 1,
        "nodes before the checkpoint ran once");
  check(count_kind(events, "node_failed", "search") == 1 && count_kind(events, "node_retrying", "search") == 1,
        "the rate-limited search failed once and was retried");
  check(count_kind(events, "node_entered", "draft") == 2, "review sent the draft back once");
  check(count_kind(events, "checkpoint_restored") == 1, "the restore is on record");
  std::printf("  final state: %s\n", resumed_state.dump().c_str());
  check(journal.verify().ok(), "verify: the runs table equals a replay of the events");

  std::printf("%s (journal: %s)\n", failures == 0 ? "all checks passed" : "SOME CHECKS FAILED", path.c_str());
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 3 && args[0] == "execute") return execute_until_crash(args[1], args[2]);
    // An option is never a directory name: "--help" would make ./--help/.
    if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
      std::printf("usage: graph-executor DIR\n  plays the story in DIR (created if missing)\n");
      return 0;
    }
    if (args.size() == 1 && !args[0].empty() && args[0][0] != '-') return story(args[0]);
    std::fprintf(stderr, "usage: graph-executor DIR\n");
    return 2;
  } catch (const runjournal::Error& e) {
    std::fprintf(stderr, "error (%s): %s\n", std::string(runjournal::to_string(e.code())).c_str(), e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
