// api_json.cpp — converting library values to the API's JSON.
#include "api_json.hpp"

#include <charconv>

#include <fmt/format.h>

#include <runjournal/driver.hpp>
#include <runjournal/json.hpp>

#include "http_support.hpp"

namespace runjournal::serve {
namespace {

std::string hex(const std::string& bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

nlohmann::json cell(const SqlValue& value) {
  switch (value.type) {
    case SqlValue::Type::Null: return nullptr;
    case SqlValue::Type::Integer: return value.integer;
    case SqlValue::Type::Real: return value.real;
    case SqlValue::Type::Text: return value.text;
    case SqlValue::Type::Json: return value.json;
    case SqlValue::Type::Blob: return hex(value.text);
  }
  return nullptr;
}

std::string csv_text(const SqlValue& value) {
  switch (value.type) {
    case SqlValue::Type::Null: return {};
    case SqlValue::Type::Integer: return std::to_string(value.integer);
    case SqlValue::Type::Real: return fmt::format("{}", value.real);
    case SqlValue::Type::Text: return value.text;
    case SqlValue::Type::Json: return value.text;
    case SqlValue::Type::Blob: return hex(value.text);
  }
  return {};
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    quoted += c;
    if (c == '"') quoted += '"';
  }
  return quoted + "\"";
}

}  // namespace

nlohmann::json driver_state(const Run& run) {
  if (!run.driver) return {{"alive", nullptr}, {"why", "no driver was recorded for this run"}};
  const Driver& driver = *run.driver;
  if (driver.host != this_process_driver().host) {
    return {{"alive", nullptr},
            {"why", fmt::format("its driver runs on {}; recover() judges it by that host's lease", driver.host)}};
  }
  const std::optional<Driver> now = process_driver(driver.pid);
  if (!now) return {{"alive", false}, {"why", fmt::format("process {} has exited", driver.pid)}};
  if (now->boot_id != driver.boot_id && !driver.boot_id.empty()) {
    return {{"alive", false}, {"why", "the machine has rebooted since"}};
  }
  if (now->start_time != driver.start_time && driver.start_time != 0) {
    return {{"alive", false}, {"why", fmt::format("pid {} now belongs to another process", driver.pid)}};
  }
  return {{"alive", true}, {"why", fmt::format("process {} on {} is running", driver.pid, driver.host)}};
}

nlohmann::json checkpoint_json(const std::optional<Checkpoint>& checkpoint) {
  if (!checkpoint) return nullptr;
  return {{"checkpoint_id", checkpoint->checkpoint_id}, {"state", checkpoint->state}, {"payload", checkpoint->payload}};
}

nlohmann::json recovered_json(const RecoveredRun& recovered) {
  return {{"run", to_json(recovered.run)},
          {"checkpoint", checkpoint_json(recovered.checkpoint)},
          {"silent_ms", recovered.silent_ms},
          {"why", recovered.why}};
}

nlohmann::json stats_json(const JournalStats& s) {
  return {{"path", s.path},
          {"journal_id", s.journal_id},
          {"runs_by_status", s.runs_by_status},
          {"runs", s.runs},
          {"events", s.events},
          {"first_position", s.first_position},
          {"last_position", s.last_position},
          {"assigned_position", s.assigned_position},
          {"file_bytes", s.file_bytes},
          {"wal_bytes", s.wal_bytes},
          {"page_size", s.page_size},
          {"page_count", s.page_count},
          {"free_pages", s.free_pages},
          {"schema_version", s.schema_version},
          {"projector_version", s.projector_version},
          {"sqlite_version", s.sqlite_version}};
}

nlohmann::json sql_json(const SqlResult& result) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : result.rows) {
    nlohmann::json cells = nlohmann::json::array();
    for (const SqlValue& value : row) cells.push_back(cell(value));
    rows.push_back(std::move(cells));
  }
  return {{"columns", result.columns}, {"rows", std::move(rows)}};
}

std::string sql_objects_text(const SqlResult& result) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& row : result.rows) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < row.size() && i < result.columns.size(); ++i) {
      // A JSON cell keeps its value; ordered_json has no implicit
      // conversion from json, so it goes through text.
      object[result.columns[i]] = nlohmann::ordered_json::parse(dump(cell(row[i])));
    }
    rows.push_back(std::move(object));
  }
  return rows.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string sql_csv(const SqlResult& result) {
  std::string out;
  for (std::size_t i = 0; i < result.columns.size(); ++i) out += (i ? "," : "") + csv_field(result.columns[i]);
  out += "\r\n";
  for (const auto& row : result.rows) {
    for (std::size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + csv_field(csv_text(row[i]));
    out += "\r\n";
  }
  return out;
}

std::int64_t parse_time_param(const std::string& name, const std::string& text, std::int64_t now_ms) {
  std::int64_t ms = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, ms);
  if (!text.empty() && ec == std::errc() && ptr == end) return ms;
  try {
    return parse_cutoff(text, now_ms);
  } catch (const Error&) {
    throw ApiError(400, "bad_request",
                   fmt::format("parameter '{}': '{}' is not a time (Unix ms, 2025-01-31T12:00:00Z, or an age: 30d, "
                               "12h, 15m, 45s)",
                               name, text.substr(0, 64)));
  }
}

}  // namespace runjournal::serve
