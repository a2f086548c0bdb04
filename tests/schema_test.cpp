// schema_test: migrations/ and schema/schema.sql describe the same database,
// and every column in schema.sql carries a comment.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <runjournal/journal.hpp>

#include "sqlite/connection.hpp"
#include "sqlite/migrations.hpp"
#include "sqlite/migrator.hpp"
#include "test_support.hpp"

using runjournal::test::TempDir;

namespace {

std::string schema_sql() {
  return runjournal::test::read_file(std::string(RUNJOURNAL_SOURCE_DIR) + "/schema/schema.sql");
}

// The SQL of one schema object with comments dropped and white space folded,
// so that a commented schema.sql and a terse migration compare equal.
std::string normalise(const std::string& sql) {
  std::string no_comments = std::regex_replace(sql, std::regex("--[^\n]*"), "");
  std::string out;
  bool space = false;
  for (char c : no_comments) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = true;
      continue;
    }
    if (space && !out.empty() && std::string("(),").find(c) == std::string::npos &&
        std::string("(,").find(out.back()) == std::string::npos) {
      out += ' ';
    }
    space = false;
    out += c;
  }
  return out;
}

struct SchemaObject {
  std::string type, name, table, sql;
  bool operator==(const SchemaObject&) const = default;
};

std::vector<SchemaObject> objects(SQLite::Database& db) {
  SQLite::Statement stmt(db,
                         "SELECT type, name, tbl_name, coalesce(sql, '') AS sql FROM sqlite_schema "
                         "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name");
  std::vector<SchemaObject> out;
  while (stmt.executeStep()) {
    out.push_back({stmt.getColumn("type").getString(), stmt.getColumn("name").getString(),
                   stmt.getColumn("tbl_name").getString(), normalise(stmt.getColumn("sql").getString())});
  }
  return out;
}

std::vector<std::string> columns(SQLite::Database& db, const std::string& table) {
  SQLite::Statement stmt(db, "SELECT name FROM pragma_table_xinfo(?) ORDER BY cid");
  stmt.bind(1, table);
  std::vector<std::string> out;
  while (stmt.executeStep()) out.push_back(stmt.getColumn("name").getString());
  return out;
}

}  // namespace

TEST_CASE("the migrations build exactly the schema in schema/schema.sql") {
  TempDir dir;
  SQLite::Database migrated(dir.file("migrated.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  runjournal::detail::migrate(migrated);
  SQLite::Database documented(dir.file("documented.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  documented.exec(schema_sql());

  const auto from_migrations = objects(migrated);
  const auto from_schema = objects(documented);
  REQUIRE(from_migrations.size() == from_schema.size());
  for (std::size_t i = 0; i < from_migrations.size(); ++i) {
    INFO("object: " << from_migrations[i].name);
    CHECK(from_migrations[i] == from_schema[i]);
  }
  for (const auto& object : from_migrations) {
    if (object.type != "table") continue;
    CHECK(columns(migrated, object.name) == columns(documented, object.name));
  }
}

TEST_CASE("every table and column in schema.sql has a comment") {
  TempDir dir;
  SQLite::Database db(dir.file("documented.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  const std::string text = schema_sql();
  db.exec(text);
  std::istringstream lines(text);
  std::vector<std::string> all;
  for (std::string line; std::getline(lines, line);) all.push_back(line);
  for (const auto& object : objects(db)) {
    if (object.type != "table") continue;
    for (const std::string& column : columns(db, object.name)) {
      INFO("column " << object.name << "." << column);
      const std::regex declared("^\\s+" + column + "\\s+[A-Z].*--\\s*\\S");
      CHECK(std::any_of(all.begin(), all.end(), [&](const std::string& l) { return std::regex_search(l, declared); }));
    }
    // The line before CREATE TABLE is a comment.
    auto it = std::find_if(all.begin(), all.end(), [&](const std::string& l) {
      return l.rfind("CREATE TABLE " + object.name + " (", 0) == 0;
    });
    REQUIRE(it != all.end());
    REQUIRE(it != all.begin());
    CHECK((it - 1)->rfind("--", 0) == 0);
  }
}

TEST_CASE("a migrated file carries the journal's application_id and the latest user_version") {
  TempDir dir;
  { runjournal::Journal::open(dir.file("j.db")); }
  SQLite::Database db(dir.file("j.db").string());
  SQLite::Statement app(db, "PRAGMA application_id");
  REQUIRE(app.executeStep());
  CHECK(app.getColumn(0).getInt64() == runjournal::detail::kApplicationId);
  SQLite::Statement version(db, "PRAGMA user_version");
  REQUIRE(version.executeStep());
  CHECK(version.getColumn(0).getInt() == runjournal::detail::latest_schema_version());
  CHECK(runjournal::detail::latest_schema_version() == static_cast<int>(runjournal::detail::migrations().size()));
  SQLite::Statement vacuum(db, "PRAGMA auto_vacuum");
  REQUIRE(vacuum.executeStep());
  CHECK(vacuum.getColumn(0).getInt() == 2);  // INCREMENTAL
  SQLite::Statement mode(db, "PRAGMA journal_mode");
  REQUIRE(mode.executeStep());
  CHECK(mode.getColumn(0).getString() == "wal");
}

TEST_CASE("migrations are numbered 1, 2, 3 … without gaps") {
  int expected = 1;
  for (const auto& m : runjournal::detail::migrations()) CHECK(m.version == expected++);
}
