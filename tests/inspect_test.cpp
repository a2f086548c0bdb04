// inspect_test: read-only SQL, the views and the docs/sql.md cookbook,
// statistics and the space retention gives back — what the SQLite backend
// offers beyond the journal's own API (journal.hpp, inspect.hpp). Records
// out and in, prune and follow are conformance tests (tests/conformance).
#include <doctest/doctest.h>

#include <cstdio>
#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include <runjournal/journal.hpp>
#include <runjournal/json.hpp>

#include "conformance/histories.hpp"
#include "sqlite_file.hpp"
#include "test_support.hpp"

namespace {

using nlohmann::json;
using runjournal::ErrorCode;
using runjournal::Journal;
using runjournal::SqlValue;
using runjournal::test::known_journal;
using runjournal::test::TempDir;

// known_journal's first time, and a fresh StepClock's: 2023-11-14T22:13:20.000Z.
constexpr std::int64_t kStart = runjournal::test::StepClock{}.next;

// Unix ms as the views show them: 2023-11-14T22:13:20.000Z.
std::string iso(std::int64_t ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> when{milliseconds{ms}};
  const sys_days day = floor<days>(when);
  const year_month_day date{day};
  const hh_mm_ss<milliseconds> t{when - day};
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ldZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<long>(t.hours().count()), static_cast<long>(t.minutes().count()),
                static_cast<long>(t.seconds().count()), static_cast<long>(t.subseconds().count()));
  return text;
}

ErrorCode sql_error(const Journal& j, const std::string& query) {
  try {
    j.sql(query);
  } catch (const runjournal::Error& e) {
    return e.code();
  }
  FAIL("query was not refused: " << query);
  return ErrorCode::Io;
}

}  // namespace

TEST_CASE("sql refuses every write, ATTACH, VACUUM, transactions, state pragmas and extensions; the file is unchanged") {
  TempDir dir;
  Journal j = known_journal(dir.file("j.db"));
  const runjournal::test::Files before = runjournal::test::files_of(dir.file("j.db"));
  const std::vector<std::string> refused = {
      "INSERT INTO events (position, run_id, seq, ts_ms, kind, payload) VALUES (99, 'x', 1, 1, 'k', '{}')",
      "UPDATE runs SET status = 'failed'",
      "DELETE FROM events",
      "WITH x AS (SELECT 1) DELETE FROM runs",
      "CREATE TABLE t (x)",
      "CREATE TEMP TABLE t (x)",
      "CREATE VIEW v AS SELECT 1",
      "CREATE INDEX i ON events (kind)",
      "DROP TABLE events",
      "DROP VIEW runs_readable",
      "ALTER TABLE runs ADD COLUMN x",
      "ATTACH DATABASE '" + dir.file("other.db").string() + "' AS other",
      "DETACH DATABASE main",
      "VACUUM",
      "VACUUM INTO '" + dir.file("copy.db").string() + "'",
      "BEGIN",
      "BEGIN IMMEDIATE",
      "COMMIT",
      "ROLLBACK",
      "SAVEPOINT s",
      "RELEASE s",
      "REINDEX",
      "ANALYZE",
      "PRAGMA writable_schema = ON",
      "PRAGMA journal_mode = DELETE",
      "PRAGMA user_version = 99",
      "PRAGMA application_id = 1",
      "PRAGMA query_only = OFF",
      "PRAGMA auto_vacuum = NONE",
      "PRAGMA wal_checkpoint(TRUNCATE)",
      "PRAGMA incremental_vacuum",
      "SELECT load_extension('/nonexistent')",
      "SELECT 1; SELECT 2",
      "SELECT 1; DELETE FROM events",
      "",
      "-- only a comment",
  };
  for (const std::string& query : refused) {
    INFO("query: " << query);
    CHECK(sql_error(j, query) == ErrorCode::InvalidArgument);
  }
  CHECK(runjournal::test::files_of(dir.file("j.db")) == before);
  CHECK_FALSE(std::filesystem::exists(dir.file("other.db")));
  CHECK_FALSE(std::filesystem::exists(dir.file("copy.db")));
  CHECK(j.last_position() == 11);
}

TEST_CASE("sql allows reads, introspection pragmas and a trailing comment") {
  TempDir dir;
  Journal j = known_journal(dir.file("j.db"));
  CHECK(j.sql("SELECT count(*) AS n FROM events; -- all of them").rows.at(0).at(0).integer == 11);
  CHECK(j.sql("PRAGMA table_info(runs)").rows.size() >= 19);
  CHECK(j.sql("PRAGMA user_version").rows.at(0).at(0).integer >= 2);
  CHECK(j.sql("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100) SELECT sum(x) FROM c")
            .rows.at(0)
            .at(0)
            .integer == 5050);
}

TEST_CASE("a runaway query is stopped by the time limit") {
  TempDir dir;
  Journal j = known_journal(dir.file("j.db"));
  const auto start = std::chrono::steady_clock::now();
  try {
    j.sql("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
          {.timeout = std::chrono::milliseconds(200)});
    FAIL("the endless query returned");
  } catch (const runjournal::Error& e) {
    CHECK(e.code() == ErrorCode::TimedOut);
    CHECK(std::string(e.what()).find("time limit") != std::string::npos);
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
}

TEST_CASE("sql returns typed values and JSON columns as JSON") {
  TempDir dir;
  Journal j = known_journal(dir.file("j.db"));
  const runjournal::SqlResult r = j.sql(
      "SELECT position, payload, 1.5 AS half, NULL AS nil, x'00ff' AS bytes, 'plain' AS word, "
      "json_object('a', 1) AS made FROM events WHERE position = 3");
  REQUIRE(r.columns == std::vector<std::string>{"position", "payload", "half", "nil", "bytes", "word", "made"});
  REQUIRE(r.rows.size() == 1);
  const auto& row = r.rows[0];
  CHECK(row[0].type == SqlValue::Type::Integer);
  CHECK(row[0].integer == 3);
  CHECK(row[1].type == SqlValue::Type::Json);
  CHECK(row[1].json.at("args").at("q") == "sqlite");
  CHECK(row[2].type == SqlValue::Type::Real);
  CHECK(row[2].real == 1.5);
  CHECK(row[3].type == SqlValue::Type::Null);
  CHECK(row[4].type == SqlValue::Type::Blob);
  CHECK(row[4].text == std::string("\x00\xff", 2));
  CHECK(row[5].type == SqlValue::Type::Text);
  CHECK(row[6].type == SqlValue::Type::Json);
  CHECK(row[6].json == json{{"a", 1}});
  // A prompt is text even when it looks like JSON.
  j.create_run({.session_id = "s9", .prompt = "[1, 2]", .run_id = "run-json-prompt"});
  CHECK(j.sql("SELECT prompt FROM runs WHERE run_id = 'run-json-prompt'").rows.at(0).at(0).type ==
        SqlValue::Type::Text);
}

TEST_CASE("runs_readable shows ISO times and durations") {
  TempDir dir;
  Journal j = known_journal(dir.file("j.db"));
  const auto r = j.sql(
      "SELECT v.run_id, v.created_at, v.finished_at, v.duration_s, v.status, r.created_at_ms, r.finished_at_ms "
      "FROM runs_readable AS v JOIN runs AS r USING (run_id) ORDER BY v.first_position");
  REQUIRE(r.rows.size() == 3);
  CHECK(r.rows[0][1].text == "2023-11-14T22:13:20.000Z");
  CHECK(r.rows[0][1].text == iso(r.rows[0][5].integer));
  CHECK(r.rows[0][2].text == iso(r.rows[0][6].integer));
  CHECK(r.rows[0][3].real == doctest::Approx(static_cast<double>(r.rows[0][6].integer - r.rows[0][5].integer) / 1000.0));
  CHECK(r.rows[0][3].real > 0);
  CHECK(r.rows[2][2].type == SqlValue::Type::Null);  // run-c is live
  CHECK(r.rows[2][3].type == SqlValue::Type::Null);
}

TEST_CASE("events_timeline shows each event's time; runs_stuck lists only live runs quiet for ten minutes") {
  TempDir dir;
  Journal j = known_journal(dir.file("j.db"));
  const auto timeline = j.sql(
      "SELECT t.position, t.time, t.kind, e.ts_ms FROM events_timeline AS t JOIN events AS e USING (position) "
      "WHERE t.run_id = 'run-b' ORDER BY t.seq");
  REQUIRE(timeline.rows.size() == 3);
  CHECK(timeline.rows[0][1].text == iso(timeline.rows[0][3].integer));
  CHECK(timeline.rows[0][1].text.rfind("2023-11-14T22:13:20.", 0) == 0);
  CHECK(timeline.rows[2][2].text == "run_failed");
  // A live run with a fresh event (the system clock) is not stuck.
  Journal fresh = Journal::open(dir.file("j.db"));
  fresh.create_run({.session_id = "s3", .run_id = "run-fresh"});
  const auto stuck = j.sql("SELECT run_id, status, quiet_s FROM runs_stuck ORDER BY run_id");
  REQUIRE(stuck.rows.size() == 1);
  CHECK(stuck.rows[0][0].text == "run-c");
  CHECK(stuck.rows[0][2].integer > 600);
}

TEST_CASE("every query in docs/sql.md runs and returns the rows it promises") {
  TempDir dir;
  Journal j = known_journal(dir.file("j.db"));
  const std::string doc = runjournal::test::read_file(std::string(RUNJOURNAL_SOURCE_DIR) + "/docs/sql.md");
  const std::regex block("```sql\n([\\s\\S]*?)```");
  const std::regex promise("-- test journal: ([0-9]+) rows");
  int queries = 0;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), block); it != std::sregex_iterator(); ++it) {
    const std::string query = (*it)[1];
    INFO("query: " << query);
    std::smatch expected;
    REQUIRE(std::regex_search(query, expected, promise));
    const runjournal::SqlResult result = j.sql(query);
    CHECK(result.rows.size() == std::stoul(expected[1]));
    ++queries;
  }
  CHECK(queries >= 12);
}

TEST_CASE("stats reports the known journal's figures") {
  TempDir dir;
  Journal j = known_journal(dir.file("j.db"));
  const runjournal::JournalStats s = j.stats();
  CHECK(s.runs == 3);
  CHECK(s.runs_by_status.at("completed") == 1);
  CHECK(s.runs_by_status.at("failed") == 1);
  CHECK(s.runs_by_status.at("executing") == 1);
  CHECK(s.runs_by_status.at("cancelled") == 0);
  CHECK(s.runs_by_status.size() == 8);
  CHECK(s.events == 11);
  CHECK(s.first_position == 1);
  CHECK(s.last_position == 11);
  CHECK(s.assigned_position == 11);
  CHECK(s.file_bytes == static_cast<std::int64_t>(std::filesystem::file_size(dir.file("j.db"))));
  CHECK(s.page_size > 0);
  CHECK(s.page_count > 0);
  CHECK(s.schema_version >= 2);
  CHECK(s.projector_version >= 1);
  CHECK(s.sqlite_version == std::string(runjournal::sqlite_version()));
}

TEST_CASE("stats as JSON carries every field under its name, and free_bytes") {
  TempDir dir;
  Journal j = known_journal(dir.file("j.db"));
  const runjournal::JournalStats s = j.stats();
  const json out = runjournal::to_json(s);
  CHECK(out.size() == 17);
  CHECK(out.at("path") == s.path);
  CHECK(out.at("journal_id") == s.journal_id);
  CHECK(out.at("runs_by_status").at("completed") == 1);
  CHECK(out.at("runs_by_status").size() == 8);
  CHECK(out.at("runs") == 3);
  CHECK(out.at("events") == 11);
  CHECK(out.at("first_position") == 1);
  CHECK(out.at("last_position") == 11);
  CHECK(out.at("assigned_position") == 11);
  CHECK(out.at("file_bytes") == s.file_bytes);
  CHECK(out.at("wal_bytes") == s.wal_bytes);
  CHECK(out.at("page_size") == s.page_size);
  CHECK(out.at("page_count") == s.page_count);
  CHECK(out.at("free_pages") == s.free_pages);
  CHECK(out.at("free_bytes") == s.free_pages * s.page_size);
  CHECK(out.at("schema_version") == s.schema_version);
  CHECK(out.at("projector_version") == s.projector_version);
  CHECK(out.at("sqlite_version") == s.sqlite_version);
}

TEST_CASE("prune gives freed pages back to the file system") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"), runjournal::test::clocked());
  const std::string big(4000, 'x');
  for (int i = 0; i < 50; ++i) {
    const std::string id = "run-" + std::to_string(i);
    j.create_run({.session_id = "s", .run_id = id});
    j.append(id, "tool_called", {{"blob", big}});
    j.append(id, "run_completed");
  }
  const std::int64_t pages_before = j.stats().page_count;
  const runjournal::PruneReport report = j.prune({.finished_before_ms = kStart + 1'000'000});
  CHECK(report.runs == 50);
  CHECK(report.pages_freed > 0);
  CHECK(j.stats().free_pages == 0);
  CHECK(j.stats().page_count < pages_before);
}

TEST_CASE("parse_cutoff reads ISO-8601 times and ages, and refuses anything else") {
  const std::int64_t now = kStart;
  CHECK(runjournal::parse_cutoff("30d", now) == now - 30LL * 86'400'000);
  CHECK(runjournal::parse_cutoff("12h", now) == now - 12LL * 3'600'000);
  CHECK(runjournal::parse_cutoff("15m", now) == now - 15LL * 60'000);
  CHECK(runjournal::parse_cutoff("2023-11-14T22:13:20Z", 0) == kStart);
  CHECK(runjournal::parse_cutoff("2023-11-14T22:13:20.250Z", 0) == kStart + 250);
  CHECK(runjournal::parse_cutoff("2023-11-15T00:13:20+02:00", 0) == kStart);
  CHECK(runjournal::parse_cutoff("2023-11-14", 0) == kStart - (22 * 3600 + 13 * 60 + 20) * 1000LL);
  for (const char* bad : {"", "30", "d", "30x", "2023-13-01", "2023-02-30", "yesterday", "2023-11-14T25:00Z"}) {
    INFO("cut-off: " << bad);
    CHECK_THROWS_AS(runjournal::parse_cutoff(bad, now), runjournal::Error);
  }
}
