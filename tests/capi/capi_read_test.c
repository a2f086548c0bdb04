/* capi_read_test.c — reading runs and events, scans and follows, the value
 * accessors, rebuild and verify. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <time.h>

#include "capi_check.h"

/* Two sessions, three runs: r1 completed (4 events), r2 executing (2), r3
 * created (1). Positions 1…7. */
static rj_journal* three_runs(void) {
  rj_journal* journal = capi_open("j.journal", NULL);
  rj_run_free(capi_create(journal, "s1", "r1"));
  rj_run_free(capi_create(journal, "s2", "r2"));
  rj_run_free(capi_create(journal, "s1", "r3"));
  CHECK_OK(rj_append(journal, "r1", "run_started", NULL, NULL, NULL));
  CHECK_OK(rj_append(journal, "r2", "tool_called", "{\"tool_name\":\"search\"}", NULL, NULL));
  CHECK_OK(rj_append(journal, "r1", "tool_called", NULL, NULL, NULL));
  CHECK_OK(rj_append(journal, "r1", "run_completed", "{\"result_text\":\"done\",\"outputs\":{\"answer\":4}}", NULL,
                     NULL));
  return journal;
}

static void a_run_reads_back_with_every_column(void) {
  rj_journal* journal = three_runs();
  rj_run* run = NULL;
  CHECK_OK(rj_get_run(journal, "r1", &run));
  CHECK_STR(rj_run_id(run), "r1");
  CHECK(rj_run_get_status(run) == RJ_RUN_COMPLETED);
  CHECK_STR(rj_run_result_text(run), "done");
  CHECK_STR(rj_run_outputs_json(run), "{\"answer\":4}");
  CHECK(rj_run_error(run) == NULL);
  CHECK(rj_run_status_reason(run) == NULL);
  CHECK(rj_run_checkpoint_id(run) == NULL);
  CHECK(rj_run_checkpoint_json(run) == NULL);
  CHECK(rj_run_metadata_json(run) == NULL);
  CHECK(rj_run_event_count(run) == 4);
  CHECK(rj_run_last_seq(run) == 4);
  CHECK(rj_run_last_position(run) == 7);
  CHECK(rj_run_first_position(run) == 1);
  CHECK(rj_run_updated_at_ms(run) >= rj_run_created_at_ms(run));
  int64_t finished = -1;
  CHECK(rj_run_finished_at_ms(run, &finished) == 1);
  CHECK(finished >= rj_run_created_at_ms(run));
  CHECK(rj_run_finished_at_ms(run, NULL) == 1);
  CHECK(rj_run_has_driver(run) == 1);
  char* json = NULL;
  CHECK_OK(rj_run_to_json(run, &json));
  CHECK(strstr(json, "\"run_id\":\"r1\"") != NULL);
  CHECK(strstr(json, "\"status\":\"completed\"") != NULL);
  rj_string_free(json);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_run_to_json(run, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_run_to_json(NULL, &json));
  CHECK(json == NULL);
  rj_run_free(run);

  CHECK_OK(rj_get_run(journal, "r3", &run));
  CHECK(rj_run_finished_at_ms(run, &finished) == 0);
  rj_run_free(run);
  /* Absent is not an error. */
  run = (rj_run*)&run;
  CHECK_OK(rj_get_run(journal, "nope", &run));
  CHECK(run == NULL);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_get_run(journal, NULL, &run));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_get_run(journal, "r1", NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_get_run(NULL, "r1", &run));
  rj_close(journal);
}

static void accessors_of_null_values_return_null_or_zero(void) {
  CHECK(rj_run_id(NULL) == NULL);
  CHECK(rj_run_session_id(NULL) == NULL);
  CHECK((int)rj_run_get_status(NULL) == 0);
  CHECK(rj_run_prompt(NULL) == NULL);
  CHECK(rj_run_inputs_json(NULL) == NULL);
  CHECK(rj_run_outputs_json(NULL) == NULL);
  CHECK(rj_run_metadata_json(NULL) == NULL);
  CHECK(rj_run_result_text(NULL) == NULL);
  CHECK(rj_run_error(NULL) == NULL);
  CHECK(rj_run_status_reason(NULL) == NULL);
  CHECK(rj_run_checkpoint_id(NULL) == NULL);
  CHECK(rj_run_checkpoint_json(NULL) == NULL);
  CHECK(rj_run_created_at_ms(NULL) == 0);
  CHECK(rj_run_updated_at_ms(NULL) == 0);
  CHECK(rj_run_finished_at_ms(NULL, NULL) == 0);
  CHECK(rj_run_first_position(NULL) == 0);
  CHECK(rj_run_event_count(NULL) == 0);
  CHECK(rj_run_last_seq(NULL) == 0);
  CHECK(rj_run_last_position(NULL) == 0);
  CHECK(rj_run_has_driver(NULL) == 0);
  CHECK(rj_run_driver_host(NULL) == NULL);
  CHECK(rj_run_driver_pid(NULL) == 0);
  CHECK(rj_run_driver_start_time(NULL) == 0);
  CHECK(rj_run_driver_boot_id(NULL) == NULL);
  CHECK(rj_run_agent_spec_digest(NULL) == NULL);
  CHECK(rj_run_git_sha(NULL) == NULL);
  CHECK(rj_run_final_state_digest(NULL) == NULL);
  CHECK(rj_event_position(NULL) == 0);
  CHECK(rj_event_run_id(NULL) == NULL);
  CHECK(rj_event_seq(NULL) == 0);
  CHECK(rj_event_ts_ms(NULL) == 0);
  CHECK(rj_event_kind(NULL) == NULL);
  CHECK(rj_event_payload_json(NULL) == NULL);
  CHECK(rj_event_idempotency_key(NULL) == NULL);
  CHECK(rj_checkpoint_id(NULL) == NULL);
  CHECK(rj_checkpoint_state_json(NULL) == NULL);
  CHECK(rj_checkpoint_payload_json(NULL) == NULL);
  CHECK(rj_run_list_count(NULL) == 0);
  CHECK(rj_run_list_at(NULL, 0) == NULL);
  CHECK(rj_event_list_count(NULL) == 0);
  CHECK(rj_event_list_at(NULL, 0) == NULL);
  CHECK(rj_recovered_list_count(NULL) == 0);
  CHECK(rj_recovered_list_run(NULL, 0) == NULL);
  CHECK(rj_recovered_list_checkpoint(NULL, 0) == NULL);
  CHECK(rj_recovered_list_silent_ms(NULL, 0) == 0);
  CHECK(rj_recovered_list_why(NULL, 0) == NULL);
  CHECK(rj_verify_report_events_checked(NULL) == 0);
  CHECK(rj_verify_report_runs_checked(NULL) == 0);
  CHECK(rj_verify_report_problem_count(NULL) == 0);
  CHECK(rj_verify_report_problem(NULL, 0) == NULL);
  CHECK(rj_sql_result_column_count(NULL) == 0);
  CHECK(rj_sql_result_column_name(NULL, 0) == NULL);
  CHECK(rj_sql_result_row_count(NULL) == 0);
  rj_run_free(NULL);
  rj_event_free(NULL);
  rj_checkpoint_free(NULL);
  rj_run_list_free(NULL);
  rj_event_list_free(NULL);
  rj_recovered_list_free(NULL);
  rj_verify_report_free(NULL);
  rj_sql_result_free(NULL);
}

static void runs_filter_and_page_in_creation_order(void) {
  rj_journal* journal = three_runs();
  rj_run_list* list = NULL;
  CHECK_OK(rj_runs(journal, NULL, &list));
  CHECK(rj_run_list_count(list) == 3);
  CHECK_STR(rj_run_id(rj_run_list_at(list, 0)), "r1");
  CHECK_STR(rj_run_id(rj_run_list_at(list, 2)), "r3");
  CHECK(rj_run_list_at(list, 3) == NULL);
  rj_run_list_free(list);

  rj_run_query query = {.struct_size = sizeof query, .session_id = "s1"};
  CHECK_OK(rj_runs(journal, &query, &list));
  CHECK(rj_run_list_count(list) == 2);
  rj_run_list_free(list);
  query.status = RJ_RUN_COMPLETED;
  CHECK_OK(rj_runs(journal, &query, &list));
  CHECK(rj_run_list_count(list) == 1);
  CHECK_STR(rj_run_id(rj_run_list_at(list, 0)), "r1");
  rj_run_list_free(list);

  rj_run_query page = {.struct_size = sizeof page, .limit = 2};
  CHECK_OK(rj_runs(journal, &page, &list));
  CHECK(rj_run_list_count(list) == 2);
  rj_run_list_free(list);
  page.after_run_id = "r2";
  CHECK_OK(rj_runs(journal, &page, &list));
  CHECK(rj_run_list_count(list) == 1);
  CHECK_STR(rj_run_id(rj_run_list_at(list, 0)), "r3");
  rj_run_list_free(list);

  page.after_run_id = "nope";
  CHECK_STATUS(RJ_NOT_FOUND, rj_runs(journal, &page, &list));
  CHECK(list == NULL);
  rj_run_query bad = {.struct_size = sizeof bad, .status = (rj_run_status)42};
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_runs(journal, &bad, &list));
  bad.struct_size = 0;
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_runs(journal, &bad, &list));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_runs(journal, NULL, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_runs(NULL, NULL, &list));
  rj_close(journal);
}

static void events_read_by_run_by_position_and_as_of(void) {
  rj_journal* journal = three_runs();
  rj_event_list* list = NULL;
  CHECK_OK(rj_events(journal, "r1", 1, SIZE_MAX, &list));
  CHECK(rj_event_list_count(list) == 4);
  const rj_event* last = rj_event_list_at(list, 3);
  CHECK_STR(rj_event_kind(last), "run_completed");
  CHECK(rj_event_position(last) == 7);
  char* json = NULL;
  CHECK_OK(rj_event_to_json(last, &json));
  CHECK(strstr(json, "\"kind\":\"run_completed\"") != NULL);
  CHECK(strstr(json, "\"payload\":{") != NULL);
  rj_string_free(json);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_event_to_json(NULL, &json));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_event_to_json(last, NULL));
  rj_event_list_free(list);

  CHECK_OK(rj_events(journal, "r1", 2, 2, &list));
  CHECK(rj_event_list_count(list) == 2);
  CHECK(rj_event_seq(rj_event_list_at(list, 0)) == 2);
  rj_event_list_free(list);
  CHECK_OK(rj_events(journal, "nope", 1, SIZE_MAX, &list));
  CHECK(rj_event_list_count(list) == 0);
  rj_event_list_free(list);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_events(journal, NULL, 1, 1, &list));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_events(journal, "r1", 1, 1, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_events(NULL, "r1", 1, 1, &list));

  CHECK_OK(rj_events_after(journal, 5, 10, &list));
  CHECK(rj_event_list_count(list) == 2);
  CHECK(rj_event_position(rj_event_list_at(list, 0)) == 6);
  rj_event_list_free(list);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_events_after(journal, 0, 1, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_events_after(NULL, 0, 1, &list));

  rj_run_list* runs = NULL;
  CHECK_OK(rj_runs_as_of(journal, 4, &runs));
  CHECK(rj_run_list_count(runs) == 3);
  CHECK(rj_run_get_status(rj_run_list_at(runs, 0)) == RJ_RUN_EXECUTING);
  CHECK(rj_run_event_count(rj_run_list_at(runs, 0)) == 2);
  rj_run_list_free(runs);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_runs_as_of(journal, 4, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_runs_as_of(NULL, 4, &runs));

  CHECK(capi_last_position(journal) == 7);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_last_position(journal, NULL));
  int64_t position = 9;
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_last_position(NULL, &position));
  CHECK(position == 0);
  rj_close(journal);
}

typedef struct seen {
  int count;
  int stop_after;
  int64_t last_position;
  int polls;
  int stop_after_polls;
} seen;

static int count_events(void* user, const rj_event* event) {
  seen* s = user;
  ++s->count;
  CHECK(rj_event_position(event) > s->last_position);
  s->last_position = rj_event_position(event);
  return s->stop_after != 0 && s->count >= s->stop_after;
}

static int count_polls(void* user) {
  seen* s = user;
  return ++s->polls >= s->stop_after_polls;
}

static void a_scan_visits_every_event_in_position_order_until_told_to_stop(void) {
  rj_journal* journal = three_runs();
  seen all = {0};
  CHECK_OK(rj_scan(journal, 0, 2, count_events, &all));
  CHECK(all.count == 7);
  CHECK(all.last_position == 7);
  seen after = {0};
  CHECK_OK(rj_scan(journal, 5, 0, count_events, &after));
  CHECK(after.count == 2);
  seen stopped = {.stop_after = 3};
  CHECK_OK(rj_scan(journal, 0, 1, count_events, &stopped));
  CHECK(stopped.count == 3);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_scan(journal, 0, 1, NULL, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_scan(NULL, 0, 1, count_events, &all));
  rj_close(journal);
}

static void* append_later(void* arg) {
  rj_journal* journal = arg;
  struct timespec pause = {0, 50 * 1000 * 1000};
  nanosleep(&pause, NULL);
  rj_status status = rj_append(journal, "r2", "tool_called", "{\"late\":true}", NULL, NULL);
  return status == RJ_OK ? arg : NULL;
}

static void follow_sees_events_that_land_while_it_waits(void) {
  rj_journal* journal = three_runs();
  pthread_t writer;
  CHECK(pthread_create(&writer, NULL, append_later, journal) == 0);
  seen followed = {.stop_after = 8, .stop_after_polls = 6000}; /* 30 s at most, for a loaded machine */
  CHECK_OK(rj_follow(journal, 0, count_events, count_polls, &followed, 5));
  void* ok = NULL;
  CHECK(pthread_join(writer, &ok) == 0);
  CHECK(ok != NULL);
  CHECK(followed.count == 8);
  CHECK(followed.last_position == 8);
  /* The poll callback ends a follow that sees nothing new. */
  seen idle = {.stop_after_polls = 3};
  CHECK_OK(rj_follow(journal, 8, count_events, count_polls, &idle, 1));
  CHECK(idle.count == 0);
  CHECK(idle.polls == 3);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_follow(journal, 0, count_events, NULL, &idle, -1));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_follow(journal, 0, NULL, NULL, NULL, 0));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_follow(NULL, 0, count_events, NULL, &idle, 0));
  rj_close(journal);
}

static void note_progress(void* user, int64_t done, int64_t total) {
  int* calls = user;
  CHECK(done <= total);
  ++*calls;
}

static void rebuild_and_verify_report_what_they_did(void) {
  rj_journal* journal = three_runs();
  int calls = 0;
  rj_rebuild_report report = {.struct_size = sizeof report};
  CHECK_OK(rj_rebuild(journal, note_progress, &calls, &report));
  CHECK(report.events == 7);
  CHECK(report.runs == 3);
  CHECK(calls > 0);
  CHECK_OK(rj_rebuild(journal, NULL, NULL, NULL));
  /* A report struct from an older caller, too short for `runs`. */
  struct { size_t struct_size; int64_t events; int64_t runs; } short_report = {sizeof(size_t) + sizeof(int64_t), 0, -5};
  CHECK_OK(rj_rebuild(journal, NULL, NULL, (rj_rebuild_report*)&short_report));
  CHECK(short_report.events == 7);
  CHECK(short_report.runs == -5);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_rebuild(NULL, NULL, NULL, &report));

  rj_verify_report* verify = NULL;
  calls = 0;
  CHECK_OK(rj_verify(journal, note_progress, &calls, &verify));
  CHECK(rj_verify_report_problem_count(verify) == 0);
  CHECK(rj_verify_report_problem(verify, 0) == NULL);
  CHECK(rj_verify_report_events_checked(verify) == 7);
  CHECK(rj_verify_report_runs_checked(verify) == 3);
  rj_verify_report_free(verify);
  rj_close(journal);

  capi_sqlite_exec(capi_path("j.journal"), "UPDATE runs SET event_count = 99 WHERE run_id = 'r2'");
  journal = capi_open("j.journal", NULL);
  CHECK_OK(rj_verify(journal, NULL, NULL, &verify));
  CHECK(rj_verify_report_problem_count(verify) >= 1);
  CHECK(strstr(rj_verify_report_problem(verify, 0), "r2") != NULL);
  rj_verify_report_free(verify);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_verify(journal, NULL, NULL, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_verify(NULL, NULL, NULL, &verify));
  CHECK(verify == NULL);
  rj_close(journal);
}

int main(void) {
  RUN_TEST(a_run_reads_back_with_every_column);
  RUN_TEST(accessors_of_null_values_return_null_or_zero);
  RUN_TEST(runs_filter_and_page_in_creation_order);
  RUN_TEST(events_read_by_run_by_position_and_as_of);
  RUN_TEST(a_scan_visits_every_event_in_position_order_until_told_to_stop);
  RUN_TEST(follow_sees_events_that_land_while_it_waits);
  RUN_TEST(rebuild_and_verify_report_what_they_did);
  return 0;
}
