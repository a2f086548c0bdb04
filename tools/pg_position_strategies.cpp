// pg_position_strategies.cpp — the strategies' SQL and the probe's threads.
#include "pg_position_strategies.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "postgres/migrator.hpp"
#include "postgres/pipeline.hpp"
#include "postgres/transaction.hpp"

namespace rjpg_probe {
namespace {

namespace pg = runjournal::pg;
using Clock = std::chrono::steady_clock;

// The run's row first: its lock orders appends within the run, and its new
// last_seq is the event's seq. Locks are taken in one order everywhere, run
// rows and then the position (the counter row or a sequence), so writers
// never deadlock, and a recovery that claims run rows with SKIP LOCKED
// takes them in the same order (docs/postgresql.md).
constexpr std::string_view kAdvanceRun =
    "UPDATE runs SET last_seq = last_seq + 1, event_count = event_count + 1, updated_at_ms = $2 "
    "WHERE run_id = $1 RETURNING last_seq";
// Then the position, the event at it, and the run's last_position. The
// run's row is read as this transaction left it.
constexpr std::string_view kInsertByCounter =
    "WITH p AS (UPDATE journal_meta SET last_position = last_position + 1 WHERE singleton = 1 "
    "           RETURNING last_position), "
    "     e AS (INSERT INTO events (position, run_id, seq, ts_ms, kind, payload) "
    "           SELECT p.last_position, r.run_id, r.last_seq, $2, 'tool_called', $3::jsonb "
    "           FROM p, runs AS r WHERE r.run_id = $1 RETURNING position, run_id, seq) "
    "UPDATE runs SET last_position = e.position FROM e WHERE runs.run_id = e.run_id RETURNING e.position, e.seq";
constexpr std::string_view kInsertBySequence =
    "WITH e AS (INSERT INTO events (position, run_id, seq, ts_ms, kind, payload) "
    "           SELECT nextval('probe_position'), r.run_id, r.last_seq, $2, 'tool_called', $3::jsonb "
    "           FROM runs AS r WHERE r.run_id = $1 RETURNING position, run_id, seq) "
    "UPDATE runs SET last_position = e.position FROM e WHERE runs.run_id = e.run_id RETURNING e.position, e.seq";
constexpr std::string_view kTableLock = "LOCK TABLE events IN EXCLUSIVE MODE";
constexpr std::string_view kAdvisoryLock = "SELECT pg_advisory_xact_lock(1380602446, 1)";
constexpr std::string_view kTail =
    "SELECT position, run_id, seq FROM events WHERE position > $1 ORDER BY position LIMIT 1000";

std::string_view insert_sql(Strategy s) { return s == Strategy::CounterRow ? kInsertByCounter : kInsertBySequence; }

std::string_view lock_sql(Strategy s) {
  switch (s) {
    case Strategy::TableLock: return kTableLock;
    case Strategy::AdvisoryLock: return kAdvisoryLock;
    default: return {};
  }
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string_view name(Strategy strategy) {
  switch (strategy) {
    case Strategy::Identity: return "identity";
    case Strategy::CounterRow: return "counter-row";
    case Strategy::TableLock: return "table-lock";
    case Strategy::AdvisoryLock: return "advisory-lock";
  }
  return "?";
}

std::vector<std::string> prepare(pg::Connection& c, int runs) {
  pg::migrate(c);
  c.exec("CREATE SEQUENCE probe_position");
  std::vector<std::string> ids;
  pg::Transaction tx(c);
  const std::int64_t ts = now_ms();
  for (int i = 1; i <= runs; ++i) {
    ids.push_back(fmt::format("run-{:03}", i));
    // run_created at seq 1; its position from the counter and the sequence
    // alike, so both start past it.
    const pg::Result p = c.exec(
        "UPDATE journal_meta SET last_position = last_position + 1 WHERE singleton = 1 RETURNING last_position");
    const std::int64_t position = p.int64(0, p.column("last_position"));
    c.exec("SELECT setval('probe_position', $1)", {position});
    c.exec("INSERT INTO events (position, run_id, seq, ts_ms, kind, payload) VALUES ($1, $2, 1, $3, 'run_created', "
           "'{\"session_id\": \"probe\"}')",
           {position, ids.back(), ts});
    c.exec("INSERT INTO runs (run_id, session_id, status, prompt, created_at_ms, updated_at_ms, first_position, "
           "event_count, last_seq, last_position) VALUES ($1, 'probe', 'created', '', $2, $2, $3, 1, 1, $3)",
           {ids.back(), ts, position});
  }
  tx.commit();
  return ids;
}

Appended append_in_transaction(pg::Connection& c, Strategy strategy, const std::string& run_id, std::int64_t ts_ms) {
  if (const std::string_view lock = lock_sql(strategy); !lock.empty()) c.exec(lock);
  c.exec(kAdvanceRun, {run_id, ts_ms});
  const pg::Result r = c.exec(insert_sql(strategy), {run_id, ts_ms, "{\"tool_name\": \"search\"}"});
  if (r.rows() != 1) throw std::runtime_error("no run " + run_id);
  return {r.int64(0, r.column("position")), r.int64(0, r.column("seq"))};
}

ProbeReport run_probe(const std::string& schema_uri, const ProbeOptions& o) {
  ProbeReport report;
  pg::Connection setup = pg::Connection::connect(schema_uri);
  const std::vector<std::string> runs = prepare(setup, o.runs);

  std::atomic<int> writers_left{o.writers};
  std::atomic<std::int64_t> committed{0};
  std::atomic<std::int64_t> rolled_back{0};
  std::mutex failure_mutex;
  std::string failure;
  const auto fail = [&](const std::exception& e) {
    const std::lock_guard<std::mutex> lock(failure_mutex);
    if (failure.empty()) failure = e.what();
  };

  // The tailer: reads by position as fast as it can until the writers are
  // done, then once more to the end.
  std::map<std::string, std::int64_t> last_seq_seen;
  for (const std::string& id : runs) last_seq_seen[id] = 1;
  std::int64_t last = 0;
  std::thread tailer([&] {
    try {
      pg::Connection c = pg::Connection::connect(schema_uri);
      c.prepare("tail", kTail);
      // Past the run_created events: the tail starts where the writers do.
      last = static_cast<std::int64_t>(runs.size());
      bool finishing = false;
      while (true) {
        const bool writers_done = writers_left.load() == 0;
        const pg::Result r = c.exec_prepared("tail", {last}, pg::Format::Binary);
        ++report.tailer_reads;
        const int pos = r.column("position"), run = r.column("run_id"), seq = r.column("seq");
        for (int i = 0; i < r.rows(); ++i) {
          last = r.int64(i, pos);
          std::int64_t& seen = last_seq_seen[std::string(r.text(i, run))];
          const std::int64_t s = r.int64(i, seq);
          if (s != seen + 1) ++report.out_of_seq;
          if (s > seen) seen = s;
          ++report.tailer_seen;
        }
        if (r.rows() == 0 && finishing) break;
        if (r.rows() == 0 && writers_done) finishing = true;
        // A short pause when there was nothing new: the tailer still reads
        // thousands of times a second (the windows it can fall into last
        // milliseconds), without taking a core from the writers.
        if (r.rows() == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    } catch (const std::exception& e) {
      fail(e);
    }
  });

  const auto start = Clock::now();
  const auto stop_at = start + o.duration;
  std::vector<std::thread> writers;
  for (int w = 0; w < o.writers; ++w) {
    writers.emplace_back([&, w] {
      try {
        pg::Connection c = pg::Connection::connect(schema_uri);
        const std::string_view lock = lock_sql(o.strategy);
        const std::string payload = fmt::format("{{\"tool_name\": \"search\", \"args\": {{\"writer\": {}}}}}", w);
        for (int i = 0; o.events_per_writer == 0 || i < o.events_per_writer; ++i) {
          if (o.events_per_writer == 0 && Clock::now() >= stop_at) break;
          const bool roll_back = o.rollback_every > 0 && (i + 1) % o.rollback_every == 0;
          const std::string& run = runs[static_cast<std::size_t>(w + i) % runs.size()];
          // BEGIN, the lock, the append and the end: one round trip.
          const std::int64_t ts = now_ms();
          pg::Pipeline p(c);
          p.send("BEGIN", {});
          if (!lock.empty()) p.send(lock, {});
          p.send(kAdvanceRun, {run, ts});
          p.send(insert_sql(o.strategy), {run, ts, payload});
          p.send(roll_back ? "ROLLBACK" : "COMMIT", {});
          p.sync();
          (roll_back ? rolled_back : committed).fetch_add(1);
        }
      } catch (const std::exception& e) {
        fail(e);
      }
      writers_left.fetch_sub(1);
    });
  }
  for (std::thread& t : writers) t.join();
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  tailer.join();
  if (!failure.empty()) throw std::runtime_error("probe (" + std::string(name(o.strategy)) + "): " + failure);

  report.committed = committed.load();
  report.rolled_back = rolled_back.load();
  report.events_per_second = report.seconds > 0 ? static_cast<double>(report.committed) / report.seconds : 0;
  const pg::Result t = setup.exec(
      "SELECT count(*) AS n, coalesce(max(position), 0) AS top FROM events WHERE kind = 'tool_called'");
  const std::int64_t in_table = t.int64(0, t.column("n"));
  if (in_table != report.committed) {
    throw std::runtime_error(fmt::format("{} events committed, {} in the table", report.committed, in_table));
  }
  report.missed = in_table - report.tailer_seen;
  const pg::Result all = setup.exec("SELECT count(*) AS n, coalesce(max(position), 0) AS top FROM events");
  report.position_holes = all.int64(0, all.column("top")) - all.int64(0, all.column("n"));
  const pg::Result breaks = setup.exec(
      "SELECT count(DISTINCT run_id) AS n FROM (SELECT run_id, seq, row_number() OVER (PARTITION BY run_id "
      "ORDER BY seq) AS expected FROM events) AS numbered WHERE seq <> expected");
  report.seq_breaks = breaks.int64(0, breaks.column("n"));
  return report;
}

}  // namespace rjpg_probe
