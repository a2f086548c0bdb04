// test_support.hpp — helpers shared by the suites.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <runjournal/error.hpp>

namespace runjournal::test {

// A fresh directory for one test, removed when the object dies. Every test
// gets its own files: no two tests share a database.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path file(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// The whole content of a file (empty string when it does not exist).
std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& content);

// The code of the runjournal::Error `fn` throws; nullopt when it returns.
// (Any other exception escapes and fails the test.)
std::optional<ErrorCode> code_of(const std::function<void()>& fn);

// A clock for tests: starts at `start` and advances by 1 ms per call.
struct StepClock {
  std::int64_t next = 1'700'000'000'000;
  std::int64_t operator()() { return next++; }
};

}  // namespace runjournal::test
