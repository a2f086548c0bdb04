// test_support.hpp — helpers shared by the suites, backend-free: temporary
// directories and files, errors, clocks, what a reader can see of a journal
// through the public API, and doctest's printing of the library's types.
// Nothing here touches a journal's storage directly (sqlite_file.hpp does),
// so the conformance suite (tests/conformance) uses it for every backend.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <runjournal/error.hpp>
#include <runjournal/journal.hpp>
#include <runjournal/json.hpp>

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
// The message of the runjournal::Error `fn` throws; "(no error)" when none.
std::string message_of(const std::function<void()>& fn);
// The batch_index() of the runjournal::Error `fn` throws; nullopt when it
// returns or the error names no event.
std::optional<std::size_t> batch_index_of(const std::function<void()>& fn);

bool contains(const std::string& text, const std::string& part);

// A clock for tests: starts at `start` and advances by 1 ms per call.
struct StepClock {
  std::int64_t next = 1'700'000'000'000;
  std::int64_t operator()() { return next++; }
};

// Options with a fresh StepClock.
Options clocked();

// Everything a reader can see of a journal.
std::vector<Run> all_runs(const Journal& j);
std::vector<Event> all_events(const Journal& j);
struct State {
  std::vector<Run> runs;
  std::vector<Event> events;
  bool operator==(const State&) const = default;
};
State state_of(const Journal& j);

// Columns of a listing, for comparing with what a test expects.
std::vector<std::string> ids_of(const std::vector<Run>& runs);
std::vector<std::int64_t> positions_of(const std::vector<Event>& events);
// first, first + 1, …, last.
std::vector<std::int64_t> iota(std::int64_t first, std::int64_t last);

}  // namespace runjournal::test

namespace doctest {
template <>
struct StringMaker<runjournal::ErrorCode> {
  static String convert(runjournal::ErrorCode code) { return std::string(runjournal::to_string(code)).c_str(); }
};
template <>
struct StringMaker<std::optional<runjournal::ErrorCode>> {
  static String convert(const std::optional<runjournal::ErrorCode>& code) {
    return code ? std::string(runjournal::to_string(*code)).c_str() : "(no error)";
  }
};
template <typename T>
struct StringMaker<std::optional<T>> {
  static String convert(const std::optional<T>& value) { return value ? toString(*value) : String("nullopt"); }
};
template <>
struct StringMaker<std::nullopt_t> {
  static String convert(std::nullopt_t) { return "nullopt"; }
};
template <>
struct StringMaker<runjournal::RunStatus> {
  static String convert(runjournal::RunStatus status) { return std::string(runjournal::to_string(status)).c_str(); }
};
template <>
struct StringMaker<runjournal::Run> {
  static String convert(const runjournal::Run& run) { return runjournal::to_json(run).dump().c_str(); }
};
template <>
struct StringMaker<runjournal::Event> {
  static String convert(const runjournal::Event& event) { return runjournal::to_json(event).dump().c_str(); }
};
}  // namespace doctest
