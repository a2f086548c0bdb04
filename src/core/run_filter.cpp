// run_filter.cpp — the listing checks of run_filter.hpp.
#include "core/run_filter.hpp"

#include <fmt/format.h>

#include <runjournal/error.hpp>

#include "core/json_text.hpp"

namespace runjournal::detail {

void check_run_listing(const RunFilter& filter, const Page& page) {
  if (page.after_run_id && page.before_run_id) {
    throw Error(ErrorCode::InvalidArgument, "page: after_run_id and before_run_id are both set; pass one cursor");
  }
  if (filter.created_since_ms && filter.created_until_ms && *filter.created_since_ms > *filter.created_until_ms) {
    throw Error(ErrorCode::InvalidArgument,
                fmt::format("run filter: created_since_ms {} is after created_until_ms {}", *filter.created_since_ms,
                            *filter.created_until_ms));
  }
  if (filter.text) {
    if (filter.text->size() > kMaxRunTextFilterBytes) {
      throw Error(ErrorCode::InvalidArgument, fmt::format("run filter: text is {} bytes, more than the {} allowed",
                                                          filter.text->size(), kMaxRunTextFilterBytes));
    }
    require_utf8(*filter.text, "run filter text");
  }
}

std::string like_pattern(std::string_view text) {
  std::string pattern = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  pattern += '%';
  return pattern;
}

}  // namespace runjournal::detail
