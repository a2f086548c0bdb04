// stress_test: four writer processes (two at durability full, two normal)
// doing appends, batches, creates, rebuilds and imports at once, two readers
// scanning, and one slow reader that holds a read snapshot open for 50 ms at
// a time (which stops checkpoints from resetting the WAL while it holds).
// Checked: no writer or reader met an error (a Busy would end it with exit
// 3), every acknowledged event is there exactly once, the journal verifies,
// and the WAL stays bounded: at rest it is within journal_size_limit.
//
// RUNJOURNAL_STRESS_OPS=N sets the operations per writer (CI: 120).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <runjournal/journal.hpp>

#include "process.hpp"
#include "reliability_support.hpp"
#include "sqlite_file.hpp"
#include "test_support.hpp"

using runjournal::Journal;
using runjournal::test::Acked;
using runjournal::test::TempDir;
using runjournal::test::wal_size;

namespace {

constexpr std::uintmax_t kJournalSizeLimit = 64u * 1024 * 1024;  // src/sqlite/connection.cpp

}  // namespace

TEST_CASE("four writer processes, readers and a slow reader: no busy error, every event once, WAL bounded") {
  TempDir dir;
  const auto path = dir.file("j.db");
  // The test keeps a journal open throughout, so the WAL is not deleted by
  // the last writer's close and its size at rest can be seen.
  Journal journal = Journal::open(path);
  const long ops = runjournal::test::env_number("RUNJOURNAL_STRESS_OPS", 120);

  std::vector<runjournal::test::Child> writers;
  for (int w = 0; w < 4; ++w) {
    writers.push_back(runjournal::test::start_process({RUNJOURNAL_TEST_CHILD, "mixed", path.string(),
                                                       "w" + std::to_string(w), std::to_string(1000 + w),
                                                       std::to_string(ops), w % 2 ? "normal" : "full"}));
  }
  std::vector<runjournal::test::Child> readers;
  for (int r = 0; r < 2; ++r) {
    readers.push_back(runjournal::test::start_process({RUNJOURNAL_TEST_CHILD, "read", path.string(), "3"}));
  }
  runjournal::test::Child slow =
      runjournal::test::start_process({RUNJOURNAL_TEST_CHILD, "slow-read", path.string(), "3", "50"});

  std::atomic<bool> done{false};
  std::atomic<std::uintmax_t> wal_max{0};
  std::thread sampler([&] {
    while (!done) {
      wal_max = std::max(wal_max.load(), wal_size(path));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });

  std::vector<Acked> acked;
  std::map<std::string, std::int64_t> imported;
  for (auto& child : writers) {
    const auto outcome = runjournal::test::finish_process(child);
    CHECK_MESSAGE(outcome.exit_code == 0, "a writer failed (exit " << outcome.exit_code << ", signal "
                                                                   << outcome.signal << ")");
    std::istringstream lines(outcome.out);
    std::string line;
    while (std::getline(lines, line)) runjournal::test::record_child_line(line, acked, imported);
  }
  for (auto& reader : readers) CHECK(runjournal::test::finish_process(reader).exit_code == 0);
  const auto slow_outcome = runjournal::test::finish_process(slow);
  CHECK(slow_outcome.exit_code == 0);
  CHECK(slow_outcome.out.rfind("HELD ", 0) == 0);
  done = true;
  sampler.join();

  // At rest: one more commit lets the WAL reset and truncate to the limit.
  journal.append(journal.create_run({.session_id = "rest"}).run_id, "tool_called");
  const std::uintmax_t at_rest = wal_size(path);
  MESSAGE("stress: " << acked.size() << " events acknowledged by 4 writers, " << imported.size()
                     << " imports; WAL peak " << wal_max.load() << " bytes, at rest " << at_rest << " bytes");
  CHECK(at_rest <= kJournalSizeLimit);
  CHECK(acked.size() > 4u * static_cast<std::size_t>(ops) / 2);

  std::vector<runjournal::Event> events;
  for (const std::string& p : runjournal::test::check_journal(path, acked, &events)) FAIL_CHECK(p);
  std::map<std::string, std::int64_t> counts;
  for (const auto& e : events) ++counts[e.run_id];
  for (const auto& [run, n] : imported) CHECK(counts[run] >= n);  // later appends may add to it
  // Every acknowledged (run, seq) once: positions are unique, and
  // check_journal matched each acknowledgement to its position.
  std::map<std::pair<std::string, std::int64_t>, int> seen;
  for (const Acked& a : acked) CHECK(++seen[{a.run_id, a.seq}] == 1);
}
