// postgres_target.cpp — the PostgreSQL backend's make_target(): a journal is
// a schema, so a target is a schema of its own on the server the PostgreSQL
// suites use (tests/postgres: RUNJOURNAL_TEST_PG_URI, else the URI in the
// file RUNJOURNAL_TEST_PG_URI_FILE names, which the pg_cluster ctest fixture
// writes), created empty here and dropped with everything in it when the
// target dies. The location is the server's URI with search_path set to that
// schema, which is where the backend puts the journal (docs/postgresql.md,
// "Where a journal lives").
//
// What is stored is every row of every table in the schema, each with its
// xmin (the transaction that wrote that version of the row), read in one
// snapshot in a fixed order: tables by name, columns by number, rows by
// primary key. So any committed write shows, even one that wrote a row back
// unchanged (the SQLite target's bytes of the file and its WAL show that
// too), and a rolled-back one does not.
//
// The target speaks libpq directly rather than through the library's
// PostgreSQL layer, so that this run, like every conformance run, is built
// without the library's private headers on its include path.
#include <libpq-fe.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "backend_fixture.hpp"

namespace runjournal::conformance {
namespace {

std::string server_uri() {
  if (const char* direct = std::getenv("RUNJOURNAL_TEST_PG_URI"); direct != nullptr && *direct != '\0') {
    return direct;
  }
  const char* file = std::getenv("RUNJOURNAL_TEST_PG_URI_FILE");
  if (file == nullptr || *file == '\0') {
    throw std::runtime_error(
        "no PostgreSQL server for conformance_postgres: set RUNJOURNAL_TEST_PG_URI, or run it through ctest, "
        "whose pg_cluster fixture starts one");
  }
  std::ifstream in(file);
  std::string line;
  if (!std::getline(in, line) || line.empty()) {
    throw std::runtime_error(std::string("no server URI in ") + file + " (did the pg_cluster_start fixture run?)");
  }
  return line;
}

std::string percent_encoded(const std::string& value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

// One result, cleared when it goes; a failed statement throws.
class Rows {
 public:
  Rows(PGconn* conn, const std::string& sql, const std::vector<std::string>& params = {}) {
    std::vector<const char*> values;
    for (const std::string& p : params) values.push_back(p.c_str());
    result_ = PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                           nullptr, 0);
    const ExecStatusType status = PQresultStatus(result_);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      const std::string message = PQerrorMessage(conn);
      PQclear(result_);
      throw std::runtime_error("postgres_target: " + sql + ": " + message);
    }
  }
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  ~Rows() { PQclear(result_); }

  int rows() const { return PQntuples(result_); }
  int columns() const { return PQnfields(result_); }
  bool null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }
  std::string text(int row, int column) const {
    return {PQgetvalue(result_, row, column), static_cast<std::size_t>(PQgetlength(result_, row, column))};
  }
  std::string text(int row, const char* column) const { return text(row, PQfnumber(result_, column)); }

 private:
  PGresult* result_ = nullptr;
};

// The target's schema and the connection that made it, reads it for
// stored() and drops it at the end. stored() may be called from any of a
// test's threads: one at a time on the one connection.
class Schema {
 public:
  explicit Schema(std::string name) : name_(std::move(name)) {
    conn_ = PQconnectdb(server_uri().c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string message = PQerrorMessage(conn_);
      PQfinish(conn_);
      throw std::runtime_error("postgres_target: cannot reach the server: " + message);
    }
    try {
      // No waiting for ever on a journal's lock when dropping; no notices printed.
      Rows(conn_, "SET lock_timeout = '10s'");
      Rows(conn_, "SET client_min_messages = warning");
      Rows(conn_, "CREATE SCHEMA " + name_);
    } catch (...) {
      PQfinish(conn_);
      throw;
    }
  }
  Schema(const Schema&) = delete;
  Schema& operator=(const Schema&) = delete;
  ~Schema() {
    // A destructor's catch: a test that left its schema locked has failed
    // already, and the fixture's cluster is removed after the run anyway.
    try {
      Rows(conn_, "DROP SCHEMA " + name_ + " CASCADE");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s\n", e.what());
    }
    PQfinish(conn_);
  }

  const std::string& name() const { return name_; }

  Stored stored() {
    const std::lock_guard<std::mutex> lock(mutex_);
    Rows(conn_, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    std::string out;
    try {
      const Rows tables(
          conn_,
          "SELECT c.relname AS table_name, "
          "string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) AS column_list, "
          "coalesce((SELECT string_agg(quote_ident(k.attname), ', ' ORDER BY array_position(i.indkey::int2[], "
          "k.attnum)) FROM pg_index i JOIN pg_attribute k ON k.attrelid = i.indrelid AND k.attnum = ANY (i.indkey) "
          "WHERE i.indrelid = c.oid AND i.indisprimary), '') AS key_list "
          "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
          "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
          "WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') "
          "GROUP BY c.oid, c.relname ORDER BY c.relname",
          {name_});
      for (int t = 0; t < tables.rows(); ++t) {
        const std::string table = tables.text(t, "table_name");
        const std::string columns = tables.text(t, "column_list");
        std::string key = tables.text(t, "key_list");
        if (key.empty()) key = columns;  // no primary key: every column orders the rows
        out += "table " + table + " (" + columns + ")\n";
        const Rows rows(conn_, "SELECT xmin::text AS row_xmin, " + columns + " FROM " + name_ + "." +
                                   quoted_identifier(table) + " ORDER BY " + key);
        for (int r = 0; r < rows.rows(); ++r) {
          for (int c = 0; c < rows.columns(); ++c) {
            // Length-prefixed, so that no two rows of values give the same bytes.
            out += rows.null(r, c) ? std::string("N") : std::to_string(rows.text(r, c).size()) + ":" + rows.text(r, c);
            out += c + 1 < rows.columns() ? '\t' : '\n';
          }
        }
      }
    } catch (...) {
      PQclear(PQexec(conn_, "ROLLBACK"));
      throw;
    }
    Rows(conn_, "COMMIT");
    return Stored{out};
  }

 private:
  std::string quoted_identifier(const std::string& identifier) {
    char* quoted = PQescapeIdentifier(conn_, identifier.c_str(), identifier.size());
    if (quoted == nullptr) throw std::runtime_error("postgres_target: " + std::string(PQerrorMessage(conn_)));
    std::string out(quoted);
    PQfreemem(quoted);
    return out;
  }

  std::string name_;
  PGconn* conn_ = nullptr;
  std::mutex mutex_;
};

// rjc_<name>_<pid>_<n>: unique across the processes and calls running now;
// `name` kept to the characters an unquoted identifier may hold.
std::string schema_name(std::string_view name) {
  static std::atomic<int> counter{0};
  std::string word;
  for (unsigned char c : name) word += std::isalnum(c) != 0 ? static_cast<char>(std::tolower(c)) : '_';
  return "rjc_" + word + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter.fetch_add(1));
}

struct Resources {
  runjournal::test::TempDir dir;
  Schema schema;
  explicit Resources(std::string name) : schema(std::move(name)) {}
};

}  // namespace

Target make_target(std::string_view name) {
  auto resources = std::make_shared<Resources>(schema_name(name));
  const std::filesystem::path scratch = resources->dir.file(std::string(name) + "-scratch");
  std::filesystem::create_directory(scratch);
  return Target{
      .backend = std::string(kBackend),
      .location = server_uri() + (server_uri().find('?') == std::string::npos ? "?" : "&") +
                  "options=" + percent_encoded("-csearch_path=" + resources->schema.name()),
      .scratch = scratch,
      .stored = [resources] { return resources->schema.stored(); },
      .resources = resources,
  };
}

}  // namespace runjournal::conformance
