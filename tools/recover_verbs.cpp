// recover_verbs.cpp — `runjournal recover`: the runs whose driver is gone;
// `resume` and `interrupt`: taking one over or giving it up; `runjournal
// fork`: a second run from another's history.
//
// Listing is Journal::recover() and changes nothing. --mark-interrupted then
// gives up each listed run with run_interrupted, guarded by the seq it was
// listed at: a run that moved since (its driver was alive after all) is
// left alone and named in a note, never overwritten. --claim instead takes
// them over for the caller (Journal::claim_recovered): when several hosts
// run it at once on one shared journal, each run goes to exactly one.

#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <runjournal/json.hpp>

#include "cli_common.hpp"
#include "text_format.hpp"
#include "verbs.hpp"

namespace runjournal::cli {
namespace {

struct RecoverArgs {
  std::string db;
  bool json = false;
  bool mark_interrupted = false;
  bool claim = false;
  bool include_interrupted = false;
  std::size_t limit = static_cast<std::size_t>(-1);
  CLI::Option* limit_option = nullptr;
};

std::string driver_text(const Run& run) {
  if (!run.driver) return "-";
  return fmt::format("{}@{}", run.driver->pid, run.driver->host);
}

std::string recovered_table(const std::vector<RecoveredRun>& found) {
  const std::vector<Column> columns = {
      {"RUN_ID", Align::Left, 0},       {"SESSION", Align::Left, 24}, {"STATUS", Align::Left, 0},
      {"SILENT", Align::Right, 0},      {"CHECKPOINT", Align::Left, 24}, {"DRIVER", Align::Left, 32},
      {"WHY", Align::Left, 0},
  };
  std::vector<std::vector<std::string>> rows;
  for (const RecoveredRun& r : found) {
    rows.push_back({r.run.run_id, r.run.session_id, std::string(to_string(r.run.status)),
                    short_duration(static_cast<double>(r.silent_ms) / 1000.0),
                    r.checkpoint ? r.checkpoint->checkpoint_id : "-", driver_text(r.run), r.why});
  }
  return render_table(columns, rows, terminal_width());
}

nlohmann::json recovered_json(const RecoveredRun& r) {
  nlohmann::json object = to_json(r.run);  // the runs columns, checkpoint included
  object["silent_ms"] = r.silent_ms;
  object["why"] = r.why;
  return object;
}

// `recover --claim`: resumes the cut-off runs for the caller; prints those
// it got (another host's are not listed: they are that host's now).
int claim(const RecoverArgs& args) {
  Journal journal = open_existing(args.db);
  const std::vector<RecoveredRun> claimed =
      journal.claim_recovered({.include_interrupted = args.include_interrupted, .limit = args.limit});
  if (args.json) {
    nlohmann::json array = nlohmann::json::array();
    for (const RecoveredRun& r : claimed) array.push_back(recovered_json(r));
    print_json(array);
    return kExitOk;
  }
  if (claimed.empty()) {
    std::cout << "no run was cut off\n";
    return kExitOk;
  }
  std::cout << recovered_table(claimed);
  std::cout << fmt::format("claimed {} run{}\n", claimed.size(), claimed.size() == 1 ? "" : "s");
  return kExitOk;
}

int recover(const RecoverArgs& args) {
  if (args.limit_option->count() > 0 && !args.claim) throw UsageError("--limit goes with --claim");
  if (args.claim) return claim(args);
  Journal journal = args.mark_interrupted ? open_existing(args.db) : open_for_reading(args.db);
  std::vector<RecoveredRun> found = journal.recover({.include_interrupted = args.include_interrupted});
  std::vector<bool> marked(found.size(), false);
  if (args.mark_interrupted) {
    for (std::size_t i = 0; i < found.size(); ++i) {
      RecoveredRun& r = found[i];
      if (r.run.status == RunStatus::Interrupted) continue;
      try {
        r.run = journal.interrupt_run(r.run.run_id, "driver gone: " + r.why, {.expected_seq = r.run.last_seq});
        marked[i] = true;
      } catch (const Error& e) {
        if (e.code() != ErrorCode::Conflict) throw;
        print_note(fmt::format("run {} moved since it was listed; left as it is", r.run.run_id));
      }
    }
  }
  if (args.json) {
    nlohmann::json array = nlohmann::json::array();
    for (std::size_t i = 0; i < found.size(); ++i) {
      nlohmann::json object = recovered_json(found[i]);
      object["marked_interrupted"] = marked[i];
      array.push_back(std::move(object));
    }
    print_json(array);
    return kExitOk;
  }
  if (found.empty()) {
    std::cout << "no run was cut off\n";
    return kExitOk;
  }
  std::cout << recovered_table(found);
  if (args.mark_interrupted) {
    std::size_t count = 0;
    for (bool m : marked) count += m ? 1 : 0;
    std::cout << fmt::format("marked {} run{} interrupted\n", count, count == 1 ? "" : "s");
  }
  return kExitOk;
}

struct ForkArgs {
  std::string db, run, checkpoint, id, session;
  std::int64_t at = 0;
  bool json = false;
  CLI::Option* at_option = nullptr;
  CLI::Option* checkpoint_option = nullptr;
  CLI::Option* id_option = nullptr;
  CLI::Option* session_option = nullptr;
};

// `fork`: a new live run whose first events are the source's (Journal::fork);
// the caller of runjournal drives it, as for `start`.
int fork(const ForkArgs& args) {
  if ((args.at_option->count() > 0) == (args.checkpoint_option->count() > 0)) {
    throw UsageError("fork needs --at SEQ or --checkpoint ID, one of them (see runjournal fork --help)");
  }
  ForkOptions options;
  if (args.id_option->count() > 0) options.run_id = args.id;
  if (args.session_option->count() > 0) options.session_id = args.session;
  Journal journal = open_existing(args.db);
  const Run run = args.at_option->count() > 0 ? journal.fork(args.run, args.at, options)
                                              : journal.fork_at_checkpoint(args.run, args.checkpoint, options);
  if (args.json) {
    print_json(to_json(run));
  } else {
    std::cout << run.run_id << '\n';
  }
  return kExitOk;
}

void add_fork(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<ForkArgs>();
  CLI::App* cmd = app.add_subcommand(
      "fork", "Start a new run from another's first events (up to a seq or a checkpoint); print its id");
  cmd->add_option("DB", args->db, "journal file")->required();
  cmd->add_option("RUN", args->run, "the run to fork")->required();
  args->at_option = cmd->add_option("--at", args->at, "copy the run's events 1 … SEQ")
                        ->check(whole_number_check(1, "a seq"));
  args->checkpoint_option =
      cmd->add_option("--checkpoint", args->checkpoint, "copy the run's events up to the one that saved checkpoint ID");
  args->id_option = cmd->add_option("--id", args->id, "the new run's id (default: run-<uuid v4>)");
  args->session_option = cmd->add_option("--session", args->session, "the new run's session (default: the source's)");
  cmd->add_flag("--json", args->json, "print the new run as JSON (forked_from_run, forked_from_seq included)");
  cmd->footer(examples({
      "runjournal fork agent.journal r42 --at 7",
      "FORK=$(runjournal fork agent.journal r42 --checkpoint cp-3 --id r42-retry)",
      "runjournal append agent.journal \"$FORK\" run_resumed   # drive it on",
  }));
  verbs.push_back({cmd, [args] { return fork(*args); }});
}

struct LifecycleArgs {
  std::string db, run, checkpoint, reason = "given up with runjournal interrupt", payload;
  std::int64_t expect_seq = 0, driver_pid = 0;
  bool json = false;
  CLI::Option* checkpoint_option = nullptr;
  CLI::Option* payload_option = nullptr;
  CLI::Option* expect_option = nullptr;
  CLI::Option* driver_option = nullptr;
};

// resume and interrupt print what start and complete do for a person (the
// appended event's seq and position) and, with --json, the run afterwards.
void print_changed(const Run& run, bool json) {
  if (json) {
    print_json(to_json(run));
  } else {
    std::cout << run.last_seq << ' ' << run.last_position << '\n';
  }
}

AppendOptions guarded(const LifecycleArgs& args) {
  AppendOptions options;
  if (args.expect_option->count() > 0) options.expected_seq = args.expect_seq;
  return options;
}

int resume(const LifecycleArgs& args) {
  nlohmann::json payload =
      args.payload_option->count() > 0 ? read_json_argument(args.payload, "PAYLOAD") : nlohmann::json::object();
  if (!payload.is_object()) throw Error(ErrorCode::InvalidArgument, "PAYLOAD is not a JSON object");
  if (args.checkpoint_option->count() > 0) payload["from_checkpoint"] = args.checkpoint;
  Journal journal = open_existing(args.db, driver_pid_of(args.driver_option, args.driver_pid));
  print_changed(journal.resume_run(args.run, payload, guarded(args)), args.json);
  return kExitOk;
}

int interrupt(const LifecycleArgs& args) {
  Journal journal = open_existing(args.db);
  print_changed(journal.interrupt_run(args.run, args.reason, guarded(args)), args.json);
  return kExitOk;
}

CLI::App* add_lifecycle_command(CLI::App& app, const char* name, const char* description, LifecycleArgs& args) {
  CLI::App* cmd = app.add_subcommand(name, description);
  cmd->add_option("DB", args.db, "journal file")->required();
  cmd->add_option("RUN", args.run, "the run's id")->required();
  args.expect_option = cmd->add_option("--expect-seq", args.expect_seq,
                                       "only if the run's latest seq is still N (as recover listed it)")
                           ->check(whole_number_check(1, "a seq"));
  cmd->add_flag("--json", args.json, "print the run afterwards as a JSON object");
  return cmd;
}

void add_resume(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<LifecycleArgs>();
  CLI::App* cmd = add_lifecycle_command(
      app, "resume",
      "Take a run over (append run_resumed): an interrupted run executes again, and the caller drives it", *args);
  args->payload_option = cmd->add_option("PAYLOAD", args->payload, "run_resumed's payload, a JSON object (- or @FILE)");
  args->checkpoint_option =
      cmd->add_option("--checkpoint", args->checkpoint, "the checkpoint it resumes from (from_checkpoint in the payload)");
  args->driver_option = add_driver_pid(*cmd, args->driver_pid);
  cmd->footer(examples({"runjournal resume agent.journal r42 --checkpoint cp-3",
                        "runjournal resume agent.journal r42 --driver-pid $$ --expect-seq 17"}));
  verbs.push_back({cmd, [args] { return resume(*args); }});
}

void add_interrupt(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<LifecycleArgs>();
  CLI::App* cmd = add_lifecycle_command(
      app, "interrupt", "Give a run up for now (append run_interrupted): a host may resume it later", *args);
  cmd->add_option("--reason", args->reason, "why it was given up");
  cmd->footer(examples({"runjournal interrupt agent.journal r42 --reason 'host going down'"}));
  verbs.push_back({cmd, [args] { return interrupt(*args); }});
}

}  // namespace

void add_recover_verbs(CLI::App& app, std::vector<Verb>& verbs) {
  add_fork(app, verbs);
  add_resume(app, verbs);
  add_interrupt(app, verbs);
  auto args = std::make_shared<RecoverArgs>();
  CLI::App* cmd = app.add_subcommand(
      "recover", "List the runs that were cut off: not finished, and their driving process is gone");
  cmd->add_option("DB", args->db, "journal file")->required();
  cmd->add_flag("--json", args->json,
                "print an array of run objects, each with silent_ms, why and marked_interrupted");
  CLI::Option* mark = cmd->add_flag("--mark-interrupted", args->mark_interrupted,
                                    "give up every listed run: append run_interrupted to each");
  cmd->add_flag("--claim", args->claim,
                "resume the listed runs for the caller (run_resumed, the caller becomes their driver) and "
                "list those it got: of several hosts claiming at once, each run goes to exactly one")
      ->excludes(mark);
  args->limit_option = cmd->add_option("--limit", args->limit, "with --claim: claim at most N runs, oldest first")
                           ->check(CLI::PositiveNumber);
  cmd->add_flag("--include-interrupted", args->include_interrupted,
                "also list runs already interrupted (whose driver is gone)");
  cmd->footer(examples({
      "runjournal recover agent.journal",
      "runjournal recover agent.journal --json --include-interrupted",
      "runjournal recover agent.journal --mark-interrupted",
      "runjournal recover postgresql://db.internal/agents --claim --limit 10 --json",
      R"(runjournal append agent.journal r42 run_resumed '{"from_checkpoint":"cp-3"}'   # pick one up)",
  }));
  verbs.push_back({cmd, [args] { return recover(*args); }});
}

}  // namespace runjournal::cli
