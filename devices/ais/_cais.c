/* AIS sentences to gpsd's AIS JSON, compiled: the hot path of devices.ais.decoder (see devices/ais/native.py).
 *
 * One Decoder object per stream holds what a stream holds: the multipart fragments waiting for their
 * message (as devices.ais.assembler.AisAssembler keeps them: key channel, sequence id, fragment count;
 * in order or dropped; timeout; a bound on how many wait), the type 24 part A names (8 per channel,
 * as gpsd) and the counters. It reads the common sentence shape itself and asks the Python parser
 * (devices.ais.fast.parse, given at configure()) for any other shape, so both paths read every line
 * the same way. It renders the common message types (1, 2, 3, 4, 5, 9, 11, 18, 19, 21, 24) and hands
 * any other payload, or one of a length it does not render, to a Python callback (devices.ais.gpsd).
 *
 * decode(line) -> dict of gpsd's members, None (a fragment waiting) or (value, nbits, channel) (a
 *                 payload left to Python); raises the devices.errors classes for a refused line (counted).
 * run(lines, start, head, deferred) -> (next, text, printed): the AIS lines of lines[start:] up to the
 *                 first that is not one, as the JSON lines `main.py decode` prints (head = '{"class":"AIS"'
 *                 and the device member); refused lines are counted and skipped.
 *
 * Written defensively: every bit read is bounds checked (bits past the payload read as zeros, as
 * gpsd's buffer), every buffer grows with its input or is bounded by a checked limit.
 *
 * This file: the Python object and the module. _cais_stream.c: lines, fragments, counters.
 * _cais_render.c: the message types. _cais.h: what they share.
 */
#include "_cais.h"

static int configured = 0;

/* ------------------------------------------------------------------------------------------------ */

static PyObject *Decoder_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *names[] = {"require_checksum", "timeout", "max_pending", "clock", NULL};
    int require_checksum = 1;
    double timeout = 10.0;
    Py_ssize_t max_pending = 256;
    PyObject *clock = Py_None;
    if (!configured) { PyErr_SetString(PyExc_RuntimeError, "devices.ais._cais.configure() was not called"); return NULL; }
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|pdnO", names, &require_checksum, &timeout, &max_pending, &clock))
        return NULL;
    if (max_pending < 1 || max_pending > 1000000) { PyErr_SetString(PyExc_ValueError, "max_pending out of range"); return NULL; }
    Decoder *self = (Decoder *)type->tp_alloc(type, 0);
    if (!self) return NULL;
    self->require_checksum = require_checksum;
    self->timeout = timeout;
    self->max_pending = max_pending;
    Py_INCREF(clock);
    self->clock = clock;
    self->pending = PyMem_Calloc((size_t)max_pending, sizeof(Pending));
    if (!self->pending) { Py_DECREF(self); return PyErr_NoMemory(); }
    return (PyObject *)self;
}

static void Decoder_dealloc(Decoder *self) {
    if (self->pending) {
        for (Py_ssize_t k = 0; k < self->max_pending; k++) { Py_CLEAR(self->pending[k].seq_obj); buf_free(&self->pending[k].payload); }
        PyMem_Free(self->pending);
    }
    Py_CLEAR(self->clock);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Decoder_decode(Decoder *self, PyObject *line) {
    Buf bits = {0}, whole = {0};
    Bits p;
    int channel = 0;
    PyObject *d = PyDict_New();
    if (!d) return NULL;
    Em e = {d, NULL};
    int r = cais_process(self, line, &e, &bits, &whole, &p, &channel, 1);
    PyObject *out = NULL;
    if (r == R_DONE || r == R_PART) { out = d; d = NULL; }
    else if (r == R_NONE) { out = Py_None; Py_INCREF(out); }
    else if (r == R_DEFER) {
        PyObject *v = cais_payload_value(&p);
        if (v) out = Py_BuildValue("(Nni)", v, p.n, channel);
    }
    Py_XDECREF(d);
    buf_free(&bits);
    buf_free(&whole);
    return out;
}

/* one AIS line of run(): its JSON line appended to text (or nothing); 0, or -1 with an exception set */
static int run_line(Decoder *self, PyObject *line, Buf *text, const char *headp, Py_ssize_t headlen, Buf *bits,
                    Buf *whole, PyObject *deferred, Py_ssize_t *printed) {
    Py_ssize_t mark = text->len;
    if (buf_put(text, headp, headlen) < 0) return -1;
    Em e = {NULL, text};
    Bits p;
    int channel = 0;
    int r = cais_process(self, line, &e, bits, whole, &p, &channel, 0);
    if (r == R_ERROR) {
        text->len = mark;
        return cais_refused_from_python(self, 0) == R_REFUSED ? 0 : -1;
    }
    if (r == R_DONE) {
        if (buf_put(text, "}\n", 2) < 0) return -1;
        (*printed)++;
        return 0;
    }
    text->len = mark;
    if (r != R_DEFER) return 0;
    /* rendered in Python: one JSON line, or None when nothing is printed, or refused */
    PyObject *v = cais_payload_value(&p);
    if (!v) return -1;
    PyObject *t = PyObject_CallFunction(deferred, "Nnn", v, p.n, (Py_ssize_t)channel);
    if (!t) return cais_refused_from_python(self, 0) == R_REFUSED ? 0 : -1;
    int ok = 0;
    if (t != Py_None) {
        Py_ssize_t tl;
        const char *ts = PyUnicode_Check(t) ? PyUnicode_AsUTF8AndSize(t, &tl) : NULL;
        if (!ts || buf_put(text, ts, tl) < 0 || buf_put(text, "\n", 1) < 0) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "the deferred renderer must return a str");
            ok = -1;
        } else (*printed)++;
    }
    Py_DECREF(t);
    return ok;
}

static PyObject *Decoder_run(Decoder *self, PyObject *args) {
    PyObject *lines, *head, *deferred;
    Py_ssize_t start;
    if (!PyArg_ParseTuple(args, "O!nUO", &PyList_Type, &lines, &start, &head, &deferred)) return NULL;
    Py_ssize_t headlen;
    const char *headp = PyUnicode_AsUTF8AndSize(head, &headlen);
    if (!headp) return NULL;
    Buf text = {0}, bits = {0}, whole = {0};
    Py_ssize_t i = start < 0 ? 0 : start, printed = 0;
    PyObject *result = NULL;
    Py_INCREF(lines);
    Py_INCREF(head);
    for (; i < PyList_GET_SIZE(lines); i++) {
        PyObject *line = PyList_GET_ITEM(lines, i);
        if (!PyUnicode_Check(line) || PyUnicode_GET_LENGTH(line) == 0) break;
        Py_UCS4 first = PyUnicode_READ_CHAR(line, 0);
        if (first != '!' && first != '\\') break;
        Py_INCREF(line); /* held while Python code runs (the parser, a renderer) */
        int r = run_line(self, line, &text, headp, headlen, &bits, &whole, deferred, &printed);
        Py_DECREF(line);
        if (r < 0) goto done;
    }
    {
        PyObject *s = PyUnicode_DecodeUTF8(text.p ? text.p : "", text.len, "strict");
        if (s) result = Py_BuildValue("(nNn)", i, s, printed);
    }
done:
    Py_DECREF(head);
    Py_DECREF(lines);
    buf_free(&text);
    buf_free(&bits);
    buf_free(&whole);
    return result;
}

static PyObject *Decoder_expire(Decoder *self, PyObject *args) {
    PyObject *now_obj = Py_None;
    if (!PyArg_ParseTuple(args, "|O", &now_obj)) return NULL;
    double now;
    if (now_obj == Py_None) { if (cais_now(self, &now) < 0) return NULL; }
    else { now = PyFloat_AsDouble(now_obj); if (now == -1.0 && PyErr_Occurred()) return NULL; }
    return PyLong_FromSsize_t(cais_expire(self, now));
}

static PyObject *Decoder_counts(Decoder *self, PyObject *Py_UNUSED(ignored)) {
    PyObject *by = PyDict_New();
    if (!by) return NULL;
    for (int t = 0; t < 64; t++) {
        if (!self->by_type[t]) continue;
        PyObject *k = PyLong_FromLong(t), *v = PyLong_FromLongLong(self->by_type[t]);
        if (!k || !v || PyDict_SetItem(by, k, v) < 0) { Py_XDECREF(k); Py_XDECREF(v); Py_DECREF(by); return NULL; }
        Py_DECREF(k); Py_DECREF(v);
    }
    return Py_BuildValue("(LLLLLLN)", self->sentences, self->messages, self->checksum_errors, self->unknown,
                         self->malformed, self->incomplete, by);
}

static PyObject *Decoder_errors(Decoder *self, PyObject *Py_UNUSED(ignored)) {
    return Py_BuildValue("(LLLL)", self->sentences, self->checksum_errors, self->unknown, self->malformed);
}

static PyObject *Decoder_get_pending(Decoder *self, void *Py_UNUSED(c)) { return PyLong_FromSsize_t(self->npending); }
static PyObject *Decoder_get_incomplete(Decoder *self, void *Py_UNUSED(c)) { return PyLong_FromLongLong(self->incomplete); }

static PyMethodDef Decoder_methods[] = {
    {"decode", (PyCFunction)Decoder_decode, METH_O, "decode(line) -> dict | None | (value, nbits, channel)"},
    {"run", (PyCFunction)Decoder_run, METH_VARARGS, "run(lines, start, head, deferred) -> (next, text, printed)"},
    {"expire", (PyCFunction)Decoder_expire, METH_VARARGS, "expire(now=None) -> fragments dropped"},
    {"counts", (PyCFunction)Decoder_counts, METH_NOARGS,
     "(sentences, messages, checksum_errors, unknown, malformed, incomplete, by_type)"},
    {"errors", (PyCFunction)Decoder_errors, METH_NOARGS, "(sentences, checksum_errors, unknown, malformed)"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Decoder_getset[] = {
    {"pending", (getter)Decoder_get_pending, NULL, "messages waiting for fragments", NULL},
    {"incomplete", (getter)Decoder_get_incomplete, NULL, "messages dropped with fragments missing", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject DecoderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "devices.ais._cais.Decoder",
    .tp_basicsize = sizeof(Decoder),
    .tp_dealloc = (destructor)Decoder_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The AIS sentences of one stream to gpsd's members or JSON lines.",
    .tp_methods = Decoder_methods,
    .tp_getset = Decoder_getset,
    .tp_new = Decoder_new,
};

static int check_tuple(PyObject *t, Py_ssize_t n, const char *what) {
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != n) {
        PyErr_Format(PyExc_TypeError, "%s must be a tuple of %zd", what, n);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *o = PyTuple_GET_ITEM(t, i);
        if (!PyUnicode_Check(o) && !PyLong_Check(o)) { PyErr_Format(PyExc_TypeError, "%s holds str or int", what); return -1; }
    }
    return 0;
}

static PyObject *configure(PyObject *Py_UNUSED(m), PyObject *args) {
    PyObject *cs, *un, *ma, *parse, *nav, *epfd, *ship, *aid, *turn;
    if (!PyArg_ParseTuple(args, "OOOOOOOOO", &cs, &un, &ma, &parse, &nav, &epfd, &ship, &aid, &turn)) return NULL;
    if (check_tuple(nav, 16, "nav_status") < 0 || check_tuple(epfd, 16, "epfd") < 0 ||
        check_tuple(ship, 256, "ship_type") < 0 || check_tuple(aid, 32, "aid_type") < 0 ||
        check_tuple(turn, 256, "turn") < 0)
        return NULL;
    PyObject *refused = PyTuple_Pack(3, cs, un, ma);
    if (!refused) return NULL;
    Py_XSETREF(RefusedTuple, refused);
    Py_INCREF(cs); Py_XSETREF(ExcChecksum, cs);
    Py_INCREF(un); Py_XSETREF(ExcUnknown, un);
    Py_INCREF(ma); Py_XSETREF(ExcMalformed, ma);
    Py_INCREF(parse); Py_XSETREF(ParseFallback, parse);
    Py_INCREF(nav); Py_XSETREF(NavStatus, nav);
    Py_INCREF(epfd); Py_XSETREF(Epfd, epfd);
    Py_INCREF(ship); Py_XSETREF(ShipType, ship);
    Py_INCREF(aid); Py_XSETREF(AidType, aid);
    Py_INCREF(turn); Py_XSETREF(Turn, turn);
    configured = 1;
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"configure", configure, METH_VARARGS,
     "configure(ChecksumError, UnknownSentenceError, MalformedSentenceError, parse, nav_status, epfd, ship_type, "
     "aid_type, turn)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {PyModuleDef_HEAD_INIT, "devices.ais._cais", NULL, -1, module_methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__cais(void) {
    if (cais_keys_init() < 0) return NULL;
    if (PyType_Ready(&DecoderType) < 0) return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (!m) return NULL;
    Py_INCREF(&DecoderType);
    if (PyModule_AddObject(m, "Decoder", (PyObject *)&DecoderType) < 0) { Py_DECREF(&DecoderType); Py_DECREF(m); return NULL; }
    return m;
}
