#include "view_options.hpp"

#include <unistd.h>

#include <runjournal/error.hpp>
#include <runjournal/inspect.hpp>

#include "text_format.hpp"

namespace runjournal::cli {

void add_view_flags(CLI::App& cmd, ViewFlags& flags) {
  CLI::Option* utc = cmd.add_flag("--utc", flags.utc, "show times as UTC ISO-8601 (the default off a terminal)");
  CLI::Option* local =
      cmd.add_flag("--local", flags.local, "show times as ISO-8601 in the local time zone, with its offset");
  CLI::Option* relative =
      cmd.add_flag("--relative", flags.relative, "show times relative to now, \"3m ago\" (the default on a terminal)");
  utc->excludes(local)->excludes(relative);
  local->excludes(relative);
  cmd.add_option("--colour,--color", flags.colour, "colour statuses: auto (on a terminal, unless NO_COLOR), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
}

TableStyle style_of(const ViewFlags& flags) {
  TableStyle style;
  style.terminal = ::isatty(STDOUT_FILENO) == 1;
  style.fit_width = terminal_width();
  style.now_ms = wall_clock_ms();
  if (flags.utc) {
    style.times = TimeStyle::Utc;
  } else if (flags.local) {
    style.times = TimeStyle::Local;
  } else if (flags.relative || style.terminal) {
    style.times = TimeStyle::Relative;
  }
  style.colour = flags.colour == "always" || (flags.colour == "auto" && colour_on_stdout());
  return style;
}

CLI::Validator time_check() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        try {
          (void)parse_cutoff(text, wall_clock_ms());
          return {};
        } catch (const Error&) {
          return "\"" + text + "\" is not a time: write an ISO-8601 time (2025-01-31, 2025-01-31T12:00:00Z) or an "
                 "age (30d, 12h, 15m, 45s)";
        }
      },
      "TIME");
}

std::int64_t parse_time_option(const std::string& text) { return parse_cutoff(text, wall_clock_ms()); }

}  // namespace runjournal::cli
