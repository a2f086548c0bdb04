// pg_position_probe.cpp — which way of numbering positions on PostgreSQL keeps
// a tailing reader from missing events, and what each costs
// (docs/postgresql.md, "Position order"; the strategies are described in
// pg_position_strategies.hpp).
//
//   runjournal-pg-position-probe [--uri URI] [--seconds S] [--rounds R] [--writers 1,4,16]
//                                [--runs N] [--rollback-every N] [--strategies a,b]
//
// URI: any libpq URI of a server where the role may create schemas
// (default: $RUNJOURNAL_PG_URI, as `eval "$(tools/pg_cluster.sh env DIR)"`
// sets it). Each strategy and writer count runs in a schema of its own,
// dropped afterwards. The strategies take turns, round after round, so a
// machine whose disk speeds up or slows down meanwhile (a shared one) weighs
// on all of them alike. Prints one row per strategy and writer count: the
// median events committed per second over the rounds (and the range), and
// over all rounds what the tailing reader missed or saw out of order.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "pg_position_strategies.hpp"

namespace {

namespace pg = runjournal::pg;
using rjpg_probe::Strategy;

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream s(list);
  for (std::string item; std::getline(s, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string with_search_path(const std::string& uri, const std::string& schema) {
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema;
}

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "error: %s\nusage: runjournal-pg-position-probe [--uri URI] [--seconds S] [--rounds R] [--writers 1,4,16] "
               "[--runs N] [--rollback-every N] [--strategies identity,counter-row,table-lock,advisory-lock]\n",
               why);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string uri = std::getenv("RUNJOURNAL_PG_URI") != nullptr ? std::getenv("RUNJOURNAL_PG_URI") : "";
  double seconds = 3;
  int rounds = 3;
  std::vector<int> writer_counts = {1, 4, 16};
  int runs = 64;
  int rollback_every = 20;
  std::vector<Strategy> strategies(std::begin(rjpg_probe::kAllStrategies), std::end(rjpg_probe::kAllStrategies));
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) usage(("a value is missing after " + arg).c_str());
    const std::string value = argv[++i];
    try {
      if (arg == "--uri") {
        uri = value;
      } else if (arg == "--seconds") {
        seconds = std::stod(value);
      } else if (arg == "--rounds") {
        rounds = std::stoi(value);
      } else if (arg == "--runs") {
        runs = std::stoi(value);
      } else if (arg == "--rollback-every") {
        rollback_every = std::stoi(value);
      } else if (arg == "--writers") {
        writer_counts.clear();
        for (const std::string& w : split(value)) writer_counts.push_back(std::stoi(w));
      } else if (arg == "--strategies") {
        strategies.clear();
        for (const std::string& s : split(value)) {
          bool known = false;
          for (Strategy candidate : rjpg_probe::kAllStrategies) {
            if (rjpg_probe::name(candidate) == s) {
              strategies.push_back(candidate);
              known = true;
            }
          }
          if (!known) usage(("unknown strategy " + s).c_str());
        }
      } else {
        usage(("unknown option " + arg).c_str());
      }
    } catch (const std::logic_error&) {
      usage(("not a number: " + value).c_str());
    }
  }
  if (uri.empty()) usage("no server: give --uri or set RUNJOURNAL_PG_URI");
  if (seconds <= 0 || rounds < 1 || runs < 1 || writer_counts.empty()) {
    usage("--seconds, --rounds, --runs and --writers must be positive");
  }

  try {
    pg::Connection admin = pg::Connection::connect(uri);
    const pg::Result v = admin.exec("SELECT current_setting('server_version') AS v, current_setting('fsync') AS f, "
                                    "current_setting('synchronous_commit') AS s");
    fmt::print("PostgreSQL {}, fsync={}, synchronous_commit={}; {} rounds of {} s per row, {} runs shared by the "
               "writers, every {}th transaction rolled back\n\n",
               v.text(0, v.column("v")), v.text(0, v.column("f")), v.text(0, v.column("s")), rounds, seconds, runs,
               rollback_every);
    // (strategy, writers) → the rounds' reports.
    std::map<std::pair<int, int>, std::vector<rjpg_probe::ProbeReport>> cells;
    for (int round = 1; round <= rounds; ++round) {
      for (int writers : writer_counts) {
        for (Strategy s : strategies) {
          const std::string schema = fmt::format("rjprobe_{}_{}", rjpg_probe::name(s), writers);
          const std::string quoted = admin.quote_identifier(schema);
          admin.exec("DROP SCHEMA IF EXISTS " + quoted + " CASCADE; CREATE SCHEMA " + quoted);
          rjpg_probe::ProbeOptions o;
          o.strategy = s;
          o.writers = writers;
          o.runs = runs;
          o.rollback_every = rollback_every;
          o.duration = std::chrono::milliseconds(static_cast<long>(seconds * 1000));
          cells[{static_cast<int>(s), writers}].push_back(rjpg_probe::run_probe(with_search_path(uri, schema), o));
          admin.exec("DROP SCHEMA " + quoted + " CASCADE");
          std::fprintf(stderr, ".");
        }
      }
    }
    std::fprintf(stderr, "\n");
    fmt::print("{:<14} {:>7} {:>9} {:>13} {:>9} {:>9} {:>8} {:>7} {:>10} {:>6} {:>10}\n", "strategy", "writers",
               "events/s", "range", "vs ident.", "committed", "tail rd", "missed", "out-of-seq", "holes",
               "seq breaks");
    const auto median = [](std::vector<double> xs) {
      std::sort(xs.begin(), xs.end());
      return xs.size() % 2 == 1 ? xs[xs.size() / 2] : (xs[xs.size() / 2 - 1] + xs[xs.size() / 2]) / 2;
    };
    for (Strategy s : strategies) {
      for (int writers : writer_counts) {
        const auto& reports = cells[{static_cast<int>(s), writers}];
        std::vector<double> rates;
        rjpg_probe::ProbeReport sum;
        for (const auto& r : reports) {
          rates.push_back(r.events_per_second);
          sum.committed += r.committed;
          sum.tailer_reads += r.tailer_reads;
          sum.missed += r.missed;
          sum.out_of_seq += r.out_of_seq;
          sum.position_holes += r.position_holes;
          sum.seq_breaks += r.seq_breaks;
        }
        const double rate = median(rates);
        std::string ratio = "-";
        const auto identity = cells.find({static_cast<int>(Strategy::Identity), writers});
        if (identity != cells.end()) {
          std::vector<double> base;
          for (const auto& r : identity->second) base.push_back(r.events_per_second);
          ratio = fmt::format("{:.2f}x", rate / median(base));
        }
        const auto [lo, hi] = std::minmax_element(rates.begin(), rates.end());
        fmt::print("{:<14} {:>7} {:>9.0f} {:>13} {:>9} {:>9} {:>8} {:>7} {:>10} {:>6} {:>10}\n",
                   rjpg_probe::name(s), writers, rate, fmt::format("{:.0f}-{:.0f}", *lo, *hi), ratio, sum.committed,
                   sum.tailer_reads, sum.missed, sum.out_of_seq, sum.position_holes, sum.seq_breaks);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
