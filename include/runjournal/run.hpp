// runjournal/run.hpp — a run as the projection sees it.
//
// A Run is one row of the `runs` table: a pure function of the run's events
// (see projector in docs/format.md). Values of this type are plain data,
// safe to copy and to use from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <runjournal/driver.hpp>

namespace runjournal {

enum class RunStatus {
  Created,
  Planning,
  Executing,
  Verifying,
  Interrupted,  // its driver died; it can be resumed or given up
  Completed,    // terminal
  Failed,       // terminal
  Cancelled,    // terminal
};

// "created", "planning", … exactly as stored in runs.status.
std::string_view to_string(RunStatus status) noexcept;

// The status named by `text`; std::nullopt for anything that is not one of
// the eight names (never a silent default).
std::optional<RunStatus> parse_run_status(std::string_view text) noexcept;

// Completed, Failed and Cancelled: no event moves a run out of them.
constexpr bool is_terminal(RunStatus status) noexcept {
  return status == RunStatus::Completed || status == RunStatus::Failed ||
         status == RunStatus::Cancelled;
}

struct Run {
  std::string run_id;
  std::string session_id;
  RunStatus status = RunStatus::Created;
  std::string prompt;
  nlohmann::json inputs;    // null when absent
  nlohmann::json outputs;   // null when absent
  nlohmann::json metadata;  // null when absent
  std::optional<std::string> result_text;
  std::optional<std::string> error;
  // Why the run is cancelled or interrupted, when the event said; cleared
  // when it moves to any other status (a resumed run has none).
  std::optional<std::string> status_reason;
  // The latest live checkpoint: set by checkpoint_saved, cleared by
  // checkpoint_deleted of the same id and by any terminal event.
  std::optional<std::string> checkpoint_id;
  nlohmann::json checkpoint;  // that checkpoint_saved payload; null when none
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::optional<std::int64_t> finished_at_ms;
  std::int64_t first_position = 0;  // position of run_created: creation order
  std::int64_t event_count = 0;
  std::int64_t last_seq = 0;
  std::int64_t last_position = 0;
  // The process driving the run: from the `driver` object of its
  // run_created, replaced by each run_resumed that carries one. std::nullopt
  // for runs recorded without one (by a runjournal before drivers).
  std::optional<Driver> driver;
  // Provenance, as the host recorded it: the digest of the agent spec the run
  // executes and the git commit it runs at (run_created's agent_spec_digest
  // and git_sha), and the digest of its final state (run_completed's
  // final_state_digest). std::nullopt when not given.
  std::optional<std::string> agent_spec_digest;
  std::optional<std::string> git_sha;
  std::optional<std::string> final_state_digest;

  friend bool operator==(const Run&, const Run&) = default;
};

}  // namespace runjournal
