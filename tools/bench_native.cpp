// runjournal-bench-native: the native baselines of the bindings' benchmark
// (tools/bench_bindings.py), one measurement per run:
//
//   runjournal-bench-native raw full|normal EVENTS FILE   raw SQLite (bench_raw.cpp), 1 event/txn
//   runjournal-bench-native cpp full|normal EVENTS FILE   the C++ API, Journal::append, 1 event each
//   runjournal-bench-native cpp-text full|normal EVENTS FILE
//       the same, but each payload parsed from JSON text first (runjournal::parse_json),
//       as a host that holds its payloads as text, like every binding, must
//
// Prints the seconds the EVENTS appends took (opening and setting up the
// file excluded), so the script can alternate it with the Python and Rust
// runs of the same scenario in one process tree and compare medians.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <runjournal/journal.hpp>
#include <runjournal/json.hpp>

#include "bench_raw.hpp"

namespace {

const nlohmann::json& payload() {
  static const nlohmann::json p = {{"tool_name", "search"}, {"args", {{"query", "quarterly report"}, {"limit", 10}}}};
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s raw|cpp|cpp-text full|normal EVENTS FILE\n", argv[0]);
    return 2;
  }
  const std::string what = argv[1];
  const bool full = std::string(argv[2]) == "full";
  const std::int64_t events = std::strtoll(argv[3], nullptr, 10);
  const std::filesystem::path path = argv[4];
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  using Clock = std::chrono::steady_clock;
  double seconds = 0;
  if (what == "raw") {
    runjournal::bench::RawJournal raw(path, full);
    const auto start = Clock::now();
    raw.append("r0", events, 1);
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
  } else if (what == "cpp" || what == "cpp-text") {
    auto journal = runjournal::Journal::open(
        path, {.durability = full ? runjournal::Durability::Full : runjournal::Durability::Normal});
    journal.create_run({.session_id = "bench", .run_id = "r0"});
    const std::string text = payload().dump();
    const bool parse = what == "cpp-text";
    const auto start = Clock::now();
    for (std::int64_t i = 0; i < events; ++i) {
      if (parse) {
        journal.append("r0", "tool_called", runjournal::parse_json(text, journal.max_json_depth(), "payload"));
      } else {
        journal.append("r0", "tool_called", payload());
      }
    }
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
  } else {
    std::fprintf(stderr, "unknown baseline '%s'\n", what.c_str());
    return 2;
  }
  std::printf("%.6f\n", seconds);
  return 0;
}
