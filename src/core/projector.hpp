// projector.hpp — the status machine: (run state, event) -> run state.
//
// This is the only place that knows what an event kind does to a run
// (DESIGN.md, "Status machine"). It is a pure function: no clock, no
// randomness, no I/O, no SQLite. Rebuilding `runs` is therefore just
// replaying the events through it, and an incrementally maintained row always
// equals a rebuilt one.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <runjournal/run.hpp>

namespace runjournal::detail {

// Bump whenever project() would derive a different row from the same events:
// a journal whose stored version differs rebuilds `runs` once at open.
// 2: runs carry the driver of run_created / run_resumed (migration 0003).
// 3: status_reason describes the current status only (cleared when the run
//    leaves interrupted or cancelled); runs carry agent_spec_digest, git_sha
//    and final_state_digest (migration 0005).
// 4: runs carry a fork's lineage, forked_from_run and forked_from_seq
//    (migration 0007), and a fork's copied run_resumed events do not make
//    the source's drivers the fork's.
inline constexpr std::int64_t kProjectorVersion = 4;

// What a kind means to the projector. Kind names are open (a host may record
// any kind), so an unknown name is Other, not an error.
enum class KindClass {
  RunCreated,
  RunStarted,
  PlanningStarted,
  VerifyingStarted,
  Activity,  // step_started, turn_started, tool_started, tool_called, node_entered
  RunCompleted,
  RunFailed,
  RunCancelled,
  RunInterrupted,
  RunResumed,
  CheckpointSaved,
  CheckpointDeleted,
  Other,
};

// Maps canonical names and the source systems' aliases ("start", "end",
// "error", "graph_completed", …) to their class.
KindClass classify_kind(std::string_view kind) noexcept;

// The canonical name of a kind ("end" -> "run_completed"); the kind itself
// when it is canonical or unknown.
std::string_view canonical_kind(std::string_view kind) noexcept;

struct EventView {
  std::string_view run_id;
  std::int64_t seq = 0;
  std::int64_t position = 0;
  std::int64_t ts_ms = 0;
  std::string_view kind;
  std::string_view payload;  // a JSON object, as text
};

// What one event changed in its run's row. Most events of a long run
// (tool calls, steps, tokens) move only the counters; the writer then
// updates four integer columns instead of rewriting the row and its indexes.
enum class RowChange {
  Counters,  // event_count, last_seq, last_position and updated_at_ms only
  Row,       // anything else as well (or the row is new)
};

// Applies one event to the run and says what it changed. `run` is
// std::nullopt before the run's first event, which must be run_created with
// seq 1; anything else there throws Error(Corrupt). Payload fields of the
// wrong type are ignored rather than fatal: a recorded event can always be
// replayed.
RowChange project(std::optional<Run>& run, const EventView& event);

}  // namespace runjournal::detail
