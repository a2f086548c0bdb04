// runjournal/lifecycle.hpp — the values the run-lifecycle and crash-recovery
// calls of Journal (journal.hpp) take and return. docs/recovery.md tells the
// whole story; in short:
//
// - recover() lists the runs that were cut off: not finished, and their
//   driver (driver.hpp) is gone. Listing changes nothing.
// - The host then resumes each one (resume_run: `run_resumed`, the resuming
//   process becomes the driver) or gives it up (interrupt_run:
//   `run_interrupted`, or a `run_failed` of its own). Status changes only
//   through events, so a rebuild reproduces every one of them.
//
// Values of these types are plain data, safe to copy and to use from any
// thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <runjournal/run.hpp>

namespace runjournal {

// A run's latest live checkpoint: the `checkpoint_saved` payload still in
// force (not deleted, and the run not finished).
struct Checkpoint {
  std::string checkpoint_id;
  // What save_checkpoint() stored as the state: the payload's "state" member.
  // For a checkpoint_saved event written by hand without one, the whole
  // payload.
  nlohmann::json state;
  nlohmann::json payload;  // the checkpoint_saved payload as recorded

  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

struct RecoverOptions {
  // Also list runs already `interrupted` (whose driver is gone too).
  bool include_interrupted = false;
};

// What claim_recovered() claims, and what it records.
struct ClaimOptions {
  // Also claim runs already `interrupted` (whose driver is gone too).
  bool include_interrupted = false;
  // Claim at most this many runs (the oldest first); the rest stay for
  // other hosts, or for the next call.
  std::size_t limit = static_cast<std::size_t>(-1);
  // The run_resumed payload of each claimed run: a JSON object without a
  // "driver" key (this Journal's driver is added; InvalidArgument otherwise).
  nlohmann::json payload = nlohmann::json::object();
};

// One run recover() found cut off.
struct RecoveredRun {
  Run run;                              // as stored when listed
  std::optional<Checkpoint> checkpoint;  // its latest live checkpoint, if any
  std::int64_t silent_ms = 0;            // the journal's clock now minus run.updated_at_ms
  std::string why;                       // why its driver counts as gone, for people
};

// How an execution ended, as the host's runner saw it; finish() maps it to
// the terminal event.
struct ExecutionResult {
  enum class Outcome {
    Ok,         // -> run_completed {result_text?, outputs?}
    Cancelled,  // the cancel token fired -> run_cancelled {reason?}
    Error,      // -> run_failed {error}
  };
  Outcome outcome = Outcome::Ok;
  std::optional<std::string> result_text;  // Ok
  nlohmann::json outputs;                  // Ok; null for none
  std::string error;                       // Error: the message; Cancelled: the reason, if any
};

}  // namespace runjournal
