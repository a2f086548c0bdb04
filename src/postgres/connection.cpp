// connection.cpp — connecting, running statements, reconnecting.
//
// Every statement goes out through libpq's asynchronous calls
// (PQsendQuery*, PQflush, PQconsumeInput, PQgetResult) on a connection in
// non-blocking mode, and every wait is a poll(2) with a deadline
// (socket_wait.cpp): the blocking PQexec would wait for a silent server for
// ever, and a blocking send would wait for ever on a server that has
// stopped reading. While a send waits for room, what the server has already
// answered is read, so neither side's socket buffer can fill while the
// other waits (a pipeline of big statements needs that).
#include "postgres/connection.hpp"

#include <utility>

#include <fmt/format.h>
#include <libpq-fe.h>

#include "postgres/database_error.hpp"
#include "postgres/socket_wait.hpp"

namespace runjournal::pg {
namespace {

using Clock = std::chrono::steady_clock;
// How long a server gets to answer a cancel request before the connection
// is given up.
constexpr auto kCancelGrace = std::chrono::seconds(1);

// "running INSERT INTO events (…" — enough of a statement to find it.
std::string describe(std::string_view sql) {
  std::string s = "running ";
  for (char c : sql.substr(0, 60)) s += (c == '\n' || c == '\t') ? ' ' : c;
  if (sql.size() > 60) s += "…";
  return s;
}

// Notices (NOTICE, WARNING: "table … does not exist, skipping") are for a
// person at psql; a library has nobody to show them to, and libpq's default
// prints them on stderr, into the output of whatever program embeds it.
void drop_notice(void*, const char*) {}

std::vector<const char*> c_strings(const std::vector<std::string>& list) {
  std::vector<const char*> out;
  out.reserve(list.size() + 1);
  for (const std::string& s : list) out.push_back(s.c_str());
  out.push_back(nullptr);
  return out;
}

}  // namespace

Connection::Connection(pg_conn* conn, std::vector<std::string> keywords, std::vector<std::string> values) noexcept
    : conn_(conn), keywords_(std::move(keywords)), values_(std::move(values)) {}

Connection::Connection(Connection&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)),
      keywords_(std::move(other.keywords_)),
      values_(std::move(other.values_)),
      client_timeout_(other.client_timeout_),
      statement_timeout_(other.statement_timeout_),
      prepared_(std::move(other.prepared_)),
      listening_(std::move(other.listening_)),
      before_statement_(std::move(other.before_statement_)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    close();
    conn_ = std::exchange(other.conn_, nullptr);
    keywords_ = std::move(other.keywords_);
    values_ = std::move(other.values_);
    client_timeout_ = other.client_timeout_;
    statement_timeout_ = other.statement_timeout_;
    prepared_ = std::move(other.prepared_);
    listening_ = std::move(other.listening_);
    before_statement_ = std::move(other.before_statement_);
  }
  return *this;
}

Connection::~Connection() { close(); }

void Connection::close() noexcept {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
}

Connection Connection::connect(std::string_view conninfo, const ConnectOptions& options) {
  // libpq takes the keywords in order, later ones winning: application_name
  // comes before the connection string so that one given there wins, and
  // client_encoding after it, because the layer speaks UTF-8 whatever the
  // string or PGCLIENTENCODING say.
  std::vector<std::string> keywords = {"application_name", "dbname", "client_encoding"};
  std::vector<std::string> values = {options.application_name, std::string(conninfo), "UTF8"};
  pg_conn* conn = open(keywords, values, options.connect_timeout);
  return Connection(conn, std::move(keywords), std::move(values));
}

pg_conn* Connection::open(const std::vector<std::string>& keywords, const std::vector<std::string>& values,
                          std::chrono::milliseconds timeout) {
  const auto k = c_strings(keywords);
  const auto v = c_strings(values);
  PGconn* conn = PQconnectStartParams(k.data(), v.data(), /*expand_dbname=*/1);
  if (conn == nullptr) detail::throw_client_error(ErrorCode::Io, "connecting", "libpq is out of memory", true);
  const auto fail = [&](ErrorCode code, std::string what) {
    if (what.empty()) what = PQerrorMessage(conn);
    while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
    PQfinish(conn);
    detail::throw_client_error(code, "connecting to PostgreSQL", what, true);
  };
  if (PQstatus(conn) == CONNECTION_BAD) fail(ErrorCode::Io, "");
  const detail::Deadline deadline = Clock::now() + timeout;
  // libpq's loop: start as if the last poll asked to write.
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  while (status != PGRES_POLLING_OK) {
    if (status == PGRES_POLLING_FAILED) fail(ErrorCode::Io, "");
    const auto event =
        status == PGRES_POLLING_READING ? detail::SocketEvent::Readable : detail::SocketEvent::Writable;
    if (!detail::wait_socket(PQsocket(conn), event, deadline)) {
      fail(ErrorCode::TimedOut, fmt::format("no session within {} ms", timeout.count()));
    }
    status = PQconnectPoll(conn);
  }
  PQsetNoticeProcessor(conn, drop_notice, nullptr);
  if (PQsetnonblocking(conn, 1) != 0) fail(ErrorCode::Io, "");
  return conn;
}

void Connection::require_usable(std::string_view context) const {
  if (conn_ == nullptr) detail::throw_client_error(ErrorCode::Io, context, "the connection was closed", true);
  if (PQstatus(conn_) == CONNECTION_BAD) detail::throw_connection_error(conn_, context);
  if (PQpipelineStatus(conn_) != PQ_PIPELINE_OFF) {
    detail::throw_client_error(ErrorCode::InvalidArgument, context,
                               "a Pipeline is open on this connection: sync and end it first", false);
  }
}

Connection::Wait Connection::start_wait() const {
  Wait wait;
  if (client_timeout_.count() > 0) wait.deadline = Clock::now() + client_timeout_;
  return wait;
}

void Connection::flush(Wait& wait, std::string_view context) {
  while (true) {
    const int r = PQflush(conn_);
    if (r == 0) return;
    if (r < 0) detail::throw_connection_error(conn_, context);
    if (!detail::wait_socket(PQsocket(conn_), detail::SocketEvent::ReadableOrWritable, wait.deadline)) {
      close();
      detail::throw_client_error(ErrorCode::TimedOut, context,
                                 fmt::format("the server read nothing within the client timeout of {} ms",
                                             client_timeout_.count()),
                                 true);
    }
    if (PQconsumeInput(conn_) == 0) detail::throw_connection_error(conn_, context);
  }
}

bool Connection::await_ready(Wait& wait, std::string_view context) {
  while (PQisBusy(conn_) != 0) {
    if (!detail::wait_socket(PQsocket(conn_), detail::SocketEvent::Readable, wait.deadline)) {
      if (wait.cancel_sent) {
        // Not even the cancel was answered: the server is gone for us.
        close();
        detail::throw_client_error(ErrorCode::TimedOut, context,
                                   fmt::format("no answer within the client timeout of {} ms, nor after a cancel",
                                               client_timeout_.count()),
                                   true);
      }
      // PQcancel opens its own connection and sends the request; the
      // statement then ends with 57014 (query_canceled), or with its own
      // result when it finished first.
      char message[256] = {};
      PGcancel* cancel = PQgetCancel(conn_);
      if (cancel != nullptr) {
        PQcancel(cancel, message, sizeof message);
        PQfreeCancel(cancel);
      }
      wait.cancel_sent = true;
      wait.deadline = Clock::now() + kCancelGrace;
      continue;
    }
    // A read that fails has already recorded why; PQgetResult reports it.
    if (PQconsumeInput(conn_) == 0) return false;
  }
  return true;
}

Connection::Collected Connection::collect_statement(Wait& wait, std::string_view context) {
  Collected out;
  while (true) {
    await_ready(wait, context);
    PGresult* raw = PQgetResult(conn_);
    if (raw == nullptr) break;
    Result result(raw);
    switch (PQresultStatus(raw)) {
      case PGRES_COMMAND_OK:
      case PGRES_TUPLES_OK:
      case PGRES_EMPTY_QUERY:
        if (out.error.native() == nullptr) out.result = std::move(result);
        break;
      case PGRES_COPY_IN:
        // COPY … FROM STDIN: end it at once, with an error the server reports back.
        PQputCopyEnd(conn_, "COPY FROM STDIN is not supported by this client");
        out.copy_refused = true;
        break;
      case PGRES_COPY_OUT: {
        // COPY … TO STDOUT: read its rows off the wire and drop them.
        char* row = nullptr;
        while (PQgetCopyData(conn_, &row, /*async=*/0) > 0) PQfreemem(row);
        out.copy_refused = true;
        break;
      }
      case PGRES_PIPELINE_SYNC:
        // The end of a pipeline has no NULL after it.
        out.result = std::move(result);
        return out;
      default:
        if (out.error.native() == nullptr) out.error = std::move(result);
        break;
    }
    if (PQstatus(conn_) == CONNECTION_BAD && PQisBusy(conn_) != 0) break;
  }
  return out;
}

void Connection::throw_error(const Result& error, std::string_view context) const {
  detail::throw_result_error(conn_, error.native(), context);
}

Result Connection::finish(Wait& wait, std::string_view context) {
  Collected c = collect_statement(wait, context);
  // The server answers a COPY FROM STDIN ended by the client with 57014;
  // what the caller did wrong is the COPY.
  if (c.copy_refused) {
    detail::throw_client_error(ErrorCode::InvalidArgument, context, "COPY to or from the client is not supported",
                               false);
  }
  if (c.error.native() != nullptr) {
    // A cancelled statement fails with 57014 (TimedOut); say whose limit it was.
    if (wait.cancel_sent) {
      throw_error(c.error, fmt::format("{} (cancelled past the client timeout of {} ms)", context,
                                       client_timeout_.count()));
    }
    throw_error(c.error, context);
  }
  if (c.result.native() == nullptr && (conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD)) {
    detail::throw_connection_error(conn_, context);
  }
  return std::move(c.result);
}

void Connection::run_before_statement() {
  if (!before_statement_ || in_before_statement_) return;
  in_before_statement_ = true;
  try {
    before_statement_();
  } catch (...) {
    in_before_statement_ = false;
    throw;
  }
  in_before_statement_ = false;
}

Result Connection::exec(std::string_view sql) {
  run_before_statement();
  const std::string context = describe(sql);
  require_usable(context);
  const std::string text(sql);
  Wait wait = start_wait();
  if (PQsendQuery(conn_, text.c_str()) == 0) detail::throw_connection_error(conn_, context);
  flush(wait, context);
  return finish(wait, context);
}

Result Connection::exec(std::string_view sql, std::span<const Param> params, Format format) {
  run_before_statement();
  const std::string context = describe(sql);
  require_usable(context);
  const std::string text(sql);
  const detail::ParamArrays a(params);
  Wait wait = start_wait();
  if (PQsendQueryParams(conn_, text.c_str(), a.size(), a.types(), a.values(), a.lengths(), a.formats(),
                        static_cast<int>(format)) == 0) {
    detail::throw_connection_error(conn_, context);
  }
  flush(wait, context);
  return finish(wait, context);
}

void Connection::prepare(const std::string& name, std::string_view sql) {
  run_before_statement();
  const std::string context = "preparing " + name;
  require_usable(context);
  const std::string text(sql);
  Wait wait = start_wait();
  if (PQsendPrepare(conn_, name.c_str(), text.c_str(), 0, nullptr) == 0) detail::throw_connection_error(conn_, context);
  flush(wait, context);
  finish(wait, context);
  prepared_[name] = text;
}

Result Connection::exec_prepared(const std::string& name, std::span<const Param> params, Format format) {
  run_before_statement();
  const std::string context = "running the prepared statement " + name;
  require_usable(context);
  const detail::ParamArrays a(params);
  Wait wait = start_wait();
  if (PQsendQueryPrepared(conn_, name.c_str(), a.size(), a.values(), a.lengths(), a.formats(),
                          static_cast<int>(format)) == 0) {
    detail::throw_connection_error(conn_, context);
  }
  flush(wait, context);
  return finish(wait, context);
}

void Connection::set_statement_timeout(std::chrono::milliseconds limit) {
  exec(fmt::format("SET statement_timeout = {}", limit.count()));
  statement_timeout_ = limit;
}

bool Connection::usable() const noexcept { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

bool Connection::in_transaction() const noexcept {
  if (conn_ == nullptr) return false;
  const PGTransactionStatusType s = PQtransactionStatus(conn_);
  return s == PQTRANS_INTRANS || s == PQTRANS_INERROR;
}

bool Connection::transaction_failed() const noexcept {
  return conn_ != nullptr && PQtransactionStatus(conn_) == PQTRANS_INERROR;
}

int Connection::backend_pid() const noexcept { return conn_ != nullptr ? PQbackendPID(conn_) : 0; }

void Connection::reconnect(std::chrono::milliseconds timeout) {
  close();
  conn_ = open(keywords_, values_, timeout);
  // What the old session had set up, set up again; the hook waits for the
  // caller's first statement on the new session (what was deferred on the
  // old one went with it).
  const bool was_in_hook = std::exchange(in_before_statement_, true);
  struct Restore {
    bool& flag;
    bool value;
    ~Restore() { flag = value; }
  } restore{in_before_statement_, was_in_hook};
  if (statement_timeout_.count() > 0) exec(fmt::format("SET statement_timeout = {}", statement_timeout_.count()));
  const auto prepared = prepared_;
  for (const auto& [name, sql] : prepared) prepare(name, sql);
  for (const std::string& channel : listening_) exec("LISTEN " + quote_identifier(channel));
}

std::string Connection::quote_identifier(std::string_view name) const {
  require_usable("quoting an identifier");
  char* quoted = PQescapeIdentifier(conn_, name.data(), name.size());
  if (quoted == nullptr) detail::throw_connection_error(conn_, "quoting an identifier");
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

std::string Connection::quote_literal(std::string_view text) const {
  require_usable("quoting a literal");
  char* quoted = PQescapeLiteral(conn_, text.data(), text.size());
  if (quoted == nullptr) detail::throw_connection_error(conn_, "quoting a literal");
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

}  // namespace runjournal::pg
