#include "run_views.hpp"

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "text_format.hpp"

namespace runjournal::cli {
namespace {

// Widths chosen so that a row of run-<uuid> ids still fits a wide terminal;
// ids are never truncated (they are what a person copies).
constexpr std::size_t kSessionWidth = 24;
constexpr std::size_t kKindWidth = 28;
constexpr std::size_t kKeyWidth = 24;
constexpr std::size_t kPromptWidth = 48;   // when stdout is not a terminal
constexpr std::size_t kPayloadWidth = 64;  // when stdout is not a terminal

constexpr std::string_view kAbsent = "-";

std::string or_absent(const std::optional<std::string>& value) {
  return value ? *value : std::string(kAbsent);
}

std::string json_or_absent(const nlohmann::json& value) {
  return value.is_null() ? std::string(kAbsent) : value.dump();
}

}  // namespace

std::string run_fields(const Run& run) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"run_id", run.run_id},
      {"session_id", run.session_id},
      {"status", std::string(to_string(run.status))},
      {"prompt", run.prompt},
      {"inputs", json_or_absent(run.inputs)},
      {"outputs", json_or_absent(run.outputs)},
      {"metadata", json_or_absent(run.metadata)},
      {"result_text", or_absent(run.result_text)},
      {"error", or_absent(run.error)},
      {"status_reason", or_absent(run.status_reason)},
      {"checkpoint_id", or_absent(run.checkpoint_id)},
      {"checkpoint", json_or_absent(run.checkpoint)},
      {"created_at", format_time_ms(run.created_at_ms)},
      {"updated_at", format_time_ms(run.updated_at_ms)},
      {"finished_at",
       run.finished_at_ms ? format_time_ms(*run.finished_at_ms) : std::string(kAbsent)},
      {"event_count", std::to_string(run.event_count)},
      {"last_seq", std::to_string(run.last_seq)},
      {"first_position", std::to_string(run.first_position)},
      {"last_position", std::to_string(run.last_position)},
      {"driver", run.driver ? fmt::format("pid {} on {} (start time {}, boot {})", run.driver->pid,
                                          run.driver->host, run.driver->start_time, run.driver->boot_id)
                            : std::string(kAbsent)},
  };
  return render_fields(fields);
}

std::string runs_table(const std::vector<Run>& runs, const TableStyle& style) {
  const std::vector<Column> columns = {
      {"RUN_ID", Align::Left, 0},
      {"SESSION", Align::Left, kSessionWidth},
      {"STATUS", Align::Left, 0, style.colour ? paint_status : nullptr},
      {"EVENTS", Align::Right, 0},
      {"CREATED", Align::Left, 0},
      {"FINISHED", Align::Left, 0},
      {"DURATION", Align::Right, 0},
      {"PROMPT", Align::Left, style.fit_width > 0 ? 0 : kPromptWidth},
  };
  std::vector<std::vector<std::string>> rows;
  rows.reserve(runs.size());
  for (const Run& run : runs) {
    const std::int64_t end = run.finished_at_ms.value_or(style.now_ms);
    rows.push_back({run.run_id, run.session_id, std::string(to_string(run.status)), std::to_string(run.event_count),
                    format_time(run.created_at_ms, style.times, style.now_ms),
                    run.finished_at_ms ? format_time(*run.finished_at_ms, style.times, style.now_ms)
                                       : std::string(kAbsent),
                    format_duration_ms(end - run.created_at_ms), run.prompt});
  }
  return render_table(columns, rows, style.fit_width);
}

std::string events_table(const std::vector<Event>& events, const TableStyle& style) {
  const bool keyed = std::any_of(events.begin(), events.end(),
                                 [](const Event& e) { return e.idempotency_key.has_value(); });
  std::vector<Column> columns = {
      {"SEQ", Align::Right, 0},
      {"POSITION", Align::Right, 0},
      {"TIME", Align::Left, 0},
      {"KIND", Align::Left, kKindWidth},
  };
  if (keyed) {
    columns.push_back({"KEY", Align::Left, kKeyWidth});
  }
  columns.push_back({"PAYLOAD", Align::Left, style.fit_width > 0 ? 0 : kPayloadWidth});

  std::vector<std::vector<std::string>> rows;
  rows.reserve(events.size());
  for (const Event& event : events) {
    std::vector<std::string> row = {std::to_string(event.seq), std::to_string(event.position),
                                    format_time(event.ts_ms, style.times, style.now_ms), event.kind};
    if (keyed) {
      row.push_back(or_absent(event.idempotency_key));
    }
    row.push_back(event.payload.dump());
    rows.push_back(std::move(row));
  }
  return render_table(columns, rows, style.fit_width);
}

}  // namespace runjournal::cli
