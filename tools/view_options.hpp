// view_options.hpp — the options every listing verb shares (runs, events,
// show, tail): how times are shown, colour, and time bounds.
//
// On a terminal a person reads relative times ("3m ago") and coloured
// statuses; anything else (a pipe, a file, a script) gets UTC ISO-8601 and
// no colour, so output that is parsed stays stable. --utc, --local and
// --relative choose the times, --colour always|never|auto the colour.
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "run_views.hpp"

namespace runjournal::cli {

struct ViewFlags {
  bool utc = false;
  bool local = false;
  bool relative = false;
  std::string colour = "auto";
};

// Adds --utc, --local, --relative (one of them at most) and --colour.
void add_view_flags(CLI::App& cmd, ViewFlags& flags);

// The style the flags and stdout ask for, with now = the wall clock.
TableStyle style_of(const ViewFlags& flags);

// A CLI11 check for a time bound: an ISO-8601 time or an age ("30d"), as
// prune's --finished-before takes (runjournal::parse_cutoff).
CLI::Validator time_check();
// Unix ms for text accepted by time_check(), ages counted back from now.
std::int64_t parse_time_option(const std::string& text);

}  // namespace runjournal::cli
