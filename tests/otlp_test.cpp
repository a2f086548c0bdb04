// otlp_test.cpp — the OpenTelemetry export (runjournal/otlp.hpp): a golden
// file checked byte for byte, every export read back by a reader written
// to the OTLP specification (otlp_reader.hpp), the ids recomputed with
// coreutils' sha256sum, and bad input refused with nothing written.

#include <doctest/doctest.h>

#include <cstdlib>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <runjournal/journal.hpp>
#include <runjournal/otlp.hpp>
#include <runjournal/spans.hpp>

#include "cli_support.hpp"
#include "otlp_reader.hpp"
#include "process.hpp"
#include "otlp/sha256.hpp"
#include "sqlite_file.hpp"
#include "test_support.hpp"

namespace {

using nlohmann::json;
using runjournal::Journal;
using runjournal::test::OtlpSpan;
using runjournal::test::TempDir;

constexpr const char* kJournalId = "0123456789abcdef0123456789abcdef";
const std::string kGolden = RUNJOURNAL_SOURCE_DIR "/tests/golden/otlp_export.jsonl";

runjournal::Options fixed_options() {
  runjournal::Options options = runjournal::test::clocked();
  options.driver = runjournal::Driver{"build-host", 4242, 77, "boot-1"};
  return options;
}

// The golden journal: a completed run with turns, tool calls (one failed,
// one never answered), a node with a checkpoint inside and a model call;
// a failed run with a tool cut off; a live run with a running tool; a
// cancelled run. Its journal id is pinned afterwards, so the export is
// byte-stable.
std::string make_golden_journal(const TempDir& dir) {
  const std::string db = dir.file("golden.journal").string();
  {
    Journal j = Journal::open(db, fixed_options());
    j.create_run({.session_id = "s1", .prompt = "fix the flaky test\nthen open a pull request", .run_id = "r-done",
                  .inputs = {{"repo", "acme/api"}}, .metadata = {{"team", "infra"}}});
    j.append("r-done", "run_started");
    j.append("r-done", "turn_started", {{"turn", 1}});
    j.append("r-done", "tool_started",
             {{"tool_call_id", "call-1"}, {"tool_name", "search"}, {"arguments", {{"query", "flaky"}}}});
    j.append("r-done", "tool_result", {{"tool_call_id", "call-1"}, {"result", {{"hits", 3}}}});
    j.append("r-done", "node_entered", {{"node", "edit"}});
    j.append("r-done", "checkpoint_saved", {{"checkpoint_id", "cp-1"}, {"state", {{"files", 2}}}});
    j.append("r-done", "tool_started", {{"tool_call_id", "call-2"}, {"tool_name", "write_file"}});
    j.append("r-done", "tool_failed", {{"tool_call_id", "call-2"}, {"error", "disk full"}, {"error_type", "IOError"}});
    j.append("r-done", "node_exited", {{"node", "edit"}});
    j.append("r-done", "model_called", {{"model", "gpt-x"}, {"input_tokens", 12}, {"output_tokens", 34}});
    j.append("r-done", "turn_started", {{"turn", 2}});
    j.append("r-done", "tool_called", {{"tool_name", "ls"}});
    j.append("r-done", "run_completed", {{"result_text", "fixed"}, {"outputs", {{"ok", true}}}});

    j.create_run({.session_id = "s2", .prompt = "deploy", .run_id = "r-failed"});
    j.append("r-failed", "tool_started", {{"tool_name", "deploy"}, {"args", {"--prod"}}});
    j.append("r-failed", "run_failed", {{"error", "timeout after 30 s"}});

    j.create_run({.session_id = "s2", .prompt = "", .run_id = "r-live"});
    j.append("r-live", "step_started", {{"name", "plan"}});
    j.append("r-live", "tool_started", {{"call_id", 7}, {"tool_name", "grep"}});

    j.create_run({.session_id = "s3", .prompt = "ünïcode \"quoted\" prompt", .run_id = "r-cancelled"});
    j.append("r-cancelled", "run_cancelled", {{"reason", "user pressed stop"}});
  }
  runjournal::test::raw_exec(db, std::string("UPDATE journal_meta SET journal_id = '") + kJournalId + "'");
  return db;
}

std::string export_text(const std::string& db, const runjournal::OtlpOptions& options = {}) {
  runjournal::Options read;
  read.read_only = true;
  const Journal j = Journal::open(db, read);
  std::ostringstream out;
  runjournal::export_otlp(j, out, options);
  return out.str();
}

// The output with this library's version where the golden file has a placeholder.
std::string with_version_placeholder(std::string text) {
  const std::string actual = std::string("\"version\":\"") + std::string(runjournal::version()) + "\"";
  const std::string placeholder = "\"version\":\"@VERSION@\"";
  for (std::size_t at = text.find(actual); at != std::string::npos; at = text.find(actual, at)) {
    text.replace(at, actual.size(), placeholder);
  }
  return text;
}

const OtlpSpan& span_named(const std::vector<OtlpSpan>& spans, const std::string& name) {
  for (const OtlpSpan& s : spans) {
    if (s.name == name) return s;
  }
  FAIL("no span named " << name);
  return spans.front();
}

const std::vector<OtlpSpan>& trace_of(const runjournal::test::OtlpFile& file, const std::string& run_id) {
  const auto it = file.traces.find(runjournal::otlp_trace_id(kJournalId, run_id));
  REQUIRE(it != file.traces.end());
  return it->second;
}

std::string sha256sum(const std::string& bytes) {
  const runjournal::test::Outcome r = runjournal::test::run_process({"sha256sum"}, bytes);
  REQUIRE(r.exit_code == 0);
  return r.out.substr(0, 64);
}

std::string hex(const std::array<std::uint8_t, 32>& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : digest) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

}  // namespace

TEST_SUITE("otlp: ids") {
  TEST_CASE("sha256 gives FIPS 180-4's test vectors and sha256sum's digest for every length up to 200 bytes") {
    using runjournal::detail::sha256;
    CHECK(hex(sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(hex(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(hex(sha256(std::string(1'000'000, 'a'))) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    // Every padding case (55, 56, 63, 64, 119, 120 … bytes), through one process.
    std::string script;
    std::mt19937 rng(7);
    std::vector<std::string> inputs;
    for (std::size_t n = 0; n <= 200; ++n) {
      std::string bytes(n, '\0');
      for (char& c : bytes) c = static_cast<char>(rng() % 256);
      inputs.push_back(bytes);
    }
    TempDir dir;
    std::vector<std::string> argv = {"sha256sum"};
    for (std::size_t n = 0; n < inputs.size(); ++n) {
      const auto path = dir.file("in" + std::to_string(n));
      runjournal::test::write_file(path, inputs[n]);
      argv.push_back(path.string());
    }
    const runjournal::test::Outcome r = runjournal::test::run_process(argv);
    REQUIRE(r.exit_code == 0);
    std::istringstream lines(r.out);
    for (std::size_t n = 0; n < inputs.size(); ++n) {
      std::string line;
      REQUIRE(std::getline(lines, line));
      INFO("length " << n);
      CHECK(hex(sha256(inputs[n])) == line.substr(0, 64));
    }
  }

  TEST_CASE("a trace id is SHA-256(journal id/run id)'s first 16 bytes, a span id SHA-256(…/seq)'s first 8") {
    CHECK(runjournal::otlp_trace_id(kJournalId, "r1") == sha256sum(std::string(kJournalId) + "/r1").substr(0, 32));
    CHECK(runjournal::otlp_span_id(kJournalId, "r1", 12) == sha256sum(std::string(kJournalId) + "/r1/12").substr(0, 16));
    // Stable, and distinct per run, per journal and per seq.
    CHECK(runjournal::otlp_trace_id(kJournalId, "r1") == runjournal::otlp_trace_id(kJournalId, "r1"));
    CHECK(runjournal::otlp_trace_id(kJournalId, "r1") != runjournal::otlp_trace_id(kJournalId, "r2"));
    CHECK(runjournal::otlp_trace_id(kJournalId, "r1") != runjournal::otlp_trace_id("ffff", "r1"));
    CHECK(runjournal::otlp_span_id(kJournalId, "r1", 1) != runjournal::otlp_span_id(kJournalId, "r1", 2));
  }
}

TEST_SUITE("otlp: the golden journal") {
  TEST_CASE("the export is byte for byte the golden file") {
    TempDir dir;
    const std::string text = with_version_placeholder(export_text(make_golden_journal(dir)));
    if (std::getenv("RUNJOURNAL_UPDATE_GOLDEN") != nullptr) {
      runjournal::test::write_file(kGolden, text);
      MESSAGE("wrote " << kGolden);
    }
    const std::string golden = runjournal::test::read_file(kGolden);
    REQUIRE(!golden.empty());
    CHECK(text == golden);
    // The same journal made again exports the same bytes.
    TempDir again;
    CHECK(with_version_placeholder(export_text(make_golden_journal(again))) == text);
  }

  TEST_CASE("read back to the specification: a trace per run, statuses, nesting, span events, GenAI attributes") {
    TempDir dir;
    const runjournal::test::OtlpFile file = runjournal::test::read_otlp_file(export_text(make_golden_journal(dir)));
    REQUIRE(file.lines.size() == 4);
    CHECK(file.traces.size() == 4);
    CHECK(file.lines[0].resource["service.name"] == "runjournal");
    CHECK(file.lines[0].resource["runjournal.journal_id"] == kJournalId);
    CHECK(file.lines[0].scope_name == "runjournal");
    CHECK(file.lines[0].scope_version == std::string(runjournal::version()));

    const std::vector<OtlpSpan>& done = trace_of(file, "r-done");
    const OtlpSpan& root = done[0];
    CHECK(root.name == "fix the flaky test");  // the prompt's first line
    CHECK(root.parent_span_id.empty());
    CHECK(root.span_id == runjournal::otlp_span_id(kJournalId, "r-done", 1));
    CHECK(root.status_code == 1);  // OK
    CHECK(root.attributes["gen_ai.operation.name"] == "invoke_agent");
    CHECK(root.attributes["gen_ai.conversation.id"] == "s1");
    CHECK(root.attributes["runjournal.prompt"] == "fix the flaky test\nthen open a pull request");
    CHECK(root.attributes["runjournal.inputs"] == json{{"repo", "acme/api"}});
    CHECK(root.attributes["runjournal.outputs"] == json{{"ok", true}});
    CHECK(root.attributes["runjournal.result_text"] == "fixed");
    CHECK(root.attributes["runjournal.event_count"] == 14);
    CHECK(root.start_ns == 1'700'000'000'000'000'000ULL);
    // run_started is no span: a span event on the root.
    REQUIRE(root.events.size() == 1);
    CHECK(root.events[0].name == "run_started");

    const OtlpSpan& turn1 = span_named(done, "turn");
    CHECK(turn1.parent_span_id == root.span_id);
    CHECK(turn1.attributes["runjournal.span.state"] == "ended");
    const OtlpSpan& search = span_named(done, "execute_tool search");
    CHECK(search.parent_span_id == turn1.span_id);
    CHECK(search.attributes["gen_ai.operation.name"] == "execute_tool");
    CHECK(search.attributes["gen_ai.tool.name"] == "search");
    CHECK(search.attributes["gen_ai.tool.call.id"] == "call-1");
    CHECK(search.attributes["gen_ai.tool.call.arguments"] == json{{"query", "flaky"}});
    CHECK(search.attributes["gen_ai.tool.call.result"] == json{{"hits", 3}});
    CHECK(search.status_code == 0);
    CHECK(search.end_ns > search.start_ns);
    const OtlpSpan& node = span_named(done, "node edit");
    CHECK(node.parent_span_id == turn1.span_id);
    REQUIRE(node.events.size() == 1);  // the checkpoint, saved inside the node
    CHECK(node.events[0].name == "checkpoint_saved");
    CHECK(node.events[0].attributes["runjournal.payload.state"] == json{{"files", 2}});
    const OtlpSpan& write = span_named(done, "execute_tool write_file");
    CHECK(write.parent_span_id == node.span_id);
    CHECK(write.status_code == 2);
    CHECK(write.status_message == "disk full");
    CHECK(write.attributes["error.type"] == "IOError");
    // The model call sits in the first turn, which the second one ends.
    REQUIRE(turn1.events.size() == 1);
    CHECK(turn1.events[0].name == "model_called");
    CHECK(turn1.events[0].attributes["gen_ai.request.model"] == "gpt-x");
    CHECK(turn1.events[0].attributes["gen_ai.usage.input_tokens"] == 12);
    const OtlpSpan& ls = span_named(done, "execute_tool ls");
    // A tool_called nothing ended is a moment, as the timeline shows it,
    // not a span to the run's end.
    CHECK(ls.attributes["runjournal.span.state"] == "moment");
    CHECK(ls.end_ns == ls.start_ns);
    CHECK(ls.end_ns < root.end_ns);

    const std::vector<OtlpSpan>& failed = trace_of(file, "r-failed");
    CHECK(failed[0].status_code == 2);
    CHECK(failed[0].status_message == "timeout after 30 s");
    CHECK(failed[0].attributes["error.type"] == "_OTHER");
    CHECK(span_named(failed, "execute_tool deploy").attributes["runjournal.span.state"] == "cut_off");
    CHECK(span_named(failed, "execute_tool deploy").status_code == 0);

    const std::vector<OtlpSpan>& live = trace_of(file, "r-live");
    CHECK(live[0].name == "run r-live");  // no prompt
    CHECK(live[0].status_code == 0);
    CHECK(live[0].attributes["runjournal.span.state"] == "running");
    const OtlpSpan& grep = span_named(live, "execute_tool grep");
    CHECK(grep.attributes["gen_ai.tool.call.id"] == "7");
    CHECK(grep.attributes["runjournal.span.state"] == "running");
    CHECK(grep.parent_span_id == span_named(live, "step plan").span_id);
    CHECK(grep.end_ns == live[0].end_ns);  // running spans reach the latest event

    const std::vector<OtlpSpan>& cancelled = trace_of(file, "r-cancelled");
    REQUIRE(cancelled.size() == 1);
    CHECK(cancelled[0].name == "ünïcode \"quoted\" prompt");
    CHECK(cancelled[0].status_code == 0);
    CHECK(cancelled[0].attributes["runjournal.status"] == "cancelled");
    CHECK(cancelled[0].attributes["runjournal.status_reason"] == "user pressed stop");
  }

  TEST_CASE("--run alone: one line, the same as that run's line in the whole export; an unknown run writes nothing") {
    TempDir dir;
    const std::string db = make_golden_journal(dir);
    const std::vector<std::string> all = runjournal::test::lines_of(export_text(db));
    REQUIRE(all.size() == 4);
    CHECK(export_text(db, {.run_id = "r-failed"}) == all[1] + "\n");
    runjournal::Options read;
    read.read_only = true;
    const Journal j = Journal::open(db, read);
    std::ostringstream out;
    CHECK(runjournal::test::code_of([&] { runjournal::export_otlp(j, out, {.run_id = "nope"}); }) ==
          runjournal::ErrorCode::NotFound);
    CHECK(out.str().empty());
  }

  TEST_CASE("service.name comes from the options") {
    TempDir dir;
    const auto file = runjournal::test::read_otlp_file(export_text(make_golden_journal(dir), {.service_name = "agents"}));
    CHECK(file.lines[0].resource["service.name"] == "agents");
  }
}

TEST_SUITE("otlp: values and limits") {
  TEST_CASE("payload values keep their JSON types and every character") {
    TempDir dir;
    Journal j = Journal::open(dir.file("j").string(), runjournal::test::clocked());
    j.create_run({.session_id = "s", .run_id = "r"});
    const json payload = {{"text", "quote \" backslash \\ newline \n tab \t bell \x07 é 日本 🚀"},
                          {"int", -42},
                          {"big", 18446744073709551615ULL},
                          {"real", 2.5},
                          {"whole_real", 3.0},
                          {"yes", true},
                          {"nothing", nullptr},
                          {"list", {1, "two", {{"three", 3}}, json::array(), json::object()}}};
    j.append("r", "note", payload);
    std::ostringstream out;
    runjournal::export_otlp(j, out);
    const auto file = runjournal::test::read_otlp_file(out.str());
    const auto& event = file.lines.at(0).spans.at(0).events.at(0);
    const json& a = event.attributes;
    CHECK(a["runjournal.payload.text"] == payload["text"]);
    CHECK(a["runjournal.payload.int"] == -42);
    CHECK(a["runjournal.payload.big"] == "18446744073709551615");  // beyond int64: its digits, as a string
    CHECK(a["runjournal.payload.real"] == 2.5);
    CHECK(a["runjournal.payload.whole_real"] == 3.0);
    CHECK(a["runjournal.payload.yes"] == true);
    CHECK(a["runjournal.payload.nothing"].is_null());
    CHECK(a["runjournal.payload.list"] == payload["list"]);
    CHECK(out.str().find("\"big\"") == std::string::npos);  // keys carry the prefix
  }

  TEST_CASE("a clock that went backwards never makes a span end before it starts") {
    runjournal::RunRecord record;
    record.run.run_id = "r";
    record.run.session_id = "s";
    record.run.status = runjournal::RunStatus::Completed;
    const auto event = [](std::int64_t seq, std::int64_t ts, const char* kind) {
      runjournal::Event e;
      e.run_id = "r";
      e.seq = seq;
      e.position = seq;
      e.ts_ms = ts;
      e.kind = kind;
      e.payload = json::object();
      return e;
    };
    record.events = {event(1, 5000, "run_created"), event(2, 4000, "tool_started"), event(3, 3000, "tool_result"),
                     event(4, -10, "run_completed")};
    std::ostringstream out;
    const runjournal::OtlpReport report = runjournal::write_otlp_trace(out, record, kJournalId);
    CHECK(report.spans == 2);
    const auto file = runjournal::test::read_otlp_file(out.str());  // start <= end is one of its rules
    CHECK(file.lines[0].spans[0].start_ns == file.lines[0].spans[0].end_ns);
  }

  TEST_CASE("a run too long for one line goes on in more, each a whole request of the same trace") {
    TempDir dir;
    Journal j = Journal::open(dir.file("j").string(), runjournal::test::clocked());
    j.create_run({.session_id = "s", .run_id = "long"});
    std::vector<runjournal::NewEvent> batch;
    for (int i = 0; i < 300; ++i) {
      const json id = "call-" + std::to_string(i);
      batch.push_back({.run_id = "long", .kind = "tool_started", .payload = {{"tool_call_id", id}, {"tool_name", "t"}}});
      batch.push_back({.run_id = "long", .kind = "tool_result", .payload = {{"tool_call_id", id}}});
    }
    batch.push_back({.run_id = "long", .kind = "run_completed"});
    j.append_batch(batch);
    std::ostringstream out;
    const runjournal::OtlpReport report = runjournal::export_otlp(j, out, {.line_bytes = 8192});
    const std::vector<std::string> lines = runjournal::test::lines_of(out.str());
    CHECK(report.traces == 1);
    CHECK(report.spans == 301);
    CHECK(report.lines == static_cast<std::int64_t>(lines.size()));
    CHECK(lines.size() > 10);
    for (const std::string& line : lines) CHECK(line.size() < 8192 + 2048);  // the limit, plus at most one span
    const auto file = runjournal::test::read_otlp_file(out.str());  // one root, every parent found across lines
    CHECK(file.traces.size() == 1);
    CHECK(file.traces.begin()->second.size() == 301);
    // Without a limit: one line.
    std::ostringstream whole;
    CHECK(runjournal::export_otlp(j, whole, {.line_bytes = 0}).lines == 1);
    CHECK(whole.str().size() > 8192 * 10);
  }

  TEST_CASE("a stream that fails is ErrorCode::Io") {
    TempDir dir;
    Journal j = Journal::open(dir.file("j").string(), runjournal::test::clocked());
    j.create_run({.session_id = "s", .run_id = "r"});
    std::ostringstream out;
    out.setstate(std::ios::badbit);
    CHECK(runjournal::test::code_of([&] { runjournal::export_otlp(j, out); }) == runjournal::ErrorCode::Io);
  }
}

namespace {

// A journal of `runs` generated runs: random kinds (span openers and ends
// of every family, aliases, terminals, late events after them, unknown
// kinds), keys that collide, nested payloads.
void fill_random_journal(Journal& j, int runs, std::mt19937& rng) {
  static const std::vector<std::string> kinds = {
      "tool_started", "tool_called", "tool_result", "tool_failed", "tool_error", "node_entered", "node_exited",
      "node_failed", "turn_started", "turn_completed", "step_started", "step_finished", "planning_started",
      "planning_completed", "verifying_started", "checkpoint_saved", "note", "run_interrupted", "run_resumed",
      "run_completed", "run_failed", "run_cancelled", "end", "error", "graph_completed"};
  static const std::vector<std::string> fields = {"tool_call_id", "call_id", "node", "tool_name", "name",
                                                  "arguments",    "result",  "model", "error", "input_tokens"};
  static const std::vector<json> values = {"a", "b", 1, 2.5, true, nullptr, json{{"x", json::array({1, "y"})}},
                                           "ünï \"q\""};
  std::uniform_int_distribution<std::size_t> kind(0, kinds.size() - 1), field(0, fields.size() - 1),
      value(0, values.size() - 1);
  for (int r = 0; r < runs; ++r) {
    const std::string id = "run-" + std::to_string(r);
    j.create_run({.session_id = "s" + std::to_string(r % 7), .prompt = r % 3 ? "task " + id : "", .run_id = id});
    std::vector<runjournal::NewEvent> batch;
    const int n = static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) {
      json payload = json::object();
      for (int f = static_cast<int>(rng() % 4); f > 0; --f) payload[fields[field(rng)]] = values[value(rng)];
      batch.push_back({.run_id = id, .kind = kinds[kind(rng)], .payload = payload});
    }
    if (!batch.empty()) j.append_batch(batch);
  }
}

// How many spans the export must write for a run: one per span the
// timeline finds, the run's own being the root.
std::size_t pair_spans_count(const std::vector<runjournal::Event>& events, const runjournal::Run& run) {
  return runjournal::pair_spans(events, !runjournal::is_terminal(run.status), events.back().ts_ms).size();
}

}  // namespace

TEST_CASE("otlp: 400 generated runs export a trace each that the reader accepts, with every event in it once") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j").string(), runjournal::test::clocked());
  std::mt19937 rng(16);
  fill_random_journal(j, 400, rng);
  std::ostringstream out;
  const runjournal::OtlpReport report = runjournal::export_otlp(j, out);
  const runjournal::test::OtlpFile file = runjournal::test::read_otlp_file(out.str());
  REQUIRE(file.lines.size() == 400);
  CHECK(file.traces.size() == 400);  // one trace per run, none split or shared
  CHECK(report.traces == 400);
  CHECK(report.lines == 400);
  const std::string journal_id = j.stats().journal_id;
  std::int64_t spans = 0, span_events = 0;
  for (const runjournal::Run& run : runjournal::test::all_runs(j)) {
    INFO("run " << run.run_id);
    const auto it = file.traces.find(runjournal::otlp_trace_id(journal_id, run.run_id));
    REQUIRE(it != file.traces.end());
    const std::vector<OtlpSpan>& trace = it->second;
    const std::vector<runjournal::Event> events = j.events(run.run_id);
    // One span per span the timeline finds (the run's own is the root).
    CHECK(trace.size() == pair_spans_count(events, run));
    // Every event is in the trace exactly once: a span's start or end, or a span event.
    std::multiset<std::int64_t> seqs;
    for (const OtlpSpan& s : trace) {
      if (s.attributes.contains("runjournal.seq")) seqs.insert(s.attributes["runjournal.seq"].get<std::int64_t>());
      if (s.attributes.contains("runjournal.end.seq")) {
        seqs.insert(s.attributes["runjournal.end.seq"].get<std::int64_t>());
      }
      for (const auto& e : s.events) seqs.insert(e.attributes["runjournal.seq"].get<std::int64_t>());
      span_events += static_cast<std::int64_t>(s.events.size());
    }
    std::set<std::int64_t> distinct(seqs.begin(), seqs.end());
    CHECK(distinct.size() == events.size());
    CHECK(*distinct.begin() == 1);
    CHECK(*distinct.rbegin() == run.last_seq);
    CHECK(trace[0].status_code == (run.status == runjournal::RunStatus::Completed ? 1
                                   : run.status == runjournal::RunStatus::Failed  ? 2
                                                                                  : 0));
    spans += static_cast<std::int64_t>(trace.size());
  }
  CHECK(report.spans == spans);
  CHECK(report.span_events == span_events);
}
