/* capi_lifecycle_test.c — recovery, claims by several hosts, resume and
 * interrupt, the current run, cancel_if_live, finish, reserve, checkpoints
 * and the heartbeat. */
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

/* A host of its own: this process, under another host name and boot id, so
 * other hosts judge its runs by its heartbeat lease. */
static rj_journal* as_host(const char* name, const char* host) {
  char boot[128];
  snprintf(boot, sizeof boot, "boot-of-%s", host);
  rj_options* options = NULL;
  CHECK_OK(rj_options_new(&options));
  CHECK_OK(rj_options_set_driver(options, host, (int64_t)getpid(), start_time_of((int64_t)getpid()), boot));
  rj_journal* journal = capi_open(name, options);
  rj_options_free(options);
  return journal;
}

/* A run cut off while executing: its driver's host crashed, and no lease
 * speaks for it. */
static void create_cut_off(rj_journal* journal, const char* run_id) {
  char payload[256];
  snprintf(payload, sizeof payload,
           "{\"session_id\": \"s-%s\", \"driver\": {\"host\": \"host-gone\", \"pid\": 1, \"start_time\": 1, "
           "\"boot_id\": \"boot-of-host-gone\"}}",
           run_id);
  CHECK_OK(rj_append(journal, run_id, "run_created", payload, NULL, NULL));
  CHECK_OK(rj_append(journal, run_id, "run_started", NULL, NULL, NULL));
}

/* How many run_resumed events the run has. */
static int64_t resumes_of(rj_journal* journal, const char* run_id) {
  rj_event_list* events = NULL;
  CHECK_OK(rj_events(journal, run_id, 1, SIZE_MAX, &events));
  int64_t resumes = 0;
  for (size_t i = 0; i < rj_event_list_count(events); ++i) {
    if (strcmp(rj_event_kind(rj_event_list_at(events, i)), "run_resumed") == 0) ++resumes;
  }
  rj_event_list_free(events);
  return resumes;
}

static void claim_recovered_claims_each_cut_off_run_for_exactly_one_host(void) {
  /* Opened first and kept: the process's writer refreshes the lease of this
   * process's own host, not of the hosts posed as below (docs/recovery.md). */
  rj_journal* setup = capi_open("j.journal", NULL);
  /* Driven by this process, on a host whose lease is fresh: never claimed. */
  rj_run_free(capi_create(setup, "s-live", "alive"));
  create_cut_off(setup, "r0");
  create_cut_off(setup, "r1");
  create_cut_off(setup, "r2");
  CHECK_OK(rj_save_checkpoint(setup, "r0", "cp-0", "{\"step\": 7}", NULL));
  rj_journal* host_a = as_host("j.journal", "host-a");
  rj_journal* host_b = as_host("j.journal", "host-b");

  /* A limit of 0 claims nothing and writes no event. */
  const int64_t before = capi_last_position(setup);
  rj_recovered_list* claimed = NULL;
  CHECK_OK(rj_claim_recovered(host_a, 0, 0, NULL, &claimed));
  CHECK(rj_recovered_list_count(claimed) == 0);
  rj_recovered_list_free(claimed);
  CHECK(capi_last_position(setup) == before);

  /* host-a takes two, oldest first, each now executing and driven by it. */
  CHECK_OK(rj_claim_recovered(host_a, 0, 2, NULL, &claimed));
  CHECK(rj_recovered_list_count(claimed) == 2);
  CHECK_STR(rj_run_id(rj_recovered_list_run(claimed, 0)), "r0");
  CHECK_STR(rj_run_id(rj_recovered_list_run(claimed, 1)), "r1");
  for (size_t i = 0; i < 2; ++i) {
    const rj_run* run = rj_recovered_list_run(claimed, i);
    CHECK(rj_run_get_status(run) == RJ_RUN_EXECUTING);
    CHECK_STR(rj_run_driver_host(run), "host-a");
    CHECK(strstr(rj_recovered_list_why(claimed, i), "host-gone") != NULL);
  }
  const rj_checkpoint* checkpoint = rj_recovered_list_checkpoint(claimed, 0);
  CHECK(checkpoint != NULL);
  CHECK_STR(rj_checkpoint_id(checkpoint), "cp-0");
  CHECK_STR(rj_checkpoint_state_json(checkpoint), "{\"step\":7}");
  CHECK(rj_recovered_list_checkpoint(claimed, 1) == NULL);
  rj_recovered_list_free(claimed);

  /* host-b, unbounded, gets only the one host-a left: host-a's lease speaks
   * for the runs it claimed. */
  CHECK_OK(rj_claim_recovered(host_b, 0, SIZE_MAX, "{\"attempt\": 2}", &claimed));
  CHECK(rj_recovered_list_count(claimed) == 1);
  CHECK_STR(rj_run_id(rj_recovered_list_run(claimed, 0)), "r2");
  CHECK_STR(rj_run_driver_host(rj_recovered_list_run(claimed, 0)), "host-b");
  rj_recovered_list_free(claimed);
  /* The payload was recorded, with host-b's driver added. */
  rj_event_list* events = NULL;
  CHECK_OK(rj_events(setup, "r2", 1, SIZE_MAX, &events));
  const rj_event* resumed = rj_event_list_at(events, rj_event_list_count(events) - 1);
  CHECK_STR(rj_event_kind(resumed), "run_resumed");
  CHECK(strstr(rj_event_payload_json(resumed), "\"attempt\":2") != NULL);
  CHECK(strstr(rj_event_payload_json(resumed), "\"host\":\"host-b\"") != NULL);
  rj_event_list_free(events);

  /* Nothing is left for anyone, and no run was resumed twice. */
  CHECK_OK(rj_claim_recovered(host_a, 1, SIZE_MAX, NULL, &claimed));
  CHECK(rj_recovered_list_count(claimed) == 0);
  rj_recovered_list_free(claimed);
  CHECK_OK(rj_claim_recovered(host_b, 1, SIZE_MAX, NULL, &claimed));
  CHECK(rj_recovered_list_count(claimed) == 0);
  rj_recovered_list_free(claimed);
  CHECK(resumes_of(setup, "r0") == 1);
  CHECK(resumes_of(setup, "r1") == 1);
  CHECK(resumes_of(setup, "r2") == 1);
  CHECK(resumes_of(setup, "alive") == 0);
  rj_close(host_b);
  rj_close(host_a);
  rj_close(setup);
}

/* Every row of `runs`, as rj_run_to_json writes it, one after the other;
 * the caller frees it. */
static char* runs_table(rj_journal* journal) {
  rj_run_list* runs = NULL;
  CHECK_OK(rj_runs(journal, NULL, &runs));
  size_t length = 0;
  char* table = calloc(1, 1);
  CHECK(table != NULL);
  for (size_t i = 0; i < rj_run_list_count(runs); ++i) {
    char* row = NULL;
    CHECK_OK(rj_run_to_json(rj_run_list_at(runs, i), &row));
    table = realloc(table, length + strlen(row) + 2);
    CHECK(table != NULL);
    strcpy(table + length, row);
    strcat(table, "\n");
    length += strlen(row) + 1;
    rj_string_free(row);
  }
  rj_run_list_free(runs);
  return table;
}

static void claim_recovered_refuses_a_bad_payload_and_a_read_only_journal_writing_nothing(void) {
  rj_journal* setup = capi_open("j.journal", NULL);
  create_cut_off(setup, "r");
  const int64_t position = capi_last_position(setup);
  char* table = runs_table(setup);
  rj_journal* claimant = as_host("j.journal", "host-a");
  rj_recovered_list* claimed = (rj_recovered_list*)&claimed;
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_claim_recovered(claimant, 0, SIZE_MAX, "[1, 2]", &claimed));
  CHECK(claimed == NULL);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_claim_recovered(claimant, 0, SIZE_MAX, "\"resume\"", &claimed));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_claim_recovered(claimant, 0, SIZE_MAX, "{", &claimed));
  /* A driver of its own would leave the run to be claimed again. */
  CHECK_STATUS(RJ_INVALID_ARGUMENT,
               rj_claim_recovered(claimant, 0, SIZE_MAX,
                                  "{\"driver\": {\"host\": \"elsewhere\", \"pid\": 1, \"start_time\": 1, "
                                  "\"boot_id\": \"b\"}}",
                                  &claimed));
  CHECK_MESSAGE("driver");
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_claim_recovered(claimant, 0, SIZE_MAX, NULL, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_claim_recovered(NULL, 0, SIZE_MAX, NULL, &claimed));
  CHECK(claimed == NULL);
  rj_close(claimant);

  rj_options* read_only = NULL;
  CHECK_OK(rj_options_new(&read_only));
  CHECK_OK(rj_options_set_read_only(read_only, 1));
  rj_journal* reader = capi_open("j.journal", read_only);
  rj_options_free(read_only);
  CHECK_STATUS(RJ_READ_ONLY, rj_claim_recovered(reader, 1, SIZE_MAX, NULL, &claimed));
  CHECK(claimed == NULL);
  rj_close(reader);

  CHECK(capi_last_position(setup) == position);
  char* after = runs_table(setup);
  CHECK_STR(after, table);
  free(after);
  free(table);
  /* The run is still there to claim. */
  claimant = as_host("j.journal", "host-a");
  CHECK_OK(rj_claim_recovered(claimant, 0, SIZE_MAX, NULL, &claimed));
  CHECK(rj_recovered_list_count(claimed) == 1);
  rj_recovered_list_free(claimed);
  rj_close(claimant);
  rj_close(setup);
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
  RUN_TEST(claim_recovered_claims_each_cut_off_run_for_exactly_one_host);
  RUN_TEST(claim_recovered_refuses_a_bad_payload_and_a_read_only_journal_writing_nothing);
  RUN_TEST(cancel_if_live_cancels_only_the_sessions_current_run);
  RUN_TEST(finish_maps_each_outcome_to_its_terminal_event);
  RUN_TEST(reserve_holds_a_session_and_replaces_a_stale_runner);
  RUN_TEST(a_checkpoint_is_live_until_deleted);
  RUN_TEST(heartbeat_refreshes_the_lease);
  return 0;
}
