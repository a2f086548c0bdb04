// status.cpp — statuses, the per-thread error record, versions, and the
// small pure helpers of the C API (run statuses, cut-offs, strings).
#include <cstdlib>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "capi.hpp"

namespace runjournal::capi {
namespace {

// The calling thread's last failure (libgit2's git_error_last): read right
// after the failing call. A fixed message stands in when copying the real
// one ran out of memory.
struct LastError {
  rj_status status = RJ_OK;
  std::string message;
  const char* fixed = nullptr;
  std::int64_t batch_index = -1;
};
thread_local LastError t_last;

}  // namespace

rj_status status_of(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::NotFound: return RJ_NOT_FOUND;
    case ErrorCode::Conflict: return RJ_CONFLICT;
    case ErrorCode::AlreadyRunning: return RJ_ALREADY_RUNNING;
    case ErrorCode::AlreadyExists: return RJ_ALREADY_EXISTS;
    case ErrorCode::InvalidArgument: return RJ_INVALID_ARGUMENT;
    case ErrorCode::Busy: return RJ_BUSY;
    case ErrorCode::Corrupt: return RJ_CORRUPT;
    case ErrorCode::SchemaTooNew: return RJ_SCHEMA_TOO_NEW;
    case ErrorCode::NotAJournal: return RJ_NOT_A_JOURNAL;
    case ErrorCode::Io: return RJ_IO;
    case ErrorCode::TimedOut: return RJ_TIMED_OUT;
    case ErrorCode::ReadOnly: return RJ_READ_ONLY;
    // A code added to the C++ API before it has a status here still
    // reaches the caller as an error, with its message; capi_codes_test
    // fails until it has its own status.
    default: return RJ_ERROR;
  }
}

rj_status fail(rj_status status, std::string_view message, std::int64_t batch_index) noexcept {
  t_last.status = status;
  t_last.batch_index = batch_index;
  try {
    t_last.message.assign(message);
    t_last.fixed = nullptr;
  } catch (...) {
    t_last.fixed = "out of memory while recording an error";
  }
  return status;
}

rj_run_status c_status(RunStatus status) noexcept {
  switch (status) {
    case RunStatus::Created: return RJ_RUN_CREATED;
    case RunStatus::Planning: return RJ_RUN_PLANNING;
    case RunStatus::Executing: return RJ_RUN_EXECUTING;
    case RunStatus::Verifying: return RJ_RUN_VERIFYING;
    case RunStatus::Interrupted: return RJ_RUN_INTERRUPTED;
    case RunStatus::Completed: return RJ_RUN_COMPLETED;
    case RunStatus::Failed: return RJ_RUN_FAILED;
    case RunStatus::Cancelled: return RJ_RUN_CANCELLED;
  }
  return static_cast<rj_run_status>(0);
}

RunStatus cpp_status(int status) {
  switch (status) {
    case RJ_RUN_CREATED: return RunStatus::Created;
    case RJ_RUN_PLANNING: return RunStatus::Planning;
    case RJ_RUN_EXECUTING: return RunStatus::Executing;
    case RJ_RUN_VERIFYING: return RunStatus::Verifying;
    case RJ_RUN_INTERRUPTED: return RunStatus::Interrupted;
    case RJ_RUN_COMPLETED: return RunStatus::Completed;
    case RJ_RUN_FAILED: return RunStatus::Failed;
    case RJ_RUN_CANCELLED: return RunStatus::Cancelled;
  }
  throw Error(ErrorCode::InvalidArgument, fmt::format("{} is not a run status", status));
}

std::string require_text(const char* text, const char* what) { return std::string(require(text, what)); }

char* copy_string(const std::string& text) {
  char* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out == nullptr) throw std::bad_alloc();
  std::memcpy(out, text.c_str(), text.size() + 1);
  return out;
}

}  // namespace runjournal::capi

using namespace runjournal;
using namespace runjournal::capi;

extern "C" {

const char* rj_status_name(rj_status status) {
  switch (raw_value(status)) {
    case RJ_OK: return "ok";
    case RJ_NOT_FOUND: return "not_found";
    case RJ_CONFLICT: return "conflict";
    case RJ_ALREADY_RUNNING: return "already_running";
    case RJ_ALREADY_EXISTS: return "already_exists";
    case RJ_INVALID_ARGUMENT: return "invalid_argument";
    case RJ_BUSY: return "busy";
    case RJ_CORRUPT: return "corrupt";
    case RJ_SCHEMA_TOO_NEW: return "schema_too_new";
    case RJ_NOT_A_JOURNAL: return "not_a_journal";
    case RJ_IO: return "io";
    case RJ_TIMED_OUT: return "timed_out";
    case RJ_READ_ONLY: return "read_only";
    case RJ_ABORTED: return "aborted";
    case RJ_NO_MEMORY: return "no_memory";
    case RJ_ERROR: return "error";
  }
  return "unknown";
}

rj_status rj_last_error_status(void) { return t_last.status; }

const char* rj_last_error_message(void) { return t_last.fixed ? t_last.fixed : t_last.message.c_str(); }

int64_t rj_last_error_batch_index(void) { return t_last.batch_index; }

void rj_clear_error(void) {
  t_last.status = RJ_OK;
  t_last.message.clear();
  t_last.fixed = nullptr;
  t_last.batch_index = -1;
}

const char* rj_version(void) { return runjournal::version().data(); }

int rj_abi_version(void) { return RJ_ABI_VERSION; }

const char* rj_sqlite_version(void) { return runjournal::sqlite_version().data(); }

size_t rj_sqlite_json_max_depth(void) { return runjournal::sqlite_json_max_depth(); }

void rj_string_free(char* text) { std::free(text); }

const char* rj_run_status_name(rj_run_status status) {
  switch (raw_value(status)) {
    case RJ_RUN_CREATED: return "created";
    case RJ_RUN_PLANNING: return "planning";
    case RJ_RUN_EXECUTING: return "executing";
    case RJ_RUN_VERIFYING: return "verifying";
    case RJ_RUN_INTERRUPTED: return "interrupted";
    case RJ_RUN_COMPLETED: return "completed";
    case RJ_RUN_FAILED: return "failed";
    case RJ_RUN_CANCELLED: return "cancelled";
  }
  return nullptr;
}

rj_status rj_run_status_parse(const char* name, rj_run_status* out) {
  if (out != nullptr) *out = static_cast<rj_run_status>(0);
  return guard([&] {
    require(out, "out");
    const std::optional<RunStatus> status = parse_run_status(require_text(name, "name"));
    if (!status) throw Error(ErrorCode::InvalidArgument, fmt::format("'{}' is not a run status", name));
    *out = c_status(*status);
  });
}

int rj_run_status_is_terminal(rj_run_status status) {
  const int raw = raw_value(status);
  return raw == RJ_RUN_COMPLETED || raw == RJ_RUN_FAILED || raw == RJ_RUN_CANCELLED;
}

rj_status rj_parse_cutoff(const char* text, int64_t now_ms, int64_t* out) {
  if (out != nullptr) *out = 0;
  return guard([&] {
    require(out, "out");
    *out = parse_cutoff(require_text(text, "cut-off"), now_ms);
  });
}

}  // extern "C"
