// lifecycle_test: the run lifecycle across real processes — a child that
// holds a runner reservation refuses ours while it lives, and once it is
// killed ours replaces its stale run. The lifecycle through the public API
// in one process (current run, cancel, finish, reservations, checkpoints)
// is in tests/conformance/lifecycle_test.cpp.
#include <doctest/doctest.h>

#include <csignal>
#include <string>

#include <runjournal/journal.hpp>

#include "process.hpp"
#include "test_support.hpp"

using runjournal::ErrorCode;
using runjournal::Journal;
using runjournal::RunStatus;
using runjournal::test::code_of;
using runjournal::test::TempDir;

TEST_CASE("across processes: a live child's reservation refuses ours; once it is killed, ours replaces it") {
  TempDir dir;
  const auto path = dir.file("j.db");
  { Journal::open(path); }
  runjournal::test::Child child =
      runjournal::test::start_process({RUNJOURNAL_TEST_CHILD, "drive", path.string(), "s", "child-run"});
  REQUIRE(runjournal::test::read_line(child) == "READY");
  Journal j = Journal::open(path);
  CHECK(code_of([&] { j.reserve({.session_id = "s", .run_id = "mine"}); }) == ErrorCode::AlreadyRunning);
  // A second child sees the same refusal from the other side.
  const auto refused = runjournal::test::run_process({RUNJOURNAL_TEST_CHILD, "drive", path.string(), "s", "third"});
  CHECK(refused.out == "ALREADY_RUNNING\n");
  ::kill(child.pid, SIGKILL);
  runjournal::test::finish_process(child);
  CHECK(j.reserve({.session_id = "s", .run_id = "mine"}).run_id == "mine");
  CHECK(j.run("child-run")->status == RunStatus::Failed);
}
