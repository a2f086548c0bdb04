// pg_connection_test.cpp — the libpq layer against a real server: connecting,
// statements and their parameters, reading results, transactions, pipelines.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pg_test_support.hpp"
#include "postgres/pipeline.hpp"
#include "postgres/transaction.hpp"

using runjournal::ErrorCode;
using namespace runjournal::pg;
using namespace rjpg_test;
using Clock = std::chrono::steady_clock;

namespace {

std::int64_t count_rows(Connection& c, const std::string& table) {
  const Result r = c.exec("SELECT count(*) AS n FROM " + table);
  return r.int64(0, r.column("n"));
}

}  // namespace

TEST_CASE("connect reaches the server and reports the session") {
  Connection c = Connection::connect(server_uri());
  CHECK(c.usable());
  CHECK(c.backend_pid() > 0);
  CHECK_FALSE(c.in_transaction());
  const Result r = c.exec("SELECT current_setting('client_encoding') AS enc, current_setting('application_name') AS app");
  CHECK(r.text(0, r.column("enc")) == "UTF8");
  CHECK(r.text(0, r.column("app")) == "runjournal");
}

TEST_CASE("an application_name in the URI wins over the default one") {
  Connection c = Connection::connect(with_parameter(server_uri(), "application_name", "probe-7"));
  const Result r = c.exec("SELECT current_setting('application_name') AS app");
  CHECK(r.text(0, r.column("app")) == "probe-7");
}

TEST_CASE("a server that accepts but never answers times out at the connect deadline") {
  // A listening Unix socket that nobody accepts on: the kernel completes the
  // connect, libpq sends its startup packet, and no answer ever comes.
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / unique_name("rjpg_silent");
  std::filesystem::create_directories(dir);
  const std::string path = (dir / ".s.PGSQL.5999").string();
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  REQUIRE(path.size() < sizeof addr.sun_path);
  path.copy(addr.sun_path, path.size());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  const auto start = Clock::now();
  const auto e = error_of([&] {
    Connection::connect("postgresql:///x?host=" + dir.string() + "&port=5999", {.connect_timeout = std::chrono::milliseconds(300)});
  });
  const auto waited = Clock::now() - start;
  ::close(fd);
  std::filesystem::remove_all(dir);
  REQUIRE(e);
  CHECK(e->code() == ErrorCode::TimedOut);
  CHECK(e->connection_lost());
  CHECK(waited >= std::chrono::milliseconds(250));
  CHECK(waited < std::chrono::milliseconds(2000));
}

TEST_CASE("no server at the address is an Io error at once") {
  const auto dir = std::filesystem::temp_directory_path() / unique_name("rjpg_nobody");
  std::filesystem::create_directories(dir);
  const auto e = error_of([&] { Connection::connect("postgresql:///x?host=" + dir.string() + "&port=5998"); });
  std::filesystem::remove_all(dir);
  REQUIRE(e);
  CHECK(e->code() == ErrorCode::Io);
  CHECK(e->connection_lost());
  CHECK(std::string(e->what()).find("connecting to PostgreSQL") != std::string::npos);
}

TEST_CASE("parameters: text, binary integers, NULL and optionals round-trip") {
  ScratchSchema s;
  Connection c = s.connect();
  c.exec("CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT, doc JSONB)");
  const std::string owned = "ünïcode ☃";
  const std::string_view view = std::string_view("a view, not terminated here").substr(0, 6);
  c.exec("INSERT INTO t (id, name, doc) VALUES ($1, $2, $3::jsonb)", {std::int64_t{-9'000'000'000'000}, owned, "{\"k\": [1, 2]}"});
  c.exec("INSERT INTO t (id, name, doc) VALUES ($1, $2, $3)", {7, view, std::nullopt});
  const std::optional<std::string> none;
  const std::optional<std::int64_t> some = 8;
  c.exec("INSERT INTO t (id, name) VALUES ($1, $2)", {some, none});
  const Result r = c.exec("SELECT id, name, doc FROM t ORDER BY id");
  REQUIRE(r.rows() == 3);
  const int id = r.column("id"), name = r.column("name"), doc = r.column("doc");
  CHECK(r.int64(0, id) == -9'000'000'000'000);
  CHECK(r.text(0, name) == owned);
  CHECK(r.text(0, doc) == "{\"k\": [1, 2]}");
  CHECK(r.int64(1, id) == 7);
  CHECK(r.text(1, name) == "a view");
  CHECK(r.is_null(1, doc));
  CHECK_FALSE(r.optional_text(2, name).has_value());
  CHECK(r.int64(2, id) == 8);
}

TEST_CASE("text holding a NUL byte is refused before anything is sent") {
  ScratchSchema s;
  Connection c = s.connect();
  c.exec("CREATE TABLE t (name TEXT)");
  const std::string with_nul("run\0id", 6);
  CHECK(code_of([&] { c.exec("INSERT INTO t (name) VALUES ($1)", {with_nul}); }) == ErrorCode::InvalidArgument);
  CHECK(count_rows(c, "t") == 0);
  CHECK(c.usable());
}

TEST_CASE("binary results read the same values as text results") {
  Connection c = Connection::connect(server_uri());
  const std::string sql =
      "SELECT 42::int2 AS a, -7::int4 AS b, 9007199254740993::int8 AS c, true AS d, 'txt'::text AS e, "
      "'{\"x\": 1}'::jsonb AS f, NULL::int8 AS g";
  for (Format format : {Format::Text, Format::Binary}) {
    CAPTURE(static_cast<int>(format));
    const Result r = c.exec(sql, {}, format);
    CHECK(r.int64(0, r.column("a")) == 42);
    CHECK(r.int64(0, r.column("b")) == -7);
    CHECK(r.int64(0, r.column("c")) == 9007199254740993);
    CHECK(r.boolean(0, r.column("d")));
    CHECK(r.text(0, r.column("e")) == "txt");
    CHECK(r.text(0, r.column("f")) == "{\"x\": 1}");
    CHECK_FALSE(r.optional_int64(0, r.column("g")).has_value());
  }
}

TEST_CASE("reading a value as what it is not is Corrupt, and names the column") {
  Connection c = Connection::connect(server_uri());
  const Result r = c.exec("SELECT 'abc'::text AS word, NULL::int8 AS nothing, 1.5::float8 AS real");
  CHECK(code_of([&] { (void)r.int64(0, r.column("word")); }) == ErrorCode::Corrupt);
  CHECK(code_of([&] { (void)r.int64(0, r.column("nothing")); }) == ErrorCode::Corrupt);
  CHECK(code_of([&] { (void)r.text(0, r.column("nothing")); }) == ErrorCode::Corrupt);
  CHECK(code_of([&] { (void)r.column("missing"); }) == ErrorCode::Corrupt);
  CHECK(code_of([&] { (void)r.text(1, 0); }) == ErrorCode::Corrupt);
  const Result b = c.exec("SELECT 1.5::float8 AS real", {}, Format::Binary);
  try {
    (void)b.int64(0, b.column("real"));
    FAIL("a binary float read as an integer");
  } catch (const runjournal::Error& e) {
    CHECK(e.code() == ErrorCode::Corrupt);
    CHECK(std::string(e.what()).find("real") != std::string::npos);
  }
}

TEST_CASE("several statements in one text run in order; the last one's rows come back") {
  ScratchSchema s;
  Connection c = s.connect();
  const Result r = c.exec("CREATE TABLE t (x INT); INSERT INTO t VALUES (1), (2); SELECT sum(x) AS total FROM t");
  CHECK(r.int64(0, r.column("total")) == 3);
  // A failing statement in the middle fails the whole implicit transaction.
  CHECK(code_of([&] { c.exec("INSERT INTO t VALUES (3); SELECT 1/0; INSERT INTO t VALUES (4)"); }) ==
        ErrorCode::InvalidArgument);
  CHECK(count_rows(c, "t") == 2);
}

TEST_CASE("COPY to or from the client is refused as InvalidArgument, and the connection stays in step") {
  ScratchSchema s;
  Connection c = s.connect();
  c.exec("CREATE TABLE t (x INT); INSERT INTO t VALUES (1), (2)");
  CHECK(code_of([&] { c.exec("COPY t TO STDOUT"); }) == ErrorCode::InvalidArgument);
  CHECK(code_of([&] { c.exec("COPY t FROM STDIN"); }) == ErrorCode::InvalidArgument);
  CHECK(code_of([&] { c.exec("COPY (SELECT x FROM t) TO STDOUT", {}); }) == ErrorCode::InvalidArgument);
  CHECK(c.usable());
  CHECK_FALSE(c.in_transaction());
  CHECK(count_rows(c, "t") == 2);
}

TEST_CASE("affected rows and command tags") {
  ScratchSchema s;
  Connection c = s.connect();
  c.exec("CREATE TABLE t (x INT)");
  CHECK(c.exec("INSERT INTO t SELECT generate_series(1, 5)").affected_rows() == 5);
  const Result u = c.exec("UPDATE t SET x = x + 1 WHERE x > $1", {3});
  CHECK(u.affected_rows() == 2);
  CHECK(u.command_status() == "UPDATE 2");
}

TEST_CASE("prepared statements run with parameters, and survive a reconnect") {
  ScratchSchema s;
  Connection c = s.connect();
  c.exec("CREATE TABLE t (id BIGINT PRIMARY KEY, v TEXT)");
  c.prepare("put", "INSERT INTO t (id, v) VALUES ($1, $2)");
  for (int i = 1; i <= 3; ++i) c.exec_prepared("put", {i, "v" + std::to_string(i)});
  CHECK(count_rows(c, "t") == 3);
  c.reconnect(std::chrono::seconds(5));
  c.exec_prepared("put", {4, "after"});
  CHECK(count_rows(c, "t") == 4);
  CHECK(code_of([&] { c.exec_prepared("nope", {}); }) == ErrorCode::InvalidArgument);
}

TEST_CASE("a transaction commits; its destructor rolls back what was not committed") {
  ScratchSchema s;
  Connection c = s.connect();
  c.exec("CREATE TABLE t (x INT)");
  {
    Transaction tx(c);
    c.exec("INSERT INTO t VALUES (1)");
    CHECK(c.in_transaction());
    tx.commit();
  }
  CHECK_FALSE(c.in_transaction());
  try {
    Transaction tx(c);
    c.exec("INSERT INTO t VALUES (2)");
    throw std::runtime_error("the caller's own failure");
  } catch (const std::runtime_error&) {
  }
  CHECK_FALSE(c.in_transaction());
  CHECK(count_rows(c, "t") == 1);
  Transaction outer(c);
  CHECK(code_of([&] { Transaction inner(c); }) == ErrorCode::InvalidArgument);
}

TEST_CASE("committing a transaction that failed throws, and nothing of it stays") {
  ScratchSchema s;
  Connection c = s.connect();
  c.exec("CREATE TABLE t (x INT PRIMARY KEY)");
  Transaction tx(c);
  c.exec("INSERT INTO t VALUES (1)");
  CHECK(code_of([&] { c.exec("INSERT INTO t VALUES (1)"); }) == ErrorCode::AlreadyExists);
  CHECK(c.transaction_failed());
  // Only ROLLBACK is accepted now; a COMMIT answers ROLLBACK without an error.
  CHECK(code_of([&] { c.exec("SELECT 1"); }) == ErrorCode::Io);
  CHECK(code_of([&] { tx.commit(); }) == ErrorCode::Io);
  CHECK_FALSE(c.in_transaction());
  CHECK(count_rows(c, "t") == 0);
}

TEST_CASE("a read-only transaction refuses writes with ReadOnly") {
  ScratchSchema s;
  Connection c = s.connect();
  c.exec("CREATE TABLE t (x INT)");
  Transaction tx(c, {.read_only = true});
  CHECK(code_of([&] { c.exec("INSERT INTO t VALUES (1)"); }) == ErrorCode::ReadOnly);
}

TEST_CASE("a pipeline runs a thousand inserts in one transaction and one round trip") {
  ScratchSchema s;
  Connection c = s.connect();
  c.exec("CREATE TABLE t (id BIGINT PRIMARY KEY, doc JSONB NOT NULL)");
  c.prepare("put", "INSERT INTO t (id, doc) VALUES ($1, $2::jsonb)");
  Transaction tx(c);
  {
    Pipeline p(c);
    for (int i = 1; i <= 1000; ++i) p.send_prepared("put", {i, "{\"i\": " + std::to_string(i) + "}"});
    p.send("SELECT count(*) AS n FROM t", {});
    CHECK(p.pending() == 1001);
    const std::vector<Result> results = p.sync();
    REQUIRE(results.size() == 1001);
    CHECK(results[0].affected_rows() == 1);
    CHECK(results[1000].int64(0, results[1000].column("n")) == 1000);
    // While the pipeline lives, the connection takes nothing else.
    CHECK(code_of([&] { c.exec("SELECT 1"); }) == ErrorCode::InvalidArgument);
  }
  tx.commit();
  CHECK(count_rows(c, "t") == 1000);
}

TEST_CASE("a pipeline that fails midway names the statement, and its transaction leaves nothing") {
  ScratchSchema s;
  Connection c = s.connect();
  c.exec("CREATE TABLE t (id BIGINT PRIMARY KEY)");
  {
    Transaction tx(c);
    Pipeline p(c);
    p.send("INSERT INTO t (id) VALUES ($1)", {1});
    p.send("INSERT INTO t (id) VALUES ($1)", {2});
    p.send("INSERT INTO t (id) VALUES ($1)", {1});
    p.send("INSERT INTO t (id) VALUES ($1)", {3});
    const auto e = error_of([&] { p.sync(); });
    REQUIRE(e);
    CHECK(e->code() == ErrorCode::AlreadyExists);
    CHECK(e->constraint() == "t_pkey");
    CHECK(std::string(e->what()).find("statement 3 of a pipeline of 4") != std::string::npos);
    CHECK(c.transaction_failed());
  }
  CHECK(c.usable());
  CHECK(count_rows(c, "t") == 0);
}

TEST_CASE("a pipeline bigger than both socket buffers neither stalls nor loses answers") {
  // 16 MB each way: a client that only wrote before reading would wait on a
  // server that waits on it.
  Connection c = Connection::connect(server_uri());
  c.set_client_timeout(std::chrono::seconds(30));
  const std::string blob(16 * 1024, 'x');
  Pipeline p(c);
  for (int i = 0; i < 1000; ++i) p.send("SELECT $1::text AS echo, $2::int8 AS i", {blob, i});
  const std::vector<Result> results = p.sync();
  REQUIRE(results.size() == 1000);
  CHECK(results[999].int64(0, results[999].column("i")) == 999);
  CHECK(results[500].text(0, results[500].column("echo")).size() == blob.size());
}
