// rebuild_test (conformance): the runs a journal derives are a function of
// its events — rebuild over a seeded random history equals the runs kept
// incrementally, runs_as_of a position equals a journal that received only
// the events up to it, and verify finds nothing wrong in a healthy journal.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <runjournal/journal.hpp>

#include "backend_fixture.hpp"

using nlohmann::json;
using runjournal::ErrorCode;
using runjournal::Event;
using runjournal::Journal;
using runjournal::NewEvent;
using runjournal::NewRun;
using runjournal::Run;
using runjournal::RunStatus;
using runjournal::test::all_events;
using runjournal::test::all_runs;
using runjournal::test::clocked;
using runjournal::test::code_of;
using runjournal::test::small_history;
using runjournal::conformance::make_target;
using runjournal::conformance::Target;

namespace {

// Element by element, so a failure names the first run that differs.
void check_same_runs(const std::vector<Run>& got, const std::vector<Run>& want) {
  CHECK(got.size() == want.size());
  for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    INFO("run #" << i);
    CHECK(got[i] == want[i]);
  }
}

}  // namespace

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

// ---------------------------------------------------------------------------
// Rebuild and runs_as_of over a random history

TEST_CASE("rebuild over a random history equals the incrementally maintained runs") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
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
  const Target full_target = make_target("full");
  const Target partial_target = make_target("partial");
  Journal full = Journal::open(full_target.location, clocked());
  std::vector<std::int64_t> position_after;
  const std::vector<Op> ops = random_history(full, 7, position_after);
  const std::vector<Event> every_event = all_events(full);

  Journal partial = Journal::open(partial_target.location, clocked());
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

TEST_CASE("verify finds nothing wrong in a healthy journal and counts what it checked") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  small_history(j);
  const runjournal::VerifyReport report = j.verify();
  CHECK(report.problems.empty());
  CHECK(report.ok());
  CHECK(report.events_checked == 8);
  CHECK(report.runs_checked == 3);
}
