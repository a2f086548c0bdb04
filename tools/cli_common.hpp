// cli_common.hpp — what every verb of the `runjournal` command line shares:
// exit statuses, the errors the command line raises itself, opening a
// journal, and checks on option values.
//
// Exit statuses (DESIGN.md, "Command line"): 0 success; 1 an error, printed
// as one line on stderr starting "error: ", bad data included (a PAYLOAD
// that is not valid JSON is data, not usage); 2 a usage error (an unknown
// verb or option, a malformed or out-of-range option value, said plainly).
// Library errors are mapped by their ErrorCode, never by their message.
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
// become spaces, so a multi-line SQLite or CLI11 message stays one line;
// control characters and bytes that are not UTF-8 are escaped, so a hostile
// input echoed in a message cannot drive the terminal).
void print_error(std::string_view message);
// Prints "note: MESSAGE" as one line on stderr.
void print_note(std::string_view message);

// Every verb's PATH may also be a PostgreSQL URI (postgresql://… or
// postgres://…): the journal in that database's schema (docs/postgresql.md).
// Nothing here treats such a location as a file.
bool is_journal_uri(std::string_view location);
// `location` for messages: a URI's password replaced by "***".
std::string display_location(const std::string& location);

// Opens the journal at `path`, which must exist: nothing is ever created.
// A missing file throws CliError("no journal at PATH"); other failures
// throw runjournal::Error as Journal::open does. The runs it creates or
// resumes are driven by `driver_pid`, or else by the process that invoked
// runjournal (its parent): DESIGN.md, "Reading, replay, recovery". A
// driver_pid with no process behind it throws CliError.
Journal open_existing(const std::string& path, std::optional<std::int64_t> driver_pid = std::nullopt);

// Opens the journal at `path` read-only, for the verbs that only read: it
// must exist, nothing in it is written (Options::read_only), and a journal
// this process may not write is readable. A missing file throws CliError.
Journal open_for_reading(const std::string& path);

// Opens the journal at `path`, creating it when missing (only `init`);
// `existed` says whether there was one already.
Journal open_or_create(const std::string& path, bool* existed = nullptr);

// --driver-pid: the process that drives the runs a verb creates or resumes
// (default: the caller of runjournal). Shared by start, append and resume.
CLI::Option* add_driver_pid(CLI::App& cmd, std::int64_t& pid);
// The pid given with --driver-pid, if it was given.
std::optional<std::int64_t> driver_pid_of(const CLI::Option* option, std::int64_t pid);

// CLI11 checks, so that a bad value is a CLI11 ParseError (exit 2), with a
// message that says what is wanted.
// Accepts the name of a run status ("created", "completed", …).
CLI::Validator run_status_check();
// Accepts a whole number (digits, a '-' only when `min` < 0) of at least
// `min`; `what` names it in the message ("a position", "a process id").
CLI::Validator whole_number_check(std::int64_t min, const std::string& what);
// Accepts a number of seconds greater than 0 ("2", "0.5").
CLI::Validator seconds_check();

// A JSON argument (PAYLOAD, --inputs, --outputs): the text itself, or "-"
// for standard input, or "@FILE" for a file's content; parsed with the
// journal's nesting limit (runjournal::parse_json). Bad JSON is data, not
// usage: runjournal::Error(InvalidArgument) naming `what` (exit 1). A file
// that cannot be read throws CliError.
nlohmann::json read_json_argument(const std::string& argument, const std::string& what);
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
