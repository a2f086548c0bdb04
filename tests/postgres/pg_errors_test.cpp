// pg_errors_test.cpp — every SQLSTATE class the layer maps, provoked on a
// real server, becomes the runjournal ErrorCode docs/postgresql.md names;
// retryable failures are retried, others not.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "pg_test_support.hpp"
#include "postgres/transaction.hpp"

using runjournal::ErrorCode;
using namespace runjournal::pg;
using namespace rjpg_test;

namespace {

// The error `sql` raises on `c`: its SQLSTATE and code.
DatabaseError failure(Connection& c, const std::string& sql) {
  auto e = error_of([&] { c.exec(sql); });
  if (!e) FAIL("no error from: " << sql);
  return *e;
}

// Waits until the session `pid` is waiting for a lock.
void await_lock_wait(Connection& observer, int pid) {
  for (int i = 0; i < 500; ++i) {
    const Result r = observer.exec("SELECT count(*) AS n FROM pg_locks WHERE pid = $1 AND NOT granted", {pid});
    if (r.int64(0, r.column("n")) > 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL("session " << pid << " never waited for a lock");
}

}  // namespace

TEST_CASE("the SQLSTATE table: codes, retries, ends of session") {
  struct Row {
    const char* state;
    ErrorCode code;
    bool retryable;
    bool ends_session;
  };
  const Row rows[] = {
      {"23505", ErrorCode::AlreadyExists, false, false},  {"23502", ErrorCode::InvalidArgument, false, false},
      {"40001", ErrorCode::Busy, true, false},            {"40P01", ErrorCode::Busy, true, false},
      {"55P03", ErrorCode::Busy, true, false},            {"53300", ErrorCode::Busy, true, false},
      {"57014", ErrorCode::TimedOut, false, false},       {"25P03", ErrorCode::TimedOut, false, true},
      {"25006", ErrorCode::ReadOnly, false, false},       {"42501", ErrorCode::ReadOnly, false, false},
      {"22P02", ErrorCode::InvalidArgument, false, false}, {"42601", ErrorCode::InvalidArgument, false, false},
      {"54000", ErrorCode::InvalidArgument, false, false}, {"0A000", ErrorCode::InvalidArgument, false, false},
      {"26000", ErrorCode::InvalidArgument, false, false}, {"28P01", ErrorCode::InvalidArgument, false, false},
      {"3D000", ErrorCode::NotFound, false, false},       {"3F000", ErrorCode::NotFound, false, false},
      {"XX001", ErrorCode::Corrupt, false, false},        {"XX002", ErrorCode::Corrupt, false, false},
      {"XX000", ErrorCode::Io, false, false},             {"53100", ErrorCode::Io, false, false},
      {"58030", ErrorCode::Io, false, false},             {"08006", ErrorCode::Io, false, true},
      {"08001", ErrorCode::Io, false, true},              {"57P01", ErrorCode::Io, false, true},
      {"57P02", ErrorCode::Io, false, true},              {"57P03", ErrorCode::Io, false, true},
      {"57P05", ErrorCode::Io, false, true},              {"ZZ999", ErrorCode::Io, false, false},
      {"", ErrorCode::Io, false, false},                  {"4000", ErrorCode::Io, false, false},
  };
  for (const Row& row : rows) {
    CAPTURE(row.state);
    CHECK(error_code_for_sqlstate(row.state) == row.code);
    CHECK(sqlstate_retryable(row.state) == row.retryable);
    CHECK(sqlstate_ends_session(row.state) == row.ends_session);
  }
}

TEST_CASE("integrity violations: a taken key is AlreadyExists with its constraint, the rest InvalidArgument") {
  ScratchSchema s;
  Connection c = s.connect();
  c.exec("CREATE TABLE parent (id INT PRIMARY KEY);"
         "CREATE TABLE t (id INT CONSTRAINT t_key PRIMARY KEY, kind TEXT NOT NULL CHECK (kind <> ''),"
         "                parent INT REFERENCES parent (id));"
         "INSERT INTO t (id, kind) VALUES (1, 'a')");
  const DatabaseError unique = failure(c, "INSERT INTO t (id, kind) VALUES (1, 'b')");
  CHECK(unique.code() == ErrorCode::AlreadyExists);
  CHECK(unique.sqlstate() == "23505");
  CHECK(unique.constraint() == "t_key");
  CHECK_FALSE(unique.retryable());
  CHECK(std::string(unique.what()).find("SQLSTATE 23505") != std::string::npos);
  CHECK(failure(c, "INSERT INTO t (id, kind) VALUES (2, NULL)").sqlstate() == "23502");
  const DatabaseError check = failure(c, "INSERT INTO t (id, kind) VALUES (2, '')");
  CHECK(check.sqlstate() == "23514");
  CHECK(check.code() == ErrorCode::InvalidArgument);
  const DatabaseError foreign = failure(c, "INSERT INTO t (id, kind, parent) VALUES (3, 'c', 9)");
  CHECK(foreign.sqlstate() == "23503");
  CHECK(foreign.code() == ErrorCode::InvalidArgument);
  CHECK(c.usable());
}

TEST_CASE("data exceptions are InvalidArgument: bad JSON, NUL in jsonb, overflow, division by zero") {
  Connection c = Connection::connect(server_uri());
  for (const char* sql : {"SELECT '{\"a\": '::jsonb", "SELECT '{\"a\": \"\\u0000\"}'::jsonb",
                          "SELECT 9223372036854775807::int8 + 1", "SELECT 1 / 0"}) {
    CAPTURE(sql);
    const DatabaseError e = failure(c, sql);
    CHECK(e.sqlstate().substr(0, 2) == "22");
    CHECK(e.code() == ErrorCode::InvalidArgument);
  }
  CHECK(failure(c, "SELECT '{\"a\": \"\\u0000\"}'::jsonb").sqlstate() == "22P05");
}

TEST_CASE("bad statements are InvalidArgument: syntax, unknown names, limits, unsupported features") {
  ScratchSchema s;
  Connection c = s.connect();
  c.exec("CREATE TABLE t (x INT)");
  CHECK(failure(c, "SELEC 1").sqlstate() == "42601");
  CHECK(failure(c, "SELECT x FROM missing_table").sqlstate() == "42P01");
  CHECK(failure(c, "SELECT missing_column FROM t").sqlstate() == "42703");
  CHECK(failure(c, "SELECT no_such_function(1)").sqlstate() == "42883");
  CHECK(failure(c, "SELECT repeat('x', 1073741824)").sqlstate() == "54000");
  CHECK(failure(c, "SELECT count(*) FROM t FOR UPDATE").sqlstate() == "0A000");
  for (const char* sql : {"SELEC 1", "SELECT x FROM missing_table", "SELECT repeat('x', 1073741824)",
                          "SELECT count(*) FROM t FOR UPDATE"}) {
    CHECK(failure(c, sql).code() == ErrorCode::InvalidArgument);
  }
}

TEST_CASE("a missing database or schema named in a statement is NotFound") {
  Connection c = Connection::connect(server_uri());
  const DatabaseError db = failure(c, "DROP DATABASE " + unique_name("rjt_no_such_database"));
  CHECK(db.sqlstate() == "3D000");
  CHECK(db.code() == ErrorCode::NotFound);
  const DatabaseError schema = failure(c, "CREATE TABLE " + unique_name("rjt_no_such_schema") + ".t (x INT)");
  CHECK(schema.sqlstate() == "3F000");
  CHECK(schema.code() == ErrorCode::NotFound);
}

TEST_CASE("writes refused for read-only sessions and for roles without the right are ReadOnly") {
  ScratchSchema s;
  Connection c = s.connect();
  c.exec("CREATE TABLE t (x INT)");
  c.exec("SET default_transaction_read_only = on");
  const DatabaseError ro = failure(c, "INSERT INTO t VALUES (1)");
  CHECK(ro.sqlstate() == "25006");
  CHECK(ro.code() == ErrorCode::ReadOnly);
  c.exec("SET default_transaction_read_only = off");
  const std::string role = unique_name("rjt_reader");
  c.exec("CREATE ROLE " + role + " NOLOGIN; GRANT USAGE ON SCHEMA " + s.name() + " TO " + role +
         "; GRANT SELECT ON t TO " + role);
  c.exec("SET ROLE " + role);
  CHECK(c.exec("SELECT count(*) AS n FROM t").int64(0, 0) == 0);
  const DatabaseError denied = failure(c, "INSERT INTO t VALUES (1)");
  CHECK(denied.sqlstate() == "42501");
  CHECK(denied.code() == ErrorCode::ReadOnly);
  c.exec("RESET ROLE; DROP OWNED BY " + role + "; DROP ROLE " + role);
}

TEST_CASE("a serialisation failure is Busy and retryable") {
  ScratchSchema s;
  Connection a = s.connect();
  Connection b = s.connect();
  a.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT); INSERT INTO t VALUES (1, 0)");
  Transaction tx(a, {.isolation = Isolation::RepeatableRead});
  a.exec("SELECT v FROM t WHERE id = 1");  // takes the snapshot
  b.exec("UPDATE t SET v = 5 WHERE id = 1");
  const DatabaseError e = failure(a, "UPDATE t SET v = 6 WHERE id = 1");
  CHECK(e.sqlstate() == "40001");
  CHECK(e.code() == ErrorCode::Busy);
  CHECK(e.retryable());
  CHECK_FALSE(e.connection_lost());
}

TEST_CASE("a deadlock's victim gets Busy, retryable, and the other transaction goes on") {
  ScratchSchema s;
  Connection a = s.connect();
  Connection b = s.connect();
  Connection observer = s.connect();
  a.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT); INSERT INTO t VALUES (1, 0), (2, 0)");
  // b detects the deadlock (its timeout is the shorter), so b is the victim.
  a.exec("SET deadlock_timeout = '10s'");
  b.exec("SET deadlock_timeout = '50ms'");
  Transaction ta(a);
  Transaction tb(b);
  a.exec("UPDATE t SET v = 1 WHERE id = 1");
  b.exec("UPDATE t SET v = 2 WHERE id = 2");
  std::optional<DatabaseError> a_error;
  std::thread other([&] { a_error = error_of([&] { a.exec("UPDATE t SET v = 1 WHERE id = 2"); }); });
  await_lock_wait(observer, a.backend_pid());
  const auto b_error = error_of([&] { b.exec("UPDATE t SET v = 2 WHERE id = 1"); });
  tb.rollback();  // releases b's locks, so a's update goes through
  other.join();
  REQUIRE(b_error);
  CHECK(b_error->sqlstate() == "40P01");
  CHECK(b_error->code() == ErrorCode::Busy);
  CHECK(b_error->retryable());
  CHECK_FALSE(a_error);
  ta.commit();
  CHECK(a.exec("SELECT v FROM t WHERE id = 2").int64(0, 0) == 1);
}

TEST_CASE("a lock wait past lock_timeout is Busy and retryable") {
  ScratchSchema s;
  Connection a = s.connect();
  Connection b = s.connect();
  a.exec("CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1)");
  Transaction tx(a);
  a.exec("SELECT id FROM t WHERE id = 1 FOR UPDATE");
  b.exec("SET lock_timeout = '100ms'");
  const DatabaseError e = failure(b, "SELECT id FROM t WHERE id = 1 FOR UPDATE");
  CHECK(e.sqlstate() == "55P03");
  CHECK(e.code() == ErrorCode::Busy);
  CHECK(e.retryable());
}

TEST_CASE("with_retries retries a serialisation failure and nothing else") {
  ScratchSchema s;
  Connection a = s.connect();
  Connection b = s.connect();
  a.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT); INSERT INTO t VALUES (1, 0)");
  int attempts = 0;
  const std::int64_t seen = with_retries(5, [&] {
    ++attempts;
    Transaction tx(a, {.isolation = Isolation::RepeatableRead});
    const std::int64_t v = a.exec("SELECT v FROM t WHERE id = 1").int64(0, 0);
    if (attempts == 1) b.exec("UPDATE t SET v = v + 10 WHERE id = 1");  // a concurrent writer, once
    a.exec("UPDATE t SET v = $1 WHERE id = 1", {v + 1});
    tx.commit();
    return v;
  });
  CHECK(attempts == 2);
  CHECK(seen == 10);
  CHECK(a.exec("SELECT v FROM t WHERE id = 1").int64(0, 0) == 11);

  attempts = 0;
  CHECK(code_of([&] {
          with_retries(5, [&] {
            ++attempts;
            a.exec("INSERT INTO t (id, v) VALUES (1, 0)");
          });
        }) == ErrorCode::AlreadyExists);
  CHECK(attempts == 1);
}
