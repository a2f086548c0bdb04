// fuzz_sql: the read-only `sql` gate (Journal::sql). Any query text either
// runs or is refused with runjournal::Error, never anything else, and the
// database's bytes (the file and its WAL) never change, whatever the query
// says.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include <runjournal/journal.hpp>

#include "sqlite_file.hpp"
#include "test_support.hpp"

namespace {

struct State {
  runjournal::test::TempDir dir;
  std::filesystem::path path = dir.file("sql.db");
  std::optional<runjournal::Journal> journal;
  runjournal::test::Files bytes;  // the file and its WAL as they were after setup

  State() {
    {
      runjournal::Journal j = runjournal::Journal::open(path);
      const runjournal::Run run = j.create_run({.session_id = "s", .prompt = "fuzz", .run_id = "r1"});
      j.append(run.run_id, "tool_called", {{"tool_name", "search"}, {"n", 1}});
      j.append(run.run_id, "run_completed", {{"result_text", "done"}});
      j.create_run({.session_id = "s2", .prompt = "second", .run_id = "r2"});
    }
    journal.emplace(runjournal::Journal::open(path));
    (void)journal->sql("SELECT count(*) FROM events");
    bytes = runjournal::test::files_of(path);
  }
};

State& state() {
  static State s;
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  State& s = state();
  const std::string query(reinterpret_cast<const char*>(data), size);
  try {
    (void)s.journal->sql(query, {.timeout = std::chrono::milliseconds(200), .max_rows = 10'000});
  } catch (const runjournal::Error&) {
    // Refused or failed: typed, fine.
  }
  if (runjournal::test::files_of(s.path) != s.bytes) std::abort();  // the query changed the database
  return 0;
}
