// database_error.cpp — SQLSTATE to ErrorCode, and the throw helpers.
//
// The table is by class first (the two leading characters), with the
// exceptions inside a class named before it: PostgreSQL's appendix A groups
// conditions so that a class mostly means one thing to a caller, and a
// SQLSTATE this code has never heard of still lands in its class's code.
#include "postgres/database_error.hpp"

#include <libpq-fe.h>

#include <fmt/format.h>

namespace runjournal::pg {
namespace {

bool well_formed(std::string_view s) noexcept { return s.size() == 5; }

std::string_view class_of(std::string_view s) noexcept { return s.substr(0, 2); }

std::string trimmed(const char* text) {
  std::string s = text != nullptr ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

ErrorCode error_code_for_sqlstate(std::string_view s) noexcept {
  if (!well_formed(s)) return ErrorCode::Io;
  const std::string_view c = class_of(s);
  if (s == "23505") return ErrorCode::AlreadyExists;
  if (s == "40001" || s == "40P01" || s == "55P03" || s == "53300") return ErrorCode::Busy;
  if (s == "57014" || s == "25P03") return ErrorCode::TimedOut;
  if (s == "25006" || s == "42501") return ErrorCode::ReadOnly;
  if (s == "3D000" || s == "3F000") return ErrorCode::NotFound;
  if (s == "XX001" || s == "XX002") return ErrorCode::Corrupt;
  if (s == "0A000") return ErrorCode::InvalidArgument;
  if (c == "22" || c == "23" || c == "26" || c == "28" || c == "42" || c == "54") return ErrorCode::InvalidArgument;
  return ErrorCode::Io;
}

bool sqlstate_retryable(std::string_view s) noexcept {
  return s == "40001" || s == "40P01" || s == "55P03" || s == "53300";
}

bool sqlstate_ends_session(std::string_view s) noexcept {
  if (!well_formed(s)) return false;
  return class_of(s) == "08" || s == "57P01" || s == "57P02" || s == "57P03" || s == "57P05" || s == "25P03";
}

namespace detail {

void throw_result_error(const pg_conn* conn, const pg_result* result, std::string_view context) {
  DatabaseError::Details details;
  std::string message;
  if (result != nullptr) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const char* constraint = PQresultErrorField(result, PG_DIAG_CONSTRAINT_NAME);
    details.sqlstate = state != nullptr ? state : "";
    details.constraint = constraint != nullptr ? constraint : "";
    message = trimmed(PQresultErrorMessage(result));
  }
  if (message.empty()) message = trimmed(conn != nullptr ? PQerrorMessage(conn) : "no connection");
  details.connection_lost = sqlstate_ends_session(details.sqlstate) || conn == nullptr || PQstatus(conn) == CONNECTION_BAD;
  ErrorCode code = error_code_for_sqlstate(details.sqlstate);
  // A session the server ended for idling in a transaction timed out; any
  // other lost connection is an I/O failure whatever came with it.
  if (details.connection_lost && details.sqlstate != "25P03") code = ErrorCode::Io;
  const std::string state_note = details.sqlstate.empty() ? std::string("no SQLSTATE") : "SQLSTATE " + details.sqlstate;
  throw DatabaseError(code,
                      fmt::format("{}: {} ({}{})", context, message, state_note,
                                  details.connection_lost ? ", connection lost" : ""),
                      std::move(details));
}

void throw_connection_error(const pg_conn* conn, std::string_view context) {
  throw_result_error(conn, nullptr, context);
}

void throw_client_error(ErrorCode code, std::string_view context, std::string_view what, bool connection_lost) {
  DatabaseError::Details details;
  details.connection_lost = connection_lost;
  throw DatabaseError(code, fmt::format("{}: {}{}", context, what, connection_lost ? " (connection lost)" : ""),
                      std::move(details));
}

}  // namespace detail
}  // namespace runjournal::pg
