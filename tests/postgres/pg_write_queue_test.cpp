// pg_write_queue_test.cpp — deferred writes on PostgreSQL
// (src/postgres/pg_write_queue.hpp): the connection's before-statement
// hook, and through the Journal API that a write the server refuses still
// fails the append that made it, with its code, the batch whole or absent,
// and that a refusal found in the client fails its own batch only.
#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <runjournal/journal.hpp>

#include "pg_test_support.hpp"
#include "postgres/pipeline.hpp"

using runjournal::ErrorCode;
using runjournal::Event;
using runjournal::Journal;
using runjournal::NewEvent;
using runjournal::NewRun;
using rjpg_test::code_of;
using rjpg_test::ScratchSchema;

namespace {

NewRun new_run(const std::string& id) {
  NewRun run;
  run.run_id = id;
  run.session_id = "s1";
  return run;
}

}  // namespace

TEST_CASE("the before-statement hook runs before every statement, never inside itself") {
  ScratchSchema schema;
  runjournal::pg::Connection c = schema.connect();
  c.exec("CREATE TABLE t (id BIGINT PRIMARY KEY)");
  int calls = 0;
  std::vector<std::int64_t> queued;
  c.set_before_statement([&] {
    ++calls;
    // The hook's own statements do not run it again.
    const std::vector<std::int64_t> ids = std::move(queued);
    queued.clear();
    for (std::int64_t id : ids) c.exec("INSERT INTO t (id) VALUES ($1)", {id});
  });
  queued = {1, 2};
  const runjournal::pg::Result r = c.exec("SELECT count(*) AS n FROM t");
  CHECK(r.int64(0, r.column("n")) == 2);  // the read saw what was queued before it
  CHECK(calls == 1);
  queued = {3};
  {
    runjournal::pg::Pipeline p(c);
    p.send("SELECT count(*) AS n FROM t", std::span<const runjournal::pg::Param>());
    const auto results = p.sync();
    CHECK(results.at(0).int64(0, results.at(0).column("n")) == 3);
  }
  CHECK(calls == 2);
  // A failing hook fails the statement that ran it, which is not sent.
  queued = {3};
  CHECK(code_of([&] { c.exec("INSERT INTO t (id) VALUES (99)"); }) == ErrorCode::AlreadyExists);
  const runjournal::pg::Result after = c.exec("SELECT count(*) AS n FROM t WHERE id = 99");
  CHECK(after.int64(0, after.column("n")) == 0);
}

TEST_CASE("a deferred insert the server refuses fails its append with Conflict; the batch is absent") {
  ScratchSchema schema;
  Journal journal = Journal::open(schema.uri());
  journal.create_run(new_run("r1"));
  journal.append("r1", "step", {});  // seq 2
  // A row written behind the journal's back, not through the counter row:
  // the writer still takes seq 3, 4, 5 for the next batch, and 4 collides
  // with it on UNIQUE (run_id, seq), the backstop.
  runjournal::pg::Connection admin = schema.connect();
  admin.exec("INSERT INTO events (position, run_id, seq, ts_ms, kind, payload) VALUES (1000, 'r1', 4, 0, 'x', '{}')");
  const std::vector<NewEvent> batch = {NewEvent{"r1", "step", {{"i", 1}}, {}}, NewEvent{"r1", "step", {{"i", 2}}, {}},
                                       NewEvent{"r1", "step", {{"i", 3}}, {}}};
  CHECK(code_of([&] { journal.append_batch(batch); }) == ErrorCode::Conflict);
  const runjournal::pg::Result steps = admin.exec("SELECT count(*) AS n FROM events WHERE kind = 'step'");
  CHECK(steps.int64(0, steps.column("n")) == 1);  // seq 2 only: none of the batch
  CHECK(journal.run("r1")->last_seq == 2);
  // The writer starts again from the table (taking the foreign row in), and
  // the next append lands after it.
  const Event next = journal.append("r1", "step", {});
  CHECK(next.seq > 4);
  CHECK(next.position > 1000);
}

TEST_CASE("U+0000 in a payload is refused in its own append, before anything is queued") {
  ScratchSchema schema;
  Journal journal = Journal::open(schema.uri());
  journal.create_run(new_run("r1"));
  const nlohmann::json nul = {{"text", std::string("a\0b", 3)}};
  CHECK(code_of([&] { journal.append("r1", "step", nul); }) == ErrorCode::InvalidArgument);
  CHECK(code_of([&] {
          journal.append_batch({NewEvent{"r1", "step", {}, {}}, NewEvent{"r1", "step", nul, {}}});
        }) == ErrorCode::InvalidArgument);
  CHECK(journal.run("r1")->event_count == 1);
  // A backslash followed by the letters u0000 is text like any other.
  const Event plain = journal.append("r1", "step", {{"text", "\\u0000"}});
  CHECK(journal.events("r1").at(1).payload == nlohmann::json({{"text", "\\u0000"}}));
  CHECK(plain.seq == 2);

  // Among concurrent appends sharing commits, only the bad one fails.
  constexpr int kThreads = 8;
  constexpr int kEach = 30;
  for (int t = 0; t < kThreads; ++t) journal.create_run(new_run("t" + std::to_string(t)));
  std::atomic<int> refused{0}, other_failures{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t) {
    pool.emplace_back([&, t] {
      const std::string run = "t" + std::to_string(t);
      for (int i = 0; i < kEach; ++i) {
        const bool bad = t == 0 && i % 3 == 1;
        try {
          if (i % 2 == 0) {
            journal.append(run, "step", bad ? nul : nlohmann::json{{"i", i}});
          } else {
            journal.append_batch({NewEvent{run, "step", {{"i", i}}, {}}, NewEvent{run, "step", bad ? nul : nlohmann::json{{"i", i}}, {}}});
          }
        } catch (const runjournal::Error& e) {
          if (bad && e.code() == ErrorCode::InvalidArgument) {
            refused.fetch_add(1);
          } else {
            other_failures.fetch_add(1);
          }
        }
      }
    });
  }
  for (std::thread& th : pool) th.join();
  CHECK(refused.load() == 10);
  CHECK(other_failures.load() == 0);
  for (int t = 1; t < kThreads; ++t) CHECK(journal.run("t" + std::to_string(t))->event_count == 1 + kEach * 3 / 2);
  CHECK(journal.verify().problems.empty());
}
