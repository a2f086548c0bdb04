// journal_file_test: the journal beneath its API, in its SQLite file —
// verify finds what tampering with the file did (a row deleted, a status
// changed, a hole in a run's seq, an orphan row, a payload that is not an
// object), and no read keeps a snapshot of the WAL open after it returns,
// even one that fails on a corrupt row. Tampering goes through a raw
// SQLiteCpp connection. What a journal does through its API alone is the
// conformance suite (tests/conformance).
#include <doctest/doctest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <runjournal/journal.hpp>

#include "conformance/histories.hpp"
#include "sqlite_file.hpp"
#include "test_support.hpp"

using runjournal::ErrorCode;
using runjournal::Event;
using runjournal::Journal;
using runjournal::test::clocked;
using runjournal::test::code_of;
using runjournal::test::contains;
using runjournal::test::raw_exec;
using runjournal::test::small_history;
using runjournal::test::TempDir;
namespace fs = std::filesystem;

namespace {

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
// verify finds tampering

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
// Reads release their snapshot

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
