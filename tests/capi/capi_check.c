/* capi_check.c — the C suite's helpers (see capi_check.h). */
#define _XOPEN_SOURCE 700
#include "capi_check.h"

#include <ftw.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[4096];
static char g_paths[8][4200];
static int g_next_path;

static int remove_entry(const char* path, const struct stat* sb, int flag, struct FTW* ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void remove_dir(void) {
  if (g_dir[0] != '\0') nftw(g_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  g_dir[0] = '\0';
}

void capi_fail(const char* file, int line, const char* what, const rj_status* status) {
  if (status != NULL) {
    fprintf(stderr, "%s:%d: %s returned %s: %s\n", file, line, what, rj_status_name(*status),
            rj_last_error_message());
  } else {
    fprintf(stderr, "%s:%d: %s (last error: %s)\n", file, line, what, rj_last_error_message());
  }
  exit(1);
}

void capi_check_status(const char* file, int line, const char* call, rj_status expected, rj_status actual) {
  if (actual != expected) {
    fprintf(stderr, "%s:%d: %s returned %s, expected %s (message: %s)\n", file, line, call, rj_status_name(actual),
            rj_status_name(expected), rj_last_error_message());
    exit(1);
  }
  if (rj_last_error_status() != expected) {
    fprintf(stderr, "%s:%d: %s: rj_last_error_status() is %s, expected %s\n", file, line, call,
            rj_status_name(rj_last_error_status()), rj_status_name(expected));
    exit(1);
  }
  if (rj_last_error_message()[0] == '\0') {
    fprintf(stderr, "%s:%d: %s failed without a message\n", file, line, call);
    exit(1);
  }
}

void capi_begin(const char* test_name) {
  static int registered;
  if (!registered) {
    atexit(remove_dir);
    registered = 1;
  }
  remove_dir();
  const char* base = getenv("RUNJOURNAL_TEST_TMP");
  if (base == NULL || base[0] == '\0') base = "/tmp";
  mkdir(base, 0755);
  snprintf(g_dir, sizeof g_dir, "%s/capi-%s-XXXXXX", base, test_name);
  if (mkdtemp(g_dir) == NULL) {
    perror("mkdtemp");
    exit(1);
  }
  rj_clear_error();
  fprintf(stderr, "test %s\n", test_name);
}

const char* capi_path(const char* name) {
  char* slot = g_paths[g_next_path++ % 8];
  snprintf(slot, sizeof g_paths[0], "%s/%s", g_dir, name);
  return slot;
}

rj_journal* capi_open(const char* name, const rj_options* options) {
  rj_journal* journal = NULL;
  CHECK_OK(rj_open(capi_path(name), options, &journal));
  CHECK(journal != NULL);
  return journal;
}

rj_run* capi_create(rj_journal* journal, const char* session, const char* run_id) {
  rj_new_run spec = {.struct_size = sizeof spec, .session_id = session, .prompt = "a prompt", .run_id = run_id};
  rj_run* run = NULL;
  CHECK_OK(rj_create_run(journal, &spec, &run));
  CHECK(run != NULL);
  return run;
}

void capi_write_file(const char* path, const char* text) {
  FILE* f = fopen(path, "wb");
  CHECK(f != NULL);
  CHECK(fwrite(text, 1, strlen(text), f) == strlen(text));
  CHECK(fclose(f) == 0);
}

void capi_sqlite_exec(const char* path, const char* sql) {
  sqlite3* db = NULL;
  CHECK(sqlite3_open(path, &db) == SQLITE_OK);
  char* message = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK) {
    fprintf(stderr, "sqlite3_exec(%s): %s\n", sql, message ? message : "?");
    exit(1);
  }
  sqlite3_close(db);
}

int64_t capi_last_position(rj_journal* journal) {
  int64_t position = -1;
  CHECK_OK(rj_last_position(journal, &position));
  return position;
}
