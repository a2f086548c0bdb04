/* runjournal/runjournal.h — the C API of runjournal: a stable ABI for C hosts
 * and for the bindings (bindings/rust, bindings/python) that sit on it.
 *
 *   rj_journal* journal = NULL;
 *   if (rj_open("agent.journal", NULL, &journal) != RJ_OK) {
 *     fprintf(stderr, "error: %s\n", rj_last_error_message());
 *     return 1;
 *   }
 *   rj_new_run spec = {.struct_size = sizeof spec, .session_id = "s1", .prompt = "fix tests"};
 *   rj_run* run = NULL;
 *   rj_create_run(journal, &spec, &run);
 *   rj_append(journal, rj_run_id(run), "tool_called", "{\"tool_name\":\"search\"}", NULL, NULL);
 *   rj_run_free(run);
 *   rj_close(journal);
 *
 * It wraps the C++ API (runjournal/journal.hpp) call for call, with the same
 * guarantees; docs/bindings.md maps one to the other. Linked as
 * librunjournal_c.so (pkg-config: runjournal-c).
 *
 * Conventions, for every function below:
 * - Status: a function that can fail returns an rj_status; RJ_OK is success.
 *   The codes are the C++ ErrorCode set (error.hpp) plus three of the C API's
 *   own (RJ_ABORTED, RJ_NO_MEMORY, RJ_ERROR). Branch on the code, never on
 *   the message.
 * - Messages: a failing call records its status and a message (UTF-8, for
 *   people) for the calling thread; rj_last_error_message() reads it. A call
 *   that succeeds leaves the record as it was (libgit2's git_error_last), so
 *   read it right after the failing call, on the same thread.
 * - Nothing is thrown across this API: every C++ exception, out-of-memory
 *   included, becomes a status.
 * - Atomicity: a write that fails has written nothing (as in C++).
 * - Out parameters: on failure *out is set to NULL (or 0) and nothing needs
 *   freeing. An out parameter documented as "may be NULL" can be passed as
 *   NULL when the caller does not want the value.
 * - Ownership: every object the library allocates has exactly one matching
 *   _free function (rj_close for a journal); each accepts NULL. Strings
 *   returned by accessors (const char*) are borrowed from their object and
 *   live until it is freed; strings returned through char** are the caller's,
 *   freed with rj_string_free().
 * - Text: every string in and out is UTF-8 and NUL-terminated. JSON goes in
 *   and out as text (an event's payload, a run's inputs …); JSON columns that
 *   are SQL NULL come out as a NULL pointer. JSON text is parsed by the
 *   library's own parser (runjournal::parse_json): without recursion, and
 *   refused with RJ_INVALID_ARGUMENT at the first container nested deeper
 *   than the journal's max_json_depth (rj_journal_max_json_depth).
 * - Threads: an rj_journal may be used from many threads at once, as a C++
 *   Journal may. Result objects (rj_run, rj_event, lists …) are immutable
 *   values: any thread may read them, concurrently too. An rj_options must
 *   not be changed while another thread uses it.
 * - Callbacks are called on the thread that made the call, before the call
 *   returns, except the clock and id generator of rj_options, which are
 *   called by whichever thread writes through the journal (so they must be
 *   thread-safe). A callback must return normally: it must not longjmp, throw
 *   or unwind (Rust: catch panics; Python: keep the exception for later).
 *   Every callback gets back the `user` pointer given with it.
 *
 * Versions and what may change:
 * - RJ_ABI_VERSION is the ABI this header describes; rj_abi_version() is the
 *   one the linked library implements. The shared library's SONAME is
 *   librunjournal_c.so.<RJ_ABI_VERSION>. Within one ABI version, functions,
 *   enumerators and fields are only ever added, never changed or removed:
 *   a program built against this header runs with any later library of the
 *   same ABI version.
 * - Structs the caller fills (rj_new_run, rj_append_options, …) begin with
 *   `struct_size`, which the caller sets to sizeof the struct as it compiled
 *   it; later versions append fields, and a library reads only the fields
 *   that fit in struct_size, taking the default for the others. A zeroed
 *   struct with struct_size set means every default. (A library older than
 *   the caller's header reads only the fields it knows: check
 *   rj_version() before relying on a field added later.)
 * - Structs the library fills (reports) also begin with struct_size: the
 *   library writes only the fields that fit.
 * - Handles are opaque: their layout is no part of the ABI.
 * - Messages, and the order of keys in JSON text, may change at any time.
 * - New status codes may be added: treat an unknown one as an error.
 */
#ifndef RUNJOURNAL_RUNJOURNAL_H
#define RUNJOURNAL_RUNJOURNAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RJ_ABI_VERSION 1

#if defined(__GNUC__) || defined(__clang__)
#define RJ_API __attribute__((visibility("default")))
#else
#define RJ_API
#endif

/* ---- statuses and errors --------------------------------------------- */

typedef enum rj_status {
  RJ_OK = 0,
  RJ_NOT_FOUND = 1,         /* the run, or the journal file, does not exist */
  RJ_CONFLICT = 2,          /* expected_seq was stale, or an idempotency key was reused for another event */
  RJ_ALREADY_RUNNING = 3,   /* exclusive create: the session has a live run (named in the message) */
  RJ_ALREADY_EXISTS = 4,    /* run_created for a run id that is taken */
  RJ_INVALID_ARGUMENT = 5,  /* bad input: NULL where a value is needed, JSON that does not parse, … */
  RJ_BUSY = 6,              /* the file stayed locked by another process past the wait limit */
  RJ_CORRUPT = 7,           /* the file's contents break the journal's invariants */
  RJ_SCHEMA_TOO_NEW = 8,    /* the file was written by a newer runjournal */
  RJ_NOT_A_JOURNAL = 9,     /* not a SQLite file, or a SQLite file that is not a journal */
  RJ_IO = 10,               /* the operating system or SQLite failed to read or write */
  RJ_TIMED_OUT = 11,        /* a query ran past its time limit and was stopped (rj_sql) */
  RJ_READ_ONLY = 12,        /* a write on a journal opened read-only (rj_options_set_read_only) */
  /* The C API's own. */
  RJ_ABORTED = 100,         /* a callback asked to abort the call; a write wrote nothing */
  RJ_NO_MEMORY = 101,       /* an allocation failed */
  RJ_ERROR = 102            /* a failure this version cannot classify (the message says what) */
} rj_status;

/* The stable snake_case name of a status: "ok", "not_found", "conflict", …
 * (the C++ to_string(ErrorCode) names), or "unknown". Never NULL. */
RJ_API const char* rj_status_name(rj_status status);

/* What the calling thread's most recent failing call left: its status, its
 * message ("" when none failed yet) and, for a batch refused because of one
 * of its events, that event's 0-based index (-1 otherwise). The message lives
 * until this thread's next failing call or rj_clear_error(). */
RJ_API rj_status rj_last_error_status(void);
RJ_API const char* rj_last_error_message(void);
RJ_API int64_t rj_last_error_batch_index(void);
/* Resets the calling thread's record to RJ_OK, "", -1. */
RJ_API void rj_clear_error(void);

/* ---- versions ------------------------------------------------------------ */

RJ_API const char* rj_version(void);        /* the library's "MAJOR.MINOR.PATCH" */
RJ_API int rj_abi_version(void);            /* RJ_ABI_VERSION of the linked library */
RJ_API const char* rj_sqlite_version(void); /* the SQLite it runs on, e.g. "3.40.1" */
/* The deepest JSON nesting the linked SQLite's JSON functions accept: the
 * default and the ceiling of a journal's max_json_depth. */
RJ_API size_t rj_sqlite_json_max_depth(void);

/* Frees a string the library returned through a char** parameter. */
RJ_API void rj_string_free(char* text);

/* ---- run statuses ---------------------------------------------------------- */

typedef enum rj_run_status {
  RJ_RUN_CREATED = 1,
  RJ_RUN_PLANNING = 2,
  RJ_RUN_EXECUTING = 3,
  RJ_RUN_VERIFYING = 4,
  RJ_RUN_INTERRUPTED = 5, /* its driver died; it can be resumed or given up */
  RJ_RUN_COMPLETED = 6,   /* terminal */
  RJ_RUN_FAILED = 7,      /* terminal */
  RJ_RUN_CANCELLED = 8    /* terminal */
} rj_run_status;

/* "created", "planning", … as stored in runs.status; NULL for a value that
 * is not one of the eight. */
RJ_API const char* rj_run_status_name(rj_run_status status);
/* The status named `name`; RJ_INVALID_ARGUMENT for anything else (never a
 * silent default). */
RJ_API rj_status rj_run_status_parse(const char* name, rj_run_status* out);
/* 1 for completed, failed and cancelled, else 0. */
RJ_API int rj_run_status_is_terminal(rj_run_status status);

/* ---- options ------------------------------------------------------------- */

typedef enum rj_durability {
  RJ_DURABILITY_FULL = 0,  /* every commit is flushed; survives power loss (the default) */
  RJ_DURABILITY_NORMAL = 1 /* survives a crash of the process, not a power loss */
} rj_durability;

/* Unix milliseconds for new events. */
typedef int64_t (*rj_clock_fn)(void* user);
/* Writes a NUL-terminated run id of at most capacity - 1 bytes into buffer
 * and returns 0; any other value makes the call that needed the id fail with
 * RJ_ABORTED, writing nothing. */
typedef int (*rj_id_fn)(void* user, char* buffer, size_t capacity);

/* How a journal is opened: Options of journal.hpp. rj_open copies what it
 * needs, so the options may be freed or reused as soon as it returns; the
 * `user` pointers of the hooks must stay valid while the journal is open. */
typedef struct rj_options rj_options;

RJ_API rj_status rj_options_new(rj_options** out);
RJ_API void rj_options_free(rj_options* options);
/* Default 1: create and initialise a missing or empty file. With 0 such a
 * file is RJ_NOT_FOUND and nothing is written. */
RJ_API rj_status rj_options_set_create_if_missing(rj_options* options, int create_if_missing);
/* Default 0. Non-zero: open for reading only: nothing is written, at open
 * or ever (no migration, rebuild or catch-up), every write call fails with
 * RJ_READ_ONLY; works on a file this process may not write and on one a
 * newer runjournal wrote within its compatible version. A missing file is
 * RJ_NOT_FOUND. */
RJ_API rj_status rj_options_set_read_only(rj_options* options, int read_only);
RJ_API rj_status rj_options_set_durability(rj_options* options, rj_durability durability);
/* Limits on one event (default 1 MiB of compact JSON, 256 bytes of kind);
 * larger input is RJ_INVALID_ARGUMENT. */
RJ_API rj_status rj_options_set_max_payload_bytes(rj_options* options, size_t bytes);
RJ_API rj_status rj_options_set_max_kind_bytes(rj_options* options, size_t bytes);
/* The deepest a JSON value may nest in what the journal is given ({} is 1,
 * {"a": []} 2); 0 for the default, rj_sqlite_json_max_depth(). Deeper text
 * is RJ_INVALID_ARGUMENT; a value past that ceiling fails rj_open with
 * RJ_INVALID_ARGUMENT. */
RJ_API rj_status rj_options_set_max_json_depth(rj_options* options, size_t depth);
/* How long a write waits for another process's lock before RJ_BUSY
 * (default 10000; 0 does not wait). Negative is RJ_INVALID_ARGUMENT. */
RJ_API rj_status rj_options_set_busy_timeout_ms(rj_options* options, int64_t milliseconds);
/* The clock of new events (NULL: the system clock). */
RJ_API rj_status rj_options_set_clock(rj_options* options, rj_clock_fn clock, void* user);
/* Ids of runs created without one (NULL: "run-" + a random UUID v4). */
RJ_API rj_status rj_options_set_id_generator(rj_options* options, rj_id_fn generate, void* user);
/* The SQLite VFS to open the file through, by registered name (NULL or "":
 * the default). */
RJ_API rj_status rj_options_set_vfs(rj_options* options, const char* vfs);
/* The driver recorded for the runs this journal creates or resumes
 * (driver.hpp; default: this process). host and boot_id are copied. */
RJ_API rj_status rj_options_set_driver(rj_options* options, const char* host, int64_t pid, int64_t start_time,
                                       const char* boot_id);
/* How long this host's heartbeat lease stays valid (default 30000). Zero or
 * negative is RJ_INVALID_ARGUMENT. */
RJ_API rj_status rj_options_set_lease_ttl_ms(rj_options* options, int64_t milliseconds);

/* ---- opening and closing -------------------------------------------------- */

typedef struct rj_journal rj_journal;

/* Opens `path`, creating or migrating as needed (options may be NULL for
 * the defaults). Fails with RJ_NOT_FOUND, RJ_NOT_A_JOURNAL, RJ_SCHEMA_TOO_NEW,
 * RJ_BUSY, RJ_IO; a file refused for its contents is left as it was. */
RJ_API rj_status rj_open(const char* path, const rj_options* options, rj_journal** out);
/* Closes the journal: waits for its pending appends, then frees it. NULL is
 * a no-op. No other thread may be using it. */
RJ_API void rj_close(rj_journal* journal);
/* The path it was opened with; NULL for NULL. */
RJ_API const char* rj_journal_path(const rj_journal* journal);
/* 1 when it was opened read-only (0 for NULL). */
RJ_API int rj_journal_read_only(const rj_journal* journal);
/* Its max_json_depth, the default resolved (0 for NULL). */
RJ_API size_t rj_journal_max_json_depth(const rj_journal* journal);

/* ---- values: runs, events, checkpoints ------------------------------------ */

/* A run as the projection sees it: one row of `runs` (run.hpp). */
typedef struct rj_run rj_run;
/* One recorded step of a run: one row of `events` (event.hpp). */
typedef struct rj_event rj_event;
/* A run's latest live checkpoint (lifecycle.hpp). */
typedef struct rj_checkpoint rj_checkpoint;

/* Accessors of a run, one per `runs` column. Strings are never NULL unless
 * said; optional text and JSON columns are NULL when absent. Passing NULL
 * for the run returns NULL or 0. */
RJ_API const char* rj_run_id(const rj_run* run);
RJ_API const char* rj_run_session_id(const rj_run* run);
RJ_API rj_run_status rj_run_get_status(const rj_run* run);
RJ_API const char* rj_run_prompt(const rj_run* run);
RJ_API const char* rj_run_inputs_json(const rj_run* run);   /* NULL when absent */
RJ_API const char* rj_run_outputs_json(const rj_run* run);  /* NULL when absent */
RJ_API const char* rj_run_metadata_json(const rj_run* run); /* NULL when absent */
RJ_API const char* rj_run_result_text(const rj_run* run);   /* NULL when absent */
RJ_API const char* rj_run_error(const rj_run* run);         /* NULL when absent */
RJ_API const char* rj_run_status_reason(const rj_run* run); /* NULL when absent */
RJ_API const char* rj_run_checkpoint_id(const rj_run* run); /* NULL when none is live */
RJ_API const char* rj_run_checkpoint_json(const rj_run* run); /* NULL when none is live */
RJ_API int64_t rj_run_created_at_ms(const rj_run* run);
RJ_API int64_t rj_run_updated_at_ms(const rj_run* run);
/* 1 and *out set when the run has finished, else 0 (and *out untouched). */
RJ_API int rj_run_finished_at_ms(const rj_run* run, int64_t* out);
RJ_API int64_t rj_run_first_position(const rj_run* run);
RJ_API int64_t rj_run_event_count(const rj_run* run);
RJ_API int64_t rj_run_last_seq(const rj_run* run);
RJ_API int64_t rj_run_last_position(const rj_run* run);
/* The process driving the run (driver.hpp): 1 when the run records one. The
 * four driver_* accessors return NULL or 0 when it does not. */
RJ_API int rj_run_has_driver(const rj_run* run);
RJ_API const char* rj_run_driver_host(const rj_run* run);
RJ_API int64_t rj_run_driver_pid(const rj_run* run);
RJ_API int64_t rj_run_driver_start_time(const rj_run* run);
RJ_API const char* rj_run_driver_boot_id(const rj_run* run);
/* Provenance, as the host recorded it (NULL when not given): the digest of
 * the agent spec and the git commit (from run_created), the digest of the
 * final state (from run_completed). */
RJ_API const char* rj_run_agent_spec_digest(const rj_run* run);
RJ_API const char* rj_run_git_sha(const rj_run* run);
RJ_API const char* rj_run_final_state_digest(const rj_run* run);
/* The whole run as one JSON object keyed by the `runs` column names
 * (runjournal/json.hpp); free with rj_string_free. */
RJ_API rj_status rj_run_to_json(const rj_run* run, char** out);
RJ_API void rj_run_free(rj_run* run);

RJ_API int64_t rj_event_position(const rj_event* event);
RJ_API const char* rj_event_run_id(const rj_event* event);
RJ_API int64_t rj_event_seq(const rj_event* event);
RJ_API int64_t rj_event_ts_ms(const rj_event* event);
RJ_API const char* rj_event_kind(const rj_event* event);
RJ_API const char* rj_event_payload_json(const rj_event* event);   /* always a JSON object */
RJ_API const char* rj_event_idempotency_key(const rj_event* event); /* NULL when none */
/* The whole event as one JSON object keyed by the `events` column names. */
RJ_API rj_status rj_event_to_json(const rj_event* event, char** out);
RJ_API void rj_event_free(rj_event* event);

RJ_API const char* rj_checkpoint_id(const rj_checkpoint* checkpoint);
/* What rj_save_checkpoint stored as the state (for a checkpoint_saved
 * written by hand without one, the whole payload). */
RJ_API const char* rj_checkpoint_state_json(const rj_checkpoint* checkpoint);
RJ_API const char* rj_checkpoint_payload_json(const rj_checkpoint* checkpoint);
RJ_API void rj_checkpoint_free(rj_checkpoint* checkpoint);

/* Lists: a count, and borrowed items that live as long as the list. _at
 * returns NULL past the end. */
typedef struct rj_run_list rj_run_list;
typedef struct rj_event_list rj_event_list;
RJ_API size_t rj_run_list_count(const rj_run_list* list);
RJ_API const rj_run* rj_run_list_at(const rj_run_list* list, size_t index);
RJ_API void rj_run_list_free(rj_run_list* list);
RJ_API size_t rj_event_list_count(const rj_event_list* list);
RJ_API const rj_event* rj_event_list_at(const rj_event_list* list, size_t index);
RJ_API void rj_event_list_free(rj_event_list* list);

/* ---- writing ---------------------------------------------------------------- */

/* A new run (NewRun of journal.hpp). */
typedef struct rj_new_run {
  size_t struct_size;
  const char* session_id;    /* required */
  const char* prompt;        /* NULL: "" */
  const char* run_id;        /* NULL: from the id generator */
  const char* inputs_json;   /* any JSON; NULL for none */
  const char* metadata_json; /* any JSON; NULL for none */
  /* Non-zero: refuse with RJ_ALREADY_RUNNING, naming the live run, when the
   * session has a run that is not finished. Checked and inserted in one
   * transaction. */
  int exclusive;
  /* Provenance (runjournal 0.2): recorded in run_created; NULL for none. */
  const char* agent_spec_digest;
  const char* git_sha;
} rj_new_run;

/* AppendOptions of journal.hpp. Pass NULL for none. */
typedef struct rj_append_options {
  size_t struct_size;
  /* Non-zero: expected_seq is the last seq the caller saw for the run; the
   * append fails with RJ_CONFLICT when the run has moved past it. */
  int has_expected_seq;
  int64_t expected_seq;
  /* Unique per run (NULL: none): a retried append with a key the run holds
   * returns the event first written with it and writes nothing. */
  const char* idempotency_key;
} rj_append_options;

/* One event of a batch. */
typedef struct rj_new_event {
  size_t struct_size;
  const char* run_id;
  const char* kind;
  const char* payload_json; /* a JSON object; NULL: {} */
  int has_expected_seq;
  int64_t expected_seq;
  const char* idempotency_key;
} rj_new_event;

/* Writes the run's run_created event and returns the new run through *out
 * (may be NULL). RJ_INVALID_ARGUMENT, RJ_ALREADY_EXISTS, RJ_ALREADY_RUNNING,
 * RJ_ABORTED (the id generator failed), RJ_READ_ONLY, RJ_BUSY, RJ_IO. */
RJ_API rj_status rj_create_run(rj_journal* journal, const rj_new_run* run, rj_run** out);

/* Appends one event (payload_json NULL: {}) and returns it through *out (may
 * be NULL). RJ_NOT_FOUND (no such run), RJ_INVALID_ARGUMENT, RJ_ALREADY_EXISTS,
 * RJ_CONFLICT, RJ_BUSY, RJ_IO. Durable when it returns RJ_OK. */
RJ_API rj_status rj_append(rj_journal* journal, const char* run_id, const char* kind, const char* payload_json,
                           const rj_append_options* options, rj_event** out);

/* Appends `count` events in one transaction, in order, or none of them: the
 * first bad one fails the call, rj_last_error_batch_index() names it. The
 * array's stride is events[0].struct_size, so every element must carry the
 * same one. *out (may be NULL) receives the events as stored. */
RJ_API rj_status rj_append_batch(rj_journal* journal, const rj_new_event* events, size_t count,
                                 rj_event_list** out);

/* A batch that arrives in chunks (append_batch_chunked of journal.hpp): the
 * source is called until it returns 0 having added nothing; each time it
 * adds the next events with rj_chunk_add and returns 0. Any other return
 * aborts the batch (RJ_ABORTED, nothing written). Until the call returns,
 * this process's other appends wait, so the source must not append to the
 * journal. An event rj_chunk_add refuses (bad JSON) fails the whole batch
 * with that error once the source returns. */
typedef struct rj_chunk rj_chunk;
typedef int (*rj_chunk_fn)(void* user, rj_chunk* chunk);
RJ_API rj_status rj_chunk_add(rj_chunk* chunk, const rj_new_event* event);
RJ_API rj_status rj_append_batch_chunked(rj_journal* journal, rj_chunk_fn source, void* user,
                                         rj_event_list** out);

/* ---- reading -------------------------------------------------------------- */
/* Each read is one short read transaction; it never waits for a writer. */

/* The run, or *out = NULL (and RJ_OK) when there is none. */
RJ_API rj_status rj_get_run(rj_journal* journal, const char* run_id, rj_run** out);

/* RunFilter and Page of journal.hpp. Pass NULL for every run, 100 a page. */
typedef struct rj_run_query {
  size_t struct_size;
  rj_run_status status;     /* 0: any */
  const char* session_id;   /* NULL: any */
  size_t limit;             /* runs per page; 0: 100 */
  const char* after_run_id; /* the last run of the previous page; NULL: from the first. Naming no run: RJ_NOT_FOUND */
} rj_run_query;
/* Runs in creation order. */
RJ_API rj_status rj_runs(rj_journal* journal, const rj_run_query* query, rj_run_list** out);
/* A run's events from seq `from_seq` on, at most `limit` (SIZE_MAX: all). */
RJ_API rj_status rj_events(rj_journal* journal, const char* run_id, int64_t from_seq, size_t limit,
                           rj_event_list** out);
/* Up to `limit` events with position > after_position, in position order. */
RJ_API rj_status rj_events_after(rj_journal* journal, int64_t after_position, size_t limit, rj_event_list** out);
/* Every run as it stood right after the event at `position`. */
RJ_API rj_status rj_runs_as_of(rj_journal* journal, int64_t position, rj_run_list** out);
/* The position of the newest event; 0 for an empty journal. */
RJ_API rj_status rj_last_position(rj_journal* journal, int64_t* out);

/* Called with each event, borrowed for the call. Return 0 to go on,
 * non-zero to stop (stopping is not an error: the call returns RJ_OK). */
typedef int (*rj_event_fn)(void* user, const rj_event* event);
/* Asked between polls of rj_follow: return 0 to go on following, non-zero to
 * stop. */
typedef int (*rj_poll_fn)(void* user);

/* Every event after `after_position` in position order, `page_size` per
 * read transaction (0: 1000); memory stays bounded. */
RJ_API rj_status rj_scan(rj_journal* journal, int64_t after_position, size_t page_size, rj_event_fn visit,
                         void* user);
/* Follows the journal: visits every event after `after_position`, then
 * waits for commits by any process (polling every poll_ms; 0: 20) and visits
 * new events as they land, until `visit` or `poll` (may be NULL: never)
 * asks to stop. */
RJ_API rj_status rj_follow(rj_journal* journal, int64_t after_position, rj_event_fn visit, rj_poll_fn poll,
                           void* user, int64_t poll_ms);

/* ---- projection maintenance ----------------------------------------------- */

/* Called now and then during long work with (done, total). */
typedef void (*rj_progress_fn)(void* user, int64_t done, int64_t total);

typedef struct rj_rebuild_report {
  size_t struct_size;
  int64_t events; /* events replayed */
  int64_t runs;   /* rows written */
} rj_rebuild_report;
/* Drops `runs` and recomputes it in one transaction. progress may be NULL;
 * out (may be NULL) is filled up to its struct_size. */
RJ_API rj_status rj_rebuild(rj_journal* journal, rj_progress_fn progress, void* user, rj_rebuild_report* out);

typedef struct rj_verify_report rj_verify_report;
/* Recomputes every run and compares. RJ_OK whatever it finds: the report's
 * problems say whether the journal is consistent. */
RJ_API rj_status rj_verify(rj_journal* journal, rj_progress_fn progress, void* user, rj_verify_report** out);
RJ_API int64_t rj_verify_report_events_checked(const rj_verify_report* report);
RJ_API int64_t rj_verify_report_runs_checked(const rj_verify_report* report);
RJ_API size_t rj_verify_report_problem_count(const rj_verify_report* report); /* 0: consistent */
RJ_API const char* rj_verify_report_problem(const rj_verify_report* report, size_t index);
RJ_API void rj_verify_report_free(rj_verify_report* report);

/* ---- inspection and data movement ------------------------------------------ */

typedef enum rj_sql_type {
  RJ_SQL_NULL = 0,
  RJ_SQL_INTEGER = 1,
  RJ_SQL_REAL = 2,
  RJ_SQL_TEXT = 3,
  RJ_SQL_JSON = 4, /* text known to hold JSON (inspect.hpp, SqlValue) */
  RJ_SQL_BLOB = 5
} rj_sql_type;

typedef struct rj_sql_options {
  size_t struct_size;
  int64_t timeout_ms; /* 0: 10000; past it the query stops with RJ_TIMED_OUT */
  size_t max_rows;    /* 0: 1000000; more rows fail with RJ_INVALID_ARGUMENT */
} rj_sql_options;

typedef struct rj_sql_result rj_sql_result;
/* Runs ONE read-only statement (Journal::sql): writes, ATTACH, PRAGMAs that
 * change anything and more than one statement are RJ_INVALID_ARGUMENT before
 * anything runs. options may be NULL. */
RJ_API rj_status rj_sql(rj_journal* journal, const char* query, const rj_sql_options* options,
                        rj_sql_result** out);
RJ_API size_t rj_sql_result_column_count(const rj_sql_result* result);
RJ_API const char* rj_sql_result_column_name(const rj_sql_result* result, size_t column); /* NULL past the end */
RJ_API size_t rj_sql_result_row_count(const rj_sql_result* result);
/* A cell's type; RJ_SQL_NULL past the end. */
RJ_API rj_sql_type rj_sql_result_type(const rj_sql_result* result, size_t row, size_t column);
RJ_API int64_t rj_sql_result_int(const rj_sql_result* result, size_t row, size_t column);  /* INTEGER; else 0 */
RJ_API double rj_sql_result_real(const rj_sql_result* result, size_t row, size_t column);  /* REAL; else 0 */
/* TEXT, JSON and BLOB cells: the bytes (NUL-terminated too) and, when
 * length is not NULL, their count. NULL for other cells. */
RJ_API const char* rj_sql_result_text(const rj_sql_result* result, size_t row, size_t column, size_t* length);
RJ_API void rj_sql_result_free(rj_sql_result* result);

/* Counts, positions, sizes and versions (JournalStats of inspect.hpp) as
 * one JSON object keyed by the field names; free with rj_string_free. */
RJ_API rj_status rj_stats(rj_journal* journal, char** out);

/* One line of JSON Lines (no newline). Return 0 to go on; anything else
 * aborts the call with RJ_ABORTED. */
typedef int (*rj_line_fn)(void* user, const char* line, size_t length);
/* Fills buffer with up to capacity bytes of input and returns how many; 0
 * at the end of the input; negative aborts the call with RJ_ABORTED (more
 * than capacity is RJ_INVALID_ARGUMENT). */
typedef ptrdiff_t (*rj_read_fn)(void* user, char* buffer, size_t capacity);

/* Every run (or only `run_id`, NULL for all; RJ_NOT_FOUND when it is absent)
 * as one record line {"run": {…}, "events": […]}, in creation order.
 * progress (may be NULL) counts runs. */
RJ_API rj_status rj_export(rj_journal* journal, const char* run_id, rj_line_fn line, rj_progress_fn progress,
                           void* user);

typedef struct rj_import_report {
  size_t struct_size;
  int64_t runs_imported;
  int64_t runs_skipped; /* already present with identical events */
  int64_t events_imported;
} rj_import_report;
/* Imports record lines read from `read`: all or nothing, in one write
 * transaction; a bad line fails the call naming it ("line N"). progress (may
 * be NULL) counts lines. */
RJ_API rj_status rj_import(rj_journal* journal, rj_read_fn read, rj_progress_fn progress, void* user,
                           rj_import_report* out);

typedef struct rj_prune_options {
  size_t struct_size;
  int64_t finished_before_ms;  /* runs finished before this (Unix ms) are removed */
  const char* archive_path;    /* NULL: none; else each removed run is appended there first */
  size_t runs_per_transaction; /* 0: 100 */
} rj_prune_options;
typedef struct rj_prune_report {
  size_t struct_size;
  int64_t runs;
  int64_t events;
  int64_t pages_freed;
} rj_prune_report;
/* Removes finished runs older than the cut-off (live runs are never
 * touched) and gives the space back. */
RJ_API rj_status rj_prune(rj_journal* journal, const rj_prune_options* options, rj_progress_fn progress,
                          void* user, rj_prune_report* out);
/* A prune cut-off ("2025-01-31T12:00:00Z", "30d", "12h", …) as Unix ms,
 * ages counted back from now_ms. RJ_INVALID_ARGUMENT for anything else. */
RJ_API rj_status rj_parse_cutoff(const char* text, int64_t now_ms, int64_t* out);

/* ---- run lifecycle and crash recovery (docs/recovery.md) -------------------- */

typedef struct rj_recovered_list rj_recovered_list;
/* The runs that were cut off: not finished, and their driver is gone
 * (interrupted ones too when include_interrupted is non-zero). Writes
 * nothing. */
RJ_API rj_status rj_recover(rj_journal* journal, int include_interrupted, rj_recovered_list** out);
RJ_API size_t rj_recovered_list_count(const rj_recovered_list* list);
RJ_API const rj_run* rj_recovered_list_run(const rj_recovered_list* list, size_t index);
/* Its latest live checkpoint; NULL when it has none (or past the end). */
RJ_API const rj_checkpoint* rj_recovered_list_checkpoint(const rj_recovered_list* list, size_t index);
/* The journal's clock now minus the run's updated_at_ms. */
RJ_API int64_t rj_recovered_list_silent_ms(const rj_recovered_list* list, size_t index);
/* Why its driver counts as gone, for people. */
RJ_API const char* rj_recovered_list_why(const rj_recovered_list* list, size_t index);
RJ_API void rj_recovered_list_free(rj_recovered_list* list);

/* Recovery by several hosts at once (Journal::claim_recovered,
 * docs/recovery.md "Several hosts recovering at once"): refreshes this
 * host's heartbeat lease, then resumes what rj_recover lists (interrupted
 * runs too when include_interrupted is non-zero), oldest first, at most
 * `limit` of them (SIZE_MAX: no limit; 0 claims none), and returns through
 * *out the runs this journal claimed, as they are now: executing, driven by
 * it, with their checkpoints (the same accessors as rj_recover's list).
 * payload_json is the run_resumed payload of each claimed run: a JSON
 * object without a "driver" key (this journal's driver is recorded); NULL:
 * {}. Whatever any number of journals on any hosts call at once, each
 * cut-off run is claimed by exactly one of them; a run lost to another
 * claimant is skipped, never an error. RJ_INVALID_ARGUMENT (NULL journal or
 * out, payload not a JSON object or naming a driver) and RJ_READ_ONLY write
 * nothing; after RJ_BUSY or RJ_IO the runs claimed before it stay claimed
 * (each claim is one append, as in C++). */
RJ_API rj_status rj_claim_recovered(rj_journal* journal, int include_interrupted, size_t limit,
                                    const char* payload_json, rj_recovered_list** out);

/* Appends run_resumed (payload_json NULL: {}): an interrupted run goes back
 * to executing; the caller becomes its driver. RJ_NOT_FOUND,
 * RJ_INVALID_ARGUMENT (finished), RJ_ALREADY_RUNNING (its driver is alive),
 * RJ_CONFLICT. options and out may be NULL. */
RJ_API rj_status rj_resume_run(rj_journal* journal, const char* run_id, const char* payload_json,
                               const rj_append_options* options, rj_run** out);
/* Gives a run up: appends run_interrupted {reason}. */
RJ_API rj_status rj_interrupt_run(rj_journal* journal, const char* run_id, const char* reason,
                                  const rj_append_options* options, rj_run** out);
/* The session's newest run that is not finished; *out = NULL when none. */
RJ_API rj_status rj_current_run(rj_journal* journal, const char* session_id, rj_run** out);
/* Cancels the run only when it is live and its session's current run:
 * *cancelled (may be NULL) is 1 then, else 0 and nothing is written.
 * reason may be NULL. */
RJ_API rj_status rj_cancel_if_live(rj_journal* journal, const char* run_id, const char* reason, int* cancelled);

typedef enum rj_outcome {
  RJ_OUTCOME_OK = 0,        /* -> run_completed {result_text?, outputs?} */
  RJ_OUTCOME_CANCELLED = 1, /* -> run_cancelled {reason?} */
  RJ_OUTCOME_ERROR = 2      /* -> run_failed {error} */
} rj_outcome;
/* Records how an execution ended (ExecutionResult of lifecycle.hpp):
 * result_text and outputs_json for RJ_OUTCOME_OK (each may be NULL), message
 * the error (RJ_OUTCOME_ERROR) or the reason (RJ_OUTCOME_CANCELLED, may be
 * NULL). On a finished run the event is recorded and the status stays. */
RJ_API rj_status rj_finish(rj_journal* journal, const char* run_id, rj_outcome outcome, const char* result_text,
                           const char* outputs_json, const char* message, rj_run** out);
/* A runner reservation: creates the run exclusively in its session; a
 * session run whose driver is gone is failed first. RJ_ALREADY_RUNNING when
 * a live driver's run holds the session. */
RJ_API rj_status rj_reserve(rj_journal* journal, const rj_new_run* run, rj_run** out);

/* Appends checkpoint_saved {checkpoint_id, state} (state_json NULL: null).
 * out may be NULL. */
RJ_API rj_status rj_save_checkpoint(rj_journal* journal, const char* run_id, const char* checkpoint_id,
                                    const char* state_json, rj_event** out);
/* The run's latest live checkpoint; *out = NULL when none. */
RJ_API rj_status rj_latest_checkpoint(rj_journal* journal, const char* run_id, rj_checkpoint** out);
/* Appends checkpoint_deleted when checkpoint_id is the live one: *deleted
 * (may be NULL) 1; else 0 and nothing is written. */
RJ_API rj_status rj_delete_checkpoint(rj_journal* journal, const char* run_id, const char* checkpoint_id,
                                      int* deleted);
/* Refreshes this host's heartbeat lease now. */
RJ_API rj_status rj_heartbeat(rj_journal* journal);

#ifdef __cplusplus
}
#endif

#endif /* RUNJOURNAL_RUNJOURNAL_H */
