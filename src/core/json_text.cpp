#include "core/json_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <runjournal/error.hpp>

namespace runjournal::detail {
namespace {

[[noreturn]] void too_deep(std::string_view what, std::size_t max_depth) {
  throw Error(ErrorCode::InvalidArgument,
              fmt::format("{} nests deeper than the limit of {} levels (Options::max_json_depth)", what, max_depth));
}

// nlohmann's messages start with "[json.exception.parse_error.101] ": an
// id for programs, noise for people.
std::string_view without_id(std::string_view message) {
  if (!message.empty() && message.front() == '[') {
    const std::size_t end = message.find("] ");
    if (end != std::string_view::npos) message.remove_prefix(end + 2);
  }
  return message;
}

// Builds the DOM as nlohmann's own parser does (the parser itself keeps an
// explicit stack and never recurses), but refuses the first container past
// `max_depth` before it exists: a value too deep to be stored is never
// built, so nothing later (dump, compare) recurses over untrusted depth. A
// parse error, a number that overflows a double (out_of_range 406) and
// invalid UTF-8 all arrive through parse_error().
class LimitedDomBuilder {
 public:
  using json = nlohmann::json;

  LimitedDomBuilder(json& root, std::size_t max_depth) : root_(root), max_depth_(max_depth) {}

  bool null() { return value(nullptr); }
  bool boolean(bool v) { return value(v); }
  bool number_integer(json::number_integer_t v) { return value(v); }
  bool number_unsigned(json::number_unsigned_t v) { return value(v); }
  bool number_float(json::number_float_t v, const json::string_t&) { return value(v); }
  bool string(json::string_t& v) { return value(std::move(v)); }
  bool binary(json::binary_t& v) { return value(json::binary(std::move(v))); }
  bool start_object(std::size_t) { return open(json::value_t::object); }
  bool start_array(std::size_t) { return open(json::value_t::array); }
  bool key(json::string_t& k) {
    slot_ = &(*stack_.back())[std::move(k)];  // a repeated key: the last one wins, as in nlohmann
    return true;
  }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  template <class Exception>
  bool parse_error(std::size_t position, const std::string&, const Exception& e) {
    // "parse error at line 1, column 3: syntax error …": the text is one
    // argument or one line of a file, so its byte is what helps.
    std::string_view detail = without_id(e.what());
    if (detail.rfind("parse error", 0) == 0) {
      const std::size_t colon = detail.find(": ");
      if (colon != std::string_view::npos) detail.remove_prefix(colon + 2);
    }
    error_ = fmt::format("(byte {}) {}", position, detail);
    return false;
  }

  bool too_deep() const { return too_deep_; }
  const std::string& error() const { return error_; }

 private:
  // Where the next value goes: the root, the array on top, or the slot the
  // last key made in the object on top.
  json* place(json&& v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    json& top = *stack_.back();
    if (top.is_array()) {
      top.push_back(std::move(v));
      return &top.back();
    }
    *slot_ = std::move(v);
    return slot_;
  }
  bool value(json&& v) {
    place(std::move(v));
    return true;
  }
  bool open(json::value_t type) {
    if (stack_.size() >= max_depth_) {
      too_deep_ = true;
      return false;
    }
    stack_.push_back(place(json(type)));
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  json& root_;
  std::size_t max_depth_;
  std::vector<json*> stack_;
  json* slot_ = nullptr;
  bool too_deep_ = false;
  std::string error_;
};

}  // namespace

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

std::size_t json_depth(const nlohmann::json& value) {
  std::size_t deepest = 0;
  std::vector<std::pair<const nlohmann::json*, std::size_t>> pending{{&value, 0}};
  while (!pending.empty()) {
    const auto [v, depth] = pending.back();
    pending.pop_back();
    if (!v->is_structured()) continue;
    deepest = std::max(deepest, depth + 1);
    for (const auto& child : *v) pending.emplace_back(&child, depth + 1);
  }
  return deepest;
}

void require_representable(const nlohmann::json& value, std::string_view what, std::size_t max_depth) {
  // An explicit stack: a deeply nested value must not overflow ours. Each
  // entry is a value and the depth of the container holding it.
  std::vector<std::pair<const nlohmann::json*, std::size_t>> pending{{&value, 0}};
  while (!pending.empty()) {
    const auto [v, depth] = pending.back();
    pending.pop_back();
    if (v->is_binary()) {
      throw Error(ErrorCode::InvalidArgument, fmt::format("{} holds a binary value, which JSON text cannot carry", what));
    }
    if (v->is_number_float() && !std::isfinite(v->get<double>())) {
      throw Error(ErrorCode::InvalidArgument, fmt::format("{} holds NaN or an infinity, which JSON cannot carry", what));
    }
    if (v->is_structured()) {
      if (depth + 1 > max_depth) too_deep(what, max_depth);
      for (const auto& child : *v) pending.emplace_back(&child, depth + 1);
    }
  }
}

std::string dump_json(const nlohmann::json& value, std::string_view what, std::size_t max_depth) {
  require_representable(value, what, max_depth);
  try {
    return value.dump();
  } catch (const nlohmann::json::type_error& e) {
    // type_error 316: a string holds bytes that are not UTF-8.
    throw Error(ErrorCode::InvalidArgument, fmt::format("{} is not valid UTF-8 JSON: {}", what, e.what()));
  }
}

nlohmann::json parse_json_limited(std::string_view text, std::size_t max_depth, std::string_view what) {
  nlohmann::json root;
  LimitedDomBuilder builder(root, max_depth);
  try {
    if (nlohmann::json::sax_parse(text, &builder, nlohmann::json::input_format_t::json, /*strict=*/true)) {
      return root;
    }
  } catch (const nlohmann::json::exception& e) {
    // The parser reports through parse_error() below; anything it throws
    // anyway is still the text's fault, and still typed.
    throw Error(ErrorCode::InvalidArgument, fmt::format("{} is not valid JSON: {}", what, without_id(e.what())));
  }
  if (builder.too_deep()) too_deep(what, max_depth);
  throw Error(ErrorCode::InvalidArgument, fmt::format("{} is not valid JSON {}", what, builder.error()));
}

std::optional<nlohmann::json> try_parse_json_limited(std::string_view text, std::size_t max_depth) {
  nlohmann::json root;
  LimitedDomBuilder builder(root, max_depth);
  try {
    if (nlohmann::json::sax_parse(text, &builder, nlohmann::json::input_format_t::json, /*strict=*/true)) {
      return root;
    }
  } catch (const nlohmann::json::exception&) {
  }
  return std::nullopt;
}

nlohmann::json parse_stored_json(std::string_view text, std::string_view what) {
  try {
    return parse_json_limited(text, kMaxStoredDepth, what);
  } catch (const Error& e) {
    throw Error(ErrorCode::Corrupt, fmt::format("stored {}", e.what()));
  }
}

std::optional<std::string> dump_optional_json(const nlohmann::json& value, std::string_view what) {
  if (value.is_null()) return std::nullopt;
  return dump_json(value, what);
}

}  // namespace runjournal::detail
