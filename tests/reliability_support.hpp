// reliability_support.hpp — what the crash, fault, power-loss and stress
// suites check after they have hurt a journal.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <runjournal/journal.hpp>

#include "test_support.hpp"

namespace runjournal::test {

// An event a writer was told was committed: it must be there, once, here.
struct Acked {
  std::string run_id;
  std::int64_t seq = 0;
  std::int64_t position = 0;
};

// One line a test child (tests/journal_child.cpp) printed: "ACK run seq
// position" goes to `acked`, "IMPORTED run n" to `imported`. Returns the
// line's first word (its tag), and the rest of the line in `rest`.
std::string record_child_line(const std::string& line, std::vector<Acked>& acked,
                              std::map<std::string, std::int64_t>& imported, std::string* rest = nullptr);



// Opens `path` with the default VFS and checks the journal's invariants:
// verify() is clean, positions run 1, 2, 3 … with no gap, every run's seqs
// run 1 … event_count with no gap, no idempotency key appears twice in a
// run, runs() equals runs() after a rebuild(), and every acknowledged event
// is at its position with its run and seq. Returns one line per problem
// (empty when all holds). `events` (when given) receives all events.
std::vector<std::string> check_journal(const std::filesystem::path& path, const std::vector<Acked>& acked,
                                       std::vector<Event>* events = nullptr);

// An environment variable as a number, or `fallback` when unset.
long env_number(const char* name, long fallback);

}  // namespace runjournal::test
