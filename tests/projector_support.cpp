#include "projector_support.hpp"

#include <doctest/doctest.h>

namespace runjournal::test::projector {

std::string name(RunStatus status) {
  switch (status) {
    case RunStatus::Created: return "created";
    case RunStatus::Planning: return "planning";
    case RunStatus::Executing: return "executing";
    case RunStatus::Verifying: return "verifying";
    case RunStatus::Interrupted: return "interrupted";
    case RunStatus::Completed: return "completed";
    case RunStatus::Failed: return "failed";
    case RunStatus::Cancelled: return "cancelled";
  }
  return "<bad RunStatus " + std::to_string(static_cast<int>(status)) + ">";
}

std::string name(KindClass kind_class) {
  switch (kind_class) {
    case KindClass::RunCreated: return "RunCreated";
    case KindClass::RunStarted: return "RunStarted";
    case KindClass::PlanningStarted: return "PlanningStarted";
    case KindClass::VerifyingStarted: return "VerifyingStarted";
    case KindClass::Activity: return "Activity";
    case KindClass::RunCompleted: return "RunCompleted";
    case KindClass::RunFailed: return "RunFailed";
    case KindClass::RunCancelled: return "RunCancelled";
    case KindClass::RunInterrupted: return "RunInterrupted";
    case KindClass::RunResumed: return "RunResumed";
    case KindClass::CheckpointSaved: return "CheckpointSaved";
    case KindClass::CheckpointDeleted: return "CheckpointDeleted";
    case KindClass::Other: return "Other";
  }
  return "<bad KindClass " + std::to_string(static_cast<int>(kind_class)) + ">";
}

std::string name(ErrorCode code) {
  switch (code) {
    case ErrorCode::NotFound: return "NotFound";
    case ErrorCode::Conflict: return "Conflict";
    case ErrorCode::AlreadyRunning: return "AlreadyRunning";
    case ErrorCode::AlreadyExists: return "AlreadyExists";
    case ErrorCode::InvalidArgument: return "InvalidArgument";
    case ErrorCode::Busy: return "Busy";
    case ErrorCode::Corrupt: return "Corrupt";
    case ErrorCode::SchemaTooNew: return "SchemaTooNew";
    case ErrorCode::NotAJournal: return "NotAJournal";
    case ErrorCode::Io: return "Io";
    case ErrorCode::TimedOut: return "TimedOut";
    case ErrorCode::ReadOnly: return "ReadOnly";
  }
  return "<bad ErrorCode " + std::to_string(static_cast<int>(code)) + ">";
}

OwnedEvent nth_event(std::int64_t seq, std::string kind, std::string payload) {
  return OwnedEvent{std::string(kRunId), seq, kFirstPosition + (seq - 1) * kPositionStride,
                    kFirstTs + (seq - 1) * kTsStride, std::move(kind), std::move(payload)};
}

std::string error_on_empty_state(const OwnedEvent& event) {
  std::optional<Run> run;
  try {
    runjournal::detail::project(run, event.view());
  } catch (const runjournal::Error& error) {
    return name(error.code());
  }
  return "accepted";
}

const OwnedEvent& RunFeed::apply(std::string kind, std::string payload) {
  return apply_event(nth_event(next_seq(), std::move(kind), std::move(payload)));
}

const OwnedEvent& RunFeed::apply_at(std::int64_t ts_ms, std::string kind, std::string payload) {
  OwnedEvent event = nth_event(next_seq(), std::move(kind), std::move(payload));
  event.ts_ms = ts_ms;
  return apply_event(std::move(event));
}

const Run& RunFeed::run() const {
  REQUIRE(run_.has_value());
  return *run_;
}

const OwnedEvent& RunFeed::apply_event(OwnedEvent event) {
  events_.push_back(std::move(event));
  last_change_ = runjournal::detail::project(run_, events_.back().view());
  return events_.back();
}

RunFeed created_feed() {
  RunFeed feed;
  feed.apply("run_created", std::string(kCreatedPayload));
  return feed;
}

// A run brought to `status` by the shortest honest path of events.
RunFeed feed_in(RunStatus status) {
  RunFeed feed = created_feed();
  switch (status) {
    case RunStatus::Created:
      break;
    case RunStatus::Planning:
      feed.apply("planning_started");
      break;
    case RunStatus::Executing:
      feed.apply("run_started");
      break;
    case RunStatus::Verifying:
      feed.apply("run_started");
      feed.apply("verifying_started");
      break;
    case RunStatus::Interrupted:
      feed.apply("run_started");
      feed.apply("run_interrupted", R"({"reason": "driver died"})");
      break;
    case RunStatus::Completed:
      feed.apply("run_started");
      feed.apply("run_completed", R"({"result_text": "all green"})");
      break;
    case RunStatus::Failed:
      feed.apply("run_started");
      feed.apply("run_failed", R"({"error": "tool crashed"})");
      break;
    case RunStatus::Cancelled:
      feed.apply("run_started");
      feed.apply("run_cancelled", R"({"reason": "user pressed stop"})");
      break;
  }
  REQUIRE(name(feed.run().status) == name(status));
  return feed;
}

std::optional<Run> replay(const std::deque<OwnedEvent>& events) {
  std::optional<Run> run;
  for (const OwnedEvent& event : events) runjournal::detail::project(run, event.view());
  return run;
}

// The run with the four per-event counters zeroed: what "only counted" leaves equal.
Run without_counters(Run run) {
  run.event_count = 0;
  run.last_seq = 0;
  run.last_position = 0;
  run.updated_at_ms = 0;
  return run;
}

// Every event moves the counters, whatever else it does.
void check_counted(const Run& before, const Run& after, const OwnedEvent& event) {
  CHECK(after.event_count == before.event_count + 1);
  CHECK(after.last_seq == event.seq);
  CHECK(after.last_position == event.position);
  CHECK(after.updated_at_ms == event.ts_ms);
}

}  // namespace runjournal::test::projector
