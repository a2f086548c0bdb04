#include "json_text.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

#include <fmt/format.h>

#include <runjournal/error.hpp>

namespace runjournal::detail {

bool is_valid_utf8(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra = 0;
    std::uint32_t code = 0;
    std::uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
      extra = 1, code = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, code = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, code = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      code = (code << 6) | (p[i] & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    p += extra + 1;
  }
  return true;
}

void require_utf8(std::string_view text, std::string_view what) {
  if (!is_valid_utf8(text)) {
    throw Error(ErrorCode::InvalidArgument, fmt::format("{} is not valid UTF-8", what));
  }
}

void require_representable(const nlohmann::json& value, std::string_view what) {
  // An explicit stack: a deeply nested value must not overflow ours.
  std::vector<const nlohmann::json*> pending{&value};
  while (!pending.empty()) {
    const nlohmann::json* v = pending.back();
    pending.pop_back();
    if (v->is_binary()) {
      throw Error(ErrorCode::InvalidArgument, fmt::format("{} holds a binary value, which JSON text cannot carry", what));
    }
    if (v->is_number_float() && !std::isfinite(v->get<double>())) {
      throw Error(ErrorCode::InvalidArgument, fmt::format("{} holds NaN or an infinity, which JSON cannot carry", what));
    }
    if (v->is_structured()) {
      for (const auto& child : *v) pending.push_back(&child);
    }
  }
}

std::string dump_json(const nlohmann::json& value, std::string_view what) {
  require_representable(value, what);
  try {
    return value.dump();
  } catch (const nlohmann::json::type_error& e) {
    // type_error 316: a string holds bytes that are not UTF-8.
    throw Error(ErrorCode::InvalidArgument, fmt::format("{} is not valid UTF-8 JSON: {}", what, e.what()));
  }
}

nlohmann::json parse_stored_json(std::string_view text, std::string_view what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::Corrupt, fmt::format("stored {} is not valid JSON: {}", what, e.what()));
  }
}

std::optional<std::string> dump_optional_json(const nlohmann::json& value, std::string_view what) {
  if (value.is_null()) return std::nullopt;
  return dump_json(value, what);
}

}  // namespace runjournal::detail
