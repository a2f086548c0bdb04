// runjournal-test-child: a separate process for the multi-process and crash
// tests. Tests exec it (never fork without exec: a forked child would share
// the parent's SQLite state).
//
//   append DB RUN COUNT [full|normal]   create RUN if needed, then append COUNT
//                                       events one by one; print "ACK run seq
//                                       position" after each commit returns
//   read DB SECONDS                     read runs and events in a loop
//   create-exclusive DB SESSION RUN     create RUN exclusively in SESSION;
//                                       print "WON" or "ALREADY_RUNNING"
//
// Exit: 0 done, 3 a runjournal::Error (its code name on stderr).
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <runjournal/journal.hpp>

namespace {

using runjournal::Journal;

int append(const std::string& db, const std::string& run_id, long count, const std::string& durability) {
  runjournal::Options options;
  options.durability = durability == "normal" ? runjournal::Durability::Normal : runjournal::Durability::Full;
  Journal journal = Journal::open(db, options);
  if (!journal.run(run_id)) {
    journal.create_run({.session_id = "s-" + run_id, .prompt = "child", .run_id = run_id});
  }
  for (long i = 0; i < count; ++i) {
    const runjournal::Event e = journal.append(run_id, "tool_called", {{"i", i}});
    std::printf("ACK %s %lld %lld\n", e.run_id.c_str(), static_cast<long long>(e.seq),
                static_cast<long long>(e.position));
    std::fflush(stdout);
  }
  return 0;
}

int read(const std::string& db, double seconds) {
  Journal journal = Journal::open(db, {.create_if_missing = false});
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  long reads = 0;
  while (std::chrono::steady_clock::now() < until) {
    for (const runjournal::Run& run : journal.runs({}, {.limit = 1000})) {
      const auto events = journal.events(run.run_id);
      for (std::size_t i = 0; i < events.size(); ++i) {
        if (events[i].seq != static_cast<std::int64_t>(i) + 1) {
          std::fprintf(stderr, "reader saw a seq gap in %s\n", run.run_id.c_str());
          return 4;
        }
      }
      ++reads;
    }
  }
  std::printf("READS %ld\n", reads);
  return 0;
}

int create_exclusive(const std::string& db, const std::string& session, const std::string& run_id) {
  Journal journal = Journal::open(db);
  try {
    journal.create_run({.session_id = session, .run_id = run_id, .exclusive = true});
    std::printf("WON\n");
  } catch (const runjournal::Error& e) {
    if (e.code() != runjournal::ErrorCode::AlreadyRunning) throw;
    std::printf("ALREADY_RUNNING\n");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() >= 4 && args[0] == "append") {
      return append(args[1], args[2], std::stol(args[3]), args.size() > 4 ? args[4] : "full");
    }
    if (args.size() == 3 && args[0] == "read") return read(args[1], std::stod(args[2]));
    if (args.size() == 4 && args[0] == "create-exclusive") return create_exclusive(args[1], args[2], args[3]);
  } catch (const runjournal::Error& e) {
    std::fprintf(stderr, "%s: %s\n", std::string(runjournal::to_string(e.code())).c_str(), e.what());
    return 3;
  }
  std::fprintf(stderr, "usage: see tests/journal_child.cpp\n");
  return 2;
}
