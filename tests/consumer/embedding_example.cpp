// The embedding example of DESIGN.md and the README, as written, in a program
// that a consumer project builds (tests/consumer/*/CMakeLists.txt). It checks
// what the example promises: the run completed and its events are all there.
//
//   runjournal-consumer JOURNAL
#include <cstdio>
#include <filesystem>
#include <string>

#include <runjournal/journal.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s JOURNAL\n", argv[0]);
    return 2;
  }
  std::filesystem::remove(argv[1]);
  try {
    // ---- DESIGN.md, "Embedding", verbatim (the file name aside) ----
    auto journal = runjournal::Journal::open(argv[1]);  // create or migrate
    runjournal::Run run = journal.create_run({.session_id = "s1", .prompt = "fix tests"});
    journal.append(run.run_id, "tool_called", {{"tool_name", "search"}});
    journal.append(run.run_id, "run_completed", {{"result_text", "done"}});
    std::optional<runjournal::Run> now = journal.run(run.run_id);   // RunStatus::Completed
    std::vector<runjournal::Event> trail = journal.events(run.run_id);
    // ---- end of the example ----

    const bool ok = now && now->status == runjournal::RunStatus::Completed && now->result_text == "done" &&
                    trail.size() == 3 && trail[1].kind == "tool_called" &&
                    trail[1].payload.value("tool_name", "") == "search";
    std::printf("runjournal %s: run %s is %s after %zu events: %s\n", std::string(runjournal::version()).c_str(),
                run.run_id.c_str(), now ? std::string(runjournal::to_string(now->status)).c_str() : "missing",
                trail.size(), ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
  } catch (const runjournal::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
