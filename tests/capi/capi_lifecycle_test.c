/* capi_lifecycle_test.c — recovery, resume and interrupt, the current run,
 * cancel_if_live, finish, reserve, checkpoints and the heartbeat. */
#define _POSIX_C_SOURCE 200809L
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capi_check.h"

/* A pid whose process has exited (a child reaped at once). */
static int64_t dead_pid(void) {
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) _exit(0);
  int status = 0;
  CHECK(waitpid(child, &status, 0) == child);
  return (int64_t)child;
}

/* This machine's boot id, as /proc tells it. */
static void boot_id(char* out, size_t size) {
  FILE* f = fopen("/proc/sys/kernel/random/boot_id", "r");
  CHECK(f != NULL);
  CHECK(fgets(out, (int)size, f) != NULL);
  fclose(f);
  out[strcspn(out, "\n")] = '\0';
}

/* A process's start time: field 22 of /proc/PID/stat, after the command
 * name in parentheses (which may itself hold spaces). */
static int64_t start_time_of(int64_t pid) {
  char path[64], line[1024];
  snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pid);
  FILE* f = fopen(path, "r");
  CHECK(f != NULL);
  CHECK(fgets(line, sizeof line, f) != NULL);
  fclose(f);
  const char* p = strrchr(line, ')');
  CHECK(p != NULL);
  long long value = 0;
  /* Fields 3…21 come before the start time. */
  for (int field = 3; field <= 22; ++field) {
    p = strchr(p, ' ');
    CHECK(p != NULL);
    ++p;
    if (field == 22) CHECK(sscanf(p, "%lld", &value) == 1);
  }
  return (int64_t)value;
}

/* A journal whose runs are driven by process `pid` (started at
 * `start_time`) on this host, in this boot. */
static rj_journal* driven_by(const char* name, int64_t pid, int64_t start_time) {
  char host[256] = {0};
  CHECK(gethostname(host, sizeof host - 1) == 0);
  char boot[128];
  boot_id(boot, sizeof boot);
  rj_options* options = NULL;
  CHECK_OK(rj_options_new(&options));
  CHECK_OK(rj_options_set_driver(options, host, pid, start_time, boot));
  rj_journal* journal = capi_open(name, options);
  rj_options_free(options);
  return journal;
}

static void recover_lists_a_run_whose_driver_died_with_its_checkpoint(void) {
  rj_journal* crashed = driven_by("j.journal", dead_pid(), 1);
  rj_run_free(capi_create(crashed, "s1", "r1"));
  CHECK_OK(rj_save_checkpoint(crashed, "r1", "cp-1", "{\"step\": 3}", NULL));
  CHECK_OK(rj_append(crashed, "r1", "tool_called", NULL, NULL, NULL));
  rj_close(crashed);

  rj_journal* journal = capi_open("j.journal", NULL);
  rj_run_free(capi_create(journal, "s2", "alive"));  /* driven by this process: never listed */
  rj_recovered_list* found = NULL;
  CHECK_OK(rj_recover(journal, 0, &found));
  CHECK(rj_recovered_list_count(found) == 1);
  CHECK_STR(rj_run_id(rj_recovered_list_run(found, 0)), "r1");
  const rj_checkpoint* checkpoint = rj_recovered_list_checkpoint(found, 0);
  CHECK(checkpoint != NULL);
  CHECK_STR(rj_checkpoint_id(checkpoint), "cp-1");
  CHECK_STR(rj_checkpoint_state_json(checkpoint), "{\"step\":3}");
  CHECK(strstr(rj_checkpoint_payload_json(checkpoint), "\"checkpoint_id\":\"cp-1\"") != NULL);
  CHECK(rj_recovered_list_silent_ms(found, 0) >= 0);
  CHECK(strstr(rj_recovered_list_why(found, 0), "has exited") != NULL);
  CHECK(rj_recovered_list_run(found, 1) == NULL);
  CHECK(rj_recovered_list_checkpoint(found, 1) == NULL);
  CHECK(rj_recovered_list_why(found, 1) == NULL);
  rj_recovered_list_free(found);

  /* Given up: interrupted runs are listed only when asked. */
  rj_run* run = NULL;
  rj_append_options stale = {.struct_size = sizeof stale, .has_expected_seq = 1, .expected_seq = 1};
  CHECK_STATUS(RJ_CONFLICT, rj_interrupt_run(journal, "r1", "driver died", &stale, &run));
  CHECK(run == NULL);
  CHECK_OK(rj_interrupt_run(journal, "r1", "driver died", NULL, &run));
  CHECK(rj_run_get_status(run) == RJ_RUN_INTERRUPTED);
  CHECK_STR(rj_run_status_reason(run), "driver died");
  rj_run_free(run);
  CHECK_OK(rj_recover(journal, 0, &found));
  CHECK(rj_recovered_list_count(found) == 0);
  rj_recovered_list_free(found);
  CHECK_OK(rj_recover(journal, 1, &found));
  CHECK(rj_recovered_list_count(found) == 1);
  rj_recovered_list_free(found);

  /* Resumed from its checkpoint: this process drives it now. */
  CHECK_OK(rj_resume_run(journal, "r1", "{\"from\": \"cp-1\"}", NULL, &run));
  CHECK(rj_run_get_status(run) == RJ_RUN_EXECUTING);
  CHECK(rj_run_driver_pid(run) == (int64_t)getpid());
  rj_run_free(run);
  CHECK_OK(rj_recover(journal, 1, &found));
  CHECK(rj_recovered_list_count(found) == 0);
  rj_recovered_list_free(found);

  CHECK_STATUS(RJ_NOT_FOUND, rj_resume_run(journal, "nope", NULL, NULL, &run));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_resume_run(journal, "r1", "{", NULL, &run));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_resume_run(NULL, "r1", NULL, NULL, &run));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_interrupt_run(journal, "r1", NULL, NULL, &run));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_interrupt_run(NULL, "r1", "x", NULL, &run));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_recover(journal, 0, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_recover(NULL, 0, &found));
  CHECK(found == NULL);
  rj_close(journal);
}

static void resume_refuses_a_live_drivers_run_and_a_finished_one(void) {
  rj_journal* parent_driven = driven_by("j.journal", (int64_t)getppid(), start_time_of((int64_t)getppid()));
  rj_run_free(capi_create(parent_driven, "s1", "r1"));
  rj_close(parent_driven);
  rj_journal* journal = capi_open("j.journal", NULL);
  CHECK_STATUS(RJ_ALREADY_RUNNING, rj_resume_run(journal, "r1", NULL, NULL, NULL));
  CHECK_OK(rj_append(journal, "r1", "run_completed", NULL, NULL, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_resume_run(journal, "r1", NULL, NULL, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_interrupt_run(journal, "r1", "late", NULL, NULL));
  rj_close(journal);
}

static void cancel_if_live_cancels_only_the_sessions_current_run(void) {
  rj_journal* journal = capi_open("j.journal", NULL);
  rj_run_free(capi_create(journal, "s1", "r1"));
  rj_run* current = NULL;
  CHECK_OK(rj_current_run(journal, "s1", &current));
  CHECK_STR(rj_run_id(current), "r1");
  rj_run_free(current);
  rj_run_free(capi_create(journal, "s1", "r2"));
  CHECK_OK(rj_current_run(journal, "s1", &current));
  CHECK_STR(rj_run_id(current), "r2");
  rj_run_free(current);

  int cancelled = -1;
  CHECK_OK(rj_cancel_if_live(journal, "r1", NULL, &cancelled));
  CHECK(cancelled == 0);
  CHECK_OK(rj_cancel_if_live(journal, "r2", "cancelled by host", &cancelled));
  CHECK(cancelled == 1);
  rj_run* run = NULL;
  CHECK_OK(rj_get_run(journal, "r2", &run));
  CHECK(rj_run_get_status(run) == RJ_RUN_CANCELLED);
  CHECK_STR(rj_run_status_reason(run), "cancelled by host");
  rj_run_free(run);
  CHECK_OK(rj_cancel_if_live(journal, "r2", NULL, &cancelled));
  CHECK(cancelled == 0);
  CHECK_OK(rj_cancel_if_live(journal, "nope", NULL, NULL));
  CHECK_OK(rj_cancel_if_live(journal, "r1", NULL, &cancelled));
  CHECK(cancelled == 1);
  current = (rj_run*)&current;
  CHECK_OK(rj_current_run(journal, "s1", &current));
  CHECK(current == NULL);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_cancel_if_live(journal, NULL, NULL, &cancelled));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_cancel_if_live(NULL, "r1", NULL, &cancelled));
  CHECK(cancelled == 0);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_current_run(journal, NULL, &current));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_current_run(journal, "s1", NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_current_run(NULL, "s1", &current));
  rj_close(journal);
}

static void finish_maps_each_outcome_to_its_terminal_event(void) {
  rj_journal* journal = capi_open("j.journal", NULL);
  rj_run_free(capi_create(journal, "s1", "ok"));
  rj_run_free(capi_create(journal, "s2", "bad"));
  rj_run_free(capi_create(journal, "s3", "stop"));
  rj_run* run = NULL;
  CHECK_OK(rj_finish(journal, "ok", RJ_OUTCOME_OK, "done", "{\"answer\": 4}", NULL, &run));
  CHECK(rj_run_get_status(run) == RJ_RUN_COMPLETED);
  CHECK_STR(rj_run_result_text(run), "done");
  CHECK_STR(rj_run_outputs_json(run), "{\"answer\":4}");
  rj_run_free(run);
  CHECK_OK(rj_finish(journal, "bad", RJ_OUTCOME_ERROR, NULL, NULL, "network error", &run));
  CHECK(rj_run_get_status(run) == RJ_RUN_FAILED);
  CHECK_STR(rj_run_error(run), "network error");
  rj_run_free(run);
  CHECK_OK(rj_finish(journal, "stop", RJ_OUTCOME_CANCELLED, NULL, NULL, "user", &run));
  CHECK(rj_run_get_status(run) == RJ_RUN_CANCELLED);
  rj_run_free(run);
  /* On a finished run the event is recorded and the status stays. */
  CHECK_OK(rj_finish(journal, "stop", RJ_OUTCOME_OK, NULL, NULL, NULL, &run));
  CHECK(rj_run_get_status(run) == RJ_RUN_CANCELLED);
  CHECK(rj_run_event_count(run) == 3);
  rj_run_free(run);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_finish(journal, "ok", (rj_outcome)9, NULL, NULL, NULL, &run));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_finish(journal, "ok", RJ_OUTCOME_ERROR, NULL, NULL, NULL, &run));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_finish(journal, "ok", RJ_OUTCOME_OK, NULL, "[", NULL, &run));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_finish(journal, NULL, RJ_OUTCOME_OK, NULL, NULL, NULL, &run));
  CHECK_STATUS(RJ_NOT_FOUND, rj_finish(journal, "nope", RJ_OUTCOME_OK, NULL, NULL, NULL, &run));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_finish(NULL, "ok", RJ_OUTCOME_OK, NULL, NULL, NULL, &run));
  CHECK(run == NULL);
  rj_close(journal);
}

static void reserve_holds_a_session_and_replaces_a_stale_runner(void) {
  rj_journal* journal = capi_open("j.journal", NULL);
  rj_new_run first = {.struct_size = sizeof first, .session_id = "s1", .run_id = "r1"};
  rj_run* run = NULL;
  CHECK_OK(rj_reserve(journal, &first, &run));
  CHECK_STR(rj_run_id(run), "r1");
  rj_run_free(run);
  rj_new_run second = {.struct_size = sizeof second, .session_id = "s1", .run_id = "r2"};
  CHECK_STATUS(RJ_ALREADY_RUNNING, rj_reserve(journal, &second, &run));
  CHECK_MESSAGE("r1");
  CHECK_OK(rj_finish(journal, "r1", RJ_OUTCOME_OK, NULL, NULL, NULL, NULL));
  CHECK_OK(rj_reserve(journal, &second, NULL));
  rj_close(journal);

  rj_journal* crashed = driven_by("j.journal", dead_pid(), 1);
  rj_new_run stale = {.struct_size = sizeof stale, .session_id = "s2", .run_id = "r3"};
  CHECK_OK(rj_reserve(crashed, &stale, NULL));
  rj_close(crashed);
  journal = capi_open("j.journal", NULL);
  rj_new_run fresh = {.struct_size = sizeof fresh, .session_id = "s2", .run_id = "r4"};
  CHECK_OK(rj_reserve(journal, &fresh, &run));
  rj_run_free(run);
  CHECK_OK(rj_get_run(journal, "r3", &run));
  CHECK(rj_run_get_status(run) == RJ_RUN_FAILED);
  rj_run_free(run);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_reserve(journal, NULL, &run));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_reserve(NULL, &fresh, &run));
  rj_close(journal);
}

static void a_checkpoint_is_live_until_deleted(void) {
  rj_journal* journal = capi_open("j.journal", NULL);
  rj_run_free(capi_create(journal, "s1", "r1"));
  rj_event* saved = NULL;
  CHECK_OK(rj_save_checkpoint(journal, "r1", "cp-1", "{\"step\": 1}", &saved));
  CHECK_STR(rj_event_kind(saved), "checkpoint_saved");
  rj_event_free(saved);
  rj_checkpoint* checkpoint = NULL;
  CHECK_OK(rj_latest_checkpoint(journal, "r1", &checkpoint));
  CHECK_STR(rj_checkpoint_id(checkpoint), "cp-1");
  CHECK_STR(rj_checkpoint_state_json(checkpoint), "{\"step\":1}");
  rj_checkpoint_free(checkpoint);
  rj_run* run = NULL;
  CHECK_OK(rj_get_run(journal, "r1", &run));
  CHECK_STR(rj_run_checkpoint_id(run), "cp-1");
  CHECK(strstr(rj_run_checkpoint_json(run), "\"state\":{\"step\":1}") != NULL);
  rj_run_free(run);

  CHECK_OK(rj_save_checkpoint(journal, "r1", "cp-2", NULL, NULL));
  CHECK_OK(rj_latest_checkpoint(journal, "r1", &checkpoint));
  CHECK_STR(rj_checkpoint_state_json(checkpoint), "null");
  rj_checkpoint_free(checkpoint);
  int deleted = -1;
  CHECK_OK(rj_delete_checkpoint(journal, "r1", "cp-1", &deleted));
  CHECK(deleted == 0);
  CHECK_OK(rj_delete_checkpoint(journal, "r1", "cp-2", &deleted));
  CHECK(deleted == 1);
  checkpoint = (rj_checkpoint*)&checkpoint;
  CHECK_OK(rj_latest_checkpoint(journal, "r1", &checkpoint));
  CHECK(checkpoint == NULL);
  CHECK_OK(rj_delete_checkpoint(journal, "r1", "cp-2", NULL));

  CHECK_STATUS(RJ_NOT_FOUND, rj_save_checkpoint(journal, "nope", "cp", NULL, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_save_checkpoint(journal, "r1", "cp", "{", NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_save_checkpoint(journal, "r1", NULL, NULL, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_save_checkpoint(NULL, "r1", "cp", NULL, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_latest_checkpoint(journal, NULL, &checkpoint));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_latest_checkpoint(journal, "r1", NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_latest_checkpoint(NULL, "r1", &checkpoint));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_delete_checkpoint(journal, "r1", NULL, &deleted));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_delete_checkpoint(NULL, "r1", "cp", &deleted));
  CHECK(deleted == 0);
  CHECK(capi_last_position(journal) == 4);
  rj_close(journal);
}

static void heartbeat_refreshes_the_lease(void) {
  rj_journal* journal = capi_open("j.journal", NULL);
  CHECK_OK(rj_heartbeat(journal));
  CHECK_OK(rj_heartbeat(journal));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_heartbeat(NULL));
  rj_close(journal);
}

int main(void) {
  RUN_TEST(recover_lists_a_run_whose_driver_died_with_its_checkpoint);
  RUN_TEST(resume_refuses_a_live_drivers_run_and_a_finished_one);
  RUN_TEST(cancel_if_live_cancels_only_the_sessions_current_run);
  RUN_TEST(finish_maps_each_outcome_to_its_terminal_event);
  RUN_TEST(reserve_holds_a_session_and_replaces_a_stale_runner);
  RUN_TEST(a_checkpoint_is_live_until_deleted);
  RUN_TEST(heartbeat_refreshes_the_lease);
  return 0;
}
