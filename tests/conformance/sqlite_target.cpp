// sqlite_target.cpp — the SQLite backend's make_target(): a journal is a
// file, so a target is a file name in a fresh temporary directory of its own
// (RUNJOURNAL_TEST_TMP, as for every suite), and what is stored is the bytes
// of that file and of its WAL. The -shm file is left out: it is an index
// SQLite rebuilds from the WAL, not content (tests/sqlite_file.hpp's Files
// compares the same two files).
#include <memory>
#include <string>

#include "backend_fixture.hpp"

namespace runjournal::conformance {

Target make_target(std::string_view name) {
  auto dir = std::make_shared<runjournal::test::TempDir>();
  const std::filesystem::path file = dir->file(std::string(name) + ".journal");
  const std::filesystem::path scratch = dir->file(std::string(name) + "-scratch");
  std::filesystem::create_directory(scratch);
  return Target{
      .backend = std::string(kBackend),
      .location = file.string(),
      .scratch = scratch,
      .stored =
          [file] {
            const std::string main = runjournal::test::read_file(file);
            // The main file's length first, so that no two pairs of contents give the same bytes.
            return Stored{std::to_string(main.size()) + ":" + main +
                          runjournal::test::read_file(file.string() + "-wal")};
          },
      .resources = dir,
  };
}

}  // namespace runjournal::conformance
