#include "cli_common.hpp"

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <unistd.h>

#include <fmt/format.h>

#include <runjournal/json.hpp>

#include "text_format.hpp"

namespace runjournal::cli {
namespace {

constexpr std::array kAllStatuses = {
    RunStatus::Created,     RunStatus::Planning,  RunStatus::Executing, RunStatus::Verifying,
    RunStatus::Interrupted, RunStatus::Completed, RunStatus::Failed,    RunStatus::Cancelled,
};

std::string one_line(std::string_view message) {
  std::string line(message);
  // Trailing newlines go; inner ones become spaces: the contract is one line.
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.pop_back();
  }
  for (char& c : line) {
    if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  return line;
}

}  // namespace

std::string run_status_names() {
  std::string names;
  for (RunStatus s : kAllStatuses) {
    names += names.empty() ? "" : ", ";
    names += to_string(s);
  }
  return names;
}

int exit_code_for(ErrorCode code) noexcept {
  // Every library error is an error of the run-time kind (exit 1): usage
  // errors are found by the command line before the library is called. The
  // switch names every code so that a new one must be decided here.
  switch (code) {
    case ErrorCode::NotFound:
    case ErrorCode::Conflict:
    case ErrorCode::AlreadyRunning:
    case ErrorCode::AlreadyExists:
    case ErrorCode::InvalidArgument:
    case ErrorCode::Busy:
    case ErrorCode::Corrupt:
    case ErrorCode::SchemaTooNew:
    case ErrorCode::NotAJournal:
    case ErrorCode::Io:
    case ErrorCode::TimedOut:
    case ErrorCode::ReadOnly:
      return kExitError;
  }
  return kExitError;
}

void print_error(std::string_view message) {
  std::cout.flush();  // keep stdout and stderr in order on a terminal
  std::cerr << "error: " << printable(one_line(message)) << '\n';
}

void print_note(std::string_view message) {
  std::cout.flush();
  std::cerr << "note: " << printable(one_line(message)) << '\n';
}

bool is_journal_uri(std::string_view location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

std::string display_location(const std::string& location) {
  if (!is_journal_uri(location)) return location;
  std::string out = location;
  const std::size_t start = out.find("://") + 3;
  const std::size_t end = out.find_first_of("/?", start);
  const std::size_t at = out.rfind('@', end == std::string::npos ? std::string::npos : end);
  if (at != std::string::npos && at >= start) {
    const std::size_t colon = out.find(':', start);
    if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  for (std::size_t p = out.find("password="); p != std::string::npos; p = out.find("password=", p + 1)) {
    if (p == 0 || (out[p - 1] != '?' && out[p - 1] != '&')) continue;
    const std::size_t value = p + 9;
    const std::size_t stop = out.find('&', value);
    out.replace(value, (stop == std::string::npos ? out.size() : stop) - value, "***");
  }
  return out;
}

namespace {

// Journal::open for a journal that must be there: a missing file is the
// command line's "no journal at PATH" (exit 1), never created.
Journal open_present(const std::string& path, const Options& options) {
  try {
    return Journal::open(path, options);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::NotFound) {
      throw CliError(fmt::format("no journal at {}", display_location(path)));
    }
    throw;
  }
}

}  // namespace

Journal open_existing(const std::string& path, std::optional<std::int64_t> driver_pid) {
  Options options;
  options.create_if_missing = false;
  if (driver_pid) {
    options.driver = process_driver(*driver_pid);
    if (!options.driver) throw CliError(fmt::format("--driver-pid {}: no such process", *driver_pid));
  } else {
    // The command line lives for one call; the run belongs to whoever called
    // it. If the parent cannot be read (it exited meanwhile), fall back to
    // this process, which is about to exit too: recover() will list the run.
    options.driver = process_driver(static_cast<std::int64_t>(::getppid()));
  }
  return open_present(path, options);
}

Journal open_for_reading(const std::string& path) {
  Options options;
  options.read_only = true;
  return open_present(path, options);
}

Journal open_or_create(const std::string& path, bool* existed) {
  Options options;
  if (existed != nullptr) {
    // Asked first without creating: a file, or a schema, that is there.
    options.create_if_missing = false;
    try {
      Journal journal = Journal::open(path, options);
      *existed = true;
      return journal;
    } catch (const Error& e) {
      if (e.code() != ErrorCode::NotFound) throw;
    }
    *existed = false;
  }
  options.create_if_missing = true;
  return Journal::open(path, options);
}

CLI::Validator run_status_check() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (parse_run_status(text)) {
          return {};
        }
        return fmt::format("\"{}\" is not a run status (one of {})", text, run_status_names());
      },
      "STATUS");
}

CLI::Validator whole_number_check(std::int64_t min, const std::string& what) {
  return CLI::Validator(
      [min, what](std::string& text) -> std::string {
        const std::string wanted = fmt::format("{}: a whole number of {} or more", what, min);
        const bool negative = !text.empty() && text.front() == '-';
        const std::string digits = negative ? text.substr(1) : text;
        if (digits.empty() || digits.size() > 18 || (negative && min >= 0) ||
            digits.find_first_not_of("0123456789") != std::string::npos) {
          return fmt::format("\"{}\" is not {}", printable(text), wanted);
        }
        const std::int64_t value = (negative ? -1 : 1) * std::stoll(digits);
        if (value < min) return fmt::format("{} is not {}", value, wanted);
        return {};
      },
      "N");
}

CLI::Validator seconds_check() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::size_t used = 0;
        double value = 0;
        try {
          value = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != text.size() || !(value > 0) || value > 1e9) {
          return fmt::format("\"{}\" is not a number of seconds greater than 0 (such as 2 or 0.5)", printable(text));
        }
        return {};
      },
      "SECONDS");
}

nlohmann::json read_json_argument(const std::string& argument, const std::string& what) {
  std::string text = argument;
  if (argument == "-") {
    std::ostringstream all;
    all << std::cin.rdbuf();
    if (std::cin.bad()) throw CliError(fmt::format("{}: cannot read standard input", what));
    text = all.str();
  } else if (!argument.empty() && argument.front() == '@') {
    const std::string file = argument.substr(1);
    std::ifstream in(file, std::ios::binary);
    if (!in) throw CliError(fmt::format("{}: cannot read {}: {}", what, printable(file), std::strerror(errno)));
    std::ostringstream all;
    all << in.rdbuf();
    if (in.bad()) throw CliError(fmt::format("{}: cannot read {}", what, printable(file)));
    text = all.str();
  }
  // The command line sets no Options::max_json_depth: the journal's limit
  // is SQLite's, known before the journal is opened (so a bad argument is
  // refused before a file is touched).
  return runjournal::parse_json(text, sqlite_json_max_depth(), what);
}

RunStatus parse_status_text(const std::string& text) {
  std::optional<RunStatus> status = parse_run_status(text);
  if (!status) {
    throw UsageError(
        fmt::format("\"{}\" is not a run status (one of {})", text, run_status_names()));
  }
  return *status;
}

void print_json(const nlohmann::json& json) { std::cout << json.dump(2) << '\n'; }

TerminalProgress::TerminalProgress(std::string label, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      enabled_(::isatty(STDOUT_FILENO) == 1 && ::isatty(STDERR_FILENO) == 1) {}

TerminalProgress::~TerminalProgress() {
  if (drawn_) {
    std::fputs("\r\033[K", stderr);  // erase the progress line
    std::fflush(stderr);
  }
}

Progress TerminalProgress::callback() {
  if (!enabled_) {
    return {};
  }
  return [this](std::int64_t done, std::int64_t total) {
    const auto now = std::chrono::steady_clock::now();
    // At most ten redraws a second, but always the last one.
    if (drawn_ && done < total && now - last_draw_ < std::chrono::milliseconds(100)) {
      return;
    }
    last_draw_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
    std::string eta = "?";
    if (rate > 0 && total >= done) {
      eta = short_duration(static_cast<double>(total - done) / rate);
    }
    if (total <= 0) {
      // A pipe: no size to measure against.
      std::fprintf(stderr, "\r\033[K%s: %lld %s, %.0f/s", label_.c_str(), static_cast<long long>(done),
                   unit_.c_str(), rate);
    } else {
      const int percent = static_cast<int>(100 * done / total);
      std::fprintf(stderr, "\r\033[K%s: %3d%% %lld/%lld %s, %.0f/s, ETA %s", label_.c_str(), percent,
                   static_cast<long long>(done), static_cast<long long>(total), unit_.c_str(), rate,
                   eta.c_str());
    }
    std::fflush(stderr);
    drawn_ = true;
  };
}

std::string short_duration(double seconds) {
  const auto total = static_cast<long long>(seconds + 0.5);
  if (total >= 3600) {
    return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
  }
  if (total >= 60) {
    return fmt::format("{}m{:02}s", total / 60, total % 60);
  }
  return fmt::format("{}s", total);
}

CLI::Option* add_driver_pid(CLI::App& cmd, std::int64_t& pid) {
  return cmd.add_option("--driver-pid", pid,
                        "the process driving the run (default: the one that invoked runjournal); "
                        "recover lists the run once it is gone")
      ->check(whole_number_check(1, "a process id"));
}

std::optional<std::int64_t> driver_pid_of(const CLI::Option* option, std::int64_t pid) {
  return option->count() > 0 ? std::optional<std::int64_t>(pid) : std::nullopt;
}

}  // namespace runjournal::cli
