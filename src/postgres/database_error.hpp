// postgres/database_error.hpp — what a PostgreSQL failure becomes.
//
// Every failure of the libpq layer (src/postgres) reaches its caller as
// pg::DatabaseError, a runjournal::Error whose code() is chosen from the
// SQLSTATE by the table in error_code_for_sqlstate(). Catching
// runjournal::Error is enough for a caller that only branches on codes; the
// backend that needs more (which unique constraint, may it retry, is the
// connection gone) catches DatabaseError. The message keeps the server's own
// text and its SQLSTATE, as the SQLite side keeps SQLite's extended code.
//
// The mapping (docs/postgresql.md repeats it):
//
//   class 08, 57P01-57P03, 57P05, no SQLSTATE on a dead connection  Io          connection_lost
//   40001 serialization_failure, 40P01 deadlock_detected            Busy        retryable
//   55P03 lock_not_available, 53300 too_many_connections            Busy        retryable
//   57014 query_canceled (statement_timeout, a client deadline)     TimedOut
//   25P03 idle_in_transaction_session_timeout                       TimedOut    connection_lost
//   25006 read_only_sql_transaction, 42501 insufficient_privilege   ReadOnly
//   23505 unique_violation                                          AlreadyExists (constraint() names it)
//   other class 23 (not null, check, foreign key, exclusion)        InvalidArgument
//   class 22 data_exception (bad JSON, \u0000 in jsonb, overflow)   InvalidArgument
//   class 42 (syntax, undefined table, column, function), 0A000,
//     class 54 program_limit_exceeded, class 26 (no such prepared
//     statement), class 28 authorization                           InvalidArgument
//   3D000 invalid_catalog_name, 3F000 invalid_schema_name           NotFound
//   XX001 data_corrupted, XX002 index_corrupted                     Corrupt
//   everything else (53100 disk_full, class 58 system_error, XX000) Io
//
// Thread safety: a DatabaseError is a plain copyable value.
#pragma once

#include <runjournal/error.hpp>

#include <string>
#include <string_view>
#include <utility>

struct pg_conn;
struct pg_result;

namespace runjournal::pg {

// SQLSTATEs the layer and its callers name.
namespace sqlstate {
inline constexpr std::string_view kUniqueViolation = "23505";
inline constexpr std::string_view kSerializationFailure = "40001";
inline constexpr std::string_view kDeadlockDetected = "40P01";
inline constexpr std::string_view kLockNotAvailable = "55P03";
inline constexpr std::string_view kQueryCanceled = "57014";
inline constexpr std::string_view kReadOnlyTransaction = "25006";
inline constexpr std::string_view kAdminShutdown = "57P01";
inline constexpr std::string_view kUndefinedTable = "42P01";
inline constexpr std::string_view kDuplicateTable = "42P07";
}  // namespace sqlstate

// The runjournal code for a five-character SQLSTATE (the table above). An
// empty or malformed one is Io.
ErrorCode error_code_for_sqlstate(std::string_view sqlstate) noexcept;
// Whether the same work, retried in a new transaction, may succeed: a
// serialisation failure, a deadlock, a lock wait given up, a full server.
bool sqlstate_retryable(std::string_view sqlstate) noexcept;
// Whether the SQLSTATE means the server has closed, or is closing, the
// session (class 08, administrator or crash shutdown, session timeouts).
bool sqlstate_ends_session(std::string_view sqlstate) noexcept;

class DatabaseError : public Error {
 public:
  struct Details {
    std::string sqlstate;    // "" when the failure came from the client side (no server answer)
    std::string constraint;  // the violated constraint's name, or ""
    bool connection_lost = false;
  };
  DatabaseError(ErrorCode code, const std::string& message, Details details)
      : Error(code, message), details_(std::move(details)) {}

  const std::string& sqlstate() const noexcept { return details_.sqlstate; }
  const std::string& constraint() const noexcept { return details_.constraint; }
  // The connection is unusable: reconnect before the next statement. A
  // COMMIT that failed so has an unknown outcome (it may have committed);
  // an idempotency key tells a retry apart from a second write.
  bool connection_lost() const noexcept { return details_.connection_lost; }
  // See sqlstate_retryable(); a lost connection is retryable too, after a
  // reconnect, with the caveat above.
  bool retryable() const noexcept { return details_.connection_lost || sqlstate_retryable(details_.sqlstate); }

 private:
  Details details_;
};

namespace detail {
// Throws the error a failed result carries: SQLSTATE, message, constraint;
// connection_lost when the SQLSTATE says so or `conn` is no longer usable.
[[noreturn]] void throw_result_error(const pg_conn* conn, const pg_result* result, std::string_view context);
// Throws for a failure with no result: the connection's error message,
// connection_lost when the connection is bad.
[[noreturn]] void throw_connection_error(const pg_conn* conn, std::string_view context);
// Throws a client-side failure of the given code (a deadline, a lost socket).
[[noreturn]] void throw_client_error(ErrorCode code, std::string_view context, std::string_view what,
                                     bool connection_lost);
}  // namespace detail

}  // namespace runjournal::pg
