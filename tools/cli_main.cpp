// cli_main.cpp — `runjournal`: the command line over the library.
//
// Parse the arguments (CLI11), run the chosen verb (verbs.hpp), and turn the
// outcome into the exit status DESIGN.md promises:
//   0  success (also --help and --version)
//   1  an error: one line on stderr starting "error: "
//   2  a usage error: unknown verb or option, malformed option value
// Library errors map by ErrorCode (cli_common.hpp), never by message text.
// The tool has no SQL of its own: every read and write goes through
// runjournal::Journal.

#include <algorithm>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include <runjournal/journal.hpp>

#include "cli_common.hpp"
#include "verbs.hpp"

namespace runjournal::cli {
namespace {

int run_verb(const Verb& verb) {
  try {
    int status = verb.run();
    std::cout.flush();
    if (!std::cout) {
      print_error("cannot write to stdout");
      return kExitError;
    }
    return status;
  } catch (const UsageError& e) {
    print_error(e.what());
    return kExitUsage;
  } catch (const CliError& e) {
    print_error(e.what());
    return kExitError;
  } catch (const Error& e) {
    print_error(e.what());
    return exit_code_for(e.code());
  } catch (const std::exception& e) {
    // Anything else (out of memory, a filesystem error) is still an error,
    // reported the same way rather than as an uncaught-exception abort.
    print_error(e.what());
    return kExitError;
  }
}

int main_impl(int argc, char** argv) {
  CLI::App app(
      "Write and inspect a runjournal journal: the runs of AI agents and workflows, "
      "in one SQLite file.",
      "runjournal");
  app.set_version_flag("--version", "runjournal " + std::string(version()));
  app.require_subcommand(1);
  app.footer(examples({
      "runjournal init agent.journal",
      "run=$(runjournal start agent.journal --session s1 --prompt 'fix the tests')",
      R"(runjournal append agent.journal "$run" tool_called '{"tool_name":"search"}')",
      R"(runjournal complete agent.journal "$run" --result done)",
      "runjournal runs agent.journal",
      "runjournal help VERB      # options and examples of one verb (or VERB --help)",
  }));

  std::vector<Verb> verbs;
  add_write_verbs(app, verbs);
  add_read_verbs(app, verbs);
  add_inspect_verbs(app, verbs);
  add_data_verbs(app, verbs);
  add_recover_verbs(app, verbs);
  add_serve_verb(app, verbs);

  // `runjournal help [VERB]`, as git and cargo have it: the same text as
  // `runjournal [VERB] --help`, on stdout, exit 0.
  if (argc > 1 && std::string_view(argv[1]) == "help") {
    if (argc > 3) {
      print_error("help takes one verb at most (see runjournal help)");
      return kExitUsage;
    }
    if (argc == 2) {
      std::cout << app.help();
      return kExitOk;
    }
    const auto verb = std::find_if(verbs.begin(), verbs.end(),
                                   [&](const Verb& v) { return v.command->check_name(argv[2]); });
    if (verb == verbs.end()) {
      print_error(std::string("unknown verb \"") + argv[2] + "\" (see runjournal help)");
      return kExitUsage;
    }
    std::cout << verb->command->help("runjournal");
    return kExitOk;
  }

  // CLI11 would call an unknown verb "A subcommand is required"; say what it is.
  if (argc > 1 && argv[1][0] != '-' &&
      std::none_of(verbs.begin(), verbs.end(),
                   [&](const Verb& verb) { return verb.command->check_name(argv[1]); })) {
    print_error(std::string("unknown verb \"") + argv[1] + "\" (see runjournal --help)");
    return kExitUsage;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);  // prints the (sub)command's help on stdout; exit 0
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::vector<CLI::App*> chosen = app.get_subcommands();
    const std::string help = chosen.empty()
                                 ? "runjournal --help"
                                 : "runjournal " + chosen.front()->get_name() + " --help";
    print_error(std::string(e.what()) + " (see " + help + ")");
    return kExitUsage;
  }

  for (const Verb& verb : verbs) {
    if (verb.command->parsed()) {
      return run_verb(verb);
    }
  }
  // require_subcommand(1) makes this unreachable; say so rather than exit 0.
  print_error("no verb given (see runjournal --help)");
  return kExitUsage;
}

}  // namespace
}  // namespace runjournal::cli

int main(int argc, char** argv) { return runjournal::cli::main_impl(argc, argv); }
