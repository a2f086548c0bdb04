// power_loss_test: the power fails at every sync of a workload, in turn
// (tests/fault_vfs.hpp holds each file's writes until it is synced; at the
// k-th sync they are dropped, or a random subset lands in random order, and
// every later operation fails). The real files are then reopened with the
// default VFS. With Durability::Full no acknowledged event is ever lost; with
// Normal the journal is a consistent prefix of what was written; with both,
// verify() is clean and a batch is all there or not at all.
//
// RUNJOURNAL_POWER_SEEDS=N tries N seeds for the random-subset mode (CI: 2).
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <runjournal/journal.hpp>

#include "fault_vfs.hpp"
#include "reliability_support.hpp"
#include "test_support.hpp"

using runjournal::Durability;
using runjournal::Error;
using runjournal::Journal;
using runjournal::test::Acked;
using runjournal::test::TempDir;

namespace {

// An event the workload asked for, in the order it asked.
struct Attempted {
  std::string run_id;
  std::string kind;
  nlohmann::json payload;
  std::optional<std::int64_t> position;  // set once acknowledged
};

struct PowerWorkload {
  std::filesystem::path path;
  Durability durability;
  std::optional<Journal> journal;
  std::vector<Attempted> attempted;
  std::set<std::size_t> boundaries{0};  // attempted.size() after each write call

  Journal& j() {
    if (!journal) {
      runjournal::Options options;
      options.vfs = runjournal::test::kFaultVfsName;
      options.durability = durability;
      journal.emplace(Journal::open(path, options));
    }
    return *journal;
  }

  // Appends a batch, recording it first (it is in doubt until it returns).
  void write(const std::vector<runjournal::NewEvent>& batch) {
    const std::size_t first = attempted.size();
    for (const auto& e : batch) attempted.push_back({e.run_id, e.kind, e.payload, std::nullopt});
    boundaries.insert(attempted.size());
    const std::vector<runjournal::Event> events =
        batch.size() == 1 ? std::vector<runjournal::Event>{j().append(batch[0].run_id, batch[0].kind,
                                                                     batch[0].payload, batch[0].options)}
                          : j().append_batch(batch);
    for (std::size_t i = 0; i < events.size(); ++i) attempted[first + i].position = events[i].position;
  }

  void create(const std::string& id, const std::string& session) {
    attempted.push_back({id, "run_created", nullptr, std::nullopt});
    boundaries.insert(attempted.size());
    const runjournal::Run run = j().create_run({.session_id = session, .prompt = "p", .run_id = id});
    attempted.back().position = run.first_position;
  }
};

// A batch whose commit leaves over 1000 frames (pages) in the WAL, so that
// the writer checkpoints after it (install_checkpoint_hook in
// src/sqlite/connection.cpp): a close does not checkpoint, and the sweep must cut
// the power inside a checkpoint too. Few events of many pages each keep the
// checks of every power cut short.
void fill_wal(PowerWorkload& w, const std::string& run_id) {
  std::vector<runjournal::NewEvent> batch;
  for (int i = 0; i < 40; ++i) batch.push_back({run_id, "chunk", {{"text", std::string(110'000, 'c')}, {"i", i}}});
  w.write(batch);
}

void run_workload(PowerWorkload& w) {
  w.create("a", "s1");
  for (int i = 0; i < 4; ++i) w.write({{"a", "tool_called", {{"i", i}}, {.idempotency_key = "a" + std::to_string(i)}}});
  w.create("b", "s2");
  w.write({{"b", "step_started", {{"i", 0}}}, {"a", "step_started", {{"i", 1}}}, {"b", "tool_called", {{"i", 2}}}});
  w.j().rebuild();
  fill_wal(w, "b");   // the writer checkpoints
  w.journal.reset();  // reopen
  for (int i = 0; i < 3; ++i) w.write({{"b", "tool_called", {{"text", std::string(3000, 'x')}, {"i", i}}}});
  w.write({{"c", "run_created", {{"session_id", "s3"}}}, {"c", "run_started", {{"prompt", "go"}}}});
  w.write({{"a", "run_completed", {{"result_text", "done"}}}});
  w.journal.reset();
  w.write({{"c", "run_failed", {{"error", "boom"}}}});
  w.write({{"b", "tool_called", {{"i", 9}}}});
}

struct Figures {
  long iterations = 0;
  long acked = 0;
  long lost = 0;
  long unsynced_lost = 0;  // normal: acknowledged after the last sync, gone with the power
};

// One power failure at sync `k`. Checks the recovered journal.
void power_cut(Durability durability, std::int64_t k, bool random_subset, std::uint32_t seed, Figures& figures) {
  TempDir dir;
  PowerWorkload w{.path = dir.file("j.db"), .durability = durability};
  runjournal::test::reset_fault_vfs();
  runjournal::test::arm_power_loss({.at_sync = k, .random_subset = random_subset, .seed = seed});
  try {
    run_workload(w);
  } catch (const Error&) {
    // The power failed (the only failure this VFS makes here).
  }
  const std::string label = std::string(durability == Durability::Full ? "full" : "normal") + " sync " +
                            std::to_string(k) + (random_subset ? " random-subset seed " + std::to_string(seed) : "");
  INFO(label);
  CHECK(runjournal::test::power_failed());
  w.journal.reset();
  runjournal::test::reset_fault_vfs();
  ++figures.iterations;

  std::vector<Acked> acked;
  for (const Attempted& a : w.attempted) {
    if (a.position) acked.push_back({a.run_id, 0, *a.position});
  }
  figures.acked += static_cast<long>(acked.size());
  // Whatever the power left must open: a file cut while it was being
  // created (nothing, an empty file, a half-initialised one; with normal,
  // also after commits that were never synced) opens as a new journal.
  REQUIRE_NOTHROW(Journal::open(w.path));
  std::vector<runjournal::Event> events;
  const std::vector<std::string> problems = runjournal::test::check_journal(w.path, {}, &events);
  for (const std::string& p : problems) FAIL_CHECK(label << ": " << p);

  // What survived is a prefix of what was asked for, cut at a batch boundary.
  CHECK(events.size() <= w.attempted.size());
  CHECK_MESSAGE(w.boundaries.count(events.size()) == 1, "a batch survived in part: " << events.size() << " events");
  for (std::size_t i = 0; i < events.size() && i < w.attempted.size(); ++i) {
    const Attempted& a = w.attempted[i];
    CHECK(events[i].run_id == a.run_id);
    CHECK(events[i].kind == a.kind);
    // A run_created payload gains the writer's "driver"; others are stored as given.
    if (a.kind != "run_created") CHECK(events[i].payload == a.payload);
    if (a.position) CHECK(events[i].position == *a.position);
  }
  const long lost = static_cast<long>(acked.size()) - static_cast<long>(std::min(events.size(), acked.size()));
  if (durability == Durability::Full) {
    CHECK_MESSAGE(lost == 0, label << ": " << lost << " acknowledged events lost");
    figures.lost += lost;
  } else {
    figures.unsynced_lost += lost;  // allowed: normal promises survival of a process crash only
  }
}

void sweep(Durability durability, Figures& figures) {
  runjournal::test::install_fault_vfs();
  // A dry run counts the workload's syncs (power loss armed, never firing).
  std::int64_t syncs = 0;
  {
    TempDir dir;
    PowerWorkload w{.path = dir.file("j.db"), .durability = durability};
    runjournal::test::reset_fault_vfs();
    runjournal::test::arm_power_loss({.at_sync = -1});
    run_workload(w);
    syncs = runjournal::test::power_syncs_seen();
    w.journal.reset();
    runjournal::test::reset_fault_vfs();
  }
  REQUIRE(syncs > 0);
  const long seeds = runjournal::test::env_number("RUNJOURNAL_POWER_SEEDS", 2);
  for (std::int64_t k = 1; k <= syncs; ++k) {
    power_cut(durability, k, false, 0, figures);
    for (long s = 0; s < seeds; ++s) {
      power_cut(durability, k, true, static_cast<std::uint32_t>(k * 7919 + s), figures);
    }
  }
  const std::string name = durability == Durability::Full ? "full" : "normal";
  MESSAGE("power loss (" << name << "): " << syncs
                         << " syncs swept, " << figures.iterations << " power cuts, " << figures.acked
                         << " acknowledgements checked, " << figures.lost << " acknowledged events lost"
                         << (durability == Durability::Normal
                                 ? " (normal: " + std::to_string(figures.unsynced_lost) + " acknowledged but never synced)"
                                 : std::string()));
}

}  // namespace

TEST_CASE("with durability full, a power loss at any sync loses no acknowledged event") {
  Figures figures;
  sweep(Durability::Full, figures);
  CHECK(figures.lost == 0);
  CHECK(figures.iterations > 0);
}

TEST_CASE("with durability normal, a power loss at any sync leaves a consistent prefix") {
  Figures figures;
  sweep(Durability::Normal, figures);
  CHECK(figures.iterations > 0);
}
