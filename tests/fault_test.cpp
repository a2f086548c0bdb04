// fault_test: disk faults injected through tests/fault_vfs.hpp. A workload
// (open, create runs, appends, batches, a rebuild, a reopen) is run once to
// count its reads, writes, syncs and truncates, then again and again with the
// Nth of one kind failing (SQLITE_IOERR_* or SQLITE_FULL, once or from then
// on), for every N. Each time: only runjournal::Error reaches the caller, an
// append retried with its idempotency key yields exactly one event (a failed
// commit is in doubt: it may be on disk), the rest of the workload then runs,
// and the file reopened with the default VFS is consistent.
//
// CI sweeps every operation once, cycling through the failure flavours;
// RUNJOURNAL_FAULT_FULL=1 tries every flavour at every operation.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include <runjournal/journal.hpp>

#include "fault_vfs.hpp"
#include "reliability_support.hpp"
#include "test_support.hpp"
#include "core/writer.hpp"

using runjournal::Error;
using runjournal::ErrorCode;
using runjournal::Journal;
using runjournal::test::Acked;
using runjournal::test::Fault;
using runjournal::test::FaultOp;
using runjournal::test::TempDir;

namespace {

runjournal::Options fault_options() {
  runjournal::Options options;
  options.vfs = runjournal::test::kFaultVfsName;
  options.busy_timeout = std::chrono::milliseconds(2000);
  return options;
}

// The workload: steps run in order on one journal file. A step that throws
// is retried once the fault is disarmed, then the rest runs.
struct Workload {
  std::filesystem::path path;
  std::optional<Journal> journal;
  std::vector<Acked> acked;

  void ack(const runjournal::Event& e) { acked.push_back({e.run_id, e.seq, e.position}); }
  void ack_run(const runjournal::Run& run) { acked.push_back({run.run_id, 1, run.first_position}); }
  Journal& j() {
    if (!journal) journal.emplace(Journal::open(path, fault_options()));
    return *journal;
  }
};

struct Step {
  const char* name;
  std::function<void(Workload&)> run;
  // On a retry: what may legitimately be refused because the first try
  // committed after all (a create_run without a key: AlreadyExists).
  std::optional<ErrorCode> in_doubt_refusal;
};

void append_keyed(Workload& w, const std::string& run, const std::string& kind, const std::string& key) {
  w.ack(w.j().append(run, kind, {{"key", key}}, {.idempotency_key = key}));
}

std::vector<Step> workload_steps() {
  return {
      {"open", [](Workload& w) { w.j(); }, {}},
      {"create_run a", [](Workload& w) { w.ack_run(w.j().create_run({.session_id = "s1", .run_id = "a"})); },
       ErrorCode::AlreadyExists},
      {"append a k1", [](Workload& w) { append_keyed(w, "a", "run_started", "k1"); }, {}},
      {"read a",
       [](Workload& w) {
         const bool present = w.j().run("a").has_value();  // a read fault throws here, not inside CHECK
         CHECK(present);
       },
       {}},
      {"append a k2", [](Workload& w) { append_keyed(w, "a", "tool_called", "k2"); }, {}},
      {"batch",
       [](Workload& w) {
         std::vector<runjournal::NewEvent> batch;
         batch.push_back({"b", "run_created", {{"session_id", "s2"}}, {.idempotency_key = "b0"}});
         for (int i = 1; i <= 3; ++i) {
           const std::string key = "b" + std::to_string(i);
           batch.push_back({i % 2 ? "a" : "b", "step_started", {{"i", i}}, {.idempotency_key = key}});
         }
         for (const auto& e : w.j().append_batch(batch)) w.ack(e);
       },
       {}},
      {"create_run c", [](Workload& w) { w.ack_run(w.j().create_run({.session_id = "s3", .run_id = "c", .exclusive = true})); },
       ErrorCode::AlreadyExists},
      {"rebuild", [](Workload& w) { w.j().rebuild(); }, {}},
      {"reopen",
       [](Workload& w) {
         w.journal.reset();
         w.j();
       },
       {}},
      {"append b k3", [](Workload& w) { append_keyed(w, "b", "tool_called", "k3"); }, {}},
      {"append c k4", [](Workload& w) { append_keyed(w, "c", "run_completed", "k4"); }, {}},
      {"verify",
       [](Workload& w) {
         const runjournal::VerifyReport report = w.j().verify();
         for (const std::string& p : report.problems) FAIL_CHECK("verify: " << p);
       },
       {}},
  };
}

// Runs `fn`; returns the code of a runjournal::Error, or nullopt when it
// succeeded. Any other exception fails the test.
// The message of the last runjournal::Error attempt() caught.
std::string last_error;

template <class Fn>
std::optional<ErrorCode> attempt(Fn&& fn, const std::string& context) {
  try {
    fn();
    return std::nullopt;
  } catch (const Error& e) {
    last_error = e.what();
    return e.code();
  } catch (const std::exception& e) {
    FAIL_CHECK(context << ": an exception that is not runjournal::Error: " << e.what());
  }
  return ErrorCode::Io;
}

struct SweepTotals {
  long iterations = 0;
  long errors_seen = 0;
};

// One run of the workload with `fault` armed (or none). Returns the VFS's
// counts for it (`injected` > 0: the fault fired).
runjournal::test::FaultCounts run_once(const std::optional<Fault>& fault, SweepTotals& totals, const std::string& label) {
  TempDir dir;
  Workload w{.path = dir.file("j.db")};
  runjournal::test::reset_fault_vfs();
  if (fault) runjournal::test::arm_fault(*fault);
  for (const Step& step : workload_steps()) {
    const std::string context = label + " step " + step.name;
    std::optional<ErrorCode> failed = attempt([&] { step.run(w); }, context);
    if (!failed) continue;
    ++totals.errors_seen;
    INFO(context);
    REQUIRE(fault.has_value());  // with no fault armed, nothing may fail
    if (fault->persistent) {
      // Every later call of that kind fails too: a second try must still
      // give a typed error or succeed, never crash.
      (void)attempt([&] { step.run(w); }, context + " (again, fault still armed)");
    }
    runjournal::test::disarm_fault();
    // The retry: a write in doubt with its idempotency key yields one event.
    std::optional<ErrorCode> retried = attempt([&] { step.run(w); }, context + " (retry)");
    if (retried && retried != step.in_doubt_refusal) {
      // A journal whose connection an I/O error broke is dropped and opened again.
      w.journal.reset();
      retried = attempt([&] { step.run(w); }, context + " (retry after reopen)");
    }
    CHECK_MESSAGE((!retried || retried == step.in_doubt_refusal),
                  context << ": the retry failed: " << last_error);
  }
  w.journal.reset();
  const runjournal::test::FaultCounts counts = runjournal::test::fault_counts();
  runjournal::test::reset_fault_vfs();
  const std::vector<std::string> problems = runjournal::test::check_journal(w.path, w.acked);
  for (const std::string& p : problems) FAIL_CHECK(label << ": " << p);
  ++totals.iterations;
  return counts;
}

const char* op_name(FaultOp op) {
  switch (op) {
    case FaultOp::Read: return "read";
    case FaultOp::Write: return "write";
    case FaultOp::Sync: return "sync";
    case FaultOp::Truncate: return "truncate";
  }
  return "?";
}

}  // namespace

TEST_CASE("a failure at any read, write, sync or truncate of a workload gives a typed error and loses nothing") {
  runjournal::test::install_fault_vfs();
  SweepTotals totals;
  const runjournal::test::FaultCounts counts = run_once(std::nullopt, totals, "dry run");
  CHECK(counts.writes > 0);
  CHECK(counts.syncs > 0);
  CHECK(counts.reads > 0);

  const bool full = runjournal::test::env_number("RUNJOURNAL_FAULT_FULL", 0) != 0;
  struct Flavour {
    FaultOp op;
    int rc;
    bool persistent;
  };
  const std::vector<Flavour> flavours = {
      {FaultOp::Write, SQLITE_IOERR_WRITE, false}, {FaultOp::Write, SQLITE_FULL, true},
      {FaultOp::Write, SQLITE_FULL, false},        {FaultOp::Write, SQLITE_IOERR_WRITE, true},
      {FaultOp::Sync, SQLITE_IOERR_FSYNC, false},  {FaultOp::Sync, SQLITE_IOERR_FSYNC, true},
      {FaultOp::Read, SQLITE_IOERR_READ, false},   {FaultOp::Read, SQLITE_IOERR_READ, true},
      {FaultOp::Truncate, SQLITE_IOERR_TRUNCATE, false}, {FaultOp::Truncate, SQLITE_FULL, true},
  };
  long injected = 0;
  for (FaultOp op : {FaultOp::Write, FaultOp::Sync, FaultOp::Read, FaultOp::Truncate}) {
    std::vector<Flavour> mine;
    for (const Flavour& f : flavours) {
      if (f.op == op) mine.push_back(f);
    }
    const std::int64_t total = op == FaultOp::Read ? counts.reads
                               : op == FaultOp::Write ? counts.writes
                               : op == FaultOp::Sync  ? counts.syncs
                                                      : counts.truncates;
    for (std::int64_t n = 1; n <= total; ++n) {
      for (std::size_t k = 0; k < mine.size(); ++k) {
        // CI: one flavour per operation, in turn; the full sweep: all of them.
        if (!full && k != static_cast<std::size_t>(n) % mine.size()) continue;
        const Flavour& f = mine[k];
        const std::string label = std::string(op_name(op)) + " #" + std::to_string(n) + " rc " +
                                  std::to_string(f.rc) + (f.persistent ? " persistent" : " once");
        const Fault fault{.op = op, .nth = n, .persistent = f.persistent, .rc = f.rc};
        injected += run_once(fault, totals, label).injected > 0;
      }
    }
  }
  MESSAGE("fault sweep: workload of " << counts.reads << " reads, " << counts.writes << " writes, " << counts.syncs
                                      << " syncs, " << counts.truncates << " truncates; " << totals.iterations
                                      << " runs, " << injected << " with a fault injected, " << totals.errors_seen
                                      << " errors reached the caller");
  CHECK(injected > 0);
  CHECK(totals.errors_seen > 0);
}

TEST_CASE("a failed group commit fails exactly the appends it carried and the next group commits") {
  runjournal::test::install_fault_vfs();
  runjournal::test::reset_fault_vfs();
  TempDir dir;
  const auto path = dir.file("j.db");
  std::vector<Acked> acked;
  {
    Journal journal = Journal::open(path, fault_options());
    for (const char* id : {"a", "b", "c"}) {
      const runjournal::Run run = journal.create_run({.session_id = "s", .run_id = id});
      acked.push_back({run.run_id, 1, run.first_position});
    }
    std::vector<std::future<runjournal::Event>> carried;
    {
      // Another connection holds the write lock: the first append's leader
      // waits for it; the appends queued meanwhile join its transaction.
      SQLite::Database blocker(path.string(), SQLite::OPEN_READWRITE);
      blocker.exec("BEGIN IMMEDIATE");
      carried.push_back(journal.append_async("a", "tool_called", {{"i", 0}}, {.idempotency_key = "k0"}));
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
      for (int i = 1; i <= 6; ++i) {
        carried.push_back(journal.append_async(i % 2 ? "b" : "c", "tool_called", {{"i", i}},
                                               {.idempotency_key = "k" + std::to_string(i)}));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      // The next sync through the VFS is that group's commit.
      runjournal::test::arm_fault({.op = FaultOp::Sync, .nth = 1, .persistent = false, .rc = SQLITE_IOERR_FSYNC});
      blocker.exec("COMMIT");
    }
    // Every append the failed commit carried fails with it, with the I/O
    // error, and none of them reached the file (check_journal below).
    for (auto& f : carried) {
      try {
        f.get();
        FAIL("an append whose commit failed was reported as committed");
      } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::Io);
      }
    }
    CHECK(runjournal::test::fault_counts().injected == 1);
    const std::int64_t commits_before = runjournal::detail::commit_stats_of(path, fault_options()).commits;
    // They were in doubt; retried with their keys, each lands once, and the
    // rows of the runs they touched are right (the writer's cached rows were
    // thrown away with the failed transaction).
    for (int i = 0; i <= 6; ++i) {
      const runjournal::Event e = journal.append(i == 0 ? "a" : (i % 2 ? "b" : "c"), "tool_called", {{"i", i}},
                                                 {.idempotency_key = "k" + std::to_string(i)});
      acked.push_back({e.run_id, e.seq, e.position});
    }
    CHECK(runjournal::detail::commit_stats_of(path, fault_options()).commits ==
          commits_before + 7);
    CHECK(journal.run("a")->event_count == 2);
    CHECK(journal.run("b")->event_count == 4);
    CHECK(journal.run("c")->event_count == 4);
  }
  runjournal::test::reset_fault_vfs();
  std::vector<runjournal::Event> events;
  for (const std::string& p : runjournal::test::check_journal(path, acked, &events)) FAIL_CHECK(p);
  CHECK(events.size() == 3 + 7);
}

TEST_CASE("a chunked batch whose commit fails writes nothing and leaves the writer usable") {
  runjournal::test::install_fault_vfs();
  runjournal::test::reset_fault_vfs();
  TempDir dir;
  const auto path = dir.file("j.db");
  std::vector<Acked> acked;
  {
    Journal journal = Journal::open(path, fault_options());
    const runjournal::Run run = journal.create_run({.session_id = "s", .run_id = "r"});
    acked.push_back({run.run_id, 1, run.first_position});
    int chunks = 0;
    const auto source = [&](std::vector<runjournal::NewEvent>& chunk) {
      if (chunks++ == 3) return false;
      for (int i = 0; i < 100; ++i) chunk.push_back({.run_id = "r", .kind = "tool_called"});
      // The next sync through the VFS is the batch's commit.
      if (chunks == 3) {
        runjournal::test::arm_fault({.op = FaultOp::Sync, .nth = 1, .persistent = false, .rc = SQLITE_IOERR_FSYNC});
      }
      return true;
    };
    try {
      journal.append_batch_chunked(source);
      FAIL("a chunked batch whose sync failed was reported as committed");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::Io);
    }
    CHECK(runjournal::test::fault_counts().injected == 1);
    // The rows the writer cached for the batch went with it.
    const runjournal::Event next = journal.append("r", "tool_called");
    CHECK(next.seq == 2);
    acked.push_back({next.run_id, next.seq, next.position});
    CHECK(journal.run("r")->event_count == 2);
  }
  runjournal::test::reset_fault_vfs();
  std::vector<runjournal::Event> events;
  for (const std::string& p : runjournal::test::check_journal(path, acked, &events)) FAIL_CHECK(p);
  CHECK(events.size() == 2);
}

TEST_CASE("a raw connection opened through SQLiteCpp's VFS argument sees the injected fault") {
  runjournal::test::install_fault_vfs();
  runjournal::test::reset_fault_vfs();
  TempDir dir;
  SQLite::Database db(dir.file("raw.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, 0,
                      runjournal::test::kFaultVfsName);
  db.exec("CREATE TABLE t(x INTEGER NOT NULL)");
  runjournal::test::arm_fault({.op = FaultOp::Write, .nth = 1, .persistent = true, .rc = SQLITE_FULL});
  try {
    db.exec("INSERT INTO t(x) VALUES (1)");
    FAIL("a write went through a full disk");
  } catch (const SQLite::Exception& e) {
    CHECK((e.getErrorCode() & 0xFF) == SQLITE_FULL);
  }
  runjournal::test::reset_fault_vfs();
  db.exec("INSERT INTO t(x) VALUES (2)");
  CHECK(db.execAndGet("SELECT count(*) FROM t").getInt() == 1);
}
