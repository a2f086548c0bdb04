// crash_test: a writer process is killed with SIGKILL at a random moment,
// again and again, and the journal is checked after each kill: every event
// it acknowledged is there exactly once at its seq and position, seqs and
// positions have no gap, verify() is clean, and the runs read after the
// reopen equal the runs after a rebuild. The writer (tests/journal_child.cpp,
// "mixed") appends with idempotency keys, writes small and large batches,
// creates runs, rebuilds and imports, so kills land inside all of them.
//
// The RNG seed is printed; RUNJOURNAL_CRASH_SEED=S replays a run.
// RUNJOURNAL_CRASH_ITERATIONS=N sets the kills per durability (CI: 100), and
// RUNJOURNAL_CRASH_SECONDS=T caps the time per durability (CI: 25 s).
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <runjournal/journal.hpp>

#include "process.hpp"
#include "reliability_support.hpp"
#include "test_support.hpp"

using runjournal::test::Acked;
using runjournal::test::TempDir;

namespace {

struct Tally {
  long iterations = 0;
  long killed = 0;    // killed before it finished
  long finished = 0;  // finished before the kill
  std::map<std::string, long> killed_during;  // by the operation in progress
  long acked = 0;
  long lost = 0;
};

// One child: started, killed after `lines` lines plus `delay`, its output
// parsed into `acked`. Returns the operation it was in when killed ("" when
// it finished first).
std::string run_and_kill(const std::filesystem::path& db, const std::string& prefix, unsigned seed,
                         const std::string& durability, long lines, std::chrono::microseconds delay,
                         std::vector<Acked>& acked, std::map<std::string, std::int64_t>& imported, Tally& tally) {
  runjournal::test::Child child = runjournal::test::start_process(
      {RUNJOURNAL_TEST_CHILD, "mixed", db.string(), prefix, std::to_string(seed), "60", durability});
  const runjournal::test::KilledChild killed = runjournal::test::kill_after_lines(child, lines, delay);
  const std::vector<std::string>& seen = killed.lines;
  const runjournal::test::Outcome& outcome = killed.outcome;
  std::string in_progress;
  for (const std::string& l : seen) {
    std::string operation;
    const std::string tag = runjournal::test::record_child_line(l, acked, imported, &operation);
    if (tag == "ACK") {
      ++tally.acked;
    } else if (tag == "BEGIN") {
      in_progress = operation;
    } else {
      in_progress.clear();  // REBUILT, IMPORTED: that operation returned
    }
  }
  if (outcome.signal == SIGKILL) {
    ++tally.killed;
    ++tally.killed_during[in_progress.empty() ? "between" : in_progress];
  } else {
    // Finished before the kill: it must have succeeded.
    CHECK_MESSAGE(outcome.exit_code == 0, "child " << prefix << " exited " << outcome.exit_code);
    ++tally.finished;
    in_progress.clear();
  }
  return in_progress;
}

void crash_loop(const std::string& durability) {
  const unsigned seed = static_cast<unsigned>(
      runjournal::test::env_number("RUNJOURNAL_CRASH_SEED", static_cast<long>(std::random_device{}() & 0x7fffffff)));
  const long iterations = runjournal::test::env_number("RUNJOURNAL_CRASH_ITERATIONS", 100);
  const auto budget = std::chrono::seconds(runjournal::test::env_number("RUNJOURNAL_CRASH_SECONDS", 25));
  MESSAGE("crash loop (" << durability << "): seed " << seed << " (RUNJOURNAL_CRASH_SEED to replay)");
  std::mt19937 rng(seed);
  const auto started = std::chrono::steady_clock::now();
  Tally tally;
  TempDir dir;
  std::filesystem::path db;
  std::vector<Acked> acked;
  std::map<std::string, std::int64_t> imported;
  for (long i = 0; i < iterations && std::chrono::steady_clock::now() - started < budget; ++i) {
    // A fresh file every 40 kills keeps the per-kill check (a full verify
    // and rebuild) cheap while the journal still grows across many kills.
    if (i % 40 == 0) {
      db = dir.file("j" + std::to_string(i) + ".db");
      acked.clear();
      imported.clear();
    }
    const long lines = static_cast<long>(rng() % 80);
    const auto delay = std::chrono::microseconds(rng() % 3000);
    const std::string prefix = "i" + std::to_string(i);
    run_and_kill(db, prefix, static_cast<unsigned>(rng()), durability, lines, delay, acked, imported, tally);
    ++tally.iterations;
    if (!std::filesystem::exists(db)) continue;  // killed before it created the file
    INFO("crash loop " << durability << " seed " << seed << " iteration " << i);
    std::vector<runjournal::Event> events;
    std::vector<std::string> problems;
    try {
      problems = runjournal::test::check_journal(db, acked, &events);
    } catch (const runjournal::Error& e) {
      // A journal killed while it was being created may be empty: that is
      // "no journal yet", and the next writer initialises it.
      if (e.code() != runjournal::ErrorCode::NotFound || !acked.empty()) {
        FAIL_CHECK("reopening after the kill failed: " << e.what());
      }
      continue;
    }
    for (const std::string& p : problems) {
      FAIL_CHECK(p);
      if (p.find("is lost") != std::string::npos) ++tally.lost;
    }
    // An import is all or nothing: acknowledged, it is all there (later
    // appends may have added to the run since).
    std::map<std::string, std::int64_t> counts;
    for (const auto& e : events) ++counts[e.run_id];
    for (const auto& entry : imported) {
      // Not a structured binding: CHECK_MESSAGE captures in a lambda, and
      // clang 14 cannot capture one.
      CHECK_MESSAGE(counts[entry.first] >= entry.second, "imported run " << entry.first << " is partial");
    }
  }
  std::ostringstream during;
  for (const auto& [op, n] : tally.killed_during) during << " " << op << "=" << n;
  MESSAGE("crash loop (" << durability << "): " << tally.iterations << " runs, " << tally.killed << " killed ("
                         << during.str() << "), " << tally.finished << " finished first; " << tally.acked
                         << " events acknowledged, " << tally.lost << " lost");
  CHECK(tally.iterations >= 10);
  CHECK(tally.killed > 0);
  CHECK(tally.acked > 0);
  CHECK(tally.lost == 0);
}

}  // namespace

TEST_CASE("a writer killed at random moments with durability full never loses an acknowledged event") {
  crash_loop("full");
}

TEST_CASE("a writer killed at random moments with durability normal never loses an acknowledged event") {
  crash_loop("normal");
}
