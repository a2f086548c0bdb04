/* capi_basics_test.c — versions, statuses, the per-thread error record,
 * options and open/close, each error path included. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sqlite3.h>

#include "capi_check.h"

static void versions_name_the_library_its_abi_and_sqlite(void) {
  const char* version = rj_version();
  int major = -1, minor = -1, patch = -1;
  CHECK(sscanf(version, "%d.%d.%d", &major, &minor, &patch) == 3);
  CHECK(major >= 0 && minor >= 0 && patch >= 0);
  CHECK(rj_abi_version() == RJ_ABI_VERSION);
  CHECK_STR(rj_sqlite_version(), sqlite3_libversion());
  CHECK(rj_sqlite_json_max_depth() >= 1000);
}

static void every_status_has_its_stable_name(void) {
  CHECK_STR(rj_status_name(RJ_OK), "ok");
  CHECK_STR(rj_status_name(RJ_NOT_FOUND), "not_found");
  CHECK_STR(rj_status_name(RJ_CONFLICT), "conflict");
  CHECK_STR(rj_status_name(RJ_ALREADY_RUNNING), "already_running");
  CHECK_STR(rj_status_name(RJ_ALREADY_EXISTS), "already_exists");
  CHECK_STR(rj_status_name(RJ_INVALID_ARGUMENT), "invalid_argument");
  CHECK_STR(rj_status_name(RJ_BUSY), "busy");
  CHECK_STR(rj_status_name(RJ_CORRUPT), "corrupt");
  CHECK_STR(rj_status_name(RJ_SCHEMA_TOO_NEW), "schema_too_new");
  CHECK_STR(rj_status_name(RJ_NOT_A_JOURNAL), "not_a_journal");
  CHECK_STR(rj_status_name(RJ_IO), "io");
  CHECK_STR(rj_status_name(RJ_TIMED_OUT), "timed_out");
  CHECK_STR(rj_status_name(RJ_READ_ONLY), "read_only");
  CHECK_STR(rj_status_name(RJ_ABORTED), "aborted");
  CHECK_STR(rj_status_name(RJ_NO_MEMORY), "no_memory");
  CHECK_STR(rj_status_name(RJ_ERROR), "error");
  CHECK_STR(rj_status_name((rj_status)77), "unknown");
}

static void run_statuses_round_trip_and_unknown_names_are_refused(void) {
  for (int s = RJ_RUN_CREATED; s <= RJ_RUN_CANCELLED; ++s) {
    const char* name = rj_run_status_name((rj_run_status)s);
    CHECK(name != NULL);
    rj_run_status parsed = (rj_run_status)0;
    CHECK_OK(rj_run_status_parse(name, &parsed));
    CHECK((int)parsed == s);
    CHECK(rj_run_status_is_terminal((rj_run_status)s) == (s >= RJ_RUN_COMPLETED));
  }
  CHECK_STR(rj_run_status_name(RJ_RUN_INTERRUPTED), "interrupted");
  CHECK(rj_run_status_name((rj_run_status)0) == NULL);
  CHECK(rj_run_status_name((rj_run_status)9) == NULL);
  rj_run_status parsed = RJ_RUN_FAILED;
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_run_status_parse("Completed", &parsed));
  CHECK((int)parsed == 0);
  CHECK_MESSAGE("Completed");
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_run_status_parse(NULL, &parsed));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_run_status_parse("created", NULL));
}

static void* fail_on_another_thread(void* arg) {
  rj_options* options = NULL;
  rj_status status = rj_options_set_lease_ttl_ms(options, 1);
  int* ok = arg;
  *ok = status == RJ_INVALID_ARGUMENT && rj_last_error_status() == RJ_INVALID_ARGUMENT &&
        strstr(rj_last_error_message(), "options") != NULL;
  return NULL;
}

static void the_error_record_is_per_thread_and_survives_success(void) {
  CHECK(rj_last_error_status() == RJ_OK);
  CHECK_STR(rj_last_error_message(), "");
  CHECK(rj_last_error_batch_index() == -1);
  rj_run_status parsed;
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_run_status_parse("bogus", &parsed));
  CHECK_MESSAGE("bogus");
  /* A call that succeeds leaves the record as it was. */
  CHECK_OK(rj_run_status_parse("created", &parsed));
  CHECK(rj_last_error_status() == RJ_INVALID_ARGUMENT);
  CHECK_MESSAGE("bogus");
  /* Another thread's failure is its own. */
  pthread_t thread;
  int other_ok = 0;
  CHECK(pthread_create(&thread, NULL, fail_on_another_thread, &other_ok) == 0);
  CHECK(pthread_join(thread, NULL) == 0);
  CHECK(other_ok);
  CHECK(rj_last_error_status() == RJ_INVALID_ARGUMENT);
  CHECK_MESSAGE("bogus");
  rj_clear_error();
  CHECK(rj_last_error_status() == RJ_OK);
  CHECK_STR(rj_last_error_message(), "");
  CHECK(rj_last_error_batch_index() == -1);
  rj_string_free(NULL);
}

static int64_t fixed_clock(void* user) { return *(int64_t*)user; }
static int fixed_id(void* user, char* buffer, size_t capacity) {
  snprintf(buffer, capacity, "%s", (const char*)user);
  return 0;
}

static void every_option_setter_takes_its_value_and_refuses_bad_ones(void) {
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_options_new(NULL));
  rj_options* options = NULL;
  CHECK_OK(rj_options_new(&options));
  int64_t now = 1700000000000;
  CHECK_OK(rj_options_set_create_if_missing(options, 1));
  CHECK_OK(rj_options_set_durability(options, RJ_DURABILITY_NORMAL));
  CHECK_OK(rj_options_set_max_payload_bytes(options, 4096));
  CHECK_OK(rj_options_set_max_kind_bytes(options, 32));
  CHECK_OK(rj_options_set_max_json_depth(options, 0));
  CHECK_OK(rj_options_set_max_json_depth(options, 64));
  CHECK_OK(rj_options_set_read_only(options, 0));
  CHECK_OK(rj_options_set_busy_timeout_ms(options, 0));
  CHECK_OK(rj_options_set_clock(options, fixed_clock, &now));
  CHECK_OK(rj_options_set_id_generator(options, fixed_id, "run-fixed"));
  CHECK_OK(rj_options_set_vfs(options, NULL));
  CHECK_OK(rj_options_set_driver(options, "host-a", 4242, 17, "boot-a"));
  CHECK_OK(rj_options_set_lease_ttl_ms(options, 5000));

  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_options_set_durability(options, (rj_durability)7));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_options_set_busy_timeout_ms(options, -1));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_options_set_lease_ttl_ms(options, 0));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_options_set_driver(options, NULL, 1, 1, "b"));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_options_set_driver(options, "h", 1, 1, NULL));
  /* Every setter refuses a NULL options. */
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_options_set_create_if_missing(NULL, 1));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_options_set_durability(NULL, RJ_DURABILITY_FULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_options_set_max_payload_bytes(NULL, 1));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_options_set_max_kind_bytes(NULL, 1));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_options_set_max_json_depth(NULL, 1));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_options_set_read_only(NULL, 1));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_options_set_busy_timeout_ms(NULL, 1));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_options_set_clock(NULL, fixed_clock, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_options_set_id_generator(NULL, fixed_id, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_options_set_vfs(NULL, "unix"));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_options_set_driver(NULL, "h", 1, 1, "b"));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_options_set_lease_ttl_ms(NULL, 1));

  /* The options reach the journal: the clock, the id generator, the driver,
   * the kind limit. They are copied at open, so freeing them is safe. */
  rj_journal* journal = capi_open("options.journal", options);
  rj_options_free(options);
  rj_new_run spec = {.struct_size = sizeof spec, .session_id = "s1"};
  rj_run* run = NULL;
  CHECK_OK(rj_create_run(journal, &spec, &run));
  CHECK_STR(rj_run_id(run), "run-fixed");
  CHECK(rj_run_created_at_ms(run) == now);
  CHECK(rj_run_has_driver(run));
  CHECK_STR(rj_run_driver_host(run), "host-a");
  CHECK(rj_run_driver_pid(run) == 4242);
  CHECK(rj_run_driver_start_time(run) == 17);
  CHECK_STR(rj_run_driver_boot_id(run), "boot-a");
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_append(journal, "run-fixed", "a_kind_longer_than_thirty_two_bytes", NULL,
                                              NULL, NULL));
  CHECK(rj_journal_max_json_depth(journal) == 64);
  CHECK(rj_journal_read_only(journal) == 0);
  rj_run_free(run);
  rj_close(journal);
  rj_options_free(NULL);
}

static void open_refuses_what_is_not_a_journal_and_leaves_it_alone(void) {
  rj_journal* journal = (rj_journal*)&journal; /* must become NULL */
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_open(NULL, NULL, &journal));
  CHECK(journal == NULL);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_open(capi_path("x.journal"), NULL, NULL));

  rj_options* must_exist = NULL;
  CHECK_OK(rj_options_new(&must_exist));
  CHECK_OK(rj_options_set_create_if_missing(must_exist, 0));
  CHECK_STATUS(RJ_NOT_FOUND, rj_open(capi_path("missing.journal"), must_exist, &journal));
  CHECK(journal == NULL);
  rj_options_free(must_exist);

  const char* text = capi_path("notes.txt");
  capi_write_file(text, "these are notes, not a journal\n");
  CHECK_STATUS(RJ_NOT_A_JOURNAL, rj_open(text, NULL, &journal));
  FILE* f = fopen(text, "rb");
  char buffer[64] = {0};
  CHECK(fread(buffer, 1, sizeof buffer - 1, f) > 0);
  fclose(f);
  CHECK_STR(buffer, "these are notes, not a journal\n");

  /* A journal written by a newer runjournal. */
  rj_journal* made = capi_open("newer.journal", NULL);
  rj_close(made);
  capi_sqlite_exec(capi_path("newer.journal"), "PRAGMA user_version = 999999");
  CHECK_STATUS(RJ_SCHEMA_TOO_NEW, rj_open(capi_path("newer.journal"), NULL, &journal));

  /* A folder that does not exist cannot hold a journal. */
  CHECK_STATUS(RJ_IO, rj_open(capi_path("no/such/folder/x.journal"), NULL, &journal));
  CHECK(journal == NULL);
}

static void open_creates_and_reopens_keeping_the_path(void) {
  rj_journal* journal = capi_open("a.journal", NULL);
  CHECK_STR(rj_journal_path(journal), capi_path("a.journal"));
  CHECK(rj_journal_path(NULL) == NULL);
  rj_run* run = capi_create(journal, "s1", "r1");
  rj_run_free(run);
  rj_close(journal);
  rj_close(NULL);
  journal = capi_open("a.journal", NULL);
  rj_run* again = NULL;
  CHECK_OK(rj_get_run(journal, "r1", &again));
  CHECK(again != NULL);
  CHECK_STR(rj_run_session_id(again), "s1");
  rj_run_free(again);
  rj_close(journal);
}

static void a_read_only_journal_reads_and_refuses_every_write(void) {
  rj_journal* writer = capi_open("ro.journal", NULL);
  rj_run_free(capi_create(writer, "s1", "r1"));
  rj_close(writer);
  rj_options* options = NULL;
  CHECK_OK(rj_options_new(&options));
  CHECK_OK(rj_options_set_read_only(options, 1));
  rj_journal* journal = capi_open("ro.journal", options);
  CHECK(rj_journal_read_only(journal) == 1);
  rj_run* run = NULL;
  CHECK_OK(rj_get_run(journal, "r1", &run));
  CHECK_STR(rj_run_session_id(run), "s1");
  rj_run_free(run);
  CHECK_STATUS(RJ_READ_ONLY, rj_append(journal, "r1", "tool_called", NULL, NULL, NULL));
  rj_new_run spec = {.struct_size = sizeof spec, .session_id = "s2"};
  CHECK_STATUS(RJ_READ_ONLY, rj_create_run(journal, &spec, NULL));
  CHECK_STATUS(RJ_READ_ONLY, rj_heartbeat(journal));
  CHECK(capi_last_position(journal) == 1);
  rj_close(journal);
  rj_journal* missing = NULL;
  CHECK_STATUS(RJ_NOT_FOUND, rj_open(capi_path("absent.journal"), options, &missing));
  /* A depth past what SQLite's JSON functions read is refused at open. */
  CHECK_OK(rj_options_set_read_only(options, 0));
  CHECK_OK(rj_options_set_max_json_depth(options, rj_sqlite_json_max_depth() + 1));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_open(capi_path("deep.journal"), options, &missing));
  CHECK(missing == NULL);
  rj_options_free(options);
  CHECK(rj_journal_read_only(NULL) == 0);
  CHECK(rj_journal_max_json_depth(NULL) == 0);
}

static void a_locked_file_makes_a_write_busy_and_writes_nothing(void) {
  rj_options* options = NULL;
  CHECK_OK(rj_options_new(&options));
  CHECK_OK(rj_options_set_busy_timeout_ms(options, 0));
  rj_journal* journal = capi_open("locked.journal", options);
  rj_options_free(options);
  rj_run* run = capi_create(journal, "s1", "r1");
  rj_run_free(run);
  sqlite3* db = NULL;
  CHECK(sqlite3_open(capi_path("locked.journal"), &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
  CHECK_STATUS(RJ_BUSY, rj_append(journal, "r1", "tool_called", NULL, NULL, NULL));
  CHECK(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK);
  sqlite3_close(db);
  CHECK(capi_last_position(journal) == 1);
  CHECK_OK(rj_append(journal, "r1", "tool_called", NULL, NULL, NULL));
  rj_close(journal);
}

static void a_damaged_row_reads_as_corrupt(void) {
  rj_journal* journal = capi_open("damaged.journal", NULL);
  rj_run* run = capi_create(journal, "s1", "r1");
  rj_run_free(run);
  rj_close(journal);
  capi_sqlite_exec(capi_path("damaged.journal"),
                   "PRAGMA ignore_check_constraints = ON; UPDATE runs SET status = 'bogus' WHERE run_id = 'r1'");
  journal = capi_open("damaged.journal", NULL);
  rj_run* read = (rj_run*)&read;
  CHECK_STATUS(RJ_CORRUPT, rj_get_run(journal, "r1", &read));
  CHECK(read == NULL);
  rj_close(journal);
}

int main(void) {
  RUN_TEST(versions_name_the_library_its_abi_and_sqlite);
  RUN_TEST(every_status_has_its_stable_name);
  RUN_TEST(run_statuses_round_trip_and_unknown_names_are_refused);
  RUN_TEST(the_error_record_is_per_thread_and_survives_success);
  RUN_TEST(every_option_setter_takes_its_value_and_refuses_bad_ones);
  RUN_TEST(open_refuses_what_is_not_a_journal_and_leaves_it_alone);
  RUN_TEST(open_creates_and_reopens_keeping_the_path);
  RUN_TEST(a_read_only_journal_reads_and_refuses_every_write);
  RUN_TEST(a_locked_file_makes_a_write_busy_and_writes_nothing);
  RUN_TEST(a_damaged_row_reads_as_corrupt);
  return 0;
}
