// concurrency_test (conformance): exclusive sessions, and one journal
// shared by several Journal objects and by threads — distinct, gap-free
// positions and seqs, each other's events seen, writes that survive a reopen.
#include <cstdint>
#include <exception>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <runjournal/journal.hpp>

#include "backend_fixture.hpp"

using nlohmann::json;
using runjournal::ErrorCode;
using runjournal::Event;
using runjournal::Journal;
using runjournal::Options;
using runjournal::Run;
using runjournal::RunStatus;
using runjournal::test::all_events;
using runjournal::test::all_runs;
using runjournal::test::clocked;
using runjournal::test::code_of;
using runjournal::test::contains;
using runjournal::test::iota;
using runjournal::test::message_of;
using runjournal::test::positions_of;
using runjournal::test::State;
using runjournal::test::state_of;
using runjournal::conformance::make_target;
using runjournal::conformance::Target;

// ---------------------------------------------------------------------------
// Exclusive sessions

TEST_CASE("exclusive create_run fails AlreadyRunning, naming the session's live run") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  j.create_run({.session_id = "s", .run_id = "live-one", .exclusive = true});
  j.append("live-one", "run_started");
  const State before = state_of(j);
  const auto attempt = [&] { j.create_run({.session_id = "s", .run_id = "second", .exclusive = true}); };
  CHECK(code_of(attempt) == ErrorCode::AlreadyRunning);
  CHECK(contains(message_of(attempt), "live-one"));
  CHECK(state_of(j) == before);
  // Another session is unaffected.
  CHECK(j.create_run({.session_id = "t", .run_id = "other", .exclusive = true}).status == RunStatus::Created);
}

TEST_CASE("exclusive create_run succeeds once the session's live run has finished") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  j.create_run({.session_id = "s", .run_id = "first"});
  j.append("first", "run_interrupted", {{"reason", "host died"}});
  // interrupted is not terminal: the run still holds the session.
  CHECK(code_of([&] { j.create_run({.session_id = "s", .run_id = "second", .exclusive = true}); }) ==
        ErrorCode::AlreadyRunning);
  j.append("first", "run_completed");
  CHECK(j.create_run({.session_id = "s", .run_id = "second", .exclusive = true}).run_id == "second");
}

TEST_CASE("of several threads racing an exclusive create_run on one session, exactly one wins") {
  const Target target = make_target("j");
  Options options;
  options.durability = runjournal::Durability::Normal;
  Journal j = Journal::open(target.location, options);
  constexpr int kThreads = 8;
  std::vector<std::optional<ErrorCode>> codes(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string id = "racer-" + std::to_string(t);
      codes[t] = code_of([&] { j.create_run({.session_id = "s", .run_id = id, .exclusive = true}); });
    });
  }
  for (std::thread& t : threads) t.join();
  int winners = 0;
  for (const auto& code : codes) {
    if (!code) {
      ++winners;
    } else {
      CHECK(*code == ErrorCode::AlreadyRunning);
    }
  }
  CHECK(winners == 1);
  CHECK(j.runs({.session_id = "s"}).size() == 1);
}

// ---------------------------------------------------------------------------
// Sharing a journal

TEST_CASE("two Journal objects on one file both write and see each other's events") {
  const Target target = make_target("j");
  Journal first = Journal::open(target.location, clocked());
  Journal second = Journal::open(target.location, clocked());
  const Run a = first.create_run({.session_id = "s", .run_id = "a"});
  CHECK(second.run("a") == a);
  const Event e = second.append("a", "tool_called");
  CHECK(e.seq == 2);
  CHECK(e.position == 2);
  second.create_run({.session_id = "s", .run_id = "b"});
  CHECK(first.append("b", "run_completed").position == 4);
  CHECK(first.events("a") == second.events("a"));
  CHECK(all_events(first) == all_events(second));
  CHECK(all_runs(first) == all_runs(second));
  CHECK(first.last_position() == 4);
  CHECK(second.run("b")->status == RunStatus::Completed);
}

TEST_CASE("Durability::Normal opens and writes, and the writes survive a reopen") {
  const Target target = make_target("j");
  Options options = clocked();
  options.durability = runjournal::Durability::Normal;
  std::vector<Event> written;
  {
    Journal j = Journal::open(target.location, options);
    j.create_run({.session_id = "s", .run_id = "r"});
    written.push_back(j.append("r", "tool_called", {{"n", 1}}));
    CHECK(j.run("r")->event_count == 2);
  }
  Journal j = Journal::open(target.location);
  const std::vector<Event> events = j.events("r", 2);
  CHECK(events == written);
}

TEST_CASE("appends from several threads get distinct, gap-free positions and seqs") {
  const Target target = make_target("j");
  Options options;
  options.durability = runjournal::Durability::Normal;
  Journal j = Journal::open(target.location, options);
  j.create_run({.session_id = "s", .run_id = "shared"});
  constexpr int kThreads = 4, kEach = 25;
  std::vector<std::vector<Event>> got(kThreads);
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        const std::string own = "own-" + std::to_string(t);
        j.create_run({.session_id = own, .run_id = own});
        for (int i = 0; i < kEach; ++i) {
          got[t].push_back(j.append(own, "tool_called"));
          got[t].push_back(j.append("shared", "tool_called", {{"t", t}}));
        }
      } catch (const std::exception& e) {
        failures[t] = e.what();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& f : failures) CHECK(f.empty());
  std::set<std::int64_t> positions;
  for (const auto& events : got) {
    for (const Event& e : events) positions.insert(e.position);
  }
  const std::int64_t total = 1 + kThreads * (1 + 2 * kEach);
  CHECK(positions.size() == static_cast<std::size_t>(kThreads * 2 * kEach));
  CHECK(positions_of(all_events(j)) == iota(1, total));
  std::vector<std::int64_t> shared_seqs;
  for (const Event& e : j.events("shared")) shared_seqs.push_back(e.seq);
  CHECK(shared_seqs == iota(1, 1 + kThreads * kEach));
  CHECK(j.verify().ok());
}
