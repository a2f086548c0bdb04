// append_test (conformance): writing through the public API — create_run,
// append, what the injected clock and id generator give, the positions every
// event gets and never gets twice, and events that read back exactly as
// they were appended.
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <runjournal/journal.hpp>

#include "backend_fixture.hpp"

using nlohmann::json;
using runjournal::Event;
using runjournal::Journal;
using runjournal::Options;
using runjournal::Run;
using runjournal::RunStatus;
using runjournal::test::all_events;
using runjournal::test::all_runs;
using runjournal::test::clocked;
using runjournal::test::ids_of;
using runjournal::test::iota;
using runjournal::test::positions_of;
using runjournal::test::StepClock;
using runjournal::conformance::make_target;
using runjournal::conformance::Target;

namespace {

// The first value a fresh StepClock gives.
constexpr std::int64_t kT0 = StepClock{}.next;

// "run-" + a lower-case UUID with version nibble 4 and variant 8, 9, a or b,
// i.e. ^run-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$.
// Matched by hand: <regex> trips GCC 12's -Wmaybe-uninitialized under the
// sanitizer build, where warnings are errors too.
bool is_run_uuid_v4(const std::string& id) {
  const std::string pattern = "run-hhhhhhhh-hhhh-4hhh-Vhhh-hhhhhhhhhhhh";
  if (id.size() != pattern.size()) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    const bool ok = pattern[i] == 'h'   ? hex
                    : pattern[i] == 'V' ? (c == '8' || c == '9' || c == 'a' || c == 'b')
                                        : c == pattern[i];
    if (!ok) return false;
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------
// Writing

TEST_CASE("create_run writes run_created as seq 1 and returns the created run") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  const json inputs = {{"file", "a.cpp"}, {"lines", {1, 2}}};
  const json metadata = {{"owner", "ci"}};
  const Run run = j.create_run(
      {.session_id = "s1", .prompt = "fix tests", .run_id = "r-1", .inputs = inputs, .metadata = metadata});

  CHECK(run.run_id == "r-1");
  CHECK(run.session_id == "s1");
  CHECK(run.status == RunStatus::Created);
  CHECK(run.prompt == "fix tests");
  CHECK(run.inputs == inputs);
  CHECK(run.metadata == metadata);
  CHECK(run.outputs.is_null());
  CHECK_FALSE(run.finished_at_ms);
  CHECK(run.event_count == 1);
  CHECK(run.last_seq == 1);
  CHECK(run.first_position == 1);
  CHECK(run.last_position == 1);
  CHECK(j.run("r-1") == run);

  const std::vector<Event> events = j.events("r-1");
  REQUIRE(events.size() == 1);
  CHECK(events[0].seq == 1);
  CHECK(events[0].position == 1);
  CHECK(events[0].kind == "run_created");
  CHECK(events[0].payload.value("session_id", "") == "s1");
  CHECK(events[0].payload.value("prompt", "") == "fix tests");
  CHECK(events[0].payload.value("inputs", json()) == inputs);
  CHECK(events[0].payload.value("metadata", json()) == metadata);
  CHECK_FALSE(events[0].idempotency_key);
}

TEST_CASE("create_run uses the injected id generator only when no id is given") {
  const Target target = make_target("j");
  int generated = 0;
  Options options = clocked();
  options.id_generator = [&generated] { return "gen-" + std::to_string(++generated); };
  Journal j = Journal::open(target.location, options);
  CHECK(j.create_run({.session_id = "s"}).run_id == "gen-1");
  CHECK(j.create_run({.session_id = "s"}).run_id == "gen-2");
  CHECK(j.create_run({.session_id = "s", .run_id = "mine"}).run_id == "mine");
  CHECK(generated == 2);
  CHECK(ids_of(all_runs(j)) == std::vector<std::string>{"gen-1", "gen-2", "mine"});
}

TEST_CASE("the default run id is run- followed by a random version 4 UUID") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location);
  // The matcher itself, on ids that differ from a valid one in one place.
  CHECK(is_run_uuid_v4("run-0123abcd-ef01-4abc-8def-0123456789ab"));
  CHECK_FALSE(is_run_uuid_v4("run-0123abcd-ef01-3abc-8def-0123456789ab"));  // version 3
  CHECK_FALSE(is_run_uuid_v4("run-0123abcd-ef01-4abc-cdef-0123456789ab"));  // variant c
  CHECK_FALSE(is_run_uuid_v4("run-0123ABCD-ef01-4abc-8def-0123456789ab"));  // upper case
  CHECK_FALSE(is_run_uuid_v4("run-0123abcd-ef01-4abc-8def-0123456789a"));   // short
  std::set<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    const std::string id = j.create_run({.session_id = "s"}).run_id;
    INFO("id: " << id);
    CHECK(is_run_uuid_v4(id));
    ids.insert(id);
  }
  CHECK(ids.size() == 5);
}

TEST_CASE("the injected clock stamps ts_ms, created_at_ms and updated_at_ms") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  const Run created = j.create_run({.session_id = "s", .run_id = "r"});
  CHECK(created.created_at_ms == kT0);
  CHECK(created.updated_at_ms == kT0);
  const Event e1 = j.append("r", "tool_called");
  const Event e2 = j.append("r", "run_completed");
  CHECK(e1.ts_ms == kT0 + 1);
  CHECK(e2.ts_ms == kT0 + 2);
  const Run now = *j.run("r");
  CHECK(now.created_at_ms == kT0);
  CHECK(now.updated_at_ms == kT0 + 2);
  CHECK(now.finished_at_ms == kT0 + 2);
  std::vector<std::int64_t> stamps;
  for (const Event& e : j.events("r")) stamps.push_back(e.ts_ms);
  CHECK(stamps == std::vector<std::int64_t>{kT0, kT0 + 1, kT0 + 2});
}

TEST_CASE("append returns the next seq and the position after the previous one") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  const Run run = j.create_run({.session_id = "s", .run_id = "r"});
  std::int64_t position = run.last_position;
  for (std::int64_t seq = 2; seq <= 5; ++seq) {
    const Event e = j.append("r", "tool_called", {{"i", seq}});
    CHECK(e.run_id == "r");
    CHECK(e.seq == seq);
    CHECK(e.position == position + 1);
    CHECK(e.kind == "tool_called");
    CHECK(e.payload == json{{"i", seq}});
    position = e.position;
  }
  const Run now = *j.run("r");
  CHECK(now.event_count == 5);
  CHECK(now.last_seq == 5);
  CHECK(now.last_position == position);
  CHECK(now.status == RunStatus::Executing);
}

TEST_CASE("positions are global: they increase by one across interleaved runs") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  std::vector<std::int64_t> positions;
  positions.push_back(j.create_run({.session_id = "s", .run_id = "a"}).last_position);
  positions.push_back(j.create_run({.session_id = "s", .run_id = "b"}).last_position);
  std::int64_t seq_a = 1, seq_b = 1;
  for (int i = 0; i < 6; ++i) {
    const bool to_a = i % 3 != 2;
    const Event e = j.append(to_a ? "a" : "b", "step_started");
    CHECK(e.seq == (to_a ? ++seq_a : ++seq_b));
    positions.push_back(e.position);
  }
  CHECK(positions == iota(1, 8));
  CHECK(positions_of(all_events(j)) == iota(1, 8));
  CHECK(j.run("a")->last_seq == 5);
  CHECK(j.run("b")->last_seq == 3);
  CHECK(j.last_position() == 8);
}

TEST_CASE("append of run_created for a new id creates the run as create_run does") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  const Event e = j.append("fresh", "run_created", {{"session_id", "s2"}, {"prompt", "p"}, {"inputs", {1, 2}}});
  CHECK(e.seq == 1);
  CHECK(e.position == 1);
  const std::optional<Run> run = j.run("fresh");
  REQUIRE(run);
  CHECK(run->status == RunStatus::Created);
  CHECK(run->session_id == "s2");
  CHECK(run->prompt == "p");
  CHECK(run->inputs == json{1, 2});
  CHECK(run->event_count == 1);
  CHECK(run->first_position == 1);
  CHECK(j.append("fresh", "run_started").seq == 2);
}

TEST_CASE("an appended event reads back exactly as append returned it") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  j.create_run({.session_id = "s", .run_id = "r"});
  const std::vector<json> payloads = {
      json::object(),
      {{"text", "caf\u00e9 \xf0\x9f\x98\x80 \"quoted\" \\ \n\t"}, {"empty", ""}},
      {{"nested", {{"a", {1, 2.5, -3, nullptr, true}}, {"b", json::object()}}}},
      {{"big", std::numeric_limits<std::int64_t>::max()},
       {"small", std::numeric_limits<std::int64_t>::min()},
       {"unsigned", std::numeric_limits<std::uint64_t>::max()},
       {"pi", 3.141592653589793},
       {"tiny", 1e-300}},
  };
  std::vector<Event> appended;
  for (const json& p : payloads) appended.push_back(j.append("r", "note", p));
  appended.push_back(j.append("r", "note", {{"k", 1}}, {.idempotency_key = "key-1"}));
  const std::vector<Event> read = j.events("r", 2);
  REQUIRE(read.size() == appended.size());
  for (std::size_t i = 0; i < read.size(); ++i) {
    INFO("event #" << i);
    CHECK(read[i] == appended[i]);
  }
}

// ---------------------------------------------------------------------------
// Positions are never reused

// Retention is what removes rows (DESIGN: "never reused, even after
// retention removes the newest runs"); it records the highest position
// before deleting.
TEST_CASE("positions are never reused after retention removes the newest run") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  j.create_run({.session_id = "s", .run_id = "a"});
  j.append("a", "tool_called");
  j.append("a", "tool_called");
  j.create_run({.session_id = "s", .run_id = "b"});
  j.append("b", "tool_called");
  REQUIRE(j.append("b", "run_completed").position == 6);

  REQUIRE(j.prune({.finished_before_ms = std::numeric_limits<std::int64_t>::max()}).runs == 1);
  REQUIRE(j.last_position() == 3);

  const Event e = j.append("a", "tool_called");
  CHECK(e.position > 6);
  CHECK(e.seq == 4);
  const Run c = j.create_run({.session_id = "s", .run_id = "c"});
  CHECK(c.first_position > e.position);
}
