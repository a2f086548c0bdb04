#include "test_support.hpp"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

#include <unistd.h>

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

std::optional<std::size_t> batch_index_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.batch_index();
  }
  return std::nullopt;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

Options clocked() {
  Options options;
  options.clock = StepClock{};
  return options;
}

std::vector<Run> all_runs(const Journal& j) { return j.runs({}, Page{.limit = SIZE_MAX}); }
std::vector<Event> all_events(const Journal& j) { return j.events_after(0, SIZE_MAX); }
State state_of(const Journal& j) { return {all_runs(j), all_events(j)}; }

std::vector<std::string> ids_of(const std::vector<Run>& runs) {
  std::vector<std::string> ids;
  for (const Run& r : runs) ids.push_back(r.run_id);
  return ids;
}

std::vector<std::int64_t> positions_of(const std::vector<Event>& events) {
  std::vector<std::int64_t> out;
  for (const Event& e : events) out.push_back(e.position);
  return out;
}

std::vector<std::int64_t> iota(std::int64_t first, std::int64_t last) {
  std::vector<std::int64_t> out;
  for (std::int64_t i = first; i <= last; ++i) out.push_back(i);
  return out;
}

}  // namespace runjournal::test
