// reads.cpp — runs, events, scan and follow; rebuild and verify.
#include <fmt/format.h>

#include "capi.hpp"

using namespace runjournal;
using namespace runjournal::capi;

namespace {

// A visitor's view of an event: the C value is made per event (its payload
// as text), and lives only for the call.
bool visit_event(rj_event_fn visit, void* user, const Event& event) {
  const rj_event value(event);
  return visit(user, &value) == 0;
}

}  // namespace

extern "C" {

rj_status rj_get_run(rj_journal* journal, const char* run_id, rj_run** out) {
  clear(out);
  return guard([&] {
    require(out, "out");
    std::optional<Run> run = require(journal, "journal")->journal.run(require_text(run_id, "run_id"));
    if (run) *out = new rj_run(std::move(*run));
  });
}

rj_status rj_runs(rj_journal* journal, const rj_run_query* query, rj_run_list** out) {
  clear(out);
  return guard([&] {
    require(journal, "journal");
    require(out, "out");
    RunFilter filter;
    Page page;
    if (query != nullptr) {
      const rj_run_query given = read_struct(query, "query");
      if (raw_value(given.status) != 0) filter.status = cpp_status(raw_value(given.status));
      if (given.session_id) filter.session_id = given.session_id;
      if (given.limit != 0) page.limit = given.limit;
      if (given.after_run_id) page.after_run_id = given.after_run_id;
    }
    *out = run_list(journal->journal.runs(filter, page));
  });
}

rj_status rj_events(rj_journal* journal, const char* run_id, int64_t from_seq, size_t limit, rj_event_list** out) {
  clear(out);
  return guard([&] {
    require(journal, "journal");
    require(out, "out");
    *out = event_list(journal->journal.events(require_text(run_id, "run_id"), from_seq, limit));
  });
}

rj_status rj_events_after(rj_journal* journal, int64_t after_position, size_t limit, rj_event_list** out) {
  clear(out);
  return guard([&] {
    require(journal, "journal");
    require(out, "out");
    *out = event_list(journal->journal.events_after(after_position, limit));
  });
}

rj_status rj_runs_as_of(rj_journal* journal, int64_t position, rj_run_list** out) {
  clear(out);
  return guard([&] {
    require(journal, "journal");
    require(out, "out");
    *out = run_list(journal->journal.runs_as_of(position));
  });
}

rj_status rj_last_position(rj_journal* journal, int64_t* out) {
  if (out != nullptr) *out = 0;
  return guard([&] {
    require(out, "out");
    *out = require(journal, "journal")->journal.last_position();
  });
}

rj_status rj_scan(rj_journal* journal, int64_t after_position, size_t page_size, rj_event_fn visit, void* user) {
  return guard([&] {
    require(journal, "journal");
    require(visit, "visit");
    journal->journal.scan(
        after_position, [&](const Event& event) { return visit_event(visit, user, event); },
        page_size == 0 ? 1000 : page_size);
  });
}

rj_status rj_follow(rj_journal* journal, int64_t after_position, rj_event_fn visit, rj_poll_fn poll, void* user,
                    int64_t poll_ms) {
  return guard([&] {
    require(journal, "journal");
    require(visit, "visit");
    if (poll_ms < 0) throw Error(ErrorCode::InvalidArgument, "poll_ms is negative");
    std::function<bool()> keep_going;
    if (poll != nullptr) keep_going = [&] { return poll(user) == 0; };
    journal->journal.follow(
        after_position, [&](const Event& event) { return visit_event(visit, user, event); }, keep_going,
        std::chrono::milliseconds(poll_ms == 0 ? 20 : poll_ms));
  });
}

rj_status rj_rebuild(rj_journal* journal, rj_progress_fn progress, void* user, rj_rebuild_report* out) {
  return guard([&] {
    const RebuildReport report = require(journal, "journal")->journal.rebuild(progress_of(progress, user));
    write_struct(out, rj_rebuild_report{sizeof(rj_rebuild_report), report.events, report.runs});
  });
}

rj_status rj_verify(rj_journal* journal, rj_progress_fn progress, void* user, rj_verify_report** out) {
  clear(out);
  return guard([&] {
    require(out, "out");
    VerifyReport report = require(journal, "journal")->journal.verify(progress_of(progress, user));
    *out = new rj_verify_report{std::move(report)};
  });
}

int64_t rj_verify_report_events_checked(const rj_verify_report* report) {
  return report ? report->report.events_checked : 0;
}
int64_t rj_verify_report_runs_checked(const rj_verify_report* report) {
  return report ? report->report.runs_checked : 0;
}
size_t rj_verify_report_problem_count(const rj_verify_report* report) {
  return report ? report->report.problems.size() : 0;
}
const char* rj_verify_report_problem(const rj_verify_report* report, size_t index) {
  return report && index < report->report.problems.size() ? report->report.problems[index].c_str() : nullptr;
}
void rj_verify_report_free(rj_verify_report* report) { delete report; }

}  // extern "C"
