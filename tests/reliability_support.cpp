#include "reliability_support.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include <fmt/format.h>

namespace runjournal::test {

std::vector<std::string> check_journal(const std::filesystem::path& path, const std::vector<Acked>& acked,
                                       std::vector<Event>* events_out) {
  std::vector<std::string> problems;
  // Normal: the checker's own rebuild need not wait for an fsync.
  Journal journal = Journal::open(path, {.create_if_missing = false, .durability = Durability::Normal});
  const VerifyReport report = journal.verify();
  for (const std::string& p : report.problems) problems.push_back("verify: " + p);

  const std::vector<Event> events = all_events(journal);
  std::map<std::int64_t, const Event*> by_position;
  std::map<std::string, std::int64_t> last_seq;
  std::set<std::pair<std::string, std::string>> keys;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (e.position != static_cast<std::int64_t>(i) + 1) {
      problems.push_back(fmt::format("event {} has position {}: positions have a gap", i + 1, e.position));
    }
    std::int64_t& seq = last_seq[e.run_id];
    if (e.seq != seq + 1) problems.push_back(fmt::format("run {}: seq {} follows {}", e.run_id, e.seq, seq));
    seq = e.seq;
    if (e.idempotency_key && !keys.insert({e.run_id, *e.idempotency_key}).second) {
      problems.push_back(fmt::format("run {}: key {} appears twice", e.run_id, *e.idempotency_key));
    }
    by_position[e.position] = &e;
  }
  for (const Acked& a : acked) {
    auto it = by_position.find(a.position);
    if (it == by_position.end()) {
      problems.push_back(fmt::format("acknowledged event {} seq {} at position {} is lost", a.run_id, a.seq, a.position));
    } else if (it->second->run_id != a.run_id || it->second->seq != a.seq) {
      problems.push_back(fmt::format("position {} holds {} seq {}, acknowledged as {} seq {}", a.position,
                                     it->second->run_id, it->second->seq, a.run_id, a.seq));
    }
  }

  const std::vector<Run> before = journal.runs({}, {.limit = 1'000'000});
  for (const Run& run : before) {
    if (run.event_count != last_seq[run.run_id]) {
      problems.push_back(fmt::format("run {} counts {} events, has {}", run.run_id, run.event_count,
                                     last_seq[run.run_id]));
    }
  }
  if (before.size() != last_seq.size()) {
    problems.push_back(fmt::format("{} runs for events of {} runs", before.size(), last_seq.size()));
  }
  journal.rebuild();
  if (journal.runs({}, {.limit = 1'000'000}) != before) problems.push_back("runs differ from a rebuild");
  if (events_out) *events_out = events;
  return problems;
}

std::vector<std::string> check_keyed_batches(const std::vector<Event>& events, long* batches) {
  struct Seen {
    std::int64_t size = 0;
    std::int64_t count = 0;
    std::int64_t first = 0;
    std::int64_t last = 0;
  };
  std::map<long, Seen> seen;
  std::vector<std::string> problems;
  for (const Event& e : events) {
    if (!e.idempotency_key || e.idempotency_key->empty() || e.idempotency_key->front() != 'b') continue;
    long op = 0, index = 0, size = 0;
    if (std::sscanf(e.idempotency_key->c_str(), "b%ld.%ld/%ld", &op, &index, &size) != 3) {
      problems.push_back(fmt::format("position {}: key {} is not a batch's", e.position, *e.idempotency_key));
      continue;
    }
    Seen& s = seen[op];
    if (s.count == 0) s.first = e.position;
    s.size = size;
    s.last = e.position;
    ++s.count;
  }
  for (const auto& [op, s] : seen) {
    if (s.count != s.size || s.last - s.first + 1 != s.size) {
      problems.push_back(fmt::format("batch {} is half there: {} of {} events, positions {} to {}", op, s.count,
                                     s.size, s.first, s.last));
    }
  }
  if (batches) *batches = static_cast<long>(seen.size());
  return problems;
}

KilledChild kill_after_lines(const Child& child, long lines, std::chrono::microseconds delay) {
  LineReader reader(child.out_fd);
  std::vector<std::string> seen;
  std::string line;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (static_cast<long>(seen.size()) < lines && reader.next(line, give_up)) seen.push_back(line);
  std::this_thread::sleep_for(delay);
  ::kill(child.pid, SIGKILL);
  const Outcome outcome = finish_process(child);
  std::string out = reader.take_rest() + outcome.out;
  out.erase(out.find_last_of('\n') == std::string::npos ? 0 : out.find_last_of('\n') + 1);
  std::istringstream rest(out);
  while (std::getline(rest, line)) seen.push_back(line);
  return KilledChild{std::move(seen), outcome};
}

bool LineReader::next(std::string& line, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
      line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return true;
    }
    if (eof_) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) {
      eof_ = true;
    } else {
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }
}

long env_number(const char* name, long fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::strtol(value, nullptr, 10) : fallback;
}

std::string record_child_line(const std::string& line, std::vector<Acked>& acked,
                              std::map<std::string, std::int64_t>& imported, std::string* rest) {
  std::istringstream words(line);
  std::string tag;
  words >> tag;
  if (tag == "ACK") {
    Acked a;
    words >> a.run_id >> a.seq >> a.position;
    acked.push_back(a);
  } else if (tag == "IMPORTED") {
    std::string run;
    std::int64_t n = 0;
    words >> run >> n;
    imported[run] = n;
  } else if (rest) {
    words >> *rest;
  }
  return tag;
}

}  // namespace runjournal::test
