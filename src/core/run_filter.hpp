// run_filter.hpp — what every backend's runs() listing checks before it
// reads (RunFilter and Page in include/runjournal/run.hpp): the same
// refusals, with the same messages, whatever stores the runs.
#pragma once

#include <string>
#include <string_view>

#include <runjournal/run.hpp>

namespace runjournal::detail {

// Throws Error(InvalidArgument) for a filter or page runs() refuses: both
// cursors set, a created window that ends before it starts, a text filter
// past kMaxRunTextFilterBytes or not UTF-8.
void check_run_listing(const RunFilter& filter, const Page& page);
// `text` as a LIKE pattern matching it anywhere, escaped with `\`.
std::string like_pattern(std::string_view text);

}  // namespace runjournal::detail
