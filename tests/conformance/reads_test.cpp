// reads_test (conformance): reading — runs() filtered and paged, one run's
// events, events after a position, scan, absent runs, and follow, which sees
// what another Journal commits as it lands.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <runjournal/journal.hpp>

#include "backend_fixture.hpp"

using nlohmann::json;
using runjournal::Event;
using runjournal::Journal;
using runjournal::Page;
using runjournal::Run;
using runjournal::RunStatus;
using runjournal::test::all_events;
using runjournal::test::clocked;
using runjournal::test::ids_of;
using runjournal::test::iota;
using runjournal::test::known_journal;
using runjournal::test::positions_of;
using runjournal::conformance::make_target;
using runjournal::conformance::Target;

// ---------------------------------------------------------------------------
// Reading

TEST_CASE("runs() filters by status and by session, in creation order") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  // Ids out of alphabetical order, so creation order is not id order.
  j.create_run({.session_id = "s1", .run_id = "r-c"});
  j.create_run({.session_id = "s2", .run_id = "r-a"});
  j.create_run({.session_id = "s1", .run_id = "r-b"});
  j.create_run({.session_id = "s1", .run_id = "r-d"});
  j.append("r-b", "run_completed");
  j.append("r-a", "run_completed");
  using Ids = std::vector<std::string>;
  CHECK(ids_of(j.runs()) == Ids{"r-c", "r-a", "r-b", "r-d"});
  CHECK(ids_of(j.runs({.session_id = "s1"})) == Ids{"r-c", "r-b", "r-d"});
  CHECK(ids_of(j.runs({.status = RunStatus::Completed})) == Ids{"r-a", "r-b"});
  CHECK(ids_of(j.runs({.status = RunStatus::Created, .session_id = "s1"})) == Ids{"r-c", "r-d"});
  CHECK(ids_of(j.runs({.status = RunStatus::Completed, .session_id = "s1"})) == Ids{"r-b"});
  CHECK(j.runs({.status = RunStatus::Failed}).empty());
  CHECK(j.runs({.session_id = "nobody"}).empty());
  CHECK(j.runs({.status = RunStatus::Completed}).front() == *j.run("r-a"));
}

TEST_CASE("runs() pages with after_run_id and limit") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  for (const char* id : {"e", "d", "c", "b", "a"}) j.create_run({.session_id = "s", .run_id = id});
  using Ids = std::vector<std::string>;
  CHECK(ids_of(j.runs({}, {.limit = 2})) == Ids{"e", "d"});
  CHECK(ids_of(j.runs({}, {.limit = 2, .after_run_id = "d"})) == Ids{"c", "b"});
  CHECK(ids_of(j.runs({}, {.limit = 2, .after_run_id = "b"})) == Ids{"a"});
  CHECK(j.runs({}, {.limit = 2, .after_run_id = "a"}).empty());
  j.append("c", "run_completed");
  CHECK(ids_of(j.runs({.status = RunStatus::Created}, {.limit = 2, .after_run_id = "d"})) == Ids{"b", "a"});
}

TEST_CASE("events() reads one run from a seq, up to a limit") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  j.create_run({.session_id = "s", .run_id = "r"});
  j.create_run({.session_id = "s", .run_id = "other"});
  for (int i = 0; i < 5; ++i) {
    j.append("r", "tool_called", {{"i", i}});
    j.append("other", "tool_called");
  }
  const auto seqs = [](const std::vector<Event>& events) {
    std::vector<std::int64_t> out;
    for (const Event& e : events) {
      CHECK(e.run_id == "r");
      out.push_back(e.seq);
    }
    return out;
  };
  CHECK(seqs(j.events("r")) == iota(1, 6));
  CHECK(seqs(j.events("r", 3)) == iota(3, 6));
  CHECK(seqs(j.events("r", 2, 2)) == iota(2, 3));
  CHECK(j.events("r", 7).empty());
  CHECK(j.events("nobody").empty());
  CHECK(j.events("r", 4, 1).front().payload == json{{"i", 2}});
}

TEST_CASE("events_after returns the events past a position, in position order, up to a limit") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  j.create_run({.session_id = "s", .run_id = "a"});
  j.create_run({.session_id = "s", .run_id = "b"});
  for (int i = 0; i < 3; ++i) {
    j.append("b", "tool_called");
    j.append("a", "tool_called");
  }
  CHECK(positions_of(j.events_after(2, 3)) == iota(3, 5));
  CHECK(positions_of(j.events_after(5, 100)) == iota(6, 8));
  CHECK(j.events_after(8, 100).empty());
  const std::vector<Event> one = j.events_after(3, 1);
  REQUIRE(one.size() == 1);
  CHECK(one[0].run_id == "a");
  CHECK(one[0].seq == 2);
}

TEST_CASE("scan visits every event in position order across page boundaries") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  j.create_run({.session_id = "s", .run_id = "a"});
  j.create_run({.session_id = "s", .run_id = "b"});
  for (int i = 0; i < 4; ++i) {
    j.append("a", "tool_called");
    j.append("b", "tool_called");
  }
  const std::vector<Event> expected = all_events(j);
  REQUIRE(expected.size() == 10);
  std::vector<Event> seen;
  j.scan(0, [&](const Event& e) { seen.push_back(e); return true; }, 3);
  CHECK(seen == expected);
  // After position 1 nine remain: three full pages.
  std::vector<std::int64_t> positions;
  j.scan(1, [&](const Event& e) { positions.push_back(e.position); return true; }, 3);
  CHECK(positions == iota(2, 10));
}

TEST_CASE("scan stops when visit returns false") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  j.create_run({.session_id = "s", .run_id = "a"});
  for (int i = 0; i < 9; ++i) j.append("a", "tool_called");
  std::vector<std::int64_t> positions;
  j.scan(0, [&](const Event& e) { positions.push_back(e.position); return positions.size() < 5; }, 3);
  CHECK(positions == iota(1, 5));
}

TEST_CASE("run() of an unknown id is nullopt, and an empty journal is at position 0") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  CHECK(j.last_position() == 0);
  CHECK(j.runs().empty());
  CHECK(all_events(j).empty());
  CHECK_FALSE(j.run("nobody"));
  j.create_run({.session_id = "s", .run_id = "r"});
  CHECK_FALSE(j.run("nobody"));
  CHECK(j.run("r"));
  CHECK(j.last_position() == 1);
}

TEST_CASE("paging after a run id that does not exist is NotFound, not a restart") {
  const Target target = make_target("j");
  Journal journal = Journal::open(target.location);
  journal.create_run({.session_id = "s", .run_id = "a"});
  journal.create_run({.session_id = "s", .run_id = "b"});
  CHECK(journal.runs({}, {.limit = 10, .after_run_id = "a"}).size() == 1);
  try {
    (void)journal.runs({}, {.limit = 10, .after_run_id = "gone"});
    FAIL("an unknown cursor was accepted");
  } catch (const runjournal::Error& e) {
    CHECK(e.code() == runjournal::ErrorCode::NotFound);
  }
}

// ---------------------------------------------------------------------------
// Following

TEST_CASE("follow delivers what another connection commits, in order, as it lands") {
  const Target target = make_target("j");
  Journal j = known_journal(target.location);
  std::vector<std::int64_t> seen;
  std::mutex mu;
  std::atomic<bool> stop{false};
  std::thread follower([&] {
    Journal reader = Journal::open(target.location);
    reader.follow(
        9,
        [&](const Event& e) {
          std::lock_guard lock(mu);
          seen.push_back(e.position);
          return true;
        },
        [&] { return !stop.load(); }, std::chrono::milliseconds(5));
  });
  for (int i = 0; i < 200; ++i) j.append("run-c", "tool_called", {{"i", i}});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    {
      std::lock_guard lock(mu);
      if (seen.size() >= 202 || std::chrono::steady_clock::now() > deadline) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  follower.join();
  REQUIRE(seen.size() == 202);
  for (std::size_t i = 0; i < seen.size(); ++i) CHECK(seen[i] == static_cast<std::int64_t>(10 + i));
}
