/* _cnmea: the NMEA side of `main.py decode` in C, the same as the Python path, byte for byte.
 *
 * One `Decoder` object does what devices.lines.LineFramer + devices.nmea.cycle.EpochAssembler
 * (with devices.nmea.rules, devices.nmea.sky, devices.nmea.receiver) + the TPV/SKY/ATT writers
 * of devices.gpsd_json do for the `$` lines of a capture: bytes in, gpsd JSON text out.  Lines that
 * are not NMEA (AIS `!`/`\`, gpsd JSON `{`) are handed back as bytes, in their place in the output,
 * for the Python decoders.  See devices/nmea/native.py for how it is used and when it is not.
 *
 * The tables (sentence kinds, minimum field counts, talkers, status tables, PRN ranges, the
 * geoid grid) are read from the Python modules when a Decoder is made, so there is one copy of
 * them; a rule the C side does not know makes the constructor fail (the caller then stays on the
 * Python path).  Where Python semantics are awkward to copy (float() of an unusual number, the
 * Vincenty distance with Python's own hypot) the C code calls Python itself.
 *
 * Every buffer is sized from its input and grown as needed: no fixed-size buffer holds input.
 *
 * One translation unit in five files (everything static): _cnmea_text.h (buffers, fields, numbers),
 * _cnmea_state.h (the Decoder's state, dates, PRNs), _cnmea_rules.h (the sentence rules),
 * _cnmea_cycle.h (the cycle and the reports), then here the line, the framer and the type.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "_cnmea_text.h"
#include "_cnmea_state.h"
#include "_cnmea_rules.h"
#include "_cnmea_cycle.h"

/* ------------------------------------------------------------------ one NMEA line */
static int is_space(unsigned char c) { return c == ' ' || (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x1f); }

static int hexval(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int lookup_kind(Decoder *self, Field tag) {
    for (int k = 0; k < self->nkinds; k++) {
        Kind *kd = &self->kinds[k];
        if (kd->proprietary && kd->len == tag.n && memcmp(kd->name, tag.p, (size_t)tag.n) == 0) return k;
    }
    if (tag.n == 5) {
        int ok = tag.p[0] == 'P';
        uint16_t t = (uint16_t)(tag.p[0] << 8 | tag.p[1]);
        for (int i = 0; !ok && i < self->ntalkers; i++) ok = self->talkers[i] == t;
        if (ok) {
            for (int k = 0; k < self->nkinds; k++) {
                Kind *kd = &self->kinds[k];
                if (!kd->proprietary && kd->len == 3 && memcmp(kd->name, tag.p + 2, 3) == 0) return k;
            }
        }
    }
    return -1;
}

static int add_field(Decoder *self, const unsigned char *p, Py_ssize_t n) {
    if (self->nfields == self->capfields) {
        Py_ssize_t cap = self->capfields ? self->capfields * 2 : 64;
        Field *np = PyMem_Realloc(self->fields, (size_t)cap * sizeof(Field));
        if (!np) { PyErr_NoMemory(); return -1; }
        self->fields = np;
        self->capfields = cap;
    }
    self->fields[self->nfields].p = p;
    self->fields[self->nfields].n = n;
    self->nfields++;
    return 0;
}

/* a line starting with '$' (no line ending): 0, or -1 with a Python error */
static int nmea_line(Decoder *self, const unsigned char *line, Py_ssize_t n) {
    while (n > 0 && is_space(line[n - 1])) n--;
    if (n < 4 || line[0] != '$') { self->malformed++; return 0; }
    const unsigned char *body = line + 1;
    Py_ssize_t rest = n - 1, blen = rest;
    const unsigned char *star = memchr(body, '*', (size_t)rest);
    if (star) {
        blen = star - body;
        Py_ssize_t glen = rest - blen - 1;
        if (glen < 2) { self->checksum_errors++; return 0; }
        int h = hexval(star[1]), l = hexval(star[2]);
        if (h >= 0 && l >= 0) {
            unsigned x = 0;
            for (Py_ssize_t i = 0; i < blen; i++) x ^= body[i] < 0x80 ? body[i] : 0xED; /* U+FFFD in UTF-8 */
            if ((unsigned)(h * 16 + l) != x) { self->checksum_errors++; return 0; }
        }
    }
    self->nfields = 0;
    const unsigned char *p = body, *end = body + blen;
    for (;;) {
        const unsigned char *c = memchr(p, ',', (size_t)(end - p));
        if (!c) {
            if (add_field(self, p, end - p) < 0) return -1;
            break;
        }
        if (add_field(self, p, c - p) < 0) return -1;
        p = c + 1;
    }
    if (!star) {
        self->nfields--;
        if (self->nfields == 0) { self->malformed++; return 0; }
    }
    int kind = lookup_kind(self, self->fields[0]);
    if (kind < 0) { self->unknown++; return 0; }
    int r = sentence(self, kind);
    if (r == E_PY) return -1;
    if (r == E_BAD) { self->malformed++; return 0; }
    self->sentences++;
    return 0;
}

/* ------------------------------------------------------------------ framing */
static int flush_text(Decoder *self) {
    if (!self->out.n) return 0;
    PyObject *s = PyUnicode_DecodeASCII(self->out.p, (Py_ssize_t)self->out.n, "replace");
    if (!s) return -1;
    int r = PyList_Append(self->items, s);
    Py_DECREF(s);
    self->out.n = 0;
    return r;
}

static int segment(Decoder *self, const unsigned char *raw, Py_ssize_t n) {
    if (n == 0) return 0;
    self->lines++;
    if (n > self->max_line) { self->too_long++; return 0; }
    if (raw[0] == '\\') { /* an NMEA 4 tag block before a '$' sentence is skipped (devices/lines.py) */
        const unsigned char *e = memchr(raw + 1, '\\', (size_t)(n - 1));
        if (e && e + 1 < raw + n && e[1] == '$') { n -= e + 1 - raw; raw = e + 1; }
    }
    if (n >= 2 && raw[0] == '$' && raw[1] == '$') {
        while (n > 1 && raw[1] == '$') { raw++; n--; }
    } else if (!(raw[0] == '$' || raw[0] == '!' || raw[0] == '{' || raw[0] == '\\')) {
        if (raw[0] == '#') { self->comments++; return 0; }
        Py_ssize_t best = -1;
        for (Py_ssize_t i = 0; i < n; i++)
            if (raw[i] == '$' || raw[i] == '!' || raw[i] == '{') { best = i; break; }
        if (best < 0) { self->garbage++; return 0; }
        raw += best;
        n -= best;
    }
    if (raw[0] == '$') return nmea_line(self, raw, n);
    if (flush_text(self) < 0) return -1;
    PyObject *b = PyBytes_FromStringAndSize((const char *)raw, n);
    if (!b) return -1;
    int r = PyList_Append(self->items, b);
    Py_DECREF(b);
    return r;
}

static Py_ssize_t first_eol(const unsigned char *p, Py_ssize_t n) {
    if (n <= 0) return -1;
    const unsigned char *lf = memchr(p, '\n', (size_t)n);
    const unsigned char *cr = memchr(p, '\r', (size_t)(lf ? lf - p : n));
    if (cr) return cr - p;
    return lf ? lf - p : -1;
}

static int set_tail(Decoder *self, const unsigned char *p, Py_ssize_t n) {
    if (n > self->max_line) {
        self->too_long++;
        self->lines++;
        self->skipping = 1;
        self->fbuf.n = 0;
        return 0;
    }
    Buf tmp = {0};
    if (n && buf_add(&tmp, (const char *)p, (size_t)n) < 0) return -1;
    PyMem_Free(self->fbuf.p);
    self->fbuf = tmp;
    return 0;
}

static int frame(Decoder *self, const unsigned char *data, Py_ssize_t len) {
    if (self->skipping) {
        Py_ssize_t cut = first_eol(data, len);
        if (cut < 0) return 0;
        self->skipping = 0;
        data += cut;
        len -= cut;
    }
    if (self->fbuf.n) {
        Py_ssize_t e = first_eol(data, len);
        Buf joined = {0};
        if (buf_add(&joined, self->fbuf.p, self->fbuf.n) < 0) return -1;
        if (buf_add(&joined, (const char *)data, (size_t)(e < 0 ? len : e)) < 0) { PyMem_Free(joined.p); return -1; }
        self->fbuf.n = 0;
        int r;
        if (e < 0) {
            r = set_tail(self, (const unsigned char *)joined.p, (Py_ssize_t)joined.n);
            PyMem_Free(joined.p);
            return r;
        }
        r = segment(self, (const unsigned char *)joined.p, (Py_ssize_t)joined.n);
        PyMem_Free(joined.p);
        if (r < 0) return -1;
        data += e;
        len -= e;
    }
    Py_ssize_t i = 0;
    for (;;) {
        Py_ssize_t e = first_eol(data + i, len - i);
        if (e < 0) return set_tail(self, data + i, len - i);
        if (segment(self, data + i, e) < 0) return -1;
        i += e + 1;
    }
}

/* ------------------------------------------------------------------ the type */
static PyObject *finish_items(Decoder *self) {
    if (flush_text(self) < 0) {
        Py_CLEAR(self->items);
        return NULL;
    }
    PyObject *items = self->items;
    self->items = NULL;
    return items;
}

static PyObject *Decoder_feed(Decoder *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    self->out.n = 0;
    self->items = PyList_New(0);
    if (!self->items) { PyBuffer_Release(&view); return NULL; }
    int r = frame(self, (const unsigned char *)view.buf, view.len);
    PyBuffer_Release(&view);
    if (r < 0) { Py_CLEAR(self->items); self->out.n = 0; return NULL; }
    return finish_items(self);
}

static PyObject *Decoder_close(Decoder *self, PyObject *Py_UNUSED(ignored)) {
    self->out.n = 0;
    self->items = PyList_New(0);
    if (!self->items) return NULL;
    int skipping = self->skipping;
    self->skipping = 0;
    if (!skipping && self->fbuf.n) {
        Buf tail = self->fbuf;
        self->fbuf.p = NULL;
        self->fbuf.n = self->fbuf.cap = 0;
        int r = buf_add(&tail, "\n", 1);
        if (r == 0) r = frame(self, (const unsigned char *)tail.p, (Py_ssize_t)tail.n);
        PyMem_Free(tail.p);
        if (r < 0) { Py_CLEAR(self->items); return NULL; }
    }
    self->fbuf.n = 0;
    if (flush_cycle(self) < 0) { Py_CLEAR(self->items); return NULL; }
    return finish_items(self);
}

/* a Python table read into C; -1 with an error set if it is not what the C side knows */
static int load_tables(Decoder *self) {
    int ok = -1;
    PyObject *rules = PyImport_ImportModule("devices.nmea.rules");
    PyObject *sky = rules ? PyImport_ImportModule("devices.nmea.sky") : NULL;
    PyObject *geoidm = sky ? PyImport_ImportModule("devices.nmea.geoid") : NULL;
    PyObject *geodesy = geoidm ? PyImport_ImportModule("devices.nmea.geodesy") : NULL;
    PyObject *std = NULL, *prop = NULL, *minf = NULL, *split = NULL, *talkers = NULL, *faa = NULL, *gga = NULL;
    PyObject *ranges = NULL, *grid = NULL;
    if (!geodesy) goto done;
    self->geodesic = PyObject_GetAttrString(geodesy, "geodesic_distance");
    std = PyObject_GetAttrString(rules, "STANDARD");
    prop = PyObject_GetAttrString(rules, "PROPRIETARY");
    minf = PyObject_GetAttrString(rules, "MIN_FIELDS");
    split = PyObject_GetAttrString(rules, "SPLIT_KINDS");
    talkers = PyObject_GetAttrString(rules, "TALKERS");
    faa = PyObject_GetAttrString(rules, "_FAA_STATUS");
    gga = PyObject_GetAttrString(rules, "_GGA_STATUS");
    ranges = PyObject_GetAttrString(sky, "_RANGES");
    grid = PyObject_GetAttrString(geoidm, "_GRID");
    if (!self->geodesic || !std || !prop || !minf || !split || !talkers || !faa || !gga || !ranges || !grid) goto done;
    if (!PyDict_Check(std) || !PyDict_Check(prop) || !PyDict_Check(minf) || !PyDict_Check(faa) || !PyDict_Check(gga)) {
        PyErr_SetString(PyExc_TypeError, "unexpected rule tables");
        goto done;
    }
    self->nkinds = 0;
    PyObject *tables[2] = {std, prop};
    for (int t = 0; t < 2; t++) {
        PyObject *key, *fn;
        Py_ssize_t pos = 0;
        while (PyDict_Next(tables[t], &pos, &key, &fn)) {
            Py_ssize_t n;
            const char *name = PyUnicode_Check(key) ? PyUnicode_AsUTF8AndSize(key, &n) : NULL;
            if (!name) { if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "kind"); goto done; }
            if (n >= MAX_NAME || self->nkinds >= MAX_KINDS || (t == 0 && n != 3)) {
                PyErr_Format(PyExc_ValueError, "sentence kind %s does not fit", name);
                goto done;
            }
            PyObject *fname = PyObject_GetAttrString(fn, "__name__");
            if (!fname) goto done;
            const char *fs = PyUnicode_AsUTF8(fname);
            int rule = -1;
            for (int i = 0; fs && RULE_NAMES[i]; i++)
                if (strcmp(fs, RULE_NAMES[i]) == 0) rule = i;
            if (rule < 0) {
                if (!PyErr_Occurred()) PyErr_Format(PyExc_ValueError, "rule %s is not in the C decoder", fs);
                Py_DECREF(fname);
                goto done;
            }
            Py_DECREF(fname);
            Kind *k = &self->kinds[self->nkinds];
            memcpy(k->name, name, (size_t)n);
            k->name[n] = 0;
            k->len = (int)n;
            k->rule = rule;
            k->proprietary = t == 1;
            PyObject *m = PyDict_GetItemWithError(minf, key);
            if (!m && PyErr_Occurred()) goto done;
            k->min_fields = m ? PyLong_AsLong(m) : 0;
            if (k->min_fields == -1 && PyErr_Occurred()) goto done;
            int sp = PySet_Contains(split, key);
            if (sp < 0) goto done;
            k->split = sp;
            if (t == 0 && strcmp(name, "GSA") == 0) self->kind_gsa = self->nkinds;
            if (t == 0 && strcmp(name, "GSV") == 0) self->kind_gsv = self->nkinds;
            if (t == 0 && strcmp(name, "HDT") == 0) self->kind_hdt = self->nkinds;
            self->nkinds++;
        }
    }
    /* talkers */
    PyObject *it = PyObject_GetIter(talkers), *item;
    if (!it) goto done;
    self->ntalkers = 0;
    while ((item = PyIter_Next(it))) {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(item, &n);
        if (!s || n != 2 || self->ntalkers >= 64) {
            Py_DECREF(item);
            Py_DECREF(it);
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "talker");
            goto done;
        }
        self->talkers[self->ntalkers++] = (uint16_t)((unsigned char)s[0] << 8 | (unsigned char)s[1]);
        Py_DECREF(item);
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) goto done;
    /* FAA letters: default 1 */
    for (int i = 0; i < 256; i++) self->faa[i] = 1;
    self->faa_empty = 1;
    {
        PyObject *key, *val;
        Py_ssize_t pos = 0;
        while (PyDict_Next(faa, &pos, &key, &val)) {
            Py_ssize_t n;
            const char *s = PyUnicode_AsUTF8AndSize(key, &n);
            long v = PyLong_AsLong(val);
            if (!s || n > 1 || (v == -1 && PyErr_Occurred()) || (n == 1 && (unsigned char)s[0] >= 0x80)) {
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "FAA table");
                goto done;
            }
            if (n == 0) self->faa_empty = (int)v;
            else self->faa[(unsigned char)s[0]] = (int)v;
        }
        for (int i = 0; i < 16; i++) self->gga_status[i] = -1;
        pos = 0;
        while (PyDict_Next(gga, &pos, &key, &val)) {
            long q = PyLong_AsLong(key), v = PyLong_AsLong(val);
            if (PyErr_Occurred() || q < 0 || q >= 16 || v < 0) {
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "GGA table");
                goto done;
            }
            self->gga_status[q] = (int)v;
        }
    }
    /* PRN ranges */
    {
        Py_ssize_t n = PySequence_Length(ranges);
        if (n < 0 || n > 16) { if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "ranges"); goto done; }
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *r = PySequence_GetItem(ranges, i);
            if (!r) goto done;
            Range *g = &self->ranges[i];
            int okr = PyArg_ParseTuple(r, "lllll", &g->low, &g->high, &g->prn_shift, &g->gnssid, &g->svid_shift);
            Py_DECREF(r);
            if (!okr) goto done;
        }
        self->nranges = (int)n;
    }
    /* the geoid grid */
    if (PySequence_Length(grid) != 37) { if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "grid"); goto done; }
    for (Py_ssize_t i = 0; i < 37; i++) {
        PyObject *row = PySequence_GetItem(grid, i);
        if (!row) goto done;
        if (PySequence_Length(row) != 72) {
            Py_DECREF(row);
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "grid row");
            goto done;
        }
        for (Py_ssize_t j = 0; j < 72; j++) {
            PyObject *v = PySequence_GetItem(row, j);
            if (!v) { Py_DECREF(row); goto done; }
            self->grid[i][j] = PyFloat_AsDouble(v);
            Py_DECREF(v);
            if (PyErr_Occurred()) { Py_DECREF(row); goto done; }
        }
        Py_DECREF(row);
    }
    ok = 0;
done:
    Py_XDECREF(rules);
    Py_XDECREF(sky);
    Py_XDECREF(geoidm);
    Py_XDECREF(geodesy);
    Py_XDECREF(std);
    Py_XDECREF(prop);
    Py_XDECREF(minf);
    Py_XDECREF(split);
    Py_XDECREF(talkers);
    Py_XDECREF(faa);
    Py_XDECREF(gga);
    Py_XDECREF(ranges);
    Py_XDECREF(grid);
    return ok;
}

static int Decoder_init(Decoder *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"device", "rollover", "max_line", "century", NULL};
    PyObject *device = Py_None;
    int rollover = 0;
    Py_ssize_t max_line = 4096;
    long long century = 2000;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|OpnL", kwlist, &device, &rollover, &max_line, &century))
        return -1;
    if (device != Py_None && !PyUnicode_Check(device)) {
        PyErr_SetString(PyExc_TypeError, "device: the JSON member as str, or None");
        return -1;
    }
    if (self->nkinds) {
        PyErr_SetString(PyExc_RuntimeError, "Decoder already initialised");
        return -1;
    }
    Py_XINCREF(device == Py_None ? NULL : device);
    self->device = device == Py_None ? NULL : device;
    self->rollover = rollover;
    self->max_line = max_line;
    self->century = century;
    self->last_gga_talker = self->last_gsv_talker = self->last_gsa_talker = -1;
    self->lasttag = self->prev_kind = -1;
    self->kind_gsa = self->kind_gsv = self->kind_hdt = -1;
    self->big_modes = PyList_New(0);
    if (!self->big_modes) return -1;
    return load_tables(self);
}

static void Decoder_dealloc(Decoder *self) {
    Py_XDECREF(self->device);
    Py_XDECREF(self->geodesic);
    Py_XDECREF(self->big_modes);
    Py_XDECREF(self->items);
    PyMem_Free(self->fbuf.p);
    PyMem_Free(self->last_gga_time.p);
    PyMem_Free(self->sats);
    PyMem_Free(self->used);
    PyMem_Free(self->early);
    PyMem_Free(self->fields);
    PyMem_Free(self->out.p);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Decoder_counters(Decoder *self, PyObject *Py_UNUSED(ignored)) {
    return Py_BuildValue("{s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:n}", "lines", self->lines, "too_long",
                         self->too_long, "garbage", self->garbage, "comments", self->comments, "sentences",
                         self->sentences, "checksum_errors", self->checksum_errors, "unknown", self->unknown,
                         "malformed", self->malformed, "tpv", self->tpv_count, "sky", self->sky_count, "reports",
                         self->reports, "pending", (Py_ssize_t)self->fbuf.n);
}

static PyMethodDef Decoder_methods[] = {
    {"feed", (PyCFunction)Decoder_feed, METH_O,
     "feed(chunk) -> list: bytes in; out, in order, str (gpsd JSON lines, each ending in a newline) and "
     "bytes (a line that is not NMEA, for the Python decoders)"},
    {"close", (PyCFunction)Decoder_close, METH_NOARGS, "close() -> list: end of input (the last line, the last cycle)"},
    {"counters", (PyCFunction)Decoder_counters, METH_NOARGS, "counters() -> dict"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject DecoderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "devices.nmea._cnmea.Decoder",
    .tp_basicsize = sizeof(Decoder),
    .tp_dealloc = (destructor)Decoder_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Decoder(device=None, rollover=False, max_line=4096, century=2000): NMEA bytes to gpsd JSON text",
    .tp_methods = Decoder_methods,
    .tp_init = (initproc)Decoder_init,
    .tp_new = PyType_GenericNew,
};

static struct PyModuleDef cnmea_module = {
    PyModuleDef_HEAD_INIT, "_cnmea", "The NMEA side of `main.py decode` in C (see devices/nmea/native.py).", -1, NULL,
};

PyMODINIT_FUNC PyInit__cnmea(void) {
    if (PyType_Ready(&DecoderType) < 0) return NULL;
    PyObject *m = PyModule_Create(&cnmea_module);
    if (!m) return NULL;
    Py_INCREF(&DecoderType);
    if (PyModule_AddObject(m, "Decoder", (PyObject *)&DecoderType) < 0) {
        Py_DECREF(&DecoderType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
