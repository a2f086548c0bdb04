// pg_session_test.cpp — what happens to a session: the server ends it
// (pg_terminate_backend), a statement runs past a limit, the server stops
// answering; and LISTEN/NOTIFY waking a waiter, at commit only.
#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <stdexcept>
#include <string>
#include <thread>

#include <sys/types.h>

#include "pg_test_support.hpp"
#include "postgres/transaction.hpp"

using runjournal::ErrorCode;
using namespace runjournal::pg;
using namespace rjpg_test;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

// Ends session `pid` from another connection and waits until it is gone.
void terminate(int pid) {
  Connection admin = Connection::connect(server_uri());
  const Result r = admin.exec("SELECT pg_terminate_backend($1::int, 5000) AS gone", {pid});
  // Not REQUIRE: this also runs on threads, where a doctest failure could not unwind.
  if (!r.boolean(0, r.column("gone"))) throw std::runtime_error("session " + std::to_string(pid) + " outlived its end");
}

}  // namespace

TEST_CASE("a session ended by the server is Io, connection lost, retryable; reconnect gives a new one") {
  Connection c = Connection::connect(server_uri());
  const int old_pid = c.backend_pid();
  terminate(old_pid);
  const auto e = error_of([&] { c.exec("SELECT 1"); });
  REQUIRE(e);
  CHECK(e->code() == ErrorCode::Io);
  CHECK(e->connection_lost());
  CHECK(e->retryable());
  CHECK_FALSE(c.usable());
  // Later calls fail the same way, without touching the dead socket.
  CHECK(code_of([&] { c.exec("SELECT 1"); }) == ErrorCode::Io);
  c.reconnect(std::chrono::seconds(5));
  CHECK(c.usable());
  CHECK(c.backend_pid() != old_pid);
  CHECK(c.exec("SELECT 41 + 1 AS n").int64(0, 0) == 42);
}

TEST_CASE("a session ended inside a transaction loses the transaction whole") {
  ScratchSchema s;
  Connection c = s.connect();
  c.exec("CREATE TABLE t (x INT)");
  {
    Transaction tx(c);
    c.exec("INSERT INTO t VALUES (1), (2)");
    terminate(c.backend_pid());
    const auto e = error_of([&] { tx.commit(); });
    REQUIRE(e);
    CHECK(e->connection_lost());
  }
  Connection check = s.connect();
  CHECK(check.exec("SELECT count(*) AS n FROM t").int64(0, 0) == 0);
}

TEST_CASE("statement_timeout stops a statement with TimedOut and keeps the session, across reconnects") {
  Connection c = Connection::connect(server_uri());
  c.set_statement_timeout(milliseconds(100));
  const auto start = Clock::now();
  const auto e = error_of([&] { c.exec("SELECT pg_sleep(5)"); });
  CHECK(Clock::now() - start < milliseconds(2000));
  REQUIRE(e);
  CHECK(e->code() == ErrorCode::TimedOut);
  CHECK(e->sqlstate() == "57014");
  CHECK_FALSE(e->connection_lost());
  CHECK(c.exec("SELECT 1 AS one").int64(0, 0) == 1);
  c.reconnect(std::chrono::seconds(5));
  CHECK(c.exec("SHOW statement_timeout").text(0, 0) == "100ms");
}

TEST_CASE("the client timeout cancels a statement the server is slow to answer") {
  Connection c = Connection::connect(server_uri());
  c.set_client_timeout(milliseconds(200));
  const auto start = Clock::now();
  const auto e = error_of([&] { c.exec("SELECT pg_sleep(5)"); });
  const auto waited = Clock::now() - start;
  REQUIRE(e);
  CHECK(e->code() == ErrorCode::TimedOut);
  CHECK(std::string(e->what()).find("client timeout of 200 ms") != std::string::npos);
  CHECK_FALSE(e->connection_lost());
  CHECK(waited >= milliseconds(200));
  CHECK(waited < milliseconds(2000));
  CHECK(c.exec("SELECT 1 AS one").int64(0, 0) == 1);
}

TEST_CASE("a server process that stops answering altogether costs the connection, not a hang") {
  Connection c = Connection::connect(server_uri());
  c.set_client_timeout(milliseconds(200));
  const int pid = c.backend_pid();
  // SIGSTOP: the backend neither answers nor handles the cancel request.
  REQUIRE(::kill(pid, SIGSTOP) == 0);
  const auto start = Clock::now();
  const auto e = error_of([&] { c.exec("SELECT 1"); });
  const auto waited = Clock::now() - start;
  ::kill(pid, SIGCONT);
  REQUIRE(e);
  CHECK(e->code() == ErrorCode::TimedOut);
  CHECK(e->connection_lost());
  CHECK(waited < milliseconds(3000));
  CHECK_FALSE(c.usable());
  c.reconnect(std::chrono::seconds(5));
  CHECK(c.exec("SELECT 1 AS one").int64(0, 0) == 1);
}

TEST_CASE("a server process that stops reading cannot hold a big send past the client timeout") {
  Connection c = Connection::connect(server_uri());
  c.set_client_timeout(milliseconds(300));
  const int pid = c.backend_pid();
  const std::string big(8 * 1024 * 1024, 'x');  // far more than the socket buffers hold
  REQUIRE(::kill(pid, SIGSTOP) == 0);
  const auto start = Clock::now();
  const auto e = error_of([&] { c.exec("SELECT length($1::text) AS n", {big}); });
  const auto waited = Clock::now() - start;
  ::kill(pid, SIGCONT);
  REQUIRE(e);
  CHECK(e->code() == ErrorCode::TimedOut);
  CHECK(e->connection_lost());
  CHECK(waited >= milliseconds(250));
  CHECK(waited < milliseconds(3000));
}

TEST_CASE("a transaction left idle past its limit loses the session") {
  Connection c = Connection::connect(server_uri());
  c.exec("SET idle_in_transaction_session_timeout = '100ms'");
  Transaction tx(c);
  std::this_thread::sleep_for(milliseconds(400));
  const auto e = error_of([&] { c.exec("SELECT 1"); });
  REQUIRE(e);
  CHECK(e->connection_lost());
  // The server's goodbye is read before the closed socket: libpq keeps
  // reading after a failed send to find it.
  CHECK(e->sqlstate() == "25P03");
  CHECK(e->code() == ErrorCode::TimedOut);
}

TEST_CASE("a notification wakes a waiter on another connection") {
  const std::string channel = unique_name("rjt_wake");
  Connection listener = Connection::connect(server_uri());
  Connection sender = Connection::connect(server_uri());
  listener.listen(channel);
  std::thread later([&] {
    std::this_thread::sleep_for(milliseconds(150));
    sender.notify(channel, "position 17");
  });
  const auto start = Clock::now();
  const auto n = listener.wait_for_notification(std::chrono::seconds(10));
  const auto waited = Clock::now() - start;
  later.join();
  REQUIRE(n);
  CHECK(n->channel == channel);
  CHECK(n->payload == "position 17");
  CHECK(n->sender_pid == sender.backend_pid());
  CHECK(waited >= milliseconds(100));
  CHECK(waited < milliseconds(5000));
}

TEST_CASE("with nothing sent, the wait ends at its timeout with nothing") {
  Connection listener = Connection::connect(server_uri());
  listener.listen(unique_name("rjt_quiet"));
  const auto start = Clock::now();
  CHECK_FALSE(listener.wait_for_notification(milliseconds(200)));
  const auto waited = Clock::now() - start;
  CHECK(waited >= milliseconds(190));
  CHECK(waited < milliseconds(1500));
}

TEST_CASE("a notification is delivered when its transaction commits, never when it rolls back") {
  const std::string channel = unique_name("rjt_commit");
  Connection listener = Connection::connect(server_uri());
  Connection sender = Connection::connect(server_uri());
  listener.listen(channel);
  {
    Transaction tx(sender);
    sender.notify(channel, "rolled back");
  }
  {
    Transaction tx(sender);
    sender.notify(channel, "committed");
    CHECK_FALSE(listener.wait_for_notification(milliseconds(150)));
    tx.commit();
  }
  const auto n = listener.wait_for_notification(std::chrono::seconds(5));
  REQUIRE(n);
  CHECK(n->payload == "committed");
  CHECK_FALSE(listener.wait_for_notification(milliseconds(100)));
}

TEST_CASE("a notification that arrived with a statement's answer is not lost") {
  const std::string channel = unique_name("rjt_buffered");
  Connection c = Connection::connect(server_uri());
  c.listen(channel);
  c.notify(channel, "to myself");  // delivered with the answer to this very statement
  c.exec("SELECT 1");
  const auto n = c.wait_for_notification(milliseconds(0));
  REQUIRE(n);
  CHECK(n->payload == "to myself");
}

TEST_CASE("a session ended while waiting for a notification throws Io, connection lost; a reconnect listens again") {
  const std::string channel = unique_name("rjt_lost");
  Connection listener = Connection::connect(server_uri());
  listener.listen(channel);
  const int pid = listener.backend_pid();
  std::string killer_failure;
  std::thread killer([&] {
    std::this_thread::sleep_for(milliseconds(100));
    try {
      terminate(pid);
    } catch (const std::exception& failure) {
      killer_failure = failure.what();
    }
  });
  const auto e = error_of([&] { listener.wait_for_notification(std::chrono::seconds(10)); });
  killer.join();
  CHECK(killer_failure.empty());
  REQUIRE(e);
  CHECK(e->code() == ErrorCode::Io);
  CHECK(e->connection_lost());
  listener.reconnect(std::chrono::seconds(5));
  Connection sender = Connection::connect(server_uri());
  sender.notify(channel, "again");
  const auto n = listener.wait_for_notification(std::chrono::seconds(5));
  REQUIRE(n);
  CHECK(n->payload == "again");
}
