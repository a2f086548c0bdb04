// pg_position_test.cpp — positions on PostgreSQL follow commit order with the
// chosen strategy, the counter row (docs/postgresql.md, "Position order"):
// a tailing reader that remembers a position never misses an event that
// commits later, never sees a run's events out of seq order, and a
// rolled-back append leaves no hole. The plain sequence is shown failing
// the same interleaving, which is why it was not chosen.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "pg_position_strategies.hpp"
#include "pg_test_support.hpp"
#include "postgres/transaction.hpp"

using namespace runjournal::pg;
using namespace rjpg_test;
using rjpg_probe::Strategy;

namespace {

// Positions above `after`, as a tailer reads them.
std::vector<std::int64_t> tail(Connection& c, std::int64_t after) {
  const Result r = c.exec("SELECT position FROM events WHERE position > $1 ORDER BY position", {after});
  std::vector<std::int64_t> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.int64(i, r.column("position")));
  return out;
}

bool waits_for_a_lock(Connection& observer, int pid) {
  const Result r = observer.exec("SELECT count(*) AS n FROM pg_locks WHERE pid = $1 AND NOT granted", {pid});
  return r.int64(0, r.column("n")) > 0;
}

}  // namespace

TEST_CASE("with a plain sequence, a tailer misses an event that commits after a later position") {
  ScratchSchema s;
  Connection setup = s.connect();
  const auto runs = rjpg_probe::prepare(setup, 2);
  const std::int64_t start = static_cast<std::int64_t>(runs.size());
  Connection a = s.connect();
  Connection b = s.connect();
  Connection reader = s.connect();
  Transaction ta(a);
  const auto first = rjpg_probe::append_in_transaction(a, Strategy::Identity, runs[0], 1);
  {
    Transaction tb(b);
    const auto second = rjpg_probe::append_in_transaction(b, Strategy::Identity, runs[1], 2);
    CHECK(second.position == first.position + 1);
    tb.commit();
  }
  const std::vector<std::int64_t> seen = tail(reader, start);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == first.position + 1);
  ta.commit();
  // The reader goes on after the last position it saw, and never looks back.
  CHECK(tail(reader, seen.back()).empty());
  CHECK(tail(reader, start).size() == 2);  // the event is there, below where the reader is
}

TEST_CASE("with a serialising strategy, the second writer waits for the first to commit") {
  for (Strategy strategy : {Strategy::CounterRow, Strategy::TableLock, Strategy::AdvisoryLock}) {
    CAPTURE(rjpg_probe::name(strategy));
    ScratchSchema s;
    Connection setup = s.connect();
    const auto runs = rjpg_probe::prepare(setup, 2);
    const std::int64_t start = static_cast<std::int64_t>(runs.size());
    Connection a = s.connect();
    Connection b = s.connect();
    Connection reader = s.connect();
    Transaction ta(a);
    const auto first = rjpg_probe::append_in_transaction(a, strategy, runs[0], 1);
    std::optional<rjpg_probe::Appended> second;
    std::thread other([&] {
      Transaction tb(b);
      second = rjpg_probe::append_in_transaction(b, strategy, runs[1], 2);
      tb.commit();
    });
    bool waited = false;
    for (int i = 0; i < 500 && !waited; ++i) {
      waited = waits_for_a_lock(reader, b.backend_pid());
      if (!waited) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(waited);
    CHECK(tail(reader, start).empty());  // nothing has committed yet
    ta.commit();
    other.join();
    REQUIRE(second);
    CHECK(second->position == first.position + 1);
    CHECK(tail(reader, start) == std::vector<std::int64_t>{first.position, second->position});
  }
}

TEST_CASE("a rolled-back append hands its position back with the counter row, and leaves a hole with a sequence") {
  for (Strategy strategy : {Strategy::CounterRow, Strategy::Identity}) {
    CAPTURE(rjpg_probe::name(strategy));
    ScratchSchema s;
    Connection c = s.connect();
    const auto runs = rjpg_probe::prepare(c, 1);
    std::int64_t refused = 0;
    {
      Transaction tx(c);
      refused = rjpg_probe::append_in_transaction(c, strategy, runs[0], 1).position;
    }
    Transaction tx(c);
    const auto kept = rjpg_probe::append_in_transaction(c, strategy, runs[0], 2);
    tx.commit();
    CHECK(kept.seq == 2);  // the refused append's seq was handed back in both
    if (strategy == Strategy::CounterRow) {
      CHECK(kept.position == refused);
    } else {
      CHECK(kept.position == refused + 1);
    }
  }
}

TEST_CASE("many writers on many connections, one tailer: no miss, no reorder, no hole, with the counter row") {
  ScratchSchema s;
  rjpg_probe::ProbeOptions o;
  o.strategy = Strategy::CounterRow;
  o.writers = 8;
  o.runs = 6;  // fewer runs than writers: they contend for runs as well as for the counter
  o.events_per_writer = 40;
  o.rollback_every = 5;
  o.duration = std::chrono::seconds(60);
  const rjpg_probe::ProbeReport r = rjpg_probe::run_probe(s.uri(), o);
  CHECK(r.committed == 8 * 32);
  CHECK(r.rolled_back == 8 * 8);
  CHECK(r.tailer_seen == r.committed);
  CHECK(r.missed == 0);
  CHECK(r.out_of_seq == 0);
  CHECK(r.position_holes == 0);
  CHECK(r.seq_breaks == 0);
  CHECK(r.tailer_reads > 1);
}
