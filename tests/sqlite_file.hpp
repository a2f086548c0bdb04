// sqlite_file.hpp — a journal's SQLite file seen from outside the library:
// raw SQL on it, as another program (or tampering) would run it, and the
// bytes of the file and its WAL. For the suites that pin what the SQLite
// backend does to its file; the conformance suite (tests/conformance) never
// uses these, since another backend has no such file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace runjournal::test {

// Runs SQL on the journal's file through a raw read-write connection
// (tampering, or what another program would do).
void raw_exec(const std::filesystem::path& path, const std::string& sql);
// The integer the SQL returns, through a raw read-only connection.
std::int64_t raw_int(const std::filesystem::path& path, const std::string& sql);

// The bytes of the main file and the WAL: a write that must change nothing
// leaves both as they were. (No StringMaker: a failure should not print a
// megabyte.)
struct Files {
  std::string main, wal;
  bool operator==(const Files&) const = default;
};
Files files_of(const std::filesystem::path& path);

// The size of the journal's WAL file; 0 when there is none.
std::uintmax_t wal_size(const std::filesystem::path& path);

}  // namespace runjournal::test
