// batch_test (conformance): append_batch and append_batch_chunked — all or
// nothing, the first bad event named by its index, order kept, runs created
// inside a batch, and other threads' appends waiting for a chunked batch.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <runjournal/journal.hpp>

#include "backend_fixture.hpp"

using nlohmann::json;
using runjournal::ErrorCode;
using runjournal::Event;
using runjournal::Journal;
using runjournal::NewEvent;
using runjournal::Run;
using runjournal::RunStatus;
using runjournal::conformance::Stored;
using runjournal::test::batch_index_of;
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

// ---------------------------------------------------------------------------
// Batches

TEST_CASE("a batch whose third event names an unknown run writes nothing") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
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
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
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
    const Stored files = target.stored();
    CHECK(code_of([&] { j.append_batch(batch); }) == ErrorCode::InvalidArgument);
    CHECK(target.stored() == files);
    CHECK(state_of(j) == before);
    CHECK(batch_index_of([&] { j.append_batch(batch); }) == std::optional<std::size_t>(2));
    CHECK(contains(message_of([&] { j.append_batch(batch); }), "event 2"));
  }
}

// A large batch: the first bad event (by index, however many follow) is the
// one named, nothing is written, and a good batch keeps its order, whether
// its payloads are copied or moved in.
TEST_CASE("a large batch names its first bad event, writes nothing when refused, and keeps its order") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
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
  const Stored files = target.stored();
  CHECK(batch_index_of([&] { j.append_batch(bad); }) == std::optional<std::size_t>(15'000));
  CHECK(batch_index_of([&] { j.append_batch(std::vector<NewEvent>(bad)); }) == std::optional<std::size_t>(15'000));
  bad[3].kind = "";                             // and now an earlier one
  CHECK(batch_index_of([&] { j.append_batch(bad); }) == std::optional<std::size_t>(3));
  CHECK(target.stored() == files);
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

TEST_CASE("a chunked batch appends what append_batch would, in one commit") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
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
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
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
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
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
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
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
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
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
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
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
