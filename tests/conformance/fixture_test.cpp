// fixture_test (conformance): the backend fixture keeps its promises
// (backend_fixture.hpp) — every target is a fresh, empty journal of its own,
// its scratch directory is empty and its own, and stored() sees a write —
// so that a test of the suite that passes does so on storage of its own.
#include <filesystem>
#include <set>
#include <string>

#include <runjournal/journal.hpp>

#include "backend_fixture.hpp"

using runjournal::Journal;
using runjournal::conformance::kBackend;
using runjournal::conformance::make_target;
using runjournal::conformance::Stored;
using runjournal::conformance::Target;
using runjournal::test::all_events;

TEST_CASE("every target is a fresh, empty journal of its own, on the backend this run was built for") {
  std::set<std::string> locations;
  std::set<std::filesystem::path> scratches;
  for (const char* name : {"j", "j", "other"}) {
    const Target target = make_target(name);
    INFO("target " << name << " at " << target.location);
    CHECK(target.backend == kBackend);
    CHECK_FALSE(target.location.empty());
    CHECK(locations.insert(target.location).second);
    CHECK(scratches.insert(target.scratch).second);
    CHECK(std::filesystem::is_directory(target.scratch));
    CHECK(std::filesystem::is_empty(target.scratch));
    Journal j = Journal::open(target.location);
    CHECK(j.last_position() == 0);
    CHECK(j.runs().empty());
    CHECK(all_events(j).empty());
    j.create_run({.session_id = "s", .run_id = "r"});
  }
  CHECK(locations.size() == 3);
}

TEST_CASE("stored() changes with a write and not with a read, and a reopen sees what was written") {
  const Target target = make_target("j");
  {
    Journal j = Journal::open(target.location);
    j.create_run({.session_id = "s", .run_id = "r"});
  }
  Journal j = Journal::open(target.location);
  const Stored before = target.stored();
  CHECK(j.run("r").has_value());
  CHECK(j.events("r").size() == 1);
  CHECK(target.stored() == before);
  j.append("r", "tool_called");
  CHECK_FALSE(target.stored() == before);
  // Another target's writes are not this one's.
  const Stored after = target.stored();
  const Target other = make_target("other");
  Journal::open(other.location).create_run({.session_id = "s", .run_id = "r"});
  CHECK(target.stored() == after);
}
