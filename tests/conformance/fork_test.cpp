// fork_test (conformance): Journal::fork and fork_at_checkpoint. A fork's
// events 1 … SEQ are the source's (kinds, payloads, times, keys), so its
// state is the source's after SEQ; it records its lineage, is driven by
// whoever forked it, survives rebuild and verify, and bad forks store nothing.
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <runjournal/journal.hpp>

#include "backend_fixture.hpp"

using nlohmann::json;
using runjournal::Driver;
using runjournal::ErrorCode;
using runjournal::Event;
using runjournal::Journal;
using runjournal::Options;
using runjournal::Run;
using runjournal::RunStatus;
using runjournal::conformance::Stored;
using runjournal::test::clocked;
using runjournal::test::code_of;
using runjournal::conformance::make_target;
using runjournal::conformance::Target;

namespace {

// A run of seven events: created, started, a tool call, a checkpoint, an
// interruption and a resume by another process, then a completion.
void history(Journal& j) {
  j.create_run({.session_id = "s", .prompt = "fix tests", .run_id = "src", .inputs = {{"repo", "x"}}});
  j.append("src", "run_started");
  j.append("src", "tool_called", {{"tool_name", "search"}}, {.idempotency_key = "call-1"});
  j.save_checkpoint("src", "cp-1", {{"step", 1}});
  j.append("src", "run_interrupted", {{"reason", "driver gone"}});
  j.append("src", "run_resumed", {{"driver", {{"host", "other"}, {"pid", 77}, {"start_time", 1}, {"boot_id", "b"}}}});
  j.append("src", "run_completed", {{"result_text", "done"}});
}

Options with_driver(Driver driver) {
  Options options = clocked();
  options.driver = std::move(driver);
  return options;
}

}  // namespace

TEST_CASE("a fork's events are the source's up to SEQ, and its state is the source's after SEQ") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  history(j);
  const std::vector<Event> source = j.events("src");
  const Run as_of_seq_4 = j.runs_as_of(source[3].position).front();

  const Run fork = j.fork("src", 4, {.run_id = "fork"});
  CHECK(fork.run_id == "fork");
  CHECK(fork.forked_from_run == "src");
  CHECK(fork.forked_from_seq == 4);
  CHECK(fork.status == as_of_seq_4.status);
  CHECK(fork.status == RunStatus::Executing);
  CHECK(fork.checkpoint_id == "cp-1");
  CHECK(fork.prompt == "fix tests");
  CHECK(fork.inputs == json{{"repo", "x"}});
  CHECK(fork.session_id == "s");
  CHECK(fork.event_count == 4);
  CHECK(fork.created_at_ms == as_of_seq_4.created_at_ms);

  const std::vector<Event> copied = j.events("fork");
  REQUIRE(copied.size() == 4);
  for (std::size_t i = 1; i < copied.size(); ++i) {
    INFO(i);
    CHECK(copied[i].kind == source[i].kind);
    CHECK(copied[i].payload == source[i].payload);
    CHECK(copied[i].ts_ms == source[i].ts_ms);
    CHECK(copied[i].idempotency_key == source[i].idempotency_key);
    CHECK(copied[i].seq == source[i].seq);
    CHECK(copied[i].position > source.back().position);
  }
  // Its run_created is the source's with the lineage added.
  CHECK(copied[0].payload["forked_from_run"] == "src");
  CHECK(copied[0].payload["forked_from_seq"] == 4);
  CHECK(copied[0].payload["inputs"] == json{{"repo", "x"}});
  // The source is unchanged, and the fork is live: the caller drives it on.
  CHECK(j.events("src") == source);
  CHECK(j.run("src")->status == RunStatus::Completed);
  j.append("fork", "tool_called", {{"tool_name", "edit"}});
  CHECK(j.finish("fork", {.result_text = "done again"}).status == RunStatus::Completed);
  CHECK(j.verify().ok());
}

TEST_CASE("a fork is driven by whoever forked it, not by the source's resumers") {
  const Target target = make_target("j");
  const Driver forker{"forker-host", 4242, 9, "boot-f"};
  Journal source = Journal::open(target.location, clocked());
  history(source);
  CHECK(source.run("src")->driver->host == "other");  // the run_resumed's
  Journal j = Journal::open(target.location, with_driver(forker));
  // Past the copied run_resumed at seq 6, but before the completion.
  const Run fork = j.fork("src", 6, {.run_id = "fork"});
  CHECK(fork.driver == forker);
  CHECK(fork.status == RunStatus::Executing);
  // Its own run_resumed later does move the driver.
  j.append("fork", "run_resumed", {{"driver", {{"host", "later"}, {"pid", 5}, {"start_time", 2}, {"boot_id", "c"}}}});
  CHECK(j.run("fork")->driver->host == "later");
}

TEST_CASE("fork_at_checkpoint copies up to the event that saved the checkpoint") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  history(j);
  const Run fork = j.fork_at_checkpoint("src", "cp-1", {.run_id = "from-cp", .session_id = "retry"});
  CHECK(fork.forked_from_seq == 4);
  CHECK(fork.session_id == "retry");
  CHECK(j.latest_checkpoint("from-cp")->state == json{{"step", 1}});
  CHECK(code_of([&] { j.fork_at_checkpoint("src", "cp-9"); }) == ErrorCode::NotFound);
}

TEST_CASE("lineage survives rebuild, verify, export and import") {
  const Target j_target = make_target("j");
  const Target other_target = make_target("other");
  Journal j = Journal::open(j_target.location, clocked());
  history(j);
  j.fork("src", 3, {.run_id = "fork"});
  const Run before = *j.run("fork");
  j.rebuild();
  CHECK(*j.run("fork") == before);
  CHECK(j.verify().ok());
  std::string lines;
  j.records([&](const runjournal::RunRecord& r) { lines += runjournal::record_to_line(r) + "\n"; });
  Journal other = Journal::open(other_target.location, clocked());
  std::istringstream in(lines);
  other.import_records(in);
  CHECK(other.run("fork")->forked_from_run == "src");
  CHECK(other.run("fork")->forked_from_seq == 3);
  CHECK(other.run("fork")->driver == before.driver);
}

TEST_CASE("a bad fork is a typed error and writes nothing") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  history(j);
  j.create_run({.session_id = "s", .run_id = "taken"});
  const Stored before = target.stored();
  CHECK(code_of([&] { j.fork("ghost", 1); }) == ErrorCode::NotFound);
  CHECK(code_of([&] { j.fork("src", 0); }) == ErrorCode::InvalidArgument);
  CHECK(code_of([&] { j.fork("src", 8); }) == ErrorCode::InvalidArgument);
  // At the completion (seq 7) the fork would be finished.
  CHECK(code_of([&] { j.fork("src", 7); }) == ErrorCode::InvalidArgument);
  CHECK(code_of([&] { j.fork("src", 2, {.run_id = "taken"}); }) == ErrorCode::AlreadyExists);
  CHECK(target.stored() == before);
  CHECK(code_of([&] { Journal::open(target.location, {.read_only = true}).fork("src", 2); }) == ErrorCode::ReadOnly);
}

TEST_CASE("a fork past the events another writer is still committing is refused") {
  const Target target = make_target("j");
  Journal j = Journal::open(target.location, clocked());
  j.create_run({.session_id = "s", .run_id = "src"});
  Journal other = Journal::open(target.location, clocked());  // before the batch holds the writer
  // Another thread's batch is mid-way: its first chunk is written, not yet
  // committed, and it waits until the fork has been tried.
  std::mutex mu;
  std::condition_variable cv;
  bool chunk_written = false, fork_tried = false;
  std::thread writer([&] {
    int calls = 0;
    j.append_batch_chunked([&](std::vector<runjournal::NewEvent>& chunk) {
      if (++calls == 1) {
        chunk.push_back({.run_id = "src", .kind = "step_started"});
        return true;
      }
      std::unique_lock lock(mu);
      chunk_written = true;
      cv.notify_all();
      cv.wait(lock, [&] { return fork_tried; });
      return false;
    });
  });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return chunk_written; });
  }
  CHECK(code_of([&] { other.fork("src", 2); }) == ErrorCode::InvalidArgument);
  {
    std::lock_guard lock(mu);
    fork_tried = true;
  }
  cv.notify_all();
  writer.join();
  CHECK(j.run("src")->last_seq == 2);
  CHECK(j.fork("src", 2).forked_from_seq == 2);
}
