// histories.hpp — journals in known states, and drivers that leave runs cut
// off, written through the public API only. The conformance suite builds on
// them, and so do the backend-specific suites that then look beneath the API
// at the same histories (tampering, snapshots, SQL), so that each history is
// written once.
#pragma once

#include <string>
#include <vector>

#include <runjournal/journal.hpp>

namespace runjournal::test {

// Three runs, eight events: alpha completed, bravo executing, charlie
// created. Ids are words so that a message naming one is unmistakable.
void small_history(Journal& j);

// Two runs, one finished, one with a checkpoint; closed (its WAL stays
// beside it: no connection checkpoints at close).
void small_journal(const std::string& location);

// The journal docs/sql.md describes, its times from a fresh StepClock
// (1'700'000'000'000 on): run-a completed (5 events), run-b failed (3),
// run-c executing (3); positions 1-5, 6-8, 9-11.
Journal known_journal(const std::string& location);

// A Journal whose writes record `driver` as the runs' driver.
Journal open_driven_by(const std::string& location, const Driver& driver);
// This process, but started at another time: what a reused pid looks like,
// a driver that is certainly gone.
Driver reused_pid_driver();
// The listed run with that id; nullptr when recover() did not list it.
const RecoveredRun* find(const std::vector<RecoveredRun>& found, const std::string& run_id);

}  // namespace runjournal::test
