#include "cli_common.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <unistd.h>

#include <fmt/format.h>

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
  std::cerr << "error: " << one_line(message) << '\n';
}

void print_note(std::string_view message) {
  std::cout.flush();
  std::cerr << "note: " << one_line(message) << '\n';
}

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
  try {
    return Journal::open(path, options);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::NotFound) {
      throw CliError(fmt::format("no journal at {}", path));
    }
    throw;
  }
}

Journal open_or_create(const std::string& path) {
  Options options;
  options.create_if_missing = true;
  return Journal::open(path, options);
}

CLI::Validator json_text_check() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        return nlohmann::json::accept(text) ? std::string()
                                            : std::string("not valid JSON: ") + text;
      },
      "JSON");
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

CLI::Validator positive_count_check() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::size_t value = 0;
        if (CLI::detail::lexical_cast(text, value) && value >= 1) {
          return {};
        }
        return fmt::format("\"{}\" is not a whole number of at least 1", text);
      },
      "N");
}

nlohmann::json parse_json_text(const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw UsageError(fmt::format("not valid JSON: {}", e.what()));
  }
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
    const int percent = total > 0 ? static_cast<int>(100 * done / total) : 0;
    std::fprintf(stderr, "\r\033[K%s: %3d%% %lld/%lld %s, %.0f/s, ETA %s", label_.c_str(), percent,
                 static_cast<long long>(done), static_cast<long long>(total), unit_.c_str(), rate,
                 eta.c_str());
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

}  // namespace runjournal::cli
