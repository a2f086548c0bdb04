/* capi_inspect_test.c — read-only SQL and its typed cells, statistics,
 * export and import of whole runs, retention and cut-offs. */
#include "capi_check.h"

static rj_journal* two_runs(const char* name) {
  rj_journal* journal = capi_open(name, NULL);
  rj_run_free(capi_create(journal, "s1", "r1"));
  rj_run_free(capi_create(journal, "s1", "r2"));
  CHECK_OK(rj_append(journal, "r1", "tool_called", "{\"tool_name\":\"search\"}", NULL, NULL));
  CHECK_OK(rj_append(journal, "r1", "run_completed", "{\"result_text\":\"done\"}", NULL, NULL));
  return journal;
}

static void sql_returns_typed_cells_by_column(void) {
  rj_journal* journal = two_runs("j.journal");
  rj_sql_result* result = NULL;
  CHECK_OK(rj_sql(journal,
                  "SELECT position AS i, 2.5 AS r, kind AS t, payload AS p, x'00ff' AS b, NULL AS n "
                  "FROM events WHERE position = 3",
                  NULL, &result));
  CHECK(rj_sql_result_column_count(result) == 6);
  CHECK_STR(rj_sql_result_column_name(result, 0), "i");
  CHECK_STR(rj_sql_result_column_name(result, 5), "n");
  CHECK(rj_sql_result_column_name(result, 6) == NULL);
  CHECK(rj_sql_result_row_count(result) == 1);
  CHECK(rj_sql_result_type(result, 0, 0) == RJ_SQL_INTEGER);
  CHECK(rj_sql_result_int(result, 0, 0) == 3);
  CHECK(rj_sql_result_type(result, 0, 1) == RJ_SQL_REAL);
  CHECK(rj_sql_result_real(result, 0, 1) == 2.5);
  CHECK(rj_sql_result_type(result, 0, 2) == RJ_SQL_TEXT);
  size_t length = 0;
  CHECK_STR(rj_sql_result_text(result, 0, 2, &length), "tool_called");
  CHECK(length == 11);
  CHECK(rj_sql_result_type(result, 0, 3) == RJ_SQL_JSON);
  CHECK_STR(rj_sql_result_text(result, 0, 3, NULL), "{\"tool_name\":\"search\"}");
  CHECK(rj_sql_result_type(result, 0, 4) == RJ_SQL_BLOB);
  const char* blob = rj_sql_result_text(result, 0, 4, &length);
  CHECK(length == 2 && blob[0] == '\0' && (unsigned char)blob[1] == 0xff);
  CHECK(rj_sql_result_type(result, 0, 5) == RJ_SQL_NULL);
  /* Asking a cell for another type, or past the end, gives nothing. */
  CHECK(rj_sql_result_int(result, 0, 2) == 0);
  CHECK(rj_sql_result_real(result, 0, 0) == 0);
  CHECK(rj_sql_result_text(result, 0, 0, &length) == NULL && length == 0);
  CHECK(rj_sql_result_type(result, 1, 0) == RJ_SQL_NULL);
  CHECK(rj_sql_result_type(result, 0, 6) == RJ_SQL_NULL);
  CHECK(rj_sql_result_int(result, 1, 0) == 0);
  CHECK(rj_sql_result_real(result, 0, 9) == 0);
  CHECK(rj_sql_result_text(result, 4, 0, NULL) == NULL);
  rj_sql_result_free(result);

  CHECK_OK(rj_sql(journal, "SELECT run_id, status FROM runs ORDER BY first_position", NULL, &result));
  CHECK(rj_sql_result_row_count(result) == 2);
  CHECK_STR(rj_sql_result_text(result, 1, 0, NULL), "r2");
  rj_sql_result_free(result);
  rj_close(journal);
}

static void sql_refuses_writes_and_stops_at_its_limits(void) {
  rj_journal* journal = two_runs("j.journal");
  rj_sql_result* result = (rj_sql_result*)&result;
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_sql(journal, "DELETE FROM events", NULL, &result));
  CHECK(result == NULL);
  CHECK(capi_last_position(journal) == 4);
  rj_sql_options quick = {.struct_size = sizeof quick, .timeout_ms = 100};
  CHECK_STATUS(RJ_TIMED_OUT,
               rj_sql(journal, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
                      &quick, &result));
  rj_sql_options one_row = {.struct_size = sizeof one_row, .max_rows = 1};
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_sql(journal, "SELECT run_id FROM runs ORDER BY run_id", &one_row, &result));
  rj_sql_options negative = {.struct_size = sizeof negative, .timeout_ms = -1};
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_sql(journal, "SELECT 1", &negative, &result));
  rj_sql_options unsized = {0};
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_sql(journal, "SELECT 1", &unsized, &result));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_sql(journal, NULL, NULL, &result));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_sql(journal, "SELECT 1", NULL, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_sql(NULL, "SELECT 1", NULL, &result));
  rj_close(journal);
}

static void stats_count_runs_and_events_as_json(void) {
  rj_journal* journal = two_runs("j.journal");
  char* stats = NULL;
  CHECK_OK(rj_stats(journal, &stats));
  CHECK(strstr(stats, "\"runs\":2") != NULL);
  CHECK(strstr(stats, "\"events\":4") != NULL);
  CHECK(strstr(stats, "\"completed\":1") != NULL);
  CHECK(strstr(stats, "\"sqlite_version\":") != NULL);
  rj_string_free(stats);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_stats(journal, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_stats(NULL, &stats));
  CHECK(stats == NULL);
  rj_close(journal);
}

/* A growing buffer of JSON Lines. */
typedef struct buffer {
  char data[65536];
  size_t length;
  size_t read_at;
  int lines;
  int abort_at_line;
  int fail_read;
} buffer;

static int keep_line(void* user, const char* line, size_t length) {
  buffer* b = user;
  if (++b->lines == b->abort_at_line) return 1;
  CHECK(b->length + length + 1 < sizeof b->data);
  memcpy(b->data + b->length, line, length);
  b->length += length;
  b->data[b->length++] = '\n';
  return 0;
}

static ptrdiff_t read_some(void* user, char* out, size_t capacity) {
  buffer* b = user;
  if (b->fail_read && b->read_at > 0) return -1;
  size_t n = b->length - b->read_at;
  if (n > capacity) n = capacity;
  if (n > 7) n = 7; /* small reads: lines cross them */
  memcpy(out, b->data + b->read_at, n);
  b->read_at += n;
  return (ptrdiff_t)n;
}

static void note_progress(void* user, int64_t done, int64_t total) {
  (void)user;
  CHECK(done <= total);
}

static void export_and_import_move_whole_runs(void) {
  rj_journal* source = two_runs("source.journal");
  buffer all = {.length = 0};
  CHECK_OK(rj_export(source, NULL, keep_line, note_progress, &all));
  CHECK(all.lines == 2);
  CHECK(strncmp(all.data, "{\"events\":[", 11) == 0 || strncmp(all.data, "{\"run\":", 7) == 0);
  buffer one = {.length = 0};
  CHECK_OK(rj_export(source, "r2", keep_line, NULL, &one));
  CHECK(one.lines == 1);
  CHECK_STATUS(RJ_NOT_FOUND, rj_export(source, "nope", keep_line, NULL, &one));
  buffer aborting = {.abort_at_line = 2};
  CHECK_STATUS(RJ_ABORTED, rj_export(source, NULL, keep_line, NULL, &aborting));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_export(source, NULL, NULL, NULL, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_export(NULL, NULL, keep_line, NULL, &one));
  rj_close(source);

  rj_journal* target = capi_open("target.journal", NULL);
  rj_import_report report = {.struct_size = sizeof report};
  CHECK_OK(rj_import(target, read_some, note_progress, &all, &report));
  CHECK(report.runs_imported == 2);
  CHECK(report.events_imported == 4);
  CHECK(report.runs_skipped == 0);
  rj_run* run = NULL;
  CHECK_OK(rj_get_run(target, "r1", &run));
  CHECK(rj_run_get_status(run) == RJ_RUN_COMPLETED);
  CHECK(rj_run_event_count(run) == 3);
  rj_run_free(run);
  /* The same file again: identical runs are skipped. */
  all.read_at = 0;
  CHECK_OK(rj_import(target, read_some, NULL, &all, &report));
  CHECK(report.runs_skipped == 2);
  CHECK_OK(rj_import(target, read_some, NULL, &one, NULL));

  /* A bad line, or a reader that fails half way: nothing is imported. */
  rj_journal* empty = capi_open("empty.journal", NULL);
  buffer bad = {.length = 0};
  const char* lines = "{\"run\": 1}\n";
  memcpy(bad.data, lines, strlen(lines));
  bad.length = strlen(lines);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_import(empty, read_some, NULL, &bad, NULL));
  CHECK_MESSAGE("line 1");
  all.read_at = 0;
  all.fail_read = 1;
  CHECK_STATUS(RJ_ABORTED, rj_import(empty, read_some, NULL, &all, NULL));
  CHECK(capi_last_position(empty) == 0);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_import(empty, NULL, NULL, NULL, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_import(NULL, read_some, NULL, &all, NULL));
  rj_close(empty);
  rj_close(target);
}

static ptrdiff_t overfill(void* user, char* out, size_t capacity) {
  (void)user;
  (void)out;
  return (ptrdiff_t)capacity + 1;
}

static void a_reader_that_claims_too_much_is_refused(void) {
  rj_journal* journal = capi_open("j.journal", NULL);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_import(journal, overfill, NULL, NULL, NULL));
  rj_close(journal);
}

static void prune_removes_finished_runs_and_archives_them(void) {
  rj_journal* journal = two_runs("j.journal");
  rj_prune_options options = {.struct_size = sizeof options,
                              .finished_before_ms = INT64_MAX,
                              .archive_path = capi_path("archive.jsonl")};
  rj_prune_report report = {.struct_size = sizeof report};
  CHECK_OK(rj_prune(journal, &options, note_progress, NULL, &report));
  CHECK(report.runs == 1);
  CHECK(report.events == 3);
  CHECK(report.pages_freed >= 0);
  rj_run* run = (rj_run*)&run;
  CHECK_OK(rj_get_run(journal, "r1", &run));
  CHECK(run == NULL);
  CHECK_OK(rj_get_run(journal, "r2", &run));  /* live: untouched */
  CHECK(run != NULL);
  rj_run_free(run);
  FILE* archive = fopen(capi_path("archive.jsonl"), "r");
  CHECK(archive != NULL);
  char line[4096];
  CHECK(fgets(line, sizeof line, archive) != NULL);
  CHECK(strstr(line, "\"r1\"") != NULL);
  fclose(archive);
  rj_prune_options nothing = {.struct_size = sizeof nothing, .finished_before_ms = 0, .runs_per_transaction = 1};
  CHECK_OK(rj_prune(journal, &nothing, NULL, NULL, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_prune(journal, NULL, NULL, NULL, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_prune(NULL, &options, NULL, NULL, NULL));
  rj_close(journal);
}

static void cutoffs_parse_times_and_ages(void) {
  int64_t at = 0;
  CHECK_OK(rj_parse_cutoff("2025-01-31T12:00:00Z", 0, &at));
  CHECK(at == 1738324800000);
  CHECK_OK(rj_parse_cutoff("30d", 1738324800000, &at));
  CHECK(at == 1738324800000 - 30LL * 86400000);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_parse_cutoff("last tuesday", 0, &at));
  CHECK(at == 0);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_parse_cutoff(NULL, 0, &at));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_parse_cutoff("30d", 0, NULL));
}

int main(void) {
  RUN_TEST(sql_returns_typed_cells_by_column);
  RUN_TEST(sql_refuses_writes_and_stops_at_its_limits);
  RUN_TEST(stats_count_runs_and_events_as_json);
  RUN_TEST(export_and_import_move_whole_runs);
  RUN_TEST(a_reader_that_claims_too_much_is_refused);
  RUN_TEST(prune_removes_finished_runs_and_archives_them);
  RUN_TEST(cutoffs_parse_times_and_ages);
  return 0;
}
