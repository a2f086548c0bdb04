// runjournal-bench: throughput of the journal beside raw SQLite doing the
// same work, measured in the same run, alternating, median of several rounds.
//
//   runjournal-bench [--quick] [--dir DIR] [--cli PATH] [--only NAME]
//
// Prints one row per scenario: journal events/s, raw events/s (medians) and
// their ratio, with the target the ratio is held to. --quick runs tiny sizes
// (a smoke for CI: it proves every scenario runs, its figures mean nothing).
// See docs/performance.md for a full run on the project's 2-core machine.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>
#include <sys/wait.h>

#include <runjournal/journal.hpp>
#include <runjournal/otlp.hpp>

#include "bench_raw.hpp"
#include "core/writer.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using runjournal::Journal;
using runjournal::bench::RawJournal;
using Clock = std::chrono::steady_clock;

struct Config {
  bool quick = false;
  fs::path dir = fs::temp_directory_path() / "runjournal-bench";
  std::string cli;
  std::string only;
  int rounds = 5;
};

const nlohmann::json& payload() {
  static const nlohmann::json p = {{"tool_name", "search"}, {"args", {{"query", "quarterly report"}, {"limit", 10}}}};
  return p;
}

double seconds_of(const std::function<void()>& work) {
  const auto start = Clock::now();
  work();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// A remark printed after a scenario's row (the last journal round's
// events per commit, for the threaded scenarios).
std::string g_remark;

void remove_db(const fs::path& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
}

// One scenario: `journal` and `raw` each do `events` events of work per
// round, in alternating order, and return their elapsed seconds.
void scenario(const Config& config, const std::string& name, const std::string& target, double events,
              const std::function<double()>& journal, const std::function<double()>& raw) {
  if (!config.only.empty() && name.find(config.only) == std::string::npos) return;
  std::vector<double> j, r;
  for (int round = 0; round < config.rounds; ++round) {
    if (round % 2 == 0) {
      j.push_back(events / journal());
      r.push_back(events / raw());
    } else {
      r.push_back(events / raw());
      j.push_back(events / journal());
    }
  }
  const double jm = median(j), rm = median(r);
  std::printf("%-44s %12.0f %12.0f %7.2f   %-8s %s\n", name.c_str(), jm, rm, jm / rm, target.c_str(),
              g_remark.c_str());
  g_remark.clear();
  std::fflush(stdout);
}

double journal_appends(const fs::path& path, runjournal::Durability durability, int threads, std::int64_t each) {
  remove_db(path);
  Journal journal = Journal::open(path, {.durability = durability});
  for (int t = 0; t < threads; ++t) journal.create_run({.session_id = "bench", .run_id = "r" + std::to_string(t)});
  const double seconds = seconds_of([&] {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        const std::string run = "r" + std::to_string(t);
        for (std::int64_t i = 0; i < each; ++i) journal.append(run, "tool_called", payload());
      });
    }
    for (auto& th : pool) th.join();
  });
  // The journal's writer is shared by every Journal on the file.
  const auto stats = runjournal::detail::commit_stats_of(path, {});
  g_remark = "events/commit " + std::to_string(static_cast<double>(threads * each) /
                                               static_cast<double>(std::max<std::int64_t>(1, stats.commits - threads)))
                                    .substr(0, 5);
  return seconds;
}

double journal_batches(const fs::path& path, std::int64_t batch, std::int64_t total) {
  remove_db(path);
  Journal journal = Journal::open(path);
  journal.create_run({.session_id = "bench", .run_id = "r"});
  std::vector<runjournal::NewEvent> events(static_cast<std::size_t>(batch),
                                           runjournal::NewEvent{"r", "tool_called", payload(), {}});
  return seconds_of([&] {
    for (std::int64_t done = 0; done < total; done += batch) journal.append_batch(events);
  });
}

double raw_appends(const fs::path& path, bool full, std::int64_t count, std::int64_t per_txn) {
  remove_db(path);
  RawJournal raw(path, full);
  return seconds_of([&] { raw.append("r", count, per_txn); });
}

int run_process(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // The command's own output (a line per event) is not part of the work.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A stream that discards what it is given: the export's work without a disk's.
class NullStream : public std::ostream {
 public:
  NullStream() : std::ostream(&buffer_) {}

 private:
  struct Discard : std::streambuf {
    int overflow(int c) override { return c; }
    std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
  } buffer_;
};

// A line "NAME:   123 kB" of /proc/self/status, in KiB.
long status_kb(const std::string& name) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(name, 0) == 0) return std::stol(line.substr(name.size()));
  }
  return 0;
}

// How far `work` raises this process's resident memory at its peak, in
// KiB: the peak (VmHWM) is first reset to the current size by writing 5 to
// /proc/self/clear_refs (Linux 4.0 on). In process, because a child's peak
// as wait4 reports it includes the parent's: posix_spawn shares the
// parent's memory until exec.
long peak_growth_kb(const std::function<void()>& work) {
  { std::ofstream("/proc/self/clear_refs") << "5"; }
  const long before = status_kb("VmRSS:");
  work();
  return status_kb("VmHWM:") - before;
}

// A journal with `runs` runs of `each` events, built once and reused.
fs::path big_journal(const Config& config, std::int64_t runs, std::int64_t each) {
  const fs::path path = config.dir / ("big-" + std::to_string(runs * each) + ".journal");
  if (fs::exists(path)) return path;
  const fs::path building = config.dir / "building.journal";
  remove_db(building);
  {
    Journal journal = Journal::open(building, {.durability = runjournal::Durability::Normal});
    std::vector<runjournal::NewEvent> batch;
    for (std::int64_t r = 0; r < runs; ++r) {
      const std::string run = "run-" + std::to_string(r);
      batch.push_back({run, "run_created", {{"session_id", "s" + std::to_string(r % 100)}, {"prompt", "p"}}, {}});
      for (std::int64_t i = 1; i < each; ++i) {
        batch.push_back({run, i + 1 == each ? "run_completed" : "tool_called", payload(), {}});
        if (batch.size() >= 5000) {
          journal.append_batch(batch);
          batch.clear();
        }
      }
    }
    if (!batch.empty()) journal.append_batch(batch);
  }
  remove_db(path);
  fs::rename(building, path);
  for (const char* suffix : {"-wal", "-shm"}) {
    if (fs::exists(building.string() + suffix)) fs::rename(building.string() + suffix, path.string() + suffix);
  }
  return path;
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      config.quick = true;
      config.rounds = 1;
    } else if (a == "--dir" && i + 1 < argc) {
      config.dir = argv[++i];
    } else if (a == "--cli" && i + 1 < argc) {
      config.cli = argv[++i];
    } else if (a == "--only" && i + 1 < argc) {
      config.only = argv[++i];
    } else if (a == "--rounds" && i + 1 < argc) {
      config.rounds = std::stoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: runjournal-bench [--quick] [--dir DIR] [--cli PATH] [--only NAME] [--rounds N]\n");
      return 2;
    }
  }
  if (config.cli.empty()) config.cli = (fs::path(argv[0]).parent_path() / "runjournal").string();
  fs::create_directories(config.dir);
  const fs::path j = config.dir / "journal.db";
  const fs::path r = config.dir / "raw.db";
  const std::int64_t q = config.quick ? 10 : 1;  // divides the sizes for --quick

  std::printf("runjournal %s, SQLite %s, %u hardware threads, %d rounds (medians)\n",
              std::string(runjournal::version()).c_str(), runjournal::sqlite_version().data(),
              std::thread::hardware_concurrency(), config.rounds);
  std::printf("%-44s %12s %12s %7s   %-8s %s\n", "scenario", "journal ev/s", "raw ev/s", "ratio", "target", "remark");

  const std::int64_t n1 = 2000 / q;
  scenario(config, "1 thread, 1 event/txn, full", ">= 0.90", static_cast<double>(n1),
           [&] { return journal_appends(j, runjournal::Durability::Full, 1, n1); },
           [&] { return raw_appends(r, true, n1, 1); });
  const std::int64_t n2 = 20000 / q;
  scenario(config, "1 thread, 1 event/txn, normal", ">= 0.90", static_cast<double>(n2),
           [&] { return journal_appends(j, runjournal::Durability::Normal, 1, n2); },
           [&] { return raw_appends(r, false, n2, 1); });
  for (int threads : {1, 4, 16, 64}) {
    const std::int64_t each = std::max<std::int64_t>(2, 9600 / threads / q);
    const double total = static_cast<double>(each * threads);
    const bool vs_batch = threads == 64;
    scenario(config,
             std::to_string(threads) + " threads, durable, vs raw " + (vs_batch ? "100/txn" : "1/txn"),
             threads == 16 ? ">= 4.00" : (vs_batch ? ">= 0.70" : "-"), total,
             [&] { return journal_appends(j, runjournal::Durability::Full, threads, each); },
             [&] { return raw_appends(r, true, static_cast<std::int64_t>(total), vs_batch ? 100 : 1); });
  }
  // Reference, not a target: the same threads against raw SQLite writing
  // the same pattern a full group writes, one event for each of N runs per
  // transaction (N index leaves and the runs rows dirtied per commit): what
  // a group commit costs beyond SQLite's own work for that shape of commit.
  for (int threads : {16, 64}) {
    const std::int64_t each = std::max<std::int64_t>(2, 9600 / threads / q);
    const std::int64_t total = each * threads;
    scenario(config, std::to_string(threads) + " threads vs raw " + std::to_string(threads) + " runs " +
                         std::to_string(threads) + "/txn",
             "-", static_cast<double>(total),
             [&] { return journal_appends(j, runjournal::Durability::Full, threads, each); },
             [&] {
               remove_db(r);
               RawJournal raw(r, true);
               return seconds_of([&] { raw.append_interleaved(threads, total, threads); });
             });
  }
  for (std::int64_t batch : {100, 1000}) {
    const std::int64_t total = 100'000 / q;
    scenario(config, "batches of " + std::to_string(batch) + ", durable", batch == 1000 ? ">= 0.85" : "-",
             static_cast<double>(total), [&] { return journal_batches(j, batch, total); },
             [&] { return raw_appends(r, true, total, batch); });
  }
  {
    const std::int64_t total = 100'000 / q;
    const fs::path input = config.dir / "bulk.jsonl";
    {
      std::ofstream out(input);
      const std::string line = nlohmann::json{{"run_id", "r"}, {"kind", "tool_called"}, {"payload", payload()}}.dump();
      for (std::int64_t i = 0; i < total; ++i) out << line << '\n';
    }
    scenario(config, "JSONL bulk via the CLI (process start incl.)", ">= 0.70", static_cast<double>(total),
             [&] {
               remove_db(j);
               Journal::open(j).create_run({.session_id = "bench", .run_id = "r"});
               return seconds_of([&] {
                 if (run_process({config.cli, "append", j.string(), "--jsonl", input.string()}) != 0) {
                   throw std::runtime_error("runjournal append --jsonl failed");
                 }
               });
             },
             [&] { return raw_appends(r, true, total, 1000); });
  }
  {
    const std::int64_t runs = config.quick ? 100 : 10'000;
    const std::int64_t each = config.quick ? 20 : 100;
    const fs::path big = big_journal(config, runs, each);
    const double events = static_cast<double>(runs * each);
    scenario(config, "rebuild of " + std::to_string(runs * each) + " events vs scan+parse", ">= 0.85", events,
             [&] {
               Journal journal = Journal::open(big);
               return seconds_of([&] { journal.rebuild(); });
             },
             [&] { return seconds_of([&] { runjournal::bench::raw_scan_parse(big); }); });
    // Opens per second, as "events" of 1: the ratio compares open times.
    scenario(config, "open of " + std::to_string(runs * each) + " events, ready to append", ">= 0.50", 1.0,
             [&] { return seconds_of([&] { Journal::open(big); }); },
             [&] { return seconds_of([&] { runjournal::bench::raw_open(big); }); });
    scenario(config, "read one run's " + std::to_string(each) + " events", "-", static_cast<double>(each) * 100,
             [&] {
               Journal journal = Journal::open(big);
               return seconds_of([&] {
                 for (int i = 0; i < 100; ++i) journal.events("run-" + std::to_string(i * 37 % runs));
               });
             },
             [&] {
               RawJournal raw(big, true);
               return seconds_of([&] {
                 for (int i = 0; i < 100; ++i) raw.read_run("run-" + std::to_string(i * 37 % runs));
               });
             });
    // The OpenTelemetry export streams a run at a time (docs/otlp.md): its
    // peak memory for the whole journal should be that of one run, not grow
    // with the journal. Each run here has 98 tool calls that the run's end
    // cuts off, so every one is a span.
    scenario(config, "OTLP export of " + std::to_string(runs * each) + " events (CLI) vs scan+parse", "-", events,
             [&] {
               return seconds_of([&] {
                 if (run_process({config.cli, "export", big.string(), "--format", "otlp-json", "-o", "/dev/null"}) !=
                     0) {
                   throw std::runtime_error("runjournal export --format otlp-json failed");
                 }
               });
             },
             [&] { return seconds_of([&] { runjournal::bench::raw_scan_parse(big); }); });
    if (config.only.empty() || std::string("OTLP export").find(config.only) != std::string::npos) {
      const Journal journal = Journal::open(big, {.read_only = true});
      // One run first: it pays for warming SQLite's page cache and the
      // allocator, so what the whole journal adds on top is the export's own.
      const long one_kb = peak_growth_kb([&] {
        NullStream out;
        runjournal::export_otlp(journal, out, {.run_id = "run-0"});
      });
      const long all_kb = peak_growth_kb([&] {
        NullStream out;
        runjournal::export_otlp(journal, out);
      });
      const long jsonl_kb = peak_growth_kb([&] {
        NullStream out;
        journal.records([&](const runjournal::RunRecord& record) { out << runjournal::record_to_line(record) << '\n'; });
      });
      std::printf("  peak memory growth of an export in process: OTLP, one run %.1f MiB; OTLP, every run %.1f MiB; "
                  "jsonl, every run %.1f MiB\n",
                  static_cast<double>(one_kb) / 1024, static_cast<double>(all_kb) / 1024,
                  static_cast<double>(jsonl_kb) / 1024);
    }
  }
  return 0;
}
