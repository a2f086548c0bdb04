// bench_raw_pg.cpp — the raw-libpq baseline for the PostgreSQL backend's
// benchmark (bench_raw_pg.hpp): what a careful libpq program gets for the
// journal's writes, and so what the backend is held to (issue 14: one event
// per commit at least 0.8x this, 16 threads at least 4x this one-thread
// figure, batches of 1,000 at least 0.85x this). runjournal-bench-raw-pg
// (bench_raw_pg_main.cpp) prints it alone; runjournal-bench-pg
// (bench_pg.cpp) beside the journal.
//
// Every event is what the journal writes: an insert into the real `events`
// table (migrations/postgresql, JSONB payload, its constraints and indexes)
// and an upsert of the run's row, with the position from the counter row
// journal_meta.last_position taken in the same transaction (docs/postgresql.md,
// "Position order": what keeps positions in commit order). Each thread owns
// its run and knows its seq, as the SQLite baseline (bench_raw.cpp) does.
// Statements are prepared once per connection; libpq directly, no layer:
//
//   single    one event per transaction: one statement (data-modifying
//             CTEs: counter, insert, upsert) in its own implicit transaction;
//   batch     1,000 events of one run per transaction: BEGIN and the counter
//             in one round trip, then the 1,000 inserts, the upsert and
//             COMMIT in one pipeline (the journal's own inserts, one each);
//   unnest    the same 1,000 as one INSERT … SELECT FROM unnest(arrays),
//             for reference: what one multi-row statement gets;
//   sequence  (reference) single with a plain sequence for the position:
//             concurrent commits then share WAL flushes, and positions do not
//             follow commit order; the price of the ordering under threads.
//
// URI: a server where the role may create schemas ($RUNJOURNAL_PG_URI by
// default). Each scenario runs in a fresh schema, dropped afterwards.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <libpq-fe.h>

#include "bench_raw_pg.hpp"
#include "postgres/connection.hpp"
#include "postgres/migrator.hpp"

namespace rjbench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kPayload = kRawPgPayload;

constexpr const char* kSingle =
    "WITH p AS (UPDATE journal_meta SET last_position = last_position + 1 WHERE singleton = 1 "
    "           RETURNING last_position), "
    "     e AS (INSERT INTO events (position, run_id, seq, ts_ms, kind, payload) "
    "           SELECT last_position, $1, $2, $3, 'tool_called', $4::jsonb FROM p RETURNING position) "
    "INSERT INTO runs (run_id, session_id, status, prompt, created_at_ms, updated_at_ms, first_position, "
    "                  event_count, last_seq, last_position) "
    "SELECT $1, 'bench', 'executing', '', $3, $3, position, 1, $2, position FROM e "
    "ON CONFLICT (run_id) DO UPDATE SET event_count = runs.event_count + 1, last_seq = EXCLUDED.last_seq, "
    "  last_position = EXCLUDED.last_position, updated_at_ms = EXCLUDED.updated_at_ms";
constexpr const char* kSingleBySequence =
    "WITH e AS (INSERT INTO events (position, run_id, seq, ts_ms, kind, payload) "
    "           VALUES (nextval('bench_position'), $1, $2, $3, 'tool_called', $4::jsonb) RETURNING position) "
    "INSERT INTO runs (run_id, session_id, status, prompt, created_at_ms, updated_at_ms, first_position, "
    "                  event_count, last_seq, last_position) "
    "SELECT $1, 'bench', 'executing', '', $3, $3, position, 1, $2, position FROM e "
    "ON CONFLICT (run_id) DO UPDATE SET event_count = runs.event_count + 1, last_seq = EXCLUDED.last_seq, "
    "  last_position = EXCLUDED.last_position, updated_at_ms = EXCLUDED.updated_at_ms";
constexpr const char* kTakePositions =
    "UPDATE journal_meta SET last_position = last_position + $1 WHERE singleton = 1 RETURNING last_position";
constexpr const char* kInsertEvent =
    "INSERT INTO events (position, run_id, seq, ts_ms, kind, payload) VALUES ($1, $2, $3, $4, 'tool_called', $5)";
constexpr const char* kUpsertRun =
    "INSERT INTO runs (run_id, session_id, status, prompt, created_at_ms, updated_at_ms, first_position, "
    "                  event_count, last_seq, last_position) "
    "VALUES ($1, 'bench', 'executing', '', $4, $4, $3, $5, $2, $3) "
    "ON CONFLICT (run_id) DO UPDATE SET event_count = runs.event_count + EXCLUDED.event_count, "
    "  last_seq = EXCLUDED.last_seq, last_position = EXCLUDED.last_position, updated_at_ms = EXCLUDED.updated_at_ms";
constexpr const char* kInsertUnnest =
    "INSERT INTO events (position, run_id, seq, ts_ms, kind, payload) "
    "SELECT $1::int8 + u.i, $2, $3::int8 + u.i, $4, 'tool_called', u.payload "
    "FROM unnest($5::jsonb[]) WITH ORDINALITY AS u(payload, i)";

[[noreturn]] void fail(PGconn* c, const char* what) {
  throw std::runtime_error(fmt::format("{}: {}", what, PQerrorMessage(c)));
}

PGresult* check(PGconn* c, PGresult* r, const char* what) {
  const ExecStatusType s = PQresultStatus(r);
  if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_PIPELINE_SYNC) {
    const std::string message = PQresultErrorMessage(r);
    PQclear(r);
    throw std::runtime_error(fmt::format("{}: {}", what, message.empty() ? PQerrorMessage(c) : message.c_str()));
  }
  return r;
}

void run(PGconn* c, const char* sql) { PQclear(check(c, PQexec(c, sql), sql)); }

// One writer: its own connection, its own run.
class Writer {
 public:
  explicit Writer(const std::string& uri, std::string run_id) : run_id_(std::move(run_id)) {
    c_ = PQconnectdb(uri.c_str());
    if (PQstatus(c_) != CONNECTION_OK) fail(c_, "connect");
    PQclear(check(c_, PQprepare(c_, "single", kSingle, 0, nullptr), "prepare"));
    PQclear(check(c_, PQprepare(c_, "single_seq", kSingleBySequence, 0, nullptr), "prepare"));
    PQclear(check(c_, PQprepare(c_, "take", kTakePositions, 0, nullptr), "prepare"));
    PQclear(check(c_, PQprepare(c_, "insert", kInsertEvent, 0, nullptr), "prepare"));
    PQclear(check(c_, PQprepare(c_, "upsert", kUpsertRun, 0, nullptr), "prepare"));
    PQclear(check(c_, PQprepare(c_, "unnest", kInsertUnnest, 0, nullptr), "prepare"));
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer() { PQfinish(c_); }

  // One event, one implicit transaction.
  void single(bool by_sequence) {
    const std::string seq = std::to_string(++seq_), ts = std::to_string(1'700'000'000'000 + seq_);
    const char* values[] = {run_id_.c_str(), seq.c_str(), ts.c_str(), kPayload};
    PQclear(check(c_, PQexecPrepared(c_, by_sequence ? "single_seq" : "single", 4, values, nullptr, nullptr, 0),
                  "single"));
  }

  // `n` events in one transaction: positions first, then the rows.
  void batch(int n, bool unnest) {
    run(c_, "BEGIN");
    const std::string count = std::to_string(n);
    const char* take[] = {count.c_str()};
    PGresult* r = check(c_, PQexecPrepared(c_, "take", 1, take, nullptr, nullptr, 0), "take");
    const std::int64_t last = std::stoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    const std::int64_t first = last - n + 1;
    const std::string ts = std::to_string(1'700'000'000'000 + seq_);
    if (PQenterPipelineMode(c_) == 0) fail(c_, "pipeline");
    int queued = 0;
    if (unnest) {
      std::string array = "{";
      for (int i = 0; i < n; ++i) {
        if (i > 0) array += ',';
        array += '"';
        for (const char* p = kPayload; *p != '\0'; ++p) {
          if (*p == '"' || *p == '\\') array += '\\';
          array += *p;
        }
        array += '"';
      }
      array += '}';
      const std::string base = std::to_string(first - 1), seq_base = std::to_string(seq_);
      const char* values[] = {base.c_str(), run_id_.c_str(), seq_base.c_str(), ts.c_str(), array.c_str()};
      if (PQsendQueryPrepared(c_, "unnest", 5, values, nullptr, nullptr, 0) == 0) fail(c_, "send");
      ++queued;
      seq_ += n;
    } else {
      for (int i = 0; i < n; ++i) {
        const std::string position = std::to_string(first + i), seq = std::to_string(++seq_);
        const char* values[] = {position.c_str(), run_id_.c_str(), seq.c_str(), ts.c_str(), kPayload};
        if (PQsendQueryPrepared(c_, "insert", 5, values, nullptr, nullptr, 0) == 0) fail(c_, "send");
        ++queued;
      }
    }
    const std::string position = std::to_string(last), seq = std::to_string(seq_);
    const char* upsert[] = {run_id_.c_str(), seq.c_str(), position.c_str(), ts.c_str(), count.c_str()};
    if (PQsendQueryPrepared(c_, "upsert", 5, upsert, nullptr, nullptr, 0) == 0) fail(c_, "send");
    if (PQsendQueryParams(c_, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) == 0) fail(c_, "send");
    queued += 2;
    if (PQpipelineSync(c_) == 0) fail(c_, "sync");
    for (int i = 0; i < queued; ++i) {
      PQclear(check(c_, PQgetResult(c_), "batch"));
      if (PGresult* end = PQgetResult(c_)) PQclear(end);  // the NULL after each statement
    }
    PQclear(check(c_, PQgetResult(c_), "sync"));
    if (PQexitPipelineMode(c_) == 0) fail(c_, "pipeline exit");
  }

 private:
  PGconn* c_ = nullptr;
  std::string run_id_;
  std::int64_t seq_ = 0;
};

}  // namespace

std::string with_search_path(const std::string& uri, const std::string& schema) {
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema;
}

double measure_raw_pg(const std::string& uri, const RawPgScenario& s, double seconds, std::int64_t& events) {
  namespace pg = runjournal::pg;
  pg::Connection admin = pg::Connection::connect(uri);
  const std::string schema = fmt::format("rjbench_raw_{}_{}", s.name, s.threads);
  admin.exec(fmt::format("DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0}", schema));
  const std::string schema_uri = with_search_path(uri, schema);
  {
    pg::Connection setup = pg::Connection::connect(schema_uri);
    pg::migrate(setup);
    setup.exec("CREATE SEQUENCE bench_position");
  }
  std::vector<std::unique_ptr<Writer>> writers;
  for (int t = 0; t < s.threads; ++t) writers.push_back(std::make_unique<Writer>(schema_uri, fmt::format("run-{}", t)));
  std::atomic<std::int64_t> done{0};
  const auto start = Clock::now();
  const auto stop = start + std::chrono::duration<double>(seconds);
  std::vector<std::thread> threads;
  std::string failure;
  std::atomic<bool> failed{false};
  for (int t = 0; t < s.threads; ++t) {
    threads.emplace_back([&, t] {
      try {
        Writer& w = *writers[static_cast<std::size_t>(t)];
        while (Clock::now() < stop) {
          if (s.kind == RawPgKind::Single || s.kind == RawPgKind::Sequence) {
            w.single(s.kind == RawPgKind::Sequence);
          } else {
            w.batch(s.per_txn, s.kind == RawPgKind::Unnest);
          }
          done.fetch_add(s.per_txn);
        }
      } catch (const std::exception& e) {
        if (!failed.exchange(true)) failure = e.what();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  writers.clear();
  admin.exec(fmt::format("DROP SCHEMA {} CASCADE", schema));
  if (failed) throw std::runtime_error(fmt::format("{}: {}", s.name, failure));
  events = done.load();
  return static_cast<double>(events) / elapsed;
}

}  // namespace rjbench
