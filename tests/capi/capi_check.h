/* capi_check.h — the C suite's checks and helpers (C11, no framework).
 *
 * A failed check prints where and why, with the library's last message,
 * and exits 1: one test executable per concern, each a ctest entry. Every
 * test function gets a fresh directory (capi_dir), so no two tests share a
 * journal. */
#ifndef RUNJOURNAL_CAPI_CHECK_H
#define RUNJOURNAL_CAPI_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <runjournal/runjournal.h>

#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) capi_fail(__FILE__, __LINE__, "CHECK(" #cond ") failed", NULL);    \
  } while (0)

/* The call returns RJ_OK. */
#define CHECK_OK(call)                                                              \
  do {                                                                              \
    rj_status check_status_ = (call);                                               \
    if (check_status_ != RJ_OK) capi_fail(__FILE__, __LINE__, #call, &check_status_); \
  } while (0)

/* The call fails with `expected`, records it for this thread, and leaves a
 * message. */
#define CHECK_STATUS(expected, call)                                                \
  do {                                                                              \
    rj_status check_status_ = (call);                                               \
    capi_check_status(__FILE__, __LINE__, #call, (expected), check_status_);        \
  } while (0)

#define CHECK_STR(actual, expected)                                                 \
  do {                                                                              \
    const char* check_a_ = (actual);                                                \
    const char* check_e_ = (expected);                                              \
    if (check_a_ == NULL || strcmp(check_a_, check_e_) != 0) {                      \
      fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, \
              #actual, check_a_ ? check_a_ : "(null)", check_e_);                   \
      exit(1);                                                                      \
    }                                                                               \
  } while (0)

/* The last message contains `part`. */
#define CHECK_MESSAGE(part) CHECK(strstr(rj_last_error_message(), (part)) != NULL)

void capi_fail(const char* file, int line, const char* what, const rj_status* status);
void capi_check_status(const char* file, int line, const char* call, rj_status expected, rj_status actual);

/* A fresh directory for the running test; capi_path(name) is a file in it
 * (a static buffer per call slot: at most 8 paths alive at once). */
void capi_begin(const char* test_name);
const char* capi_path(const char* name);
/* Opens a journal at capi_path(name) with `options` (NULL: defaults). */
rj_journal* capi_open(const char* name, const rj_options* options);
/* Creates a run (session, prompt, id) with defaults otherwise; returns it
 * (free with rj_run_free). */
rj_run* capi_create(rj_journal* journal, const char* session, const char* run_id);
/* Writes `text` to a file. */
void capi_write_file(const char* path, const char* text);
/* Runs one SQL statement on the file with SQLite directly (to damage or lock it). */
void capi_sqlite_exec(const char* path, const char* sql);
/* Counts the events in the file (RJ_OK required). */
int64_t capi_last_position(rj_journal* journal);

#define RUN_TEST(fn)   \
  do {                 \
    capi_begin(#fn);   \
    fn();              \
  } while (0)

#endif
