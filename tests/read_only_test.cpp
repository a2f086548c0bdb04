// read_only_test: reading never writes. A read-only Journal reads a journal
// without changing a byte of it — one whose runs lag its events, one from
// an older runjournal that nobody migrated, one from a newer runjournal, one
// in a folder or file this process may not write — and refuses every write
// call with ReadOnly. An older runjournal never rewrites what a newer one
// derived: it reads the journal and refuses to write it. (That every write
// call is refused is a conformance test: tests/conformance/refusals_test.cpp.)
#include <doctest/doctest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <runjournal/journal.hpp>

#include "conformance/histories.hpp"
#include "process.hpp"
#include "sqlite_file.hpp"
#include "test_support.hpp"

using nlohmann::json;
using runjournal::ErrorCode;
using runjournal::Journal;
using runjournal::Options;
using runjournal::RunStatus;
using runjournal::test::code_of;
using runjournal::test::Files;
using runjournal::test::files_of;
using runjournal::test::message_of;
using runjournal::test::raw_exec;
using runjournal::test::raw_int;
using runjournal::test::small_journal;
using runjournal::test::TempDir;
namespace fs = std::filesystem;

namespace {

const Options kReadOnly{.read_only = true};

std::int64_t latest_schema(const fs::path& path) { return raw_int(path, "PRAGMA user_version"); }

}  // namespace

TEST_CASE("a read-only journal reads everything and writes not a byte") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  small_journal(path);
  const Files before = files_of(path);
  Journal j = Journal::open(path, kReadOnly);
  CHECK(j.read_only());
  CHECK(j.run("a")->status == RunStatus::Completed);
  CHECK(j.run("a")->agent_spec_digest == "spec-1");
  CHECK(j.run("a")->final_state_digest == "state-1");
  CHECK(j.runs().size() == 2);
  CHECK(j.events("a").size() == 3);
  CHECK(j.latest_checkpoint("b")->checkpoint_id == "cp-1");
  CHECK(j.current_run("s")->run_id == "b");
  CHECK(j.verify().ok());
  CHECK(j.stats().runs == 2);
  CHECK(j.sql("SELECT count(*) AS n FROM events").rows.at(0).at(0).integer == 5);
  CHECK(j.runs_as_of(3).size() == 1);
  std::int64_t records = 0;
  j.records([&](const runjournal::RunRecord&) { ++records; });
  CHECK(records == 2);
  (void)j.recover();
  CHECK(files_of(path) == before);
}

TEST_CASE("a read-only open of a missing file is NotFound and creates nothing") {
  TempDir dir;
  CHECK(code_of([&] { Journal::open(dir.file("none.db"), {.create_if_missing = true, .read_only = true}); }) ==
        ErrorCode::NotFound);
  CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("a read-only open does not catch up runs that lag their events, and verify says so") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  small_journal(path);
  // Another program appends an event behind the projector's back.
  raw_exec(path, "INSERT INTO events (position, run_id, seq, ts_ms, kind, payload) "
                 "VALUES (6, 'b', 3, 1, 'tool_called', '{}')");
  const Files before = files_of(path);
  {
    Journal j = Journal::open(path, kReadOnly);
    CHECK(j.run("b")->event_count == 2);
    CHECK(j.events("b").size() == 3);
    CHECK_FALSE(j.verify().ok());
  }
  CHECK(files_of(path) == before);
  // A host that opens it to write catches it up.
  Journal writer = Journal::open(path);
  CHECK(writer.run("b")->event_count == 3);
  CHECK(writer.verify().ok());
}

TEST_CASE("a journal from an older runjournal that nobody migrated is read as it is") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  small_journal(path);
  // What schema 3 and projector 2 left: no provenance, no version columns.
  raw_exec(path,
           "ALTER TABLE runs DROP COLUMN agent_spec_digest; ALTER TABLE runs DROP COLUMN git_sha; "
           "ALTER TABLE runs DROP COLUMN final_state_digest; ALTER TABLE runs DROP COLUMN forked_from_run; "
           "ALTER TABLE runs DROP COLUMN forked_from_seq; "
           "ALTER TABLE journal_meta DROP COLUMN compatible_version; "
           "ALTER TABLE journal_meta DROP COLUMN library_version; DROP INDEX runs_by_created; "
           "UPDATE journal_meta SET projector_version = 2; PRAGMA user_version = 3; PRAGMA wal_checkpoint(TRUNCATE)");
  const Files before = files_of(path);
  {
    Journal j = Journal::open(path, kReadOnly);
    CHECK(j.run("a")->status == RunStatus::Completed);
    CHECK_FALSE(j.run("a")->agent_spec_digest.has_value());
    CHECK(j.runs().size() == 2);
    CHECK(j.stats().schema_version == 3);
    const runjournal::VerifyReport report = j.verify();
    REQUIRE(report.problems.size() >= 1);
    CHECK(report.problems.front().find("projector version 2") != std::string::npos);
  }
  CHECK(files_of(path) == before);
  // Opened to write, it is migrated and re-derived once.
  Journal j = Journal::open(path);
  CHECK(j.stats().schema_version == latest_schema(path));
  CHECK(j.run("a")->agent_spec_digest == "spec-1");
  CHECK(j.verify().ok());
}

TEST_CASE("a journal from a newer runjournal: read-only reads it, a writer is refused naming who wrote it") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  small_journal(path);
  const std::int64_t ours = latest_schema(path);
  raw_exec(path, "UPDATE journal_meta SET library_version = '9.1.0', compatible_version = " + std::to_string(ours) +
                     "; PRAGMA user_version = " + std::to_string(ours + 1) + "; PRAGMA wal_checkpoint(TRUNCATE)");
  const Files before = files_of(path);
  const std::string refusal = message_of([&] { Journal::open(path); });
  CHECK(code_of([&] { Journal::open(path); }) == ErrorCode::SchemaTooNew);
  CHECK(refusal.find("9.1.0") != std::string::npos);
  CHECK(refusal.find("read-only") != std::string::npos);
  {
    Journal j = Journal::open(path, kReadOnly);
    CHECK(j.run("a")->result_text == "done");
    CHECK(j.runs().size() == 2);
  }
  CHECK(files_of(path) == before);

  // Past its compatible version it cannot even be read.
  raw_exec(path, "UPDATE journal_meta SET compatible_version = " + std::to_string(ours + 1) +
                     "; PRAGMA wal_checkpoint(TRUNCATE)");
  const Files unreadable = files_of(path);
  CHECK(code_of([&] { Journal::open(path, kReadOnly); }) == ErrorCode::SchemaTooNew);
  CHECK(message_of([&] { Journal::open(path, kReadOnly); }).find("upgrade") != std::string::npos);
  CHECK(files_of(path) == unreadable);
}

TEST_CASE("runs derived by a newer projector are never re-derived by an older one") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  small_journal(path);
  raw_exec(path, "UPDATE journal_meta SET projector_version = 99, library_version = '9.2.0'; "
                 "UPDATE runs SET prompt = 'as the newer projector derived it' WHERE run_id = 'a'; "
                 "PRAGMA wal_checkpoint(TRUNCATE)");
  const Files before = files_of(path);
  CHECK(code_of([&] { Journal::open(path); }) == ErrorCode::SchemaTooNew);
  CHECK(message_of([&] { Journal::open(path); }).find("projector 99") != std::string::npos);
  CHECK(files_of(path) == before);
  Journal j = Journal::open(path, kReadOnly);
  CHECK(j.run("a")->prompt == "as the newer projector derived it");
  CHECK(files_of(path) == before);
}

TEST_CASE("a writer stops writing once a newer runjournal has taken the file over") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  small_journal(path);
  Journal j = Journal::open(path);
  j.append("b", "tool_called");
  // Another process, a newer runjournal, re-derives runs meanwhile.
  raw_exec(path, "UPDATE journal_meta SET projector_version = 99");
  CHECK(code_of([&] { j.append("b", "tool_called"); }) == ErrorCode::SchemaTooNew);
  CHECK(raw_int(path, "SELECT count(*) FROM events WHERE run_id = 'b'") == 3);
}

namespace {

// A closed journal in a folder, or a file, that the reader (a child process;
// as nobody when the test runs as root) may not write, read by a read-only
// Journal. `wal_files`: as runjournal leaves a journal, with its -wal and
// -shm beside it (no connection checkpoints at close: SQLite then reads the
// WAL without a shared index); or with neither, as another SQLite program
// that closes last (the sqlite3 shell) leaves it, which needs immutable=1.
void check_sealed_journal_readable(bool wal_files) {
  TempDir dir;
  const fs::path folder = dir.path() / "sealed";
  fs::create_directories(folder);
  const fs::path path = folder / "j.db";
  small_journal(path);
  REQUIRE(fs::exists(path.string() + "-wal"));
  if (!wal_files) {
    raw_exec(path, "SELECT count(*) FROM events");  // the last to close checkpoints and deletes them
    REQUIRE_FALSE(fs::exists(path.string() + "-wal"));
  }
  const Files before = files_of(path);
  // Root writes anywhere; the reader then runs as nobody.
  const bool root = ::geteuid() == 0;
  std::vector<std::string> argv;
  if (root) argv = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  argv.push_back(RUNJOURNAL_TEST_CHILD);
  argv.push_back("runs");
  argv.push_back(path.string());
  const auto read_as_reader = [&] { return runjournal::test::run_process(argv); };

  SUBCASE("a read-only folder") {
    fs::permissions(folder, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
    const runjournal::test::Outcome outcome = read_as_reader();
    INFO(outcome.err);
    CHECK(outcome.exit_code == 0);
    CHECK(outcome.out == "RUN a completed 3\nRUN b created 2\nEVENTS 5\n");
    CHECK(fs::exists(path.string() + "-shm") == wal_files);
  }
  SUBCASE("a read-only file in a folder the reader may write") {
    fs::permissions(path, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    if (root) REQUIRE(runjournal::test::run_process({"chown", "65534", folder.string()}).exit_code == 0);
    const runjournal::test::Outcome outcome = read_as_reader();
    INFO(outcome.err);
    CHECK(outcome.exit_code == 0);
    CHECK(outcome.out == "RUN a completed 3\nRUN b created 2\nEVENTS 5\n");
  }
  fs::permissions(folder, fs::perms::owner_all);
  CHECK(files_of(path) == before);
}

}  // namespace

TEST_CASE("a journal in a folder, or a file, this process may not write is readable") {
  check_sealed_journal_readable(/*wal_files=*/true);
}

TEST_CASE("a journal with no -wal or -shm, in a folder or a file this process may not write, is readable") {
  check_sealed_journal_readable(/*wal_files=*/false);
}
