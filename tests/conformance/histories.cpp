#include "histories.hpp"

#include "test_support.hpp"

namespace runjournal::test {

void small_history(Journal& j) {
  j.create_run({.session_id = "s", .run_id = "alpha"});
  j.append("alpha", "run_started");
  j.append("alpha", "tool_called");
  j.append("alpha", "run_completed", {{"result_text", "ok"}});
  j.create_run({.session_id = "s", .run_id = "bravo"});
  j.append("bravo", "step_started");
  j.append("bravo", "tool_called");
  j.create_run({.session_id = "t", .run_id = "charlie"});
}

void small_journal(const std::string& location) {
  Journal j = Journal::open(location);
  j.create_run({.session_id = "s", .prompt = "first", .run_id = "a", .agent_spec_digest = "spec-1"});
  j.append("a", "tool_called", {{"tool_name", "search"}});
  j.append("a", "run_completed", {{"result_text", "done"}, {"final_state_digest", "state-1"}});
  j.create_run({.session_id = "s", .prompt = "second", .run_id = "b"});
  j.save_checkpoint("b", "cp-1", {{"step", 1}});
}

Journal known_journal(const std::string& location) {
  Journal j = Journal::open(location, clocked());
  j.create_run({.session_id = "s1", .prompt = "find it", .run_id = "run-a"});
  j.append("run-a", "run_started");
  j.append("run-a", "tool_called", {{"tool_name", "search"}, {"args", {{"q", "sqlite"}}}});
  j.append("run-a", "tool_called", {{"tool_name", "read_file"}});
  j.append("run-a", "run_completed", {{"result_text", "done"}});
  j.create_run({.session_id = "s1", .prompt = "fail", .run_id = "run-b"});
  j.append("run-b", "tool_called", {{"tool_name", "search"}});
  j.append("run-b", "run_failed", {{"error", "boom"}});
  j.create_run({.session_id = "s2", .prompt = "still going", .run_id = "run-c"});
  j.append("run-c", "run_started");
  j.append("run-c", "tool_called", {{"tool_name", "search"}});
  return j;
}

Journal open_driven_by(const std::string& location, const Driver& driver) {
  Options options;
  options.driver = driver;
  return Journal::open(location, options);
}

Driver reused_pid_driver() {
  Driver d = this_process_driver();
  d.start_time += 1;
  return d;
}

const RecoveredRun* find(const std::vector<RecoveredRun>& found, const std::string& run_id) {
  for (const RecoveredRun& r : found) {
    if (r.run.run_id == run_id) return &r;
  }
  return nullptr;
}

}  // namespace runjournal::test
