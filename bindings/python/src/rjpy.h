/* rjpy.h — what the files of the _runjournal extension share.
 *
 * _runjournal is the thin C layer between Python and runjournal's C API
 * (runjournal/runjournal.h): it converts arguments and results, releases
 * the GIL around every call into the library (each can wait for the disk
 * or a lock), runs Python callbacks with the GIL taken back, and raises the
 * exception class registered for each status. The Pythonic API (the
 * runjournal package) is written in Python on top of it. */
#ifndef RJPY_H
#define RJPY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <pthread.h>
#include <stdatomic.h>

#include <runjournal/runjournal.h>

/* An open journal. Calls in flight are counted (under the GIL and `mu`),
 * so close() waits for other threads' calls instead of freeing the journal
 * under them. */
typedef struct Handle {
  PyObject_HEAD
  rj_journal* journal;
  pthread_mutex_t mu;
  pthread_cond_t idle;
  int calls;
  atomic_int closing;
  PyObject* clock;        /* the options' hooks, kept alive while open */
  PyObject* id_generator;
} Handle;

extern PyTypeObject rjpy_HandleType;

/* ---- errors (module.c) ---- */
/* Raises the class registered for `status` (runjournal.Error's subclass),
 * with the calling thread's last message and batch index; returns NULL. */
PyObject* rjpy_raise(rj_status status);
/* Raises runjournal.Error (or the class for `status`) with `message`. */
PyObject* rjpy_raise_message(rj_status status, const char* message);

/* ---- the package's own types and codecs (module.c), registered at import:
 * runjournal.Event, and the json dumps/loads the package uses ---- */
extern PyObject* rjpy_event_class;
extern PyObject* rjpy_dumps;
extern PyObject* rjpy_loads;

/* ---- values (values.c): new references, NULL with an exception set ---- */
PyObject* rjpy_run(const rj_run* run);
PyObject* rjpy_event(const rj_event* event);
/* The event as a runjournal.Event, its payload decoded (the append path:
 * one object made in C instead of a tuple and then an Event). */
PyObject* rjpy_event_object(const rj_event* event);
PyObject* rjpy_checkpoint(const rj_checkpoint* checkpoint);
/* These take the list and free it, whatever happens. */
PyObject* rjpy_run_list(rj_run_list* list);
PyObject* rjpy_event_list(rj_event_list* list);
/* json.loads(text); None for NULL. */
PyObject* rjpy_json(const char* text, size_t length);
/* An optional int argument: None is "absent" (0), else *out and 1; -1 on error. */
int rjpy_optional_int64(PyObject* value, int64_t* out, const char* what);

/* ---- calls (handle.c) ---- */
/* Takes a call slot on an open journal; 0 with an exception if closed. */
int rjpy_enter(Handle* h);
void rjpy_leave(Handle* h);

/* The state a callback leaves for after the call: the Python exception it
 * raised (kept, the call told to stop, raised again afterwards). */
typedef struct Call {
  PyObject* callable;  /* the visitor, source, reader or writer */
  PyObject* progress;  /* may be NULL */
  PyObject* error_type;
  PyObject* error_value;
  PyObject* error_tb;
  /* follow: what it collected, its limits */
  Handle* handle;
  PyObject* collected;
  Py_ssize_t max_events;
  int64_t deadline_ms;
} Call;

/* Keeps the pending Python exception in `call` (GIL held). */
void rjpy_keep_error(Call* call);
/* After the call (GIL held): raises a kept exception and returns 1, else 0. */
int rjpy_restore_error(Call* call);
/* The callbacks (callbacks.c); each takes the GIL itself. */
int rjpy_visit_collect(void* user, const rj_event* event);
int rjpy_poll(void* user);
void rjpy_progress(void* user, int64_t done, int64_t total);
int rjpy_line(void* user, const char* line, size_t length);
ptrdiff_t rjpy_read(void* user, char* buffer, size_t capacity);
int rjpy_chunk(void* user, rj_chunk* chunk);
int64_t rjpy_clock(void* user);
int rjpy_id(void* user, char* buffer, size_t capacity);
/* The exception an id generator raised on this thread, for its caller. */
extern _Thread_local PyObject* rjpy_id_error;
/* Milliseconds on a monotonic clock. */
int64_t rjpy_now_ms(void);
/* Fills a batch event from a (run_id, kind, payload_json, expected_seq,
 * idempotency_key) tuple; the strings stay owned by the tuple. 0 on error. */
int rjpy_new_event(PyObject* item, rj_new_event* out);

#endif
