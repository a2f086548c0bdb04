// pg_restart_test: the PostgreSQL server is stopped at once (`pg_ctl stop
// -m immediate`: a crash, no shutdown checkpoint) and started again while
// one Journal appends keyed batches and reads, three times. The server is a
// cluster of this test's own (tools/pg_cluster.sh in a folder of its own),
// never the fixture's, which the other suites share. Checked:
// - while the server is down every call fails with a typed error, Io or
//   TimedOut, within the journal's timeout (busy_timeout), never a crash or
//   a hang; nothing is acknowledged while it is down;
// - after the restart the same Journal object reconnects by itself and
//   appends and reads again;
// - a batch in flight at the crash, sent again with its keys, lands once:
//   every batch is whole or absent, each key once;
// - every acknowledged event survived the crash at its position (commits
//   are flushed: synchronous_commit on), positions and seqs are gapless,
//   verify() is clean and runs() equals a rebuild.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <runjournal/journal.hpp>

#include "process.hpp"
#include "reliability_support.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using runjournal::ErrorCode;
using runjournal::Journal;
using runjournal::test::Acked;
using Clock = std::chrono::steady_clock;

namespace {

runjournal::test::Outcome pg_cluster(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"bash", RUNJOURNAL_PG_CLUSTER_SH};
  argv.insert(argv.end(), args.begin(), args.end());
  return runjournal::test::run_process(argv);
}

// A cluster of this test's own under /tmp (short enough for a socket path,
// reachable by the server's user when run as root), destroyed at the end.
class OwnCluster {
 public:
  OwnCluster() : dir_("/tmp/rjr-" + std::to_string(::getuid()) + "-" + std::to_string(::getpid())) {
    const auto started = pg_cluster({"start", dir_, "--fresh"});
    REQUIRE_MESSAGE(started.exit_code == 0, "pg_cluster.sh start failed: " << started.err);
    std::ifstream in(dir_ + "/uri");
    REQUIRE(std::getline(in, uri_));
  }
  OwnCluster(const OwnCluster&) = delete;
  OwnCluster& operator=(const OwnCluster&) = delete;
  ~OwnCluster() { pg_cluster({"destroy", dir_}); }

  const std::string& uri() const { return uri_; }
  // Seconds the command took; fails the test when it fails.
  double run(const std::vector<std::string>& args) const {
    std::vector<std::string> full = {args.front(), dir_};
    full.insert(full.end(), args.begin() + 1, args.end());
    const auto t0 = Clock::now();
    const auto outcome = pg_cluster(full);
    CHECK_MESSAGE(outcome.exit_code == 0, "pg_cluster.sh " << args.front() << " failed: " << outcome.err);
    return std::chrono::duration<double>(Clock::now() - t0).count();
  }

 private:
  std::string dir_;
  std::string uri_;
};

// Batch op: 1 to 5 events over two runs, keyed "b<op>.<i>/<size>" (what
// check_keyed_batches reads), the same every time it is sent.
std::vector<runjournal::NewEvent> batch(long op) {
  const long size = 1 + op % 5;
  std::vector<runjournal::NewEvent> out;
  for (long i = 0; i < size; ++i) {
    runjournal::NewEvent e{(op + i) % 2 == 0 ? "r0" : "r1", "tool_called", {{"op", op}, {"i", i}}, {}};
    e.options.idempotency_key = "b" + std::to_string(op) + "." + std::to_string(i) + "/" + std::to_string(size);
    out.push_back(std::move(e));
  }
  return out;
}

// What the calls met, shared by the test's threads.
struct Record {
  std::mutex mutex;
  std::vector<Acked> acked;
  std::map<ErrorCode, long> failures;
  std::vector<std::string> unexpected;  // anything but a runjournal::Error
  std::chrono::duration<double> longest_failure{0};
  std::atomic<long> appended{0};  // batches acknowledged
  std::atomic<long> failed{0};    // calls failed, appends and reads

  void failure(ErrorCode code, Clock::duration took) {
    const std::lock_guard<std::mutex> lock(mutex);
    ++failures[code];
    longest_failure = std::max<std::chrono::duration<double>>(longest_failure, took);
    ++failed;
  }
};

// Runs `call`; a runjournal::Error is recorded with how long the call took.
template <typename F>
bool attempt(Record& record, F&& call) {
  const auto t0 = Clock::now();
  try {
    call();
    return true;
  } catch (const runjournal::Error& e) {
    record.failure(e.code(), Clock::now() - t0);
  } catch (const std::exception& e) {
    const std::lock_guard<std::mutex> lock(record.mutex);
    record.unexpected.push_back(e.what());
  }
  return false;
}

bool wait_until(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto until = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

}  // namespace

TEST_CASE("a server stopped immediately mid-append: typed errors while down, the same Journal goes on after") {
  OwnCluster cluster;
  constexpr auto kTimeout = 2000ms;
  runjournal::Options options;
  options.busy_timeout = kTimeout;
  Journal journal = Journal::open(cluster.uri(), options);
  journal.create_run({.session_id = "s", .run_id = "r0"});
  journal.create_run({.session_id = "s", .run_id = "r1"});

  Record record;
  std::atomic<bool> stop{false};
  std::thread appender([&] {
    long op = 0;
    while (!stop) {
      std::vector<runjournal::Event> events;
      // A failed batch is sent again, the same, until it lands: it may have
      // committed before its answer was lost.
      if (attempt(record, [&] { events = journal.append_batch(batch(op)); })) {
        const std::lock_guard<std::mutex> lock(record.mutex);
        for (const auto& e : events) record.acked.push_back({e.run_id, e.seq, e.position});
        ++op;
        ++record.appended;
      } else {
        std::this_thread::sleep_for(20ms);
      }
    }
  });
  std::thread reader([&] {
    while (!stop) {
      attempt(record, [&] {
        (void)journal.run("r0");
        (void)journal.events_after(0, 20);
      });
      std::this_thread::sleep_for(10ms);
    }
  });

  constexpr int kCycles = 3;
  double stop_seconds = 0, start_seconds = 0, back_seconds = 0;
  long failed_while_down = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    const long before = record.appended;
    CHECK_MESSAGE(wait_until([&] { return record.appended >= before + 10; }, 60s),
                  "cycle " << cycle << ": appends did not resume");
    stop_seconds = std::max(stop_seconds, cluster.run({"stop", "--immediate"}));
    // An answer that reached the socket before the crash may still be
    // handed out just after: counted from a moment later.
    std::this_thread::sleep_for(100ms);
    const long at_stop = record.appended;
    const long failed_at_stop = record.failed;
    std::this_thread::sleep_for(700ms);
    // Down: calls fail, none is acknowledged.
    CHECK(record.appended == at_stop);
    CHECK(record.failed > failed_at_stop);
    failed_while_down += record.failed - failed_at_stop;
    const auto restarting = Clock::now();
    start_seconds = std::max(start_seconds, cluster.run({"start"}));
    CHECK_MESSAGE(wait_until([&] { return record.appended > at_stop; }, 30s),
                  "cycle " << cycle << ": the Journal did not append again after the restart");
    back_seconds = std::max(back_seconds, std::chrono::duration<double>(Clock::now() - restarting).count());
  }
  const long before = record.appended;
  CHECK(wait_until([&] { return record.appended >= before + 10; }, 60s));
  stop = true;
  appender.join();
  reader.join();

  CHECK(record.unexpected.empty());
  // Not a structured binding: INFO and CHECK capture in a lambda, and clang
  // 14 cannot capture one.
  for (const auto& entry : record.failures) {
    INFO(entry.second << " calls failed with " << runjournal::to_string(entry.first));
    CHECK((entry.first == ErrorCode::Io || entry.first == ErrorCode::TimedOut));
  }
  CHECK(record.longest_failure < kTimeout + 1s);
  // The same Journal reads again too.
  CHECK(journal.events("r0").size() > 1);

  std::vector<runjournal::Event> events;
  const auto problems = runjournal::test::check_journal(cluster.uri(), record.acked, &events);
  for (const std::string& p : problems) FAIL_CHECK(p);
  long batches = 0;
  for (const std::string& p : runjournal::test::check_keyed_batches(events, &batches)) FAIL_CHECK(p);
  CHECK(batches == record.appended);
  std::string codes;
  for (const auto& entry : record.failures) {
    codes += " " + std::string(runjournal::to_string(entry.first)) + "=" + std::to_string(entry.second);
  }
  MESSAGE("PostgreSQL restarts: " << kCycles << " immediate stops, " << record.appended.load() << " batches ("
                                  << record.acked.size() << " events) acknowledged, all there; "
                                  << failed_while_down << " calls failed while down (" << codes << " ), longest "
                                  << record.longest_failure.count() << " s; slowest stop " << stop_seconds
                                  << " s, start " << start_seconds
                                  << " s, first append at most " << back_seconds << " s after a start began");
}
