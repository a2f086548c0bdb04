// read_verbs.cpp — show, runs, events, rebuild, verify.
//
// All of them open an existing journal (never create one) and print either
// for a person (run_views.hpp) or, with --json, through runjournal/json.hpp.

#include <algorithm>
#include <cstddef>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <runjournal/json.hpp>

#include "cli_common.hpp"
#include "run_views.hpp"
#include "text_format.hpp"
#include "verbs.hpp"

namespace runjournal::cli {
namespace {

// `runs` reads the listing a page at a time; this bounds one read.
constexpr std::size_t kRunsPageSize = 500;

template <typename T>
nlohmann::json json_array(const std::vector<T>& values) {
  nlohmann::json array = nlohmann::json::array();
  for (const T& value : values) {
    array.push_back(to_json(value));
  }
  return array;
}

struct RunArgs {
  std::string db, run;
  bool json = false;
};

int show(const RunArgs& args) {
  Journal journal = open_for_reading(args.db);
  std::optional<Run> run = journal.run(args.run);
  if (!run) {
    throw CliError(fmt::format("no run {} in {}", args.run, args.db));
  }
  if (args.json) {
    print_json(to_json(*run));
  } else {
    std::cout << run_fields(*run);
  }
  return kExitOk;
}

void add_show(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("show", "Print one run's current state");
  cmd->add_option("DB", args->db, "journal file")->required();
  cmd->add_option("RUN", args->run, "the run's id")->required();
  cmd->add_flag("--json", args->json, "print the run as a JSON object (the runs table's columns)");
  cmd->footer(examples({"runjournal show agent.journal r42",
                        "runjournal show agent.journal r42 --json | jq -r .status"}));
  verbs.push_back({cmd, [args] { return show(*args); }});
}

struct RunsArgs {
  std::string db, status, session;
  std::size_t limit = 0;
  bool json = false;
  CLI::Option* status_option = nullptr;
  CLI::Option* session_option = nullptr;
  CLI::Option* limit_option = nullptr;
};

int runs(const RunsArgs& args) {
  Journal journal = open_for_reading(args.db);
  RunFilter filter;
  if (args.status_option->count() > 0) {
    filter.status = parse_status_text(args.status);
  }
  if (args.session_option->count() > 0) {
    filter.session_id = args.session;
  }
  const std::size_t wanted =
      args.limit_option->count() > 0 ? args.limit : std::numeric_limits<std::size_t>::max();
  std::vector<Run> found;
  Page page;
  while (found.size() < wanted) {
    page.limit = std::min(kRunsPageSize, wanted - found.size());
    std::vector<Run> batch = journal.runs(filter, page);
    found.insert(found.end(), batch.begin(), batch.end());
    if (batch.size() < page.limit) {
      break;
    }
    page.after_run_id = batch.back().run_id;
  }
  if (args.json) {
    print_json(json_array(found));
  } else {
    std::cout << runs_table(found, terminal_width());
  }
  return kExitOk;
}

void add_runs(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<RunsArgs>();
  CLI::App* cmd = app.add_subcommand("runs", "List runs in creation order");
  cmd->add_option("DB", args->db, "journal file")->required();
  args->status_option =
      cmd->add_option("--status", args->status, "only runs in this status: " + run_status_names())
          ->check(run_status_check());
  args->session_option = cmd->add_option("--session", args->session, "only runs of this session");
  args->limit_option = cmd->add_option("--limit", args->limit, "at most N runs (default: all)")
                           ->check(whole_number_check(1, "a number of runs"));
  cmd->add_flag("--json", args->json, "print a JSON array of run objects (prompts not truncated)");
  cmd->footer(examples({"runjournal runs agent.journal --status executing",
                        "runjournal runs agent.journal --session s1 --limit 20 --json"}));
  verbs.push_back({cmd, [args] { return runs(*args); }});
}

int events(const RunArgs& args) {
  Journal journal = open_for_reading(args.db);
  std::vector<Event> found = journal.events(args.run);
  // Every run has at least its run_created event, so no events means no run;
  // ask to be sure rather than assume.
  if (found.empty() && !journal.run(args.run)) {
    throw CliError(fmt::format("no run {} in {}", args.run, args.db));
  }
  if (args.json) {
    print_json(json_array(found));
  } else {
    std::cout << events_table(found, terminal_width());
  }
  return kExitOk;
}

void add_events(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("events", "List one run's events in seq order");
  cmd->add_option("DB", args->db, "journal file")->required();
  cmd->add_option("RUN", args->run, "the run's id")->required();
  cmd->add_flag("--json", args->json,
                "print a JSON array of event objects (payloads not truncated)");
  cmd->footer(examples({"runjournal events agent.journal r42",
                        "runjournal events agent.journal r42 --json | jq -r '.[].kind'"}));
  verbs.push_back({cmd, [args] { return events(*args); }});
}

struct JournalArgs {
  std::string db;
  bool json = false;
};

int rebuild(const JournalArgs& args) {
  Journal journal = open_existing(args.db);
  RebuildReport report;
  {
    TerminalProgress progress("rebuilding");
    report = journal.rebuild(progress.callback());
  }
  if (args.json) {
    print_json({{"runs", report.runs}, {"events", report.events}});
  } else {
    std::cout << fmt::format("rebuilt {} runs from {} events\n", report.runs, report.events);
  }
  return kExitOk;
}

void add_rebuild(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<JournalArgs>();
  CLI::App* cmd = app.add_subcommand("rebuild", "Recompute the runs table from the events");
  cmd->add_option("DB", args->db, "journal file")->required();
  cmd->add_flag("--json", args->json, "print the counts as a JSON object");
  cmd->footer(examples({"runjournal rebuild agent.journal"}));
  verbs.push_back({cmd, [args] { return rebuild(*args); }});
}

// Problems go to stdout, one per line (they are the command's output); the
// verdict is the exit status, with the usual one `error:` line on stderr.
int verify(const JournalArgs& args) {
  Journal journal = open_for_reading(args.db);
  VerifyReport report;
  {
    TerminalProgress progress("verifying");
    report = journal.verify(progress.callback());
  }
  if (args.json) {
    print_json({{"ok", report.ok()},
                {"runs_checked", report.runs_checked},
                {"events_checked", report.events_checked},
                {"problems", report.problems}});
  } else {
    for (const std::string& problem : report.problems) {
      std::cout << printable(problem) << '\n';
    }
    if (report.ok()) {
      std::cout << fmt::format("ok: {} runs and {} events checked\n", report.runs_checked,
                               report.events_checked);
    }
  }
  if (!report.ok()) {
    const std::size_t n = report.problems.size();
    print_error(fmt::format("{} problem{} found in {}", n, n == 1 ? "" : "s", args.db));
    return kExitError;
  }
  return kExitOk;
}

void add_verify(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<JournalArgs>();
  CLI::App* cmd = app.add_subcommand(
      "verify", "Check that the runs table equals a fresh recomputation; exit 1 on any problem");
  cmd->add_option("DB", args->db, "journal file")->required();
  cmd->add_flag("--json", args->json, "print the report as a JSON object");
  cmd->footer(examples({"runjournal verify agent.journal || runjournal rebuild agent.journal"}));
  verbs.push_back({cmd, [args] { return verify(*args); }});
}

}  // namespace

void add_read_verbs(CLI::App& app, std::vector<Verb>& verbs) {
  add_show(app, verbs);
  add_runs(app, verbs);
  add_events(app, verbs);
  add_rebuild(app, verbs);
  add_verify(app, verbs);
}

}  // namespace runjournal::cli
