/* values.c — runs, events and checkpoints as plain tuples, in the order of
 * the `runs` and `events` columns; the runjournal package makes its typed
 * objects of them (JSON columns stay text here and are parsed there). */
#include "rjpy.h"

static PyObject* optional_int(int has, int64_t value) {
  return has ? PyLong_FromLongLong(value) : Py_NewRef(Py_None);
}

PyObject* rjpy_run(const rj_run* run) {
  int64_t finished = 0;
  const int has_finished = rj_run_finished_at_ms(run, &finished);
  const int has_driver = rj_run_has_driver(run);
  PyObject* finished_at = optional_int(has_finished, finished);
  PyObject* pid = optional_int(has_driver, rj_run_driver_pid(run));
  PyObject* start = optional_int(has_driver, rj_run_driver_start_time(run));
  PyObject* result = NULL;
  if (finished_at && pid && start) {
    result = Py_BuildValue("(ssssszzzzzzzLLOLLLLzOOzzzz)", rj_run_id(run), rj_run_session_id(run),
                           rj_run_status_name(rj_run_get_status(run)), rj_run_prompt(run), rj_run_inputs_json(run),
                           rj_run_outputs_json(run), rj_run_metadata_json(run), rj_run_result_text(run),
                           rj_run_error(run), rj_run_status_reason(run), rj_run_checkpoint_id(run),
                           rj_run_checkpoint_json(run), (long long)rj_run_created_at_ms(run),
                           (long long)rj_run_updated_at_ms(run), finished_at, (long long)rj_run_first_position(run),
                           (long long)rj_run_event_count(run), (long long)rj_run_last_seq(run),
                           (long long)rj_run_last_position(run), rj_run_driver_host(run), pid, start,
                           rj_run_driver_boot_id(run), rj_run_agent_spec_digest(run), rj_run_git_sha(run),
                           rj_run_final_state_digest(run));
  }
  Py_XDECREF(finished_at);
  Py_XDECREF(pid);
  Py_XDECREF(start);
  return result;
}

PyObject* rjpy_event(const rj_event* event) {
  return Py_BuildValue("(LsLLssz)", (long long)rj_event_position(event), rj_event_run_id(event),
                       (long long)rj_event_seq(event), (long long)rj_event_ts_ms(event), rj_event_kind(event),
                       rj_event_payload_json(event), rj_event_idempotency_key(event));
}

PyObject* rjpy_event_object(const rj_event* event) {
  if (rjpy_event_class == NULL || rjpy_loads == NULL) {
    PyErr_SetString(PyExc_RuntimeError, "runjournal's types are not registered");
    return NULL;
  }
  const char* text = rj_event_payload_json(event);
  PyObject* str = PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "strict");
  PyObject* payload = str ? PyObject_CallOneArg(rjpy_loads, str) : NULL;
  Py_XDECREF(str);
  if (payload == NULL) return NULL;
  const char* key = rj_event_idempotency_key(event);
  PyObject* fields = Py_BuildValue("(LsLLsNz)", (long long)rj_event_position(event), rj_event_run_id(event),
                                   (long long)rj_event_seq(event), (long long)rj_event_ts_ms(event),
                                   rj_event_kind(event), payload, key);
  if (fields == NULL) return NULL;
  /* tuple.__new__(Event, fields): what a NamedTuple's __new__ does, without
   * running Python code. */
  PyObject* args = PyTuple_Pack(1, fields);
  Py_DECREF(fields);
  if (args == NULL) return NULL;
  PyObject* out = PyTuple_Type.tp_new((PyTypeObject*)rjpy_event_class, args, NULL);
  Py_DECREF(args);
  return out;
}

PyObject* rjpy_checkpoint(const rj_checkpoint* checkpoint) {
  if (checkpoint == NULL) Py_RETURN_NONE;
  return Py_BuildValue("(sss)", rj_checkpoint_id(checkpoint), rj_checkpoint_state_json(checkpoint),
                       rj_checkpoint_payload_json(checkpoint));
}

PyObject* rjpy_run_list(rj_run_list* list) {
  const size_t n = rj_run_list_count(list);
  PyObject* out = PyList_New((Py_ssize_t)n);
  for (size_t i = 0; out != NULL && i < n; ++i) {
    PyObject* run = rjpy_run(rj_run_list_at(list, i));
    if (run == NULL) {
      Py_CLEAR(out);
      break;
    }
    PyList_SET_ITEM(out, (Py_ssize_t)i, run);
  }
  rj_run_list_free(list);
  return out;
}

PyObject* rjpy_event_list(rj_event_list* list) {
  const size_t n = rj_event_list_count(list);
  PyObject* out = PyList_New((Py_ssize_t)n);
  for (size_t i = 0; out != NULL && i < n; ++i) {
    PyObject* event = rjpy_event(rj_event_list_at(list, i));
    if (event == NULL) {
      Py_CLEAR(out);
      break;
    }
    PyList_SET_ITEM(out, (Py_ssize_t)i, event);
  }
  rj_event_list_free(list);
  return out;
}

PyObject* rjpy_json(const char* text, size_t length) {
  if (text == NULL) Py_RETURN_NONE;
  static PyObject* loads;
  if (loads == NULL) {
    PyObject* json = PyImport_ImportModule("json");
    if (json == NULL) return NULL;
    loads = PyObject_GetAttrString(json, "loads");
    Py_DECREF(json);
    if (loads == NULL) return NULL;
  }
  PyObject* str = PyUnicode_DecodeUTF8(text, (Py_ssize_t)length, "strict");
  if (str == NULL) return NULL;
  PyObject* value = PyObject_CallOneArg(loads, str);
  Py_DECREF(str);
  return value;
}

int rjpy_optional_int64(PyObject* value, int64_t* out, const char* what) {
  if (value == Py_None) return 0;
  long long v = PyLong_AsLongLong(value);
  if (v == -1 && PyErr_Occurred()) {
    PyErr_Format(PyExc_TypeError, "%s must be an int or None", what);
    return -1;
  }
  *out = (int64_t)v;
  return 1;
}
