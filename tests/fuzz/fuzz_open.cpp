// fuzz_open: opening a hostile file. The input's bytes become a journal file;
// Journal::open must succeed or throw runjournal::Error, never crash or
// throw anything else, and reading what it opened must do the same. A file
// refused as NotAJournal or SchemaTooNew must be left byte-for-byte as it was.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <runjournal/journal.hpp>

#include "test_support.hpp"

namespace {

runjournal::test::TempDir& dir() {
  static runjournal::test::TempDir d;
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::filesystem::path path = dir().file("hostile.db");
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(path.string() + suffix);
  }
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  runjournal::test::write_file(path, bytes);
  try {
    runjournal::Journal journal = runjournal::Journal::open(path, {.busy_timeout = std::chrono::milliseconds(100)});
    try {
      (void)journal.verify();
      for (const runjournal::Run& run : journal.runs({}, {.limit = 20})) (void)journal.events(run.run_id, 1, 20);
      (void)journal.stats();
    } catch (const runjournal::Error&) {
      // A damaged journal may fail to read: typed, fine.
    }
  } catch (const runjournal::Error& e) {
    const bool refused =
        e.code() == runjournal::ErrorCode::NotAJournal || e.code() == runjournal::ErrorCode::SchemaTooNew;
    if (refused && runjournal::test::read_file(path) != bytes) std::abort();  // a refused file was changed
  }
  return 0;
}
