/* One AIS stream, compiled: reading a line (the common shape here, any other by devices.ais.fast.parse),
 * the fragments of multipart messages (as devices.ais.assembler.AisAssembler keeps them), the type 24
 * part A names, the counters. Part of devices.ais._cais (see _cais.c). */
#include "_cais.h"

PyObject *ExcChecksum, *ExcUnknown, *ExcMalformed, *RefusedTuple, *ParseFallback;

static void pending_clear(Pending *pe) {
    Py_CLEAR(pe->seq_obj);
    pe->used = 0;
    pe->payload.len = 0;
}

int cais_now(Decoder *self, double *now) {
    if (self->clock == Py_None) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        *now = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
        return 0;
    }
    PyObject *r = PyObject_CallNoArgs(self->clock);
    if (!r) return -1;
    *now = PyFloat_AsDouble(r);
    Py_DECREF(r);
    return (*now == -1.0 && PyErr_Occurred()) ? -1 : 0;
}

Py_ssize_t cais_expire(Decoder *self, double now) {
    Py_ssize_t dropped = 0;
    if (!self->npending) return 0;
    for (Py_ssize_t k = 0; k < self->max_pending; k++) {
        Pending *pe = &self->pending[k];
        if (pe->used && now - pe->t0 > self->timeout) { pending_clear(pe); self->npending--; dropped++; }
    }
    self->incomplete += dropped;
    return dropped;
}

static int seq_equal(Pending *pe, int kind, long long seq, PyObject *obj) {
    if (pe->seq_kind != kind) return 0;
    if (kind == 0) return 1;
    if (kind == 1) return pe->seq == seq;
    return PyObject_RichCompareBool(pe->seq_obj, obj, Py_EQ) == 1;
}

/* refuse a line: count it, and in per-line mode raise the class's error */
static int refuse(Decoder *self, PyObject *cls, const char *msg, PyObject *line, int raise) {
    if (cls == ExcChecksum) self->checksum_errors++;
    else if (cls == ExcUnknown) self->unknown++;
    else self->malformed++;
    if (raise) {
        PyObject *exc = PyObject_CallFunction(cls, "sO", msg, line);
        if (!exc) return R_ERROR;
        PyErr_SetObject(cls, exc);
        Py_DECREF(exc);
        return R_ERROR;
    }
    return R_REFUSED;
}

/* a refused line raised by Python (the parser or a renderer): count it; keep it raised or clear it */
int cais_refused_from_python(Decoder *self, int raise) {
    if (!PyErr_ExceptionMatches(RefusedTuple)) return R_ERROR;
    if (PyErr_ExceptionMatches(ExcChecksum)) self->checksum_errors++;
    else if (PyErr_ExceptionMatches(ExcUnknown)) self->unknown++;
    else self->malformed++;
    if (raise) return R_ERROR;
    PyErr_Clear();
    return R_REFUSED;
}

typedef struct {
    int count, number, channel, fill;
    const char *seq; Py_ssize_t seq_len; int seq_ascii;
    const char *payload; Py_ssize_t payload_len;
    PyObject *owner; /* the parser's result, kept alive while the pointers are used */
} Parts;

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static int is_upper(char c) { return c >= 'A' && c <= 'Z'; }

/* the common shape, read here: 1 parsed, 0 not that shape (ask the Python parser), R_* when refused */
static int parse_common(Decoder *self, PyObject *line, const char *s, Py_ssize_t n, Parts *out, int raise) {
    if (n < 7 || s[0] != '!' || !is_upper(s[1]) || !is_upper(s[2]) || s[3] != 'V' || s[4] != 'D' ||
        (s[5] != 'M' && s[5] != 'O'))
        return 0;
    const char *star = memchr(s + 6, '*', (size_t)(n - 6));
    if (!star || star + 3 > s + n) return 0;
    int h1 = hexval(star[1]), h2 = hexval(star[2]);
    if (h1 < 0 || h2 < 0) return 0;
    unsigned char x = 0;
    for (const char *c = s + 1; c < star; c++) x ^= (unsigned char)*c;
    if (x != (unsigned char)(h1 * 16 + h2)) return refuse(self, ExcChecksum, "checksum mismatch", line, raise);
    /* fields of the body */
    const char *f[8];
    Py_ssize_t fl[8];
    int nf = 0;
    const char *c = s + 1;
    while (nf < 8) {
        const char *comma = memchr(c, ',', (size_t)(star - c));
        f[nf] = c;
        fl[nf] = (comma ? comma : star) - c;
        nf++;
        if (!comma) break;
        c = comma + 1;
    }
    if (nf < 6) return 0;
    if (fl[1] != 1 || fl[2] != 1 || f[1][0] < '1' || f[1][0] > '9' || f[2][0] < '1' || f[2][0] > f[1][0]) return 0;
    int channel;
    if (fl[4] == 0) channel = 0;
    else {
        char ch = f[4][0];
        if (ch == 'A' || ch == '1') channel = 0;
        else if (ch == 'B' || ch == '2') channel = 1;
        else return 0;
    }
    int fill = 0;
    if (nf > 6) {
        if (fl[6] == 0) fill = 0;
        else if (fl[6] == 1 && f[6][0] >= '0' && f[6][0] <= '5') fill = f[6][0] - '0';
        else return 0;
    }
    if (fl[5] > MAX_PAYLOAD) return 0;
    out->count = f[1][0] - '0';
    out->number = f[2][0] - '0';
    out->channel = channel;
    out->fill = fill;
    out->seq = f[3]; out->seq_len = fl[3]; out->seq_ascii = 1;
    out->payload = f[5]; out->payload_len = fl[5];
    out->owner = NULL;
    return 1;
}

/* any other shape: devices.ais.fast.parse, the reference */
static int parse_python(Decoder *self, PyObject *line, Parts *out, int raise) {
    PyObject *r = PyObject_CallFunction(ParseFallback, "OO", line, self->require_checksum ? Py_True : Py_False);
    if (!r) return cais_refused_from_python(self, raise);
    if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) != 8) {
        Py_DECREF(r);
        PyErr_SetString(PyExc_TypeError, "the AIS parser must return an 8-tuple");
        return R_ERROR;
    }
    out->count = (int)PyLong_AsLong(PyTuple_GET_ITEM(r, 2));
    out->number = (int)PyLong_AsLong(PyTuple_GET_ITEM(r, 3));
    out->channel = (int)PyLong_AsLong(PyTuple_GET_ITEM(r, 5));
    out->fill = (int)PyLong_AsLong(PyTuple_GET_ITEM(r, 7));
    PyObject *seq = PyTuple_GET_ITEM(r, 4), *payload = PyTuple_GET_ITEM(r, 6);
    if (PyErr_Occurred() || !PyUnicode_Check(seq) || !PyUnicode_Check(payload) || !PyUnicode_IS_ASCII(payload) ||
        out->channel < 0 || out->channel > 1 || out->fill < 0 || out->fill > 5 || out->count < 1 ||
        out->count > MAX_FRAGMENTS || out->number < 1 || out->number > out->count) {
        Py_DECREF(r);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "the AIS parser returned an invalid sentence");
        return R_ERROR;
    }
    out->seq_ascii = PyUnicode_IS_ASCII(seq);
    out->seq = out->seq_ascii ? (const char *)PyUnicode_1BYTE_DATA(seq) : "";
    out->seq_len = out->seq_ascii ? PyUnicode_GET_LENGTH(seq) : 0;
    out->payload = (const char *)PyUnicode_1BYTE_DATA(payload);
    out->payload_len = PyUnicode_GET_LENGTH(payload);
    out->owner = r;
    return 1;
}

/* the sequence id of a fragment as pyais reads it (int() of the field, None when empty) */
static int seq_of(Parts *pt, int *kind, long long *value, PyObject **obj) {
    *obj = NULL;
    if (pt->seq_len == 0) { *kind = 0; return 0; }
    if (pt->seq_len <= 9) {
        long long v = 0;
        Py_ssize_t i = 0;
        for (; i < pt->seq_len && pt->seq[i] >= '0' && pt->seq[i] <= '9'; i++) v = v * 10 + (pt->seq[i] - '0');
        if (i == pt->seq_len) { *kind = 1; *value = v; return 0; }
    }
    PyObject *b = PyBytes_FromStringAndSize(pt->seq, pt->seq_len);
    if (!b) return -1;
    PyObject *o = PyObject_CallOneArg((PyObject *)&PyLong_Type, b);
    Py_DECREF(b);
    if (!o) {
        if (PyErr_ExceptionMatches(PyExc_ValueError)) { PyErr_Clear(); return 1; }
        return -1;
    }
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (!overflow && !(v == -1 && PyErr_Occurred())) { Py_DECREF(o); *kind = 1; *value = v; return 0; }
    PyErr_Clear();
    *kind = 2; *obj = o;
    return 0;
}

/* push a fragment; R_NONE while its message is incomplete, R_DONE with the whole payload in *whole */
static int push(Decoder *self, Parts *pt, Buf *whole, int *fill) {
    int kind; long long seq = 0; PyObject *seq_obj;
    int r = seq_of(pt, &kind, &seq, &seq_obj);
    if (r != 0) return r < 0 ? R_ERROR : R_REFUSED; /* not a number: refused by the caller */
    double now;
    if (cais_now(self, &now) < 0) { Py_XDECREF(seq_obj); return R_ERROR; }
    cais_expire(self, now);
    Pending *entry = NULL, *free_slot = NULL;
    for (Py_ssize_t k = 0; k < self->max_pending; k++) {
        Pending *pe = &self->pending[k];
        if (!pe->used) { if (!free_slot) free_slot = pe; continue; }
        if (!entry && pe->channel == pt->channel && pe->count == pt->count && seq_equal(pe, kind, seq, seq_obj))
            entry = pe;
    }
    if (PyErr_Occurred()) { Py_XDECREF(seq_obj); return R_ERROR; }
    if (pt->number == 1) {
        if (entry) { self->incomplete++; pending_clear(entry); self->npending--; free_slot = entry; }
        if (self->npending >= self->max_pending) { /* drop the oldest (first in insertion order among equals) */
            Pending *old = NULL;
            for (Py_ssize_t k = 0; k < self->max_pending; k++) {
                Pending *pe = &self->pending[k];
                if (pe->used && (!old || pe->t0 < old->t0 || (pe->t0 == old->t0 && pe->order < old->order))) old = pe;
            }
            if (old) { pending_clear(old); self->npending--; self->incomplete++; free_slot = old; }
        }
        if (!free_slot) { Py_XDECREF(seq_obj); PyErr_SetString(PyExc_RuntimeError, "AIS assembler full"); return R_ERROR; }
        Pending *pe = free_slot;
        pe->used = 1; pe->channel = pt->channel; pe->count = pt->count; pe->nparts = 1; pe->fill = pt->fill;
        pe->seq_kind = kind; pe->seq = seq; pe->seq_obj = seq_obj; pe->t0 = now; pe->order = ++self->order;
        pe->payload.len = 0;
        if (buf_put(&pe->payload, pt->payload, pt->payload_len) < 0) { pending_clear(pe); return R_ERROR; }
        self->npending++;
        return R_NONE;
    }
    Py_XDECREF(seq_obj);
    if (!entry || entry->nparts != pt->number - 1) {
        if (entry) { pending_clear(entry); self->npending--; }
        self->incomplete++;
        return R_NONE;
    }
    if (buf_put(&entry->payload, pt->payload, pt->payload_len) < 0) return R_ERROR;
    entry->nparts++;
    entry->fill = pt->fill;
    if (pt->number < pt->count) return R_NONE;
    whole->len = 0;
    if (buf_put(whole, entry->payload.p, entry->payload.len) < 0) return R_ERROR;
    *fill = pt->fill;
    pending_clear(entry);
    self->npending--;
    return R_DONE;
}

/* six-bit characters to big-endian bytes, every bit from nbits on zero */
static int pack(const char *payload, Py_ssize_t len, Py_ssize_t nbits, Buf *out) {
    Py_ssize_t nbytes = (6 * len + 7) / 8 + 8;
    out->len = 0;
    if (buf_reserve(out, nbytes) < 0) return -1;
    unsigned char *w = (unsigned char *)out->p;
    memset(w, 0, (size_t)nbytes);
    uint32_t acc = 0; int have = 0; Py_ssize_t j = 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        acc = (acc << 6) | (uint32_t)sixbit((unsigned char)payload[i]);
        have += 6;
        if (have >= 8) { have -= 8; w[j++] = (unsigned char)(acc >> have); acc &= (1u << have) - 1; }
    }
    if (have) w[j++] = (unsigned char)(acc << (8 - have));
    /* clear the fill bits and anything after */
    Py_ssize_t keep = nbits / 8;
    int rem = (int)(nbits % 8);
    if (rem) { w[keep] &= (unsigned char)(0xFF << (8 - rem)); keep++; }
    for (Py_ssize_t k = keep; k < nbytes; k++) w[k] = 0;
    out->len = nbytes;
    return 0;
}

/* render a whole payload: R_DONE (emitted), R_PART (a type 24 half: in text mode nothing to print),
 * R_DEFER (not rendered here: Python renders it, or refuses it) */
static int render(Decoder *self, const Bits *p, int channel, Em *e) {
    if (p->n < 38) return R_DEFER;
    int mtype = (int)U(p, 0, 6);
    Py_ssize_t n = p->n;
    int (*fn)(Em *, const Bits *) = NULL;
    switch (mtype) {
    case 1: case 2: case 3: if (n >= 163) fn = cais_t123; break;
    case 4: case 11: if (n >= 168) fn = cais_t4; break;
    case 5: if (n >= 420) fn = cais_t5; break;
    case 9: if (n >= 168) fn = cais_t9; break;
    case 18: if (n >= 168) fn = cais_t18; break;
    case 19: if (n >= 312) fn = cais_t19; break;
    case 21: if (n >= 272 && n <= 368) fn = cais_t21; break;
    case 24: break;
    default: return R_DEFER;
    }
    int result = R_DONE;
    if (mtype == 24) {
        int part = (int)U(p, 38, 2);
        long long mmsi = (long long)U(p, 8, 30);
        Slot24 *slots = self->slots[channel];
        if (part == 0) {
            if (n < 160 || n > 168) return R_DEFER;
            Slot24 *sl = &slots[self->slot_next[channel]];
            self->slot_next[channel] = (self->slot_next[channel] + 1) % TYPE24_SLOTS;
            sl->used = 1; sl->mmsi = mmsi;
            sl->len = text_at(p, 40, 20, sl->name, 20, 1);
            if (e->dict) {
                T(cais_header(e, p, mtype));
                T(em_cstr(e, K_part, "A", 1));
                T(em_cstr(e, K_shipname, sl->name, sl->len));
            }
            result = R_PART;
        } else if (part == 1) {
            if (n < 168) return R_DEFER;
            Slot24 *found = NULL;
            for (int k = 0; k < TYPE24_SLOTS; k++)
                if (slots[k].used && slots[k].mmsi == mmsi) { found = &slots[k]; break; }
            if (found) {
                found->used = 0;
                T(cais_header(e, p, mtype));
                T(cais_t24b(e, p, found->name, found->len));
            } else {
                result = R_PART;
                if (e->dict) { T(cais_header(e, p, mtype)); T(cais_t24b(e, p, NULL, 0)); }
            }
        } else return R_DEFER;
    } else {
        if (!fn) return R_DEFER;
        T(cais_header(e, p, mtype));
        T(fn(e, p));
    }
    self->messages++;
    self->by_type[mtype]++;
    return result;
}

/* one line, start to end: parse, assemble, render. *bits_out gets the payload when deferred. */
int cais_process(Decoder *self, PyObject *line, Em *e, Buf *bits_buf, Buf *whole, Bits *bits_out, int *channel_out,
                 int raise) {
    self->sentences++;
    if (!PyUnicode_Check(line)) { PyErr_SetString(PyExc_TypeError, "an AIS line must be a str"); return R_ERROR; }
    Parts pt = {0};
    int r = 0;
    if (PyUnicode_IS_ASCII(line))
        r = parse_common(self, line, (const char *)PyUnicode_1BYTE_DATA(line), PyUnicode_GET_LENGTH(line), &pt, raise);
    if (r == 0) r = parse_python(self, line, &pt, raise);
    if (r != 1) return r;
    const char *payload = pt.payload;
    Py_ssize_t plen = pt.payload_len;
    Py_ssize_t nbits;
    int fill = pt.fill;
    if (pt.count > 1) {
        /* a fragment: what pyais refuses of it, then the assembler */
        if (!pt.seq_ascii || plen > MAX_FRAG_PAYLOAD) {
            Py_XDECREF(pt.owner);
            return refuse(self, ExcMalformed, "AIS: invalid fragment", line, raise);
        }
        r = push(self, &pt, whole, &fill);
        Py_XDECREF(pt.owner);
        pt.owner = NULL;
        if (r == R_REFUSED) return refuse(self, ExcMalformed, "AIS: invalid sequence id", line, raise);
        if (r != R_DONE) return r;
        payload = whole->p;
        plen = whole->len;
        nbits = 6 * plen - fill;
        if (nbits < 0) return refuse(self, ExcMalformed, "AIS: more fill bits than payload bits", line, raise);
    } else {
        nbits = plen ? 6 * plen - fill : 0;
    }
    r = pack(payload, plen, nbits, bits_buf);
    Py_XDECREF(pt.owner);
    if (r < 0) return R_ERROR;
    bits_out->b = (const unsigned char *)bits_buf->p;
    bits_out->nbytes = bits_buf->len;
    bits_out->n = nbits;
    *channel_out = pt.channel;
    return render(self, bits_out, pt.channel, e);
}

/* the payload as Python's (value, nbits) */
PyObject *cais_payload_value(const Bits *p) {
    Py_ssize_t nbytes = (p->n + 7) / 8;
    PyObject *v = PyObject_CallMethod((PyObject *)&PyLong_Type, "from_bytes", "y#s", (const char *)p->b, nbytes, "big");
    if (!v) return NULL;
    int shift = (int)(nbytes * 8 - p->n);
    if (!shift) return v;
    PyObject *s = PyLong_FromLong(shift);
    PyObject *r = s ? PyNumber_Rshift(v, s) : NULL;
    Py_XDECREF(s);
    Py_DECREF(v);
    return r;
}
