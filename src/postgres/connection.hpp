// postgres/connection.hpp — one libpq connection, owned (RAII PGconn).
//
// The smallest layer the PostgreSQL backend needs, and nothing of the
// journal: connect with a real deadline, run statements with parameters,
// prepared statements, LISTEN/NOTIFY with a timed wait, reconnect.
// Transactions are pg::Transaction (transaction.hpp), pipelines
// pg::Pipeline (pipeline.hpp).
//
// Failures throw pg::DatabaseError (database_error.hpp) and leave the
// connection usable unless connection_lost() says otherwise. COPY to or
// from the client (STDIN, STDOUT) is not supported: it is ended at once and
// refused with InvalidArgument, the connection still in step. A failed
// statement inside a transaction leaves that transaction failed: the server
// refuses everything but ROLLBACK until it ends (pg::Transaction does it).
//
// Deadlines. connect() waits at most ConnectOptions::connect_timeout, to the
// millisecond (libpq's own connect_timeout counts whole seconds and at least
// two). With set_client_timeout(), every statement waits at most that long
// for the server's answer; past it the statement is cancelled (a cancel
// request, as psql's ^C) and the call throws TimedOut; a server that does not
// answer the cancel within a second more loses the connection (TimedOut,
// connection_lost). The server-side limit, set_statement_timeout(), is the
// one to rely on for queries; the client deadline is for a server that has
// gone quiet altogether, and covers sending too (the connection is in
// libpq's non-blocking mode: a server that stops reading cannot hold a send
// past the deadline). A cancel request opens its own connection to the
// server and waits for it to be accepted: to a host that does not answer at
// all over TCP, that wait is the operating system's.
//
// Reconnecting (reconnect()) opens a new session with the same parameters
// and prepares again the statements prepare()d so far and LISTENs again on
// the channels listened to; notifications sent in between are lost (a
// follower reads what it missed by position, after a reconnect).
//
// Thread safety: none. A Connection is used by one thread at a time, as a
// PGconn must be; different Connections are independent.
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "postgres/param.hpp"
#include "postgres/result.hpp"

struct pg_conn;

namespace runjournal::pg {

struct ConnectOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  // Shown in pg_stat_activity.application_name.
  std::string application_name = "runjournal";
};

// The format the server sends result values in (both read the same through
// Result; binary spares the server formatting and the client parsing numbers).
enum class Format { Text = 0, Binary = 1 };

struct Notification {
  std::string channel;
  std::string payload;
  int sender_pid = 0;  // the backend process that sent it
};

class Connection {
 public:
  // Connects to a libpq connection string or URI (postgresql://…,
  // postgres://…, or key=value pairs). Throws TimedOut past the deadline, Io
  // when the server refuses or cannot be reached (libpq reports no SQLSTATE
  // for a refused connection; the message has the server's reason).
  static Connection connect(std::string_view conninfo, const ConnectOptions& options = {});

  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs SQL text with no parameters, which may hold several statements
  // separated by semicolons (a migration); returns the last one's result.
  // Several statements outside a transaction run in one implicit one.
  Result exec(std::string_view sql);
  // One statement with parameters $1, $2 …
  Result exec(std::string_view sql, std::span<const Param> params, Format format = Format::Text);
  Result exec(std::string_view sql, std::initializer_list<Param> params, Format format = Format::Text) {
    return exec(sql, std::span<const Param>(params.begin(), params.size()), format);
  }
  // A named prepared statement: parsed and planned once per session.
  void prepare(const std::string& name, std::string_view sql);
  Result exec_prepared(const std::string& name, std::span<const Param> params, Format format = Format::Text);
  Result exec_prepared(const std::string& name, std::initializer_list<Param> params, Format format = Format::Text) {
    return exec_prepared(name, std::span<const Param>(params.begin(), params.size()), format);
  }

  // A function run before every statement this connection sends (exec,
  // prepare, exec_prepared, a Pipeline), except while it runs itself and
  // while reconnect() sets the new session up: writes a caller has deferred
  // (queued to go in one pipeline) go out so before anything that could
  // read them or depend on them, and their failure is thrown by that
  // statement's call. Kept across moves and reconnect(); empty: none.
  void set_before_statement(std::function<void()> hook) { before_statement_ = std::move(hook); }
  // Runs the hook above (for pipeline.cpp, and for a caller that wants the
  // deferred writes out now).
  void run_before_statement();

  // The server's limit per statement (SET statement_timeout); zero: none.
  void set_statement_timeout(std::chrono::milliseconds limit);
  // The client's wait limit per statement (see the header comment); zero: none.
  void set_client_timeout(std::chrono::milliseconds limit) noexcept { client_timeout_ = limit; }

  // LISTEN on a channel (the name is quoted as an identifier, as given).
  void listen(std::string_view channel);
  void unlisten(std::string_view channel);
  // pg_notify(channel, payload): delivered to listeners when the current
  // transaction commits (at once outside one).
  void notify(std::string_view channel, std::string_view payload);
  // The next notification for this session: one already received, or the
  // first to arrive within `timeout` (waiting on the socket, no polling
  // query); nullopt when none came. Throws Io, connection_lost, when the
  // connection breaks meanwhile.
  std::optional<Notification> wait_for_notification(std::chrono::milliseconds timeout);

  // CONNECTION_OK: the session exists as far as libpq knows (a server that
  // has closed it unannounced shows only at the next statement).
  bool usable() const noexcept;
  // Inside BEGIN … COMMIT, failed or not.
  bool in_transaction() const noexcept;
  // Inside a transaction that failed: only ROLLBACK is accepted.
  bool transaction_failed() const noexcept;
  // The server process of this session (for pg_terminate_backend, pg_locks).
  int backend_pid() const noexcept;
  // A new session with the same parameters (see the header comment).
  void reconnect(std::chrono::milliseconds timeout);

  std::string quote_identifier(std::string_view name) const;
  std::string quote_literal(std::string_view text) const;

  // The PGconn, for what this layer does not wrap; still owned here.
  pg_conn* native() const noexcept { return conn_; }

  // For the layer's own files (pipeline.cpp). One statement's wait: the
  // client deadline and whether the cancel has been sent.
  struct Wait {
    std::optional<std::chrono::steady_clock::time_point> deadline;
    bool cancel_sent = false;
  };
  // What one statement left: its last good result, or its first failed one.
  struct Collected {
    Result result;
    Result error;
    bool copy_refused = false;  // a COPY to or from the client, ended at once (then error is the server's echo)
  };
  Wait start_wait() const;
  // Writes out what libpq holds for the server, within `wait`, reading the
  // server's answers meanwhile; a server that reads nothing until the
  // deadline costs the connection (TimedOut, connection_lost).
  void flush(Wait& wait, std::string_view context);
  // Reads the results of one statement up to libpq's end marker (NULL),
  // waiting within `wait`; throws only when the wait runs out for good.
  Collected collect_statement(Wait& wait, std::string_view context);
  // Waits until libpq has a result ready; false when the connection broke.
  bool await_ready(Wait& wait, std::string_view context);
  // Throws the error of a failed statement (Collected::error).
  [[noreturn]] void throw_error(const Result& error, std::string_view context) const;

 private:
  Connection(pg_conn* conn, std::vector<std::string> keywords, std::vector<std::string> values) noexcept;
  static pg_conn* open(const std::vector<std::string>& keywords, const std::vector<std::string>& values,
                       std::chrono::milliseconds timeout);
  void require_usable(std::string_view context) const;
  Result finish(Wait& wait, std::string_view context);
  void close() noexcept;

  pg_conn* conn_ = nullptr;
  std::vector<std::string> keywords_;  // what connect() passed libpq, for reconnect()
  std::vector<std::string> values_;
  std::chrono::milliseconds client_timeout_{0};
  std::chrono::milliseconds statement_timeout_{0};
  std::map<std::string, std::string> prepared_;  // name → SQL
  std::set<std::string> listening_;
  std::function<void()> before_statement_;
  bool in_before_statement_ = false;
};

}  // namespace runjournal::pg
