// runjournal-bench-serve: how fast `runjournal serve` is, beside raw
// baselines measured in the same run (docs/serve.md has a full run).
//
//   runjournal-bench-serve [--dir DIR] [--cli PATH] [--node-script PATH] [--quick] [--keep]
//
// 1. Builds the journal: 10,000 runs, 1,000,000 events.
// 2. First render of the runs page in Debian's chromium (a node script
//    drives it), against the browser opening /api/runs alone.
// 3. /api/runs p99 at 50 concurrent keep-alive clients (wrk), against wrk on
//    a static file of the same server, and Journal::runs() in this process.
// 4. Commit-to-stream latency: this process appends, an open /api/stream
//    receives; against Journal::follow() in this process.
// 5. The server's memory (VmRSS) over a long stream: the whole journal
//    replayed to a client, then live appends.
// 6. runs() over 1,000,000 runs: first, deep and backward pages, filters and
//    windows, against the same first page straight from SQLite.
// --quick shrinks every size (a smoke: proves it runs; its figures mean nothing).
// --keep reuses the journals an earlier --keep run left in DIR and leaves
// them there (building them is most of a run's time, so runs before and
// after a change can be back to back); each run's stream scenarios add
// 20,400 events to run-0 and run-1.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include <runjournal/journal.hpp>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using runjournal::Journal;
using Clock = std::chrono::steady_clock;

struct Config {
  fs::path dir = fs::temp_directory_path() / "runjournal-bench-serve";
  std::string cli = "build/tools/runjournal";
  std::string node_script = "tests/browser/first_render.mjs";
  bool quick = false;
  bool keep = false;
  int runs = 10'000;
  int events_per_run = 100;
  int million = 1'000'000;
};

double ms_since(Clock::time_point start) { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); }

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p / 100.0 * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

std::string run_command(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, pipe)) out += buf;
  pclose(pipe);
  return out;
}

// ---- the journal --------------------------------------------------------

void build_journal(const fs::path& path, int runs, int events_per_run) {
  runjournal::Options options;
  options.durability = runjournal::Durability::Normal;  // a bulk load; durability is not what is measured
  Journal journal = Journal::open(path, options);
  const char* kinds[] = {"turn_started", "tool_started", "tool_result", "node_entered", "node_exited"};
  const char* statuses[] = {"run_completed", "run_completed", "run_completed", "run_failed", "note"};
  std::vector<runjournal::NewEvent> batch;
  for (int r = 0; r < runs; ++r) {
    const std::string id = "run-" + std::to_string(r);
    batch.push_back({id, "run_created",
                     {{"session_id", "session-" + std::to_string(r % 500)},
                      {"prompt", "summarise the incident report number " + std::to_string(r) + " for the on-call team"}},
                     {}});
    for (int e = 1; e < events_per_run - 1; ++e) {
      batch.push_back({id, kinds[e % 5],
                       {{"tool_name", "search"}, {"step", e}, {"args", {{"query", "error budget"}, {"limit", 10}}}},
                       {}});
    }
    const std::string last = statuses[r % 5];
    batch.push_back({id, last, last == "run_failed" ? nlohmann::json{{"error", "tool timed out"}}
                                                    : nlohmann::json{{"result_text", "done"}}, {}});
    if (batch.size() >= 20'000) {
      journal.append_batch(std::move(batch));
      batch.clear();
    }
  }
  if (!batch.empty()) journal.append_batch(std::move(batch));
}

// ---- the server -----------------------------------------------------------

struct ServerProcess {
  pid_t pid = -1;
  int port = 0;

  ServerProcess(const std::string& cli, const fs::path& db) {
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    std::vector<std::string> argv = {cli, "serve", db.string(), "--listen", "127.0.0.1:0"};
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    if (posix_spawnp(&pid, cli.c_str(), &actions, nullptr, args.data(), environ) != 0) {
      throw std::runtime_error("cannot start " + cli);
    }
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    std::string line;
    char c = 0;
    while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
    close(out[0]);
    std::smatch m;
    if (!std::regex_search(line, m, std::regex(":([0-9]+)/"))) throw std::runtime_error("serve printed: " + line);
    port = std::stoi(m[1]);
  }
  ~ServerProcess() {
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port) + path; }
  // Resident memory in KiB, from /proc.
  long rss_kib() const {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
  }
};

int connect_loopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("connect");
  return fd;
}

// Opens /api/stream and hands every received "id: N" to `on_id`, until it
// returns false. Chunk framing is skipped over: ids are found in the text.
void read_stream(int port, const std::string& query, const std::function<bool(std::int64_t, std::size_t)>& on_id) {
  const int fd = connect_loopback(port);
  const std::string request = "GET /api/stream" + query + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n\r\n";
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string carry;
  std::size_t total = 0;
  std::vector<char> buf(1 << 16);
  for (;;) {
    const ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) break;
    total += static_cast<std::size_t>(n);
    carry.append(buf.data(), static_cast<std::size_t>(n));
    std::size_t pos = 0;
    bool go_on = true;
    for (;;) {
      const std::size_t id = carry.find("\nid: ", pos);
      if (id == std::string::npos) break;
      const std::size_t end = carry.find('\n', id + 5);
      if (end == std::string::npos) break;
      go_on = on_id(std::stoll(carry.substr(id + 5, end - id - 5)), total);
      pos = end;
      if (!go_on) break;
    }
    if (!go_on) break;
    carry.erase(0, pos > 8 ? pos - 8 : 0);
  }
  close(fd);
}

// ---- the measurements -----------------------------------------------------

void first_render(const Config& config, const ServerProcess& server) {
  std::printf("\n== first render of the runs page (chromium, a fresh browser context per load)\n");
  const std::string out =
      run_command("node " + config.node_script + " " + server.url("/") + " " + (config.quick ? "3" : "15") + " 2>&1");
  std::printf("%s", out.c_str());
}

void runs_api_load(const Config& config, const ServerProcess& server) {
  std::printf("\n== /api/runs at 50 concurrent clients (wrk -t2 -c50, keep-alive, %s)\n", config.quick ? "2 s" : "15 s");
  const std::string duration = config.quick ? "2s" : "15s";
  const auto p99 = [&](const std::string& url, double& rps) {
    const std::string out = run_command("wrk -t2 -c50 -d" + duration + " --latency " + url + " 2>&1");
    std::smatch m;
    double value = -1;
    if (std::regex_search(out, m, std::regex("99%\\s+([0-9.]+)(us|ms|s)"))) {
      value = std::stod(m[1]);
      if (m[2] == "us") value /= 1000;
      if (m[2] == "s") value *= 1000;
    }
    if (std::regex_search(out, m, std::regex("Requests/sec:\\s+([0-9.]+)"))) rps = std::stod(m[1]);
    if (value < 0) std::printf("wrk failed: %s\n", out.c_str());
    return value;
  };
  // Distinct pages too (a cursor each), so that no body is reused from
  // the server's page cache: wrk walks 400 of them round-robin.
  const fs::path script = config.dir / "pages.lua";
  {
    Journal journal = Journal::open(config.dir / "serve.journal", runjournal::Options{.read_only = true});
    std::ofstream lua(script);
    lua << "local paths = {";
    for (const runjournal::Run& run : journal.runs({}, runjournal::Page{.limit = 400, .order = runjournal::RunOrder::NewestFirst})) {
      lua << "\"/api/runs?after=" << run.run_id << "\",";
    }
    lua << "}\nlocal i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format(nil, paths[i])\nend\n";
  }
  double api_rps = 0, pages_rps = 0, static_rps = 0;
  const double api = p99(server.url("/api/runs"), api_rps);
  const double pages = p99("-s " + script.string() + " " + server.url("/"), pages_rps);
  const double raw = p99(server.url("/assets/favicon.svg"), static_rps);
  std::printf("  /api/runs, the newest 50 (one URL)      p99 %7.2f ms   %8.0f req/s\n", api, api_rps);
  std::printf("  /api/runs, 400 pages in turn (no reuse) p99 %7.2f ms   %8.0f req/s\n", pages, pages_rps);
  std::printf("  a static file, same server (baseline)   p99 %7.2f ms   %8.0f req/s   ratios %.1fx, %.1fx\n", raw,
              static_rps, raw > 0 ? api / raw : 0, raw > 0 ? pages / raw : 0);
  Journal journal = Journal::open(config.dir / "serve.journal", runjournal::Options{.read_only = true});
  std::vector<double> times;
  for (int i = 0; i < 300; ++i) {
    const auto start = Clock::now();
    auto runs = journal.runs({}, runjournal::Page{.limit = 51, .order = runjournal::RunOrder::NewestFirst});
    times.push_back(ms_since(start));
  }
  std::printf("  Journal::runs() in-process, one caller: p50 %.3f ms  p99 %.3f ms\n", percentile(times, 50),
              percentile(times, 99));
}

void stream_latency(const Config& config, const ServerProcess& server) {
  std::printf("\n== commit to stream: append here, received on an open /api/stream\n");
  Journal journal = Journal::open(config.dir / "serve.journal");
  const int samples = config.quick ? 20 : 200;
  std::atomic<std::int64_t> waiting_for{-1};
  std::vector<double> over_http, in_process;
  Clock::time_point sent;
  std::thread reader([&] {
    read_stream(server.port, "?payloads=0&after=" + std::to_string(journal.last_position()),
                [&](std::int64_t id, std::size_t) {
                  if (id == waiting_for.load()) {
                    over_http.push_back(ms_since(sent));
                    waiting_for = -1;
                  }
                  return static_cast<int>(over_http.size()) < samples;
                });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the stream is open and caught up
  // This process is the only writer, so the next position is known before
  // the append: the receiver can never see it before it is awaited.
  std::int64_t next = journal.last_position() + 1;
  for (int i = 0; i < samples; ++i, ++next) {
    sent = Clock::now();
    waiting_for = next;
    journal.append("run-0", "bench_note", {{"i", i}});
    while (waiting_for.load() != -1) std::this_thread::sleep_for(std::chrono::microseconds(200));
    std::this_thread::sleep_for(std::chrono::milliseconds(7));  // land at varied points of the poll
  }
  reader.join();
  // Baseline: follow() on another Journal of this process, the same 20 ms poll.
  Journal follower = Journal::open(config.dir / "serve.journal", runjournal::Options{.read_only = true});
  std::atomic<bool> stop{false};
  std::thread tail([&] {
    follower.follow(journal.last_position(), [&](const runjournal::Event& event) {
      if (event.position == waiting_for.load()) {
        in_process.push_back(ms_since(sent));
        waiting_for = -1;
      }
      return true;
    }, [&] { return !stop.load(); });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  next = journal.last_position() + 1;
  for (int i = 0; i < samples; ++i, ++next) {
    sent = Clock::now();
    waiting_for = next;
    journal.append("run-0", "bench_note", {{"i", i}});
    while (waiting_for.load() != -1) std::this_thread::sleep_for(std::chrono::microseconds(200));
    std::this_thread::sleep_for(std::chrono::milliseconds(7));
  }
  stop = true;
  tail.join();
  std::printf("  /api/stream over HTTP       p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms  (%d commits)\n",
              percentile(over_http, 50), percentile(over_http, 99), percentile(over_http, 100), samples);
  std::printf("  Journal::follow in-process  p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms  (baseline; ratio p99 %.2fx)\n",
              percentile(in_process, 50), percentile(in_process, 99), percentile(in_process, 100),
              percentile(in_process, 99) > 0 ? percentile(over_http, 99) / percentile(in_process, 99) : 0);
}

void stream_memory(const Config& config, const ServerProcess& server) {
  std::printf("\n== server memory over a long stream (VmRSS of the serve process)\n");
  const long before = server.rss_kib();
  long peak = before;
  std::atomic<bool> done{false};
  std::thread sampler([&] {
    while (!done) {
      peak = std::max(peak, server.rss_kib());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  Journal journal = Journal::open(config.dir / "serve.journal");
  const std::int64_t replay_to = journal.last_position();
  const auto start = Clock::now();
  std::size_t bytes = 0;
  long after_replay = 0;
  std::atomic<std::int64_t> live_target{0};
  const int live = config.quick ? 500 : 20'000;
  std::thread writer;
  read_stream(server.port, "?after=0", [&](std::int64_t id, std::size_t total) {
    bytes = total;
    if (id == replay_to) {
      after_replay = server.rss_kib();
      std::printf("  replayed %lld events (%.0f MB of SSE) in %.1f s\n", static_cast<long long>(replay_to),
                  static_cast<double>(total) / 1e6, ms_since(start) / 1000);
      // Then live: appends, a batch of 10 every 5 ms, while the stream stays open.
      writer = std::thread([&] {
        for (int i = 0; i < live; i += 10) {
          std::vector<runjournal::NewEvent> batch;
          for (int k = 0; k < 10; ++k) batch.push_back({"run-1", "bench_live", {{"i", i + k}}, {}});
          live_target = journal.append_batch(std::move(batch)).back().position;
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      });
    }
    return live_target.load() == 0 || id < live_target.load();
  });
  if (writer.joinable()) writer.join();
  done = true;
  sampler.join();
  std::printf("  RSS before %ld KiB, after the replay %ld KiB, peak %ld KiB, after %d live events %ld KiB (%.0f MB sent)\n",
              before, after_replay, peak, live, server.rss_kib(), static_cast<double>(bytes) / 1e6);
}

// runs() over a million runs, and the raw SQLite first page beside it.
void million_runs(const Config& config) {
  const fs::path path = config.dir / "million.journal";
  std::printf("\n== runs() over %d runs (one event each)\n", config.million);
  if (!fs::exists(path)) {
    const auto start = Clock::now();
    runjournal::Options options;
    options.durability = runjournal::Durability::Normal;
    std::int64_t now = 1'700'000'000'000;
    options.clock = [&now] { return now; };
    Journal journal = Journal::open(path, options);
    std::vector<runjournal::NewEvent> batch;
    for (int r = 0; r < config.million; ++r) {
      batch.push_back({"r-" + std::to_string(r), "run_created",
                       {{"session_id", "s-" + std::to_string(r % 20'000)}, {"prompt", "task " + std::to_string(r)}}, {}});
      if (r % 50 == 0) batch.push_back({"r-" + std::to_string(r), "run_failed", {{"error", "e"}}, {}});
      if (batch.size() >= 10'000) {
        journal.append_batch(std::move(batch));
        batch.clear();
        now += 60'000;  // ten thousand runs a minute
      }
    }
    if (!batch.empty()) journal.append_batch(std::move(batch));
    std::printf("  built in %.1f s\n", ms_since(start) / 1000);
  }
  Journal journal = Journal::open(path, runjournal::Options{.read_only = true});
  using runjournal::Page;
  using runjournal::RunFilter;
  using runjournal::RunOrder;
  const std::string middle = "r-" + std::to_string(config.million / 2);
  const std::int64_t t0 = 1'700'000'000'000;
  const std::int64_t minutes = config.million / 10'000;
  struct Case {
    const char* name;
    RunFilter filter;
    Page page;
  };
  const std::vector<Case> cases = {
      {"newest 50", {}, {.limit = 50, .order = RunOrder::NewestFirst}},
      {"50 after the middle run", {}, {.limit = 50, .after_run_id = middle, .order = RunOrder::NewestFirst}},
      {"50 before the middle run", {}, {.limit = 50, .before_run_id = middle, .order = RunOrder::NewestFirst}},
      {"failed, after the middle", {.status = runjournal::RunStatus::Failed},
       {.limit = 50, .after_run_id = middle, .order = RunOrder::NewestFirst}},
      {"one session", {.session_id = "s-77"}, {.limit = 50, .order = RunOrder::NewestFirst}},
      {"a 1-minute window, old", {.created_since_ms = t0 + 60'000 * 3, .created_until_ms = t0 + 60'000 * 4},
       {.limit = 50, .order = RunOrder::NewestFirst}},
      {"a window of half, old", {.created_until_ms = t0 + 60'000 * (minutes / 2)},
       {.limit = 50, .order = RunOrder::NewestFirst}},
      {"text, matches often", {.text = "task 12"}, {.limit = 50, .order = RunOrder::NewestFirst}},
      {"text, matches nothing", {.text = "no such words"}, {.limit = 50, .order = RunOrder::NewestFirst}},
  };
  std::printf("  %-28s %10s %10s\n", "page", "first ms", "again ms");
  for (const Case& c : cases) {
    auto start = Clock::now();
    const std::size_t n = journal.runs(c.filter, c.page).size();
    const double first = ms_since(start);
    std::vector<double> again;
    for (int i = 0; i < 5; ++i) {
      start = Clock::now();
      journal.runs(c.filter, c.page);
      again.push_back(ms_since(start));
    }
    std::printf("  %-28s %10.2f %10.2f   (%zu runs)\n", c.name, first, percentile(again, 50), n);
  }
  // Raw baseline: the newest 50 rows straight from SQLite, no JSON parsing.
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  std::vector<double> raw;
  for (int i = 0; i < 6; ++i) {
    const auto start = Clock::now();
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db,
                       "SELECT run_id, session_id, status, prompt, created_at_ms, first_position FROM runs "
                       "ORDER BY first_position DESC LIMIT 50",
                       -1, &stmt, nullptr);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
    }
    sqlite3_finalize(stmt);
    raw.push_back(ms_since(start));
  }
  sqlite3_close(db);
  std::printf("  %-28s %10.2f %10.2f   (baseline)\n", "raw SQLite, newest 50", raw[0], percentile(raw, 50));
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      config.quick = true;
    } else if (arg == "--keep") {
      config.keep = true;
    } else if (arg == "--dir" && i + 1 < argc) {
      config.dir = argv[++i];
    } else if (arg == "--cli" && i + 1 < argc) {
      config.cli = argv[++i];
    } else if (arg == "--node-script" && i + 1 < argc) {
      config.node_script = argv[++i];
    } else {
      std::fprintf(stderr, "usage: runjournal-bench-serve [--quick] [--keep] [--dir DIR] [--cli PATH] [--node-script PATH]\n");
      return 2;
    }
  }
  if (config.quick) {
    config.runs = 200;
    config.events_per_run = 20;
    config.million = 20'000;
  }
  signal(SIGPIPE, SIG_IGN);
  const fs::path db = config.dir / "serve.journal";
  if (!config.keep || !fs::exists(db)) {
    fs::remove_all(config.dir);
    fs::create_directories(config.dir);
    const auto start = Clock::now();
    build_journal(db, config.runs, config.events_per_run);
    std::printf("journal: %d runs, %d events, %.0f MB, built in %.1f s\n", config.runs,
                config.runs * config.events_per_run, static_cast<double>(fs::file_size(db)) / 1e6,
                ms_since(start) / 1000);
  } else {
    std::printf("journal: kept from an earlier run, %.0f MB\n", static_cast<double>(fs::file_size(db)) / 1e6);
  }
  try {
    // Caught here, not left to std::terminate, so that the server's
    // destructor stops it when a scenario fails.
    ServerProcess server(config.cli, db);
    first_render(config, server);
    runs_api_load(config, server);
    stream_latency(config, server);
    stream_memory(config, server);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_serve: %s\n", e.what());
    return 1;
  }
  million_runs(config);
  if (!config.keep) fs::remove_all(config.dir);
  return 0;
}
