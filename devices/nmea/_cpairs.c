/* _cpairs: devices.nmea.pairs.scan_pairs in C, the same result to the bit (see devices/nmea/pairs.py).
 *
 * `scan_pairs(lines, peers, dates)` finds the adjacent RMC+GGA pairs of a drained batch and parses them with
 * every rule of the numpy version (`_scan_pairs_numpy`), in one pass over the lines: each line's checksum
 * and kind, then the pair it ends, if any (the first of three in a row keeps its pair), parsed field by
 * field.  The one Python call is `dates`, once per batch, with the unique (peer, ddmmyy) keys, sorted, of
 * the pairs that passed everything else.  Then the per-peer prefix rule, a stable counting sort by peer
 * and the columns (where a column repeats a value, the object is made once: see float_of).
 *
 * It returns None where the numpy version does (short or non-ASCII batches), else a tuple of the `Pairs`
 * fields in their order, ``peer`` as a bytearray of native int64 (pairs.py views it as a numpy array).
 *
 * Exactness: every number is the numpy version's operations in its order, on doubles (setup.py builds with
 * -ffp-contract=off: no FMA): a decimal of at most 15 digits is its integer mantissa (exact below 2**53)
 * divided by an exact power of ten, one IEEE division, which rounds as float(text) does.
 *
 * Input may be anything: every read is inside its line (a field ends at a ',' found before the line's '*'),
 * and the lines are held as a tuple of str (immutable) while their bytes are read.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MIN_LINES 24       /* pairs.MIN_LINES */
#define MAX_DIGITS 15      /* pairs.MAX_DIGITS */
#define MAX_FIELD (MAX_DIGITS + 2)  /* digits, a point and a minus: a longer field is no plain decimal */
#define TEXT_MAX 32        /* pairs._WORDS: compared fields longer than this are never the same */
#define KNOT (1852.0 / 3600.0)  /* devices.nmea.fast.KNOT (folded once, correctly rounded) */

static const double P10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                               1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
static const int64_t I10[19] = {1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL,
                                1000000000LL, 10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL,
                                100000000000000LL, 1000000000000000LL, 10000000000000000LL,
                                100000000000000000LL, 1000000000000000000LL};

enum { NOT_POS = 0, RMC = 1, GGA = 2 };
enum { NO_SPEED = 1, NO_COURSE = 2, NO_ALT = 4, NO_HDOP = 8, NO_SATS = 16 };

/* a pair's numbers (its line, peer, date and day are in arrays of their own, which the sorts read) */
typedef struct {
    double lat, lon, speed, course, alt, hdop;
    int64_t tod;      /* time of day, microseconds */
    uint16_t talker;  /* characters 1 and 2, little-endian */
    uint8_t quality, sats, none;  /* none: NO_* bits of the empty optional fields */
} Pair;
_Static_assert(sizeof(Pair) <= 64, "a pair per cache line");

/* ------------------------------------------------------------------ fields and numbers
 * Each half is read field by field from the comma after the type (at 6): a field ends at the next ',', which
 * must come before the '*' at n - 3 (`end`), as pairs.py's fields() asks of the nine commas after the one at 6.
 * Every test is one of the numpy version's, on the same field; as they must all hold, the first that fails
 * ends the parse. */
typedef struct {
    uint64_t m;      /* every digit as one integer (wraps for a run of over 19 digits: never ok then) */
    uint64_t whole;  /* the digits before the point */
    Py_ssize_t n;    /* the field's length */
    int after;       /* digits after the point */
    int neg, point, ok;
} Dec;

/* The field at *at as pairs._decimal reads it: digits, at most one point, a leading '-' if signed; ok = that,
 * 1..MAX_DIGITS digits and at most MAX_FIELD characters.  0 if the field holds anything else (which no test
 * of a decimal field lets pass) or has no ',' before end; else 1 and *at is past the comma. */
static inline int field_decimal(const unsigned char **at, const unsigned char *end, int signed_, Dec *d) {
    const unsigned char *s = *at, *q = s, *dot = NULL;
    uint64_t m = 0;
    int neg = 0;
    d->whole = 0;
    for (;; q++) {
        if (q >= end) return 0;
        unsigned c = *q, dj = c - '0';
        if (dj <= 9) m = m * 10 + dj;
        else if (c == ',') break;
        else if (c == '.' && !dot) {
            dot = q;
            d->whole = m;
        } else if (signed_ && q == s && c == '-') neg = 1;
        else return 0;
    }
    Py_ssize_t n = q - s, digits = n - (dot != NULL) - neg;
    d->m = m;
    d->n = n;
    d->neg = neg;
    d->point = dot != NULL;
    d->after = dot ? (int)(q - dot - 1) : 0;  /* (everything after the point is a digit) */
    d->ok = n <= MAX_FIELD && digits >= 1 && digits <= MAX_DIGITS;
    *at = q + 1;
    return 1;
}

/* pairs._optional: empty (the `bit` set in *none) or a plain decimal, sign * (m / 10**after) as pairs._value */
static inline int field_optional(const unsigned char **at, const unsigned char *end, int signed_, double *v,
                                 uint8_t *none, uint8_t bit) {
    Dec d;
    if (!field_decimal(at, end, signed_, &d)) return 0;
    if (d.n == 0) {
        *none |= bit;
        *v = 0.0;
        return 1;
    }
    if (!d.ok) return 0;
    double x = (double)d.m / P10[d.after];
    *v = d.neg ? -x : x;  /* (-1.0 * x and -x are the same bits) */
    return 1;
}

/* a coordinate d+mm.m+ (at least three characters before the point, a digit after): deg + minutes / 60
 * (after <= 12 here: at most 15 digits, three before the point) */
static inline int field_coordinate(const unsigned char **at, const unsigned char *end, double limit, double *out) {
    Dec d;
    if (!field_decimal(at, end, 0, &d) || !d.ok || d.after < 1 || d.n - d.after - 1 < 3) return 0;
    /* deg = m // 10**(after+2): the whole part's digits but its last two */
    int64_t m = (int64_t)d.m, deg = (int64_t)(d.whole / 100), minutes = m - deg * I10[d.after + 2];
    double v = (double)deg + ((double)minutes / P10[d.after]) / 60.0;
    if (!(v <= limit)) return 0;
    *out = v;
    return 1;
}

/* a field of one character, one of a and b: that character, or 0 */
static inline unsigned char field_char(const unsigned char **at, const unsigned char *end, unsigned char a,
                                       unsigned char b) {
    const unsigned char *s = *at;
    if (s + 1 >= end || s[1] != ',' || (s[0] != a && s[0] != b)) return 0;
    *at = s + 2;
    return s[0];
}

/* Parse the pair (r: the RMC's bytes, g: the GGA's, both position lines: n >= 20, ',' at 6) into *o: 1 if it
 * passes every test but the date's. */
static int parse_pair(const unsigned char *r, Py_ssize_t rn, const unsigned char *g, Py_ssize_t gn, Pair *o,
                      int32_t *date) {
    const unsigned char *rend = r + rn - 3, *gend = g + gn - 3, *at = g + 7;
    /* GGA: time of day, hhmmss or hhmmss.f+ (1-8 fraction digits) */
    const unsigned char *ts = at;
    int64_t hms = 0;
    for (int j = 0; j < 6; j++, at++) {
        unsigned dj = (unsigned)*at - '0';  /* (the line is at least 20 long: 7 + 6 < n - 3) */
        if (dj > 9) return 0;
        hms = hms * 10 + dj;
    }
    int64_t hh = hms / 10000, mm = hms / 100 % 100, ss = hms % 100, frac_us = 0;
    if (hh > 23 || mm > 59 || ss > 59) return 0;
    if (*at == '.') {
        Dec f;
        if (!field_decimal(&at, gend, 0, &f) || !f.ok || f.n < 2 || f.n > 9) return 0;  /* ".f+": 8 <= tl <= 15 */
        frac_us = (int64_t)trunc((double)f.m / P10[f.after] * 1000000.0);
        if (frac_us < 0 || frac_us >= 1000000) return 0;
    } else if (*at++ != ',') {
        return 0;
    }
    Py_ssize_t tl = at - 1 - ts;
    o->tod = ((hh * 60 + mm) * 60 + ss) * 1000000 + frac_us;
    /* GGA: lat, N/S, lon, E/W */
    const unsigned char *cs = at;
    double lat, lon;
    unsigned char ns, ew;
    if (!field_coordinate(&at, gend, 90.0, &lat) || !(ns = field_char(&at, gend, 'N', 'S')) ||
        !field_coordinate(&at, gend, 180.0, &lon) || !(ew = field_char(&at, gend, 'E', 'W'))) return 0;
    Py_ssize_t cl = at - 1 - cs;  /* the coordinate text, without its last comma */
    o->lat = ns == 'S' ? -lat : lat;
    o->lon = ew == 'W' ? -lon : lon;
    /* GGA: quality (1-2 digits, not 0), satellites (empty or 1-2 digits), HDOP, altitude */
    Dec d;
    if (!field_decimal(&at, gend, 0, &d) || !d.ok || d.point || d.n > 2 || d.m == 0) return 0;
    o->quality = (uint8_t)d.m;
    o->none = 0;
    o->sats = 0;
    if (!field_decimal(&at, gend, 0, &d)) return 0;
    if (d.n == 0) {
        o->none |= NO_SATS;
    } else {
        if (!d.ok || d.point || d.n > 2) return 0;
        o->sats = (uint8_t)d.m;
    }
    if (!field_optional(&at, gend, 0, &o->hdop, &o->none, NO_HDOP) ||
        !field_optional(&at, gend, 1, &o->alt, &o->none, NO_ALT)) return 0;
    /* RMC: the same time text, 'A', the same coordinate text (at most TEXT_MAX characters, as _text_eq) */
    at = r + 7;
    if (at + tl >= rend || memcmp(at, ts, (size_t)tl) != 0 || at[tl] != ',') return 0;
    at += tl + 1;
    if (!field_char(&at, rend, 'A', 'A')) return 0;
    if (cl > TEXT_MAX || at + cl >= rend || memcmp(at, cs, (size_t)cl) != 0 || at[cl] != ',') return 0;
    at += cl + 1;
    /* RMC: knots, course, date (six digits) */
    if (!field_optional(&at, rend, 0, &o->speed, &o->none, NO_SPEED)) return 0;
    o->speed = o->speed * KNOT;
    if (!field_optional(&at, rend, 0, &o->course, &o->none, NO_COURSE)) return 0;
    if (!field_decimal(&at, rend, 0, &d) || !d.ok || d.point || d.n != 6) return 0;
    *date = (int32_t)d.m;
    return 1;
}

/* ------------------------------------------------------------------ lines */
static int hexval(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* the XOR of p[0:n], eight bytes at a time (a byte's place in a word does not matter to the fold) */
static unsigned xor_of(const unsigned char *p, Py_ssize_t n) {
    uint64_t x = 0, w;
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, p + i, 8);
        x ^= w;
    }
#if !PY_BIG_ENDIAN
    if (i < n && n >= 8) {  /* the last n - i bytes: the top of the word that ends at n */
        memcpy(&w, p + n - 8, 8);
        x ^= w >> 8 * (8 - (n - i));
        i = n;
    }
#endif
    for (; i < n; i++) x ^= p[i];
    x ^= x >> 32;
    x ^= x >> 16;
    x ^= x >> 8;
    return (unsigned)x & 0xFF;
}

/* the checksum flag of pairs.py (devices.nmea.fast.line_xors): ends in *hh (upper-case) = XOR of line[1:-3] */
static int checksum_ok(const unsigned char *p, Py_ssize_t n) {
    if (n < 6 || p[n - 3] != '*') return 0;
    int hi = hexval(p[n - 2]), lo = hexval(p[n - 1]);
    return hi >= 0 && lo >= 0 && (unsigned)(hi * 16 + lo) == xor_of(p + 1, n - 4);
}

/* RMC or GGA if the line could be one half of a pair (checksum-clean, long enough, $, not proprietary, ',' at 6) */
static int position_kind(const unsigned char *p, Py_ssize_t n, int ok) {
    if (!ok || n < 20 || p[0] != '$' || p[1] == 'P' || p[6] != ',') return NOT_POS;
    if (p[3] == 'R' && p[4] == 'M' && p[5] == 'C') return RMC;
    if (p[3] == 'G' && p[4] == 'G' && p[5] == 'A') return GGA;
    return NOT_POS;
}

/* ------------------------------------------------------------------ peers */
/* each line's peer number into out[n]: an int64 buffer (numpy) or a sequence of ints, each in 0..n-1 (the
 * streams numbered in order of first appearance); 0, or -1 with an error */
static int read_peers(PyObject *peers, Py_ssize_t n, int64_t *out) {
    if (PyObject_CheckBuffer(peers)) {
        Py_buffer v;
        if (PyObject_GetBuffer(peers, &v, PyBUF_RECORDS_RO) < 0) {
            PyErr_Clear();  /* (an exporter without strides or format: read it as a sequence) */
            goto sequence;
        }
        const char *f = v.format ? v.format : "B";
        if (*f == '@' || *f == '=' || (*f == '<' && PY_LITTLE_ENDIAN)) f++;
        int fits = v.ndim == 1 && v.itemsize == 8 && (strcmp(f, "q") == 0 || strcmp(f, "l") == 0);
        if (fits) {
            if (v.shape[0] != n) {
                PyBuffer_Release(&v);
                PyErr_Format(PyExc_ValueError, "scan_pairs: %zd peers for %zd lines", v.shape[0], n);
                return -1;
            }
            for (Py_ssize_t i = 0; i < n; i++) memcpy(&out[i], (const char *)v.buf + i * v.strides[0], 8);
        }
        PyBuffer_Release(&v);
        if (fits) goto check;
    }
sequence:;
    PyObject *t = PySequence_Tuple(peers);  /* (a tuple: __index__ of an item cannot change it under us) */
    if (!t) return -1;
    if (PyTuple_GET_SIZE(t) != n) {
        PyErr_Format(PyExc_ValueError, "scan_pairs: %zd peers for %zd lines", PyTuple_GET_SIZE(t), n);
        Py_DECREF(t);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        long long x = PyLong_AsLongLong(PyTuple_GET_ITEM(t, i));
        if (x == -1 && PyErr_Occurred()) {
            Py_DECREF(t);
            return -1;
        }
        out[i] = x;
    }
    Py_DECREF(t);
check:
    for (Py_ssize_t i = 0; i < n; i++) {
        if (out[i] < 0 || out[i] >= n) {  /* (numbered by first appearance: below n; the per-peer arrays are sized so) */
            PyErr_Format(PyExc_ValueError, "scan_pairs: peer number %lld is not in 0..%zd", (long long)out[i], n - 1);
            return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ results */
static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static PyObject *int_range_list(Py_ssize_t n) {
    PyObject *l = PyList_New(n);
    for (Py_ssize_t i = 0; l && i < n; i++) {
        PyObject *v = PyLong_FromSsize_t(i);
        if (!v) Py_CLEAR(l);
        else PyList_SET_ITEM(l, i, v);
    }
    return l;
}

static PyObject *zeros_list(Py_ssize_t n) {
    PyObject *zero = PyLong_FromLong(0), *l = zero ? PyList_New(n) : NULL;
    for (Py_ssize_t i = 0; l && i < n; i++) PyList_SET_ITEM(l, i, Py_NewRef(zero));
    Py_XDECREF(zero);
    return l;
}

static PyObject *talker_str(uint16_t c) {
    char s[2] = {(char)(c & 0xFF), (char)(c >> 8)};
    return PyUnicode_FromStringAndSize(s, 2);  /* (ASCII: the batch is) */
}

/* ------------------------------------------------------------------ scan_pairs */
#define SLOT_BITS 9  /* at most 512 slots a column (fewer for a small batch: see float_of) */
typedef struct {
    uint64_t bits;
    PyObject *obj;
} Slot;
typedef struct {
    Slot *slot;
    int shift;  /* 64 - log2(slots) */
} Cache;

typedef struct {
    PyObject *lines;      /* the lines as a tuple */
    const unsigned char **text;
    Py_ssize_t *len;
    int64_t *pid;         /* each line's peer */
    uint8_t *kind, *used;
    void *pair_room;
    Pair *pairs;          /* the pairs that passed the parse, in line order */
    Py_ssize_t *line;     /* ... each one's first line */
    int32_t *date;        /* ... its ddmmyy */
    Py_ssize_t *key;      /* ... the number of its (peer, date) among the unique ones */
    Py_ssize_t *order;    /* pair numbers by peer, then line */
    Py_ssize_t *count, *stop;  /* per peer */
    int64_t *keys, *day;  /* per (peer, date) key: the key, its day (-1: unknown) */
    PyObject **day_obj;   /* ... and that day as the column holds it */
    Py_ssize_t nkeys;
    void *out_room;       /* the pairs taken, in the columns' order */
    double *time;         /* ... their times */
    Slot *slots;          /* each column's objects by value (float_of), 16 to 512 slots a column */
} Scan;

static void scan_free(Scan *s) {
    Py_XDECREF(s->lines);
    if (s->day_obj) {
        for (Py_ssize_t i = 0; i < s->nkeys; i++) Py_XDECREF(s->day_obj[i]);
    }
    void *room[] = {s->text, s->len, s->pid, s->kind, s->used, s->pair_room, s->line, s->date, s->key, s->order,
                    s->count, s->stop, s->keys, s->day, s->day_obj, s->out_room, s->time, s->slots};
    for (size_t i = 0; i < sizeof room / sizeof *room; i++) PyMem_Free(room[i]);
}

/* (ptr) = room for count items (ZALLOC: zeroed), or a MemoryError and goto fail */
#define ALLOC(ptr, count) \
    do { \
        if ((size_t)(count) > PY_SSIZE_T_MAX / sizeof *(ptr) || \
            !((ptr) = PyMem_Malloc((size_t)(count) ? (size_t)(count) * sizeof *(ptr) : 1))) { \
            PyErr_NoMemory(); \
            goto fail; \
        } \
    } while (0)
#define ZALLOC(ptr, count) \
    do { \
        if (!((ptr) = PyMem_Calloc((size_t)(count) ? (size_t)(count) : 1, sizeof *(ptr)))) { \
            PyErr_NoMemory(); \
            goto fail; \
        } \
    } while (0)

/* the result tuple with no pair: every line is another's */
static PyObject *no_pairs(Py_ssize_t n, PyObject *ok, Py_ssize_t npeer) {
    PyObject *f[20] = {0};
    for (int i = 0; i < 13; i++) f[i] = PyList_New(0);
    f[13] = int_range_list(n);
    f[14] = Py_NewRef(ok);
    f[15] = zeros_list(npeer);
    f[16] = zeros_list(npeer);
    f[17] = Py_NewRef(Py_None);
    f[18] = Py_NewRef(Py_True);
    f[19] = PyFloat_FromDouble(0.0);
    PyObject *t = PyTuple_New(20);
    for (int i = 0; i < 20; i++) {
        if (!f[i]) Py_CLEAR(t);
    }
    if (!t) {
        for (int j = 0; j < 20; j++) Py_XDECREF(f[j]);
        return NULL;
    }
    for (int i = 0; i < 20; i++) PyTuple_SET_ITEM(t, i, f[i]);
    return t;
}

/* Ask `dates` for the days of the pairs' unique (peer, date) keys, in order: s->key of each pair, s->day and
 * s->day_obj of each key (day -1: unknown, for None).  0, or -1 with an error. */
static int look_up_dates(Scan *s, PyObject *dates, Py_ssize_t npairs) {
    PyObject *peers = NULL, *texts = NULL, *got = NULL, *days = NULL, *text = NULL;
    ALLOC(s->keys, npairs);
    /* the keys in the pairs' order by peer: usually sorted already (a peer repeats one date) */
    int sorted = 1;
    for (Py_ssize_t i = 0; i < npairs; i++) {
        Py_ssize_t j = s->order[i];
        s->keys[i] = (int64_t)((uint64_t)s->pid[s->line[j]] * 1000000u + (uint64_t)s->date[j]);
        sorted &= !i || s->keys[i] >= s->keys[i - 1];
    }
    if (!sorted) qsort(s->keys, (size_t)npairs, sizeof *s->keys, cmp_i64);
    Py_ssize_t nu = 0;  /* the unique keys, in place */
    for (Py_ssize_t i = 0; i < npairs; i++) {
        if (!nu || s->keys[i] != s->keys[nu - 1]) s->keys[nu++] = s->keys[i];
        if (sorted) s->key[s->order[i]] = nu - 1;
    }
    for (Py_ssize_t j = 0; !sorted && j < npairs; j++) {
        int64_t k = (int64_t)((uint64_t)s->pid[s->line[j]] * 1000000u + (uint64_t)s->date[j]);
        Py_ssize_t lo = 0, hi = nu;
        while (hi - lo > 1) {
            Py_ssize_t mid = lo + (hi - lo) / 2;
            if (s->keys[mid] <= k) lo = mid;
            else hi = mid;
        }
        s->key[j] = lo;
    }
    if (!(peers = PyList_New(nu)) || !(texts = PyList_New(nu))) goto fail;
    int32_t text_of = -1;
    for (Py_ssize_t i = 0; i < nu; i++) {
        PyObject *pk = PyLong_FromLongLong(s->keys[i] / 1000000);
        if (!pk) goto fail;
        PyList_SET_ITEM(peers, i, pk);
        int32_t date = (int32_t)(s->keys[i] % 1000000);
        if (date != text_of) {  /* (one str per date, as the numpy version's text dict) */
            char buf[16];
            snprintf(buf, sizeof buf, "%06d", (int)date);
            Py_XDECREF(text);
            if (!(text = PyUnicode_FromString(buf))) goto fail;
            text_of = date;
        }
        PyList_SET_ITEM(texts, i, Py_NewRef(text));
    }
    if (!(got = PyObject_CallFunctionObjArgs(dates, peers, texts, NULL))) goto fail;
    if (!(days = PySequence_Tuple(got))) goto fail;
    if (PyTuple_GET_SIZE(days) != nu) {
        PyErr_Format(PyExc_ValueError, "scan_pairs: dates gave %zd days for %zd keys", PyTuple_GET_SIZE(days), nu);
        goto fail;
    }
    ALLOC(s->day, nu);
    ZALLOC(s->day_obj, nu);
    s->nkeys = nu;
    for (Py_ssize_t i = 0; i < nu; i++) {
        PyObject *d = PyTuple_GET_ITEM(days, i);
        if (d == Py_None) {
            s->day[i] = -1;
            continue;
        }
        long long v = PyLong_AsLongLong(d);
        if (v == -1 && PyErr_Occurred()) goto fail;
        s->day[i] = v < 0 ? -1 : v;  /* (below 0 is unknown, as the numpy version's -1 for None) */
        /* the day column holds ints: the callback's own when it gave exact ints */
        if (!(s->day_obj[i] = PyLong_CheckExact(d) ? Py_NewRef(d) : PyLong_FromLongLong(v))) goto fail;
    }
    Py_DECREF(peers);
    Py_DECREF(texts);
    Py_DECREF(text);
    Py_DECREF(got);
    Py_DECREF(days);
    return 0;
fail:
    Py_XDECREF(peers);
    Py_XDECREF(texts);
    Py_XDECREF(text);
    Py_XDECREF(got);
    Py_XDECREF(days);
    return -1;
}

/* The column's objects so far, by value: a value made before in the column is the same object again.  Every
 * stream of a fleet reports on the same seconds (the time and time of day repeat across the peers) and a unit
 * at rest repeats its speed, course, HDOP and altitude.  Direct-mapped: a slot holds the last value that hashed
 * to it, its object borrowed (the column's list holds it). */
static inline Slot *slot_of(Cache c, uint64_t bits) {
    return &c.slot[(bits * 0x9E3779B97F4A7C15ULL) >> c.shift];  /* (Fibonacci hashing) */
}

/* a float for x: the column's own if it made one of the same bits, else a new one; a new reference, or NULL */
static inline PyObject *float_of(double x, Cache cache) {
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    Slot *sl = slot_of(cache, bits);
    if (sl->obj && sl->bits == bits) return Py_NewRef(sl->obj);
    PyObject *v = PyFloat_FromDouble(x);
    if (v) {
        sl->bits = bits;
        sl->obj = v;
    }
    return v;
}

/* the same for an int */
static inline PyObject *int_of(int64_t x, Cache cache) {
    Slot *sl = slot_of(cache, (uint64_t)x);
    if (sl->obj && sl->bits == (uint64_t)x) return Py_NewRef(sl->obj);
    PyObject *v = PyLong_FromLongLong(x);
    if (v) {
        sl->bits = (uint64_t)x;
        sl->obj = v;
    }
    return v;
}

enum { C_INDEX, C_TALKER, C_TIME, C_TOD, C_DAY, C_LAT, C_LON, C_SPEED, C_COURSE, C_ALT, C_QUALITY, C_HDOP, C_SATS,
       C_OTHER, C_OK, C_LO, C_HI, C_PEER, C_ONE_TALKER, C_EARLIEST, NCOLS };

static PyObject *scan_pairs(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *lines_arg, *peers_arg, *dates, *ok = NULL, *result = NULL, *peer_error = NULL, *talker = NULL;
    PyObject *col[NCOLS] = {0};
    Scan s;
    memset(&s, 0, sizeof s);
    if (!PyArg_ParseTuple(args, "OOO:scan_pairs", &lines_arg, &peers_arg, &dates)) return NULL;
    Py_ssize_t n = PyObject_Length(lines_arg);
    if (n < 0) return NULL;
    if (n < MIN_LINES) Py_RETURN_NONE;
    if (!(s.lines = PySequence_Tuple(lines_arg))) return NULL;
    n = PyTuple_GET_SIZE(s.lines);
    if (n < MIN_LINES) {
        scan_free(&s);
        Py_RETURN_NONE;
    }
    ALLOC(s.text, n);
    ALLOC(s.len, n);
    ALLOC(s.kind, n);
    ALLOC(s.pid, n);
    Py_ssize_t room = n / 2 + 1;  /* (pairs never share a line) */
    ALLOC(s.line, room);
    ALLOC(s.date, room);
    ALLOC(s.key, room);
    if ((size_t)room > PY_SSIZE_T_MAX / sizeof(Pair) - 1 || !(s.pair_room = PyMem_Malloc((size_t)(room + 1) * sizeof(Pair)))) {
        PyErr_NoMemory();
        goto fail;
    }
    s.pairs = (Pair *)(((uintptr_t)s.pair_room + 63) & ~(uintptr_t)63);  /* (64-byte pairs on cache lines) */
    /* the peers first, so that the lines are read once; but a batch the scan does not look at is None
     * whatever the peers are, as in the numpy version (which reads them after that test) */
    if (read_peers(peers_arg, n, s.pid) < 0) peer_error = PyErr_GetRaisedException();
    /* each line: its text, checksum flag (kind's high bit) and kind; then the pair it ends, if any: two
     * position lines of one peer, talker and hhmmss, one of each kind, side by side; a line that could pair
     * both ways is left to the decoder (the first of three in a row keeps its pair) */
    int ascii = 1, before = 0;
    Py_ssize_t total = 0, npairs = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(s.lines, i);
        if (!PyUnicode_Check(item)) {
            PyErr_Format(PyExc_TypeError, "sequence item %zd: expected str instance, %.80s found", i,
                         Py_TYPE(item)->tp_name);
            goto fail;
        }
        if (!ascii || !PyUnicode_IS_ASCII(item)) {
            ascii = 0;
            continue;
        }
        const unsigned char *b = s.text[i] = PyUnicode_DATA(item);  /* (ASCII: one byte per character) */
        Py_ssize_t len = s.len[i] = PyUnicode_GET_LENGTH(item);
        total += len;
        if (peer_error) continue;
        int good = checksum_ok(b, len), kind = position_kind(b, len, good);
        s.kind[i] = (uint8_t)(kind | good << 7);
        if (!i) continue;
        const unsigned char *a = s.text[i - 1];
        int ka = s.kind[i - 1] & 0x7F;
        int cand = ka && kind && ka != kind && s.pid[i - 1] == s.pid[i] && a[1] == b[1] && a[2] == b[2] &&
                   memcmp(a + 7, b + 7, 6) == 0;
        if (cand && !before) {
            Pair *p = &s.pairs[npairs];
            Py_ssize_t ri = ka == RMC ? i - 1 : i, gi = ka == RMC ? i : i - 1;
            if (parse_pair(s.text[ri], s.len[ri], s.text[gi], s.len[gi], p, &s.date[npairs])) {
                p->talker = (uint16_t)(a[1] | a[2] << 8);
                s.line[npairs++] = i - 1;
            }
        }
        before = cand;
    }
    if (!ascii || total < 16) {
        Py_XDECREF(peer_error);
        scan_free(&s);
        Py_RETURN_NONE;
    }
    if (peer_error) {
        PyErr_SetRaisedException(peer_error);
        peer_error = NULL;
        goto fail;
    }
    int64_t maxpeer = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (s.pid[i] > maxpeer) maxpeer = s.pid[i];
    }
    Py_ssize_t npeer = (Py_ssize_t)maxpeer + 1;  /* (at most n) */
    if (!(ok = PyList_New(n))) goto fail;
    for (Py_ssize_t i = 0; i < n; i++) PyList_SET_ITEM(ok, i, Py_NewRef(s.kind[i] & 0x80 ? Py_True : Py_False));
    if (!npairs) {
        result = no_pairs(n, ok, npeer);
        goto done;
    }
    /* the pairs by peer, each peer's in line order (a counting sort) */
    ZALLOC(s.count, npeer + 1);
    ALLOC(s.order, npairs);
    for (Py_ssize_t j = 0; j < npairs; j++) s.count[s.pid[s.line[j]] + 1]++;
    for (Py_ssize_t p = 0; p < npeer; p++) s.count[p + 1] += s.count[p];
    for (Py_ssize_t j = 0; j < npairs; j++) s.order[s.count[s.pid[s.line[j]]]++] = j;
    /* the date must be one the stream has seen: one call for the batch */
    if (look_up_dates(&s, dates, npairs) < 0) goto fail;
    /* a peer's pairs count up to its first line that is not one (the prefix) */
    ZALLOC(s.used, n);
    for (Py_ssize_t j = 0; j < npairs; j++) {
        if (s.day[s.key[j]] >= 0) s.used[s.line[j]] = s.used[s.line[j] + 1] = 1;
    }
    ALLOC(s.stop, npeer);
    for (Py_ssize_t p = 0; p < npeer; p++) s.stop[p] = n;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!s.used[i] && s.stop[s.pid[i]] == n) s.stop[s.pid[i]] = i;
    }
    /* the pairs taken, in the columns' order (order, filtered in place) */
    Py_ssize_t k = 0;
    memset(s.count, 0, (size_t)(npeer + 1) * sizeof *s.count);
    memset(s.used, 0, (size_t)n);
    for (Py_ssize_t i = 0; i < npairs; i++) {
        Py_ssize_t j = s.order[i], line = s.line[j];
        if (s.day[s.key[j]] >= 0 && line < s.stop[s.pid[line]]) {
            s.order[k++] = j;
            s.count[s.pid[line] + 1]++;
            s.used[line] = s.used[line + 1] = 1;
        }
    }
    if (!k) {
        result = no_pairs(n, ok, npeer);
        goto done;
    }

    /* the columns */
    for (int c = 0; c <= C_SATS; c++) {
        if (!(col[c] = PyList_New(k))) goto fail;
    }
    int bits = 4;
    while (bits < SLOT_BITS && ((Py_ssize_t)1 << bits) < k) bits++;
    Py_ssize_t nslots = (Py_ssize_t)(C_SATS + 1) << bits;
    ZALLOC(s.slots, nslots);
#define CACHE(c) ((Cache){s.slots + ((Py_ssize_t)(c) << bits), 64 - bits})
    double earliest = 0.0;
    int one_talker = 1;
    uint16_t talker_code = s.pairs[s.order[0]].talker;
    if (!(talker = talker_str(talker_code))) goto fail;
    /* the pairs taken, gathered in order (one pass of random reads), then each column from them: a column's
     * objects are made one after the other, the order they are freed in */
    if ((size_t)k > PY_SSIZE_T_MAX / sizeof(Pair) - 1 || !(s.out_room = PyMem_Malloc((size_t)(k + 1) * sizeof(Pair)))) {
        PyErr_NoMemory();
        goto fail;
    }
    Pair *out = (Pair *)(((uintptr_t)s.out_room + 63) & ~(uintptr_t)63);
    ALLOC(s.time, k);
    for (Py_ssize_t i = 0; i < k; i++) {
        Py_ssize_t j = s.order[i];
        const Pair *p = &s.pairs[j];
        out[i] = *p;
        double t = s.time[i] = (double)(int64_t)((uint64_t)s.day[s.key[j]] * 1000000u + (uint64_t)p->tod) / 1000000.0;
        if (!i || t < earliest) earliest = t;
    }
#define COLUMN(c, expr) \
    for (Py_ssize_t i = 0; i < k; i++) { \
        const Pair *p = &out[i]; \
        (void)p; \
        PyObject *v_ = (expr); \
        if (!v_) goto fail; \
        PyList_SET_ITEM(col[c], i, v_); \
    }
    COLUMN(C_INDEX, PyLong_FromSsize_t(s.line[s.order[i]]))
    for (Py_ssize_t i = 0; i < k; i++) {
        if (out[i].talker != talker_code) {  /* (nearly never: one str per run of a talker) */
            one_talker = 0;
            talker_code = out[i].talker;
            Py_DECREF(talker);
            if (!(talker = talker_str(talker_code))) goto fail;
        }
        PyList_SET_ITEM(col[C_TALKER], i, Py_NewRef(talker));
    }
    COLUMN(C_TIME, float_of(s.time[i], CACHE(C_TIME)))
    COLUMN(C_TOD, int_of(p->tod, CACHE(C_TOD)))
    COLUMN(C_DAY, Py_NewRef(s.day_obj[s.key[s.order[i]]]))
    COLUMN(C_LAT, float_of(p->lat, CACHE(C_LAT)))
    COLUMN(C_LON, float_of(p->lon, CACHE(C_LON)))
    COLUMN(C_SPEED, p->none & NO_SPEED ? Py_NewRef(Py_None) : float_of(p->speed, CACHE(C_SPEED)))
    COLUMN(C_COURSE, p->none & NO_COURSE ? Py_NewRef(Py_None) : float_of(p->course, CACHE(C_COURSE)))
    COLUMN(C_ALT, p->none & NO_ALT ? Py_NewRef(Py_None) : float_of(p->alt, CACHE(C_ALT)))
    COLUMN(C_QUALITY, PyLong_FromLong(p->quality))
    COLUMN(C_HDOP, p->none & NO_HDOP ? Py_NewRef(Py_None) : float_of(p->hdop, CACHE(C_HDOP)))
    COLUMN(C_SATS, p->none & NO_SATS ? Py_NewRef(Py_None) : PyLong_FromLong(p->sats))
#undef COLUMN
#undef CACHE
    if (!(col[C_OTHER] = PyList_New(n - 2 * k))) goto fail;
    for (Py_ssize_t i = 0, j = 0; i < n; i++) {
        if (!s.used[i]) {
            PyObject *v = PyLong_FromSsize_t(i);
            if (!v) goto fail;
            PyList_SET_ITEM(col[C_OTHER], j++, v);
        }
    }
    col[C_OK] = Py_NewRef(ok);
    if (!(col[C_LO] = PyList_New(npeer)) || !(col[C_HI] = PyList_New(npeer))) goto fail;
    for (Py_ssize_t p = 0, lo = 0; p < npeer; p++) {
        Py_ssize_t hi = lo + s.count[p + 1];
        PyObject *a = PyLong_FromSsize_t(lo), *b = a ? PyLong_FromSsize_t(hi) : NULL;
        if (!b) {
            Py_XDECREF(a);
            goto fail;
        }
        PyList_SET_ITEM(col[C_LO], p, a);
        PyList_SET_ITEM(col[C_HI], p, b);
        lo = hi;
    }
    if (!(col[C_PEER] = PyByteArray_FromStringAndSize(NULL, k * (Py_ssize_t)sizeof(int64_t)))) goto fail;
    char *peer_bytes = PyByteArray_AS_STRING(col[C_PEER]);
    for (Py_ssize_t i = 0; i < k; i++) memcpy(peer_bytes + i * 8, &s.pid[s.line[s.order[i]]], 8);
    col[C_ONE_TALKER] = Py_NewRef(one_talker ? Py_True : Py_False);
    if (!(col[C_EARLIEST] = PyFloat_FromDouble(earliest))) goto fail;
    if (!(result = PyTuple_New(NCOLS))) goto fail;
    for (int c = 0; c < NCOLS; c++) {
        PyTuple_SET_ITEM(result, c, col[c]);
        col[c] = NULL;
    }
done:
    Py_XDECREF(talker);
    Py_XDECREF(ok);
    scan_free(&s);
    return result;
fail:
    for (int c = 0; c < NCOLS; c++) Py_XDECREF(col[c]);  /* (a list's items not yet set are NULL) */
    Py_XDECREF(talker);
    Py_XDECREF(peer_error);
    Py_XDECREF(ok);
    scan_free(&s);
    return NULL;
}

static PyMethodDef methods[] = {
    {"scan_pairs", scan_pairs, METH_VARARGS,
     "scan_pairs(lines, peers, dates) -> tuple | None: devices.nmea.pairs.scan_pairs's fields in order "
     "(peer as a bytearray of int64), or None for a batch it does not look at."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "devices.nmea._cpairs", "devices.nmea.pairs.scan_pairs in C (see devices/nmea/pairs.py).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__cpairs(void) {
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    PyObject *knot = PyFloat_FromDouble(KNOT);
    if (!knot || PyModule_AddObjectRef(m, "KNOT", knot) < 0 || PyModule_AddIntConstant(m, "MIN_LINES", MIN_LINES) < 0 ||
        PyModule_AddIntConstant(m, "MAX_DIGITS", MAX_DIGITS) < 0) {
        Py_XDECREF(knot);
        Py_DECREF(m);
        return NULL;
    }
    Py_DECREF(knot);
    return m;
}
