// runjournal/run.hpp — a run as the projection sees it, what creates one
// (NewRun, ForkOptions) and how runs() lists them (RunFilter, Page).
//
// A Run is one row of the `runs` table: a pure function of the run's events
// (see projector in docs/format.md). Values of this type are plain data,
// safe to copy and to use from any thread.
#pragma once

#include <cstddef>
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
  // Lineage of a fork (Journal::fork): the source run, and the seq up to
  // which this run's events are copies of the source's (events 1 … that
  // seq; the fork's own begin after it). std::nullopt for other runs.
  std::optional<std::string> forked_from_run;
  std::optional<std::int64_t> forked_from_seq;

  friend bool operator==(const Run&, const Run&) = default;
};

struct NewRun {
  std::string session_id;
  std::string prompt;
  std::optional<std::string> run_id;  // default: Options::id_generator
  nlohmann::json inputs;              // any JSON; null for none
  nlohmann::json metadata;            // any JSON; null for none
  // Provenance (Run::agent_spec_digest, Run::git_sha); recorded in the
  // run_created payload under these names when set.
  std::optional<std::string> agent_spec_digest;
  std::optional<std::string> git_sha;
  // Refuse with ErrorCode::AlreadyRunning, naming the live run, when the
  // session already has a run that is not completed, failed or cancelled.
  // The check and the insert are one transaction.
  bool exclusive = false;
};

// Which runs runs() lists. Every field that is set narrows the listing; the
// default lists every run.
struct RunFilter {
  std::optional<RunStatus> status;
  std::optional<std::string> session_id;
  // A creation-time window in Unix ms: created_at_ms >= created_since_ms
  // (inclusive) and created_at_ms < created_until_ms (exclusive). Either end
  // may be open. A window whose start is after its end is
  // ErrorCode::InvalidArgument; an empty one (start == end) lists nothing.
  // Windows are indexed (runs_by_created): a page of a small window reads
  // that window's index entries; a large one (past 4096 runs) is paged like
  // any listing, after one pass over its index entries that this Journal
  // remembers (a file not yet migrated to have the index, read read-only,
  // filters in listing order instead).
  std::optional<std::int64_t> created_since_ms;
  std::optional<std::int64_t> created_until_ms;
  // Runs whose run_id, session_id or prompt contains this text, ASCII
  // letters compared without case ("Fix" finds "fix tests"); other
  // characters, `%`, `_` and `\` included, match only themselves (no
  // wildcards). Empty matches every run. Invalid UTF-8, or more than
  // kMaxRunTextFilterBytes bytes, is ErrorCode::InvalidArgument. It is not
  // indexed: a listing with text reads the runs the other fields leave, in
  // listing order, until its page is full.
  std::optional<std::string> text;
};

// The longest RunFilter::text accepted.
inline constexpr std::size_t kMaxRunTextFilterBytes = 1024;

// The order runs() lists runs in. Both follow creation order (each run's
// first_position, the position of its run_created): unique and fixed for
// the life of the run, so paging by cursor neither skips nor repeats a run,
// however many runs are created meanwhile.
enum class RunOrder {
  OldestFirst,  // creation order
  NewestFirst,  // the reverse of creation order
};

// One page of runs, by keyset (a cursor run, never an offset), so every page
// costs the same however deep it is. To page forward, pass the last run id
// of one page as `after_run_id` of the next; to page back, the first run id
// of a page as `before_run_id`: that page holds the up-to-`limit` runs that
// come just before it, still in listing `order`. "After" and "before" follow
// the listing order: with NewestFirst, after_run_id leads to older runs. The
// cursor run need not match the filter. A cursor naming no run (a typo, or
// a run pruned between pages) is ErrorCode::NotFound; setting both cursors
// is ErrorCode::InvalidArgument. Fewer than `limit` runs back means that
// direction has no more (ask for limit + 1 to know without another call).
struct Page {
  std::size_t limit = 100;
  std::optional<std::string> after_run_id;
  std::optional<std::string> before_run_id;
  RunOrder order = RunOrder::OldestFirst;
};

// Journal::fork: the new run's id and session.
struct ForkOptions {
  std::optional<std::string> run_id;      // default: Options::id_generator
  std::optional<std::string> session_id;  // default: the source's session
};

}  // namespace runjournal
