// records_test (conformance): records out and in — export then import gives
// every run back, a bad import is refused by its line and stores nothing,
// an identical run is skipped — and retention: prune removes old finished
// runs, archives them, never touches a live run and never reuses a position.
#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <runjournal/journal.hpp>
#include <runjournal/json.hpp>

#include "backend_fixture.hpp"

using nlohmann::json;
using runjournal::ErrorCode;
using runjournal::Event;
using runjournal::Journal;
using runjournal::Run;
using runjournal::test::known_journal;
using runjournal::test::StepClock;
using runjournal::conformance::make_target;
using runjournal::conformance::Target;

namespace {

// The first value a fresh StepClock gives: known_journal's first time.
constexpr std::int64_t kStart = StepClock{}.next;

// A run and its events with the importing journal's positions taken out.
json without_positions(const Run& run, const std::vector<Event>& events) {
  json r = runjournal::to_json(run);
  r.erase("first_position");
  r.erase("last_position");
  json es = json::array();
  for (const Event& e : events) {
    json x = runjournal::to_json(e);
    x.erase("position");
    es.push_back(x);
  }
  return {{"run", r}, {"events", es}};
}

}  // namespace

// ---------------------------------------------------------------------------
// Records out and in

TEST_CASE("export then import into an empty journal gives every run and event back, unicode and nested JSON included") {
  const Target a_target = make_target("a");
  const Target b_target = make_target("b");
  Journal a = known_journal(a_target.location);
  a.create_run({.session_id = "s-ü", .prompt = "naïve 日本語 🚀 \"quoted\"\n", .run_id = "run-ü",
                .inputs = json{{"deep", {{"list", {1, 2.5, "three", nullptr, json::object()}}}}},
                .metadata = json{{"tags", {"a", "b"}}}});
  a.append("run-ü", "tool_called", {{"text", "tab\there \\ back \u00e9"}, {"nested", {{"a", {{"b", {{"c", 1}}}}}}}},
           {.idempotency_key = "k-1"});
  a.append("run-ü", "run_completed", {{"outputs", {{"answer", "42 ✓"}}}});
  std::stringstream file;
  a.records([&](const runjournal::RunRecord& r) { file << runjournal::record_to_line(r) << '\n'; });

  Journal b = Journal::open(b_target.location);
  const runjournal::ImportReport report = b.import_records(file);
  CHECK(report.runs_imported == 4);
  CHECK(report.events_imported == 14);
  for (const Run& run : a.runs()) {
    INFO("run " << run.run_id);
    const std::optional<Run> copy = b.run(run.run_id);
    REQUIRE(copy);
    CHECK(without_positions(*copy, b.events(run.run_id)) == without_positions(run, a.events(run.run_id)));
  }
  CHECK(b.runs().size() == 4);
  CHECK(b.verify().ok());
}

TEST_CASE("an import with a seq gap is refused, named by its line, and writes nothing") {
  const Target a_target = make_target("a");
  const Target b_target = make_target("b");
  Journal a = known_journal(a_target.location);
  std::string good, bad;
  a.records([&](const runjournal::RunRecord& r) {
    good += runjournal::record_to_line(r) + "\n";
    runjournal::RunRecord gap = r;
    if (gap.run.run_id == "run-b") gap.events.erase(gap.events.begin() + 1);  // seq 1, 3
    bad += runjournal::record_to_line(gap) + "\n";
  });
  Journal b = Journal::open(b_target.location);
  std::istringstream in(bad);
  try {
    b.import_records(in);
    FAIL("a gap was accepted");
  } catch (const runjournal::Error& e) {
    CHECK(e.code() == ErrorCode::InvalidArgument);
    CHECK(std::string(e.what()).find("line 2") != std::string::npos);
  }
  CHECK(b.last_position() == 0);
  CHECK(b.runs().empty());
  // Not JSON, and a record missing its events, are refused the same way.
  std::istringstream not_json(good + "{oops\n");
  CHECK_THROWS_WITH_AS(b.import_records(not_json), doctest::Contains("line 4"), runjournal::Error);
  std::istringstream no_events("{\"run\": {}}\n");
  CHECK_THROWS_AS(b.import_records(no_events), runjournal::Error);
  CHECK(b.last_position() == 0);
}

TEST_CASE("importing a run that exists skips it when identical and refuses it when different; never duplicates") {
  const Target a_target = make_target("a");
  const Target b_target = make_target("b");
  const Target c_target = make_target("c");
  Journal a = known_journal(a_target.location);
  std::string lines;
  a.records([&](const runjournal::RunRecord& r) { lines += runjournal::record_to_line(r) + "\n"; });
  Journal b = Journal::open(b_target.location);
  std::istringstream first(lines);
  CHECK(b.import_records(first).runs_imported == 3);
  std::istringstream again(lines);
  const runjournal::ImportReport second = b.import_records(again);
  CHECK(second.runs_imported == 0);
  CHECK(second.runs_skipped == 3);
  CHECK(b.last_position() == 11);

  a.append("run-c", "tool_called", {{"tool_name", "more"}});
  std::string changed;
  a.records([&](const runjournal::RunRecord& r) { changed += runjournal::record_to_line(r) + "\n"; },
            std::string("run-c"));
  std::istringstream different(changed);
  CHECK_THROWS_WITH_AS(b.import_records(different), doctest::Contains("line 1"), runjournal::Error);
  std::istringstream twice(changed + changed);
  try {
    Journal c = Journal::open(c_target.location);
    c.import_records(twice);
    FAIL("a run twice in one file was accepted");
  } catch (const runjournal::Error& e) {
    CHECK(e.code() == ErrorCode::AlreadyExists);
    CHECK(std::string(e.what()).find("line 2") != std::string::npos);
  }
  CHECK(b.events("run-c").size() == 3);
}

// ---------------------------------------------------------------------------
// Retention

TEST_CASE("prune removes old finished runs, archives them, never touches live runs, and never reuses positions") {
  const Target j_target = make_target("j");
  const Target restored_target = make_target("restored");
  Journal j = known_journal(j_target.location);  // finished in 2023
  // A run that finished just now stays; so does the live run-c.
  Journal now = Journal::open(j_target.location);
  now.create_run({.session_id = "s4", .run_id = "run-new"});
  now.append("run-new", "run_completed");
  // The newest events are a finished old run's: removing them must not
  // let their positions be handed out again.
  j.create_run({.session_id = "s5", .run_id = "run-last"});
  j.append("run-last", "run_cancelled");
  const std::int64_t highest = j.last_position();

  const runjournal::PruneReport report =
      j.prune({.finished_before_ms = kStart + 1'000'000, .archive = j_target.scratch / "archive.jsonl",
               .runs_per_transaction = 1});
  CHECK(report.runs == 3);  // run-a, run-b, run-last
  CHECK(report.events == 10);
  CHECK_FALSE(j.run("run-a"));
  CHECK_FALSE(j.run("run-last"));
  CHECK(j.events("run-a").empty());
  REQUIRE(j.run("run-c"));
  CHECK(j.events("run-c").size() == 3);
  CHECK(j.run("run-new"));
  CHECK(j.verify().ok());

  const Event next = j.append("run-c", "tool_called");
  CHECK(next.position == highest + 1);
  CHECK(j.stats().assigned_position == highest + 1);

  // The archive holds exactly the removed runs and imports back.
  std::ifstream archive(j_target.scratch / "archive.jsonl");
  Journal restored = Journal::open(restored_target.location);
  CHECK(restored.import_records(archive).runs_imported == 3);
  CHECK(restored.events("run-a").size() == 5);
}
