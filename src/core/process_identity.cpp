// Process identities from /proc (process_identity.hpp, runjournal/driver.hpp).
#include "core/process_identity.hpp"

#include <charconv>
#include <fstream>
#include <iterator>

#include <unistd.h>

#include <runjournal/driver.hpp>

namespace runjournal {
namespace detail {
namespace {

std::optional<std::string> read_small_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return text;
}

}  // namespace

std::optional<std::int64_t> parse_stat_start_time(std::string_view stat_line) {
  const std::size_t close = stat_line.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  // After "comm)" come field 3 (state) onwards; starttime is field 22, the
  // 20th field after the ')'.
  std::string_view rest = stat_line.substr(close + 1);
  int field = 2;
  std::size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && rest[i] == ' ') ++i;
    if (i >= rest.size()) break;
    std::size_t end = rest.find(' ', i);
    if (end == std::string_view::npos) end = rest.size();
    ++field;
    if (field == 22) {
      std::string_view token = rest.substr(i, end - i);
      while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.remove_suffix(1);
      std::int64_t value = 0;
      const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
      if (ec != std::errc() || ptr != token.data() + token.size() || value < 0) return std::nullopt;
      return value;
    }
    i = end;
  }
  return std::nullopt;
}

std::optional<std::int64_t> process_start_time(std::int64_t pid) {
  if (pid <= 0) return std::nullopt;
  const std::optional<std::string> stat = read_small_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return std::nullopt;
  return parse_stat_start_time(*stat);
}

std::string boot_id() {
  std::string id = read_small_file("/proc/sys/kernel/random/boot_id").value_or("");
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  return id;
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return {};
  return name;
}

}  // namespace detail

Driver this_process_driver() {
  // A process's identity never changes: read /proc once. (A host name can
  // be changed while a process runs; the one it started under is what its
  // runs recorded, and what it keeps reporting.)
  static const Driver self = [] {
    const std::int64_t pid = static_cast<std::int64_t>(::getpid());
    return Driver{detail::host_name(), pid, detail::process_start_time(pid).value_or(0), detail::boot_id()};
  }();
  return self;
}

std::optional<Driver> process_driver(std::int64_t pid) {
  const std::optional<std::int64_t> start = detail::process_start_time(pid);
  if (!start) return std::nullopt;
  const Driver self = this_process_driver();
  return Driver{self.host, pid, *start, self.boot_id};
}

}  // namespace runjournal
