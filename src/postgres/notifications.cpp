// notifications.cpp — LISTEN/NOTIFY on a Connection.
//
// A notification reaches libpq with whatever the server sends next, so one
// may already sit in libpq's queue when wait_for_notification() is called
// (it arrived with a statement's answer); the queue is read before the
// socket is waited on. The wait is on the socket itself: no query runs
// while nothing happens.
#include <libpq-fe.h>

#include "postgres/connection.hpp"
#include "postgres/database_error.hpp"
#include "postgres/socket_wait.hpp"

namespace runjournal::pg {
namespace {

std::optional<Notification> take(PGconn* conn) {
  PGnotify* n = PQnotifies(conn);
  if (n == nullptr) return std::nullopt;
  Notification out{n->relname != nullptr ? n->relname : "", n->extra != nullptr ? n->extra : "", n->be_pid};
  PQfreemem(n);
  return out;
}

}  // namespace

void Connection::listen(std::string_view channel) {
  exec("LISTEN " + quote_identifier(channel));
  listening_.emplace(channel);
}

void Connection::unlisten(std::string_view channel) {
  exec("UNLISTEN " + quote_identifier(channel));
  listening_.erase(std::string(channel));
}

void Connection::notify(std::string_view channel, std::string_view payload) {
  exec("SELECT pg_notify($1, $2)", {channel, payload});
}

std::optional<Notification> Connection::wait_for_notification(std::chrono::milliseconds timeout) {
  constexpr std::string_view context = "waiting for a notification";
  require_usable(context);
  if (auto n = take(conn_)) return n;
  const detail::Deadline deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (!detail::wait_socket(PQsocket(conn_), detail::SocketEvent::Readable, deadline)) return std::nullopt;
    // A closed session shows here: the read fails (or the server's goodbye,
    // 57P01, was the last thing on the wire and the status is bad).
    if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) == CONNECTION_BAD) {
      detail::throw_connection_error(conn_, context);
    }
    if (auto n = take(conn_)) return n;
  }
}

}  // namespace runjournal::pg
