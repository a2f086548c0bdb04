#include "reliability_support.hpp"

#include <cstdlib>
#include <set>
#include <sstream>
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
