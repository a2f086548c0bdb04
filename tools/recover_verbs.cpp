// recover_verbs.cpp — `runjournal recover`: the runs whose driver is gone.
//
// Listing is Journal::recover() and changes nothing. --mark-interrupted then
// gives up each listed run with run_interrupted, guarded by the seq it was
// listed at: a run that moved since (its driver was alive after all) is
// left alone and named in a note, never overwritten.

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
  bool include_interrupted = false;
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

nlohmann::json recovered_json(const RecoveredRun& r, bool marked) {
  nlohmann::json object = to_json(r.run);  // the runs columns, checkpoint included
  object["silent_ms"] = r.silent_ms;
  object["why"] = r.why;
  object["marked_interrupted"] = marked;
  return object;
}

int recover(const RecoverArgs& args) {
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
    for (std::size_t i = 0; i < found.size(); ++i) array.push_back(recovered_json(found[i], marked[i]));
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

}  // namespace

void add_recover_verbs(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<RecoverArgs>();
  CLI::App* cmd = app.add_subcommand(
      "recover", "List the runs that were cut off: not finished, and their driving process is gone");
  cmd->add_option("DB", args->db, "journal file")->required();
  cmd->add_flag("--json", args->json,
                "print an array of run objects, each with silent_ms, why and marked_interrupted");
  cmd->add_flag("--mark-interrupted", args->mark_interrupted,
                "give up every listed run: append run_interrupted to each");
  cmd->add_flag("--include-interrupted", args->include_interrupted,
                "also list runs already interrupted (whose driver is gone)");
  cmd->footer(examples({
      "runjournal recover agent.journal",
      "runjournal recover agent.journal --json --include-interrupted",
      "runjournal recover agent.journal --mark-interrupted",
      R"(runjournal append agent.journal r42 run_resumed '{"from_checkpoint":"cp-3"}'   # pick one up)",
  }));
  verbs.push_back({cmd, [args] { return recover(*args); }});
}

}  // namespace runjournal::cli
