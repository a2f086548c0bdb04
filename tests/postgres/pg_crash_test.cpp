// pg_crash_test: a client process writing to a PostgreSQL journal is
// killed with SIGKILL at random moments, round after round, and the journal
// is checked after each kill. The writer (tests/journal_child.cpp,
// "keyed-batches") appends batches whose every event has an idempotency
// key, and prints each event only after the batch that committed it
// returned; each new child first sends again the batch its predecessor may
// have been killed in, with the same keys. After every kill:
// - every acknowledged event is there, at its position, run and seq;
// - no batch is half there: all its events at consecutive positions, or none;
// - positions run 1, 2, 3 … and every run's seqs 1 … n, each key once;
// - verify() is clean and runs() equals runs() after a rebuild();
// - what one child acknowledged has increasing positions.
// The first rounds kill children while they create the journal (its
// migrations), too.
//
// The journal is a schema of its own on the fixture's server. The RNG seed
// is printed; RUNJOURNAL_CRASH_SEED replays it, RUNJOURNAL_CRASH_ITERATIONS
// (default 60) and RUNJOURNAL_CRASH_SECONDS (default 20) set the length.
#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <runjournal/journal.hpp>

#include "postgres/connection.hpp"
#include "process.hpp"
#include "reliability_support.hpp"
#include "test_support.hpp"

using runjournal::test::Acked;

namespace {

std::string server_uri() {
  if (const char* direct = std::getenv("RUNJOURNAL_TEST_PG_URI"); direct != nullptr && *direct != '\0') return direct;
  const char* file = std::getenv("RUNJOURNAL_TEST_PG_URI_FILE");
  REQUIRE_MESSAGE(file != nullptr, "no PostgreSQL server: run through ctest, whose pg_cluster fixture starts one");
  std::ifstream in(file);
  std::string line;
  REQUIRE_MESSAGE(std::getline(in, line), "no server URI in " << file);
  return line;
}

// A schema of its own for the journal, dropped at the end.
class Schema {
 public:
  Schema() : name_("rjk_" + std::to_string(::getpid())) {
    auto admin = runjournal::pg::Connection::connect(server_uri());
    admin.exec("DROP SCHEMA IF EXISTS " + name_ + " CASCADE; CREATE SCHEMA " + name_);
    uri_ = server_uri() + (server_uri().find('?') == std::string::npos ? "?" : "&") +
           "options=-csearch_path%3D" + name_;
  }
  Schema(const Schema&) = delete;
  Schema& operator=(const Schema&) = delete;
  ~Schema() {
    try {
      runjournal::pg::Connection::connect(server_uri()).exec("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
    } catch (const std::exception&) {  // the fixture's cluster is removed after the run anyway
    }
  }
  const std::string& uri() const { return uri_; }

 private:
  std::string name_;
  std::string uri_;
};

struct Tally {
  long rounds = 0;
  long killed = 0;
  long killed_in_batch = 0;  // after a BEGIN, before its DONE
  long finished = 0;
  long acked = 0;
  long returned_by_retry = 0;  // events of a batch sent again that had committed before the kill
  long lost = 0;
};

}  // namespace

TEST_CASE("a client killed at random moments never loses an acknowledged event nor leaves half a batch") {
  const unsigned seed = static_cast<unsigned>(
      runjournal::test::env_number("RUNJOURNAL_CRASH_SEED", static_cast<long>(std::random_device{}() & 0x7fffffff)));
  const long iterations = runjournal::test::env_number("RUNJOURNAL_CRASH_ITERATIONS", 60);
  const auto budget = std::chrono::seconds(runjournal::test::env_number("RUNJOURNAL_CRASH_SECONDS", 20));
  MESSAGE("PostgreSQL crash loop: seed " << seed << " (RUNJOURNAL_CRASH_SEED to replay)");
  std::mt19937 rng(seed);
  const unsigned batch_seed = static_cast<unsigned>(rng());
  const Schema schema;
  std::vector<Acked> acked;
  std::map<std::int64_t, std::string> acked_at;  // position → run and seq, to spot a second answer
  long next_op = 0;
  std::int64_t stored_last = 0;  // the last position stored when the previous round was checked
  Tally tally;
  const auto started = std::chrono::steady_clock::now();
  for (long i = 0; i < iterations && std::chrono::steady_clock::now() - started < budget; ++i) {
    INFO("seed " << seed << " round " << i);
    const std::string durability = i % 2 == 0 ? "full" : "normal";
    // Early rounds die young (during the journal's creation); later ones
    // after up to 80 lines, plus up to 3 ms.
    const long lines = i < 4 ? 0 : static_cast<long>(rng() % 80);
    const auto delay = std::chrono::microseconds(i < 4 ? rng() % 40'000 : rng() % 3000);
    runjournal::test::Child child = runjournal::test::start_process(
        {RUNJOURNAL_TEST_CHILD, "keyed-batches", schema.uri(), std::to_string(batch_seed), std::to_string(next_op),
         "1000", durability});
    const runjournal::test::KilledChild killed = runjournal::test::kill_after_lines(child, lines, delay);
    const std::vector<std::string>& seen = killed.lines;
    const runjournal::test::Outcome& outcome = killed.outcome;

    bool in_batch = false;
    std::int64_t last_position = 0;
    for (const std::string& l : seen) {
      std::istringstream words(l);
      std::string tag;
      words >> tag;
      if (tag == "ACK") {
        Acked a;
        words >> a.run_id >> a.seq >> a.position;
        CHECK_MESSAGE(a.position > last_position, "a child acknowledged position " << a.position << " after "
                                                                                   << last_position);
        last_position = a.position;
        if (a.position <= stored_last) ++tally.returned_by_retry;
        const std::string what = a.run_id + " seq " + std::to_string(a.seq);
        // Not a structured binding: CHECK_MESSAGE captures in a lambda, and
        // clang 14 cannot capture one.
        const auto inserted = acked_at.emplace(a.position, what);
        if (inserted.second) {
          acked.push_back(a);
          ++tally.acked;
        } else {
          const std::string& earlier = inserted.first->second;
          CHECK_MESSAGE(earlier == what, "position " << a.position << " acknowledged as " << earlier << " and as "
                                                     << what);
        }
      } else if (tag == "BEGIN") {
        in_batch = true;
      } else if (tag == "DONE") {
        long op = -1;
        words >> op;
        CHECK(op == next_op);
        next_op = op + 1;
        in_batch = false;
      }
    }
    ++tally.rounds;
    if (outcome.signal == SIGKILL) {
      ++tally.killed;
      if (in_batch) ++tally.killed_in_batch;
    } else {
      CHECK_MESSAGE(outcome.exit_code == 0, "child exited " << outcome.exit_code << ": " << outcome.err);
      ++tally.finished;
    }

    std::vector<runjournal::Event> events;
    std::vector<std::string> problems;
    try {
      problems = runjournal::test::check_journal(schema.uri(), acked, &events);
    } catch (const runjournal::Error& e) {
      // Killed before the first migration committed: no journal yet, and
      // the next child creates it.
      CHECK_MESSAGE((e.code() == runjournal::ErrorCode::NotFound && acked.empty()),
                    "reopening after the kill failed: " << e.what());
      continue;
    }
    if (!events.empty()) stored_last = events.back().position;
    for (const std::string& p : runjournal::test::check_keyed_batches(events)) problems.push_back(p);
    for (const std::string& p : problems) {
      FAIL_CHECK(p);
      if (p.find("is lost") != std::string::npos) ++tally.lost;
    }
  }
  MESSAGE("PostgreSQL crash loop: " << tally.rounds << " rounds, " << tally.killed << " killed ("
                                    << tally.killed_in_batch << " inside a batch), " << tally.finished
                                    << " finished first; " << tally.acked << " events acknowledged, "
                                    << tally.returned_by_retry << " acknowledgements from a retried batch that had committed, "
                                    << next_op << " batches done, " << tally.lost << " lost");
  CHECK(tally.rounds >= 10);
  CHECK(tally.killed_in_batch > 0);
  CHECK(tally.acked > 0);
  CHECK(tally.lost == 0);
}
