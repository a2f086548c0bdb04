#include <runjournal/error.hpp>

namespace runjournal {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::NotFound: return "not_found";
    case ErrorCode::Conflict: return "conflict";
    case ErrorCode::AlreadyRunning: return "already_running";
    case ErrorCode::AlreadyExists: return "already_exists";
    case ErrorCode::InvalidArgument: return "invalid_argument";
    case ErrorCode::Busy: return "busy";
    case ErrorCode::Corrupt: return "corrupt";
    case ErrorCode::SchemaTooNew: return "schema_too_new";
    case ErrorCode::NotAJournal: return "not_a_journal";
    case ErrorCode::Io: return "io";
    case ErrorCode::TimedOut: return "timed_out";
    case ErrorCode::ReadOnly: return "read_only";
  }
  return "unknown";
}

}  // namespace runjournal
