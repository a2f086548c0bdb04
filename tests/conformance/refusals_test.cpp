// refusals_test (conformance): what a journal refuses — bad input with its
// error code, payloads JSON text cannot hold, the size limits, and every
// write call on a read-only journal — and that a refusal stores nothing.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <runjournal/journal.hpp>

#include "backend_fixture.hpp"

using nlohmann::json;
using runjournal::ErrorCode;
using runjournal::Journal;
using runjournal::Options;
using runjournal::conformance::Stored;
using runjournal::test::clocked;
using runjournal::test::code_of;
using runjournal::test::small_journal;
using runjournal::test::State;
using runjournal::test::state_of;
using runjournal::conformance::make_target;
using runjournal::conformance::Target;

namespace {

const Options kReadOnly{.read_only = true};

}  // namespace

// ---------------------------------------------------------------------------
// Bad input

TEST_CASE("bad input is refused with its error code and writes nothing") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
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
    const Stored files = target.stored();
    CHECK(code_of(c.call) == c.code);
    CHECK(state_of(j) == before);
    CHECK(target.stored() == files);
  }
  CHECK_FALSE(j.run("new"));
  CHECK(j.run("r")->event_count == 2);
}

TEST_CASE("a payload value that JSON text cannot hold (NaN, infinity, binary) is refused") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
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
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
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
  const Target target = make_target("j");
  // The run is created through a Journal with the default limits, so that
  // only the appends below meet the small ones.
  Journal setup = Journal::open(target.location, clocked());
  setup.create_run({.session_id = "s", .run_id = "r"});
  Options options = clocked();
  options.max_kind_bytes = 8;
  options.max_payload_bytes = 64;
  Journal j = Journal::open(target.location, options);
  CHECK(j.append("r", std::string(8, 'k')).seq == 2);
  CHECK(code_of([&] { j.append("r", std::string(9, 'k')); }) == ErrorCode::InvalidArgument);
  CHECK(j.append("r", "note", {{"x", std::string(64 - 8, 'a')}}).seq == 3);
  CHECK(code_of([&] { j.append("r", "note", {{"x", std::string(64 - 7, 'a')}}); }) == ErrorCode::InvalidArgument);
  CHECK(j.run("r")->event_count == 3);
}

TEST_CASE("a run_created within max_payload_bytes is not pushed over it by what the library adds") {
  const Target target = make_target("j");
  Options options = clocked();
  options.max_payload_bytes = 64;
  Journal j = Journal::open(target.location, options);
  // {"session_id":"s","prompt":""} is 30 bytes: well inside the limit.
  CHECK(j.create_run({.session_id = "s", .run_id = "r"}).event_count == 1);
  CHECK(j.append("r2", "run_created", {{"session_id", "s"}}).seq == 1);
}

// ---------------------------------------------------------------------------
// A read-only journal

TEST_CASE("every write call on a read-only journal is ReadOnly and writes nothing") {
  const Target target = make_target("j");
  small_journal(target.location);
  const Stored before = target.stored();
  Journal j = Journal::open(target.location, kReadOnly);
  std::istringstream empty_import;
  const std::vector<std::pair<const char*, std::function<void()>>> writes = {
      {"create_run", [&] { j.create_run({.session_id = "s", .run_id = "c"}); }},
      {"append", [&] { j.append("b", "tool_called"); }},
      {"append_batch", [&] { j.append_batch({{.run_id = "b", .kind = "tool_called"}}); }},
      {"append_batch_chunked", [&] { j.append_batch_chunked([](auto&) { return false; }); }},
      {"append_async", [&] { (void)j.append_async("b", "tool_called"); }},
      {"append_batch_async", [&] { (void)j.append_batch_async({{.run_id = "b", .kind = "tool_called"}}); }},
      {"rebuild", [&] { j.rebuild(); }},
      {"import_records", [&] { j.import_records(empty_import); }},
      {"prune", [&] { j.prune({.finished_before_ms = INT64_MAX}); }},
      {"resume_run", [&] { j.resume_run("b"); }},
      {"interrupt_run", [&] { j.interrupt_run("b", "why"); }},
      {"cancel_if_live", [&] { j.cancel_if_live("b"); }},
      {"finish", [&] { j.finish("b", {}); }},
      {"reserve", [&] { j.reserve({.session_id = "t"}); }},
      {"save_checkpoint", [&] { j.save_checkpoint("b", "cp-2", {}); }},
      {"delete_checkpoint", [&] { j.delete_checkpoint("b", "cp-1"); }},
      {"heartbeat", [&] { j.heartbeat(); }},
  };
  for (const auto& [what, call] : writes) {
    const std::string what_name(what);  // INFO's lambda cannot capture a binding on clang 14
    INFO(what_name);
    CHECK(code_of(call) == ErrorCode::ReadOnly);
  }
  CHECK(target.stored() == before);
}
