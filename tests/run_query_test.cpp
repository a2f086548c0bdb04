// run_query_test: Journal::runs() as the SQLite backend answers it — the
// listing statements' query plans stay on an index at any depth, LIKE
// patterns are escaped, and a file from before runs_by_created, read
// read-only, still lists windows exactly. The listing itself, checked
// against a model, is a conformance test (tests/conformance/run_query_test.cpp).
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

#include "conformance/run_listing.hpp"
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
using runjournal::test::ids_of;
using runjournal::test::ListingJournal;
using runjournal::test::model;
using runjournal::test::TempDir;
using runjournal::test::walk;

constexpr std::int64_t kStart = 1'700'000'000'000;

// The listing journal (conformance/run_listing.hpp) in a directory of the
// test's own, where the statements can be read with SQLite beside it (the
// directory is made first: bases are initialised in order).
struct DirHolder {
  TempDir dir;
};
struct Fixture : DirHolder, ListingJournal {
  Fixture() : ListingJournal(dir.file("q.journal").string()) {}
};

}  // namespace

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
  CHECK(ids_of(old.runs(window, Page{.limit = SIZE_MAX, .order = RunOrder::NewestFirst})) ==
        model(all, window, RunOrder::NewestFirst));
  const auto [forward, backward] = walk(old, window, RunOrder::NewestFirst, 4);
  CHECK(forward == model(all, window, RunOrder::NewestFirst));
  CHECK(backward == forward);
}
