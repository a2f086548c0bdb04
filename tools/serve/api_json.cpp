// api_json.cpp — converting library values to the API's JSON.
#include "api_json.hpp"

#include <algorithm>
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

namespace {

// `text` cut to at most `chars` code points (UTF-8), with "…" when cut.
void clip(std::string& text, std::size_t chars) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // a continuation byte
    if (seen++ == chars) {
      text.resize(i);
      text += "…";
      return;
    }
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  // nlohmann's own escaping for anything unusual: control characters and
  // invalid UTF-8 (replaced); plain text, by far the common case, is copied.
  const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
  });
  if (plain) {
    out += '"';
    out += text;
    out += '"';
  } else {
    out += dump(nlohmann::json(std::string(text)));
  }
}

namespace {

void key(std::string& out, const char* name) {
  out += '"';
  out += name;
  out += "\":";
}

void field(std::string& out, const char* name, std::string_view text) {
  key(out, name);
  append_json_string(out, text);
  out += ',';
}

void field(std::string& out, const char* name, std::int64_t value) {
  key(out, name);
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
  out += ',';
}

template <class T>
void field(std::string& out, const char* name, const std::optional<T>& value) {
  if (value) return field(out, name, *value);
  key(out, name);
  out += "null,";
}

// A list's text field: clipped as clip() does, copied only when it is
// (text of no more bytes than kListTextChars has no more characters).
void clipped_field(std::string& out, const char* name, std::string_view text) {
  if (text.size() <= kListTextChars) return field(out, name, text);
  std::string copy(text);
  clip(copy, kListTextChars);
  field(out, name, std::string_view(copy));
}

void clipped_field(std::string& out, const char* name, const std::optional<std::string>& text) {
  if (text) return clipped_field(out, name, std::string_view(*text));
  key(out, name);
  out += "null,";
}

}  // namespace

void append_run_summary(std::string& out, const Run& run) {
  // Keys in to_json(Run)'s (sorted) order, less the JSON columns.
  const std::optional<Driver>& d = run.driver;
  out += '{';
  field(out, "agent_spec_digest", run.agent_spec_digest);
  field(out, "checkpoint_id", run.checkpoint_id);
  field(out, "created_at_ms", run.created_at_ms);
  field(out, "driver_boot_id", d ? std::optional(d->boot_id) : std::nullopt);
  field(out, "driver_host", d ? std::optional(d->host) : std::nullopt);
  field(out, "driver_pid", d ? std::optional(d->pid) : std::nullopt);
  field(out, "driver_start_time", d ? std::optional(d->start_time) : std::nullopt);
  clipped_field(out, "error", run.error);
  field(out, "event_count", run.event_count);
  field(out, "final_state_digest", run.final_state_digest);
  field(out, "finished_at_ms", run.finished_at_ms);
  field(out, "first_position", run.first_position);
  field(out, "forked_from_run", run.forked_from_run);
  field(out, "forked_from_seq", run.forked_from_seq);
  field(out, "git_sha", run.git_sha);
  field(out, "last_position", run.last_position);
  field(out, "last_seq", run.last_seq);
  clipped_field(out, "prompt", std::string_view(run.prompt));
  clipped_field(out, "result_text", run.result_text);
  field(out, "run_id", run.run_id);
  field(out, "session_id", run.session_id);
  field(out, "status", to_string(run.status));
  clipped_field(out, "status_reason", run.status_reason);
  field(out, "updated_at_ms", run.updated_at_ms);
  out.back() = '}';
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
