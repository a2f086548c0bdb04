// otlp_writer.hpp — the text of OTLP/JSON lines: JSON strings, numbers,
// AnyValues and attribute lists, written straight to a stream through a
// small buffer, so a run's line is never held whole in memory (docs/otlp.md).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace runjournal::detail {

class OtlpWriter {
 public:
  explicit OtlpWriter(std::ostream& out) : out_(out) {}

  // Text that is already JSON (punctuation, field names in quotes).
  void raw(std::string_view text);
  // A JSON string: quoted, escaped as nlohmann::json escapes; invalid UTF-8
  // (never in a journal) becomes U+FFFD.
  void string(std::string_view text);
  void integer(std::int64_t value);
  // Unix ms as OTLP's fixed64 nanoseconds, a decimal string; clamped to
  // what fixed64 holds (0 … 18446744073709551615 ns).
  void nanos(std::int64_t ms);
  // An AnyValue object for a JSON value: stringValue, boolValue, intValue
  // (as a decimal string; an unsigned beyond int64 as stringValue),
  // doubleValue, arrayValue, kvlistValue, and {} (no value) for null.
  void any_value(const nlohmann::json& value);
  // Hands what is buffered to the stream; throws Error(Io) when it fails.
  void flush();
  // Bytes written so far, buffered ones included.
  std::uint64_t written() const { return flushed_ + buffer_.size(); }

 private:
  void maybe_flush() {
    if (buffer_.size() >= 64 * 1024) flush();
  }

  std::ostream& out_;
  std::string buffer_;
  std::uint64_t flushed_ = 0;
};

// An attribute list in the order added; a key already present is refused
// (OTLP wants unique keys), so the first writer of a key wins.
class Attributes {
 public:
  // A payload value (any JSON, written as an AnyValue), or a string, an
  // integer, a boolean.
  using Value = std::variant<const nlohmann::json*, std::string, std::int64_t, bool>;

  bool add(std::string key, Value value);
  bool has(std::string_view key) const { return keys_.find(key) != keys_.end(); }
  // `,"attributes":[…]` (after the fields before it), or nothing when empty.
  void write(OtlpWriter& w) const;

 private:
  std::vector<std::pair<std::string, Value>> items_;
  std::set<std::string, std::less<>> keys_;
};

}  // namespace runjournal::detail
