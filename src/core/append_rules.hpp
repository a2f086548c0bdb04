// append_rules.hpp — what an append may do, checked inside its transaction:
// a run is created once (AlreadyExists), an event goes to a run that exists
// (NotFound), expected_seq must still be the run's last (Conflict), an
// idempotency key returns its first event or, reused for another event, is a
// Conflict; an exclusive create finds no live run in its session
// (AlreadyRunning). Backend-free: it reads and writes through the stores of
// the writer's open transaction, and assigns seq and position.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <runjournal/error.hpp>
#include <runjournal/event.hpp>
#include <runjournal/run.hpp>

#include "core/event_input.hpp"
#include "core/replay.hpp"
#include "core/stores.hpp"

namespace runjournal::detail {

struct BatchResult {
  std::vector<Event> events;  // one per input, in order
  std::vector<Run> runs;      // every touched run as committed, when asked for
};

// Whether a caller wants BatchResult::runs (copies of the touched rows).
enum class WithRuns { No, Yes };

// Whether a failure concerns one batch only (a refusal: the batch fails,
// the group's transaction goes on) rather than the whole transaction (I/O,
// a full disk, a corrupt page).
bool is_refusal(ErrorCode code);

// Applies one batch in the open transaction: checks each event against the
// rules above, inserts it at the next position (`position` is the last one
// assigned, and moves on) and projects it through `cache`. `wrote` turns
// true once the first event is inserted. A refusal throws Error naming the
// event's batch index, which is `first_index` plus its place in `batch`
// (always named when `first_index` is set: a chunk of a larger batch);
// `with_runs` fills BatchResult::runs with the touched run ids (the caller
// copies the committed rows in).
BatchResult apply_batch(std::vector<PreparedEvent>& batch, bool with_runs, EventStore& events, RunStore& runs,
                        ProjectionCache& cache, std::int64_t& position, bool& wrote,
                        std::optional<std::size_t> first_index = std::nullopt);

}  // namespace runjournal::detail
