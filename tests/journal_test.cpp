// journal_test: the Journal's public API as a host uses it — writing, bad
// input, batches, optimistic concurrency and idempotency, exclusive sessions,
// reading, rebuild, runs_as_of and verify, and sharing a file. Opening,
// refusing files and reconciling `runs` at open are in journal_open_test.
//
// Every test has its own TempDir and journal. Tampering goes through a raw
// SQLiteCpp connection; times come from an injected StepClock.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <runjournal/journal.hpp>
#include <runjournal/json.hpp>

#include "sqlite_file.hpp"
#include "test_support.hpp"

using nlohmann::json;
using runjournal::Error;
using runjournal::ErrorCode;
using runjournal::Event;
using runjournal::Journal;
using runjournal::NewEvent;
using runjournal::NewRun;
using runjournal::Options;
using runjournal::Page;
using runjournal::Run;
using runjournal::RunStatus;
using runjournal::test::all_events;
using runjournal::test::all_runs;
using runjournal::test::clocked;
using runjournal::test::code_of;
using runjournal::test::Files;
using runjournal::test::files_of;
using runjournal::test::message_of;
using runjournal::test::raw_exec;
using runjournal::test::State;
using runjournal::test::state_of;
using runjournal::test::read_file;
using runjournal::test::StepClock;
using runjournal::test::TempDir;
namespace fs = std::filesystem;


namespace {

// The first value a fresh StepClock gives.
constexpr std::int64_t kT0 = StepClock{}.next;

// The batch_index() of the runjournal::Error `fn` throws.
std::optional<std::size_t> batch_index_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.batch_index();
  }
  return std::nullopt;
}

std::vector<std::string> ids_of(const std::vector<Run>& runs) {
  std::vector<std::string> ids;
  for (const Run& r : runs) ids.push_back(r.run_id);
  return ids;
}

std::vector<std::int64_t> positions_of(const std::vector<Event>& events) {
  std::vector<std::int64_t> out;
  for (const Event& e : events) out.push_back(e.position);
  return out;
}

std::vector<std::int64_t> iota(std::int64_t first, std::int64_t last) {
  std::vector<std::int64_t> out;
  for (std::int64_t i = first; i <= last; ++i) out.push_back(i);
  return out;
}

// Element by element, so a failure names the first run that differs.
void check_same_runs(const std::vector<Run>& got, const std::vector<Run>& want) {
  CHECK(got.size() == want.size());
  for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    INFO("run #" << i);
    CHECK(got[i] == want[i]);
  }
}

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

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

bool any_problem(const runjournal::VerifyReport& report, const std::vector<std::string>& parts) {
  for (const std::string& problem : report.problems) {
    bool all = true;
    for (const std::string& part : parts) all = all && contains(problem, part);
    if (all) return true;
  }
  return false;
}

}  // namespace

// ---------------------------------------------------------------------------
// Writing

TEST_CASE("create_run writes run_created as seq 1 and returns the created run") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
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
  TempDir dir;
  int generated = 0;
  Options options = clocked();
  options.id_generator = [&generated] { return "gen-" + std::to_string(++generated); };
  Journal j = Journal::open(dir.file("j.db"), options);
  CHECK(j.create_run({.session_id = "s"}).run_id == "gen-1");
  CHECK(j.create_run({.session_id = "s"}).run_id == "gen-2");
  CHECK(j.create_run({.session_id = "s", .run_id = "mine"}).run_id == "mine");
  CHECK(generated == 2);
  CHECK(ids_of(all_runs(j)) == std::vector<std::string>{"gen-1", "gen-2", "mine"});
}

TEST_CASE("the default run id is run- followed by a random version 4 UUID") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"));
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
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
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
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
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
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
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
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
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
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
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
  TempDir dir;
  const fs::path path = dir.file("j.db");
  Journal j = Journal::open(path, clocked());
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

// ---------------------------------------------------------------------------
// expected_seq and idempotency keys

TEST_CASE("append with a matching expected_seq succeeds") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
  j.create_run({.session_id = "s", .run_id = "r"});
  CHECK(j.append("r", "tool_called", json::object(), {.expected_seq = 1}).seq == 2);
  CHECK(j.append("r", "tool_called", json::object(), {.expected_seq = 2}).seq == 3);
  CHECK(j.append("new", "run_created", {{"session_id", "s"}}, {.expected_seq = 0}).seq == 1);
  // Inside a batch, expected_seq sees the batch's own earlier events.
  const std::vector<Event> out = j.append_batch({
      {.run_id = "r", .kind = "tool_called", .options = {.expected_seq = 3}},
      {.run_id = "r", .kind = "tool_called", .options = {.expected_seq = 4}},
  });
  CHECK(out.back().seq == 5);
}

TEST_CASE("append with a stale expected_seq is a Conflict and writes nothing") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
  j.create_run({.session_id = "s", .run_id = "r"});
  j.append("r", "tool_called");
  const State before = state_of(j);
  CHECK(code_of([&] { j.append("r", "run_completed", json::object(), {.expected_seq = 1}); }) ==
        ErrorCode::Conflict);
  CHECK(state_of(j) == before);
  CHECK(j.run("r")->status == RunStatus::Executing);
}

TEST_CASE("a retried append with the same idempotency key returns the original event and writes nothing") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  Journal j = Journal::open(path, clocked());
  j.create_run({.session_id = "s", .run_id = "r"});
  const Event original = j.append("r", "tool_called", {{"try", 1}, {"x", 2.5}}, {.idempotency_key = "k1"});
  CHECK(original.idempotency_key == "k1");
  const Run after_first = *j.run("r");
  const Files files = files_of(path);

  // The same event again, its keys in another order: a retry.
  const Event retry = j.append("r", "tool_called", {{"x", 2.5}, {"try", 1}}, {.idempotency_key = "k1"});
  CHECK(files_of(path) == files);
  CHECK(retry == original);
  CHECK(j.run("r") == after_first);
  CHECK(j.run("r")->event_count == 2);
  CHECK(j.events("r").size() == 2);
  CHECK(j.last_position() == original.position);
}

TEST_CASE("an idempotency key reused for another kind or payload is a Conflict naming the stored event") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  Journal j = Journal::open(path, clocked());
  j.create_run({.session_id = "s", .run_id = "r"});
  const Event original = j.append("r", "tool_called", {{"try", 1}}, {.idempotency_key = "k1"});
  const Files files = files_of(path);
  const State before = state_of(j);
  // Plain references, not a structured binding: doctest's INFO captures in a
  // lambda, and clang 14 cannot capture a structured binding.
  for (const auto& reuse : std::vector<std::pair<std::string, json>>{
           {"tool_called", {{"try", 2}}}, {"tool_result", {{"try", 1}}}, {"tool_called", json::object()}}) {
    const std::string& kind = reuse.first;
    const json& payload = reuse.second;
    INFO(kind << " " << payload.dump());
    try {
      j.append("r", kind, payload, {.idempotency_key = "k1"});
      FAIL("a reused key was accepted");
    } catch (const runjournal::Error& e) {
      CHECK(e.code() == ErrorCode::Conflict);
      CHECK(std::string(e.what()).find("seq 2") != std::string::npos);
      CHECK(std::string(e.what()).find("k1") != std::string::npos);
    }
    CHECK(files_of(path) == files);
    CHECK(state_of(j) == before);
  }
  // In a batch too: the whole batch is refused, named by its event.
  CHECK(code_of([&] {
          j.append_batch({{.run_id = "r", .kind = "step_started"},
                          {.run_id = "r", .kind = "tool_called", .payload = {{"try", 3}}, .options = {.idempotency_key = "k1"}}});
        }) == ErrorCode::Conflict);
  CHECK(files_of(path) == files);
  CHECK(j.events("r").back() == original);
}

TEST_CASE("a retried run_resumed from another process matches without the driver the journal added") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  runjournal::Options first_process = clocked();
  first_process.driver = runjournal::Driver{"host-a", 111, 5, "boot-a"};
  Journal a = Journal::open(path, first_process);
  a.create_run({.session_id = "s", .run_id = "r"});
  const Event original = a.append("r", "run_resumed", {{"from", "cp-1"}}, {.idempotency_key = "resume-1"});
  CHECK(original.payload.contains("driver"));
  runjournal::Options second_process = clocked();
  second_process.driver = runjournal::Driver{"host-b", 222, 7, "boot-b"};
  Journal b = Journal::open(dir.file("j.db"), second_process);
  CHECK(b.append("r", "run_resumed", {{"from", "cp-1"}}, {.idempotency_key = "resume-1"}) == original);
  // A driver the caller wrote itself is part of the event.
  CHECK(code_of([&] {
          b.append("r", "run_resumed", {{"from", "cp-1"}, {"driver", nullptr}}, {.idempotency_key = "resume-1"});
        }) == ErrorCode::Conflict);
}

TEST_CASE("idempotency keys are per run: one key on two runs gives two events") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
  j.create_run({.session_id = "s", .run_id = "a"});
  j.create_run({.session_id = "s", .run_id = "b"});
  const Event on_a = j.append("a", "tool_called", {{"run", "a"}}, {.idempotency_key = "same"});
  const Event on_b = j.append("b", "tool_called", {{"run", "b"}}, {.idempotency_key = "same"});
  CHECK(on_a.run_id == "a");
  CHECK(on_b.run_id == "b");
  CHECK(on_b.position == on_a.position + 1);
  CHECK(on_b.payload == json{{"run", "b"}});
  CHECK(j.run("a")->event_count == 2);
  CHECK(j.run("b")->event_count == 2);
}

TEST_CASE("a key repeated inside one batch returns the batch's first event") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
  j.create_run({.session_id = "s", .run_id = "r"});
  const std::vector<Event> out = j.append_batch({
      {.run_id = "r", .kind = "tool_called", .payload = {{"n", 1}}, .options = {.idempotency_key = "kb"}},
      {.run_id = "r", .kind = "tool_called", .payload = {{"n", 1}}, .options = {.idempotency_key = "kb"}},
      {.run_id = "r", .kind = "step_started", .payload = {{"n", 3}}},
  });
  REQUIRE(out.size() == 3);
  CHECK(out[1] == out[0]);
  CHECK(out[0].payload == json{{"n", 1}});
  CHECK(out[2].seq == out[0].seq + 1);
  CHECK(out[2].position == out[0].position + 1);
  CHECK(j.events("r").size() == 3);
  CHECK(j.run("r")->event_count == 3);
}

// ---------------------------------------------------------------------------
// Batches

TEST_CASE("a batch whose third event names an unknown run writes nothing") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
  j.create_run({.session_id = "s", .run_id = "r"});
  const State before = state_of(j);
  const std::vector<NewEvent> batch = {
      {.run_id = "r", .kind = "tool_called"},
      {.run_id = "r", .kind = "run_completed"},
      {.run_id = "ghost", .kind = "tool_called"},
  };
  CHECK(code_of([&] { j.append_batch(batch); }) == ErrorCode::NotFound);
  CHECK(batch_index_of([&] { j.append_batch(batch); }) == std::optional<std::size_t>(2));
  CHECK(contains(message_of([&] { j.append_batch(batch); }), "event 2"));
  CHECK(state_of(j) == before);
}

TEST_CASE("a batch whose third event fails validation writes nothing and leaves the files byte-identical") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  Journal j = Journal::open(path, clocked());
  j.create_run({.session_id = "s", .run_id = "r"});
  j.append("r", "tool_called");
  const std::vector<std::pair<const char*, NewEvent>> bad = {
      {"empty kind", {.run_id = "r", .kind = ""}},
      {"payload not an object", {.run_id = "r", .kind = "tool_called", .payload = json::array({1})}},
      {"kind not UTF-8", {.run_id = "r", .kind = "tool\xff"}},
      {"payload string not UTF-8", {.run_id = "r", .kind = "note", .payload = {{"t", std::string("a\xff")}}}},
      {"run_created without session_id", {.run_id = "n", .kind = "run_created", .payload = {{"prompt", "p"}}}},
  };
  for (const auto& [what, third] : bad) {
    // A named copy: doctest's INFO captures in a lambda, and clang 14 cannot
    // capture a structured binding.
    const std::string what_name(what);
    INFO(what_name);
    const std::vector<NewEvent> batch = {{.run_id = "r", .kind = "tool_called"},
                                         {.run_id = "r", .kind = "run_completed"},
                                         third};
    const State before = state_of(j);
    const Files files = files_of(path);
    CHECK(code_of([&] { j.append_batch(batch); }) == ErrorCode::InvalidArgument);
    CHECK(files_of(path) == files);
    CHECK(state_of(j) == before);
    CHECK(batch_index_of([&] { j.append_batch(batch); }) == std::optional<std::size_t>(2));
    CHECK(contains(message_of([&] { j.append_batch(batch); }), "event 2"));
  }
}

// A large batch: the first bad event (by index, however many follow) is the
// one named, nothing is written, and a good batch keeps its order, whether
// its payloads are copied or moved in.
TEST_CASE("a large batch names its first bad event, writes nothing when refused, and keeps its order") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  Journal j = Journal::open(path, clocked());
  j.create_run({.session_id = "s", .run_id = "r"});
  constexpr std::size_t kSize = 20'000;
  std::vector<NewEvent> batch;
  for (std::size_t i = 0; i < kSize; ++i) {
    batch.push_back({.run_id = "r", .kind = "tool_called", .payload = {{"i", i}}});
  }
  std::vector<NewEvent> bad = batch;
  bad[15'000].kind = "";
  bad[19'999].payload = json::array({1});      // a later one is not the one named
  const State before = state_of(j);
  const Files files = files_of(path);
  CHECK(batch_index_of([&] { j.append_batch(bad); }) == std::optional<std::size_t>(15'000));
  CHECK(batch_index_of([&] { j.append_batch(std::vector<NewEvent>(bad)); }) == std::optional<std::size_t>(15'000));
  bad[3].kind = "";                             // and now an earlier one
  CHECK(batch_index_of([&] { j.append_batch(bad); }) == std::optional<std::size_t>(3));
  CHECK(files_of(path) == files);
  CHECK(state_of(j) == before);

  const std::vector<Event> out = j.append_batch(std::move(batch));
  REQUIRE(out.size() == kSize);
  for (std::size_t i = 0; i < kSize; ++i) {
    if (out[i].payload != json{{"i", i}} || out[i].seq != static_cast<std::int64_t>(i) + 2) {
      FAIL_CHECK("event " << i << " out of order");
      break;
    }
  }
  CHECK(j.run("r")->event_count == static_cast<std::int64_t>(kSize) + 1);
  CHECK(j.verify().ok());
}

// ---------------------------------------------------------------------------
// A batch in chunks (append_batch_chunked)

namespace {

// A source that hands out `chunks` one per call.
std::function<bool(std::vector<NewEvent>&)> chunks_of(std::vector<std::vector<NewEvent>> chunks) {
  auto left = std::make_shared<std::deque<std::vector<NewEvent>>>(chunks.begin(), chunks.end());
  return [left](std::vector<NewEvent>& chunk) {
    if (left->empty()) return false;
    chunk = std::move(left->front());
    left->pop_front();
    return true;
  };
}

}  // namespace

TEST_CASE("a chunked batch appends what append_batch would, in one commit") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
  j.create_run({.session_id = "s", .run_id = "a"});
  const std::vector<Event> out = j.append_batch_chunked(chunks_of({
      {{.run_id = "a", .kind = "tool_called", .payload = {{"i", 1}}},
       {.run_id = "b", .kind = "run_created", .payload = {{"session_id", "s"}}}},
      {},  // an empty chunk is allowed
      {{.run_id = "b", .kind = "tool_called"}, {.run_id = "a", .kind = "run_completed"}},
  }));
  REQUIRE(out.size() == 4);
  CHECK(out[0].seq == 2);
  CHECK(out[1].seq == 1);
  CHECK(out[2].seq == 2);
  CHECK(out[3].seq == 3);
  for (std::size_t i = 1; i < out.size(); ++i) CHECK(out[i].position == out[i - 1].position + 1);
  CHECK(out[0].payload == json{{"i", 1}});
  CHECK(j.run("a")->status == RunStatus::Completed);
  CHECK(j.run("b")->event_count == 2);
  CHECK(j.verify().ok());
}

TEST_CASE("a chunked batch refused in a later chunk names the event's batch index and writes nothing") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  Journal j = Journal::open(path, clocked());
  j.create_run({.session_id = "s", .run_id = "r"});
  const State before = state_of(j);
  const auto make = [] {
    return chunks_of({
        {{.run_id = "r", .kind = "a"}, {.run_id = "r", .kind = "b"}},
        {{.run_id = "r", .kind = "c"}, {.run_id = "ghost", .kind = "d"}},
    });
  };
  CHECK(code_of([&] { j.append_batch_chunked(make()); }) == ErrorCode::NotFound);
  CHECK(batch_index_of([&] { j.append_batch_chunked(make()); }) == std::optional<std::size_t>(3));
  CHECK(contains(message_of([&] { j.append_batch_chunked(make()); }), "event 3"));
  // Refused by the checks that need no file, in a later chunk, too.
  const auto bad_kind = [] {
    return chunks_of({{{.run_id = "r", .kind = "a"}}, {{.run_id = "r", .kind = "b"}, {.run_id = "r", .kind = ""}}});
  };
  CHECK(code_of([&] { j.append_batch_chunked(bad_kind()); }) == ErrorCode::InvalidArgument);
  CHECK(batch_index_of([&] { j.append_batch_chunked(bad_kind()); }) == std::optional<std::size_t>(2));
  CHECK(state_of(j) == before);
  // The writer is fine afterwards: its cached rows went with the rollback.
  CHECK(j.append("r", "tool_called").seq == 2);
  CHECK(j.verify().ok());
}

TEST_CASE("what the chunk source throws rolls the batch back and reaches the caller unchanged") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
  j.create_run({.session_id = "s", .run_id = "r"});
  const State before = state_of(j);
  int calls = 0;
  const auto source = [&](std::vector<NewEvent>& chunk) -> bool {
    if (++calls == 3) throw std::runtime_error("the input broke");
    chunk.push_back({.run_id = "r", .kind = "tool_called"});
    return true;
  };
  CHECK_THROWS_WITH_AS(j.append_batch_chunked(source), "the input broke", std::runtime_error);
  CHECK(state_of(j) == before);
  CHECK(j.append("r", "tool_called").seq == 2);
}

TEST_CASE("other threads' appends wait for a chunked batch and then commit") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
  j.create_run({.session_id = "s", .run_id = "bulk"});
  j.create_run({.session_id = "s", .run_id = "other"});
  std::atomic<bool> started{false};
  std::future<Event> other;
  int chunk_no = 0;
  const std::vector<Event> out = j.append_batch_chunked([&](std::vector<NewEvent>& chunk) {
    if (chunk_no == 1) {
      // The batch holds the writer now: an append from another thread queues.
      other = std::async(std::launch::async, [&] {
        started = true;
        return j.append("other", "tool_called");
      });
      while (!started) std::this_thread::yield();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      CHECK(other.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout);
    }
    if (chunk_no++ == 3) return false;
    chunk.push_back({.run_id = "bulk", .kind = "tool_called"});
    return true;
  });
  REQUIRE(out.size() == 3);
  const Event e = other.get();
  CHECK(e.position == out.back().position + 1);
  CHECK(j.verify().ok());
}

TEST_CASE("a batch can create a run with run_created and append to it") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
  j.create_run({.session_id = "s", .run_id = "old"});
  const std::vector<Event> out = j.append_batch({
      {.run_id = "new", .kind = "run_created", .payload = {{"session_id", "s2"}, {"prompt", "go"}}},
      {.run_id = "new", .kind = "run_started"},
      {.run_id = "new", .kind = "tool_called"},
  });
  REQUIRE(out.size() == 3);
  CHECK(out[0].seq == 1);
  CHECK(out[1].seq == 2);
  CHECK(out[2].seq == 3);
  CHECK(positions_of(out) == iota(2, 4));
  const std::optional<Run> run = j.run("new");
  REQUIRE(run);
  CHECK(run->session_id == "s2");
  CHECK(run->prompt == "go");
  CHECK(run->status == RunStatus::Executing);
  CHECK(run->event_count == 3);
  CHECK(run->first_position == 2);
  CHECK(run->last_position == 4);
}

TEST_CASE("each run touched by a batch reflects the whole batch") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
  j.create_run({.session_id = "s", .run_id = "a"});
  j.create_run({.session_id = "s", .run_id = "b"});
  const std::vector<Event> out = j.append_batch({
      {.run_id = "a", .kind = "tool_called"},
      {.run_id = "b", .kind = "planning_started"},
      {.run_id = "a", .kind = "run_completed", .payload = {{"result_text", "done"}, {"outputs", {{"x", 1}}}}},
      {.run_id = "b", .kind = "tool_called"},
      {.run_id = "b", .kind = "note"},
  });
  REQUIRE(out.size() == 5);
  CHECK(positions_of(out) == iota(3, 7));
  const Run a = *j.run("a");
  CHECK(a.status == RunStatus::Completed);
  CHECK(a.result_text == "done");
  CHECK(a.outputs == json{{"x", 1}});
  CHECK(a.event_count == 3);
  CHECK(a.last_seq == 3);
  CHECK(a.last_position == out[2].position);
  CHECK(a.finished_at_ms == out[2].ts_ms);
  const Run b = *j.run("b");
  CHECK(b.status == RunStatus::Planning);  // tool_called does not leave planning
  CHECK(b.event_count == 4);
  CHECK(b.last_seq == 4);
  CHECK(b.last_position == out[4].position);
  CHECK(b.updated_at_ms == out[4].ts_ms);
  CHECK(j.verify().ok());
}

// ---------------------------------------------------------------------------
// Bad input

TEST_CASE("bad input is refused with its error code and writes nothing") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  Journal j = Journal::open(path, clocked());
  j.create_run({.session_id = "s1", .run_id = "r"});
  j.append("r", "tool_called");
  const json ok = json::object();
  struct Case {
    const char* what;
    ErrorCode code;
    std::function<void()> call;
  };
  const std::vector<Case> cases = {
      {"unknown run", ErrorCode::NotFound, [&] { j.append("ghost", "tool_called"); }},
      {"payload is an array", ErrorCode::InvalidArgument, [&] { j.append("r", "note", json::array({1, 2})); }},
      {"payload is a string", ErrorCode::InvalidArgument, [&] { j.append("r", "note", json("text")); }},
      {"payload is a number", ErrorCode::InvalidArgument, [&] { j.append("r", "note", json(42)); }},
      {"empty kind", ErrorCode::InvalidArgument, [&] { j.append("r", "", ok); }},
      {"kind over the default 256 bytes", ErrorCode::InvalidArgument,
       [&] { j.append("r", std::string(257, 'k'), ok); }},
      {"payload over the default 1 MiB", ErrorCode::InvalidArgument,
       [&] { j.append("r", "note", {{"x", std::string(1 << 20, 'a')}}); }},
      {"kind not UTF-8", ErrorCode::InvalidArgument, [&] { j.append("r", "tool\xff", ok); }},
      {"run id not UTF-8", ErrorCode::InvalidArgument, [&] { j.append("r\xff", "tool_called", ok); }},
      {"payload string not UTF-8", ErrorCode::InvalidArgument,
       [&] { j.append("r", "note", {{"text", std::string("bad \xff byte")}}); }},
      {"payload key not UTF-8", ErrorCode::InvalidArgument,
       [&] { j.append("r", "note", {{std::string("k\xff"), 1}}); }},
      {"run_created for an existing run", ErrorCode::AlreadyExists,
       [&] { j.append("r", "run_created", {{"session_id", "s1"}}); }},
      {"run_created without session_id", ErrorCode::InvalidArgument,
       [&] { j.append("new", "run_created", {{"prompt", "p"}}); }},
      {"create_run with an empty session id", ErrorCode::InvalidArgument,
       [&] { j.create_run({.session_id = "", .run_id = "new"}); }},
      {"create_run with a taken id", ErrorCode::AlreadyExists,
       [&] { j.create_run({.session_id = "s2", .run_id = "r"}); }},
      {"create_run with a run id not UTF-8", ErrorCode::InvalidArgument,
       [&] { j.create_run({.session_id = "s", .run_id = "n\xff"}); }},
      {"create_run with a session id not UTF-8", ErrorCode::InvalidArgument,
       [&] { j.create_run({.session_id = "s\xff", .run_id = "new"}); }},
      {"create_run with a prompt not UTF-8", ErrorCode::InvalidArgument,
       [&] { j.create_run({.session_id = "s", .prompt = "p\xff", .run_id = "new"}); }},
  };
  for (const Case& c : cases) {
    INFO(std::string(c.what));
    const State before = state_of(j);
    const Files files = files_of(path);
    CHECK(code_of(c.call) == c.code);
    CHECK(state_of(j) == before);
    CHECK(files_of(path) == files);
  }
  CHECK_FALSE(j.run("new"));
  CHECK(j.run("r")->event_count == 2);
}

TEST_CASE("a payload value that JSON text cannot hold (NaN, infinity, binary) is refused") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
  j.create_run({.session_id = "s", .run_id = "r"});
  const std::vector<std::pair<const char*, json>> values = {
      {"NaN", std::nan("")},
      {"+infinity", std::numeric_limits<double>::infinity()},
      {"-infinity", -std::numeric_limits<double>::infinity()},
      {"binary", json::binary({1, 2, 3})},
  };
  for (const auto& [what, value] : values) {
    // A named copy: doctest's INFO captures in a lambda, and clang 14 cannot
    // capture a structured binding.
    const std::string what_name(what);
    const json& bad_value = value;
    INFO(what_name);
    const State before = state_of(j);
    CHECK(code_of([&] { j.append("r", "note", {{"x", bad_value}}); }) == ErrorCode::InvalidArgument);
    CHECK(state_of(j) == before);
  }
}

TEST_CASE("the default payload limit is 1 MiB of compact JSON") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
  j.create_run({.session_id = "s", .run_id = "r"});
  // {"x":"…"} is the string plus 8 bytes.
  const std::size_t limit = 1024 * 1024;
  CHECK(j.append("r", "note", {{"x", std::string(limit - 8, 'a')}}).seq == 2);
  const State before = state_of(j);
  CHECK(code_of([&] { j.append("r", "note", {{"x", std::string(limit - 7, 'a')}}); }) ==
        ErrorCode::InvalidArgument);
  CHECK(state_of(j) == before);
}

TEST_CASE("max_kind_bytes and max_payload_bytes are the configured limits") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  // The run is created through a Journal with the default limits, so that
  // only the appends below meet the small ones.
  Journal setup = Journal::open(path, clocked());
  setup.create_run({.session_id = "s", .run_id = "r"});
  Options options = clocked();
  options.max_kind_bytes = 8;
  options.max_payload_bytes = 64;
  Journal j = Journal::open(path, options);
  CHECK(j.append("r", std::string(8, 'k')).seq == 2);
  CHECK(code_of([&] { j.append("r", std::string(9, 'k')); }) == ErrorCode::InvalidArgument);
  CHECK(j.append("r", "note", {{"x", std::string(64 - 8, 'a')}}).seq == 3);
  CHECK(code_of([&] { j.append("r", "note", {{"x", std::string(64 - 7, 'a')}}); }) == ErrorCode::InvalidArgument);
  CHECK(j.run("r")->event_count == 3);
}

TEST_CASE("a run_created within max_payload_bytes is not pushed over it by what the library adds") {
  TempDir dir;
  Options options = clocked();
  options.max_payload_bytes = 64;
  Journal j = Journal::open(dir.file("j.db"), options);
  // {"session_id":"s","prompt":""} is 30 bytes: well inside the limit.
  CHECK(j.create_run({.session_id = "s", .run_id = "r"}).event_count == 1);
  CHECK(j.append("r2", "run_created", {{"session_id", "s"}}).seq == 1);
}

// ---------------------------------------------------------------------------
// Exclusive sessions

TEST_CASE("exclusive create_run fails AlreadyRunning, naming the session's live run") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
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
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
  j.create_run({.session_id = "s", .run_id = "first"});
  j.append("first", "run_interrupted", {{"reason", "host died"}});
  // interrupted is not terminal: the run still holds the session.
  CHECK(code_of([&] { j.create_run({.session_id = "s", .run_id = "second", .exclusive = true}); }) ==
        ErrorCode::AlreadyRunning);
  j.append("first", "run_completed");
  CHECK(j.create_run({.session_id = "s", .run_id = "second", .exclusive = true}).run_id == "second");
}

TEST_CASE("of several threads racing an exclusive create_run on one session, exactly one wins") {
  TempDir dir;
  Options options;
  options.durability = runjournal::Durability::Normal;
  Journal j = Journal::open(dir.file("j.db"), options);
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
// Rebuild and runs_as_of over a random history

namespace {

// One call a host made, recorded so that it can be replayed into another
// journal with the same clock and ids.
struct Op {
  enum class Type { Create, Append, Batch } type = Type::Append;
  NewRun new_run;
  std::vector<NewEvent> events;
  std::optional<ErrorCode> expected_error;
};

void apply(Journal& j, const Op& op) {
  const auto call = [&] {
    switch (op.type) {
      case Op::Type::Create: j.create_run(op.new_run); break;
      case Op::Type::Append: {
        const NewEvent& e = op.events.front();
        j.append(e.run_id, e.kind, e.payload, e.options);
        break;
      }
      case Op::Type::Batch: j.append_batch(op.events); break;
    }
  };
  if (op.expected_error) {
    CHECK(code_of(call) == op.expected_error);
  } else {
    call();
  }
}

// Every kind of the status table and its aliases except run_created, and
// kinds the projector does not know.
const std::vector<std::string> kKinds = {
    "run_started",   "planning_started", "verifying_started", "step_started",     "turn_started",
    "tool_started",  "tool_called",      "node_entered",      "run_completed",    "run_failed",
    "run_cancelled", "run_interrupted",  "run_resumed",       "checkpoint_saved", "checkpoint_deleted",
    "start",         "end",              "error",             "planning_start",   "step_start",
    "tool_start",    "turn_start",       "graph_started",     "graph_completed",  "graph_failed",
    "graph_interrupted", "llm_token",    "custom.kind",       "run_resumed",      "checkpoint_saved"};

bool is_terminal_kind(const std::string& kind) {
  for (const char* k : {"run_completed", "run_failed", "run_cancelled", "end", "error", "graph_completed",
                        "graph_failed"}) {
    if (kind == k) return true;
  }
  return false;
}

json payload_for(const std::string& kind, std::mt19937& rng, int n) {
  const bool coin = rng() % 2 == 0;
  const std::string tag = std::to_string(n);
  if (kind == "run_started" || kind == "start" || kind == "graph_started") {
    return coin ? json{{"prompt", "prompt " + tag}} : json::object();
  }
  if (kind == "run_completed" || kind == "end" || kind == "graph_completed") {
    return coin ? json{{"result_text", "done " + tag}, {"outputs", {{"n", n}}}} : json::object();
  }
  if (kind == "run_failed" || kind == "error" || kind == "graph_failed") {
    if (coin) return {{"error", "boom " + tag}};
    return rng() % 2 ? json{{"error", {{"code", n}}}} : json::object();
  }
  if (kind == "run_cancelled" || kind == "run_interrupted" || kind == "graph_interrupted") {
    return coin ? json{{"reason", "reason " + tag}} : json::object();
  }
  if (kind == "checkpoint_saved") return {{"checkpoint_id", "cp-" + std::to_string(n % 3)}, {"state", n}};
  if (kind == "checkpoint_deleted") return {{"checkpoint_id", "cp-" + std::to_string(rng() % 3)}};
  return {{"n", n}, {"tool_name", "search"}};
}

// Drives `j` through a seeded random history of about 300 events over 20
// runs and returns the calls made; position_after[i] is the journal's last
// position after call i.
std::vector<Op> random_history(Journal& j, std::uint32_t seed, std::vector<std::int64_t>& position_after) {
  std::mt19937 rng(seed);
  const auto below = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  std::vector<std::string> runs;
  std::vector<NewEvent> keyed;  // events written with a key, retried exactly
  std::vector<Op> ops;
  int serial = 0;
  const auto random_kind = [&] {
    const std::string& kind = kKinds[below(kKinds.size())];
    // Terminal kinds are redrawn twice in three times, so that runs stay
    // live long enough to move through the other statuses.
    return is_terminal_kind(kind) && below(3) != 0 ? kKinds[below(kKinds.size())] : kind;
  };
  const auto random_event = [&](const std::string& run_id) {
    NewEvent e{.run_id = run_id, .kind = random_kind()};
    e.payload = payload_for(e.kind, rng, ++serial);
    if (below(5) == 0) e.options.idempotency_key = "key-" + std::to_string(serial);
    return e;
  };
  while (runs.size() < 20 || j.last_position() < 300) {
    Op op;
    const std::size_t roll = below(100);
    if (runs.empty() || (runs.size() < 20 && roll < 10)) {
      const std::string id = "run-" + std::to_string(runs.size());
      const std::string session = "s" + std::to_string(below(4));
      const std::string prompt = below(3) == 0 ? "" : "prompt of " + id;
      if (below(3) != 0) {
        op.type = Op::Type::Create;
        op.new_run = {.session_id = session, .prompt = prompt, .run_id = id};
        if (below(2)) op.new_run.inputs = {{"input", id}};
        if (below(2)) op.new_run.metadata = {{"meta", serial}};
      } else {
        op.events = {{.run_id = id, .kind = "run_created", .payload = {{"session_id", session}, {"prompt", prompt}}}};
      }
      runs.push_back(id);
    } else if (roll < 25) {
      op.type = Op::Type::Batch;
      const std::size_t n = 2 + below(4);
      for (std::size_t i = 0; i < n; ++i) op.events.push_back(random_event(runs[below(runs.size())]));
    } else if (roll < 32 && !keyed.empty()) {
      op.events = {keyed[below(keyed.size())]};  // a retry: the same event, the same key
    } else if (roll < 36) {
      const std::string& run_id = runs[below(runs.size())];
      op.events = {random_event(run_id)};
      op.events[0].options.expected_seq = j.run(run_id)->last_seq - 1;
      op.expected_error = ErrorCode::Conflict;
    } else {
      const std::string& run_id = runs[below(runs.size())];
      op.events = {random_event(run_id)};
      if (below(6) == 0) op.events[0].options.expected_seq = j.run(run_id)->last_seq;
    }
    apply(j, op);
    if (!op.expected_error) {
      for (const NewEvent& e : op.events) {
        if (e.options.idempotency_key) keyed.push_back(e);
      }
    }
    ops.push_back(std::move(op));
    position_after.push_back(j.last_position());
  }
  return ops;
}

}  // namespace

TEST_CASE("rebuild over a random history equals the incrementally maintained runs") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
  std::vector<std::int64_t> position_after;
  random_history(j, 20240611, position_after);
  const std::vector<Run> incremental = all_runs(j);
  const std::int64_t events = static_cast<std::int64_t>(all_events(j).size());
  REQUIRE(incremental.size() == 20);
  REQUIRE(events >= 300);
  // The history reaches every status.
  std::set<RunStatus> statuses;
  for (const Run& r : incremental) statuses.insert(r.status);
  CHECK(statuses.size() >= 5);

  CHECK(j.verify().ok());
  std::vector<std::pair<std::int64_t, std::int64_t>> progress;
  const runjournal::RebuildReport report =
      j.rebuild([&](std::int64_t done, std::int64_t total) { progress.emplace_back(done, total); });
  REQUIRE_FALSE(progress.empty());
  CHECK(progress.back() == std::pair<std::int64_t, std::int64_t>(events, events));
  CHECK(report.events == events);
  CHECK(report.runs == 20);
  check_same_runs(all_runs(j), incremental);
  check_same_runs(j.runs_as_of(j.last_position()), incremental);
  CHECK(j.verify().ok());
}

TEST_CASE("runs_as_of a middle position equals a journal that received only the events up to it") {
  TempDir dir;
  Journal full = Journal::open(dir.file("full.db"), clocked());
  std::vector<std::int64_t> position_after;
  const std::vector<Op> ops = random_history(full, 7, position_after);
  const std::vector<Event> every_event = all_events(full);

  Journal partial = Journal::open(dir.file("partial.db"), clocked());
  std::size_t applied = 0;
  for (const std::size_t cut : {ops.size() / 4, ops.size() / 2, ops.size() * 3 / 4}) {
    for (; applied <= cut; ++applied) apply(partial, ops[applied]);
    const std::int64_t position = position_after[cut];
    INFO("as of position " << position << " (after call " << cut << ")");
    REQUIRE(partial.last_position() == position);
    std::vector<Event> prefix;
    for (const Event& e : every_event) {
      if (e.position <= position) prefix.push_back(e);
    }
    CHECK(all_events(partial) == prefix);
    check_same_runs(full.runs_as_of(position), all_runs(partial));
  }
  check_same_runs(full.runs_as_of(full.last_position()), all_runs(full));
  CHECK(full.runs_as_of(0).empty());
}

// ---------------------------------------------------------------------------
// verify

namespace {

// Three runs, eight events: alpha completed, bravo executing, charlie
// created. Ids are words so that a message naming one is unmistakable.
void small_history(Journal& j) {
  j.create_run({.session_id = "s", .run_id = "alpha"});
  j.append("alpha", "run_started");
  j.append("alpha", "tool_called");
  j.append("alpha", "run_completed", {{"result_text", "ok"}});
  j.create_run({.session_id = "s", .run_id = "bravo"});
  j.append("bravo", "step_started");
  j.append("bravo", "tool_called");
  j.create_run({.session_id = "t", .run_id = "charlie"});
}

}  // namespace

TEST_CASE("verify finds nothing wrong in a healthy journal and counts what it checked") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
  small_history(j);
  const runjournal::VerifyReport report = j.verify();
  CHECK(report.problems.empty());
  CHECK(report.ok());
  CHECK(report.events_checked == 8);
  CHECK(report.runs_checked == 3);
}

TEST_CASE("verify reports a deleted runs row") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  Journal j = Journal::open(path, clocked());
  small_history(j);
  REQUIRE(j.verify().ok());
  raw_exec(path, "DELETE FROM runs WHERE run_id = 'bravo'");
  const runjournal::VerifyReport report = j.verify();
  CHECK_FALSE(report.ok());
  CHECK(any_problem(report, {"bravo"}));
}

TEST_CASE("verify reports a tampered status, naming the run and the column") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  Journal j = Journal::open(path, clocked());
  small_history(j);
  REQUIRE(j.verify().ok());
  raw_exec(path, "UPDATE runs SET status = 'failed' WHERE run_id = 'bravo'");
  const runjournal::VerifyReport report = j.verify();
  CHECK_FALSE(report.ok());
  CHECK(any_problem(report, {"bravo", "status"}));
}

TEST_CASE("verify reports a hole in a run's seq") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  Journal j = Journal::open(path, clocked());
  small_history(j);
  REQUIRE(j.verify().ok());
  raw_exec(path, "DELETE FROM events WHERE run_id = 'alpha' AND seq = 2");
  const runjournal::VerifyReport report = j.verify();
  CHECK_FALSE(report.ok());
  CHECK(any_problem(report, {"alpha", "seq"}));
  CHECK(report.events_checked == 7);
}

TEST_CASE("verify reports a runs row with no events") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  Journal j = Journal::open(path, clocked());
  small_history(j);
  REQUIRE(j.verify().ok());
  raw_exec(path,
           "INSERT INTO runs (run_id, session_id, status, prompt, created_at_ms, updated_at_ms, first_position, "
           "event_count, last_seq, last_position) VALUES ('orphan', 's', 'created', '', 1, 1, 999, 1, 1, 999)");
  const runjournal::VerifyReport report = j.verify();
  CHECK_FALSE(report.ok());
  CHECK(any_problem(report, {"orphan"}));
}

TEST_CASE("verify reports a payload that is not a JSON object") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  Journal j = Journal::open(path, clocked());
  small_history(j);
  REQUIRE(j.verify().ok());
  raw_exec(path, "UPDATE events SET payload = '[1, 2]' WHERE run_id = 'bravo' AND seq = 3");
  const runjournal::VerifyReport report = j.verify();
  CHECK_FALSE(report.ok());
  CHECK(any_problem(report, {"bravo", "object"}));
}

// ---------------------------------------------------------------------------
// Reading

TEST_CASE("runs() filters by status and by session, in creation order") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
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
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
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
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
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
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
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
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
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
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
  j.create_run({.session_id = "s", .run_id = "a"});
  for (int i = 0; i < 9; ++i) j.append("a", "tool_called");
  std::vector<std::int64_t> positions;
  j.scan(0, [&](const Event& e) { positions.push_back(e.position); return positions.size() < 5; }, 3);
  CHECK(positions == iota(1, 5));
}

TEST_CASE("run() of an unknown id is nullopt, and an empty journal is at position 0") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), clocked());
  CHECK(j.last_position() == 0);
  CHECK(j.runs().empty());
  CHECK(all_events(j).empty());
  CHECK_FALSE(j.run("nobody"));
  j.create_run({.session_id = "s", .run_id = "r"});
  CHECK_FALSE(j.run("nobody"));
  CHECK(j.run("r"));
  CHECK(j.last_position() == 1);
}

namespace {

// True when a TRUNCATE checkpoint from another connection completes at once
// (busy timeout 0): no connection holds a read snapshot on the WAL.
bool no_snapshot_held(const fs::path& path) {
  SQLite::Database db(path.string(), SQLite::OPEN_READWRITE);
  SQLite::Statement checkpoint(db, "PRAGMA wal_checkpoint(TRUNCATE)");
  REQUIRE(checkpoint.executeStep());
  return checkpoint.getColumn(0).getInt() == 0;
}

}  // namespace

TEST_CASE("no read holds a snapshot open after it returns") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  Journal j = Journal::open(path, clocked());
  small_history(j);
  const std::vector<std::pair<const char*, std::function<void()>>> reads = {
      {"run", [&] { j.run("alpha"); }},
      {"runs", [&] { j.runs(); }},
      {"events", [&] { j.events("alpha", 1, 2); }},
      {"events_after", [&] { j.events_after(0, 3); }},
      {"scan stopped early", [&] { j.scan(0, [](const Event&) { return false; }, 2); }},
      {"runs_as_of", [&] { j.runs_as_of(4); }},
      {"last_position", [&] { j.last_position(); }},
      {"verify", [&] { j.verify(); }},
  };
  for (const auto& [what, read] : reads) {
    // A named copy: doctest's INFO captures in a lambda, and clang 14 cannot
    // capture a structured binding.
    const std::string what_name(what);
    INFO(what_name);
    j.append("bravo", "tool_called");  // fresh WAL content for the checkpoint to wait on
    read();
    CHECK(no_snapshot_held(path));
  }
}

TEST_CASE("a read that fails on a corrupt row does not keep its snapshot open") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  Journal j = Journal::open(path, clocked());
  small_history(j);
  raw_exec(path, "UPDATE events SET payload = 'not json' WHERE run_id = 'alpha' AND seq = 2");
  j.append("bravo", "tool_called");
  CHECK(code_of([&] { j.events("alpha"); }) == ErrorCode::Corrupt);
  CHECK(no_snapshot_held(path));
  j.append("bravo", "tool_called");
  CHECK(code_of([&] { j.events_after(0, 100); }) == ErrorCode::Corrupt);
  CHECK(no_snapshot_held(path));
}

// ---------------------------------------------------------------------------
// Sharing a file

TEST_CASE("two Journal objects on one file both write and see each other's events") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  Journal first = Journal::open(path, clocked());
  Journal second = Journal::open(path, clocked());
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
  TempDir dir;
  const fs::path path = dir.file("j.db");
  Options options = clocked();
  options.durability = runjournal::Durability::Normal;
  std::vector<Event> written;
  {
    Journal j = Journal::open(path, options);
    j.create_run({.session_id = "s", .run_id = "r"});
    written.push_back(j.append("r", "tool_called", {{"n", 1}}));
    CHECK(j.run("r")->event_count == 2);
  }
  Journal j = Journal::open(path);
  const std::vector<Event> events = j.events("r", 2);
  CHECK(events == written);
}

TEST_CASE("appends from several threads get distinct, gap-free positions and seqs") {
  TempDir dir;
  Options options;
  options.durability = runjournal::Durability::Normal;
  Journal j = Journal::open(dir.file("j.db"), options);
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

TEST_CASE("paging after a run id that does not exist is NotFound, not a restart") {
  TempDir dir;
  Journal journal = Journal::open(dir.file("j.db"));
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
