// pg_migrations_test.cpp — the PostgreSQL migrations on empty, journal,
// foreign, newer and broken schemas; schema/postgresql.sql against the
// migrations, and against SQLite's schema/schema.sql.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sqlite3.h>

#include "pg_test_support.hpp"
#include "postgres/migrator.hpp"
#include "postgres/transaction.hpp"

using runjournal::ErrorCode;
using namespace runjournal::pg;
using namespace rjpg_test;

namespace {

const int kNewest = static_cast<int>(migrations().size());

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// One line per row, columns joined by " | ", the schema's name made neutral.
std::vector<std::string> lines(Connection& c, const std::string& sql, const std::string& schema) {
  const Result r = c.exec(sql);
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) {
    std::string line;
    for (int j = 0; j < r.columns(); ++j) {
      if (j > 0) line += " | ";
      line += r.is_null(i, j) ? "NULL" : std::string(r.text(i, j));
    }
    for (std::size_t at; (at = line.find(schema + ".")) != std::string::npos;) line.replace(at, schema.size() + 1, "S.");
    out.push_back(line);
  }
  return out;
}

// Everything that makes a schema what it is, as text.
std::vector<std::string> describe(Connection& c, const std::string& schema) {
  std::vector<std::string> all;
  for (const char* sql : {
           "SELECT table_name, ordinal_position, column_name, data_type, is_nullable, column_default, collation_name "
           "FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
           "SELECT cl.relname, co.conname, pg_get_constraintdef(co.oid) FROM pg_constraint AS co "
           "JOIN pg_class AS cl ON cl.oid = co.conrelid JOIN pg_namespace AS n ON n.oid = cl.relnamespace "
           "WHERE n.nspname = current_schema() ORDER BY cl.relname, co.conname",
           "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname",
           "SELECT viewname, definition FROM pg_views WHERE schemaname = current_schema() ORDER BY viewname"}) {
    for (std::string& line : lines(c, sql, schema)) all.push_back(std::move(line));
  }
  return all;
}

// Lines as one text, so a failing comparison prints what differs.
std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

std::int64_t one(Connection& c, const std::string& sql) {
  const Result r = c.exec(sql);
  return r.int64(0, 0);
}

}  // namespace

TEST_CASE("an empty schema gets every migration, in order, each recorded once") {
  ScratchSchema s;
  Connection c = s.connect();
  CHECK(inspect(c).version == 0);
  CHECK(inspect(c).schema == s.name());
  const MigrationOutcome m = migrate(c);
  CHECK(m.from_version == 0);
  CHECK(m.to_version == kNewest);
  const Result r = c.exec("SELECT version, name FROM journal_migrations ORDER BY version");
  REQUIRE(r.rows() == kNewest);
  for (int i = 0; i < kNewest; ++i) {
    CHECK(r.int64(i, r.column("version")) == i + 1);
    CHECK(r.text(i, r.column("name")) == migrations()[static_cast<std::size_t>(i)].name);
  }
  const Result meta = c.exec("SELECT singleton, journal_id, last_position, compatible_version FROM journal_meta");
  REQUIRE(meta.rows() == 1);
  CHECK(meta.text(0, meta.column("journal_id")).size() == 32);
  CHECK(meta.int64(0, meta.column("last_position")) == 0);
  CHECK(meta.int64(0, meta.column("compatible_version")) == 1);
}

TEST_CASE("migrating a current journal again applies nothing and changes nothing") {
  ScratchSchema s;
  Connection c = s.connect();
  migrate(c);
  const std::vector<std::string> before = lines(c, "SELECT version, applied_at_ms FROM journal_migrations ORDER BY version", s.name());
  const MigrationOutcome again = migrate(c);
  CHECK(again.from_version == kNewest);
  CHECK(again.to_version == kNewest);
  CHECK(joined(lines(c, "SELECT version, applied_at_ms FROM journal_migrations ORDER BY version", s.name())) == joined(before));
}

TEST_CASE("a migration run a second time by hand fails whole and leaves the journal as it was") {
  ScratchSchema s;
  Connection c = s.connect();
  migrate(c);
  const std::vector<std::string> before = describe(c, s.name());
  for (const Migration& m : migrations()) {
    CAPTURE(m.name);
    Transaction tx(c);
    const auto e = error_of([&] { c.exec(m.sql); });
    REQUIRE(e);
    CHECK(e->code() == ErrorCode::InvalidArgument);  // 42P07, 42701: the table, index or column exists
    CHECK(e->sqlstate().substr(0, 2) == "42");
  }
  CHECK(joined(describe(c, s.name())) == joined(before));
  CHECK(one(c, "SELECT count(*) FROM journal_meta") == 1);
  CHECK(inspect(c).version == kNewest);
}

TEST_CASE("a schema that holds something else is not a journal, and is left untouched") {
  ScratchSchema s;
  Connection c = s.connect();
  c.exec("CREATE TABLE events (id SERIAL PRIMARY KEY, what TEXT); INSERT INTO events (what) VALUES ('theirs')");
  const std::vector<std::string> before = describe(c, s.name());
  try {
    migrate(c);
    FAIL("migrated a foreign schema");
  } catch (const runjournal::Error& error) {
    CHECK(error.code() == ErrorCode::NotAJournal);
    CHECK(std::string(error.what()).find("events") != std::string::npos);
    CHECK(std::string(error.what()).find(s.name()) != std::string::npos);
  }
  CHECK(joined(describe(c, s.name())) == joined(before));
  CHECK(one(c, "SELECT count(*) FROM events") == 1);
}

TEST_CASE("a journal migrated by a newer runjournal is SchemaTooNew, and is left untouched") {
  ScratchSchema s;
  Connection c = s.connect();
  migrate(c);
  c.exec("INSERT INTO journal_migrations (version, name, applied_at_ms) VALUES ($1, '9999_from_the_future', 0)",
         {kNewest + 1});
  const std::vector<std::string> before = describe(c, s.name());
  CHECK(inspect(c).version == kNewest + 1);
  CHECK(code_of([&] { migrate(c); }) == ErrorCode::SchemaTooNew);
  CHECK(joined(describe(c, s.name())) == joined(before));
}

TEST_CASE("bookkeeping that skips a version, renames one or is empty is Corrupt") {
  ScratchSchema s;
  Connection c = s.connect();
  migrate(c);
  c.exec("UPDATE journal_migrations SET name = '0002_something_else' WHERE version = 2");
  CHECK(code_of([&] { inspect(c); }) == ErrorCode::Corrupt);
  c.exec("UPDATE journal_migrations SET name = '0002_views' WHERE version = 2");
  CHECK(inspect(c).version == kNewest);
  c.exec("DELETE FROM journal_migrations WHERE version = 3");
  CHECK(code_of([&] { migrate(c); }) == ErrorCode::Corrupt);
  c.exec("DELETE FROM journal_migrations");
  CHECK(code_of([&] { migrate(c); }) == ErrorCode::Corrupt);
}

TEST_CASE("a migration that fails leaves the schema at the last whole version") {
  ScratchSchema s;
  Connection c = s.connect();
  std::vector<Migration> list(migrations().begin(), migrations().end());
  list.push_back({kNewest + 1, "0099_broken", "CREATE TABLE half_made (x INT); SELEC garbage"});
  CHECK(code_of([&] { migrate(c, list); }) == ErrorCode::InvalidArgument);
  CHECK(inspect(c).version == kNewest);
  CHECK(one(c, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'half_made'") == 0);
}

TEST_CASE("hosts that migrate a new journal at once apply each migration exactly once") {
  ScratchSchema s;
  std::vector<std::thread> hosts;
  std::vector<MigrationOutcome> outcomes(4);
  std::vector<std::string> failures(4);
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    hosts.emplace_back([&, i] {
      try {
        Connection c = s.connect();
        outcomes[i] = migrate(c);
      } catch (const std::exception& e) {
        failures[i] = e.what();
      }
    });
  }
  for (std::thread& t : hosts) t.join();
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    CAPTURE(failures[i]);
    CHECK(failures[i].empty());
    CHECK(outcomes[i].to_version == kNewest);
  }
  Connection c = s.connect();
  CHECK(one(c, "SELECT count(*) FROM journal_migrations") == kNewest);
  CHECK(one(c, "SELECT count(*) FROM journal_meta") == 1);
}

TEST_CASE("a search_path that names no existing schema is InvalidArgument") {
  Connection c = Connection::connect(with_parameter(server_uri(), "options", "-csearch_path=rjt_no_such_schema"));
  CHECK(code_of([&] { inspect(c); }) == ErrorCode::InvalidArgument);
}

TEST_CASE("schema/postgresql.sql builds the schema the migrations build") {
  ScratchSchema migrated;
  ScratchSchema documented;
  Connection a = migrated.connect();
  Connection b = documented.connect();
  migrate(a);
  b.exec(read_file(RUNJOURNAL_SOURCE_DIR "/schema/postgresql.sql"));
  const std::vector<std::string> from_migrations = describe(a, migrated.name());
  const std::vector<std::string> from_doc = describe(b, documented.name());
  CHECK(from_migrations.size() > 60);
  CHECK(joined(from_migrations) == joined(from_doc));
}

TEST_CASE("the tables and columns are SQLite's, in the same order, with matching types and nullability") {
  // A relation's columns: (name, SQLite's declared type, NOT NULL); views
  // declare neither in a way both share, so theirs are names only.
  using Columns = std::vector<std::string>;  // "name TYPE [NOT NULL]" each
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(":memory:", &db) == SQLITE_OK);
  char* message = nullptr;
  const std::string sqlite_schema = read_file(RUNJOURNAL_SOURCE_DIR "/schema/schema.sql");
  REQUIRE_MESSAGE(sqlite3_exec(db, sqlite_schema.c_str(), nullptr, nullptr, &message) == SQLITE_OK,
                  (message != nullptr ? message : ""));
  std::map<std::string, Columns> lite;
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT m.name AS relation, m.type AS kind, p.name AS col, p.type AS type, "
                             "p.\"notnull\" AS not_null FROM sqlite_master AS m, pragma_table_info(m.name) AS p "
                             "WHERE m.type IN ('table', 'view') ORDER BY m.name, p.cid",
                             -1, &stmt, nullptr) == SQLITE_OK);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    const auto text = [&](int i) { return std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, i))); };
    const bool is_table = text(1) == "table";
    lite[text(0)].push_back(text(2) + " " + (is_table ? text(3) : "") +
                            (is_table && sqlite3_column_int(stmt, 4) != 0 ? " NOT NULL" : ""));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);

  ScratchSchema s;
  Connection c = s.connect();
  migrate(c);
  const Result r = c.exec(
      "SELECT col.table_name, col.column_name, col.data_type, col.is_nullable, t.table_type "
      "FROM information_schema.columns AS col JOIN information_schema.tables AS t "
      "ON t.table_schema = col.table_schema AND t.table_name = col.table_name "
      "WHERE col.table_schema = current_schema() AND col.table_name <> 'journal_migrations' "
      "ORDER BY col.table_name, col.ordinal_position");
  const std::vector<std::string> json = {"payload", "inputs", "outputs", "metadata", "checkpoint"};
  std::map<std::string, Columns> pg;
  for (int i = 0; i < r.rows(); ++i) {
    const std::string table(r.text(i, r.column("table_name")));
    const std::string column(r.text(i, r.column("column_name")));
    const std::string type(r.text(i, r.column("data_type")));
    const bool is_table = r.text(i, r.column("table_type")) == "BASE TABLE";
    std::string declared;
    if (is_table) {
      CAPTURE(table);
      CAPTURE(column);
      const bool is_json = std::find(json.begin(), json.end(), column) != json.end();
      CHECK(is_json == (type == "jsonb"));
      if (type == "bigint" || type == "integer") declared = "INTEGER";
      if (type == "text" || type == "jsonb") declared = "TEXT";
      CHECK_FALSE(declared.empty());
    }
    pg[table].push_back(column + " " + declared + (is_table && r.text(i, r.column("is_nullable")) == "NO" ? " NOT NULL" : ""));
  }
  CHECK(pg.size() == lite.size());
  // Not a structured binding: clang 14 cannot capture one in CAPTURE's lambda.
  for (const auto& entry : lite) {
    const std::string& table = entry.first;
    CAPTURE(table);
    REQUIRE(pg.count(table) == 1);
    CHECK(joined(pg.at(table)) == joined(entry.second));
  }
}
