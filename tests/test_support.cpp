#include "test_support.hpp"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

#include <unistd.h>

#include <SQLiteCpp/Database.h>

namespace runjournal::test {

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  const char* base = std::getenv("RUNJOURNAL_TEST_TMP");
  std::filesystem::path root = base ? std::filesystem::path(base) : std::filesystem::temp_directory_path();
  std::filesystem::create_directories(root);
  path_ = root / ("t" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;  // best effort: a leftover directory must not fail a test
  std::filesystem::remove_all(path_, ignored);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

std::optional<ErrorCode> code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  return std::nullopt;
}

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

Options clocked() {
  Options options;
  options.clock = StepClock{};
  return options;
}

void raw_exec(const std::filesystem::path& path, const std::string& sql) {
  SQLite::Database db(path.string(), SQLite::OPEN_READWRITE);
  db.exec(sql);
}

std::int64_t raw_int(const std::filesystem::path& path, const std::string& sql) {
  SQLite::Database db(path.string(), SQLite::OPEN_READONLY);
  return db.execAndGet(sql).getInt64();
}

Files files_of(const std::filesystem::path& path) { return {read_file(path), read_file(path.string() + "-wal")}; }

std::vector<Run> all_runs(const Journal& j) { return j.runs({}, Page{.limit = SIZE_MAX}); }
std::vector<Event> all_events(const Journal& j) { return j.events_after(0, SIZE_MAX); }
State state_of(const Journal& j) { return {all_runs(j), all_events(j)}; }

}  // namespace runjournal::test
