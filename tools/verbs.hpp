// verbs.hpp — the verbs of the `runjournal` command line.
//
// Each add_* function registers its verbs as CLI11 subcommands (options,
// help text, an example in the footer) and an action to run once the
// arguments are parsed. Actions print to stdout and return the exit status;
// failures are thrown (CliError, UsageError, runjournal::Error) and turned
// into one `error:` line and an exit status by cli_main.cpp.
//
// Only `init` may create a journal; every other verb opens an existing one
// and fails with "no journal at PATH" when it is missing.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace runjournal::cli {

struct Verb {
  CLI::App* command;         // owned by the CLI::App it was added to
  std::function<int()> run;  // the action; returns the exit status
};

// init, start, append, complete, fail, cancel.
void add_write_verbs(CLI::App& app, std::vector<Verb>& verbs);
// show, runs, events, rebuild, verify.
void add_read_verbs(CLI::App& app, std::vector<Verb>& verbs);
// sql, stats, tail.
void add_inspect_verbs(CLI::App& app, std::vector<Verb>& verbs);
// export, import, prune.
void add_data_verbs(CLI::App& app, std::vector<Verb>& verbs);
// recover, fork (recover_verbs.cpp).
void add_recover_verbs(CLI::App& app, std::vector<Verb>& verbs);
void add_serve_verb(CLI::App& app, std::vector<Verb>& verbs);  // serve (serve/serve_verb.cpp)

// A help footer listing example command lines.
inline std::string examples(std::initializer_list<std::string_view> lines) {
  std::string text = "Examples:\n";
  for (std::string_view line : lines) {
    text += "  ";
    text += line;
    text += '\n';
  }
  return text;
}

}  // namespace runjournal::cli
