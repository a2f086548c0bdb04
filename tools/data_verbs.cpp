// data_verbs.cpp — export, import, prune: moving whole runs in and out.
//
// The record format is JSON Lines, one whole run per line (Journal::records,
// runjournal/inspect.hpp); export also writes OpenTelemetry traces
// (runjournal/otlp.hpp). Import is all-or-nothing in the library; this
// file opens files, parses option values and prints what happened.

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <runjournal/otlp.hpp>

#include "cli_common.hpp"
#include "text_format.hpp"
#include "verbs.hpp"

namespace runjournal::cli {
namespace {

struct ExportArgs {
  std::string db, run, output, format = "jsonl", service_name = "runjournal";
  CLI::Option* run_option = nullptr;
  CLI::Option* output_option = nullptr;
};

CLI::Validator export_format_check() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (text == "jsonl" || text == "otlp-json") return {};
        return fmt::format("\"{}\" is not an export format (jsonl or otlp-json)", text);
      },
      "FORMAT");
}

int export_runs(const ExportArgs& args) {
  Journal journal = open_for_reading(args.db);
  std::optional<std::string> run_id;
  if (args.run_option->count() > 0) {
    run_id = args.run;
    // Asked before the output is opened: an unknown run leaves no file behind.
    if (!journal.run(*run_id)) throw Error(ErrorCode::NotFound, fmt::format("no run {}", *run_id));
  }
  const bool to_file = args.output_option->count() > 0 && args.output != "-";
  std::ofstream file;
  if (to_file) {
    file.open(args.output, std::ios::out | std::ios::trunc | std::ios::binary);
    if (!file) throw CliError(fmt::format("cannot write {}", args.output));
  }
  std::ostream& out = to_file ? file : std::cout;
  const std::string where = to_file ? args.output : "to stdout";
  std::string summary;
  if (args.format == "otlp-json") {
    OtlpReport report;
    {
      TerminalProgress progress("exporting", "runs");
      try {
        report = export_otlp(journal, out, {.service_name = args.service_name, .run_id = run_id}, progress.callback());
      } catch (const Error& e) {
        if (e.code() == ErrorCode::Io && !out) throw CliError(fmt::format("cannot write {}", where));
        throw;
      }
    }
    summary = fmt::format("exported {} runs as traces ({} spans, {} span events)", report.traces, report.spans,
                          report.span_events);
  } else {
    std::int64_t runs = 0, events = 0;
    TerminalProgress progress("exporting", "runs");
    journal.records(
        [&](const RunRecord& record) {
          out << record_to_line(record) << '\n';
          if (!out) throw CliError(fmt::format("cannot write {}", where));
          ++runs;
          events += static_cast<std::int64_t>(record.events.size());
        },
        run_id, progress.callback());
    summary = fmt::format("exported {} runs ({} events)", runs, events);
  }
  if (to_file) {
    file.close();
    if (!file) throw CliError(fmt::format("cannot write {}", args.output));
    std::cout << summary << fmt::format(" to {}\n", args.output);
  }
  return kExitOk;
}

void add_export(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "export", "Write whole runs as JSON Lines (one run and its events per line), or as OpenTelemetry traces");
  cmd->add_option("DB", args->db, "journal file")->required();
  args->run_option = cmd->add_option("--run", args->run, "only this run");
  args->output_option = cmd->add_option("-o,--output", args->output, "write to FILE instead of stdout");
  cmd->add_option("--format", args->format,
                  "jsonl (records that import reads back; the default) or otlp-json (a trace per run, "
                  "as the OpenTelemetry Collector's otlpjsonfile receiver reads: docs/otlp.md)")
      ->check(export_format_check());
  cmd->add_option("--service-name", args->service_name, "otlp-json: the traces' service.name (default runjournal)");
  cmd->footer(examples({"runjournal export agent.journal -o runs.jsonl",
                        "runjournal export agent.journal --run r42 | runjournal import other.journal -",
                        "runjournal export agent.journal --format otlp-json -o traces.jsonl"}));
  verbs.push_back({cmd, [args] { return export_runs(*args); }});
}

struct ImportArgs {
  std::string db, file;
  bool json = false;
};

int import_runs(const ImportArgs& args) {
  Journal journal = open_existing(args.db);
  std::ifstream file;
  if (args.file != "-") {
    file.open(args.file, std::ios::in | std::ios::binary);
    if (!file) throw CliError(fmt::format("cannot read {}", args.file));
  }
  std::istream& in = args.file == "-" ? std::cin : file;
  ImportReport report;
  {
    TerminalProgress progress("importing", "bytes");
    report = journal.import_records(in, progress.callback());
  }
  if (args.json) {
    print_json({{"runs_imported", report.runs_imported},
                {"runs_skipped", report.runs_skipped},
                {"events_imported", report.events_imported}});
  } else {
    std::cout << fmt::format("imported {} runs ({} events); skipped {} already present\n", report.runs_imported,
                             report.events_imported, report.runs_skipped);
  }
  return kExitOk;
}

void add_import(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<ImportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "import", "Add whole runs from JSON Lines (as export writes them): all of them or, on any bad line, none");
  cmd->add_option("DB", args->db, "journal file")->required();
  cmd->add_option("FILE", args->file, "JSON Lines file, or - for stdin")->required();
  cmd->add_flag("--json", args->json, "print the counts as a JSON object");
  cmd->footer(examples({"runjournal import agent.journal runs.jsonl",
                        "runjournal export old.journal | runjournal import new.journal -"}));
  verbs.push_back({cmd, [args] { return import_runs(*args); }});
}

struct PruneArgs {
  std::string db, finished_before, archive, status, session;
  bool json = false, dry_run = false;
  CLI::Option* archive_option = nullptr;
  CLI::Option* status_option = nullptr;
  CLI::Option* session_option = nullptr;
};

int prune(const PruneArgs& args) {
  PruneOptions options;
  try {
    options.finished_before_ms = parse_cutoff(args.finished_before, wall_clock_ms());
  } catch (const Error& e) {
    throw UsageError(fmt::format("--finished-before: {}", e.what()));
  }
  if (args.archive_option->count() > 0) options.archive = args.archive;
  if (args.status_option->count() > 0) options.status = parse_status_text(args.status);
  if (args.session_option->count() > 0) options.session_id = args.session;
  options.dry_run = args.dry_run;
  Journal journal = args.dry_run ? open_for_reading(args.db) : open_existing(args.db);
  PruneReport report;
  {
    TerminalProgress progress("pruning", "runs");
    report = journal.prune(options, progress.callback());
  }
  if (args.json) {
    print_json({{"runs", report.runs},
                {"events", report.events},
                {"pages_freed", report.pages_freed},
                {"dry_run", args.dry_run}});
  } else if (args.dry_run) {
    std::cout << fmt::format("would remove {} runs ({} events); nothing was removed\n", report.runs, report.events);
  } else {
    std::cout << fmt::format("removed {} runs ({} events){}; gave back {} pages\n", report.runs, report.events,
                             options.archive ? fmt::format(", archived to {}", args.archive) : "",
                             report.pages_freed);
  }
  return kExitOk;
}

void add_prune(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<PruneArgs>();
  CLI::App* cmd = app.add_subcommand(
      "prune", "Remove finished runs (events and row) that finished before TIME; live runs are never touched");
  cmd->add_option("DB", args->db, "journal file")->required();
  cmd->add_option("--finished-before", args->finished_before,
                  "an ISO-8601 time (2025-01-31, 2025-01-31T12:00:00Z) or an age (30d, 12h, 15m)")
      ->required();
  args->status_option = cmd->add_option("--status", args->status, "only runs in this status: completed, failed or cancelled")
                            ->check(CLI::IsMember({"completed", "failed", "cancelled"}));
  args->session_option = cmd->add_option("--session", args->session, "only runs of this session");
  cmd->add_flag("--dry-run", args->dry_run, "say how many runs and events would go, and remove nothing");
  args->archive_option =
      cmd->add_option("--archive", args->archive, "append the removed runs to this JSON Lines file first");
  args->archive_option->excludes(cmd->get_option("--dry-run"));
  cmd->add_flag("--json", args->json, "print the counts as a JSON object");
  cmd->footer(examples({"runjournal prune agent.journal --finished-before 30d --dry-run",
                        "runjournal prune agent.journal --finished-before 7d --status failed --session ci",
                        "runjournal prune agent.journal --finished-before 2025-01-01 --archive 2024.jsonl"}));
  verbs.push_back({cmd, [args] { return prune(*args); }});
}

}  // namespace

void add_data_verbs(CLI::App& app, std::vector<Verb>& verbs) {
  add_export(app, verbs);
  add_import(app, verbs);
  add_prune(app, verbs);
}

}  // namespace runjournal::cli
