/* Shared by the compiled AIS decoder's two files: _cais.c (the stream: parsing, fragments, the Python
 * object) and _cais_render.c (gpsd's members of each message type, as a dict or as JSON text). */
#ifndef CAIS_H
#define CAIS_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define MAX_FRAGMENTS 9
#define MAX_PAYLOAD 1000     /* one sentence (devices.ais.fast.MAX_PAYLOAD) */
#define MAX_FRAG_PAYLOAD 200 /* a fragment of a multipart message (pyais's MAX_PAYLOAD_LEN) */
#define TYPE24_SLOTS 8

/* gpsd's legends, set by configure() (tuples of 16, 16, 256, 32 and 256) */
extern PyObject *NavStatus, *Epfd, *ShipType, *AidType, *Turn;

#define KEYS(X) X(type) X(repeat) X(mmsi) X(scaled) X(status) X(status_text) X(turn) X(speed) X(accuracy) \
    X(lon) X(lat) X(course) X(heading) X(second) X(maneuver) X(raim) X(radio) X(timestamp) X(epfd) \
    X(epfd_text) X(imo) X(ais_version) X(callsign) X(shipname) X(shiptype) X(shiptype_text) X(to_bow) \
    X(to_stern) X(to_port) X(to_starboard) X(eta) X(draught) X(destination) X(dte) X(alt) X(regional) \
    X(reserved) X(cs) X(display) X(dsc) X(band) X(msg22) X(assigned) X(part) X(vendorid) X(model) X(serial) \
    X(mothership_mmsi) X(aid_type) X(aid_type_text) X(name) X(off_position) X(virtual_aid)
#define ENUM(k) K_##k,
enum { KEYS(ENUM) K_COUNT };

static inline int sixbit(unsigned char c) {
    int v = (c - 48) & 0xFF;
    if (v >= 40) v -= 8;
    return v & 63;
}
/* ------------------------------------------------------------------------------------------------ */
/* a growable byte buffer */

typedef struct { char *p; Py_ssize_t len, cap; } Buf;

static inline int buf_reserve(Buf *b, Py_ssize_t extra) {
    if (extra < 0 || b->len > PY_SSIZE_T_MAX / 2 - extra) { PyErr_NoMemory(); return -1; }
    if (b->len + extra <= b->cap) return 0;
    Py_ssize_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) cap *= 2;
    char *p = PyMem_Realloc(b->p, (size_t)cap);
    if (!p) { PyErr_NoMemory(); return -1; }
    b->p = p; b->cap = cap;
    return 0;
}

static inline int buf_put(Buf *b, const char *s, Py_ssize_t n) {
    if (n <= 0) return 0;
    if (buf_reserve(b, n) < 0) return -1;
    memcpy(b->p + b->len, s, (size_t)n);
    b->len += n;
    return 0;
}

static inline void buf_free(Buf *b) { PyMem_Free(b->p); b->p = NULL; b->len = b->cap = 0; }

/* ------------------------------------------------------------------------------------------------ */
/* the payload bits: big-endian bytes, every bit at or past n is zero */

typedef struct { const unsigned char *b; Py_ssize_t nbytes; Py_ssize_t n; } Bits;

static inline uint64_t U(const Bits *p, Py_ssize_t off, int width) {
    if (width <= 0 || width > 56 || off < 0 || off >= p->n) return 0;
    Py_ssize_t i = off >> 3;
    int skip = (int)(off & 7);
    int nb = (skip + width + 7) >> 3;
    uint64_t acc = 0;
    for (int k = 0; k < nb; k++) {
        Py_ssize_t j = i + k;
        acc = (acc << 8) | (j < p->nbytes ? p->b[j] : 0);
    }
    acc >>= (nb * 8 - skip - width);
    return acc & ((((uint64_t)1) << width) - 1);
}

static inline int64_t I(const Bits *p, Py_ssize_t off, int width) {
    uint64_t x = U(p, off, width);
    if (x >> (width - 1)) return (int64_t)x - ((int64_t)1 << width);
    return (int64_t)x;
}

static inline int B(const Bits *p, Py_ssize_t off) { return (int)U(p, off, 1); }

/* six-bit text as gpsd reads it: up to the first '@'; trailing blanks dropped when strip */
Py_ssize_t text_at(const Bits *p, Py_ssize_t off, Py_ssize_t chars, char *out, Py_ssize_t cap, int strip);

/* ------------------------------------------------------------------------------------------------ */
/* the emitter: either a dict of gpsd's members or the JSON text gpsd prints */

typedef struct { PyObject *dict; Buf *text; } Em;

int cais_keys_init(void);
int em_cstr(Em *e, int key, const char *s, Py_ssize_t n);
int cais_header(Em *e, const Bits *p, int mtype);
int cais_t123(Em *e, const Bits *p);
int cais_t4(Em *e, const Bits *p);
int cais_t5(Em *e, const Bits *p);
int cais_t9(Em *e, const Bits *p);
int cais_t18(Em *e, const Bits *p);
int cais_t19(Em *e, const Bits *p);
int cais_t21(Em *e, const Bits *p);
int cais_t24b(Em *e, const Bits *p, const char *name, Py_ssize_t name_len); /* name: part A's, or NULL */

#define T(x) do { if ((x) < 0) return -1; } while (0)

#define MAX_FRAGMENTS 9
#define MAX_PAYLOAD 1000     /* one sentence (devices.ais.fast.MAX_PAYLOAD) */
#define MAX_FRAG_PAYLOAD 200 /* a fragment of a multipart message (pyais's MAX_PAYLOAD_LEN) */
#define TYPE24_SLOTS 8

/* the refused-line classes of devices.errors and devices.ais.fast.parse, set by configure() */
extern PyObject *ExcChecksum, *ExcUnknown, *ExcMalformed, *RefusedTuple, *ParseFallback;

/* ------------------------------------------------------------------------------------------------ */
/* the decoder object */

typedef struct {
    int used;
    int channel, count, nparts, fill;
    int seq_kind; /* 0 none, 1 small, 2 object */
    long long seq;
    PyObject *seq_obj;
    double t0;
    unsigned long long order;
    Buf payload;
} Pending;

typedef struct { int used; long long mmsi; Py_ssize_t len; char name[24]; } Slot24;

typedef struct {
    PyObject_HEAD
    int require_checksum;
    double timeout;
    Py_ssize_t max_pending, npending;
    PyObject *clock; /* None: CLOCK_MONOTONIC (time.monotonic) */
    Pending *pending;
    unsigned long long order;
    Slot24 slots[2][TYPE24_SLOTS];
    int slot_next[2];
    long long sentences, messages, checksum_errors, unknown, malformed, incomplete;
    long long by_type[64];
} Decoder;

/* outcome of one line */
enum { R_NONE = 0, R_DONE = 1, R_PART = 2, R_DEFER = 3, R_REFUSED = 4, R_ERROR = -1 };

/* _cais_stream.c */
int cais_process(Decoder *self, PyObject *line, Em *e, Buf *bits_buf, Buf *whole, Bits *bits_out, int *channel_out,
                 int raise);
int cais_refused_from_python(Decoder *self, int raise);
int cais_now(Decoder *self, double *now);
Py_ssize_t cais_expire(Decoder *self, double now);
PyObject *cais_payload_value(const Bits *p);

#endif
