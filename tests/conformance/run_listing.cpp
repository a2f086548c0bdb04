#include "run_listing.hpp"

#include <algorithm>

#include <doctest/doctest.h>

#include "test_support.hpp"

namespace runjournal::test {

namespace {

bool ascii_contains(std::string hay, std::string needle) {
  const auto lower = [](std::string& s) {
    for (char& c : s) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
  };
  lower(hay);
  lower(needle);
  return hay.find(needle) != std::string::npos;
}

}  // namespace

ListingJournal::ListingJournal(std::string journal_location)
    : location(std::move(journal_location)), journal(open()) {}

Journal ListingJournal::open() {
  Options options;
  options.clock = clock;
  options.durability = Durability::Normal;
  return Journal::open(location, options);
}

Run ListingJournal::create(const std::string& id, const std::string& session, const std::string& prompt,
                           std::int64_t at) {
  *clock.now = at;
  return journal.create_run({.session_id = session, .prompt = prompt, .run_id = id});
}

std::vector<std::string> model(std::vector<Run> all, const RunFilter& f, RunOrder order) {
  std::vector<std::string> out;
  std::sort(all.begin(), all.end(), [](const Run& a, const Run& b) { return a.first_position < b.first_position; });
  if (order == RunOrder::NewestFirst) std::reverse(all.begin(), all.end());
  for (const Run& run : all) {
    if (f.status && run.status != *f.status) continue;
    if (f.session_id && run.session_id != *f.session_id) continue;
    if (f.created_since_ms && run.created_at_ms < *f.created_since_ms) continue;
    if (f.created_until_ms && run.created_at_ms >= *f.created_until_ms) continue;
    if (f.text && !ascii_contains(run.run_id, *f.text) && !ascii_contains(run.session_id, *f.text) &&
        !ascii_contains(run.prompt, *f.text)) {
      continue;
    }
    out.push_back(run.run_id);
  }
  return out;
}

std::pair<std::vector<std::string>, std::vector<std::string>> walk(const Journal& j, const RunFilter& f,
                                                                   RunOrder order, std::size_t limit) {
  std::vector<std::string> forward;
  std::vector<std::vector<std::string>> pages;
  Page page{.limit = limit, .order = order};
  for (;;) {
    const std::vector<Run> runs = j.runs(f, page);
    REQUIRE(runs.size() <= limit);
    if (runs.empty()) break;
    pages.push_back(ids_of(runs));
    for (const Run& run : runs) forward.push_back(run.run_id);
    if (runs.size() < limit) break;
    page.after_run_id = runs.back().run_id;
  }
  std::vector<std::string> backward;
  if (!forward.empty()) {
    // From the last run back: each page must be exactly the page the
    // forward walk saw before it (pages of `limit` runs aligned to the end).
    Page back{.limit = limit, .before_run_id = forward.back(), .order = order};
    backward.push_back(forward.back());
    for (;;) {
      const std::vector<Run> runs = j.runs(f, back);
      REQUIRE(runs.size() <= limit);
      if (runs.empty()) break;
      std::vector<std::string> got = ids_of(runs);
      backward.insert(backward.begin(), got.begin(), got.end());
      if (runs.size() < limit) break;
      back.before_run_id = runs.front().run_id;
    }
  }
  return {forward, backward};
}


}  // namespace runjournal::test
