// json_limits_test: hostile JSON — nesting deep enough to overflow a stack
// or to break SQLite's JSON functions, numbers past a double, null
// payloads — is refused with a typed error before anything is written, on
// every path: parse_json, a payload built in memory, run inputs, imports,
// stored text, and the SQL gate's parsing of computed columns.
#include <doctest/doctest.h>

#include <cstddef>
#include <sstream>
#include <string>

#include <SQLiteCpp/Database.h>

#include <runjournal/journal.hpp>
#include <runjournal/json.hpp>

#include "sqlite_file.hpp"
#include "test_support.hpp"

using nlohmann::json;
using runjournal::ErrorCode;
using runjournal::Journal;
using runjournal::test::code_of;
using runjournal::test::Files;
using runjournal::test::files_of;
using runjournal::test::message_of;
using runjournal::test::TempDir;

namespace {

// {"a":{"a":…1…}} nested `depth` objects deep, as text.
std::string nested_text(std::size_t depth) {
  std::string text;
  for (std::size_t i = 0; i < depth; ++i) text += "{\"a\":";
  text += "1";
  text.append(depth, '}');
  return text;
}

// The same value built in memory (no parser involved, and no copy: nlohmann
// copies recursively).
json nested_value(std::size_t depth) {
  json root = 1;
  json* leaf = &root;
  for (std::size_t i = 0; i < depth; ++i) {
    *leaf = json::object();
    leaf = &(*leaf)["a"];
    *leaf = 1;
  }
  return root;
}

bool sqlite_accepts(std::size_t depth) {
  SQLite::Database db(":memory:");
  SQLite::Statement stmt(db, "SELECT json_valid(?)");
  stmt.bind(1, std::string(depth, '[') + std::string(depth, ']'));
  stmt.executeStep();
  return stmt.getColumn(0).getInt() == 1;
}

}  // namespace

TEST_CASE("the default depth limit is exactly what the linked SQLite's JSON functions accept") {
  const std::size_t limit = runjournal::sqlite_json_max_depth();
  CHECK(limit >= 100);
  CHECK(sqlite_accepts(limit));
  CHECK_FALSE(sqlite_accepts(limit + 1));
  TempDir dir;
  CHECK(Journal::open(dir.file("j.db")).max_json_depth() == limit);
}

TEST_CASE("parse_json refuses nesting past its limit, however deep, without recursing") {
  CHECK(runjournal::parse_json(nested_text(5), 5) == nested_value(5));
  CHECK(code_of([] { runjournal::parse_json(nested_text(6), 5); }) == ErrorCode::InvalidArgument);
  CHECK(message_of([] { runjournal::parse_json(nested_text(6), 5, "PAYLOAD"); }).find("limit of 5") !=
        std::string::npos);
  // Deep enough to overflow the stack of a recursive parser or serialiser.
  CHECK(code_of([] { runjournal::parse_json(nested_text(200'000), 2000); }) == ErrorCode::InvalidArgument);
  CHECK(code_of([] { runjournal::parse_json(std::string(1'000'000, '['), 2000); }) == ErrorCode::InvalidArgument);
  // Arrays count as objects do.
  CHECK(runjournal::parse_json("[[[]]]", 3) == json::array({json::array({json::array()})}));
  CHECK(code_of([] { runjournal::parse_json("[[[[]]]]", 3); }) == ErrorCode::InvalidArgument);
}

TEST_CASE("parse_json turns every parser failure into InvalidArgument naming what and where") {
  for (const char* text : {"{\"a\":", "{'a':1}", "1e999", "-1e999", "[888800000703947656073e60156]", "",
                           "{\"a\":1} trailing", "\"\xff\"", "{\"a\":\"\xc0\xaf\"}"}) {
    INFO(text);
    const std::string message = message_of([&] { runjournal::parse_json(text, 100, "PAYLOAD"); });
    CHECK(code_of([&] { runjournal::parse_json(text, 100, "PAYLOAD"); }) == ErrorCode::InvalidArgument);
    CHECK(message.rfind("PAYLOAD is not valid JSON", 0) == 0);
    CHECK(message.find("json.exception") == std::string::npos);
  }
  CHECK(message_of([] { runjournal::parse_json("1e999", 100, "PAYLOAD"); }).find("overflow") != std::string::npos);
  // A repeated key keeps the last value, as JSON parsers commonly do.
  CHECK(runjournal::parse_json(R"({"a":1,"a":2})", 10) == json{{"a", 2}});
}

TEST_CASE("a payload built in memory deeper than the limit is refused and nothing is written") {
  TempDir dir;
  const auto path = dir.file("j.db");
  runjournal::Options options;
  options.max_json_depth = 50;
  Journal j = Journal::open(path, options);
  j.create_run({.session_id = "s", .run_id = "r"});
  const Files before = files_of(path);
  // The payload object itself is level 1: nested_value(50) is 50 deep.
  CHECK(j.append("r", "deep", nested_value(50)).seq == 2);
  const Files after_ok = files_of(path);
  for (std::size_t depth : {51u, 52u, 100'000u}) {
    INFO(depth);
    CHECK(code_of([&] { j.append("r", "deep", nested_value(depth)); }) == ErrorCode::InvalidArgument);
    // (Built without an initializer list, whose elements would be copied.)
    std::vector<runjournal::NewEvent> batch;
    batch.push_back({.run_id = "r", .kind = "deep", .payload = nested_value(depth)});
    CHECK(code_of([&] { j.append_batch(batch); }) == ErrorCode::InvalidArgument);
    CHECK(code_of([&] { j.append_batch(std::move(batch)); }) == ErrorCode::InvalidArgument);
    CHECK(files_of(path) == after_ok);
  }
  CHECK(message_of([&] { j.append("r", "deep", nested_value(51)); }).find("limit of 50") != std::string::npos);
  // Run inputs and metadata sit one level down in run_created's payload.
  CHECK(code_of([&] { j.create_run({.session_id = "s", .run_id = "deep", .inputs = nested_value(50)}); }) ==
        ErrorCode::InvalidArgument);
  CHECK(j.create_run({.session_id = "s", .run_id = "ok", .inputs = nested_value(49)}).inputs == nested_value(49));
  CHECK_FALSE(j.run("deep"));
  CHECK(before != files_of(path));
}

TEST_CASE("a stored payload at the default limit stays queryable by SQLite's JSON functions") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"));
  const std::size_t limit = j.max_json_depth();
  j.create_run({.session_id = "s", .run_id = "r"});
  j.append("r", "deep", nested_value(limit));
  CHECK(code_of([&] { j.append("r", "deep", nested_value(limit + 1)); }) == ErrorCode::InvalidArgument);
  const runjournal::SqlResult result =
      j.sql("SELECT count(*) AS n, sum(json_valid(payload)) AS valid FROM events");
  CHECK(result.rows.at(0).at(0).integer == 2);
  CHECK(result.rows.at(0).at(1).integer == 2);
  CHECK(j.verify().ok());
}

TEST_CASE("max_json_depth outside 1 … the SQLite limit is refused at open") {
  TempDir dir;
  for (std::size_t depth : {std::size_t{0}, runjournal::sqlite_json_max_depth() + 1}) {
    runjournal::Options options;
    options.max_json_depth = depth;
    CHECK(code_of([&] { Journal::open(dir.file("j.db"), options); }) == ErrorCode::InvalidArgument);
  }
  CHECK_FALSE(std::filesystem::exists(dir.file("j.db")));
}

TEST_CASE("a null payload is an empty object, as nlohmann's {} is null") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"));
  j.create_run({.session_id = "s", .run_id = "r"});
  CHECK(j.append("r", "note", {}).payload == json::object());
  CHECK(j.append("r", "note", nullptr).payload == json::object());
  CHECK(j.append_batch({{.run_id = "r", .kind = "note", .payload = nullptr}}).at(0).payload == json::object());
  CHECK(j.events("r").back().payload == json::object());
  CHECK(j.sql("SELECT payload FROM events WHERE seq = 2").rows.at(0).at(0).text == "{}");
}

TEST_CASE("an import line nested past the limit is refused naming its line, and nothing is imported") {
  TempDir dir;
  runjournal::Options options;
  options.max_json_depth = 20;
  std::string good;
  {
    Journal source = Journal::open(dir.file("source.db"));
    source.create_run({.session_id = "s", .run_id = "a"});
    source.records([&](const runjournal::RunRecord& r) { good = runjournal::record_to_line(r); });
  }
  Journal j = Journal::open(dir.file("j.db"), options);
  std::istringstream in(good + "\n" + nested_text(100'000) + "\n");
  const std::string message = message_of([&] { j.import_records(in); });
  CHECK(message.find("line 2") != std::string::npos);
  CHECK(message.find("limit") != std::string::npos);
  CHECK(j.runs().empty());
}

TEST_CASE("stored text nested past anything runjournal writes reads as Corrupt, and replays without fields") {
  TempDir dir;
  const auto path = dir.file("j.db");
  {
    Journal j = Journal::open(path);
    j.create_run({.session_id = "s", .run_id = "r"});
    j.append("r", "checkpoint_saved", {{"checkpoint_id", "cp"}});
  }
  runjournal::test::raw_exec(path, "UPDATE events SET payload = '{\"checkpoint_id\":\"cp\",\"x\":' || "
                                   "printf('%.*c', 9000, '[') || printf('%.*c', 9000, ']') || '}' WHERE seq = 2");
  Journal j = Journal::open(path, {.read_only = true});
  CHECK(code_of([&] { j.events("r"); }) == ErrorCode::Corrupt);
}

TEST_CASE("the SQL gate leaves computed text too deep to hold as text") {
  TempDir dir;
  Journal j = Journal::open(dir.file("j.db"));
  const runjournal::SqlResult deep =
      j.sql("SELECT printf('%.*c', 100000, '[') || printf('%.*c', 100000, ']') AS deep");
  CHECK(deep.rows.at(0).at(0).type == runjournal::SqlValue::Type::Text);
  const runjournal::SqlResult shallow = j.sql("SELECT json_array(1, json_array(2)) AS shallow");
  CHECK(shallow.rows.at(0).at(0).type == runjournal::SqlValue::Type::Json);
}
