/* handle.c — _runjournal.Handle: an open journal and every call on it.
 *
 * Each method converts its arguments with the GIL held, takes a call slot,
 * releases the GIL for the library call (which may wait for a lock, the
 * disk or a group commit: other Python threads run meanwhile, and their
 * appends share commits), takes the GIL back and converts the result. */
#include "rjpy.h"

/* ---- call slots and close ---- */

int rjpy_enter(Handle* h) {
  if (h->journal == NULL || atomic_load(&h->closing)) {
    rjpy_raise_message(RJ_INVALID_ARGUMENT, "the journal is closed");
    return 0;
  }
  pthread_mutex_lock(&h->mu);
  ++h->calls;
  pthread_mutex_unlock(&h->mu);
  return 1;
}

void rjpy_leave(Handle* h) {
  pthread_mutex_lock(&h->mu);
  if (--h->calls == 0) pthread_cond_broadcast(&h->idle);
  pthread_mutex_unlock(&h->mu);
}

/* The library call `expr`, the GIL released, inside a call slot. */
#define CALL(h, status, expr)       \
  do {                              \
    if (!rjpy_enter(h)) return NULL; \
    Py_BEGIN_ALLOW_THREADS          \
    (status) = (expr);              \
    Py_END_ALLOW_THREADS            \
    rjpy_leave(h);                  \
  } while (0)

static void close_journal(Handle* h) {
  if (h->journal == NULL) return;
  atomic_store(&h->closing, 1);
  rj_journal* journal = h->journal;
  Py_BEGIN_ALLOW_THREADS
  pthread_mutex_lock(&h->mu);
  while (h->calls > 0) pthread_cond_wait(&h->idle, &h->mu);
  pthread_mutex_unlock(&h->mu);
  rj_close(journal); /* commits its pending appends first */
  Py_END_ALLOW_THREADS
  h->journal = NULL;
}

static PyObject* handle_close(Handle* h, PyObject* unused) {
  (void)unused;
  close_journal(h);
  Py_RETURN_NONE;
}

static void handle_dealloc(Handle* h) {
  close_journal(h);
  Py_CLEAR(h->clock);
  Py_CLEAR(h->id_generator);
  pthread_cond_destroy(&h->idle);
  pthread_mutex_destroy(&h->mu);
  PyObject_Free(h);
}

static PyObject* handle_closed(Handle* h, void* unused) {
  (void)unused;
  return PyBool_FromLong(h->journal == NULL);
}

static PyObject* handle_read_only(Handle* h, void* unused) {
  (void)unused;
  return PyBool_FromLong(rj_journal_read_only(h->journal));
}

static PyObject* handle_max_json_depth(Handle* h, void* unused) {
  (void)unused;
  return PyLong_FromSize_t(rj_journal_max_json_depth(h->journal));
}

static PyObject* handle_path(Handle* h, void* unused) {
  (void)unused;
  const char* path = rj_journal_path(h->journal);
  if (path == NULL) Py_RETURN_NONE;
  return PyUnicode_DecodeFSDefault(path);
}

/* ---- argument helpers ---- */

/* Optional expected_seq and key as rj_append_options; 0 on error. */
static int append_options(PyObject* expected, const char* key, rj_append_options* out) {
  memset(out, 0, sizeof *out);
  out->struct_size = sizeof *out;
  int64_t seq = 0;
  const int has = rjpy_optional_int64(expected, &seq, "expected_seq");
  if (has < 0) return 0;
  out->has_expected_seq = has;
  out->expected_seq = seq;
  out->idempotency_key = key;
  return 1;
}

int rjpy_new_event(PyObject* item, rj_new_event* out) {
  memset(out, 0, sizeof *out);
  out->struct_size = sizeof *out;
  PyObject* expected;
  if (!PyArg_ParseTuple(item, "sszOz;an event is (run_id, kind, payload_json, expected_seq, idempotency_key)",
                        &out->run_id, &out->kind, &out->payload_json, &expected, &out->idempotency_key)) {
    return 0;
  }
  int64_t seq = 0;
  const int has = rjpy_optional_int64(expected, &seq, "expected_seq");
  if (has < 0) return 0;
  out->has_expected_seq = has;
  out->expected_seq = seq;
  return 1;
}

static PyObject* run_or_none(rj_status status, rj_run* run) {
  if (status != RJ_OK) return rjpy_raise(status);
  if (run == NULL) Py_RETURN_NONE;
  PyObject* out = rjpy_run(run);
  rj_run_free(run);
  return out;
}

static PyObject* event_result(rj_status status, rj_event* event) {
  if (status != RJ_OK) return rjpy_raise(status);
  PyObject* out = rjpy_event(event);
  rj_event_free(event);
  return out;
}

static PyObject* events_result(rj_status status, rj_event_list* list) {
  if (status != RJ_OK) return rjpy_raise(status);
  return rjpy_event_list(list);
}

static PyObject* runs_result(rj_status status, rj_run_list* list) {
  if (status != RJ_OK) return rjpy_raise(status);
  return rjpy_run_list(list);
}

/* ---- writing ---- */

/* create_run(session_id, prompt, run_id, inputs_json, metadata_json,
 *            exclusive, reserve, agent_spec_digest, git_sha) */
static PyObject* handle_create_run(Handle* h, PyObject* args) {
  rj_new_run spec;
  memset(&spec, 0, sizeof spec);
  spec.struct_size = sizeof spec;
  int reserve = 0;
  if (!PyArg_ParseTuple(args, "sszzzppzz", &spec.session_id, &spec.prompt, &spec.run_id, &spec.inputs_json,
                        &spec.metadata_json, &spec.exclusive, &reserve, &spec.agent_spec_digest, &spec.git_sha)) {
    return NULL;
  }
  rj_run* run = NULL;
  rj_status status;
  CALL(h, status, reserve ? rj_reserve(h->journal, &spec, &run) : rj_create_run(h->journal, &spec, &run));
  if (status == RJ_ABORTED && rjpy_id_error != NULL) {
    /* The id generator raised: that exception is the caller's. */
    PyObject* error = rjpy_id_error;
    rjpy_id_error = NULL;
    PyErr_SetObject((PyObject*)Py_TYPE(error), error);
    Py_DECREF(error);
    return NULL;
  }
  return run_or_none(status, run);
}

/* append(run_id, kind, payload_json, expected_seq, idempotency_key) */
static PyObject* handle_append(Handle* h, PyObject* args) {
  const char *run_id, *kind, *payload, *key;
  PyObject* expected;
  if (!PyArg_ParseTuple(args, "sszOz", &run_id, &kind, &payload, &expected, &key)) return NULL;
  rj_append_options options;
  if (!append_options(expected, key, &options)) return NULL;
  const rj_append_options* given = options.has_expected_seq || key ? &options : NULL;
  rj_event* event = NULL;
  rj_status status;
  CALL(h, status, rj_append(h->journal, run_id, kind, payload, given, &event));
  return event_result(status, event);
}

/* append_event(run_id, kind, payload, expected_seq, idempotency_key): the
 * package's Journal.append, with the payload (a Python value or None)
 * encoded and the result made an Event here: less work under the GIL, the
 * hot path of a host that appends from many threads. */
static PyObject* handle_append_event(Handle* h, PyObject* args) {
  const char *run_id, *kind, *key;
  PyObject *payload, *expected;
  if (!PyArg_ParseTuple(args, "ssOOz", &run_id, &kind, &payload, &expected, &key)) return NULL;
  rj_append_options options;
  if (!append_options(expected, key, &options)) return NULL;
  PyObject* text = NULL;
  const char* payload_json = NULL;
  if (payload != Py_None) {
    if (rjpy_dumps == NULL) return rjpy_raise_message(RJ_ERROR, "runjournal's codecs are not registered");
    text = PyObject_CallOneArg(rjpy_dumps, payload);
    if (text == NULL) return NULL;
    payload_json = PyUnicode_AsUTF8(text);
    if (payload_json == NULL) {
      Py_DECREF(text);
      return NULL;
    }
  }
  const rj_append_options* given = options.has_expected_seq || key ? &options : NULL;
  rj_event* event = NULL;
  rj_status status = RJ_OK;
  if (!rjpy_enter(h)) {
    Py_XDECREF(text);
    return NULL;
  }
  Py_BEGIN_ALLOW_THREADS
  status = rj_append(h->journal, run_id, kind, payload_json, given, &event);
  Py_END_ALLOW_THREADS
  rjpy_leave(h);
  Py_XDECREF(text);
  if (status != RJ_OK) return rjpy_raise(status);
  PyObject* out = rjpy_event_object(event);
  rj_event_free(event);
  return out;
}

/* append_batch([(run_id, kind, payload_json, expected_seq, key), …]) */
static PyObject* handle_append_batch(Handle* h, PyObject* args) {
  PyObject* items;
  if (!PyArg_ParseTuple(args, "O", &items)) return NULL;
  PyObject* seq = PySequence_Fast(items, "append_batch takes a sequence of events");
  if (seq == NULL) return NULL;
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  rj_new_event* events = PyMem_Calloc(n > 0 ? (size_t)n : 1, sizeof *events);
  if (events == NULL) {
    Py_DECREF(seq);
    return PyErr_NoMemory();
  }
  for (Py_ssize_t i = 0; i < n; ++i) {
    if (!rjpy_new_event(PySequence_Fast_GET_ITEM(seq, i), &events[i])) {
      PyMem_Free(events);
      Py_DECREF(seq);
      return NULL;
    }
  }
  rj_event_list* list = NULL;
  rj_status status;
  if (!rjpy_enter(h)) {
    PyMem_Free(events);
    Py_DECREF(seq);
    return NULL;
  }
  Py_BEGIN_ALLOW_THREADS
  status = rj_append_batch(h->journal, events, (size_t)n, &list);
  Py_END_ALLOW_THREADS
  rjpy_leave(h);
  PyMem_Free(events);
  Py_DECREF(seq); /* the strings the events pointed to lived in it */
  return events_result(status, list);
}

/* append_batch_chunked(source): source() -> list of event tuples or None */
static PyObject* handle_append_batch_chunked(Handle* h, PyObject* args) {
  Call call = {0};
  if (!PyArg_ParseTuple(args, "O", &call.callable)) return NULL;
  rj_event_list* list = NULL;
  rj_status status;
  CALL(h, status, rj_append_batch_chunked(h->journal, rjpy_chunk, &call, &list));
  if (rjpy_restore_error(&call)) {
    rj_event_list_free(list);
    return NULL;
  }
  return events_result(status, list);
}

/* ---- reading ---- */

static PyObject* handle_run(Handle* h, PyObject* args) {
  const char* run_id;
  if (!PyArg_ParseTuple(args, "s", &run_id)) return NULL;
  rj_run* run = NULL;
  rj_status status;
  CALL(h, status, rj_get_run(h->journal, run_id, &run));
  return run_or_none(status, run);
}

/* runs(status_code, session_id, limit, after_run_id) */
static PyObject* handle_runs(Handle* h, PyObject* args) {
  rj_run_query query;
  memset(&query, 0, sizeof query);
  query.struct_size = sizeof query;
  int code = 0;
  Py_ssize_t limit = 0;
  if (!PyArg_ParseTuple(args, "iznz", &code, &query.session_id, &limit, &query.after_run_id)) return NULL;
  if (limit < 0) {
    PyErr_SetString(PyExc_ValueError, "limit must not be negative");
    return NULL;
  }
  query.status = (rj_run_status)code;
  query.limit = (size_t)limit;
  rj_run_list* list = NULL;
  rj_status status;
  CALL(h, status, rj_runs(h->journal, &query, &list));
  return runs_result(status, list);
}

/* events(run_id, from_seq, limit) */
static PyObject* handle_events(Handle* h, PyObject* args) {
  const char* run_id;
  long long from_seq;
  Py_ssize_t limit;
  if (!PyArg_ParseTuple(args, "sLn", &run_id, &from_seq, &limit)) return NULL;
  rj_event_list* list = NULL;
  rj_status status;
  CALL(h, status, rj_events(h->journal, run_id, (int64_t)from_seq, limit < 0 ? SIZE_MAX : (size_t)limit, &list));
  return events_result(status, list);
}

/* events_after(after_position, limit) */
static PyObject* handle_events_after(Handle* h, PyObject* args) {
  long long after;
  Py_ssize_t limit;
  if (!PyArg_ParseTuple(args, "Ln", &after, &limit)) return NULL;
  rj_event_list* list = NULL;
  rj_status status;
  CALL(h, status, rj_events_after(h->journal, (int64_t)after, limit < 0 ? SIZE_MAX : (size_t)limit, &list));
  return events_result(status, list);
}

static PyObject* handle_runs_as_of(Handle* h, PyObject* args) {
  long long position;
  if (!PyArg_ParseTuple(args, "L", &position)) return NULL;
  rj_run_list* list = NULL;
  rj_status status;
  CALL(h, status, rj_runs_as_of(h->journal, (int64_t)position, &list));
  return runs_result(status, list);
}

static PyObject* handle_last_position(Handle* h, PyObject* unused) {
  (void)unused;
  int64_t position = 0;
  rj_status status;
  CALL(h, status, rj_last_position(h->journal, &position));
  if (status != RJ_OK) return rjpy_raise(status);
  return PyLong_FromLongLong(position);
}

/* follow(after_position, max_events, poll_ms, wait_ms): the events after
 * the position, waiting for some to land (at most wait_ms; negative: as
 * long as it takes). Returns a list, empty when the wait ran out. */
static PyObject* handle_follow(Handle* h, PyObject* args) {
  long long after, poll_ms, wait_ms;
  Py_ssize_t max_events;
  if (!PyArg_ParseTuple(args, "LnLL", &after, &max_events, &poll_ms, &wait_ms)) return NULL;
  Call call = {0};
  call.handle = h;
  call.collected = PyList_New(0);
  call.max_events = max_events < 1 ? 1 : max_events;
  call.deadline_ms = wait_ms < 0 ? -1 : rjpy_now_ms() + wait_ms;
  if (call.collected == NULL) return NULL;
  rj_status status;
  if (!rjpy_enter(h)) {
    Py_DECREF(call.collected);
    return NULL;
  }
  Py_BEGIN_ALLOW_THREADS
  status = rj_follow(h->journal, (int64_t)after, rjpy_visit_collect, rjpy_poll, &call, (int64_t)poll_ms);
  Py_END_ALLOW_THREADS
  rjpy_leave(h);
  if (rjpy_restore_error(&call) || (status != RJ_OK && rjpy_raise(status) == NULL)) {
    Py_DECREF(call.collected);
    return NULL;
  }
  return call.collected;
}

/* ---- the projection ---- */

static PyObject* handle_rebuild(Handle* h, PyObject* args) {
  Call call = {0};
  if (!PyArg_ParseTuple(args, "O", &call.progress)) return NULL;
  if (call.progress == Py_None) call.progress = NULL;
  rj_rebuild_report report = {sizeof report, 0, 0};
  rj_status status;
  CALL(h, status, rj_rebuild(h->journal, call.progress ? rjpy_progress : NULL, &call, &report));
  if (rjpy_restore_error(&call)) return NULL;
  if (status != RJ_OK) return rjpy_raise(status);
  return Py_BuildValue("(LL)", (long long)report.events, (long long)report.runs);
}

static PyObject* handle_verify(Handle* h, PyObject* args) {
  Call call = {0};
  if (!PyArg_ParseTuple(args, "O", &call.progress)) return NULL;
  if (call.progress == Py_None) call.progress = NULL;
  rj_verify_report* report = NULL;
  rj_status status;
  CALL(h, status, rj_verify(h->journal, call.progress ? rjpy_progress : NULL, &call, &report));
  if (rjpy_restore_error(&call)) {
    rj_verify_report_free(report);
    return NULL;
  }
  if (status != RJ_OK) return rjpy_raise(status);
  const size_t n = rj_verify_report_problem_count(report);
  PyObject* problems = PyList_New((Py_ssize_t)n);
  for (size_t i = 0; problems != NULL && i < n; ++i) {
    PyObject* line = PyUnicode_FromString(rj_verify_report_problem(report, i));
    if (line == NULL) {
      Py_CLEAR(problems);
      break;
    }
    PyList_SET_ITEM(problems, (Py_ssize_t)i, line);
  }
  PyObject* out = problems ? Py_BuildValue("(LLN)", (long long)rj_verify_report_events_checked(report),
                                           (long long)rj_verify_report_runs_checked(report), problems)
                           : NULL;
  rj_verify_report_free(report);
  return out;
}

/* ---- inspection and data movement ---- */

/* sql(query, timeout_ms, max_rows) -> (columns, rows); JSON cells parsed */
static PyObject* handle_sql(Handle* h, PyObject* args) {
  const char* query;
  rj_sql_options options;
  memset(&options, 0, sizeof options);
  options.struct_size = sizeof options;
  long long timeout_ms;
  Py_ssize_t max_rows;
  if (!PyArg_ParseTuple(args, "sLn", &query, &timeout_ms, &max_rows)) return NULL;
  options.timeout_ms = timeout_ms;
  options.max_rows = max_rows < 0 ? 0 : (size_t)max_rows;
  rj_sql_result* result = NULL;
  rj_status status;
  CALL(h, status, rj_sql(h->journal, query, &options, &result));
  if (status != RJ_OK) return rjpy_raise(status);
  const size_t columns = rj_sql_result_column_count(result), rows = rj_sql_result_row_count(result);
  PyObject* names = PyList_New((Py_ssize_t)columns);
  PyObject* out_rows = PyList_New((Py_ssize_t)rows);
  for (size_t c = 0; names && c < columns; ++c) {
    PyObject* name = PyUnicode_FromString(rj_sql_result_column_name(result, c));
    if (name == NULL) Py_CLEAR(names);
    else PyList_SET_ITEM(names, (Py_ssize_t)c, name);
  }
  for (size_t r = 0; names && out_rows && r < rows; ++r) {
    PyObject* row = PyTuple_New((Py_ssize_t)columns);
    for (size_t c = 0; row && c < columns; ++c) {
      size_t length = 0;
      const char* text = rj_sql_result_text(result, r, c, &length);
      PyObject* cell = NULL;
      switch (rj_sql_result_type(result, r, c)) {
        case RJ_SQL_INTEGER: cell = PyLong_FromLongLong(rj_sql_result_int(result, r, c)); break;
        case RJ_SQL_REAL: cell = PyFloat_FromDouble(rj_sql_result_real(result, r, c)); break;
        case RJ_SQL_TEXT: cell = PyUnicode_DecodeUTF8(text, (Py_ssize_t)length, "replace"); break;
        case RJ_SQL_JSON: cell = rjpy_json(text, length); break;
        case RJ_SQL_BLOB: cell = PyBytes_FromStringAndSize(text, (Py_ssize_t)length); break;
        default: cell = Py_NewRef(Py_None); break;
      }
      if (cell == NULL) Py_CLEAR(row);
      else PyTuple_SET_ITEM(row, (Py_ssize_t)c, cell);
    }
    if (row == NULL) Py_CLEAR(out_rows);
    else PyList_SET_ITEM(out_rows, (Py_ssize_t)r, row);
  }
  rj_sql_result_free(result);
  if (names == NULL || out_rows == NULL) {
    Py_XDECREF(names);
    Py_XDECREF(out_rows);
    return NULL;
  }
  return Py_BuildValue("(NN)", names, out_rows);
}

static PyObject* handle_stats(Handle* h, PyObject* unused) {
  (void)unused;
  char* text = NULL;
  rj_status status;
  CALL(h, status, rj_stats(h->journal, &text));
  if (status != RJ_OK) return rjpy_raise(status);
  PyObject* out = rjpy_json(text, strlen(text));
  rj_string_free(text);
  return out;
}

/* export(run_id, write, progress) */
static PyObject* handle_export(Handle* h, PyObject* args) {
  const char* run_id;
  Call call = {0};
  if (!PyArg_ParseTuple(args, "zOO", &run_id, &call.callable, &call.progress)) return NULL;
  if (call.progress == Py_None) call.progress = NULL;
  rj_status status;
  CALL(h, status, rj_export(h->journal, run_id, rjpy_line, call.progress ? rjpy_progress : NULL, &call));
  if (rjpy_restore_error(&call)) return NULL;
  if (status != RJ_OK) return rjpy_raise(status);
  Py_RETURN_NONE;
}

/* import_records(read, progress) -> (imported, skipped, events) */
static PyObject* handle_import(Handle* h, PyObject* args) {
  Call call = {0};
  if (!PyArg_ParseTuple(args, "OO", &call.callable, &call.progress)) return NULL;
  if (call.progress == Py_None) call.progress = NULL;
  rj_import_report report = {sizeof report, 0, 0, 0};
  rj_status status;
  CALL(h, status, rj_import(h->journal, rjpy_read, call.progress ? rjpy_progress : NULL, &call, &report));
  if (rjpy_restore_error(&call)) return NULL;
  if (status != RJ_OK) return rjpy_raise(status);
  return Py_BuildValue("(LLL)", (long long)report.runs_imported, (long long)report.runs_skipped,
                       (long long)report.events_imported);
}

/* prune(finished_before_ms, archive_path, runs_per_transaction, progress) */
static PyObject* handle_prune(Handle* h, PyObject* args) {
  rj_prune_options options;
  memset(&options, 0, sizeof options);
  options.struct_size = sizeof options;
  long long before;
  Py_ssize_t per_transaction;
  Call call = {0};
  if (!PyArg_ParseTuple(args, "LznO", &before, &options.archive_path, &per_transaction, &call.progress)) return NULL;
  if (call.progress == Py_None) call.progress = NULL;
  options.finished_before_ms = before;
  options.runs_per_transaction = per_transaction < 0 ? 0 : (size_t)per_transaction;
  rj_prune_report report = {sizeof report, 0, 0, 0};
  rj_status status;
  CALL(h, status, rj_prune(h->journal, &options, call.progress ? rjpy_progress : NULL, &call, &report));
  if (rjpy_restore_error(&call)) return NULL;
  if (status != RJ_OK) return rjpy_raise(status);
  return Py_BuildValue("(LLL)", (long long)report.runs, (long long)report.events, (long long)report.pages_freed);
}

/* ---- lifecycle ---- */

/* A list of recovered runs as [(run, checkpoint, silent_ms, why)], freed. */
static PyObject* recovered_result(rj_status status, rj_recovered_list* list) {
  if (status != RJ_OK) return rjpy_raise(status);
  const size_t n = rj_recovered_list_count(list);
  PyObject* out = PyList_New((Py_ssize_t)n);
  for (size_t i = 0; out && i < n; ++i) {
    PyObject* run = rjpy_run(rj_recovered_list_run(list, i));
    PyObject* checkpoint = rjpy_checkpoint(rj_recovered_list_checkpoint(list, i));
    PyObject* item = run && checkpoint ? Py_BuildValue("(OOLs)", run, checkpoint,
                                                       (long long)rj_recovered_list_silent_ms(list, i),
                                                       rj_recovered_list_why(list, i))
                                       : NULL;
    Py_XDECREF(run);
    Py_XDECREF(checkpoint);
    if (item == NULL) Py_CLEAR(out);
    else PyList_SET_ITEM(out, (Py_ssize_t)i, item);
  }
  rj_recovered_list_free(list);
  return out;
}

static PyObject* handle_recover(Handle* h, PyObject* args) {
  int include_interrupted = 0;
  if (!PyArg_ParseTuple(args, "p", &include_interrupted)) return NULL;
  rj_recovered_list* list = NULL;
  rj_status status;
  CALL(h, status, rj_recover(h->journal, include_interrupted, &list));
  return recovered_result(status, list);
}

/* claim_recovered(include_interrupted, limit, payload_json); a negative
 * limit is none. */
static PyObject* handle_claim_recovered(Handle* h, PyObject* args) {
  int include_interrupted = 0;
  Py_ssize_t limit;
  const char* payload;
  if (!PyArg_ParseTuple(args, "pnz", &include_interrupted, &limit, &payload)) return NULL;
  rj_recovered_list* list = NULL;
  rj_status status;
  CALL(h, status,
       rj_claim_recovered(h->journal, include_interrupted, limit < 0 ? SIZE_MAX : (size_t)limit, payload, &list));
  return recovered_result(status, list);
}

/* resume_run(run_id, payload_json, expected_seq, key) */
static PyObject* handle_resume_run(Handle* h, PyObject* args) {
  const char *run_id, *payload, *key;
  PyObject* expected;
  if (!PyArg_ParseTuple(args, "szOz", &run_id, &payload, &expected, &key)) return NULL;
  rj_append_options options;
  if (!append_options(expected, key, &options)) return NULL;
  rj_run* run = NULL;
  rj_status status;
  CALL(h, status, rj_resume_run(h->journal, run_id, payload, &options, &run));
  return run_or_none(status, run);
}

/* interrupt_run(run_id, reason, expected_seq, key) */
static PyObject* handle_interrupt_run(Handle* h, PyObject* args) {
  const char *run_id, *reason, *key;
  PyObject* expected;
  if (!PyArg_ParseTuple(args, "ssOz", &run_id, &reason, &expected, &key)) return NULL;
  rj_append_options options;
  if (!append_options(expected, key, &options)) return NULL;
  rj_run* run = NULL;
  rj_status status;
  CALL(h, status, rj_interrupt_run(h->journal, run_id, reason, &options, &run));
  return run_or_none(status, run);
}

static PyObject* handle_current_run(Handle* h, PyObject* args) {
  const char* session_id;
  if (!PyArg_ParseTuple(args, "s", &session_id)) return NULL;
  rj_run* run = NULL;
  rj_status status;
  CALL(h, status, rj_current_run(h->journal, session_id, &run));
  return run_or_none(status, run);
}

static PyObject* handle_cancel_if_live(Handle* h, PyObject* args) {
  const char *run_id, *reason;
  if (!PyArg_ParseTuple(args, "sz", &run_id, &reason)) return NULL;
  int cancelled = 0;
  rj_status status;
  CALL(h, status, rj_cancel_if_live(h->journal, run_id, reason, &cancelled));
  if (status != RJ_OK) return rjpy_raise(status);
  return PyBool_FromLong(cancelled);
}

/* finish(run_id, outcome, result_text, outputs_json, message) */
static PyObject* handle_finish(Handle* h, PyObject* args) {
  const char *run_id, *text, *outputs, *message;
  int outcome;
  if (!PyArg_ParseTuple(args, "sizzz", &run_id, &outcome, &text, &outputs, &message)) return NULL;
  rj_run* run = NULL;
  rj_status status;
  CALL(h, status, rj_finish(h->journal, run_id, (rj_outcome)outcome, text, outputs, message, &run));
  return run_or_none(status, run);
}

/* save_checkpoint(run_id, checkpoint_id, state_json) */
static PyObject* handle_save_checkpoint(Handle* h, PyObject* args) {
  const char *run_id, *id, *state;
  if (!PyArg_ParseTuple(args, "ssz", &run_id, &id, &state)) return NULL;
  rj_event* event = NULL;
  rj_status status;
  CALL(h, status, rj_save_checkpoint(h->journal, run_id, id, state, &event));
  return event_result(status, event);
}

static PyObject* handle_latest_checkpoint(Handle* h, PyObject* args) {
  const char* run_id;
  if (!PyArg_ParseTuple(args, "s", &run_id)) return NULL;
  rj_checkpoint* checkpoint = NULL;
  rj_status status;
  CALL(h, status, rj_latest_checkpoint(h->journal, run_id, &checkpoint));
  if (status != RJ_OK) return rjpy_raise(status);
  PyObject* out = rjpy_checkpoint(checkpoint);
  rj_checkpoint_free(checkpoint);
  return out;
}

static PyObject* handle_delete_checkpoint(Handle* h, PyObject* args) {
  const char *run_id, *id;
  if (!PyArg_ParseTuple(args, "ss", &run_id, &id)) return NULL;
  int deleted = 0;
  rj_status status;
  CALL(h, status, rj_delete_checkpoint(h->journal, run_id, id, &deleted));
  if (status != RJ_OK) return rjpy_raise(status);
  return PyBool_FromLong(deleted);
}

static PyObject* handle_heartbeat(Handle* h, PyObject* unused) {
  (void)unused;
  rj_status status;
  CALL(h, status, rj_heartbeat(h->journal));
  if (status != RJ_OK) return rjpy_raise(status);
  Py_RETURN_NONE;
}

#define M(name, flags) {#name, (PyCFunction)handle_##name, flags, NULL}
static PyMethodDef handle_methods[] = {
    M(close, METH_NOARGS),
    M(create_run, METH_VARARGS),
    M(append, METH_VARARGS),
    M(append_event, METH_VARARGS),
    M(append_batch, METH_VARARGS),
    M(append_batch_chunked, METH_VARARGS),
    M(run, METH_VARARGS),
    M(runs, METH_VARARGS),
    M(events, METH_VARARGS),
    M(events_after, METH_VARARGS),
    M(runs_as_of, METH_VARARGS),
    M(last_position, METH_NOARGS),
    M(follow, METH_VARARGS),
    M(rebuild, METH_VARARGS),
    M(verify, METH_VARARGS),
    M(sql, METH_VARARGS),
    M(stats, METH_NOARGS),
    M(export, METH_VARARGS),
    {"import_records", (PyCFunction)handle_import, METH_VARARGS, NULL},
    M(prune, METH_VARARGS),
    M(recover, METH_VARARGS),
    M(claim_recovered, METH_VARARGS),
    M(resume_run, METH_VARARGS),
    M(interrupt_run, METH_VARARGS),
    M(current_run, METH_VARARGS),
    M(cancel_if_live, METH_VARARGS),
    M(finish, METH_VARARGS),
    M(save_checkpoint, METH_VARARGS),
    M(latest_checkpoint, METH_VARARGS),
    M(delete_checkpoint, METH_VARARGS),
    M(heartbeat, METH_NOARGS),
    {NULL, NULL, 0, NULL},
};
#undef M

static PyGetSetDef handle_getset[] = {
    {"closed", (getter)handle_closed, NULL, "True once closed.", NULL},
    {"path", (getter)handle_path, NULL, "The path it was opened with.", NULL},
    {"read_only", (getter)handle_read_only, NULL, "True when opened read-only.", NULL},
    {"max_json_depth", (getter)handle_max_json_depth, NULL, "Its JSON nesting limit.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject rjpy_HandleType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "_runjournal.Handle",
    .tp_basicsize = sizeof(Handle),
    .tp_dealloc = (destructor)handle_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "An open journal (runjournal.Journal wraps it).",
    .tp_methods = handle_methods,
    .tp_getset = handle_getset,
};
