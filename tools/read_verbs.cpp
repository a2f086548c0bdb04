// read_verbs.cpp — show, runs, events, rebuild, verify.
//
// All of them open an existing journal (never create one) and print either
// for a person (run_views.hpp) or, with --json, through runjournal/json.hpp.

#include <algorithm>
#include <csignal>
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
#include "view_options.hpp"
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
  bool json = false, timeline = false;
  ViewFlags view;
};

int show(const RunArgs& args) {
  Journal journal = open_for_reading(args.db);
  std::optional<Run> run = journal.run(args.run);
  if (!run) {
    throw CliError(fmt::format("no run {} in {}", args.run, args.db));
  }
  if (args.timeline) {
    const std::vector<Event> events = journal.events(args.run);
    if (args.json) {
      print_json(timeline_json(*run, events, wall_clock_ms()));
    } else {
      std::cout << timeline(*run, events, style_of(args.view));
    }
  } else if (args.json) {
    print_json(to_json(*run));
  } else {
    std::cout << run_fields(*run);
  }
  return kExitOk;
}

void add_show(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("show", "Print one run's current state, or with --timeline its events and spans");
  cmd->add_option("DB", args->db, "journal file")->required();
  cmd->add_option("RUN", args->run, "the run's id")->required();
  cmd->add_flag("--timeline", args->timeline,
                "each event with the time since the run began and since the event before, and the spans that "
                "paired events make (a tool call and its result, a node entered and exited, a turn, a step)");
  cmd->add_flag("--json", args->json,
                "print the run as a JSON object (the runs table's columns); with --timeline, its events and spans");
  add_view_flags(*cmd, args->view);
  cmd->footer(examples({"runjournal show agent.journal r42",
                        "runjournal show agent.journal r42 --timeline",
                        "runjournal show agent.journal r42 --json | jq -r .status"}));
  verbs.push_back({cmd, [args] { return show(*args); }});
}

struct RunsArgs {
  std::string db, status, session, since, until, after, before;
  std::size_t limit = 0;
  bool json = false, oldest_first = false;
  ViewFlags view;
  CLI::Option* status_option = nullptr;
  CLI::Option* session_option = nullptr;
  CLI::Option* limit_option = nullptr;
  CLI::Option* since_option = nullptr;
  CLI::Option* until_option = nullptr;
  CLI::Option* after_option = nullptr;
  CLI::Option* before_option = nullptr;
};

// The runs a filter and a cursor select, at most `wanted`, read a page at a
// time; `more` says whether the listing goes on past them.
std::vector<Run> list_runs(const Journal& journal, const RunFilter& filter, Page page, std::size_t wanted,
                           bool& more) {
  std::vector<Run> found;
  more = false;
  const bool backward = page.before_run_id.has_value();
  while (found.size() < wanted) {
    // One more than needed tells whether there is a next page.
    page.limit = std::min(kRunsPageSize, wanted - found.size()) + 1;
    std::vector<Run> batch = journal.runs(filter, page);
    more = batch.size() == page.limit;
    // The extra run is the one farthest from the cursor: the last of a
    // forward page, the first of a backward one.
    if (more) backward ? (void)batch.erase(batch.begin()) : batch.pop_back();
    if (backward) {
      found.insert(found.begin(), batch.begin(), batch.end());
      if (!more || batch.empty()) break;
      page.before_run_id = batch.front().run_id;
    } else {
      found.insert(found.end(), batch.begin(), batch.end());
      if (!more || batch.empty()) break;
      page.after_run_id = batch.back().run_id;
    }
  }
  return found;
}

int runs(const RunsArgs& args) {
  RunFilter filter;
  if (args.status_option->count() > 0) filter.status = parse_status_text(args.status);
  if (args.session_option->count() > 0) filter.session_id = args.session;
  if (args.since_option->count() > 0) filter.created_since_ms = parse_time_option(args.since);
  if (args.until_option->count() > 0) filter.created_until_ms = parse_time_option(args.until);
  if (filter.created_since_ms && filter.created_until_ms && *filter.created_until_ms < *filter.created_since_ms) {
    throw UsageError(fmt::format("--until {} is before --since {}", args.until, args.since));
  }
  Page page;
  page.order = args.oldest_first ? RunOrder::OldestFirst : RunOrder::NewestFirst;
  if (args.after_option->count() > 0) page.after_run_id = args.after;
  if (args.before_option->count() > 0) page.before_run_id = args.before;
  Journal journal = open_for_reading(args.db);
  const std::size_t wanted =
      args.limit_option->count() > 0 ? args.limit : std::numeric_limits<std::size_t>::max();
  bool more = false;
  const std::vector<Run> found = list_runs(journal, filter, page, wanted, more);
  if (args.json) {
    print_json(json_array(found));
  } else {
    std::cout << runs_table(found, style_of(args.view));
  }
  // Where the next page starts, said on stderr so that stdout stays the
  // listing: a script pages with --after, a person copies the hint.
  if (more && !found.empty()) {
    const bool backward = page.before_run_id.has_value();
    print_note(backward ? fmt::format("more runs: --before {}", found.front().run_id)
                        : fmt::format("more runs: --after {}", found.back().run_id));
  }
  return kExitOk;
}

void add_runs(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<RunsArgs>();
  CLI::App* cmd = app.add_subcommand("runs", "List runs, newest first");
  cmd->add_option("DB", args->db, "journal file")->required();
  args->status_option =
      cmd->add_option("--status", args->status, "only runs in this status: " + run_status_names())
          ->check(run_status_check());
  args->session_option = cmd->add_option("--session", args->session, "only runs of this session");
  args->since_option = cmd->add_option("--since", args->since, "only runs created at or after TIME (ISO-8601 or an age: 2h)")
                           ->check(time_check());
  args->until_option = cmd->add_option("--until", args->until, "only runs created before TIME (ISO-8601 or an age)")
                           ->check(time_check());
  args->limit_option = cmd->add_option("--limit", args->limit, "at most N runs (default: all); a note on stderr says where the next page starts")
                           ->check(whole_number_check(1, "a number of runs"));
  args->after_option = cmd->add_option("--after", args->after, "the page after run RUN in this listing (a cursor)");
  args->before_option = cmd->add_option("--before", args->before, "the page before run RUN in this listing (a cursor)");
  args->after_option->excludes(args->before_option);
  cmd->add_flag("--oldest-first", args->oldest_first, "list in creation order instead");
  cmd->add_flag("--json", args->json, "print a JSON array of run objects (prompts not truncated)");
  add_view_flags(*cmd, args->view);
  cmd->footer(examples({"runjournal runs agent.journal --status executing",
                        "runjournal runs agent.journal --since 2h --limit 20",
                        "runjournal runs agent.journal --limit 20 --after r42   # the next page",
                        "runjournal runs agent.journal --session s1 --json"}));
  verbs.push_back({cmd, [args] { return runs(*args); }});
}

struct EventsArgs {
  std::string db, run;
  std::vector<std::string> kinds;
  bool json = false, follow = false;
  ViewFlags view;
};

bool kind_wanted(const std::vector<std::string>& kinds, const std::string& kind) {
  return kinds.empty() || std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

volatile std::sig_atomic_t g_events_stop = 0;
extern "C" void on_events_stop(int) { g_events_stop = 1; }

// With --follow, the events so far as a table (its widths fixed by them),
// then each new one as it commits, one line each (JSON Lines with --json),
// until the run finishes or Ctrl-C.
int events(const EventsArgs& args) {
  Journal journal = open_for_reading(args.db);
  const std::optional<Run> run = journal.run(args.run);
  if (!run) {
    throw CliError(fmt::format("no run {} in {}", args.run, args.db));
  }
  std::vector<Event> found = journal.events(args.run);
  const std::int64_t seen = found.empty() ? 0 : found.back().position;
  std::erase_if(found, [&](const Event& e) { return !kind_wanted(args.kinds, e.kind); });
  const TableStyle style = style_of(args.view);
  if (args.json && !args.follow) {
    print_json(json_array(found));
    return kExitOk;
  }
  if (args.json) {
    for (const Event& e : found) std::cout << to_json(e).dump() << '\n';
  } else {
    std::cout << events_table(found, style);
  }
  if (!args.follow || is_terminal(run->status)) return kExitOk;

  std::signal(SIGINT, on_events_stop);
  std::signal(SIGTERM, on_events_stop);
  bool finished = false;
  const auto visit = [&](const Event& e) {
    if (e.run_id != args.run) return true;
    if (kind_wanted(args.kinds, e.kind)) {
      if (args.json) {
        std::cout << to_json(e).dump() << '\n';
      } else {
        // The table's last line shape, without the header.
        const std::string table = events_table({e}, style);
        std::cout << table.substr(table.find('\n') + 1);
      }
    }
    // A terminal event ends the run, and the watch.
    const std::optional<Run> now = journal.run(args.run);
    finished = !now || is_terminal(now->status);
    return !finished && static_cast<bool>(std::cout);
  };
  journal.follow(seen, visit, [] {
    std::cout.flush();
    return g_events_stop == 0 && static_cast<bool>(std::cout);
  });
  std::cout.flush();
  return kExitOk;
}

void add_events(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<EventsArgs>();
  CLI::App* cmd = app.add_subcommand("events", "List one run's events in seq order; --follow watches it until it finishes");
  cmd->add_option("DB", args->db, "journal file")->required();
  cmd->add_option("RUN", args->run, "the run's id")->required();
  cmd->add_option("--kind", args->kinds, "only events of this kind (repeat for more kinds)");
  cmd->add_flag("--follow,-f", args->follow,
                "keep printing the run's new events as they commit, until it finishes (or Ctrl-C)");
  cmd->add_flag("--json", args->json,
                "print a JSON array of event objects (payloads not truncated); with --follow, JSON Lines");
  add_view_flags(*cmd, args->view);
  cmd->footer(examples({"runjournal events agent.journal r42",
                        "runjournal events agent.journal r42 --kind tool_called --kind tool_result",
                        "runjournal events agent.journal r42 --follow",
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
