// reliability_support.hpp — what the crash, fault, power-loss and stress
// suites check after they have hurt a journal.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <runjournal/journal.hpp>

#include "process.hpp"
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

// Reads a child's stdout a line at a time, waiting at most until a deadline.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  // The next whole line (without its newline), or false at EOF or when the
  // deadline passed.
  bool next(std::string& line, std::chrono::steady_clock::time_point deadline);
  // What was read past the last line next() returned; the reader is empty after.
  std::string take_rest() { return std::exchange(buffer_, std::string()); }

 private:
  int fd_;
  std::string buffer_;
  bool eof_ = false;
};

// Reads `child`'s lines until it has printed `lines` of them (at most 20 s),
// waits `delay`, SIGKILLs and reaps it, and returns every whole line it
// printed before it died. A kill between two writes of a full stdio buffer
// cuts the last line short, so only whole lines count ("ACK r 145 4" may be
// the start of "ACK r 145 4096"). `outcome` says how it ended (it may have
// finished before the kill).
struct KilledChild {
  std::vector<std::string> lines;
  Outcome outcome;
};
KilledChild kill_after_lines(const Child& child, long lines, std::chrono::microseconds delay);

// The events written by the test child's keyed-batches mode carry keys
// "b<op>.<i>/<size>": each batch op must be there whole (all `size` events,
// at consecutive positions: one commit) or not at all. Returns one line per
// batch that is not, and counts the whole batches in `batches` when given.
std::vector<std::string> check_keyed_batches(const std::vector<Event>& events, long* batches = nullptr);

// Opens `path` (a file with the default VFS, or a PostgreSQL URI) and checks the journal's invariants:
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
