/* callbacks.c — Python callables as the C API's callbacks.
 *
 * The library calls these with the GIL released (the call into it released
 * it), so each takes the GIL back for the Python part and lets it go again.
 * A Python exception cannot cross C: it is kept in the Call, the call is
 * told to stop (or abort), and the caller raises it once the library has
 * returned. */
#include <time.h>

#include "rjpy.h"

_Thread_local PyObject* rjpy_id_error;

int64_t rjpy_now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void rjpy_keep_error(Call* call) {
  if (call->error_type != NULL) {
    PyErr_Clear(); /* the first exception wins */
    return;
  }
  PyErr_Fetch(&call->error_type, &call->error_value, &call->error_tb);
}

int rjpy_restore_error(Call* call) {
  if (call->error_type == NULL) return 0;
  PyErr_Restore(call->error_type, call->error_value, call->error_tb);
  call->error_type = call->error_value = call->error_tb = NULL;
  return 1;
}

/* follow: collect events until there are max_events. */
int rjpy_visit_collect(void* user, const rj_event* event) {
  Call* call = user;
  PyGILState_STATE gil = PyGILState_Ensure();
  int stop = 1;
  PyObject* item = rjpy_event(event);
  if (item == NULL || PyList_Append(call->collected, item) < 0) {
    rjpy_keep_error(call);
  } else {
    stop = PyList_GET_SIZE(call->collected) >= call->max_events;
  }
  Py_XDECREF(item);
  PyGILState_Release(gil);
  return stop;
}

/* follow, between polls: stop once something was collected (deliver it),
 * when the wait is over, when the journal is closing, or on a signal
 * (Ctrl-C raises KeyboardInterrupt in the caller). */
int rjpy_poll(void* user) {
  Call* call = user;
  if (atomic_load(&call->handle->closing)) return 1;
  if (call->deadline_ms >= 0 && rjpy_now_ms() >= call->deadline_ms) return 1;
  PyGILState_STATE gil = PyGILState_Ensure();
  int stop = PyList_GET_SIZE(call->collected) > 0;
  if (PyErr_CheckSignals() < 0) {
    rjpy_keep_error(call);
    stop = 1;
  }
  PyGILState_Release(gil);
  return stop;
}

void rjpy_progress(void* user, int64_t done, int64_t total) {
  Call* call = user;
  if (call->progress == NULL) return;
  PyGILState_STATE gil = PyGILState_Ensure();
  if (call->error_type == NULL) {
    PyObject* r = PyObject_CallFunction(call->progress, "LL", (long long)done, (long long)total);
    if (r == NULL) rjpy_keep_error(call);
    Py_XDECREF(r);
  }
  PyGILState_Release(gil);
}

/* export: write(line) for each record line (the newline added). */
int rjpy_line(void* user, const char* line, size_t length) {
  Call* call = user;
  PyGILState_STATE gil = PyGILState_Ensure();
  int abort = 1;
  PyObject* text = PyUnicode_DecodeUTF8(line, (Py_ssize_t)length, "strict");
  PyObject* r = NULL;
  if (text != NULL) {
    PyObject* newline = PyUnicode_FromString("\n");
    PyObject* full = newline ? PyUnicode_Concat(text, newline) : NULL;
    Py_XDECREF(newline);
    if (full != NULL) {
      r = PyObject_CallOneArg(call->callable, full);
      Py_DECREF(full);
    }
  }
  if (r == NULL) {
    rjpy_keep_error(call);
  } else {
    abort = 0;
  }
  Py_XDECREF(r);
  Py_XDECREF(text);
  PyGILState_Release(gil);
  return abort;
}

/* import: read(capacity) -> bytes or str ("" / b"" at the end). */
ptrdiff_t rjpy_read(void* user, char* buffer, size_t capacity) {
  Call* call = user;
  PyGILState_STATE gil = PyGILState_Ensure();
  ptrdiff_t n = -1;
  PyObject* data = PyObject_CallFunction(call->callable, "n", (Py_ssize_t)capacity);
  if (data != NULL) {
    const char* bytes = NULL;
    Py_ssize_t length = 0;
    if (PyBytes_Check(data)) {
      bytes = PyBytes_AS_STRING(data);
      length = PyBytes_GET_SIZE(data);
    } else if (PyUnicode_Check(data)) {
      bytes = PyUnicode_AsUTF8AndSize(data, &length);
    } else {
      PyErr_SetString(PyExc_TypeError, "read() must return bytes or str");
    }
    if (bytes != NULL) {
      if ((size_t)length > capacity) {
        /* str read(n) counts characters: keep what does not fit for later
         * is not possible here, so refuse plainly. */
        PyErr_SetString(PyExc_ValueError, "read(n) returned more than n bytes (open the file in binary mode)");
      } else {
        memcpy(buffer, bytes, (size_t)length);
        n = (ptrdiff_t)length;
      }
    }
  }
  if (n < 0) rjpy_keep_error(call);
  Py_XDECREF(data);
  PyGILState_Release(gil);
  return n;
}

/* append_batch_chunked: source() -> a list of event tuples, or None. */
int rjpy_chunk(void* user, rj_chunk* chunk) {
  Call* call = user;
  PyGILState_STATE gil = PyGILState_Ensure();
  int rc = 1;
  PyObject* events = PyObject_CallNoArgs(call->callable);
  if (events == Py_None) {
    rc = 0;
  } else if (events != NULL) {
    PyObject* seq = PySequence_Fast(events, "a chunk must be a sequence of events");
    if (seq != NULL) {
      rc = 0;
      const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
      for (Py_ssize_t i = 0; i < n; ++i) {
        rj_new_event event;
        if (!rjpy_new_event(PySequence_Fast_GET_ITEM(seq, i), &event)) {
          rc = 1;
          break;
        }
        /* A refusal (bad JSON) fails the whole batch after we return. */
        if (rj_chunk_add(chunk, &event) != RJ_OK) break;
      }
      Py_DECREF(seq);
    }
  }
  if (rc != 0) rjpy_keep_error(call);
  Py_XDECREF(events);
  PyGILState_Release(gil);
  return rc;
}

/* The clock cannot fail: a clock that raises is reported as unraisable
 * and the system clock stands in for that one call. */
int64_t rjpy_clock(void* user) {
  PyGILState_STATE gil = PyGILState_Ensure();
  int64_t ms = 0;
  PyObject* r = PyObject_CallNoArgs((PyObject*)user);
  if (r != NULL) ms = (int64_t)PyLong_AsLongLong(r);
  if (r == NULL || PyErr_Occurred()) {
    PyErr_WriteUnraisable((PyObject*)user);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
  }
  Py_XDECREF(r);
  PyGILState_Release(gil);
  return ms;
}

/* The id generator: its exception is kept for the thread that asked for
 * the id (the one calling create_run), which raises it. */
int rjpy_id(void* user, char* buffer, size_t capacity) {
  PyGILState_STATE gil = PyGILState_Ensure();
  int rc = 1;
  PyObject* r = PyObject_CallNoArgs((PyObject*)user);
  if (r != NULL) {
    Py_ssize_t length = 0;
    const char* id = PyUnicode_Check(r) ? PyUnicode_AsUTF8AndSize(r, &length) : NULL;
    if (id == NULL && !PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "the id generator must return a str");
    if (id != NULL && (size_t)length < capacity) {
      memcpy(buffer, id, (size_t)length + 1);
      rc = 0;
    } else if (id != NULL) {
      PyErr_SetString(PyExc_ValueError, "the id generator returned an id that is too long");
    }
  }
  if (rc != 0) {
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL) PyException_SetTraceback(value, tb);
    Py_XSETREF(rjpy_id_error, value);
    Py_XDECREF(type);
    Py_XDECREF(tb);
  }
  Py_XDECREF(r);
  PyGILState_Release(gil);
  return rc;
}
