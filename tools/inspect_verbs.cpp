// inspect_verbs.cpp — sql, stats, tail: looking inside a journal.
//
// All of them open an existing journal (never create one). `sql` hands the
// query to Journal::sql, which keeps it read-only; this file only formats
// the rows: an aligned table for people, --json (an array of objects, JSON
// columns as JSON values), --jsonl (an object per line) or --csv (RFC 4180,
// LF line ends) for machines; rows stream, whatever their number.

#include <algorithm>
#include <csignal>
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
#include "view_options.hpp"
#include "verbs.hpp"

namespace runjournal::cli {
namespace {

// Table cells wider than this are cut (the JSON and CSV outputs never are).
constexpr std::size_t kMaxCellWidth = 80;

std::string hex(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

std::string cell_text(const SqlValue& value) {
  switch (value.type) {
    case SqlValue::Type::Null: return "NULL";
    case SqlValue::Type::Integer: return std::to_string(value.integer);
    case SqlValue::Type::Real: return fmt::format("{}", value.real);
    case SqlValue::Type::Text: return value.text;
    case SqlValue::Type::Json: return value.json.dump();
    case SqlValue::Type::Blob: return "x'" + hex(value.text) + "'";
  }
  return {};
}

nlohmann::ordered_json cell_json(const SqlValue& value) {
  switch (value.type) {
    case SqlValue::Type::Null: return nullptr;
    case SqlValue::Type::Integer: return value.integer;
    case SqlValue::Type::Real: return value.real;
    case SqlValue::Type::Text: return value.text;
    case SqlValue::Type::Json: return nlohmann::ordered_json::parse(value.json.dump());
    case SqlValue::Type::Blob: return hex(value.text);
  }
  return nullptr;
}

std::string csv_field(const SqlValue& value) {
  if (value.type == SqlValue::Type::Null) return {};
  std::string text = cell_text(value);
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    quoted += c;
    if (c == '"') quoted += '"';
  }
  return quoted + "\"";
}

struct SqlArgs {
  std::string db, query;
  bool json = false, csv = false, jsonl = false;
  double timeout_s = 10;
};

// One row as a JSON object keyed by the column names, in their order.
nlohmann::ordered_json row_object(const std::vector<std::string>& columns, const std::vector<SqlValue>& row) {
  nlohmann::ordered_json object = nlohmann::ordered_json::object();
  for (std::size_t c = 0; c < row.size(); ++c) object[columns[c]] = cell_json(row[c]);
  return object;
}

// Rows are printed as SQLite produces them (Journal::sql_each): memory stays
// bounded whatever the row count. A closed stdout (a pager quit, `| head`)
// stops the query.
int sql(const SqlArgs& args) {
  Journal journal = open_for_reading(args.db);
  SqlOptions options;
  options.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(args.timeout_s * 1000));
  std::vector<std::string> names;
  std::optional<TableStream> table;
  std::size_t rows = 0;
  const auto on_columns = [&](const std::vector<std::string>& columns) {
    names = columns;
    if (args.csv) {
      for (std::size_t c = 0; c < names.size(); ++c) {
        std::cout << (c ? "," : "") << csv_field(SqlValue{.type = SqlValue::Type::Text, .text = names[c]});
      }
      std::cout << '\n';
    } else if (args.json) {
      std::cout << '[';
    }
  };
  const auto on_row = [&](const std::vector<SqlValue>& row) {
    if (args.csv) {
      for (std::size_t c = 0; c < row.size(); ++c) std::cout << (c ? "," : "") << csv_field(row[c]);
      std::cout << '\n';
    } else if (args.jsonl) {
      std::cout << row_object(names, row).dump() << '\n';
    } else if (args.json) {
      // The shape print_json gives an array: one indented object per row.
      std::string object = row_object(names, row).dump(2);
      std::string indented = "  ";
      for (char c : object) {
        indented += c;
        if (c == '\n') indented += "  ";
      }
      std::cout << (rows == 0 ? "\n" : ",\n") << indented;
    } else {
      if (rows == 0) {
        // Numeric columns align right, judged by the first row.
        std::vector<Column> columns;
        for (std::size_t c = 0; c < names.size(); ++c) {
          const bool numeric = row[c].type == SqlValue::Type::Integer || row[c].type == SqlValue::Type::Real;
          columns.push_back({names[c], numeric ? Align::Right : Align::Left, kMaxCellWidth});
        }
        table.emplace(std::move(columns), terminal_width(), std::cout);
      }
      std::vector<std::string> line;
      for (const SqlValue& value : row) line.push_back(cell_text(value));
      table->add(line);
    }
    ++rows;
    return static_cast<bool>(std::cout);
  };
  journal.sql_each(args.query, on_columns, on_row, options);
  if (args.json) std::cout << (rows == 0 ? "]\n" : "\n]\n");
  const bool tabular = !args.json && !args.jsonl && !args.csv;
  if (tabular && !table) {
    // No row to judge alignment by: the header alone.
    std::vector<Column> columns;
    for (const std::string& name : names) columns.push_back({name, Align::Left, kMaxCellWidth});
    table.emplace(std::move(columns), terminal_width(), std::cout);
  }
  if (table) table->finish();
  return kExitOk;
}

void add_sql(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<SqlArgs>();
  CLI::App* cmd = app.add_subcommand(
      "sql", "Run one read-only SQL query (writes, ATTACH, PRAGMAs that change anything are refused)");
  cmd->add_option("DB", args->db, "journal file")->required();
  cmd->add_option("QUERY", args->query, "one SQL statement; see docs/sql.md for tables, views and recipes")
      ->required();
  auto* json = cmd->add_flag("--json", args->json, "print a JSON array of objects; JSON columns as JSON values");
  auto* jsonl = cmd->add_flag("--jsonl", args->jsonl, "print one JSON object per row (JSON Lines), for pipelines");
  auto* csv = cmd->add_flag("--csv", args->csv, "print CSV (RFC 4180, lines ending in LF) with a header line");
  json->excludes(csv);
  json->excludes(jsonl);
  jsonl->excludes(csv);
  cmd->add_option("--timeout", args->timeout_s,
                  "stop the query after SQLite worked on it this many seconds (default 10)")
      ->check(seconds_check());
  cmd->footer(examples({
      "runjournal sql agent.journal 'SELECT status, count(*) AS runs FROM runs GROUP BY status ORDER BY status'",
      "runjournal sql agent.journal 'SELECT run_id, duration_s FROM runs_readable ORDER BY duration_s DESC LIMIT 5'",
      R"(runjournal sql agent.journal "SELECT json_extract(payload, '$.tool_name') AS tool, count(*) AS calls FROM events WHERE kind = 'tool_called' GROUP BY tool ORDER BY calls DESC" --json)",
  }));
  verbs.push_back({cmd, [args] { return sql(*args); }});
}

struct StatsArgs {
  std::string db;
  bool json = false;
};

std::string bytes_text(std::int64_t bytes) {
  if (bytes >= 10 * 1024 * 1024) return fmt::format("{} ({} MiB)", bytes, bytes / (1024 * 1024));
  if (bytes >= 10 * 1024) return fmt::format("{} ({} KiB)", bytes, bytes / 1024);
  return std::to_string(bytes);
}

int stats(const StatsArgs& args) {
  Journal journal = open_for_reading(args.db);
  const JournalStats s = journal.stats();
  if (args.json) {
    std::cout << to_json(s).dump(2) << '\n';
    return kExitOk;
  }
  std::vector<std::pair<std::string, std::string>> fields = {
      {"path", s.path},
      {"journal_id", s.journal_id},
      {"runs", std::to_string(s.runs)},
  };
  for (const auto& [status, count] : s.runs_by_status) {
    if (count > 0) fields.emplace_back("  " + status, std::to_string(count));
  }
  fields.insert(fields.end(), {
                                  {"events", std::to_string(s.events)},
                                  {"positions", fmt::format("{}..{} (highest ever assigned: {})", s.first_position,
                                                            s.last_position, s.assigned_position)},
                                  {"file", bytes_text(s.file_bytes)},
                                  {"wal", bytes_text(s.wal_bytes)},
                                  {"free", fmt::format("{} pages ({} bytes)", s.free_pages, s.free_pages * s.page_size)},
                                  {"pages", fmt::format("{} of {} bytes", s.page_count, s.page_size)},
                                  {"schema_version", std::to_string(s.schema_version)},
                                  {"projector_version", std::to_string(s.projector_version)},
                                  {"sqlite_version", s.sqlite_version},
                              });
  std::cout << render_fields(fields);
  return kExitOk;
}

void add_stats(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<StatsArgs>();
  CLI::App* cmd = app.add_subcommand(
      "stats", "Runs by status, events, positions, file, WAL and free sizes, schema, projector and SQLite versions");
  cmd->add_option("DB", args->db, "journal file")->required();
  cmd->add_flag("--json", args->json, "print the figures as a JSON object");
  cmd->footer(examples({"runjournal stats agent.journal", "runjournal stats agent.journal --json | jq .free_bytes"}));
  verbs.push_back({cmd, [args] { return stats(*args); }});
}

struct TailArgs {
  std::string db;
  std::int64_t after = 0;
  std::vector<std::string> kinds;
  bool follow = false, json = false;
  ViewFlags view;
};

volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_stop_signal(int) { g_stop = 1; }

// The table tail prints on a terminal: its widths are fixed by the first
// events, so a follow stays aligned (ids never cut: a longer one overflows).
const std::vector<Column> kTailColumns = {
    {"POSITION", Align::Right, 0}, {"TIME", Align::Left, 0},  {"RUN_ID", Align::Left, 0},
    {"SEQ", Align::Right, 0},      {"KIND", Align::Left, 28}, {"PAYLOAD", Align::Left, 0},
};

int tail(const TailArgs& args) {
  Journal journal = open_for_reading(args.db);
  const TableStyle style = style_of(args.view);
  // Off a terminal, the plain lines scripts already parse: fields two
  // spaces apart, no header. On one, an aligned table with a header.
  std::optional<TableStream> table;
  if (!args.json && style.terminal) {
    table.emplace(kTailColumns, style.fit_width, std::cout, args.follow ? 20 : 1000);
  }
  const auto visit = [&](const Event& e) {
    if (!args.kinds.empty() && std::find(args.kinds.begin(), args.kinds.end(), e.kind) == args.kinds.end()) {
      return true;
    }
    const std::string time = format_time(e.ts_ms, style.times, style.now_ms);
    if (args.json) {
      std::cout << to_json(e).dump() << '\n';
    } else if (table) {
      table->add({std::to_string(e.position), time, e.run_id, std::to_string(e.seq), e.kind, e.payload.dump()});
    } else {
      std::cout << fmt::format("{}  {}  {}  {}  {}  {}", e.position, time, printable(e.run_id), e.seq,
                               printable(e.kind), printable(e.payload.dump()))
                << '\n';
    }
    return static_cast<bool>(std::cout);  // a closed pipe ends the tail
  };
  if (!args.follow) {
    journal.scan(args.after, visit);
    if (table) table->finish();
    return kExitOk;
  }
  // Ctrl-C or a kill ends the follow cleanly, with what was printed flushed.
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  journal.follow(args.after, visit, [&] {
    if (table && table->holding_rows()) table->finish();  // a follow that waits shows what it has
    std::cout.flush();           // between polls: a consumer sees each commit at once
    return g_stop == 0 && static_cast<bool>(std::cout);
  });
  if (table) table->finish();
  return kExitOk;
}

void add_tail(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<TailArgs>();
  CLI::App* cmd = app.add_subcommand("tail", "Print events in position order; --follow waits for new ones");
  cmd->add_option("DB", args->db, "journal file")->required();
  cmd->add_option("--after", args->after, "start after the event at this position (the last one you saw)")
      ->check(whole_number_check(0, "a position"));
  cmd->add_option("--kind", args->kinds, "only events of this kind (repeat for more kinds)");
  cmd->add_flag("--follow,-f", args->follow, "keep waiting for new events from any process (end with Ctrl-C)");
  cmd->add_flag("--json", args->json, "print one JSON event object per line (JSON Lines)");
  add_view_flags(*cmd, args->view);
  cmd->footer(examples({"runjournal tail agent.journal --after 1200",
                        "runjournal tail agent.journal --follow --kind run_failed",
                        "runjournal tail agent.journal --follow --json | jq -c '{run_id, kind}'"}));
  verbs.push_back({cmd, [args] { return tail(*args); }});
}

}  // namespace

void add_inspect_verbs(CLI::App& app, std::vector<Verb>& verbs) {
  add_sql(app, verbs);
  add_stats(app, verbs);
  add_tail(app, verbs);
}

}  // namespace runjournal::cli
