// otlp_writer.cpp — OTLP/JSON text, written in pieces.
//
// Strings take a fast path when they are printable ASCII with nothing to
// escape (ids, kinds, field names, most values); anything else goes through
// nlohmann::json's own escaping, which replaces invalid UTF-8 with U+FFFD
// instead of throwing, so the output is always valid UTF-8 JSON.
#include "otlp/otlp_writer.hpp"

#include <array>
#include <charconv>
#include <limits>
#include <ostream>

#include <runjournal/error.hpp>

namespace runjournal::detail {
namespace {

bool plain(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

template <typename T>
void append_number(std::string& out, T value) {
  std::array<char, 32> digits{};
  const auto result = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  out.append(digits.data(), result.ptr);
}

}  // namespace

void OtlpWriter::raw(std::string_view text) {
  buffer_.append(text);
  maybe_flush();
}

void OtlpWriter::string(std::string_view text) {
  if (plain(text)) {
    buffer_ += '"';
    buffer_.append(text);
    buffer_ += '"';
  } else {
    buffer_ += nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  maybe_flush();
}

void OtlpWriter::integer(std::int64_t value) {
  append_number(buffer_, value);
}

void OtlpWriter::nanos(std::int64_t ms) {
  constexpr std::uint64_t kMaxMs = std::numeric_limits<std::uint64_t>::max() / 1'000'000;
  std::uint64_t ns = 0;
  if (ms > 0) {
    const auto unsigned_ms = static_cast<std::uint64_t>(ms);
    ns = unsigned_ms > kMaxMs ? std::numeric_limits<std::uint64_t>::max() : unsigned_ms * 1'000'000;
  }
  buffer_ += '"';
  append_number(buffer_, ns);
  buffer_ += '"';
}

void OtlpWriter::any_value(const nlohmann::json& value) {
  using Type = nlohmann::json::value_t;
  switch (value.type()) {
    case Type::string:
      raw("{\"stringValue\":");
      string(value.get_ref<const std::string&>());
      raw("}");
      return;
    case Type::boolean:
      raw(value.get<bool>() ? "{\"boolValue\":true}" : "{\"boolValue\":false}");
      return;
    case Type::number_integer:
      raw("{\"intValue\":\"");
      append_number(buffer_, value.get<std::int64_t>());
      raw("\"}");
      return;
    case Type::number_unsigned: {
      // int64 is AnyValue's only integer; a larger one keeps its digits as text.
      const auto u = value.get<std::uint64_t>();
      raw(u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ? "{\"intValue\":\""
                                                                                     : "{\"stringValue\":\"");
      append_number(buffer_, u);
      raw("\"}");
      return;
    }
    case Type::number_float:
      // Shortest round-trip text; JSON holds no NaN or infinity to spell.
      raw("{\"doubleValue\":");
      append_number(buffer_, value.get<double>());
      raw("}");
      return;
    case Type::array: {
      raw("{\"arrayValue\":{\"values\":[");
      bool first = true;
      for (const nlohmann::json& item : value) {
        if (!first) raw(",");
        first = false;
        any_value(item);
      }
      raw("]}}");
      return;
    }
    case Type::object: {
      raw("{\"kvlistValue\":{\"values\":[");
      bool first = true;
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (!first) raw(",");
        first = false;
        raw("{\"key\":");
        string(it.key());
        raw(",\"value\":");
        any_value(it.value());
        raw("}");
      }
      raw("]}}");
      return;
    }
    default:  // null (and discarded, which parsing never yields): an AnyValue with no value
      raw("{}");
      return;
  }
}

void OtlpWriter::flush() {
  if (!buffer_.empty()) {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    flushed_ += buffer_.size();
    buffer_.clear();
  }
  if (!out_) throw Error(ErrorCode::Io, "writing the OTLP export failed");
}

bool Attributes::add(std::string key, Value value) {
  if (!keys_.insert(key).second) return false;
  items_.emplace_back(std::move(key), std::move(value));
  return true;
}

void Attributes::write(OtlpWriter& w) const {
  if (items_.empty()) return;
  w.raw(",\"attributes\":[");
  bool first = true;
  for (const auto& [key, value] : items_) {
    if (!first) w.raw(",");
    first = false;
    w.raw("{\"key\":");
    w.string(key);
    w.raw(",\"value\":");
    if (const auto* json = std::get_if<const nlohmann::json*>(&value)) {
      w.any_value(**json);
    } else if (const auto* text = std::get_if<std::string>(&value)) {
      w.raw("{\"stringValue\":");
      w.string(*text);
      w.raw("}");
    } else if (const auto* number = std::get_if<std::int64_t>(&value)) {
      w.raw("{\"intValue\":\"");
      w.integer(*number);
      w.raw("\"}");
    } else {
      w.raw(std::get<bool>(value) ? "{\"boolValue\":true}" : "{\"boolValue\":false}");
    }
    w.raw("}");
  }
  w.raw("]");
}

}  // namespace runjournal::detail
