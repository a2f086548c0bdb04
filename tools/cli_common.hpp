// cli_common.hpp — what every verb of the `runjournal` command line shares:
// exit statuses, the errors the command line raises itself, opening a
// journal, and checks on option values.
//
// Exit statuses (DESIGN.md, "Command line"): 0 success; 1 an error, printed
// as one line on stderr starting "error: "; 2 a usage error. Library errors
// are mapped by their ErrorCode, never by their message.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <runjournal/error.hpp>
#include <runjournal/journal.hpp>

namespace runjournal::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

// A failure the command line finds itself (a run that is not there, a file
// it cannot read, a bad line in a batch): exit 1.
class CliError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A usage error found after CLI11 has parsed the arguments: exit 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The exit status for a library error.
int exit_code_for(ErrorCode code) noexcept;

// Prints "error: MESSAGE" as one line on stderr (newlines in the message
// become spaces, so a multi-line SQLite or CLI11 message stays one line).
void print_error(std::string_view message);
// Prints "note: MESSAGE" as one line on stderr.
void print_note(std::string_view message);

// Opens the journal at `path`, which must exist: nothing is ever created.
// A missing file throws CliError("no journal at PATH"); other failures
// throw runjournal::Error as Journal::open does. The runs it creates or
// resumes are driven by `driver_pid`, or else by the process that invoked
// runjournal (its parent): DESIGN.md, "Reading, replay, recovery". A
// driver_pid with no process behind it throws CliError.
Journal open_existing(const std::string& path, std::optional<std::int64_t> driver_pid = std::nullopt);

// Opens the journal at `path`, creating it when missing (only `init`).
Journal open_or_create(const std::string& path);

// CLI11 checks, so that a bad value is a CLI11 ParseError (exit 2).
// Accepts any text that parses as JSON.
CLI::Validator json_text_check();
// Accepts the name of a run status ("created", "completed", …).
CLI::Validator run_status_check();
// Accepts a whole number of at least 1.
CLI::Validator positive_count_check();

// Parses text already accepted by json_text_check().
nlohmann::json parse_json_text(const std::string& text);
// "created, planning, …, cancelled": every status, for help and errors.
std::string run_status_names();

// Parses text already accepted by run_status_check().
RunStatus parse_status_text(const std::string& text);

// Prints `json` on stdout, indented, followed by a newline.
void print_json(const nlohmann::json& json);

// Progress of long work, drawn on stderr only when both stdout and stderr
// are terminals (DESIGN.md: quiet when stdout is not one): done/total in
// `unit`, the rate per second and the time left, redrawn at most ten times
// a second. The line is cleared when the object dies.
class TerminalProgress {
 public:
  explicit TerminalProgress(std::string label, std::string unit = "events");
  ~TerminalProgress();
  TerminalProgress(const TerminalProgress&) = delete;
  TerminalProgress& operator=(const TerminalProgress&) = delete;

  // A callback for the library; empty when not on a terminal.
  Progress callback();

 private:
  std::string label_;
  std::string unit_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
};

// "1h02m", "3m05s", "12s": a duration for progress lines.
std::string short_duration(double seconds);

}  // namespace runjournal::cli
