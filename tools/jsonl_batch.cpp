#include "jsonl_batch.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <exception>
#include <limits>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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
    object = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw CliError(fmt::format("line {}: not valid JSON (at byte {})", line_number, e.byte));
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
  const nlohmann::json* payload = in.find("payload");
  if (payload == nullptr) {
    in.fail("missing \"payload\"");
  }
  if (!payload->is_object()) {
    in.fail("payload is not a JSON object");
  }
  event.payload = std::move(object["payload"]);

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

Batch read_jsonl_batch(std::istream& in) {
  // Read first, then parse: parsing is most of the work of a bulk append,
  // and the lines are independent, so they are parsed on every core, in
  // contiguous slices. The first bad line (by number) is the one reported.
  std::vector<std::string> texts;
  Batch batch;
  std::string line;
  std::size_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (is_blank(line)) {
      continue;
    }
    if (line.back() == '\r') {
      line.pop_back();
    }
    texts.push_back(std::move(line));
    batch.lines.push_back(line_number);
  }
  if (in.bad()) {
    throw CliError(fmt::format("reading line {} failed", line_number + 1));
  }
  batch.events.resize(texts.size());
  constexpr std::size_t kMinSlice = 4096;  // below this a thread costs more than it saves
  const std::size_t slices = std::clamp<std::size_t>(texts.size() / kMinSlice, 1,
                                                     std::max(1U, std::thread::hardware_concurrency()));
  std::vector<std::exception_ptr> failures(slices);
  const auto parse_slice = [&](std::size_t slice) {
    const std::size_t begin = texts.size() * slice / slices;
    const std::size_t end = texts.size() * (slice + 1) / slices;
    try {
      for (std::size_t i = begin; i < end; ++i) {
        batch.events[i] = parse_line(batch.lines[i], texts[i]);
        std::string().swap(texts[i]);  // the text is no longer needed
      }
    } catch (...) {
      failures[slice] = std::current_exception();
    }
  };
  std::vector<std::thread> workers;
  for (std::size_t slice = 1; slice < slices; ++slice) workers.emplace_back(parse_slice, slice);
  parse_slice(0);
  for (std::thread& worker : workers) worker.join();
  for (const std::exception_ptr& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
  return batch;
}

}  // namespace runjournal::cli
