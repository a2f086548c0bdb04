/* module.c — the _runjournal module: versions, the exception registry,
 * parse_cutoff and open. */
#include "rjpy.h"

/* status -> exception class, registered by the runjournal package. */
static PyObject* g_errors;   /* dict */
static PyObject* g_fallback; /* runjournal.Error until registered */

static PyObject* error_class(rj_status status) {
  PyObject* key = PyLong_FromLong((long)status);
  if (key == NULL) return NULL;
  PyObject* cls = g_errors ? PyDict_GetItemWithError(g_errors, key) : NULL;
  Py_DECREF(key);
  if (cls == NULL && PyErr_Occurred()) return NULL;
  return cls ? cls : (g_fallback ? g_fallback : PyExc_RuntimeError);
}

static PyObject* raise_with(rj_status status, const char* message, int64_t batch_index) {
  PyObject* cls = error_class(status);
  if (cls == NULL) return NULL;
  PyObject* error = PyObject_CallFunction(cls, "s", message);
  if (error == NULL) return NULL;
  PyObject* code = PyLong_FromLong((long)status);
  PyObject* name = PyUnicode_FromString(rj_status_name(status));
  PyObject* index = batch_index >= 0 ? PyLong_FromLongLong(batch_index) : Py_NewRef(Py_None);
  if (code && name && index && PyObject_SetAttrString(error, "code", code) == 0 &&
      PyObject_SetAttrString(error, "status", name) == 0 && PyObject_SetAttrString(error, "batch_index", index) == 0) {
    PyErr_SetObject((PyObject*)Py_TYPE(error), error);
  }
  Py_XDECREF(code);
  Py_XDECREF(name);
  Py_XDECREF(index);
  Py_DECREF(error);
  return NULL;
}

PyObject* rjpy_raise(rj_status status) {
  return raise_with(status, rj_last_error_message(), rj_last_error_batch_index());
}

PyObject* rjpy_raise_message(rj_status status, const char* message) { return raise_with(status, message, -1); }

static PyObject* register_errors(PyObject* self, PyObject* args) {
  (void)self;
  PyObject* errors;
  PyObject* fallback;
  if (!PyArg_ParseTuple(args, "O!O", &PyDict_Type, &errors, &fallback)) return NULL;
  Py_XSETREF(g_errors, Py_NewRef(errors));
  Py_XSETREF(g_fallback, Py_NewRef(fallback));
  Py_RETURN_NONE;
}

PyObject* rjpy_event_class;
PyObject* rjpy_dumps;
PyObject* rjpy_loads;

static PyObject* register_types(PyObject* self, PyObject* args) {
  (void)self;
  PyObject *event, *dumps, *loads;
  if (!PyArg_ParseTuple(args, "O!OO", &PyType_Type, &event, &dumps, &loads)) return NULL;
  if (!PyType_IsSubtype((PyTypeObject*)event, &PyTuple_Type)) {
    PyErr_SetString(PyExc_TypeError, "Event must be a tuple type");
    return NULL;
  }
  Py_XSETREF(rjpy_event_class, Py_NewRef(event));
  Py_XSETREF(rjpy_dumps, Py_NewRef(dumps));
  Py_XSETREF(rjpy_loads, Py_NewRef(loads));
  Py_RETURN_NONE;
}

static PyObject* version(PyObject* self, PyObject* unused) {
  (void)self;
  (void)unused;
  return PyUnicode_FromString(rj_version());
}

static PyObject* abi_version(PyObject* self, PyObject* unused) {
  (void)self;
  (void)unused;
  return PyLong_FromLong(rj_abi_version());
}

static PyObject* sqlite_version(PyObject* self, PyObject* unused) {
  (void)self;
  (void)unused;
  return PyUnicode_FromString(rj_sqlite_version());
}

static PyObject* sqlite_json_max_depth(PyObject* self, PyObject* unused) {
  (void)self;
  (void)unused;
  return PyLong_FromSize_t(rj_sqlite_json_max_depth());
}

static PyObject* status_name(PyObject* self, PyObject* args) {
  (void)self;
  int status;
  if (!PyArg_ParseTuple(args, "i", &status)) return NULL;
  return PyUnicode_FromString(rj_status_name((rj_status)status));
}

static PyObject* parse_cutoff(PyObject* self, PyObject* args) {
  (void)self;
  const char* text;
  long long now_ms;
  if (!PyArg_ParseTuple(args, "sL", &text, &now_ms)) return NULL;
  int64_t out = 0;
  rj_status status = rj_parse_cutoff(text, (int64_t)now_ms, &out);
  if (status != RJ_OK) return rjpy_raise(status);
  return PyLong_FromLongLong(out);
}

/* open(path, create_if_missing, durability, max_payload_bytes,
 *      max_kind_bytes, busy_timeout_ms, clock, id_generator, vfs, driver,
 *      lease_ttl_ms, read_only, max_json_depth): each option None for the
 *      library's default. */
static PyObject* open_journal(PyObject* self, PyObject* args) {
  (void)self;
  const char* path;
  PyObject *create, *durability, *max_payload, *max_kind, *busy, *clock, *id_generator, *vfs, *driver, *lease;
  PyObject *read_only, *max_depth;
  if (!PyArg_ParseTuple(args, "sOOOOOOOOOOOO", &path, &create, &durability, &max_payload, &max_kind, &busy, &clock,
                        &id_generator, &vfs, &driver, &lease, &read_only, &max_depth)) {
    return NULL;
  }
  Handle* h = PyObject_New(Handle, &rjpy_HandleType);
  if (h == NULL) return NULL;
  h->journal = NULL;
  pthread_mutex_init(&h->mu, NULL);
  pthread_cond_init(&h->idle, NULL);
  h->calls = 0;
  atomic_init(&h->closing, 0);
  h->clock = clock == Py_None ? NULL : Py_NewRef(clock);
  h->id_generator = id_generator == Py_None ? NULL : Py_NewRef(id_generator);

  rj_options* options = NULL;
  rj_status status = rj_options_new(&options);
  int64_t value = 0;
  int has = 0;
#define OPTION(call)                     \
  do {                                   \
    if (status == RJ_OK) status = (call); \
  } while (0)
  if (create != Py_None) OPTION(rj_options_set_create_if_missing(options, PyObject_IsTrue(create)));
  if (read_only != Py_None) OPTION(rj_options_set_read_only(options, PyObject_IsTrue(read_only)));
  if ((has = rjpy_optional_int64(max_depth, &value, "max_json_depth")) < 0) goto fail;
  if (has) OPTION(rj_options_set_max_json_depth(options, (size_t)value));
  if ((has = rjpy_optional_int64(durability, &value, "durability")) < 0) goto fail;
  if (has) OPTION(rj_options_set_durability(options, (rj_durability)value));
  if ((has = rjpy_optional_int64(max_payload, &value, "max_payload_bytes")) < 0) goto fail;
  if (has) OPTION(rj_options_set_max_payload_bytes(options, (size_t)value));
  if ((has = rjpy_optional_int64(max_kind, &value, "max_kind_bytes")) < 0) goto fail;
  if (has) OPTION(rj_options_set_max_kind_bytes(options, (size_t)value));
  if ((has = rjpy_optional_int64(busy, &value, "busy_timeout_ms")) < 0) goto fail;
  if (has) OPTION(rj_options_set_busy_timeout_ms(options, value));
  if ((has = rjpy_optional_int64(lease, &value, "lease_ttl_ms")) < 0) goto fail;
  if (has) OPTION(rj_options_set_lease_ttl_ms(options, value));
  if (h->clock) OPTION(rj_options_set_clock(options, rjpy_clock, h->clock));
  if (h->id_generator) OPTION(rj_options_set_id_generator(options, rjpy_id, h->id_generator));
  if (vfs != Py_None) {
    const char* name = PyUnicode_AsUTF8(vfs);
    if (name == NULL) goto fail;
    OPTION(rj_options_set_vfs(options, name));
  }
  if (driver != Py_None) {
    const char *host, *boot_id;
    long long pid, start_time;
    if (!PyArg_ParseTuple(driver, "sLLs", &host, &pid, &start_time, &boot_id)) goto fail;
    OPTION(rj_options_set_driver(options, host, (int64_t)pid, (int64_t)start_time, boot_id));
  }
#undef OPTION
  if (status == RJ_OK) {
    rj_journal* journal = NULL;
    Py_BEGIN_ALLOW_THREADS
    status = rj_open(path, options, &journal);
    Py_END_ALLOW_THREADS
    h->journal = journal;
  }
  rj_options_free(options);
  if (status != RJ_OK) {
    rjpy_raise(status);
    Py_DECREF(h);
    return NULL;
  }
  return (PyObject*)h;
fail:
  rj_options_free(options);
  Py_DECREF(h);
  return NULL;
}

static PyMethodDef methods[] = {
    {"_register_errors", register_errors, METH_VARARGS, "Registers the exception class of each status."},
    {"_register_types", register_types, METH_VARARGS, "Registers runjournal.Event and the JSON codecs."},
    {"version", version, METH_NOARGS, "The library's version."},
    {"abi_version", abi_version, METH_NOARGS, "The C ABI version of the linked library."},
    {"sqlite_version", sqlite_version, METH_NOARGS, "The SQLite version the library runs on."},
    {"sqlite_json_max_depth", sqlite_json_max_depth, METH_NOARGS, "The deepest JSON nesting SQLite reads."},
    {"status_name", status_name, METH_VARARGS, "The stable name of a status code."},
    {"parse_cutoff", parse_cutoff, METH_VARARGS, "A prune cut-off as Unix milliseconds."},
    {"open", open_journal, METH_VARARGS, "Opens a journal."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_runjournal", "runjournal's C API, for the runjournal package.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__runjournal(void) {
  if (PyType_Ready(&rjpy_HandleType) < 0) return NULL;
  PyObject* m = PyModule_Create(&module);
  if (m == NULL) return NULL;
  if (PyModule_AddIntConstant(m, "ABI_VERSION", RJ_ABI_VERSION) < 0 ||
      PyModule_AddObjectRef(m, "Handle", (PyObject*)&rjpy_HandleType) < 0) {
    Py_DECREF(m);
    return NULL;
  }
  return m;
}
