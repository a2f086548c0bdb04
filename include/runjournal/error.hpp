// runjournal/error.hpp — the one exception type the library throws.
//
// Every failure a caller can cause or observe reaches it as runjournal::Error
// carrying an ErrorCode. Callers branch on code(), never on what(): the
// message is for people and may change; the codes are stable. SQLite and JSON
// failures are translated inside the library; the message keeps SQLite's
// extended result code where there is one.
//
// A thing that is normal to miss (a run that does not exist when asked for
// by id) is a std::optional, not an error.
//
// What a call that throws has written is stated with each call in
// journal.hpp (for create_run, append and batches: nothing). Error is a plain
// copyable value: it holds no handle to the journal and may be kept,
// rethrown or read from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace runjournal {

enum class ErrorCode {
  NotFound,         // the run, or the journal file, does not exist
  Conflict,         // expected_seq was stale: the run moved past it
  AlreadyRunning,   // exclusive create: the session has a live run (named in the message)
  AlreadyExists,    // run_created for a run id that is taken
  InvalidArgument,  // bad input: empty kind, payload not a JSON object, bad UTF-8, too big …
  Busy,             // the file stayed locked by another process past the wait limit
  Corrupt,          // the file's contents break the journal's invariants
  SchemaTooNew,     // the file was written by a newer runjournal: this one may not write it
                    // (and, past its compatible version, not read it either)
  NotAJournal,      // not a SQLite file, or a SQLite file that is not a journal
  Io,               // the operating system or SQLite failed to read or write
  TimedOut,         // a query ran past its time limit and was stopped (Journal::sql)
  ReadOnly,         // a write on a journal opened with Options::read_only
};

// The stable, snake_case name of a code ("not_found", "conflict", …).
std::string_view to_string(ErrorCode code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  Error(ErrorCode code, const std::string& message, std::size_t batch_index)
      : std::runtime_error(message), code_(code), batch_index_(batch_index) {}

  ErrorCode code() const noexcept { return code_; }
  // For a batch refused because of one of its events: that event's index
  // (0-based) in the batch. The message names it too.
  std::optional<std::size_t> batch_index() const noexcept { return batch_index_; }

 private:
  ErrorCode code_;
  std::optional<std::size_t> batch_index_;
};

}  // namespace runjournal
