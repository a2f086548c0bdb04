// no_op_write_test: a write that is refused, or that changes nothing (an
// idempotent retry), leaves the file byte-for-byte as it was, bookkeeping
// included, whatever the clock says: this host's heartbeat lease is
// refreshed only by a write that commits, inside its transaction.
#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <runjournal/journal.hpp>

#include "sqlite_file.hpp"
#include "test_support.hpp"

using runjournal::ErrorCode;
using runjournal::Journal;
using runjournal::test::code_of;
using runjournal::test::Files;
using runjournal::test::files_of;
using runjournal::test::raw_int;
using runjournal::test::TempDir;
namespace fs = std::filesystem;

namespace {

// A lease this short is due again after a millisecond (a write refreshes
// it at most every lease_ttl / 6).
runjournal::Options due_every_millisecond() {
  runjournal::Options options;
  options.lease_ttl = std::chrono::milliseconds(6);
  return options;
}

std::int64_t lease_expiry(const fs::path& path) {
  const runjournal::Driver self = runjournal::this_process_driver();
  return raw_int(path, "SELECT coalesce(max(expires_at_ms), 0) FROM driver_leases WHERE host = '" + self.host +
                           "' AND boot_id = '" + self.boot_id + "'");
}

}  // namespace

TEST_CASE("refused and idempotent writes leave the file as it was even when the lease is due") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  Journal j = Journal::open(path, due_every_millisecond());
  j.create_run({.session_id = "solo", .run_id = "r", .exclusive = true});
  j.append("r", "tool_called", {{"tool_name", "search"}}, {.idempotency_key = "k"});
  std::string exported;
  j.records([&](const runjournal::RunRecord& record) { exported = runjournal::record_to_line(record); });

  const std::vector<std::pair<const char*, std::function<void()>>> no_ops = {
      {"unknown run", [&] { j.append("ghost", "tool_called"); }},
      {"stale expected_seq", [&] { j.append("r", "tool_called", {}, {.expected_seq = 1}); }},
      {"duplicate run id", [&] { j.create_run({.session_id = "other", .run_id = "r"}); }},
      {"exclusive refusal", [&] { j.create_run({.session_id = "solo", .run_id = "r2", .exclusive = true}); }},
      {"a batch with a bad last event",
       [&] { j.append_batch({{.run_id = "r", .kind = "step_started"}, {.run_id = "ghost", .kind = "x"}}); }},
      {"a chunked batch refused in its second chunk",
       [&] {
         int calls = 0;
         j.append_batch_chunked([&](std::vector<runjournal::NewEvent>& chunk) {
           if (++calls > 2) return false;
           chunk.push_back({.run_id = calls == 1 ? "r" : "ghost", .kind = "step_started"});
           return true;
         });
       }},
      {"an idempotent retry", [&] { j.append("r", "tool_called", {{"tool_name", "search"}}, {.idempotency_key = "k"}); }},
      {"an idempotent retry in a batch",
       [&] { j.append_batch({{.run_id = "r", .kind = "tool_called", .payload = {{"tool_name", "search"}},
                              .options = {.idempotency_key = "k"}}}); }},
      {"an import of a run already there",
       [&] {
         std::istringstream in(exported + "\n");
         j.import_records(in);
       }},
      {"a cancel of a run that is not current", [&] { j.cancel_if_live("ghost"); }},
  };
  for (const auto& [what, call] : no_ops) {
    const std::string what_name(what);  // INFO's lambda cannot capture a binding on clang 14
    INFO(what_name);
    std::this_thread::sleep_for(std::chrono::milliseconds(3));  // the lease is due
    const Files before = files_of(path);
    (void)code_of(call);
    CHECK(files_of(path) == before);
  }
  // The next write that commits refreshes the lease, in its transaction.
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  const std::int64_t expiry_before = lease_expiry(path);
  j.append("r", "step_started");
  CHECK(lease_expiry(path) > expiry_before);
}

TEST_CASE("a failed write's lease is refreshed by the next write that commits") {
  TempDir dir;
  const fs::path path = dir.file("j.db");
  Journal j = Journal::open(path, due_every_millisecond());
  // The first write of a journal is refused: no lease row appears.
  CHECK(code_of([&] { j.append("ghost", "tool_called"); }) == ErrorCode::NotFound);
  CHECK(raw_int(path, "SELECT count(*) FROM driver_leases") == 0);
  j.create_run({.session_id = "s", .run_id = "r"});
  CHECK(raw_int(path, "SELECT count(*) FROM driver_leases") == 1);
}
