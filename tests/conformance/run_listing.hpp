// run_listing.hpp — Journal::runs() checked against a model: the listing
// the header (journal.hpp, RunFilter and Page) describes, computed by brute
// force over every run, and a walk through the pages in both directions.
// Shared by the conformance suite (run_query_test.cpp) and the SQLite
// backend's own listing tests (tests/run_query_test.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <runjournal/journal.hpp>

namespace runjournal::test {

// A clock the test sets before each write, so created times can go
// backwards (an imported or replayed run) and the window must still be exact.
struct SetClock {
  std::shared_ptr<std::int64_t> now = std::make_shared<std::int64_t>(1'700'000'000'000);
  std::int64_t operator()() const { return *now; }
};

// A journal at `location` whose clock the test sets, and runs created at a
// time of the test's choosing.
struct ListingJournal {
  explicit ListingJournal(std::string journal_location);

  std::string location;
  SetClock clock;
  Journal journal;

  Journal open();
  Run create(const std::string& id, const std::string& session, const std::string& prompt, std::int64_t at);
};

// The ids `filter` lists in `order`, as the header describes the listing.
std::vector<std::string> model(std::vector<Run> all, const RunFilter& f, RunOrder order);

// Pages forward with after_run_id to the end, then back with before_run_id
// to the start; returns both walks (the back walk restored to listing order).
std::pair<std::vector<std::string>, std::vector<std::string>> walk(const Journal& j, const RunFilter& f,
                                                                   RunOrder order, std::size_t limit);

}  // namespace runjournal::test
