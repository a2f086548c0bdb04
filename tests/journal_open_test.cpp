// journal_open_test: Journal::open — what it creates, what it refuses (and
// leaves byte-for-byte untouched), and how it brings `runs` up to date: not
// at all for an up-to-date journal, a rebuild once when the projector
// version changed, a catch-up when events lie past the projected position.
//
// A journal is closed (its Journal destroyed) before it is tampered with and
// reopened, so that the reopen gets a fresh writer and runs its checks.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <random>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <SQLiteCpp/Database.h>

#include <runjournal/journal.hpp>

#include "sqlite/connection.hpp"
#include "sqlite/migrator.hpp"
#include "core/projector.hpp"
#include "sqlite_file.hpp"
#include "test_support.hpp"

using runjournal::Error;
using runjournal::ErrorCode;
using runjournal::Event;
using runjournal::Journal;
using runjournal::Options;
using runjournal::Page;
using runjournal::Run;
using runjournal::RunStatus;
using runjournal::test::clocked;
using runjournal::test::raw_exec;
using runjournal::test::raw_int;
using runjournal::test::read_file;
using runjournal::test::StepClock;
using runjournal::test::TempDir;
using runjournal::test::write_file;
namespace fs = std::filesystem;


namespace {

std::optional<ErrorCode> open_error(const fs::path& path, Options options = {}) {
  try {
    Journal::open(path, std::move(options));
  } catch (const Error& e) {
    return e.code();
  }
  return std::nullopt;
}

std::string raw_text(const fs::path& path, const std::string& sql) {
  SQLite::Database db(path.string(), SQLite::OPEN_READONLY);
  return db.execAndGet(sql).getString();
}

fs::path sibling(const fs::path& path, const char* suffix) { return path.string() + suffix; }

std::vector<fs::path> entries(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) out.push_back(entry.path().filename());
  std::sort(out.begin(), out.end());
  return out;
}

// Three runs in three states: alpha completed, bravo executing, charlie
// created. Ids are words so that a message naming one is unmistakable.
void small_history(Journal& j) {
  j.create_run({.session_id = "s", .prompt = "first", .run_id = "alpha", .inputs = {{"x", 1}}});
  j.append("alpha", "run_started");
  j.append("alpha", "checkpoint_saved", {{"checkpoint_id", "cp1"}});
  j.append("alpha", "run_completed", {{"result_text", "ok"}, {"outputs", {1, 2}}});
  j.create_run({.session_id = "s", .run_id = "bravo", .metadata = {{"m", true}}});
  j.append("bravo", "step_started", {{"step", 1}}, {.idempotency_key = "k"});
  j.create_run({.session_id = "t", .run_id = "charlie"});
}

// Refused files are compared whole; no StringMaker, so a failure does not
// print the file.
struct Bytes {
  std::string content;
  bool operator==(const Bytes&) const = default;
};

}  // namespace

// ---------------------------------------------------------------------------
// What open creates and what it refuses

TEST_CASE("a missing file with create_if_missing=false is NotFound and nothing is created") {
  TempDir dir;
  const fs::path path = dir.file("absent.db");
  Options options;
  options.create_if_missing = false;
  CHECK(open_error(path, options) == ErrorCode::NotFound);
  CHECK_FALSE(fs::exists(path));
  CHECK_FALSE(fs::exists(sibling(path, "-wal")));
  CHECK_FALSE(fs::exists(sibling(path, "-shm")));
  CHECK(entries(dir.path()).empty());
}

TEST_CASE("create_if_missing=false opens an existing journal") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  { Journal::open(path).create_run({.session_id = "s", .run_id = "r"}); }
  Options options;
  options.create_if_missing = false;
  Journal j = Journal::open(path, options);
  CHECK(j.run("r"));
}

TEST_CASE("a file that is not SQLite is NotAJournal and left byte-identical") {
  TempDir dir;
  std::mt19937 rng(42);
  std::string random(4096, '\0');
  for (char& c : random) c = static_cast<char>(rng() & 0xFF);
  const std::vector<std::pair<const char*, std::string>> files = {
      {"random bytes", random},
      {"a short text file", "hello, journal\n"},
      {"the SQLite magic followed by garbage", std::string("SQLite format 3\0", 16) + random},
  };
  for (const auto& [what, content] : files) {
    // A named copy: doctest's INFO captures in a lambda, and clang 14 cannot
    // capture a structured binding.
    const std::string what_name(what);
    INFO(what_name);
    const fs::path path = dir.file("not-a-journal");
    write_file(path, content);
    const std::optional<ErrorCode> code = open_error(path);
    if (content.rfind("SQLite", 0) == 0) {
      // Corrupt or NotAJournal are both fair for a broken SQLite header.
      CHECK((code == ErrorCode::NotAJournal || code == ErrorCode::Corrupt));
    } else {
      CHECK(code == ErrorCode::NotAJournal);
    }
    CHECK(Bytes{read_file(path)} == Bytes{content});
    CHECK_FALSE(fs::exists(sibling(path, "-wal")));
    fs::remove(path);
    fs::remove(sibling(path, "-shm"));
  }
}

TEST_CASE("a SQLite file with a foreign table is NotAJournal and left byte-identical") {
  TempDir dir;
  for (const char* table : {"notes", "events"}) {
    INFO("table " << table);
    const fs::path path = dir.file(std::string(table) + ".db");
    {
      SQLite::Database db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      db.exec(std::string("CREATE TABLE ") + table + " (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
      db.exec(std::string("INSERT INTO ") + table + " (body) VALUES ('hello')");
    }
    const Bytes before{read_file(path)};
    REQUIRE(!before.content.empty());
    CHECK(open_error(path) == ErrorCode::NotAJournal);
    CHECK(Bytes{read_file(path)} == before);
    CHECK_FALSE(fs::exists(sibling(path, "-wal")));
    CHECK_FALSE(fs::exists(sibling(path, "-shm")));
  }
}

TEST_CASE("a journal with a newer user_version is SchemaTooNew and left byte-identical") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  {
    Journal j = Journal::open(path, clocked());
    small_history(j);
  }
  {
    SQLite::Database db(path.string(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version = 999");
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  // Nothing pending in the WAL: the main file alone holds the new version
  // (the header's user_version is the big-endian int at offset 60).
  REQUIRE(read_file(sibling(path, "-wal")).empty());
  const Bytes before{read_file(path)};
  REQUIRE(before.content.size() > 64);
  REQUIRE(before.content.substr(60, 4) == std::string("\x00\x00\x03\xe7", 4));

  CHECK(open_error(path) == ErrorCode::SchemaTooNew);
  CHECK(open_error(path, clocked()) == ErrorCode::SchemaTooNew);
  CHECK(Bytes{read_file(path)} == before);
  CHECK(read_file(sibling(path, "-wal")).empty());
}

TEST_CASE("without create_if_missing an empty file is NotFound and stays empty") {
  TempDir dir;
  const fs::path empty = dir.file("empty.db");
  write_file(empty, "");
  CHECK(open_error(empty, {.create_if_missing = false}) == ErrorCode::NotFound);
  CHECK(fs::file_size(empty) == 0);
  CHECK_FALSE(fs::exists(sibling(empty, "-wal")));
  const fs::path empty_sqlite = dir.file("empty-sqlite.db");
  {
    SQLite::Database db(empty_sqlite.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE scratch (x INTEGER); DROP TABLE scratch;");
  }
  const Bytes before{read_file(empty_sqlite)};
  CHECK(open_error(empty_sqlite, {.create_if_missing = false}) == ErrorCode::NotFound);
  CHECK(Bytes{read_file(empty_sqlite)} == before);
}

TEST_CASE("an empty 0-byte file is initialised as a journal") {
  TempDir dir;
  const fs::path path = dir.file("empty.db");
  write_file(path, "");
  REQUIRE(fs::file_size(path) == 0);
  {
    Journal j = Journal::open(path, clocked());
    CHECK(j.last_position() == 0);
    CHECK(j.create_run({.session_id = "s", .run_id = "r"}).first_position == 1);
  }
  CHECK(raw_int(path, "PRAGMA application_id") == runjournal::detail::kApplicationId);
  CHECK(raw_int(path, "PRAGMA user_version") == runjournal::detail::latest_schema_version());
  CHECK(raw_text(path, "PRAGMA journal_mode") == "wal");
  CHECK(raw_int(path, "PRAGMA auto_vacuum") == 2);  // INCREMENTAL, as for a missing file
  Journal j = Journal::open(path);
  CHECK(j.run("r"));
}

TEST_CASE("an empty SQLite database (no tables) is initialised like a new journal") {
  TempDir dir;
  const fs::path path = dir.file("empty.db");
  {
    SQLite::Database db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE scratch (x INTEGER); DROP TABLE scratch;");
  }
  REQUIRE(fs::file_size(path) > 0);
  {
    Journal j = Journal::open(path, clocked());
    CHECK(j.create_run({.session_id = "s", .run_id = "r"}).first_position == 1);
  }
  CHECK(raw_int(path, "PRAGMA application_id") == runjournal::detail::kApplicationId);
  CHECK(raw_int(path, "PRAGMA user_version") == runjournal::detail::latest_schema_version());
  CHECK(raw_text(path, "PRAGMA journal_mode") == "wal");
  // Retention gives pages back with incremental_vacuum; a new journal needs it.
  CHECK(raw_int(path, "PRAGMA auto_vacuum") == 2);
}

TEST_CASE("a directory path is refused") {
  TempDir dir;
  const fs::path path = dir.file("a-directory");
  fs::create_directory(path);
  const std::optional<ErrorCode> code = open_error(path);
  CHECK((code == ErrorCode::NotAJournal || code == ErrorCode::Io));
  CHECK(fs::is_directory(path));
  CHECK(entries(path).empty());
  CHECK(entries(dir.path()) == std::vector<fs::path>{"a-directory"});
}

// ---------------------------------------------------------------------------
// Reopening, and bringing `runs` up to date at open

TEST_CASE("a reopened journal shows identical runs and events") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  std::vector<Run> runs;
  std::vector<Event> events;
  {
    Journal j = Journal::open(path, clocked());
    small_history(j);
    runs = j.runs({}, Page{.limit = SIZE_MAX});
    events = j.events_after(0, SIZE_MAX);
  }
  REQUIRE(runs.size() == 3);
  REQUIRE(events.size() == 7);
  Journal j = Journal::open(path, clocked());
  CHECK(j.runs({}, Page{.limit = SIZE_MAX}) == runs);
  CHECK(j.events_after(0, SIZE_MAX) == events);
  CHECK(j.run("alpha") == runs[0]);
  CHECK(j.events("bravo") == std::vector<Event>{events[4], events[5]});
  CHECK(j.last_position() == 7);
  CHECK(j.verify().ok());
}

TEST_CASE("opening an up-to-date journal reads no history: a tampered row survives and verify reports it") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  {
    Journal j = Journal::open(path, clocked());
    small_history(j);
  }
  raw_exec(path, "UPDATE runs SET status = 'failed' WHERE run_id = 'bravo'");
  Journal j = Journal::open(path, clocked());
  CHECK(j.run("bravo")->status == RunStatus::Failed);
  const runjournal::VerifyReport report = j.verify();
  CHECK_FALSE(report.ok());
  bool named = false;
  for (const std::string& p : report.problems) {
    named = named || (p.find("bravo") != std::string::npos && p.find("status") != std::string::npos);
  }
  CHECK(named);
}

TEST_CASE("a projector version change rebuilds runs exactly once") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  {
    Journal j = Journal::open(path, clocked());
    small_history(j);
  }
  raw_exec(path,
           "UPDATE journal_meta SET projector_version = 0; "
           "UPDATE runs SET status = 'cancelled', event_count = 99 WHERE run_id = 'bravo'");
  {
    Journal j = Journal::open(path, clocked());
    const Run b = *j.run("bravo");
    CHECK(b.status == RunStatus::Executing);
    CHECK(b.event_count == 2);
    CHECK(raw_int(path, "SELECT projector_version FROM journal_meta") == runjournal::detail::kProjectorVersion);
    CHECK(j.verify().ok());
  }
  raw_exec(path, "UPDATE runs SET status = 'cancelled' WHERE run_id = 'bravo'");
  Journal j = Journal::open(path, clocked());
  CHECK(j.run("bravo")->status == RunStatus::Cancelled);
}

TEST_CASE("open catches runs up with events written behind its back") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  {
    Journal j = Journal::open(path, clocked());
    j.create_run({.session_id = "s", .run_id = "other"});
    j.create_run({.session_id = "s", .run_id = "r"});
    j.append("r", "run_started");
  }
  // `other` is tampered too: a catch-up projects only the new events, so its
  // row is left alone (a full rebuild would have corrected it).
  raw_exec(path,
           "UPDATE runs SET status = 'verifying' WHERE run_id = 'other'; "
           "INSERT INTO events (position, run_id, seq, ts_ms, kind, payload, idempotency_key) "
           "VALUES (4, 'r', 3, 1700000009999, 'run_completed', '{\"result_text\":\"raw\"}', NULL)");
  {
    Journal j = Journal::open(path, clocked());
    CHECK(j.run("other")->status == RunStatus::Verifying);
  }
  raw_exec(path, "UPDATE runs SET status = 'created' WHERE run_id = 'other'");
  Journal j = Journal::open(path, clocked());
  const Run r = *j.run("r");
  CHECK(r.status == RunStatus::Completed);
  CHECK(r.result_text == "raw");
  CHECK(r.event_count == 3);
  CHECK(r.last_seq == 3);
  CHECK(r.last_position == 4);
  CHECK(r.updated_at_ms == 1700000009999);
  CHECK(r.finished_at_ms == 1700000009999);
  const runjournal::VerifyReport report = j.verify();
  CHECK(report.problems.empty());
  CHECK(report.events_checked == 4);
  CHECK(report.runs_checked == 2);
  CHECK(j.append("r", "note").position == 5);
}

// journal_meta's positions are lower bounds the writer refreshes now and
// then (docs/format.md); a catch-up from a stale one must not count events
// twice: it skips what each run's row already reflects.
TEST_CASE("a catch-up from a stale projected_position counts each event once") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  {
    Journal j = Journal::open(path, clocked());
    small_history(j);
  }
  std::map<std::string, std::int64_t> counts;
  for (const char* id : {"alpha", "bravo", "charlie"}) {
    counts[id] = raw_int(path, std::string("SELECT event_count FROM runs WHERE run_id = '") + id + "'");
  }
  // The stalest meta there can be, and one event inserted behind the
  // library's back, so that the newest event is not in its run's row.
  raw_exec(path,
           "UPDATE journal_meta SET projected_position = 0, last_position = 0; "
           "INSERT INTO events (position, run_id, seq, ts_ms, kind, payload, idempotency_key) "
           "VALUES (9, 'charlie', 2, 1700000009999, 'tool_called', '{}', NULL)");
  Journal j = Journal::open(path, clocked());
  CHECK(j.run("alpha")->event_count == counts["alpha"]);
  CHECK(j.run("bravo")->event_count == counts["bravo"]);
  CHECK(j.run("charlie")->event_count == counts["charlie"] + 1);
  CHECK(j.run("charlie")->last_position == 9);
  CHECK(raw_int(path, "SELECT projected_position FROM journal_meta") == 9);
  CHECK(j.verify().ok());
  CHECK(j.append("charlie", "note").position == 10);
}

TEST_CASE("a journal whose meta lags its events opens without a write or a catch-up") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  {
    Journal j = Journal::open(path, clocked());
    small_history(j);
  }
  // The writer does not rewrite journal_meta at every commit.
  REQUIRE(raw_int(path, "SELECT projected_position FROM journal_meta") <
          raw_int(path, "SELECT max(position) FROM events"));
  SQLite::Database holder(path.string(), SQLite::OPEN_READWRITE);
  holder.exec("BEGIN IMMEDIATE");  // an open that tried to write would wait, then fail
  Options options = clocked();
  options.busy_timeout = std::chrono::milliseconds(100);
  Journal j = Journal::open(path, options);
  CHECK(j.run("alpha")->status == RunStatus::Completed);
  holder.exec("ROLLBACK");
  CHECK(j.append("charlie", "note").position == 8);
}

TEST_CASE("opening an up-to-date journal needs no write lock") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  {
    Journal j = Journal::open(path, clocked());
    small_history(j);
  }
  SQLite::Database holder(path.string(), SQLite::OPEN_READWRITE);
  holder.exec("BEGIN IMMEDIATE");
  Options options = clocked();
  options.busy_timeout = std::chrono::milliseconds(100);
  std::optional<Journal> j;
  CHECK_NOTHROW(j.emplace(Journal::open(path, options)));
  REQUIRE(j);
  CHECK(j->runs().size() == 3);
  // Writing does need the lock: Busy once the wait runs out.
  std::optional<ErrorCode> code;
  try {
    j->append("bravo", "tool_called");
  } catch (const Error& e) {
    code = e.code();
  }
  CHECK(code == ErrorCode::Busy);
  holder.exec("ROLLBACK");
  CHECK(j->append("bravo", "tool_called").seq == 3);
}

TEST_CASE("append catches runs up with events written behind an open journal's back") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  Journal j = Journal::open(path, clocked());
  j.create_run({.session_id = "s", .run_id = "r"});
  j.append("r", "run_started");
  raw_exec(path,
           "INSERT INTO events (position, run_id, seq, ts_ms, kind, payload, idempotency_key) "
           "VALUES (3, 'r', 3, 1700000009999, 'planning_started', '{}', NULL)");
  const Event e = j.append("r", "tool_called");
  CHECK(e.seq == 4);
  CHECK(e.position == 4);
  const Run r = *j.run("r");
  CHECK(r.status == RunStatus::Planning);
  CHECK(r.event_count == 4);
  CHECK(j.verify().ok());
}

TEST_CASE("positions are never reused after retention removes every event and the journal is reopened") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  {
    Journal j = Journal::open(path, clocked());
    j.create_run({.session_id = "s", .run_id = "a"});
    j.append("a", "run_completed");
    j.create_run({.session_id = "s", .run_id = "b"});
    REQUIRE(j.append("b", "run_completed").position == 4);
    REQUIRE(j.prune({.finished_before_ms = std::numeric_limits<std::int64_t>::max()}).runs == 2);
  }
  Journal j = Journal::open(path, clocked());
  CHECK(j.last_position() == 0);
  const Run c = j.create_run({.session_id = "s", .run_id = "c"});
  CHECK(c.first_position > 4);
  CHECK(j.append("c", "tool_called").position > c.first_position);
}
