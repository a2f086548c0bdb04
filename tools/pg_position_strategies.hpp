// pg_position_strategies.hpp — ways to number events on PostgreSQL, and a
// harness that shows whether a tailing reader can miss one.
//
// The journal promises that `position` follows commit order: a reader that
// remembers position P and asks for `position > P` never misses an event
// that commits later. On PostgreSQL that is not free: a sequence hands out
// numbers when a transaction asks, not when it commits, so a transaction
// that took 10 can commit after one that took 11, and a reader that has
// seen 11 in between never looks at 10 again. The strategies:
//
//   Identity      nextval() of a sequence, nothing else (the pitfall);
//   CounterRow    `UPDATE journal_meta SET last_position = last_position + n
//                 RETURNING …`: the row stays locked until the transaction
//                 ends, so the next writer gets its numbers only after this
//                 one committed (or rolled back, which hands them back);
//   TableLock     `LOCK TABLE events IN EXCLUSIVE MODE`, then nextval()
//                 (what the Python eventsourcing library does);
//   AdvisoryLock  pg_advisory_xact_lock() on one key, then nextval().
//
// Each append is the journal's transaction in miniature: the run's row is
// locked and its seq advanced (one statement), then the position taken, the
// event inserted at it and the run's last_position set (a second one, with
// data-modifying CTEs); sent with BEGIN, the strategy's lock and COMMIT in
// one pipeline, so a transaction costs one round trip.
// The harness (run_probe) runs N writer threads on N connections appending
// to shared runs while one reader tails by position, and counts what the
// reader missed or saw out of seq order, the holes in the positions, and
// the rate. tools/pg_position_probe.cpp prints it per strategy;
// tests/postgres/pg_position_test.cpp holds the chosen one to its claim.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "postgres/connection.hpp"

namespace rjpg_probe {

enum class Strategy { Identity, CounterRow, TableLock, AdvisoryLock };

inline constexpr Strategy kAllStrategies[] = {Strategy::Identity, Strategy::CounterRow, Strategy::TableLock,
                                              Strategy::AdvisoryLock};

std::string_view name(Strategy strategy);

// Makes the journal's tables in the connection's (empty) schema
// (pg::migrate), the sequence the nextval() strategies use, and `runs` runs
// with their run_created event; returns the runs' ids.
std::vector<std::string> prepare(runjournal::pg::Connection& c, int runs);

struct Appended {
  std::int64_t position = 0;
  std::int64_t seq = 0;
};

// Inside the caller's open transaction: the strategy's lock (if any), then
// one tool_called event appended to `run_id`.
Appended append_in_transaction(runjournal::pg::Connection& c, Strategy strategy, const std::string& run_id,
                               std::int64_t ts_ms);

struct ProbeOptions {
  Strategy strategy = Strategy::CounterRow;
  int writers = 8;
  int runs = 16;                                  // shared by all writers
  int events_per_writer = 0;                      // stop after this many commits each (0: no limit)
  std::chrono::milliseconds duration{2000};       // or after this long
  int rollback_every = 0;                         // every Nth transaction of a writer rolls back (0: none)
};

struct ProbeReport {
  std::int64_t committed = 0;       // events the writers committed
  std::int64_t rolled_back = 0;     // transactions that took a position and rolled back
  double seconds = 0;               // the writers' wall time
  double events_per_second = 0;
  std::int64_t tailer_seen = 0;     // events the tailing reader saw
  std::int64_t tailer_reads = 0;    // queries it ran
  std::int64_t missed = 0;          // committed events it never saw
  std::int64_t out_of_seq = 0;      // events it saw before an earlier seq of their run
  std::int64_t position_holes = 0;  // positions never used, below the highest
  std::int64_t seq_breaks = 0;      // runs whose seqs are not 1, 2, 3 … in the table
};

// Runs the probe on `schema_uri` (a URI whose search_path names an empty
// schema of the probe's own). Throws what the layer throws.
ProbeReport run_probe(const std::string& schema_uri, const ProbeOptions& options);

}  // namespace rjpg_probe
