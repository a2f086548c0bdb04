// spans_test.cpp — pair_spans() pairs events as the web view's timeline.js
// does: each rule of its header comment as a case, then the two run side by
// side (node runs timeline.js itself) on generated runs full of aliases,
// shared keys, late events and clocks that go backwards.

#include <doctest/doctest.h>

#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <runjournal/json.hpp>
#include <runjournal/spans.hpp>

#include "process.hpp"
#include "test_support.hpp"

namespace {

using nlohmann::json;
using runjournal::Event;
using runjournal::pair_spans;
using runjournal::Span;
using runjournal::SpanEnd;
using runjournal::SpanState;

// Events with seq 1, 2, 3 … and ts_ms 1000, 1010, 1020 … unless given.
struct Trail {
  std::vector<Event> events;
  Trail& add(const std::string& kind, json payload = json::object(), std::optional<std::int64_t> ts = std::nullopt) {
    Event e;
    e.seq = static_cast<std::int64_t>(events.size()) + 1;
    e.position = e.seq;
    e.run_id = "r1";
    e.ts_ms = ts ? *ts : 1000 + 10 * (e.seq - 1);
    e.kind = kind;
    e.payload = std::move(payload);
    events.push_back(std::move(e));
    return *this;
  }
};

// "family label open-close state" per span: a whole pairing in one string,
// so a failure shows all of it.
std::string summary(const std::vector<Span>& spans) {
  std::string out;
  for (const Span& s : spans) {
    if (!out.empty()) out += " | ";
    out += s.label + " " + std::to_string(s.open_seq) + "-" + (s.close_seq ? std::to_string(*s.close_seq) : "") +
           " " + std::string(runjournal::to_string(s.state));
  }
  return out;
}

}  // namespace

TEST_SUITE("spans: the timeline's rules") {
  TEST_CASE("a tool call's end pairs with the open call holding the same key, interleaved calls included") {
    Trail t;
    t.add("run_created", {{"session_id", "s"}})
        .add("tool_started", {{"tool_call_id", "a"}, {"tool_name", "search"}})
        .add("tool_started", {{"tool_call_id", "b"}, {"tool_name", "search"}})
        .add("tool_result", {{"tool_call_id", "a"}})
        .add("tool_result", {{"tool_call_id", "b"}})
        .add("run_completed");
    const std::vector<Span> spans = pair_spans(t.events, false, 0);
    CHECK(summary(spans) == "run 1-6 ended | tool a 2-4 ended | tool b 3-5 ended");
    CHECK(spans[1].key_field == "tool_call_id");
    CHECK(spans[1].start_ms == 1010);
    CHECK(spans[1].end_ms == 1030);
    CHECK(spans[1].ended_by == SpanEnd::EndEvent);
    CHECK(spans[1].open_index == 1);
    CHECK(spans[1].close_index == 3u);
    CHECK(spans[0].ended_by == SpanEnd::RunEnd);
  }

  TEST_CASE("an end whose key matches no open span, or that has none, ends the latest open span of its family") {
    Trail t;
    t.add("run_created")
        .add("tool_started", {{"call_id", "x"}})
        .add("tool_started", {{"call_id", "y"}})
        .add("node_entered", {{"node", "n"}})
        .add("tool_result", {{"call_id", "z"}})
        .add("tool_result")
        .add("run_completed");
    CHECK(summary(pair_spans(t.events, false, 0)) == "run 1-7 ended | tool x 2-6 ended | tool y 3-5 ended | node n 4-7 cut_off");
  }

  TEST_CASE("keys compare by value alone: an end's tool_name matches an opener's tool_call_id") {
    Trail t;
    t.add("run_created")
        .add("tool_started", {{"tool_call_id", "search"}})
        .add("tool_started", {{"tool_call_id", "other"}})
        .add("tool_result", {{"tool_name", "search"}});
    CHECK(summary(pair_spans(t.events, true, 0)) == "run 1- running | tool search 2-4 ended | tool other 3- running");
  }

  TEST_CASE("a key field holding neither a string nor a number is passed over for the next field") {
    Trail t;
    t.add("tool_started", {{"tool_call_id", nullptr}, {"call_id", true}, {"span_id", {{"a", 1}}}, {"tool_name", "ls"}});
    const std::vector<Span> spans = pair_spans(t.events, true, 0);
    REQUIRE(spans.size() == 1);
    CHECK(spans[0].key_field == "tool_name");
    CHECK(spans[0].label == "tool ls");
  }

  TEST_CASE("a number key is its JavaScript text: 1 and 1.0 are one key") {
    Trail t;
    t.add("run_created")
        .add("node_entered", {{"node_id", 1}})
        .add("node_entered", {{"node_id", 2}})
        .add("node_exited", {{"node_id", 1.0}});
    CHECK(summary(pair_spans(t.events, true, 0)) == "run 1- running | node 1 2-4 ended | node 2 3- running");
  }

  TEST_CASE("numbers print as JavaScript's String() prints them") {
    using runjournal::javascript_number_text;
    CHECK(javascript_number_text(1) == "1");
    CHECK(javascript_number_text(-2.5) == "-2.5");
    CHECK(javascript_number_text(123.456) == "123.456");
    CHECK(javascript_number_text(0.1 + 0.2) == "0.30000000000000004");
    CHECK(javascript_number_text(1e20) == "100000000000000000000");
    CHECK(javascript_number_text(1e21) == "1e+21");
    CHECK(javascript_number_text(1.5e300) == "1.5e+300");
    CHECK(javascript_number_text(0.000001) == "0.000001");
    CHECK(javascript_number_text(1e-7) == "1e-7");
    CHECK(javascript_number_text(-1.5e-7) == "-1.5e-7");
    CHECK(javascript_number_text(-0.0) == "0");
    // 2^53 + 1 is no double: JavaScript reads it as 2^53.
    CHECK(javascript_number_text(static_cast<double>(9007199254740993LL)) == "9007199254740992");
  }

  TEST_CASE("a new turn ends the one before; the run's end ends a turn or a step, and cuts off everything else") {
    Trail t;
    t.add("run_created")
        .add("turn_started")
        .add("step_start", {{"name", "plan"}})
        .add("turn_start")
        .add("node_entered", {{"node", "n"}})
        .add("planning_started")
        .add("run_failed", {{"error", "boom"}});
    const std::vector<Span> spans = pair_spans(t.events, false, 0);
    CHECK(summary(spans) ==
          "run 1-7 ended | turn 2-4 ended | step plan 3-7 ended | turn 4-7 ended | node n 5-7 cut_off | "
          "planning 6-7 cut_off");
    CHECK(spans[1].ended_by == SpanEnd::Next);
    CHECK(spans[2].ended_by == SpanEnd::RunEnd);
    CHECK(spans[4].ended_by == SpanEnd::RunEnd);
  }

  TEST_CASE("a tool_called that nothing ends is a moment, while the run is live and after it ends") {
    Trail t;
    t.add("run_created").add("tool_called", {{"tool_name", "ls"}}).add("tool_called", {{"call_id", "c1"}}).add(
        "tool_result", {{"call_id", "c1"}});
    std::vector<Span> spans = pair_spans(t.events, true, 5000);
    CHECK(summary(spans) == "run 1- running | tool ls 2- moment | tool c1 3-4 ended");
    CHECK(spans[1].end_ms == spans[1].start_ms);
    CHECK(spans[0].end_ms == 5000);  // a live run reaches now
    t.add("run_completed");
    spans = pair_spans(t.events, false, 5000);
    CHECK(summary(spans) == "run 1-5 ended | tool ls 2- moment | tool c1 3-4 ended");
    CHECK(spans[1].end_ms == spans[1].start_ms);  // not a span to the run's end
  }

  TEST_CASE("open spans of a live run run to now or the last event, whichever is later") {
    Trail t;
    t.add("run_created").add("step_started").add("tool_called", {{"tool_name", "x"}}, 2000);
    std::vector<Span> spans = pair_spans(t.events, true, 1500);
    CHECK(summary(spans) == "run 1- running | step 2- running | tool x 3- moment");
    CHECK(spans[1].end_ms == 2000);
    spans = pair_spans(t.events, true, 9000);
    CHECK(spans[1].end_ms == 9000);
  }

  TEST_CASE("the run's span ends at its first terminal event; one after it ends spans opened late") {
    Trail t;
    t.add("run_created").add("run_completed").add("tool_started", {{"tool_name", "late"}}).add("graph_failed").add(
        "node_entered");
    const std::vector<Span> spans = pair_spans(t.events, false, 0);
    CHECK(summary(spans) == "run 1-2 ended | tool late 3-4 cut_off | node 5- unended");
    CHECK(spans[2].end_ms == t.events.back().ts_ms);
  }

  TEST_CASE("run_ and graph_ kinds open nothing, nor a kind with a line break; run_step_started and x_start do") {
    Trail t;
    t.add("run_created")
        .add("run_started")
        .add("graph_started")
        .add("run_interrupted")
        .add("graph_interrupted")
        .add("a\nb_started")
        .add("a\xE2\x80\xA8" "b_started")
        .add("_started")
        .add("run_step_started")
        .add("x_start")
        .add("x_ended")
        .add("run_step_failed");
    CHECK(summary(pair_spans(t.events, true, 0)) == "run 1- running | run_step 9-12 ended | x 10-11 ended");
  }

  TEST_CASE("aliases: the open and end kinds of each family, node_finished through the generic rule") {
    Trail t;
    t.add("tool_start").add("tool_completed").add("tool_called").add("tool_returned").add("tool_started").add(
        "tool_ended");
    t.add("node_started").add("node_finished").add("node_start").add("node_failed");
    t.add("step_started").add("step_finished").add("turn_started").add("turn_failed");
    t.add("tool_call_started").add("tool_call_finished");
    CHECK(summary(pair_spans(t.events, false, 0)) ==
          "tool 1-2 ended | tool 3-4 ended | tool 5-6 ended | node 7-8 ended | node 9-10 ended | step 11-12 ended | "
          "turn 13-14 ended | tool_call 15-16 ended");
  }

  TEST_CASE("a span's parent is the innermost span that encloses it by seq") {
    Trail t;
    t.add("run_created")                          // span 0: the run
        .add("turn_started")                      // 1: in the run
        .add("node_entered", {{"node", "a"}})     // 2: in the turn
        .add("tool_started", {{"call_id", "1"}})  // 3: in node a
        .add("tool_result", {{"call_id", "1"}})
        .add("tool_called", {{"call_id", "m"}})   // 4: a moment, in node a
        .add("node_entered", {{"node", "b"}})     // 5: overlaps node a, so in the turn
        .add("node_exited", {{"node", "a"}})
        .add("node_exited", {{"node", "b"}});
    std::vector<Span> spans = pair_spans(t.events, true, 0);
    REQUIRE(spans.size() == 6);
    CHECK(spans[0].parent == std::nullopt);
    CHECK(spans[1].parent == 0u);
    CHECK(spans[2].parent == 1u);
    CHECK(spans[3].parent == 2u);
    CHECK(spans[4].parent == 2u);
    CHECK(spans[5].parent == 1u);
    // Once the run has ended, a late span is top level; the tool_called
    // stays a moment in node a, and node b stays in the turn.
    t.add("run_completed").add("step_started");
    spans = pair_spans(t.events, false, 0);
    REQUIRE(spans.size() == 7);
    CHECK(spans[4].state == SpanState::Moment);
    CHECK(spans[4].parent == 2u);
    CHECK(spans[5].parent == 1u);
    CHECK(spans[6].parent == std::nullopt);
  }

  TEST_CASE("no events give no spans; events without run_created give no run span") {
    CHECK(pair_spans({}, true, 0).empty());
    Trail t;
    t.add("tool_started").add("checkpoint_saved", {{"checkpoint_id", "c"}});
    CHECK(summary(pair_spans(t.events, false, 0)) == "tool 1- unended");
  }
}

namespace {

// A run of random events drawn from every kind the rules name, some they do
// not, and keys that collide; times mostly rise but sometimes fall.
std::vector<Event> random_run(std::mt19937& rng) {
  static const std::vector<std::string> kinds = {
      "tool_started", "tool_start", "tool_called", "tool_result", "tool_completed", "tool_finished", "tool_failed",
      "tool_error", "tool_returned", "tool_ended", "node_entered", "node_started", "node_start", "node_exited",
      "node_completed", "node_failed", "node_finished", "turn_started", "turn_start", "turn_completed",
      "turn_ended", "turn_failed", "step_started", "step_start", "step_completed", "step_finished", "step_failed",
      "planning_started", "planning_completed", "x_start", "x_failed", "run_started", "graph_started",
      "run_interrupted", "graph_interrupted", "run_resumed", "checkpoint_saved", "a\nb_started", "run_step_started",
      "run_step_ended", "run_completed", "run_failed", "run_cancelled", "end", "error", "graph_completed",
      "graph_failed", "run_created"};
  static const std::vector<std::string> fields = {"tool_call_id", "call_id", "span_id", "node_id",
                                                  "node",         "tool_name", "name",  "other"};
  static const std::vector<json> values = {"a", "b", "c", 1, 1.0, 2, 0.5, 1e21, -0.0, true, nullptr,
                                           json::object(), json::array()};
  std::uniform_int_distribution<std::size_t> pick_kind(0, kinds.size() - 1);
  std::uniform_int_distribution<std::size_t> pick_field(0, fields.size() - 1);
  std::uniform_int_distribution<std::size_t> pick_value(0, values.size() - 1);
  std::uniform_int_distribution<int> count(0, 40), fields_count(0, 3), step(-3, 30);
  std::vector<Event> events;
  std::int64_t ts = 1'700'000'000'000;
  const int n = count(rng);
  for (int i = 0; i < n; ++i) {
    Event e;
    e.run_id = "r";
    e.seq = i + 1;
    e.position = i + 1;
    ts += step(rng);
    e.ts_ms = ts;
    // Mostly a run_created first, as every journal run has; not always.
    e.kind = i == 0 && rng() % 8 != 0 ? "run_created" : kinds[pick_kind(rng)];
    e.payload = json::object();
    for (int f = fields_count(rng); f > 0; --f) e.payload[fields[pick_field(rng)]] = values[pick_value(rng)];
    events.push_back(std::move(e));
  }
  return events;
}

}  // namespace

TEST_CASE("spans: pair_spans agrees with timeline.js, run by node, on 600 generated runs") {
  runjournal::test::TempDir dir;
  std::mt19937 rng(20240611);
  json cases = json::array();
  std::vector<std::vector<Span>> ours;
  for (int i = 0; i < 600; ++i) {
    const std::vector<Event> events = random_run(rng);
    const bool live = rng() % 2 == 0;
    const std::int64_t now = 1'700'000'000'000 + static_cast<std::int64_t>(rng() % 2000);
    json list = json::array();
    for (const Event& e : events) list.push_back(runjournal::to_json(e));
    cases.push_back({{"events", list}, {"live", live}, {"now", now}});
    ours.push_back(pair_spans(events, live, now));
  }
  runjournal::test::write_file(dir.file("cases.json"), cases.dump());
  const runjournal::test::Outcome node = runjournal::test::run_process(
      {"node", RUNJOURNAL_SOURCE_DIR "/tests/spans_reference.mjs", RUNJOURNAL_SOURCE_DIR "/tools/serve/assets/timeline.js",
       dir.file("cases.json").string()});
  INFO("node: " << node.err);
  REQUIRE(node.exit_code == 0);
  const json theirs = json::parse(node.out);
  REQUIRE(theirs.size() == ours.size());
  std::size_t spans_compared = 0;
  for (std::size_t c = 0; c < ours.size(); ++c) {
    INFO("case " << c << ": " << cases[c].dump());
    REQUIRE(theirs[c].size() == ours[c].size());
    for (std::size_t i = 0; i < ours[c].size(); ++i) {
      const Span& s = ours[c][i];
      const json& t = theirs[c][i];
      INFO("span " << i << ": " << t.dump());
      CHECK(s.family == t["family"]);
      CHECK(s.label == t["label"]);
      CHECK(s.open_seq == t["openSeq"]);
      CHECK(s.close_seq == (t["closeSeq"].is_null() ? std::nullopt : std::optional<std::int64_t>(t["closeSeq"])));
      CHECK(s.start_ms == t["start"]);
      CHECK(s.end_ms == t["end"]);
      CHECK((s.state == SpanState::CutOff) == t["cut"].get<bool>());
      CHECK((s.state == SpanState::Running) == t["open"].get<bool>());
      CHECK((s.state == SpanState::Moment) == t["moment"].get<bool>());
      ++spans_compared;
    }
  }
  // The generator reaches every state, so the comparison covers them all.
  std::set<SpanState> seen;
  for (const auto& spans : ours) {
    for (const Span& s : spans) seen.insert(s.state);
  }
  CHECK(seen.size() == 5);
  CHECK(spans_compared > 3000);
}
