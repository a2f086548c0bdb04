// writer_test: group commit, threads and processes sharing one journal.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <runjournal/journal.hpp>

#include "process.hpp"
#include "test_support.hpp"
#include "core/writer.hpp"

using runjournal::ErrorCode;
using runjournal::Event;
using runjournal::Journal;
using runjournal::test::TempDir;

namespace {

// The writer the process shares for this file (the same one the Journal uses).
runjournal::detail::CommitStats stats_of(const std::filesystem::path& path) {
  return runjournal::detail::commit_stats_of(path, {});
}

// Every run's seq is 1..n and every position is unique.
void check_gapless(Journal& journal) {
  std::set<std::int64_t> positions;
  for (const runjournal::Run& run : journal.runs({}, {.limit = 100000})) {
    const std::vector<Event> events = journal.events(run.run_id);
    REQUIRE(static_cast<std::int64_t>(events.size()) == run.event_count);
    for (std::size_t i = 0; i < events.size(); ++i) {
      CHECK(events[i].seq == static_cast<std::int64_t>(i) + 1);
      CHECK(positions.insert(events[i].position).second);
    }
  }
}

}  // namespace

TEST_CASE("sixteen threads appending durably share commits and lose nothing") {
  TempDir dir;
  const auto path = dir.file("j.db");
  Journal journal = Journal::open(path);
  constexpr int kThreads = 16;
  constexpr int kEach = 40;
  for (int t = 0; t < kThreads; ++t) journal.create_run({.session_id = "s", .run_id = "r" + std::to_string(t)});
  const auto before = stats_of(path);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        try {
          journal.append("r" + std::to_string(t), "tool_called", {{"i", i}});
        } catch (...) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto after = stats_of(path);
  CHECK(failures == 0);
  CHECK(after.batches - before.batches == kThreads * kEach);
  // Shared transactions: far fewer commits than appends.
  CHECK(after.commits - before.commits < (kThreads * kEach) / 2);
  check_gapless(journal);
  CHECK(journal.last_position() == kThreads * (kEach + 1));
  CHECK(journal.verify().ok());
}

TEST_CASE("a refused batch in a shared commit fails alone and leaves no gap") {
  TempDir dir;
  const auto path = dir.file("j.db");
  Journal journal = Journal::open(path);
  journal.create_run({.session_id = "s", .run_id = "a"});
  journal.create_run({.session_id = "s", .run_id = "b"});
  const auto before = stats_of(path);
  std::vector<std::future<Event>> futures;
  {
    // Another connection holds the write lock, so the appends queue up and
    // the writer commits them as one group once it is released.
    SQLite::Database blocker(path.string(), SQLite::OPEN_READWRITE);
    blocker.exec("BEGIN IMMEDIATE");
    futures.push_back(journal.append_async("a", "tool_called", {{"i", 0}}));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the leader is now waiting on the lock
    futures.push_back(journal.append_async("a", "tool_called", {{"i", 1}}));
    futures.push_back(journal.append_async("no-such-run", "tool_called"));
    futures.push_back(journal.append_async("b", "tool_called", {{"i", 2}}, {.expected_seq = 7}));
    futures.push_back(journal.append_async("b", "tool_called", {{"i", 3}}));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    blocker.exec("COMMIT");
  }
  CHECK(futures[0].get().seq == 2);
  CHECK(futures[1].get().seq == 3);
  CHECK_THROWS_AS(futures[2].get(), runjournal::Error);
  try {
    futures[3].get();
    FAIL("a stale expected_seq was accepted");
  } catch (const runjournal::Error& e) {
    CHECK(e.code() == ErrorCode::Conflict);
  }
  const Event last = futures[4].get();
  CHECK(last.seq == 2);
  // Positions stay gap-free across the refused batches: 1, 2 runs; 3..5 events.
  CHECK(last.position == 5);
  // All five went into one transaction: the four queued behind the lock
  // joined the first one's while it was open; two of them were refused
  // inside it.
  const auto after = stats_of(path);
  CHECK(after.commits - before.commits == 1);
  CHECK(after.batches - before.batches == 5);
  check_gapless(journal);
  CHECK(journal.verify().ok());
}

TEST_CASE("append_async returns a future that becomes ready once committed") {
  TempDir dir;
  Journal journal = Journal::open(dir.file("j.db"));
  journal.create_run({.session_id = "s", .run_id = "r"});
  std::vector<std::future<Event>> futures;
  for (int i = 0; i < 200; ++i) futures.push_back(journal.append_async("r", "token", {{"i", i}}));
  for (int i = 0; i < 200; ++i) {
    const Event e = futures[static_cast<std::size_t>(i)].get();
    CHECK(e.seq == i + 2);
    CHECK(e.payload.at("i") == i);
  }
  auto batch = journal.append_batch_async({{"r", "a"}, {"r", "b"}}).get();
  REQUIRE(batch.size() == 2);
  CHECK(batch[1].seq == 203);
  CHECK(journal.run("r")->event_count == 203);
}

TEST_CASE("input errors of an asynchronous append are thrown at the call") {
  TempDir dir;
  Journal journal = Journal::open(dir.file("j.db"));
  journal.create_run({.session_id = "s", .run_id = "r"});
  try {
    (void)journal.append_async("r", "", {});
    FAIL("an empty kind was accepted");
  } catch (const runjournal::Error& e) {
    CHECK(e.code() == ErrorCode::InvalidArgument);
  }
  CHECK(journal.run("r")->event_count == 1);
}

TEST_CASE("threads racing on one key get one event") {
  TempDir dir;
  Journal journal = Journal::open(dir.file("j.db"));
  journal.create_run({.session_id = "s", .run_id = "r"});
  std::vector<std::thread> threads;
  std::vector<std::int64_t> positions(8);
  for (std::size_t t = 0; t < positions.size(); ++t) {
    threads.emplace_back([&, t] {
      positions[t] = journal.append("r", "tool_called", {{"tool", "search"}}, {.idempotency_key = "once"}).position;
    });
  }
  for (auto& th : threads) th.join();
  CHECK(std::set<std::int64_t>(positions.begin(), positions.end()).size() == 1);
  CHECK(journal.run("r")->event_count == 2);
}

TEST_CASE("threads racing for an exclusive session: exactly one wins") {
  TempDir dir;
  Journal journal = Journal::open(dir.file("j.db"));
  std::atomic<int> won{0}, already{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      try {
        journal.create_run({.session_id = "one", .run_id = "r" + std::to_string(t), .exclusive = true});
        ++won;
      } catch (const runjournal::Error& e) {
        ++(e.code() == ErrorCode::AlreadyRunning ? already : other);
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(won == 1);
  CHECK(already == 7);
  CHECK(other == 0);
  CHECK(journal.runs({.session_id = "one"}).size() == 1);
}

TEST_CASE("reads and a rebuild run safely beside appending threads") {
  TempDir dir;
  Journal journal = Journal::open(dir.file("j.db"));
  for (int t = 0; t < 4; ++t) journal.create_run({.session_id = "s", .run_id = "r" + std::to_string(t)});
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) journal.append("r" + std::to_string(t), "step_started", {{"i", i}});
    });
  }
  std::thread reader([&] {
    while (!stop) {
      for (const auto& run : journal.runs()) CHECK(journal.events(run.run_id).size() >= 1);
    }
  });
  for (int i = 0; i < 3; ++i) journal.rebuild();
  for (auto& th : threads) th.join();
  stop = true;
  reader.join();
  check_gapless(journal);
  CHECK(journal.verify().ok());
}

TEST_CASE("four writer processes and two readers: every event once, no busy error, WAL bounded") {
  TempDir dir;
  const auto path = dir.file("j.db");
  { Journal::open(path).create_run({.session_id = "seed", .run_id = "seed"}); }
  constexpr int kWriters = 4;
  constexpr int kEach = 500;
  std::vector<runjournal::test::Child> children;
  for (int w = 0; w < kWriters; ++w) {
    children.push_back(runjournal::test::start_process(
        {RUNJOURNAL_TEST_CHILD, "append", path.string(), "w" + std::to_string(w), std::to_string(kEach), "normal"}));
  }
  std::vector<runjournal::test::Child> readers;
  for (int r = 0; r < 2; ++r) {
    readers.push_back(runjournal::test::start_process({RUNJOURNAL_TEST_CHILD, "read", path.string(), "2"}));
  }
  std::map<std::string, std::vector<std::int64_t>> acked;
  for (auto& child : children) {
    const auto outcome = runjournal::test::finish_process(child);
    CHECK(outcome.exit_code == 0);
    std::istringstream lines(outcome.out);
    std::string ack, run;
    std::int64_t seq = 0, position = 0;
    while (lines >> ack >> run >> seq >> position) acked[run].push_back(seq);
  }
  for (auto& reader : readers) CHECK(runjournal::test::finish_process(reader).exit_code == 0);
  Journal journal = Journal::open(path);
  for (int w = 0; w < kWriters; ++w) {
    const std::string run = "w" + std::to_string(w);
    CHECK(acked[run].size() == kEach);
    CHECK(journal.run(run)->event_count == kEach + 1);
  }
  check_gapless(journal);
  CHECK(journal.last_position() == 1 + kWriters * (kEach + 1));
  CHECK(journal.verify().ok());
  // At rest the WAL is within journal_size_limit (64 MiB).
  const auto wal = std::filesystem::path(path.string() + "-wal");
  if (std::filesystem::exists(wal)) CHECK(std::filesystem::file_size(wal) <= 64u * 1024 * 1024);
}

TEST_CASE("eight processes racing for an exclusive session: one wins, the others get AlreadyRunning") {
  TempDir dir;
  const auto path = dir.file("j.db");
  { Journal::open(path); }
  std::vector<runjournal::test::Child> children;
  for (int p = 0; p < 8; ++p) {
    children.push_back(runjournal::test::start_process(
        {RUNJOURNAL_TEST_CHILD, "create-exclusive", path.string(), "race", "r" + std::to_string(p)}));
  }
  int won = 0, already = 0;
  for (auto& child : children) {
    const auto outcome = runjournal::test::finish_process(child);
    CHECK(outcome.exit_code == 0);
    won += outcome.out == "WON\n";
    already += outcome.out == "ALREADY_RUNNING\n";
  }
  CHECK(won == 1);
  CHECK(already == 7);
  CHECK(Journal::open(path).runs({.session_id = "race"}).size() == 1);
}

// The writer keeps the rows it wrote between commits; these are the ways the
// table can change behind it, and each must be seen.
TEST_CASE("appends by another process between this writer's commits are seen, not overwritten") {
  TempDir dir;
  const auto path = dir.file("j.db");
  Journal journal = Journal::open(path);
  journal.create_run({.session_id = "s", .run_id = "r"});
  for (int i = 0; i < 3; ++i) journal.append("r", "tool_called", {{"i", i}});  // the row is cached now
  const auto child = runjournal::test::run_process({RUNJOURNAL_TEST_CHILD, "append", path.string(), "r", "5"});
  REQUIRE(child.exit_code == 0);
  const Event next = journal.append("r", "tool_called", {{"i", 3}});
  CHECK(next.seq == 1 + 3 + 5 + 1);
  CHECK(journal.run("r")->event_count == 10);
  CHECK(journal.run("r")->last_seq == 10);
  CHECK(journal.run("r")->last_position == next.position);
  check_gapless(journal);
  CHECK(journal.verify().ok());
}

TEST_CASE("a run this journal pruned is gone for the next append, not served from cached rows") {
  TempDir dir;
  const auto path = dir.file("j.db");
  Journal journal = Journal::open(path);
  journal.create_run({.session_id = "s", .run_id = "r"});
  journal.append("r", "run_completed", {{"result_text", "ok"}});
  const auto report = journal.prune({.finished_before_ms = std::numeric_limits<std::int64_t>::max()});
  REQUIRE(report.runs == 1);
  try {
    journal.append("r", "tool_called");
    FAIL("an append to a pruned run was accepted");
  } catch (const runjournal::Error& e) {
    CHECK(e.code() == ErrorCode::NotFound);
  }
  // Created again, it starts afresh at seq 1, after every position used.
  const runjournal::Run again = journal.create_run({.session_id = "s", .run_id = "r"});
  CHECK(again.event_count == 1);
  CHECK(again.first_position == 3);
  CHECK(journal.verify().ok());
}

TEST_CASE("a run another connection removed is gone for this writer's next append") {
  TempDir dir;
  const auto path = dir.file("j.db");
  Journal journal = Journal::open(path);
  journal.create_run({.session_id = "s", .run_id = "r"});
  journal.append("r", "run_completed", {{"result_text", "ok"}});
  journal.create_run({.session_id = "s", .run_id = "live"});
  journal.append("live", "tool_called");
  {
    // What a prune in another process does to the tables, in one transaction.
    SQLite::Database other(path.string(), SQLite::OPEN_READWRITE);
    other.exec("BEGIN IMMEDIATE; DELETE FROM events WHERE run_id = 'r'; DELETE FROM runs WHERE run_id = 'r'; COMMIT");
  }
  try {
    journal.append("r", "tool_called");
    FAIL("an append to a removed run was accepted");
  } catch (const runjournal::Error& e) {
    CHECK(e.code() == ErrorCode::NotFound);
  }
  CHECK(journal.append("live", "tool_called").seq == 3);
  CHECK(journal.run("live")->event_count == 3);
  CHECK(journal.verify().ok());
}
