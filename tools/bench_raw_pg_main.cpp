// bench_raw_pg_main.cpp — runjournal-bench-raw-pg: the raw-libpq baseline
// (bench_raw_pg.hpp) alone, every scenario once.
//
//   runjournal-bench-raw-pg [--uri URI] [--seconds S] [--quick]
//
// URI: a server where the role may create schemas ($RUNJOURNAL_PG_URI by
// default). runjournal-bench-pg (bench_pg.cpp) runs the same scenarios
// beside the journal, on a cluster of its own when given none.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include <fmt/format.h>

#include "bench_raw_pg.hpp"
#include "postgres/connection.hpp"

int main(int argc, char** argv) {
  std::string uri = std::getenv("RUNJOURNAL_PG_URI") != nullptr ? std::getenv("RUNJOURNAL_PG_URI") : "";
  double seconds = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      seconds = 0.3;
    } else if (arg == "--uri" && i + 1 < argc) {
      uri = argv[++i];
    } else if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: runjournal-bench-raw-pg [--uri URI] [--seconds S] [--quick]\n");
      return 2;
    }
  }
  if (uri.empty() || seconds <= 0) {
    std::fprintf(stderr, "error: no server (give --uri or set RUNJOURNAL_PG_URI) or no time\n");
    return 2;
  }
  const rjbench::RawPgScenario scenarios[] = {
      {"single", rjbench::RawPgKind::Single, 1, 1},         {"single", rjbench::RawPgKind::Single, 16, 1},
      {"batch", rjbench::RawPgKind::Batch, 1, 1000},        {"unnest", rjbench::RawPgKind::Unnest, 1, 1000},
      {"sequence", rjbench::RawPgKind::Sequence, 1, 1},     {"sequence", rjbench::RawPgKind::Sequence, 16, 1},
  };
  try {
    runjournal::pg::Connection admin = runjournal::pg::Connection::connect(uri);
    const runjournal::pg::Result v = admin.exec(
        "SELECT current_setting('server_version') AS v, current_setting('fsync') AS f, "
        "current_setting('synchronous_commit') AS s, current_setting('commit_delay') AS d");
    fmt::print("raw libpq baseline: PostgreSQL {}, fsync={}, synchronous_commit={}, commit_delay={}; {} s each\n\n",
               v.text(0, v.column("v")), v.text(0, v.column("f")), v.text(0, v.column("s")),
               v.text(0, v.column("d")), seconds);
    fmt::print("{:<10} {:>7} {:>9} {:>9} {:>11} {:>12}\n", "scenario", "threads", "per txn", "events", "events/s",
               "vs single/1");
    double base = 0;
    for (const rjbench::RawPgScenario& s : scenarios) {
      std::int64_t events = 0;
      const double rate = rjbench::measure_raw_pg(uri, s, seconds, events);
      if (base == 0) base = rate;
      fmt::print("{:<10} {:>7} {:>9} {:>9} {:>11.0f} {:>11.2f}x\n", s.name, s.threads, s.per_txn, events, rate,
                 rate / base);
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
