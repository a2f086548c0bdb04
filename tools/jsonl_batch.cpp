#include "jsonl_batch.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <runjournal/json.hpp>

#include "cli_common.hpp"

namespace runjournal::cli {
namespace {

// Strict on purpose: a misspelt "expect_seq" silently ignored would drop the
// caller's concurrency check, so an unknown field is an error.
constexpr std::array<std::string_view, 5> kFields = {"run_id", "kind", "payload", "idempotency_key",
                                                     "expected_seq"};

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t\r\f\v") == std::string_view::npos;
}

class LineReader {
 public:
  LineReader(std::size_t line, const nlohmann::json& object) : line_(line), object_(object) {}

  [[noreturn]] void fail(const std::string& problem) const {
    throw CliError(fmt::format("line {}: {}", line_, problem));
  }

  const nlohmann::json* find(const char* field) const {
    auto it = object_.find(field);
    return it == object_.end() ? nullptr : &*it;
  }

  std::string required_string(const char* field) const {
    const nlohmann::json* v = find(field);
    if (v == nullptr) {
      fail(fmt::format("missing \"{}\"", field));
    }
    if (!v->is_string()) {
      fail(fmt::format("{} is not a string", field));
    }
    return v->get<std::string>();
  }

 private:
  std::size_t line_;
  const nlohmann::json& object_;
};

NewEvent parse_line(std::size_t line_number, std::string_view text) {
  nlohmann::json object;
  try {
    // The payload sits one level inside the line: the line may nest one
    // level deeper than the journal lets a payload nest.
    object = runjournal::parse_json(text, sqlite_json_max_depth() + 1, fmt::format("line {}", line_number));
  } catch (const Error& e) {
    throw CliError(e.what());
  }
  LineReader in(line_number, object);
  if (!object.is_object()) {
    in.fail("not a JSON object");
  }
  for (const auto& [key, value] : object.items()) {
    if (std::find(kFields.begin(), kFields.end(), key) == kFields.end()) {
      in.fail(fmt::format("unknown field \"{}\"", key));
    }
  }

  NewEvent event;
  event.run_id = in.required_string("run_id");
  event.kind = in.required_string("kind");
  // Optional, as for `append DB RUN KIND [PAYLOAD]`: absent (or null) is {}.
  if (const nlohmann::json* payload = in.find("payload"); payload == nullptr || payload->is_null()) {
    event.payload = nlohmann::json::object();
  } else if (!payload->is_object()) {
    in.fail("payload is not a JSON object");
  } else {
    event.payload = std::move(object["payload"]);
  }

  if (const nlohmann::json* key = in.find("idempotency_key"); key != nullptr && !key->is_null()) {
    if (!key->is_string()) {
      in.fail("idempotency_key is not a string");
    }
    event.options.idempotency_key = key->get<std::string>();
  }
  if (const nlohmann::json* seq = in.find("expected_seq"); seq != nullptr && !seq->is_null()) {
    if (seq->is_number_integer() && !seq->is_number_unsigned()) {
      event.options.expected_seq = seq->get<std::int64_t>();
    } else if (seq->is_number_unsigned() &&
               seq->get<std::uint64_t>() <=
                   static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      event.options.expected_seq = static_cast<std::int64_t>(seq->get<std::uint64_t>());
    } else {
      in.fail("expected_seq is not an integer");
    }
  }
  return event;
}

}  // namespace

bool JsonlReader::next(std::vector<NewEvent>& events, std::vector<std::size_t>& lines, std::size_t max) {
  std::size_t taken = 0;
  while (taken < max && std::getline(in_, line_)) {
    ++line_number_;
    bytes_ += static_cast<std::int64_t>(line_.size()) + 1;
    if (is_blank(line_)) {
      continue;
    }
    if (line_.back() == '\r') {
      line_.pop_back();
    }
    events.push_back(parse_line(line_number_, line_));
    lines.push_back(line_number_);
    ++taken;
  }
  if (in_.bad()) {
    throw CliError(fmt::format("reading line {} failed", line_number_ + 1));
  }
  return taken > 0;
}

Batch read_jsonl_batch(std::istream& in) {
  Batch batch;
  JsonlReader reader(in);
  while (reader.next(batch.events, batch.lines, SIZE_MAX)) {
  }
  return batch;
}

}  // namespace runjournal::cli
