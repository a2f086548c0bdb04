// backend_fixture.hpp — all a conformance test (tests/conformance/*_test.cpp)
// knows of the storage under a journal: a location string to open it by,
// a directory for files that are not the journal, and whether anything
// stored changed. The tests are written against the public API only
// (<runjournal/...>), so every storage backend runs the same tests unchanged.
//
// One conformance executable is built per backend (tests/CMakeLists.txt,
// runjournal_conformance()); each links exactly one definition of
// make_target(), the backend's (sqlite_target.cpp for SQLite). The backend's
// name reaches the sources as RUNJOURNAL_CONFORMANCE_BACKEND. docs/testing.md
// says how a backend registers its run.
//
// Guarantees every make_target() gives:
// - A fresh location: nothing is stored there yet, so Journal::open(location)
//   creates an empty journal; no two targets in a process share one, so no
//   two tests (and no two journals of one test) share storage.
// - The location can be opened as often as a test likes, by several Journal
//   objects at once, read-only too, while the Target lives.
// - When the last copy of the Target dies, what it stored is removed (files,
//   a database schema): a test that fails leaves nothing behind but its
//   report.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <runjournal/journal.hpp>

// Backend-free helpers on the public API (errors, clocks, what a reader sees,
// doctest's printing of the library's types), and journals in known states.
#include "histories.hpp"
#include "test_support.hpp"

namespace runjournal::conformance {

// The backend this executable runs the suite on, as CMake registered it.
inline constexpr std::string_view kBackend = RUNJOURNAL_CONFORMANCE_BACKEND;

// Everything a backend stores for one journal, as one opaque value. Equal
// before and after a call means the call stored nothing at all, not even
// bookkeeping. (No StringMaker: a failure should not print a megabyte.)
struct Stored {
  std::string bytes;
  bool operator==(const Stored&) const = default;
};

struct Target {
  std::string backend;             // kBackend
  std::string location;            // what Journal::open takes
  std::filesystem::path scratch;   // an empty directory of this target's own, for
                                   // files that are not the journal (archives, exports)
  std::function<Stored()> stored;  // what is stored at `location` now
  std::shared_ptr<void> resources; // what the location needs while it lives
};

// A fresh target; `name` (a word such as "j" or "partial") tells a test's
// journals apart in paths and messages. Throws when the backend cannot
// provide one: a conformance run has no backend to skip.
Target make_target(std::string_view name);

}  // namespace runjournal::conformance
