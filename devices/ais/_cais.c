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
 * decode(line) -> dict of gpsd's members, or None (a fragment waiting); raises the devices.errors
 *                 classes for a refused line (counted).
 * run(lines, start, head, deferred) -> (next, text, printed): the AIS lines of lines[start:] up to the
 *                 first that is not one, as the JSON lines `main.py decode` prints (head = '{"class":"AIS"'
 *                 and the device member); refused lines are counted and skipped.
 *
 * Written defensively: every bit read is bounds checked (bits past the payload read as zeros, as
 * gpsd's buffer), every buffer grows with its input or is bounded by a checked limit.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define MAX_FRAGMENTS 9
#define MAX_PAYLOAD 1000     /* one sentence (devices.ais.fast.MAX_PAYLOAD) */
#define MAX_FRAG_PAYLOAD 200 /* a fragment of a multipart message (pyais's MAX_PAYLOAD_LEN) */
#define TYPE24_SLOTS 8

/* ------------------------------------------------------------------------------------------------ */
/* configuration, set once by configure() */

static PyObject *ExcChecksum, *ExcUnknown, *ExcMalformed, *RefusedTuple, *ParseFallback;
static PyObject *NavStatus, *Epfd, *ShipType, *AidType, *Turn; /* tuples of 16, 16, 256, 32, 256 */
static int configured = 0;

#define KEYS(X) X(type) X(repeat) X(mmsi) X(scaled) X(status) X(status_text) X(turn) X(speed) X(accuracy) \
    X(lon) X(lat) X(course) X(heading) X(second) X(maneuver) X(raim) X(radio) X(timestamp) X(epfd) \
    X(epfd_text) X(imo) X(ais_version) X(callsign) X(shipname) X(shiptype) X(shiptype_text) X(to_bow) \
    X(to_stern) X(to_port) X(to_starboard) X(eta) X(draught) X(destination) X(dte) X(alt) X(regional) \
    X(reserved) X(cs) X(display) X(dsc) X(band) X(msg22) X(assigned) X(part) X(vendorid) X(model) X(serial) \
    X(mothership_mmsi) X(aid_type) X(aid_type_text) X(name) X(off_position) X(virtual_aid)
#define ENUM(k) K_##k,
#define NAME(k) #k,
enum { KEYS(ENUM) K_COUNT };
static const char *key_names[] = { KEYS(NAME) };
static PyObject *key_obj[K_COUNT];

static const char SIX[] = "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_ !\"#$%&'()*+,-./0123456789:;<=>?";

static inline int sixbit(unsigned char c) {
    int v = (c - 48) & 0xFF;
    if (v >= 40) v -= 8;
    return v & 63;
}

/* ------------------------------------------------------------------------------------------------ */
/* a growable byte buffer */

typedef struct { char *p; Py_ssize_t len, cap; } Buf;

static int buf_reserve(Buf *b, Py_ssize_t extra) {
    if (extra < 0 || b->len > PY_SSIZE_T_MAX / 2 - extra) { PyErr_NoMemory(); return -1; }
    if (b->len + extra <= b->cap) return 0;
    Py_ssize_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) cap *= 2;
    char *p = PyMem_Realloc(b->p, (size_t)cap);
    if (!p) { PyErr_NoMemory(); return -1; }
    b->p = p; b->cap = cap;
    return 0;
}

static int buf_put(Buf *b, const char *s, Py_ssize_t n) {
    if (buf_reserve(b, n) < 0) return -1;
    memcpy(b->p + b->len, s, (size_t)n);
    b->len += n;
    return 0;
}

static void buf_free(Buf *b) { PyMem_Free(b->p); b->p = NULL; b->len = b->cap = 0; }

/* ------------------------------------------------------------------------------------------------ */
/* the payload bits: big-endian bytes, every bit at or past n is zero */

typedef struct { const unsigned char *b; Py_ssize_t nbytes; Py_ssize_t n; } Bits;

static uint64_t U(const Bits *p, Py_ssize_t off, int width) {
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

static int64_t I(const Bits *p, Py_ssize_t off, int width) {
    uint64_t x = U(p, off, width);
    if (x >> (width - 1)) return (int64_t)x - ((int64_t)1 << width);
    return (int64_t)x;
}

static int B(const Bits *p, Py_ssize_t off) { return (int)U(p, off, 1); }

/* six-bit text as gpsd reads it: up to the first '@'; trailing blanks dropped when strip */
static Py_ssize_t text_at(const Bits *p, Py_ssize_t off, Py_ssize_t chars, char *out, Py_ssize_t cap, int strip) {
    Py_ssize_t k = 0;
    for (; k < chars && k < cap; k++) {
        int v = (int)U(p, off + 6 * k, 6);
        if (v == 0) break;
        out[k] = SIX[v];
    }
    if (strip) while (k > 0 && out[k - 1] == ' ') k--;
    return k;
}

/* ------------------------------------------------------------------------------------------------ */
/* the emitter: either a dict of gpsd's members or the JSON text gpsd prints */

typedef struct { PyObject *dict; Buf *text; } Em;

static int em_key(Em *e, int key) {
    const char *name = key_names[key];
    Py_ssize_t n = (Py_ssize_t)strlen(name);
    if (buf_reserve(e->text, n + 4) < 0) return -1;
    char *w = e->text->p + e->text->len;
    *w++ = ','; *w++ = '"';
    memcpy(w, name, (size_t)n); w += n;
    *w++ = '"'; *w++ = ':';
    e->text->len += n + 4;
    return 0;
}

static int em_set(Em *e, int key, PyObject *v) { /* steals v */
    if (!v) return -1;
    int r = PyDict_SetItem(e->dict, key_obj[key], v);
    Py_DECREF(v);
    return r;
}

/* decimal digits of v, right aligned to end; returns the start */
static char *digits(char *end, unsigned long long v) {
    do { *--end = (char)('0' + v % 10); v /= 10; } while (v);
    return end;
}

static int put_int(Buf *b, long long v) {
    char tmp[32], *end = tmp + sizeof tmp;
    char *s = digits(end, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v);
    if (v < 0) *--s = '-';
    return buf_put(b, s, end - s);
}

static int em_int(Em *e, int key, long long v) {
    if (e->dict) return em_set(e, key, PyLong_FromLongLong(v));
    if (em_key(e, key) < 0) return -1;
    return put_int(e->text, v);
}

static int em_bool(Em *e, int key, int v) {
    if (e->dict) { PyObject *o = v ? Py_True : Py_False; Py_INCREF(o); return em_set(e, key, o); }
    if (em_key(e, key) < 0) return -1;
    return v ? buf_put(e->text, "true", 4) : buf_put(e->text, "false", 5);
}

static const long long POW10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};

/* k / 10**d as a Python float, written as Python's repr writes it (json.dumps does) */
static int em_dec(Em *e, int key, long long k, int d) {
    double v = (double)k / (double)POW10[d];
    if (e->dict) return em_set(e, key, PyFloat_FromDouble(v));
    if (em_key(e, key) < 0) return -1;
    unsigned long long a = k < 0 ? (unsigned long long)(-k) : (unsigned long long)k;
    if (k == 0) return buf_put(e->text, "0.0", 3);
    if (d >= 4 && a < (unsigned long long)POW10[d - 4]) { /* below 1e-4: repr uses an exponent */
        char *s = PyOS_double_to_string(v, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
        if (!s) return -1;
        int r = buf_put(e->text, s, (Py_ssize_t)strlen(s));
        PyMem_Free(s);
        return r;
    }
    /* integer part, '.', the decimals without trailing zeros (one at least) */
    unsigned long long ip = a / (unsigned long long)POW10[d], fp = a % (unsigned long long)POW10[d];
    char tmp[48], *end = tmp + 24;
    char *s = digits(end, ip);
    if (k < 0) *--s = '-';
    *end++ = '.';
    char frac[16];
    for (int i = d - 1; i >= 0; i--) { frac[i] = (char)('0' + fp % 10); fp /= 10; }
    int fl = d;
    while (fl > 1 && frac[fl - 1] == '0') fl--;
    if (d == 0) { frac[0] = '0'; fl = 1; }
    memcpy(end, frac, (size_t)fl);
    return buf_put(e->text, s, end + fl - s);
}

static int json_str(Buf *b, const char *s, Py_ssize_t n) {
    if (buf_reserve(b, 6 * n + 2) < 0) return -1;
    char *w = b->p + b->len;
    *w++ = '"';
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') { *w++ = '\\'; *w++ = (char)c; }
        else if (c >= 0x20 && c < 0x7f) *w++ = (char)c;
        else if (c == '\n') { *w++ = '\\'; *w++ = 'n'; }
        else if (c == '\r') { *w++ = '\\'; *w++ = 'r'; }
        else if (c == '\t') { *w++ = '\\'; *w++ = 't'; }
        else if (c == '\b') { *w++ = '\\'; *w++ = 'b'; }
        else if (c == '\f') { *w++ = '\\'; *w++ = 'f'; }
        else { w += sprintf(w, "\\u%04x", c); }
    }
    *w++ = '"';
    b->len = w - b->p;
    return 0;
}

static int em_cstr(Em *e, int key, const char *s, Py_ssize_t n) {
    if (e->dict) return em_set(e, key, PyUnicode_DecodeASCII(s, n, NULL));
    if (em_key(e, key) < 0) return -1;
    return json_str(e->text, s, n);
}

/* a member of one of the legend tables (str), or of Turn (str or int) */
static int em_obj(Em *e, int key, PyObject *o) {
    if (e->dict) { Py_INCREF(o); return em_set(e, key, o); }
    if (PyLong_Check(o)) {
        long long v = PyLong_AsLongLong(o);
        if (v == -1 && PyErr_Occurred()) return -1;
        return em_int(e, key, v);
    }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(o, &n);
    if (!s) return -1;
    if (em_key(e, key) < 0) return -1;
    return json_str(e->text, s, n);
}

static int em_text(Em *e, int key, const Bits *p, Py_ssize_t off, Py_ssize_t chars) {
    char tmp[64];
    Py_ssize_t n = text_at(p, off, chars, tmp, (Py_ssize_t)sizeof tmp, 1);
    return em_cstr(e, key, tmp, n);
}

/* ------------------------------------------------------------------------------------------------ */
/* gpsd's tables, type by type (devices/ais/gpsd.py is the reference; the tests hold the two equal) */

static long long floordiv(long long a, long long b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

static int em_deg6(Em *e, int key, int64_t raw) { /* float("%.6f" % (raw / 600000.0)) */
    return em_dec(e, key, floordiv(10 * raw + 3, 6), 6);
}

#define T(x) do { if ((x) < 0) return -1; } while (0)

static int header(Em *e, const Bits *p, int mtype) {
    T(em_int(e, K_type, mtype));
    T(em_int(e, K_repeat, (long long)U(p, 6, 2)));
    T(em_int(e, K_mmsi, (long long)U(p, 8, 30)));
    return em_bool(e, K_scaled, 1);
}

static int ship_block(Em *e, const Bits *p, Py_ssize_t at) {
    int st = (int)U(p, at, 8), ep = (int)U(p, at + 38, 4);
    T(em_int(e, K_shiptype, st));
    T(em_obj(e, K_shiptype_text, PyTuple_GET_ITEM(ShipType, st)));
    T(em_int(e, K_to_bow, (long long)U(p, at + 8, 9)));
    T(em_int(e, K_to_stern, (long long)U(p, at + 17, 9)));
    T(em_int(e, K_to_port, (long long)U(p, at + 26, 6)));
    T(em_int(e, K_to_starboard, (long long)U(p, at + 32, 6)));
    T(em_int(e, K_epfd, ep));
    return em_obj(e, K_epfd_text, PyTuple_GET_ITEM(Epfd, ep));
}

static int t123(Em *e, const Bits *p) {
    int status = (int)U(p, 38, 4), speed = (int)U(p, 50, 10);
    T(em_int(e, K_status, status));
    T(em_obj(e, K_status_text, PyTuple_GET_ITEM(NavStatus, status)));
    T(em_obj(e, K_turn, PyTuple_GET_ITEM(Turn, (int)U(p, 42, 8))));
    if (speed == 1023) T(em_cstr(e, K_speed, "nan", 3));
    else if (speed == 1022) T(em_cstr(e, K_speed, "fast", 4));
    else T(em_dec(e, K_speed, speed, 1));
    T(em_bool(e, K_accuracy, B(p, 60)));
    T(em_deg6(e, K_lon, I(p, 61, 28)));
    T(em_deg6(e, K_lat, I(p, 89, 27)));
    T(em_dec(e, K_course, (long long)U(p, 116, 12), 1));
    T(em_int(e, K_heading, (long long)U(p, 128, 9)));
    T(em_int(e, K_second, (long long)U(p, 137, 6)));
    T(em_int(e, K_maneuver, (long long)U(p, 143, 2)));
    T(em_bool(e, K_raim, B(p, 148)));
    /* the radio status: the bits there are (gpsd reads a short type 1-3 so) */
    Py_ssize_t w = p->n - 149 < 19 ? p->n - 149 : 19;
    return em_int(e, K_radio, w > 0 ? (long long)U(p, 149, (int)w) : 0);
}

static int t4(Em *e, const Bits *p) {
    char ts[64];
    int n = snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)U(p, 38, 14), (int)U(p, 52, 4),
                     (int)U(p, 56, 5), (int)U(p, 61, 5), (int)U(p, 66, 6), (int)U(p, 72, 6));
    T(em_cstr(e, K_timestamp, ts, n));
    T(em_bool(e, K_accuracy, B(p, 78)));
    T(em_deg6(e, K_lon, I(p, 79, 28)));
    T(em_deg6(e, K_lat, I(p, 107, 27)));
    int ep = (int)U(p, 134, 4);
    T(em_int(e, K_epfd, ep));
    T(em_obj(e, K_epfd_text, PyTuple_GET_ITEM(Epfd, ep)));
    T(em_bool(e, K_raim, B(p, 148)));
    return em_int(e, K_radio, (long long)U(p, 149, 19));
}

static int t5(Em *e, const Bits *p) {
    T(em_int(e, K_imo, (long long)U(p, 40, 30)));
    T(em_int(e, K_ais_version, (long long)U(p, 38, 2)));
    T(em_text(e, K_callsign, p, 70, 7));
    T(em_text(e, K_shipname, p, 112, 20));
    T(ship_block(e, p, 232));
    char eta[48];
    int n = snprintf(eta, sizeof eta, "%02d-%02dT%02d:%02dZ", (int)U(p, 274, 4), (int)U(p, 278, 5),
                     (int)U(p, 283, 5), (int)U(p, 288, 6));
    T(em_cstr(e, K_eta, eta, n));
    T(em_dec(e, K_draught, (long long)U(p, 294, 8), 1));
    T(em_text(e, K_destination, p, 302, 20));
    return em_int(e, K_dte, (long long)U(p, 422, 1));
}

static int t9(Em *e, const Bits *p) {
    int alt = (int)U(p, 38, 12), speed = (int)U(p, 50, 10);
    if (alt == 4095) T(em_cstr(e, K_alt, "nan", 3));
    else if (alt == 4094) T(em_cstr(e, K_alt, "high", 4));
    else T(em_int(e, K_alt, alt));
    if (speed == 1023) T(em_cstr(e, K_speed, "nan", 3));
    else if (speed == 1022) T(em_cstr(e, K_speed, "fast", 4));
    else T(em_int(e, K_speed, speed));
    T(em_bool(e, K_accuracy, B(p, 60)));
    T(em_deg6(e, K_lon, I(p, 61, 28)));
    T(em_deg6(e, K_lat, I(p, 89, 27)));
    T(em_dec(e, K_course, (long long)U(p, 116, 12), 1));
    T(em_int(e, K_second, (long long)U(p, 128, 6)));
    T(em_int(e, K_regional, (long long)U(p, 134, 8)));
    T(em_int(e, K_dte, (long long)U(p, 142, 1)));
    T(em_bool(e, K_raim, B(p, 147)));
    return em_int(e, K_radio, (long long)U(p, 148, 20));
}

static int class_b(Em *e, const Bits *p, int regional_bits) {
    T(em_int(e, K_reserved, (long long)U(p, 38, 8)));
    T(em_dec(e, K_speed, (long long)U(p, 46, 10), 1));
    T(em_bool(e, K_accuracy, B(p, 56)));
    T(em_deg6(e, K_lon, I(p, 57, 28)));
    T(em_deg6(e, K_lat, I(p, 85, 27)));
    T(em_dec(e, K_course, (long long)U(p, 112, 12), 1));
    T(em_int(e, K_heading, (long long)U(p, 124, 9)));
    T(em_int(e, K_second, (long long)U(p, 133, 6)));
    return em_int(e, K_regional, (long long)U(p, 139, regional_bits));
}

static int t18(Em *e, const Bits *p) {
    T(class_b(e, p, 2));
    T(em_bool(e, K_cs, B(p, 141)));
    T(em_bool(e, K_display, B(p, 142)));
    T(em_bool(e, K_dsc, B(p, 143)));
    T(em_bool(e, K_band, B(p, 144)));
    T(em_bool(e, K_msg22, B(p, 145)));
    T(em_bool(e, K_raim, B(p, 147)));
    return em_int(e, K_radio, (long long)U(p, 148, 20));
}

static int t19(Em *e, const Bits *p) {
    T(class_b(e, p, 4));
    T(em_text(e, K_shipname, p, 143, 20));
    T(ship_block(e, p, 263));
    T(em_bool(e, K_raim, B(p, 305)));
    T(em_int(e, K_dte, (long long)U(p, 306, 1)));
    return em_bool(e, K_assigned, B(p, 307));
}

static int t21(Em *e, const Bits *p) {
    int aid = (int)U(p, 38, 5);
    T(em_int(e, K_aid_type, aid));
    T(em_obj(e, K_aid_type_text, PyTuple_GET_ITEM(AidType, aid)));
    char name[64];
    Py_ssize_t n = text_at(p, 43, 20, name, 20, 0);
    if (p->n > 272 && n == 20) n += text_at(p, 272, (p->n - 272) / 6, name + 20, 40, 0);
    while (n > 0 && name[n - 1] == ' ') n--;
    T(em_cstr(e, K_name, name, n));
    T(em_deg6(e, K_lon, I(p, 164, 28)));
    T(em_deg6(e, K_lat, I(p, 192, 27)));
    T(em_bool(e, K_accuracy, B(p, 163)));
    T(em_int(e, K_to_bow, (long long)U(p, 219, 9)));
    T(em_int(e, K_to_stern, (long long)U(p, 228, 9)));
    T(em_int(e, K_to_port, (long long)U(p, 237, 6)));
    T(em_int(e, K_to_starboard, (long long)U(p, 243, 6)));
    int ep = (int)U(p, 249, 4);
    T(em_int(e, K_epfd, ep));
    T(em_obj(e, K_epfd_text, PyTuple_GET_ITEM(Epfd, ep)));
    T(em_int(e, K_second, (long long)U(p, 253, 6)));
    T(em_int(e, K_regional, (long long)U(p, 260, 8)));
    T(em_bool(e, K_off_position, B(p, 259)));
    T(em_bool(e, K_raim, B(p, 268)));
    return em_bool(e, K_virtual_aid, B(p, 269));
}

static int t24b(Em *e, const Bits *p, const char *name, Py_ssize_t name_len) {
    if (name) T(em_cstr(e, K_shipname, name, name_len));
    else T(em_cstr(e, K_part, "B", 1));
    int st = (int)U(p, 40, 8);
    T(em_int(e, K_shiptype, st));
    T(em_obj(e, K_shiptype_text, PyTuple_GET_ITEM(ShipType, st)));
    T(em_text(e, K_vendorid, p, 48, 7));
    T(em_int(e, K_model, (long long)U(p, 66, 4)));
    T(em_int(e, K_serial, (long long)U(p, 70, 20)));
    T(em_text(e, K_callsign, p, 90, 7));
    if (U(p, 8, 30) / 10000000 == 98) return em_int(e, K_mothership_mmsi, (long long)U(p, 132, 30));
    T(em_int(e, K_to_bow, (long long)U(p, 132, 9)));
    T(em_int(e, K_to_stern, (long long)U(p, 141, 9)));
    T(em_int(e, K_to_port, (long long)U(p, 150, 6)));
    return em_int(e, K_to_starboard, (long long)U(p, 156, 6));
}

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

static void pending_clear(Pending *pe) {
    Py_CLEAR(pe->seq_obj);
    pe->used = 0;
    pe->payload.len = 0;
}

static int now_of(Decoder *self, double *now) {
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

static Py_ssize_t expire(Decoder *self, double now) {
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
static int refused_from_python(Decoder *self, int raise) {
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
    if (!r) return refused_from_python(self, raise);
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
    if (now_of(self, &now) < 0) { Py_XDECREF(seq_obj); return R_ERROR; }
    expire(self, now);
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
    case 1: case 2: case 3: if (n >= 163) fn = t123; break;
    case 4: case 11: if (n >= 168) fn = t4; break;
    case 5: if (n >= 420) fn = t5; break;
    case 9: if (n >= 168) fn = t9; break;
    case 18: if (n >= 168) fn = t18; break;
    case 19: if (n >= 312) fn = t19; break;
    case 21: if (n >= 272 && n <= 368) fn = t21; break;
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
                T(header(e, p, mtype));
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
                T(header(e, p, mtype));
                T(t24b(e, p, found->name, found->len));
            } else {
                result = R_PART;
                if (e->dict) { T(header(e, p, mtype)); T(t24b(e, p, NULL, 0)); }
            }
        } else return R_DEFER;
    } else {
        if (!fn) return R_DEFER;
        T(header(e, p, mtype));
        T(fn(e, p));
    }
    self->messages++;
    self->by_type[mtype]++;
    return result;
}

/* one line, start to end: parse, assemble, render. *bits_out gets the payload when deferred. */
static int process(Decoder *self, PyObject *line, Em *e, Buf *bits_buf, Buf *whole, Bits *bits_out, int *channel_out,
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
static PyObject *payload_value(const Bits *p) {
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
    int r = process(self, line, &e, &bits, &whole, &p, &channel, 1);
    PyObject *out = NULL;
    if (r == R_DONE || r == R_PART) { out = d; d = NULL; }
    else if (r == R_NONE) { out = Py_None; Py_INCREF(out); }
    else if (r == R_DEFER) {
        PyObject *v = payload_value(&p);
        if (v) out = Py_BuildValue("(Nni)", v, p.n, channel);
    }
    Py_XDECREF(d);
    buf_free(&bits);
    buf_free(&whole);
    return out;
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
    for (; i < PyList_GET_SIZE(lines); i++) {
        PyObject *line = PyList_GET_ITEM(lines, i);
        if (!PyUnicode_Check(line) || PyUnicode_GET_LENGTH(line) == 0) break;
        Py_UCS4 first = PyUnicode_READ_CHAR(line, 0);
        if (first != '!' && first != '\\') break;
        Py_ssize_t mark = text.len;
        if (buf_put(&text, headp, headlen) < 0) goto done;
        Em e = {NULL, &text};
        Bits p;
        int channel = 0;
        int r = process(self, line, &e, &bits, &whole, &p, &channel, 0);
        if (r == R_ERROR) {
            if (refused_from_python(self, 0) == R_REFUSED) { text.len = mark; continue; }
            goto done;
        }
        if (r == R_DONE) {
            if (buf_put(&text, "}\n", 2) < 0) goto done;
            printed++;
            continue;
        }
        text.len = mark;
        if (r != R_DEFER) continue;
        /* rendered in Python: one JSON line, or None when nothing is printed, or refused */
        PyObject *v = payload_value(&p);
        if (!v) goto done;
        PyObject *t = PyObject_CallFunction(deferred, "Nnn", v, p.n, (Py_ssize_t)channel);
        if (!t) {
            if (refused_from_python(self, 0) == R_REFUSED) continue;
            goto done;
        }
        if (t != Py_None) {
            Py_ssize_t tl;
            const char *ts = PyUnicode_Check(t) ? PyUnicode_AsUTF8AndSize(t, &tl) : NULL;
            if (!ts || buf_put(&text, ts, tl) < 0 || buf_put(&text, "\n", 1) < 0) {
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "the deferred renderer must return a str");
                Py_DECREF(t);
                goto done;
            }
            printed++;
        }
        Py_DECREF(t);
    }
    {
        PyObject *s = PyUnicode_DecodeUTF8(text.p ? text.p : "", text.len, "strict");
        if (s) result = Py_BuildValue("(nNn)", i, s, printed);
    }
done:
    buf_free(&text);
    buf_free(&bits);
    buf_free(&whole);
    return result;
}

static PyObject *Decoder_expire(Decoder *self, PyObject *args) {
    PyObject *now_obj = Py_None;
    if (!PyArg_ParseTuple(args, "|O", &now_obj)) return NULL;
    double now;
    if (now_obj == Py_None) { if (now_of(self, &now) < 0) return NULL; }
    else { now = PyFloat_AsDouble(now_obj); if (now == -1.0 && PyErr_Occurred()) return NULL; }
    return PyLong_FromSsize_t(expire(self, now));
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
    for (int k = 0; k < K_COUNT; k++) {
        key_obj[k] = PyUnicode_InternFromString(key_names[k]);
        if (!key_obj[k]) return NULL;
    }
    if (PyType_Ready(&DecoderType) < 0) return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (!m) return NULL;
    Py_INCREF(&DecoderType);
    if (PyModule_AddObject(m, "Decoder", (PyObject *)&DecoderType) < 0) { Py_DECREF(&DecoderType); Py_DECREF(m); return NULL; }
    return m;
}
