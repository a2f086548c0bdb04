// bench_pg.cpp — runjournal-bench-pg: the journal on PostgreSQL beside raw
// libpq doing the same inserts and runs upsert (bench_raw_pg.hpp), in the
// same run, against the same server (docs/performance.md, "PostgreSQL").
//
//   runjournal-bench-pg [--pg URI] [--rounds N] [--seconds S] [--quick]
//
// Without --pg (and without $RUNJOURNAL_PG_URI) it starts a throwaway
// cluster of its own with tools/pg_cluster.sh in a fresh folder under /tmp
// and destroys it on every way out (normal end, error, SIGINT, SIGTERM,
// SIGHUP). Every round measures each side for S seconds (3; --quick: 0.3 s
// and 1 round), alternating which goes first, each scenario in a fresh
// schema; the table shows medians of the rounds and their ratio:
//
//   1 thread, 1 event/commit      journal.append()     vs raw single, 1 thread     (target >= 0.80)
//   16 threads, 1 event/commit    16 threads, 16 runs  vs raw single, 1 thread     (target >= 4.00)
//   batches of 1000               append_batch(1000)   vs raw batch (a pipeline)   (target >= 0.85)
//   4 processes x 4 threads       16 runs, one journal vs raw single, 1 thread     (figures)
//
// Remarks give the journal's events per commit and the other raw figures
// (raw single with 16 connections; raw unnest, one INSERT of 1,000 rows).
// The 4 processes are this program again (--child), started together.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <runjournal/journal.hpp>

#include "bench_raw_pg.hpp"
#include "core/writer.hpp"
#include "postgres/connection.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
namespace pg = runjournal::pg;

// ---- the throwaway cluster ------------------------------------------------

std::string g_cluster_dir;  // set while this program owns a cluster

int run_command(const std::vector<std::string>& args, std::string* out = nullptr) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int pipe_fds[2] = {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (out != nullptr) {
    // Close-on-exec: a child started meanwhile by another thread must not
    // hold this pipe open (dup2 clears the flag on the child's stdout).
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  }
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (out != nullptr) {
    close(pipe_fds[1]);
    char buffer[512];
    for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) out->append(buffer, static_cast<std::size_t>(n));
    close(pipe_fds[0]);
  }
  if (rc != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void destroy_cluster() noexcept {
  if (g_cluster_dir.empty()) return;
  const std::string dir = std::exchange(g_cluster_dir, std::string());
  try {
    run_command({"/bin/bash", RUNJOURNAL_PG_CLUSTER_SH, "destroy", dir});
  } catch (...) {
  }
}

void on_signal(int signal) {
  destroy_cluster();
  std::_Exit(128 + signal);
}

std::string start_cluster() {
  g_cluster_dir = fmt::format("/tmp/rjbench-pg-{}", getpid());
  for (int s : {SIGINT, SIGTERM, SIGHUP}) std::signal(s, on_signal);
  if (run_command({"/bin/bash", RUNJOURNAL_PG_CLUSTER_SH, "start", g_cluster_dir, "--fresh"}) != 0) {
    throw std::runtime_error("tools/pg_cluster.sh start failed");
  }
  std::string uri;
  run_command({"/bin/bash", RUNJOURNAL_PG_CLUSTER_SH, "uri", g_cluster_dir}, &uri);
  while (!uri.empty() && (uri.back() == '\n' || uri.back() == '\r')) uri.pop_back();
  if (uri.empty()) throw std::runtime_error("tools/pg_cluster.sh uri printed nothing");
  return uri;
}

// ---- the journal's side -----------------------------------------------------

const nlohmann::json& payload() {
  static const nlohmann::json p = nlohmann::json::parse(rjbench::kRawPgPayload);
  return p;
}

// A fresh schema for one measurement; its URI.
std::string fresh_schema(const std::string& uri, const std::string& schema) {
  pg::Connection admin = pg::Connection::connect(uri);
  admin.exec(fmt::format("DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0}", schema));
  return rjbench::with_search_path(uri, schema);
}

void drop_schema(const std::string& uri, const std::string& schema) {
  pg::Connection admin = pg::Connection::connect(uri);
  admin.exec(fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", schema));
}

std::string g_remark;

// `threads` threads append for `seconds`, thread t to run r<first_run + t>,
// one event per call, or `batch` events per append_batch(). Events appended.
std::int64_t append_for(runjournal::Journal& journal, int threads, int first_run, int batch,
                        Clock::time_point start, double seconds) {
  std::atomic<std::int64_t> done{0};
  std::atomic<bool> failed{false};
  std::string failure;
  const auto stop = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      try {
        const std::string run = fmt::format("r{}", first_run + t);
        std::vector<runjournal::NewEvent> events(static_cast<std::size_t>(std::max(batch, 1)),
                                                 runjournal::NewEvent{run, "tool_called", payload(), {}});
        std::this_thread::sleep_until(start);
        while (Clock::now() < stop) {
          if (batch > 1) {
            journal.append_batch(events);
          } else {
            journal.append(run, "tool_called", payload());
          }
          done.fetch_add(std::max(batch, 1));
        }
      } catch (const std::exception& e) {
        if (!failed.exchange(true)) failure = e.what();
      }
    });
  }
  for (std::thread& th : pool) th.join();
  if (failed) throw std::runtime_error(failure);
  return done.load();
}

double journal_rate(const std::string& uri, const std::string& name, int threads, int batch, double seconds) {
  const std::string schema = "rjbench_journal_" + name;
  const std::string schema_uri = fresh_schema(uri, schema);
  double rate = 0;
  {
    runjournal::Journal journal = runjournal::Journal::open(schema_uri);
    for (int t = 0; t < threads; ++t) journal.create_run({.session_id = "bench", .run_id = fmt::format("r{}", t)});
    const auto before = runjournal::detail::commit_stats_of(schema_uri);
    const auto start = Clock::now() + std::chrono::milliseconds(50);
    const std::int64_t events = append_for(journal, threads, 0, batch, start, seconds);
    rate = static_cast<double>(events) / std::chrono::duration<double>(Clock::now() - start).count();
    const auto after = runjournal::detail::commit_stats_of(schema_uri);
    g_remark = fmt::format("{:.1f} events/commit", static_cast<double>(events) /
                                                       static_cast<double>(std::max<std::int64_t>(
                                                           1, after.commits - before.commits)));
  }
  drop_schema(uri, schema);
  return rate;
}

// Four processes of four threads each on one journal, started together.
double processes_rate(const std::string& self, const std::string& uri, int processes, int threads, double seconds) {
  const std::string schema = "rjbench_journal_procs";
  const std::string schema_uri = fresh_schema(uri, schema);
  {
    runjournal::Journal journal = runjournal::Journal::open(schema_uri);
    for (int r = 0; r < processes * threads; ++r) {
      journal.create_run({.session_id = "bench", .run_id = fmt::format("r{}", r)});
    }
  }
  // The start, in the system clock's milliseconds, far enough ahead for
  // every child to have opened the journal.
  const auto start_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count() + 1500;
  std::vector<std::thread> waiters;
  std::vector<std::string> outputs(static_cast<std::size_t>(processes));
  std::vector<int> codes(static_cast<std::size_t>(processes), -1);
  for (int p = 0; p < processes; ++p) {
    waiters.emplace_back([&, p] {
      codes[static_cast<std::size_t>(p)] =
          run_command({self, "--child", schema_uri, std::to_string(p * threads), std::to_string(threads),
                       std::to_string(start_ms), fmt::format("{}", seconds)},
                      &outputs[static_cast<std::size_t>(p)]);
    });
  }
  for (std::thread& w : waiters) w.join();
  std::int64_t events = 0;
  for (int p = 0; p < processes; ++p) {
    if (codes[static_cast<std::size_t>(p)] != 0) throw std::runtime_error(fmt::format("child {} failed", p));
    events += std::stoll(outputs[static_cast<std::size_t>(p)]);
  }
  drop_schema(uri, schema);
  g_remark.clear();
  return static_cast<double>(events) / seconds;
}

int child_main(char** argv) {
  const std::string schema_uri = argv[0];
  const int first_run = std::atoi(argv[1]), threads = std::atoi(argv[2]);
  const std::int64_t start_ms = std::atoll(argv[3]);
  const double seconds = std::atof(argv[4]);
  runjournal::Journal journal = runjournal::Journal::open(schema_uri);
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const auto start = Clock::now() + std::chrono::milliseconds(std::max<std::int64_t>(0, start_ms - now_ms));
  std::printf("%lld\n", static_cast<long long>(append_for(journal, threads, first_run, 1, start, seconds)));
  return 0;
}

// ---- the table ------------------------------------------------------------

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 != 0 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double raw_rate(const std::string& uri, const rjbench::RawPgScenario& s, double seconds) {
  std::int64_t events = 0;
  return rjbench::measure_raw_pg(uri, s, seconds, events);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 7 && std::string(argv[1]) == "--child") {
    try {
      return child_main(argv + 2);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
      return 1;
    }
  }
  const char* env_uri = std::getenv("RUNJOURNAL_PG_URI");
  std::string uri = env_uri != nullptr ? env_uri : "";
  double seconds = 3;
  int rounds = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      seconds = 0.3;
      rounds = 1;
    } else if (arg == "--pg" && i + 1 < argc) {
      uri = argv[++i];
    } else if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (arg == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: runjournal-bench-pg [--pg URI] [--rounds N] [--seconds S] [--quick]\n");
      return 2;
    }
  }
  if (seconds <= 0 || rounds <= 0) {
    std::fprintf(stderr, "error: --seconds and --rounds must be positive\n");
    return 2;
  }
  int code = 0;
  try {
    if (uri.empty()) uri = start_cluster();
    const std::string self = "/proc/self/exe";
    char resolved[4096];
    const ssize_t n = readlink(self.c_str(), resolved, sizeof resolved - 1);
    const std::string program = n > 0 ? std::string(resolved, static_cast<std::size_t>(n)) : std::string(argv[0]);
    {
      pg::Connection admin = pg::Connection::connect(uri);
      const pg::Result v = admin.exec(
          "SELECT current_setting('server_version') AS v, current_setting('fsync') AS f, "
          "current_setting('synchronous_commit') AS s");
      fmt::print("runjournal on PostgreSQL {} (fsync={}, synchronous_commit={}) beside raw libpq; {} s per "
                 "measurement, {} round(s), medians\n\n",
                 v.text(0, v.column("v")), v.text(0, v.column("f")), v.text(0, v.column("s")), seconds, rounds);
    }
    using rjbench::RawPgKind;
    const rjbench::RawPgScenario raw_single{"single", RawPgKind::Single, 1, 1};
    const rjbench::RawPgScenario raw_single16{"single", RawPgKind::Single, 16, 1};
    const rjbench::RawPgScenario raw_batch{"batch", RawPgKind::Batch, 1, 1000};
    const rjbench::RawPgScenario raw_unnest{"unnest", RawPgKind::Unnest, 1, 1000};
    std::vector<double> j1, j16, jb, jp, r1, r16, rb, ru;
    std::string remark1, remark16, remarkb;
    for (int round = 0; round < rounds; ++round) {
      const auto journal_side = [&] {
        j1.push_back(journal_rate(uri, "single", 1, 1, seconds));
        remark1 = g_remark;
        j16.push_back(journal_rate(uri, "threads", 16, 1, seconds));
        remark16 = g_remark;
        jb.push_back(journal_rate(uri, "batch", 1, 1000, seconds));
        remarkb = g_remark;
        jp.push_back(processes_rate(program, uri, 4, 4, seconds));
      };
      const auto raw_side = [&] {
        r1.push_back(raw_rate(uri, raw_single, seconds));
        r16.push_back(raw_rate(uri, raw_single16, seconds));
        rb.push_back(raw_rate(uri, raw_batch, seconds));
        ru.push_back(raw_rate(uri, raw_unnest, seconds));
      };
      if (round % 2 == 0) {
        journal_side();
        raw_side();
      } else {
        raw_side();
        journal_side();
      }
    }
    const double mr1 = median(r1), mr16 = median(r16), mrb = median(rb), mru = median(ru);
    fmt::print("{:<44} {:>12} {:>12} {:>7}   {:<8} {}\n", "scenario", "journal ev/s", "raw ev/s", "ratio", "target",
               "remark");
    const auto row = [](const std::string& name, double journal, double raw, const char* target,
                        const std::string& remark) {
      fmt::print("{:<44} {:>12.0f} {:>12.0f} {:>7.2f}   {:<8} {}\n", name, journal, raw, journal / raw, target,
                 remark);
    };
    row("1 thread, 1 event/commit", median(j1), mr1, ">= 0.80", remark1);
    row("16 threads, 1 event/commit, vs raw 1 thread", median(j16), mr1, ">= 4.00",
        fmt::format("{}; raw 16 connections {:.0f} ev/s ({:.2f}x)", remark16, mr16, median(j16) / mr16));
    row("batches of 1000, vs raw pipeline", median(jb), mrb, ">= 0.85",
        fmt::format("{}; raw unnest {:.0f} ev/s ({:.2f}x)", remarkb, mru, median(jb) / mru));
    row("4 processes x 4 threads, vs raw 1 thread", median(jp), mr1, "-",
        fmt::format("raw 16 connections {:.0f} ev/s ({:.2f}x)", mr16, median(jp) / mr16));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    code = 1;
  }
  destroy_cluster();
  return code;
}
