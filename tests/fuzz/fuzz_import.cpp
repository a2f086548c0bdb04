// fuzz_import: Journal::import_records on arbitrary JSON Lines. Any input is
// imported or refused with runjournal::Error; nothing else may escape, and
// after an import that succeeded the journal still verifies (the runs are
// re-derived from the events, never taken from the file).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>

#include <runjournal/journal.hpp>

#include "test_support.hpp"

namespace {

struct State {
  runjournal::test::TempDir dir;
  std::optional<runjournal::Journal> journal;
  long imports = 0;
};

State& state() {
  static State s;
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  State& s = state();
  // A fresh file now and then keeps the journal (and verify) small.
  if (!s.journal || s.imports >= 200) {
    s.journal.reset();
    static long files = 0;
    s.journal.emplace(runjournal::Journal::open(s.dir.file("import" + std::to_string(files++) + ".db"),
                                                {.durability = runjournal::Durability::Normal}));
    s.imports = 0;
  }
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    const runjournal::ImportReport report = s.journal->import_records(in);
    if (report.runs_imported > 0) {
      ++s.imports;
      if (!s.journal->verify().ok()) std::abort();
    }
  } catch (const runjournal::Error&) {
    // Refused, with a typed error: fine.
  }
  return 0;
}
