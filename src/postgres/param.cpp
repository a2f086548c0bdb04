// param.cpp — a span of Params as the arrays libpq takes.
#include "postgres/param.hpp"

#include <cstring>

#include <fmt/format.h>

#include <runjournal/error.hpp>

namespace runjournal::pg::detail {

ParamArrays::ParamArrays(std::span<const Param> params) {
  const std::size_t n = params.size();
  types_.reserve(n);
  values_.reserve(n);
  lengths_.reserve(n);
  formats_.reserve(n);
  // Reserved up front: values_ points into these strings, which must not move.
  std::size_t unterminated = 0;
  for (const Param& p : params) unterminated += (p.is_text() && !p.terminated()) ? 1 : 0;
  copies_.reserve(unterminated);
  for (std::size_t i = 0; i < n; ++i) {
    const Param& p = params[i];
    const char* value = p.value();
    if (p.is_text()) {
      const std::string_view text = p.text();
      if (std::memchr(text.data(), '\0', text.size()) != nullptr) {
        throw Error(ErrorCode::InvalidArgument,
                    fmt::format("parameter ${} holds a NUL character, which PostgreSQL text cannot store", i + 1));
      }
      if (!p.terminated()) value = copies_.emplace_back(text).c_str();
    }
    types_.push_back(p.type());
    values_.push_back(value);
    lengths_.push_back(p.length());
    formats_.push_back(p.format());
  }
}

}  // namespace runjournal::pg::detail
