// run_query_test: Journal::runs() as a query — newest first, a created-time
// window, a text filter, and keyset paging in both directions — checked
// against a plain in-memory model of the same listing, and the statements'
// query plans checked to stay on an index at any depth.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <runjournal/journal.hpp>

#include "sqlite/run_store.hpp"
#include "test_support.hpp"

namespace {

using runjournal::ErrorCode;
using runjournal::Journal;
using runjournal::Page;
using runjournal::Run;
using runjournal::RunFilter;
using runjournal::RunOrder;
using runjournal::RunStatus;
using runjournal::test::code_of;
using runjournal::test::TempDir;

constexpr std::int64_t kStart = 1'700'000'000'000;

// A clock the test sets before each write, so created times can go
// backwards (an imported or replayed run) and the window must still be exact.
struct SetClock {
  std::shared_ptr<std::int64_t> now = std::make_shared<std::int64_t>(kStart);
  std::int64_t operator()() const { return *now; }
};

struct Fixture {
  TempDir dir;
  SetClock clock;
  Journal journal = open();

  Journal open() {
    runjournal::Options options;
    options.clock = clock;
    options.durability = runjournal::Durability::Normal;
    return Journal::open(dir.file("q.journal"), options);
  }

  Run create(const std::string& id, const std::string& session, const std::string& prompt, std::int64_t at) {
    *clock.now = at;
    return journal.create_run({.session_id = session, .prompt = prompt, .run_id = id});
  }
};

std::vector<std::string> ids(const std::vector<Run>& runs) {
  std::vector<std::string> out;
  for (const Run& run : runs) out.push_back(run.run_id);
  return out;
}

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

// The listing as the header describes it, computed by brute force.
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

// Pages forward with after_run_id to the end, then back with before_run_id
// to the start; returns both walks (the back walk restored to listing order).
std::pair<std::vector<std::string>, std::vector<std::string>> walk(const Journal& j, const RunFilter& f,
                                                                   RunOrder order, std::size_t limit) {
  std::vector<std::string> forward;
  std::vector<std::vector<std::string>> pages;
  Page page{.limit = limit, .order = order};
  for (;;) {
    const std::vector<Run> runs = j.runs(f, page);
    REQUIRE(runs.size() <= limit);
    if (runs.empty()) break;
    pages.push_back(ids(runs));
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
      std::vector<std::string> got = ids(runs);
      backward.insert(backward.begin(), got.begin(), got.end());
      if (runs.size() < limit) break;
      back.before_run_id = runs.front().run_id;
    }
  }
  return {forward, backward};
}

}  // namespace

TEST_CASE("the default listing is unchanged: creation order, paged by after_run_id") {
  Fixture fx;
  for (int i = 0; i < 5; ++i) fx.create("r" + std::to_string(i), "s", "p", kStart + i);
  CHECK(ids(fx.journal.runs()) == std::vector<std::string>{"r0", "r1", "r2", "r3", "r4"});
  CHECK(ids(fx.journal.runs({}, Page{.limit = 2, .after_run_id = "r1"})) == std::vector<std::string>{"r2", "r3"});
}

TEST_CASE("newest first is the exact reverse of creation order, even when created times go backwards") {
  Fixture fx;
  fx.create("a", "s", "p", kStart + 50);
  fx.create("b", "s", "p", kStart + 10);  // a clock that went back: still created after a
  fx.create("c", "s", "p", kStart + 30);
  CHECK(ids(fx.journal.runs({}, Page{.order = RunOrder::NewestFirst})) == std::vector<std::string>{"c", "b", "a"});
  CHECK(ids(fx.journal.runs({}, Page{.limit = 1, .after_run_id = "c", .order = RunOrder::NewestFirst})) ==
        std::vector<std::string>{"b"});
}

TEST_CASE("before_run_id gives the page just before the cursor, in listing order, in both orders") {
  Fixture fx;
  for (int i = 0; i < 6; ++i) fx.create("r" + std::to_string(i), "s", "p", kStart + i);
  CHECK(ids(fx.journal.runs({}, Page{.limit = 2, .before_run_id = "r4"})) == std::vector<std::string>{"r2", "r3"});
  CHECK(ids(fx.journal.runs({}, Page{.limit = 2, .before_run_id = "r1", .order = RunOrder::NewestFirst})) ==
        std::vector<std::string>{"r3", "r2"});
  // Fewer than limit before the start: that direction is done.
  CHECK(ids(fx.journal.runs({}, Page{.limit = 5, .before_run_id = "r1"})) == std::vector<std::string>{"r0"});
  CHECK(fx.journal.runs({}, Page{.limit = 5, .before_run_id = "r0"}).empty());
}

TEST_CASE("the created window includes its start and excludes its end, whatever the creation order") {
  Fixture fx;
  fx.create("t30", "s", "p", kStart + 30);
  fx.create("t10", "s", "p", kStart + 10);
  fx.create("t20", "s", "p", kStart + 20);
  fx.create("t40", "s", "p", kStart + 40);
  RunFilter window{.created_since_ms = kStart + 10, .created_until_ms = kStart + 30};
  CHECK(ids(fx.journal.runs(window)) == std::vector<std::string>{"t10", "t20"});
  CHECK(ids(fx.journal.runs(RunFilter{.created_since_ms = kStart + 30})) == std::vector<std::string>{"t30", "t40"});
  CHECK(ids(fx.journal.runs(RunFilter{.created_until_ms = kStart + 20})) == std::vector<std::string>{"t10"});
  CHECK(fx.journal.runs(RunFilter{.created_since_ms = kStart + 20, .created_until_ms = kStart + 20}).empty());
  CHECK(code_of([&] {
          fx.journal.runs(RunFilter{.created_since_ms = kStart + 21, .created_until_ms = kStart + 20});
        }) == ErrorCode::InvalidArgument);
}

TEST_CASE("text matches run id, session or prompt, ASCII case aside, with no wildcards") {
  Fixture fx;
  fx.create("run-alpha", "team-blue", "Fix the flaky TESTS", kStart);
  fx.create("run-beta", "team-red", "write docs: 100% done_now", kStart + 1);
  fx.create("run-gamma", "alpha-squad", "a\\b path", kStart + 2);
  fx.create("run-delta", "s", "Ünïcode prompt", kStart + 3);
  const auto find = [&](const std::string& text) { return ids(fx.journal.runs(RunFilter{.text = text})); };
  CHECK(find("alpha") == std::vector<std::string>{"run-alpha", "run-gamma"});  // run id, then session
  CHECK(find("tests") == std::vector<std::string>{"run-alpha"});               // prompt, case aside
  CHECK(find("RED") == std::vector<std::string>{"run-beta"});
  CHECK(find("100%") == std::vector<std::string>{"run-beta"});
  CHECK(find("%").size() == 1);                                     // % is a percent sign
  CHECK(find("e_n") == std::vector<std::string>{"run-beta"});       // _ is an underscore
  CHECK(find("x_x").empty());
  CHECK(find("a\\b") == std::vector<std::string>{"run-gamma"});     // a backslash is itself
  CHECK(find("Ünï") == std::vector<std::string>{"run-delta"});      // UTF-8 matches as bytes
  CHECK(find("ünï").empty());                                       // only ASCII letters ignore case
  CHECK(find("").size() == 4);
  CHECK(find("nowhere").empty());
  CHECK(code_of([&] { find(std::string(runjournal::kMaxRunTextFilterBytes + 1, 'a')); }) ==
        ErrorCode::InvalidArgument);
  CHECK(find(std::string(runjournal::kMaxRunTextFilterBytes, 'a')).empty());
  CHECK(code_of([&] { find("bad \xC3("); }) == ErrorCode::InvalidArgument);
}

TEST_CASE("a cursor naming no run is NotFound, two cursors are InvalidArgument") {
  Fixture fx;
  fx.create("r0", "s", "p", kStart);
  CHECK(code_of([&] { fx.journal.runs({}, Page{.after_run_id = "nope"}); }) == ErrorCode::NotFound);
  CHECK(code_of([&] { fx.journal.runs({}, Page{.before_run_id = "nope"}); }) == ErrorCode::NotFound);
  CHECK(code_of([&] { fx.journal.runs({}, Page{.after_run_id = "r0", .before_run_id = "r0"}); }) ==
        ErrorCode::InvalidArgument);
}

TEST_CASE("every filter, order and page size agrees with the model, and pages walk both ways without gaps") {
  Fixture fx;
  std::mt19937 rng(15);
  const std::vector<std::string> sessions = {"s-a", "s-b", "S-C"};
  const std::vector<std::string> prompts = {"fix tests", "Write Docs", "deploy", "fix docs"};
  for (int i = 0; i < 120; ++i) {
    // Created times jump about, as imported runs' do.
    const std::int64_t at = kStart + static_cast<std::int64_t>(rng() % 100);
    const Run run = fx.create("run-" + std::to_string(i), sessions[rng() % sessions.size()],
                              prompts[rng() % prompts.size()], at);
    switch (rng() % 4) {
      case 0: fx.journal.append(run.run_id, "run_completed"); break;
      case 1: fx.journal.append(run.run_id, "run_failed", {{"error", "boom"}}); break;
      case 2: fx.journal.append(run.run_id, "tool_called"); break;
      default: break;
    }
  }
  const std::vector<Run> all = fx.journal.runs({}, Page{.limit = SIZE_MAX});
  REQUIRE(all.size() == 120);

  std::vector<RunFilter> filters = {
      {},
      {.status = RunStatus::Failed},
      {.session_id = "s-b"},
      {.status = RunStatus::Completed, .session_id = "s-a"},
      {.created_since_ms = kStart + 25},
      {.created_until_ms = kStart + 60},
      {.created_since_ms = kStart + 20, .created_until_ms = kStart + 70},
      {.text = "docs"},
      {.text = "s-c"},  // the session S-C, case aside
      {.text = "run-1"},
      {.status = RunStatus::Executing, .created_since_ms = kStart + 10, .text = "fix"},
      {.session_id = "s-a", .created_until_ms = kStart + 50, .text = "TESTS"},
      {.status = RunStatus::Cancelled},  // none
  };
  for (const RunFilter& f : filters) {
    for (RunOrder order : {RunOrder::OldestFirst, RunOrder::NewestFirst}) {
      const std::vector<std::string> expected = model(all, f, order);
      CHECK(ids(fx.journal.runs(f, Page{.limit = SIZE_MAX, .order = order})) == expected);
      for (std::size_t limit : {std::size_t{1}, std::size_t{7}, std::size_t{50}}) {
        CAPTURE(limit);
        const auto [forward, backward] = walk(fx.journal, f, order, limit);
        CHECK(forward == expected);
        CHECK(backward == expected);
      }
    }
  }
}

TEST_CASE("pages stay exact while runs are created between them") {
  Fixture fx;
  for (int i = 0; i < 10; ++i) fx.create("old-" + std::to_string(i), "s", "p", kStart + i);
  std::vector<std::string> seen;
  Page page{.limit = 3, .order = RunOrder::NewestFirst};
  int created = 0;
  for (;;) {
    const std::vector<Run> runs = fx.journal.runs({}, page);
    for (const Run& run : runs) seen.push_back(run.run_id);
    if (runs.size() < page.limit) break;
    page.after_run_id = runs.back().run_id;
    fx.create("new-" + std::to_string(created), "s", "p", kStart + 100 + created);  // lands on the newest end
    ++created;
  }
  std::vector<std::string> expected;
  for (int i = 9; i >= 0; --i) expected.push_back("old-" + std::to_string(i));
  CHECK(seen == expected);  // nothing skipped, nothing repeated
  // Paging back from the oldest now reaches the new runs too.
  const std::vector<Run> newest = fx.journal.runs({}, Page{.limit = 2, .before_run_id = "old-9", .order = RunOrder::NewestFirst});
  CHECK(ids(newest) == std::vector<std::string>{"new-1", "new-0"});
}

TEST_CASE("listing statements: each shape reads an index in listing order; only a small window sorts") {
  Fixture fx;
  fx.create("r0", "s", "p", kStart);
  SQLite::Database db(fx.dir.file("q.journal").string(), SQLite::OPEN_READONLY);
  using runjournal::detail::ListPlan;
  std::set<unsigned> seen;
  for (ListPlan plan : {ListPlan::Scan, ListPlan::Window, ListPlan::Bounded}) {
    for (unsigned bits = 0; bits < 128; ++bits) {
      runjournal::detail::ListShape shape;
      shape.status = bits & 1u;
      shape.session = bits & 2u;
      shape.since = bits & 4u;
      shape.until = bits & 8u;
      shape.text = bits & 16u;
      shape.cursor = bits & 32u;
      shape.ascending = bits & 64u;
      shape.plan = plan;
      const bool window = shape.since || shape.until;
      if (plan != ListPlan::Scan && !window) continue;  // list() never asks for them
      seen.insert(shape.key());
      const std::string sql = runjournal::detail::list_query(shape, "run_id, first_position");
      SQLite::Statement explain(db, "EXPLAIN QUERY PLAN " + sql);
      std::string detail;
      while (explain.executeStep()) detail += explain.getColumn("detail").getString() + "; ";
      CAPTURE(sql);
      CAPTURE(detail);
      CHECK(detail.find("INDEX runs_by_") != std::string::npos);  // never a full scan of the table
      if (plan == ListPlan::Window) {
        // Reads the window from its index; sorts at most kSmallWindow rowids.
        CHECK(detail.find("runs_by_created") != std::string::npos);
        continue;
      }
      // No temporary B-tree: the page is read in order and stops at its
      // limit, so a page deep in a million runs costs what the first one does.
      CHECK(detail.find("TEMP B-TREE") == std::string::npos);
      CHECK(detail.find("runs_by_created") == std::string::npos);
      if (shape.status && !shape.session) CHECK(detail.find("runs_by_status") != std::string::npos);
      // With both, the session drives (sessions are the narrower key).
      if (shape.session) CHECK(detail.find("runs_by_session") != std::string::npos);
      if (!shape.status && !shape.session) CHECK(detail.find("runs_by_creation") != std::string::npos);
    }
  }
  CHECK(seen.size() == 128 + 2 * 96);
}

TEST_CASE("a window larger than kSmallWindow is exact too, and stays exact as runs arrive in it") {
  Fixture fx;
  // 6000 runs in 12 batches whose created times jump about (one time per
  // batch), so creation order and creation time disagree.
  const std::vector<int> slots = {5, 2, 9, 0, 7, 3, 11, 1, 8, 4, 10, 6};
  int n = 0;
  for (int slot : slots) {
    *fx.clock.now = kStart + slot * 1000;
    std::vector<runjournal::NewEvent> batch;
    for (int i = 0; i < 500; ++i, ++n) {
      const std::string id = "big-" + std::to_string(n);
      batch.push_back({id, "run_created", {{"session_id", n % 3 == 0 ? "s-x" : "s-y"}, {"prompt", "p"}}, {}});
      if (n % 4 == 0) batch.push_back({id, "run_failed", {{"error", "e"}}, {}});
    }
    fx.journal.append_batch(std::move(batch));
  }
  std::vector<Run> all = fx.journal.runs({}, Page{.limit = SIZE_MAX});
  REQUIRE(all.size() == 6000);
  const std::vector<RunFilter> windows = {
      {.created_since_ms = kStart + 3000},                                   // 4500 runs: Bounded
      {.created_until_ms = kStart + 9000},                                   // 4500 runs: Bounded
      {.created_since_ms = kStart + 1000, .created_until_ms = kStart + 11000},  // 5000 runs
      {.status = RunStatus::Failed, .created_since_ms = kStart + 2000},
      {.session_id = "s-x", .created_until_ms = kStart + 10000},
      {.created_since_ms = kStart + 4000, .created_until_ms = kStart + 6000},  // 1000 runs: Window
  };
  for (const RunFilter& f : windows) {
    for (RunOrder order : {RunOrder::NewestFirst, RunOrder::OldestFirst}) {
      const std::vector<std::string> expected = model(all, f, order);
      CHECK(ids(fx.journal.runs(f, Page{.limit = SIZE_MAX, .order = order})) == expected);
      const auto [forward, backward] = walk(fx.journal, f, order, 700);
      CHECK(forward == expected);
      CHECK(backward == expected);
    }
  }
  // Runs created after a window was first listed, inside it and outside it:
  // the remembered bounds widen to them.
  const RunFilter big = windows[0];
  CHECK(fx.journal.runs(big, Page{.limit = 1, .order = RunOrder::NewestFirst}).front().run_id != "late-in");
  fx.create("late-in", "s-y", "p", kStart + 5500);
  fx.create("late-out", "s-y", "p", kStart + 100);
  CHECK(ids(fx.journal.runs(big, Page{.limit = 1, .order = RunOrder::NewestFirst})) ==
        std::vector<std::string>{"late-in"});
  all = fx.journal.runs({}, Page{.limit = SIZE_MAX});
  CHECK(ids(fx.journal.runs(big, Page{.limit = SIZE_MAX})) == model(all, big, RunOrder::OldestFirst));
}

TEST_CASE("like_pattern escapes the three LIKE metacharacters and nothing else") {
  CHECK(runjournal::detail::like_pattern("a%b_c\\d") == "%a\\%b\\_c\\\\d%");
  CHECK(runjournal::detail::like_pattern("plain") == "%plain%");
}

TEST_CASE("a file from before runs_by_created, read read-only, still lists windows exactly") {
  Fixture fx;
  for (int i = 0; i < 30; ++i) fx.create("r" + std::to_string(i), "s", "p", kStart + (i * 7) % 30);
  const std::vector<Run> all = fx.journal.runs({}, Page{.limit = SIZE_MAX});
  {
    SQLite::Database raw(fx.dir.file("q.journal").string(), SQLite::OPEN_READWRITE);
    raw.exec("DROP INDEX runs_by_created; PRAGMA user_version = 5");
  }
  Journal old = Journal::open(fx.dir.file("q.journal"), runjournal::Options{.read_only = true});
  const RunFilter window{.created_since_ms = kStart + 5, .created_until_ms = kStart + 20};
  CHECK(ids(old.runs(window, Page{.limit = SIZE_MAX, .order = RunOrder::NewestFirst})) ==
        model(all, window, RunOrder::NewestFirst));
  const auto [forward, backward] = walk(old, window, RunOrder::NewestFirst, 4);
  CHECK(forward == model(all, window, RunOrder::NewestFirst));
  CHECK(backward == forward);
}
