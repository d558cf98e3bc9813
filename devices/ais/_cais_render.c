/* gpsd's members of each AIS message type, as a dict or as the JSON text gpsdecode prints
 * (devices/ais/gpsd.py is the reference; the tests hold the two equal). Part of devices.ais._cais. */
#include "_cais.h"

PyObject *NavStatus, *Epfd, *ShipType, *AidType, *Turn;

#define NAME(k) #k,
static const char *key_names[] = { KEYS(NAME) };
static PyObject *key_obj[K_COUNT];

int cais_keys_init(void) {
    for (int k = 0; k < K_COUNT; k++) {
        key_obj[k] = PyUnicode_InternFromString(key_names[k]);
        if (!key_obj[k]) return -1;
    }
    return 0;
}

static const char SIX[] = "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_ !\"#$%&'()*+,-./0123456789:;<=>?";

/* six-bit text as gpsd reads it: up to the first '@'; trailing blanks dropped when strip */
Py_ssize_t text_at(const Bits *p, Py_ssize_t off, Py_ssize_t chars, char *out, Py_ssize_t cap, int strip) {
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
/* the emitter */

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

int em_cstr(Em *e, int key, const char *s, Py_ssize_t n) {
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

int cais_header(Em *e, const Bits *p, int mtype) {
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

int cais_t123(Em *e, const Bits *p) {
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

int cais_t4(Em *e, const Bits *p) {
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

int cais_t5(Em *e, const Bits *p) {
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

int cais_t9(Em *e, const Bits *p) {
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

int cais_t18(Em *e, const Bits *p) {
    T(class_b(e, p, 2));
    T(em_bool(e, K_cs, B(p, 141)));
    T(em_bool(e, K_display, B(p, 142)));
    T(em_bool(e, K_dsc, B(p, 143)));
    T(em_bool(e, K_band, B(p, 144)));
    T(em_bool(e, K_msg22, B(p, 145)));
    T(em_bool(e, K_raim, B(p, 147)));
    return em_int(e, K_radio, (long long)U(p, 148, 20));
}

int cais_t19(Em *e, const Bits *p) {
    T(class_b(e, p, 4));
    T(em_text(e, K_shipname, p, 143, 20));
    T(ship_block(e, p, 263));
    T(em_bool(e, K_raim, B(p, 305)));
    T(em_int(e, K_dte, (long long)U(p, 306, 1)));
    return em_bool(e, K_assigned, B(p, 307));
}

int cais_t21(Em *e, const Bits *p) {
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

int cais_t24b(Em *e, const Bits *p, const char *name, Py_ssize_t name_len) {
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
