// serve_stream_test: `runjournal serve`'s event stream (/api/stream) over
// real HTTP: every event by position, live commits from another process,
// resumption by Last-Event-ID, one run's stream, clients that hang up
// mid-stream, and the limit on open streams.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <runjournal/journal.hpp>

#include "serve_support.hpp"

using namespace runjournal::test::serve;
using runjournal::Journal;
using runjournal::test::TempDir;

TEST_CASE("the stream sends every event by position, then live ones, and resumes after Last-Event-ID") {
  Fixture fx;
  Served s(fx.db);
  const std::int64_t last = Journal::open(fx.db).last_position();
  SseClient stream(s.port, s.host(), "/api/stream?after=0");
  REQUIRE(stream.status() == 200);
  CHECK(stream.head().find("Content-Type: text/event-stream") != std::string::npos);
  CHECK(stream.head().find("Content-Security-Policy:") != std::string::npos);
  for (std::int64_t position = 1; position <= last; ++position) {
    const auto m = stream.next();
    REQUIRE(m);
    CHECK(m->event == "event");
    CHECK(m->id == std::to_string(position));
    CHECK(json::parse(m->data)["position"] == position);
  }
  // A commit by another process (this one) reaches the open stream.
  Journal writer = Journal::open(fx.db);
  const auto before = std::chrono::steady_clock::now();
  const runjournal::Event appended = writer.append("run-live", "node_exited", {{"node", "plan"}});
  const auto m = stream.next(3s);
  REQUIRE(m);
  CHECK(std::chrono::steady_clock::now() - before < 1s);
  CHECK(m->id == std::to_string(appended.position));
  CHECK(json::parse(m->data)["payload"] == json({{"node", "plan"}}));
  stream.close_now();

  // Reconnecting with Last-Event-ID resumes right after it.
  writer.append("run-done", "note", {{"late", true}});
  SseClient resumed(s.port, s.host(), "/api/stream?after=0", "Last-Event-ID: " + std::to_string(last) + "\r\n");
  REQUIRE(resumed.status() == 200);
  const auto first = resumed.next();
  REQUIRE(first);
  CHECK(first->id == std::to_string(last + 1));
  const auto second = resumed.next();
  REQUIRE(second);
  CHECK(second->id == std::to_string(last + 2));
  CHECK(json::parse(second->data)["kind"] == "note");
  CHECK(!resumed.next(300ms));  // nothing repeated, nothing invented
  const std::string bad = raw_request(s.port, "GET /api/stream HTTP/1.1\r\nHost: " + s.host() +
                                                  "\r\nLast-Event-ID: x\r\nConnection: close\r\n\r\n");
  CHECK(status_of(bad) == 400);
}

TEST_CASE("run=RUN streams only that run, resumable; payloads=0 leaves payloads out") {
  Fixture fx;
  Served s(fx.db);
  SseClient only(s.port, s.host(), "/api/stream?run=run-done");
  REQUIRE(only.status() == 200);
  std::vector<std::string> kinds;
  std::int64_t second_position = 0;
  for (int i = 0; i < 4; ++i) {
    const auto m = only.next();
    REQUIRE(m);
    const json event = json::parse(m->data);
    CHECK(event["run_id"] == "run-done");
    kinds.push_back(event["kind"]);
    if (i == 1) second_position = event["position"];
  }
  CHECK(kinds == std::vector<std::string>{"run_created", "tool_started", "tool_result", "run_completed"});
  Journal writer = Journal::open(fx.db);
  writer.append("run-live", "noise");
  writer.append("run-done", "after_the_end", {{"x", 1}});
  const auto late = only.next(3s);
  REQUIRE(late);
  CHECK(json::parse(late->data)["kind"] == "after_the_end");

  SseClient resumed(s.port, s.host(), "/api/stream?run=run-done",
                    "Last-Event-ID: " + std::to_string(second_position) + "\r\n");
  REQUIRE(resumed.status() == 200);
  CHECK(json::parse(resumed.next()->data)["kind"] == "tool_result");

  // A browser accepts compressed bodies; a stream must still not be
  // compressed (a compressor would hold events back).
  SseClient bare(s.port, s.host(), "/api/stream?payloads=0", "Accept-Encoding: gzip, deflate, br\r\n");
  REQUIRE(bare.status() == 200);
  CHECK(bare.head().find("Content-Encoding") == std::string::npos);
  const json event = json::parse(bare.next()->data);
  CHECK(!event.contains("payload"));
  CHECK(event["kind"] == "run_created");
  CHECK(get_json(s, "/api/stream?run=no-such-run", 404)["error"]["code"] == "not_found");
}

TEST_CASE("a client that hangs up mid-stream costs nothing: the server serves on and frees the stream") {
  Fixture fx;
  {
    Journal j = Journal::open(fx.db, runjournal::Options{.durability = runjournal::Durability::Normal});
    std::vector<runjournal::NewEvent> batch;
    for (int i = 0; i < 20'000; ++i) {
      batch.push_back({"run-live", "tool_called", {{"blob", std::string(500, 'x')}, {"i", i}}, {}});
    }
    j.append_batch(std::move(batch));
  }
  Served s(fx.db);
  for (int round = 0; round < 3; ++round) {
    SseClient stream(s.port, s.host(), "/api/stream?after=0");
    REQUIRE(stream.status() == 200);
    REQUIRE(stream.next());
    stream.close_now();  // mid catch-up: megabytes still to send
  }
  SseClient idle(s.port, s.host(), "/api/stream?run=run-failed");
  REQUIRE(idle.status() == 200);
  REQUIRE(idle.next());
  idle.close_now();  // while it waits for commits: noticed at the next heartbeat
  CHECK(get_json(s, "/api/runs")["runs"].size() == 4);
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  std::int64_t open = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    open = get_json(s, "/api/server")["open_streams"].get<std::int64_t>();
    if (open == 0) break;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(open == 0);
  SseClient fresh(s.port, s.host(), "/api/stream?after=20000");
  REQUIRE(fresh.status() == 200);
  CHECK(fresh.next());
  CHECK(s.stop().exit_code == 0);
}

TEST_CASE("streams past the limit get a 503 JSON error, and the limit frees as streams end") {
  Fixture fx;
  Served s(fx.db);
  const std::int64_t max = get_json(s, "/api/server")["max_streams"].get<std::int64_t>();
  std::vector<std::unique_ptr<SseClient>> streams;
  for (std::int64_t i = 0; i < max; ++i) {
    streams.push_back(std::make_unique<SseClient>(s.port, s.host(), "/api/stream?payloads=0"));
    REQUIRE(streams.back()->status() == 200);
  }
  const std::string refused = raw_request(s.port, "GET /api/stream HTTP/1.1\r\nHost: " + s.host() +
                                                      "\r\nConnection: close\r\n\r\n");
  CHECK(status_of(refused) == 503);
  CHECK(json::parse(body_of(refused))["error"]["code"] == "too_many_streams");
  CHECK(get_json(s, "/api/runs")["runs"].size() == 4);  // other requests still served
  streams.clear();
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline &&
         get_json(s, "/api/server")["open_streams"].get<std::int64_t>() != 0) {
    std::this_thread::sleep_for(100ms);
  }
  SseClient again(s.port, s.host(), "/api/stream");
  CHECK(again.status() == 200);
}

