// postgres/param.hpp — one statement parameter ($1, $2 …), as libpq sends it.
//
// A Param refers to its text; it does not copy it. libpq copies every
// parameter into its send buffer before the call that takes it returns, so
// a Param needs to live only as long as that call (an argument list written
// at the call site always does).
//
// Text, NULL, and 64-bit integers. Integers go in binary (eight bytes,
// network order, type int8): the server neither formats nor parses them, and
// no text buffer has to be made for them. Text goes as text with type left
// to the server (oid 0), so `$1::jsonb` or a column's type decides. libpq
// reads text parameters up to their NUL, so text from a std::string or a C
// string is passed as it is and a bare std::string_view is copied first; text
// that holds a NUL byte itself (PostgreSQL's text never does) is refused
// with InvalidArgument before anything is sent.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace runjournal::pg {

class Param {
 public:
  Param(std::nullopt_t) noexcept {}  // NULL
  Param(std::string_view text) noexcept : kind_(Kind::Text), text_(text) {}
  Param(const char* text) noexcept : kind_(Kind::Text), text_(text), terminated_(true) {}
  Param(const std::string& text) noexcept : kind_(Kind::Text), text_(text), terminated_(true) {}
  Param(std::int64_t value) noexcept : kind_(Kind::Int64) {
    for (int i = 0; i < 8; ++i) bytes_[static_cast<std::size_t>(i)] = static_cast<char>((value >> (56 - 8 * i)) & 0xFF);
  }
  Param(int value) noexcept : Param(static_cast<std::int64_t>(value)) {}
  template <typename T>
  Param(const std::optional<T>& value) noexcept : Param(std::nullopt) {
    if (value) *this = Param(*value);
  }

  bool is_null() const noexcept { return kind_ == Kind::Null; }
  bool is_text() const noexcept { return kind_ == Kind::Text; }
  // The text; whether text().data() is followed by a NUL that libpq may read up to.
  std::string_view text() const noexcept { return text_; }
  bool terminated() const noexcept { return terminated_; }
  // What libpq's PQexecParams takes for this parameter (text: see terminated()).
  const char* value() const noexcept {
    switch (kind_) {
      case Kind::Null: return nullptr;
      case Kind::Text: return text_.data();
      case Kind::Int64: return bytes_.data();
    }
    return nullptr;
  }
  int length() const noexcept { return kind_ == Kind::Int64 ? 8 : 0; }  // libpq ignores it for text
  int format() const noexcept { return kind_ == Kind::Int64 ? 1 : 0; }  // 1 = binary
  unsigned type() const noexcept { return kind_ == Kind::Int64 ? 20U : 0U; }  // 20 = int8; 0 = the server infers

 private:
  enum class Kind { Null, Text, Int64 };
  Kind kind_ = Kind::Null;
  std::string_view text_;
  bool terminated_ = false;
  std::array<char, 8> bytes_{};
};

namespace detail {

// The four arrays PQsendQueryParams takes, for a span of Params; owns the
// copies of text that was not NUL-terminated. Throws InvalidArgument for
// text holding a NUL byte.
class ParamArrays {
 public:
  explicit ParamArrays(std::span<const Param> params);
  int size() const noexcept { return static_cast<int>(values_.size()); }
  const unsigned* types() const noexcept { return types_.data(); }
  const char* const* values() const noexcept { return values_.data(); }
  const int* lengths() const noexcept { return lengths_.data(); }
  const int* formats() const noexcept { return formats_.data(); }

 private:
  std::vector<unsigned> types_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  std::vector<std::string> copies_;
};

}  // namespace detail
}  // namespace runjournal::pg
