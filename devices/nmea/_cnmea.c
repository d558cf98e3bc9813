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
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------ growable byte buffer */
typedef struct {
    char *p;
    size_t n, cap;
} Buf;

static int buf_reserve(Buf *b, size_t extra) {
    if (b->n + extra <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + extra) {
        if (cap > ((size_t)PY_SSIZE_T_MAX) / 2) { PyErr_NoMemory(); return -1; }
        cap *= 2;
    }
    char *np = PyMem_Realloc(b->p, cap);
    if (!np) { PyErr_NoMemory(); return -1; }
    b->p = np;
    b->cap = cap;
    return 0;
}

static int buf_add(Buf *b, const char *s, size_t n) {
    if (buf_reserve(b, n) < 0) return -1;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    return 0;
}

#define BUF_LIT(b, s) buf_add((b), (s), sizeof(s) - 1)

static int buf_int(Buf *b, long long v) {
    char tmp[24];
    int k = sizeof tmp;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[--k] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) tmp[--k] = '-';
    return buf_add(b, tmp + k, sizeof tmp - (size_t)k);
}

/* v (0 <= v < 10**width) with leading zeros */
static int buf_pad(Buf *b, int64_t v, int width) {
    char tmp[8];
    for (int i = width - 1; i >= 0; i--) {
        tmp[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return buf_add(b, tmp, (size_t)width);
}

/* a double with `prec` decimals, as Python's format(v, '.<prec>f') writes it */
static int buf_fixed(Buf *b, double v, int prec) {
    if (!isfinite(v)) {
        char *s = PyOS_double_to_string(v, 'f', prec, 0, NULL);
        if (!s) return -1;
        int r = buf_add(b, s, strlen(s));
        PyMem_Free(s);
        return r;
    }
    if (prec == 1 && v == floor(v) && fabs(v) < 1e15) {
        /* integral: "<int>.0" (-0.0 keeps its sign, as Python prints it) */
        if (v == 0 && signbit(v)) return BUF_LIT(b, "-0.0");
        if (buf_int(b, (long long)v) < 0) return -1;
        return BUF_LIT(b, ".0");
    }
    if (buf_reserve(b, 64) < 0) return -1;
    int k = snprintf(b->p + b->n, b->cap - b->n, "%.*f", prec, v);
    if (k < 0) { PyErr_SetString(PyExc_RuntimeError, "snprintf failed"); return -1; }
    if ((size_t)k >= b->cap - b->n) {
        if (buf_reserve(b, (size_t)k + 1) < 0) return -1;
        snprintf(b->p + b->n, b->cap - b->n, "%.*f", prec, v);
    }
    b->n += (size_t)k;
    return 0;
}

/* ------------------------------------------------------------------ fields */
typedef struct {
    const unsigned char *p;
    Py_ssize_t n;
} Field;

static const Field EMPTY = {(const unsigned char *)"", 0};

static int is_digits(Field f) {
    if (f.n <= 0) return 0;
    for (Py_ssize_t i = 0; i < f.n; i++)
        if (f.p[i] < '0' || f.p[i] > '9') return 0;
    return 1;
}

static int feq(Field a, Field b) { return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, (size_t)a.n) == 0); }

static int first(Field f) { return f.n > 0 ? f.p[0] : -1; }

/* The field as Python sees it (bytes >= 0x80 were decoded as U+FFFD). */
static PyObject *field_str(Field f) { return PyUnicode_DecodeASCII((const char *)f.p, f.n, "replace"); }

/* Python's float(field): 0 and *out, -1 for ValueError (cleared), -2 for another Python error. */
static int py_float(Field f, double *out) {
    /* fast path: [+-]?digits[.digits] or [+-]?.digits, short enough for a stack copy */
    Py_ssize_t i = 0, n = f.n;
    if (n > 0 && n < 64) {
        if (f.p[0] == '+' || f.p[0] == '-') i = 1;
        Py_ssize_t d0 = 0, d1 = 0;
        while (i < n && f.p[i] >= '0' && f.p[i] <= '9') { i++; d0++; }
        if (i < n && f.p[i] == '.') {
            i++;
            while (i < n && f.p[i] >= '0' && f.p[i] <= '9') { i++; d1++; }
        }
        if (i == n && (d0 + d1) > 0) {
            char tmp[64];
            memcpy(tmp, f.p, (size_t)n);
            tmp[n] = 0;
            char *end = NULL;
            double v = PyOS_string_to_double(tmp, &end, NULL);
            if (v == -1.0 && PyErr_Occurred()) return -2;
            if (end == tmp + n) { *out = v; return 0; }
        }
    }
    PyObject *s = field_str(f);
    if (!s) return -2;
    PyObject *v = PyFloat_FromString(s);
    Py_DECREF(s);
    if (!v) {
        if (PyErr_ExceptionMatches(PyExc_ValueError)) { PyErr_Clear(); return -1; }
        return -2;
    }
    *out = PyFloat_AS_DOUBLE(v);
    Py_DECREF(v);
    return 0;
}

/* error codes of the rules: the sentence is malformed (ValueError/OverflowError in Python), or a
 * Python exception is set and must propagate */
#define E_BAD (-1)
#define E_PY (-2)

/* devices.nmea.receiver.num: a finite float */
static int num(Field f, double *out) {
    int r = py_float(f, out);
    if (r < 0) return r == -1 ? E_BAD : E_PY;
    if (!isfinite(*out)) return E_BAD;
    return 0;
}

/* the sign and digits atoi reads: [start, end) of the digits, sign */
static void atoi_span(Field f, Py_ssize_t *d0, Py_ssize_t *d1, int *neg) {
    Py_ssize_t i = 0;
    *neg = 0;
    if (f.n > 0 && (f.p[0] == '-' || f.p[0] == '+')) { *neg = f.p[0] == '-'; i = 1; }
    *d0 = i;
    while (i < f.n && f.p[i] >= '0' && f.p[i] <= '9') i++;
    *d1 = i;
    if (is_digits(f)) { *d0 = 0; *d1 = f.n; *neg = 0; }
}

#define BIG (((int64_t)1) << 62)

/* C atoi as devices.nmea.receiver.atoi, clamped to +-2**62 (big values only compare) */
static int64_t atoi_i(Field f) {
    Py_ssize_t d0, d1;
    int neg;
    atoi_span(f, &d0, &d1, &neg);
    if (d1 <= d0) return 0;
    int64_t v = 0;
    for (Py_ssize_t i = d0; i < d1; i++) {
        if (v >= BIG / 10) { v = BIG; break; }
        v = v * 10 + (f.p[i] - '0');
    }
    return neg ? -v : v;
}

/* float(atoi(f)): correctly rounded like int -> float; E_BAD when Python raises OverflowError */
static int atoi_d(Field f, double *out) {
    Py_ssize_t d0, d1;
    int neg;
    atoi_span(f, &d0, &d1, &neg);
    if (d1 <= d0) { *out = 0.0; return 0; }
    while (d0 < d1 - 1 && f.p[d0] == '0') d0++;
    if (d1 - d0 <= 15) {
        int64_t v = 0;
        for (Py_ssize_t i = d0; i < d1; i++) v = v * 10 + (f.p[i] - '0');
        *out = neg && v ? -(double)v : (double)v;
        return 0;
    }
    size_t n = (size_t)(d1 - d0);
    char *tmp = PyMem_Malloc(n + 2);
    if (!tmp) { PyErr_NoMemory(); return E_PY; }
    tmp[0] = neg ? '-' : '+';
    memcpy(tmp + 1, f.p + d0, n);
    tmp[n + 1] = 0;
    double v = PyOS_string_to_double(tmp, NULL, NULL);
    PyMem_Free(tmp);
    if (v == -1.0 && PyErr_Occurred()) return E_PY;
    if (!isfinite(v)) return E_BAD;
    *out = v;
    return 0;
}

/* ------------------------------------------------------------------ fixes */
enum { H_TIME = 1, H_LAT = 2, H_LON = 4, H_HAE = 8, H_MSL = 16, H_SEP = 32, H_SPEED = 64, H_TRACK = 128 };

typedef struct {
    unsigned has;
    int64_t mode;
    double time, lat, lon, alt_hae, alt_msl, geoid_sep, speed, track;
} Fix;

typedef struct {
    Fix f;  /* speed may be derived */
    int64_t status;
} Tpv;

static int fix_has_alt(const Fix *f) { return (f->has & (H_HAE | H_MSL)) != 0; }

/* optional equality of a member (None == None, a number equals the same number) */
static int opt_ne(unsigned ha, double a, unsigned hb, double b) {
    if (!ha || !hb) return (ha != 0) != (hb != 0);
    return a != b;
}

#define NO_FIX 1
#define MODE_2D 2
#define MODE_3D 3

/* mask bits, as devices.nmea.receiver */
#define M_TIME 1
#define M_LATLON 2
#define M_MODE 4
#define M_ALT 8
#define M_SPEED 16
#define M_TRACK 32
#define M_STATUS 64
#define M_SAT 128
#define M_DOP 256
#define M_NO_TIME 512
#define FIX_BITS (M_LATLON | M_MODE | M_ALT | M_SPEED | M_TRACK | M_STATUS)

/* ------------------------------------------------------------------ kinds and rules */
enum {
    R_IGNORED, R_RMC, R_GGA, R_GLL, R_GNS, R_VTG, R_GSA, R_GSV, R_ZDA, R_HDT, R_GBS, R_PGRMZ, R_PMGNST, R_PSRFEPE
};
static const char *RULE_NAMES[] = {"_ignored", "_rmc", "_gga", "_gll", "_gns", "_vtg", "gsa", "gsv", "_zda",
                                   "_hdt", "_gbs", "_pgrmz", "_pmgnst", "_psrfepe", NULL};

#define MAX_KINDS 64
#define MAX_NAME 16
typedef struct {
    char name[MAX_NAME];
    int len;
    int rule;
    int proprietary;
    long min_fields;
    int split;
} Kind;

/* seen flags */
enum { S_GLGSV = 1, S_BDGSV = 2, S_GAGSV = 4, S_QZGSV = 8, S_GLGSA = 16, S_BDGSA = 32, S_GAGSA = 64 };

typedef struct {
    double prn_low, prn_high;
    long low, high, prn_shift, gnssid, svid_shift;
} Range;

typedef struct {
    int64_t prn;
    double el, az, ss;
    int used;
    int64_t gnssid, svid;
} Sat;

typedef struct {
    PyObject_HEAD
    /* configuration */
    PyObject *device;  /* '"device":"x"' as str, or NULL */
    int rollover;
    Py_ssize_t max_line;
    Kind kinds[MAX_KINDS];
    int nkinds;
    int kind_gsa, kind_gsv, kind_hdt;
    uint16_t talkers[64];
    int ntalkers;
    int faa[256];
    int faa_empty;
    int gga_status[16];  /* -1: not in the table; index = quality 0..15 */
    Range ranges[16];
    int nranges;
    double grid[37][72];
    PyObject *geodesic;  /* devices.nmea.geodesy.geodesic_distance */
    /* framer */
    Buf fbuf;
    int skipping;
    long long lines, too_long, garbage, comments;
    /* counters */
    long long sentences, checksum_errors, unknown, malformed, tpv_count, sky_count, reports;
    /* receiver state */
    int64_t century;
    int has_ordinal;
    int64_t ordinal, hour, minute, second, nsec;
    double this_frac, last_frac;
    int latched;
    Fix fix, lastfix, oldfix;
    int64_t status, sats_used;
    int last_gga_talker;  /* -1: none */
    Buf last_gga_time;
    int last_gga_time_set;
    int latch_mode;
    /* sky */
    Sat *sats;
    Py_ssize_t nsats, capsats;
    int64_t *used;
    Py_ssize_t nused, capused;
    int64_t part, await_;
    int last_gsv_talker, last_gsa_talker;  /* -1: none */
    unsigned seen;
    unsigned hasdop;  /* 1 hdop, 2 vdop, 4 pdop */
    double hdop, vdop, pdop;
    /* the cycle */
    int lasttag;  /* kind index, -1: none */
    uint64_t enders;
    int dirty, reported, cycle_timed;
    uint64_t cycle_kinds;
    int prev_kind;
    Tpv *early;
    Py_ssize_t nearly, capearly;
    int has_after;
    Fix after_fix;
    int64_t after_status;
    /* big modes (a GSA mode field of 19 digits and more): their Python ints */
    PyObject *big_modes;  /* list */
    /* the split sentence */
    Field *fields;
    Py_ssize_t nfields, capfields;
    /* output of one feed */
    Buf out;
    PyObject *items;
} Decoder;

/* ------------------------------------------------------------------ dates */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

#define EPOCH_ORDINAL 719163
#define LEAP_2017 1483228800LL
#define WEEKS_1024 619315200LL

static int64_t floordiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

static int buf_iso(Buf *b, double t) {
    double r = nearbyint(t * 1000.0);
    if (!(fabs(r) < 9e15)) { PyErr_SetString(PyExc_OverflowError, "time out of range"); return -1; }
    int64_t ms_total = (int64_t)r;
    int64_t secs = floordiv(ms_total, 1000), ms = ms_total - secs * 1000;
    int64_t day = floordiv(secs, 86400), sod = secs - day * 86400;
    int64_t y, m, d;
    civil_from_days(day, &y, &m, &d);
    if (y >= 1000 && y <= 9999) {
        if (buf_pad(b, y, 4) < 0) return -1;
    } else if (buf_int(b, y) < 0) {
        return -1;
    }
    if (BUF_LIT(b, "-") < 0 || buf_pad(b, m, 2) < 0 || BUF_LIT(b, "-") < 0 || buf_pad(b, d, 2) < 0 ||
        BUF_LIT(b, "T") < 0 || buf_pad(b, sod / 3600, 2) < 0 || BUF_LIT(b, ":") < 0 ||
        buf_pad(b, sod % 3600 / 60, 2) < 0 || BUF_LIT(b, ":") < 0 || buf_pad(b, sod % 60, 2) < 0 ||
        BUF_LIT(b, ".") < 0 || buf_pad(b, ms, 3) < 0 || BUF_LIT(b, "Z") < 0)
        return -1;
    return 0;
}

/* ------------------------------------------------------------------ receiver state */
#define S(i) (((i) >= 0 && (i) < self->nfields) ? self->fields[(i)] : EMPTY)

/* register(): a time of day for end-of-cycle detection */
static int rx_register(Decoder *self, Field h) {
    if (h.n == 0) return 0;
    self->last_frac = self->this_frac;
    double v;
    int r = py_float(h, &v);
    if (r == -2) return E_PY;
    if (r == -1) {
        r = atoi_d(h, &v);
        if (r < 0) return r;
    }
    self->this_frac = v;
    self->latched = 1;
    return 0;
}

static int rx_merge_hhmmss(Decoder *self, Field s) {
    if (s.n < 6) return 0;
    for (int i = 0; i < 6; i++)
        if (s.p[i] < '0' || s.p[i] > '9') return 0;
    int64_t hour = (s.p[0] - '0') * 10 + (s.p[1] - '0');
    if (hour < self->hour - 12 && self->has_ordinal) self->ordinal += 1;
    self->hour = hour;
    self->minute = (s.p[2] - '0') * 10 + (s.p[3] - '0');
    self->second = (s.p[4] - '0') * 10 + (s.p[5] - '0');
    Field frac = EMPTY;
    if (s.n > 6 && s.p[6] == '.') { frac.p = s.p + 7; frac.n = s.n - 7; }
    if (frac.n > 0 && frac.n <= 9 && is_digits(frac)) {
        int64_t v = 0;
        for (Py_ssize_t i = 0; i < frac.n; i++) v = v * 10 + (frac.p[i] - '0');
        for (Py_ssize_t i = frac.n; i < 9; i++) v *= 10;
        self->nsec = v;
    } else {
        self->nsec = 0;
    }
    return 1;
}

static int rx_set_date(Decoder *self, int64_t year, int64_t month, int64_t day) {
    if (!(1 <= month && month <= 12) || !(1 <= day && day <= 31)) return 0;
    self->ordinal = days_from_civil(year, month, 1) + EPOCH_ORDINAL + day - 1;
    self->has_ordinal = 1;
    return 1;
}

static int rx_merge_ddmmyy(Decoder *self, Field s) {
    if (s.n != 6 || !is_digits(s)) return 0;
    int64_t year = self->century + (s.p[4] - '0') * 10 + (s.p[5] - '0');
    if (year >= 2080) year -= 100;
    return rx_set_date(self, year, (s.p[2] - '0') * 10 + (s.p[3] - '0'), (s.p[0] - '0') * 10 + (s.p[1] - '0'));
}

static double rx_utc(Decoder *self) {
    int64_t secs = (self->ordinal - EPOCH_ORDINAL) * 86400 + self->hour * 3600 + self->minute * 60 + self->second;
    if (self->rollover && secs < LEAP_2017) {
        secs += WEEKS_1024;
        int64_t days = floordiv(secs, 86400), sod = secs - days * 86400;
        self->ordinal = EPOCH_ORDINAL + days;
        self->hour = sod / 3600;
    }
    return (double)secs + (double)self->nsec / 1e9;
}

/* do_lat_lon over fields i..i+3: 1 set, 0 a field empty, <0 error */
static int latlon(Decoder *self, Py_ssize_t i, Fix *nw) {
    Field lat_s = S(i), ns = S(i + 1), lon_s = S(i + 2), ew = S(i + 3);
    if (!(lat_s.n && ns.n && lon_s.n && ew.n)) return 0;
    double lat, lon;
    int r = num(lat_s, &lat);
    if (r < 0) return r;
    r = num(lon_s, &lon);
    if (r < 0) return r;
    double d = floor(lat / 100), m = lat - 100 * d;
    lat = d + m / 60.0;
    d = floor(lon / 100);
    m = lon - 100 * d;
    lon = d + m / 60.0;
    if (fabs(lat) > 90 || fabs(lon) > 180) return E_BAD;
    nw->lat = (ns.n == 1 && ns.p[0] == 'S') ? -lat : lat;
    nw->lon = (ew.n == 1 && ew.p[0] == 'W') ? -lon : lon;
    nw->has |= H_LAT | H_LON;
    return 1;
}

static double pymod(double x, double w) {
    double mod = fmod(x, w);
    if (mod) {
        if ((w < 0) != (mod < 0)) mod += w;
    } else {
        mod = copysign(0.0, w);
    }
    return mod;
}

static double geoid(Decoder *self, double lat, double lon) {
    lat = lat > 90.0 ? 90.0 : lat;
    lat = lat < -90.0 ? -90.0 : lat;
    lon = pymod(lon + 180.0, 360.0) - 180.0;
    int64_t i = (int64_t)floor((lat + 90.0) / 5.0);
    if (i > 35) i = 35;
    int64_t j0 = (int64_t)floor((lon + 180.0) / 5.0);
    int64_t j = ((j0 % 72) + 72) % 72;
    double fy = (lat - (-90.0 + 5.0 * (double)i)) / 5.0;
    double fx = (lon - (-180.0 + 5.0 * (double)j)) / 5.0;
    int64_t j1 = (j + 1) % 72;
    if (i < 0) i = 0; /* not reachable: lat is clamped */
    const double *low = self->grid[i], *high = self->grid[i + 1];
    return ((1 - fx) * (1 - fy) * low[j] + fx * (1 - fy) * low[j1] + (1 - fx) * fy * high[j] + fx * fy * high[j1]);
}

/* ------------------------------------------------------------------ PRNs */
static void nmea_prn(Decoder *self, int t0, int t1, int64_t n, int64_t *prn, int64_t *gnssid, int64_t *svid) {
    *prn = *gnssid = *svid = 0;
    if (n < 1) return;
    if (n <= 32) {
        if (t0 == 'G') {
            if (t1 == 'A') { *prn = 300 + n; *gnssid = 2; *svid = n; return; }
            if (t1 == 'B') { *prn = 400 + n; *gnssid = 3; *svid = n; return; }
            if (t1 == 'L') { *prn = 64 + n; *gnssid = 6; *svid = n; return; }
        } else if ((t0 == 'B' && t1 == 'D') || (t0 == 'P' && t1 == 'Q')) {
            *prn = 400 + n; *gnssid = 3; *svid = n; return;
        } else if (t0 == 'Q' && t1 == 'Z') {
            *prn = 192 + n; *gnssid = 5; *svid = n; return;
        }
        *prn = n; *svid = n;
        return;
    }
    for (int k = 0; k < self->nranges; k++) {
        Range *r = &self->ranges[k];
        if (r->low <= n && n <= r->high) {
            *prn = n + r->prn_shift;
            *gnssid = r->gnssid;
            *svid = n + r->svid_shift;
            return;
        }
    }
}

/* a big GSA mode: its Python int kept in a table, the mode is +-(2**62 + index) */
static int big_mode(Decoder *self, Field f, int64_t *mode) {
    Py_ssize_t d0, d1;
    int neg;
    atoi_span(f, &d0, &d1, &neg);
    PyObject *s = PyUnicode_FromStringAndSize((const char *)f.p + d0, d1 - d0);
    if (!s) return E_PY;
    PyObject *v = PyLong_FromUnicodeObject(s, 10);
    Py_DECREF(s);
    if (!v) return E_PY;
    if (neg) {
        PyObject *nv = PyNumber_Negative(v);
        Py_DECREF(v);
        if (!nv) return E_PY;
        v = nv;
    }
    Py_ssize_t n = PyList_GET_SIZE(self->big_modes), k;
    for (k = 0; k < n; k++) {
        int eq = PyObject_RichCompareBool(PyList_GET_ITEM(self->big_modes, k), v, Py_EQ);
        if (eq < 0) { Py_DECREF(v); return E_PY; }
        if (eq) break;
    }
    if (k == n) {
        if (n >= 1024) {
            k = n - 1; /* more than 1024 distinct huge modes: the last one stands for them */
        } else if (PyList_Append(self->big_modes, v) < 0) {
            Py_DECREF(v);
            return E_PY;
        }
    }
    Py_DECREF(v);
    *mode = neg ? -(BIG + k) : (BIG + k);
    return 0;
}

static int is_big(int64_t mode) { return mode >= BIG || mode <= -BIG; }

/* a > b for modes (big ones compared as the Python ints they are) */
static int mode_gt(Decoder *self, int64_t a, int64_t b) {
    if (is_big(a) && is_big(b)) {
        PyObject *x = PyList_GET_ITEM(self->big_modes, (a > 0 ? a : -a) - BIG);
        PyObject *y = PyList_GET_ITEM(self->big_modes, (b > 0 ? b : -b) - BIG);
        int r = PyObject_RichCompareBool(x, y, Py_GT);
        if (r < 0) { PyErr_Clear(); return 0; }
        return r;
    }
    return a > b;
}

static int buf_mode(Decoder *self, Buf *b, int64_t mode) {
    if (!is_big(mode)) return buf_int(b, mode);
    PyObject *v = PyList_GET_ITEM(self->big_modes, (mode > 0 ? mode : -mode) - BIG);
    PyObject *s = PyObject_Str(v);
    if (!s) return -1;
    Py_ssize_t n;
    const char *c = PyUnicode_AsUTF8AndSize(s, &n);
    int r = c ? buf_add(b, c, (size_t)n) : -1;
    Py_DECREF(s);
    return r;
}

/* ------------------------------------------------------------------ the rules */
static int faa_status(Decoder *self, Field f) {
    if (f.n == 0) return self->faa_empty;
    return self->faa[f.p[0]];
}

static int talker1(Decoder *self) {
    Field t = self->fields[0];
    return t.n >= 2 ? t.p[1] : -1;
}

static int rule_rmc(Decoder *self, Fix *nw) {
    Py_ssize_t count = self->nfields;
    int st = first(S(2));
    int r;
    if (st != 'A' && st != 'D') {
        self->status = 0;
        nw->mode = NO_FIX;
        if (!S(1).n || !S(9).n) {
            self->has_ordinal = 0;
            return M_STATUS | M_MODE | M_NO_TIME;
        }
        return M_STATUS | M_MODE;
    }
    int mask = 0;
    if (S(1).n && count > 9 && S(9).n) {
        if (rx_merge_hhmmss(self, S(1)) && rx_merge_ddmmyy(self, S(9))) {
            mask |= M_TIME;
            if ((r = rx_register(self, S(1))) < 0) return r;
        }
    }
    int64_t new_status = 0;
    r = latlon(self, 3, nw);
    if (r < 0) return r;
    if (r) {
        new_status = 1;
        mask |= M_LATLON;
        if (self->fix.mode <= MODE_2D) {
            nw->mode = MODE_2D;
            mask |= M_MODE;
        }
    } else {
        nw->mode = NO_FIX;
        mask |= M_MODE;
    }
    double v;
    if (S(7).n) {
        if ((r = num(S(7), &v)) < 0) return r;
        nw->speed = v * (1852.0 / 3600.0);
        nw->has |= H_SPEED;
        mask |= M_SPEED;
    }
    if (S(8).n) {
        if ((r = num(S(8), &v)) < 0) return r;
        nw->track = v;
        nw->has |= H_TRACK;
        mask |= M_TRACK;
    }
    if (count >= 12) new_status = faa_status(self, S(12));
    if (self->sats_used > 3 || fix_has_alt(&self->fix)) {
        nw->mode = MODE_3D;
        mask |= M_MODE;
    }
    self->status = new_status;
    return mask | M_STATUS;
}

static int rule_gll(Decoder *self, Fix *nw) {
    int mask = 0, r;
    if (S(5).n && rx_merge_hhmmss(self, S(5))) {
        if ((r = rx_register(self, S(5))) < 0) return r;
        if (self->has_ordinal) mask = M_TIME;
    }
    if (first(S(6)) == 'A' && (self->nfields < 8 || first(S(7)) != 'N')) {
        r = latlon(self, 1, nw);
        if (r < 0) return r;
        if (r) {
            mask |= M_LATLON;
            if (fix_has_alt(&self->fix) || self->sats_used > 3) {
                nw->mode = MODE_3D;
                mask |= M_MODE;
            } else if (self->fix.mode < MODE_2D || !fix_has_alt(&self->oldfix)) {
                nw->mode = MODE_2D;
                mask |= M_MODE;
            }
            self->status = self->nfields >= 8 ? faa_status(self, S(7)) : 1;
            return mask;
        }
    }
    self->status = 0;
    nw->mode = NO_FIX;
    return mask | M_STATUS | M_MODE;
}

static int rule_gga(Decoder *self, Fix *nw) {
    int mask = 0, r;
    int64_t quality = S(6).n ? atoi_i(S(6)) : -1;
    if (quality >= 0 && quality < 16 && self->gga_status[quality] >= 0) {
        self->status = self->gga_status[quality];
        mask = M_STATUS;
    }
    int talker = talker1(self);
    int last_talker = self->last_gga_talker;
    self->last_gga_talker = talker;
    if (last_talker != -1 && last_talker != talker) {
        self->latch_mode = 0;
    } else {
        Field prev = {(const unsigned char *)self->last_gga_time.p, (Py_ssize_t)self->last_gga_time.n};
        self->latch_mode = self->last_gga_time_set && feq(S(1), prev);
    }
    if (self->latch_mode) {
        self->status = 0;
        nw->mode = NO_FIX;
    } else {
        self->last_gga_time.n = 0;
        if (buf_add(&self->last_gga_time, (const char *)S(1).p, (size_t)S(1).n) < 0) return E_PY;
        self->last_gga_time_set = 1;
    }
    int64_t sats = atoi_i(S(7));
    if (rx_merge_hhmmss(self, S(1))) {
        if ((r = rx_register(self, S(1))) < 0) return r;
        if (self->has_ordinal) mask |= M_TIME;
    }
    r = latlon(self, 2, nw);
    if (r < 0) return r;
    if (r) {
        nw->mode = MODE_2D;
        mask |= M_LATLON;
        double v;
        if (S(11).n) {
            if ((r = num(S(11), &v)) < 0) return r;
        } else {
            v = geoid(self, nw->lat, nw->lon);
        }
        nw->geoid_sep = v;
        nw->has |= H_SEP;
        if (S(9).n) {
            if ((r = num(S(9), &v)) < 0) return r;
            nw->alt_msl = v;
            nw->has |= H_MSL;
            mask |= M_ALT;
            if (sats >= 4) nw->mode = MODE_3D;
        }
        if (sats < 3) nw->mode = NO_FIX;
    } else {
        nw->mode = NO_FIX;
    }
    if (S(8).n) {
        double v;
        if ((r = num(S(8), &v)) < 0) return r;
        self->hdop = v;
        self->hasdop |= 1;
    }
    return mask | M_MODE;
}

static int rule_gns(Decoder *self, Fix *nw) {
    int mask = 0, r;
    if (S(1).n && rx_merge_hhmmss(self, S(1))) {
        if ((r = rx_register(self, S(1))) < 0) return r;
        if (self->has_ordinal) mask = M_TIME;
    }
    int c6 = first(S(6));
    if (c6 == -1 || c6 == 'N') {
        nw->mode = NO_FIX;
        return mask | M_MODE;
    }
    int c13 = first(S(13));
    if (c13 == 'U' || c13 == 'V') return mask;
    int64_t sats = atoi_i(S(7));
    r = latlon(self, 2, nw);
    if (r < 0) return r;
    double v;
    if (r) {
        mask |= M_LATLON;
        nw->mode = MODE_2D;
        if (S(9).n) {
            if ((r = num(S(9), &v)) < 0) return r;
            nw->alt_msl = v;
            nw->has |= H_MSL;
            mask |= M_ALT;
            if (sats > 3) nw->mode = MODE_3D;
            if (S(10).n) {
                if ((r = num(S(10), &v)) < 0) return r;
                nw->geoid_sep = v;
                nw->has |= H_SEP;
            }
        }
    } else {
        nw->mode = NO_FIX;
    }
    if (S(8).n) {
        if ((r = num(S(8), &v)) < 0) return r;
        self->hdop = v;
        self->hasdop |= 1;
    }
    self->status = faa_status(self, S(6));
    return mask | M_MODE | M_STATUS;
}

static int rule_vtg(Decoder *self, Fix *nw) {
    if (!S(1).n || !S(5).n) return 0;
    if (self->nfields > 9) {
        int c = first(S(9));
        if (c == 'E' || c == 'N') return 0;
    }
    double v;
    int r;
    if ((r = num(S(1), &v)) < 0) return r;
    nw->track = v;
    nw->has |= H_TRACK;
    if ((r = num(S(5), &v)) < 0) return r;
    nw->speed = v * (1852.0 / 3600.0);
    nw->has |= H_SPEED;
    return M_TRACK | M_SPEED;
}

static int rule_zda(Decoder *self, Fix *nw) {
    (void)nw;
    if (!(S(1).n && S(2).n && S(3).n && S(4).n)) return 0;
    if (!rx_merge_hhmmss(self, S(1))) return 0;
    int64_t year = atoi_i(S(4)), month = atoi_i(S(3)), day = atoi_i(S(2));
    if (!(1900 <= year && year <= 2200) || !rx_set_date(self, year, month, day)) return 0;
    int64_t c = year - year % 100;
    if (c > self->century) self->century = c;
    return M_TIME;
}

static int rule_pgrmz(Decoder *self, Fix *nw) {
    int mask = 0;
    if (first(S(2)) == 'f' && S(1).n) {
        double v;
        int r = atoi_d(S(1), &v);
        if (r < 0) return r;
        nw->alt_msl = v / 3.2808399;
        nw->has |= H_MSL;
        mask |= M_ALT;
    }
    int dim = first(S(3));
    if (dim == '1' || dim == '2' || dim == '3') {
        nw->mode = dim - '0';
        mask |= M_MODE;
    }
    return mask;
}

static int rule_pmgnst(Decoder *self, Fix *nw) {
    int64_t dim = atoi_i(S(2));
    nw->mode = (first(S(3)) == 'T' && (dim == 2 || dim == 3)) ? dim : NO_FIX;
    return M_MODE;
}

static int rule_psrfepe(Decoder *self, Fix *nw) {
    (void)nw;
    int mask = 0, r;
    if (S(1).n && rx_merge_hhmmss(self, S(1))) {
        if ((r = rx_register(self, S(1))) < 0) return r;
        if (self->has_ordinal) mask |= M_TIME;
    }
    if (first(S(2)) == 'A' && S(3).n) {
        double v;
        if ((r = num(S(3), &v)) < 0) return r;
        self->hdop = v;
        self->hasdop |= 1;
    }
    return mask;
}

static int rule_gbs(Decoder *self, Fix *nw) {
    (void)nw;
    int r = rx_register(self, S(1));
    return r < 0 ? r : 0;
}

static int rule_hdt(Decoder *self, Fix *nw) {
    (void)nw;
    if (S(1).n) {
        double v;
        int r = num(S(1), &v);
        if (r < 0) return r;
    }
    return 0;
}

static int used_add(Decoder *self, int64_t prn) {
    if (self->nused == self->capused) {
        Py_ssize_t cap = self->capused ? self->capused * 2 : 32;
        int64_t *np = PyMem_Realloc(self->used, (size_t)cap * sizeof(int64_t));
        if (!np) { PyErr_NoMemory(); return E_PY; }
        self->used = np;
        self->capused = cap;
    }
    self->used[self->nused++] = prn;
    return 0;
}

static int rule_gsa(Decoder *self, Fix *nw) {
    int talker = talker1(self);
    int last_talker = self->last_gsa_talker;
    int mask = 0, r;
    if (self->latch_mode) return 0;
    Field f2 = S(2);
    int64_t mode = atoi_i(f2);
    if (is_big(mode)) {
        if ((r = big_mode(self, f2, &mode)) < 0) return r;
    }
    nw->mode = mode;
    if (first(f2) != 'E') mask = M_MODE;
    if (self->nfields <= 19) {
        double v;
        if (S(15).n) { if ((r = num(S(15), &v)) < 0) return r; self->pdop = v; self->hasdop |= 4; }
        if (S(16).n) { if ((r = num(S(16), &v)) < 0) return r; self->hdop = v; self->hasdop |= 1; }
        if (S(17).n) { if ((r = num(S(17), &v)) < 0) return r; self->vdop = v; self->hasdop |= 2; }
    }
    if (last_talker == -1 || (talker == last_talker && talker != 'N')) {
        self->nused = 0;
        self->sats_used = 0;
    }
    self->last_gsa_talker = talker;
    if (talker == 'B' || talker == 'D' || talker == 'Q') self->seen |= S_BDGSA;
    else if (talker == 'L') self->seen |= S_GLGSA;
    else if (talker == 'A') self->seen |= S_GAGSA;
    Field tag = self->fields[0];
    int t0 = tag.n > 0 ? tag.p[0] : -1, t1 = tag.n > 1 ? tag.p[1] : -1;
    for (Py_ssize_t i = 3; i < self->nfields - 3; i++) {
        int64_t n = atoi_i(S(i));
        if (n < 1) continue;
        int64_t prn, g, sv;
        nmea_prn(self, t0, t1, n, &prn, &g, &sv);
        if (prn > 0) {
            if (used_add(self, prn) < 0) return E_PY;
            self->sats_used += 1;
        }
    }
    mask |= M_DOP;
    if ((self->seen & (S_GLGSA | S_BDGSA | S_GAGSA)) && talker == 'P') return 0;
    if (last_talker != 'N' && talker == 'N') return M_MODE;
    return mask;
}

static int sats_add(Decoder *self, const Sat *s) {
    if (self->nsats == self->capsats) {
        Py_ssize_t cap = self->capsats ? self->capsats * 2 : 64;
        Sat *np = PyMem_Realloc(self->sats, (size_t)cap * sizeof(Sat));
        if (!np) { PyErr_NoMemory(); return E_PY; }
        self->sats = np;
        self->capsats = cap;
    }
    self->sats[self->nsats++] = *s;
    return 0;
}

static int rule_gsv(Decoder *self, Fix *nw) {
    (void)nw;
    Py_ssize_t count = self->nfields;
    if (count <= 3 || count % 4 > 1) {
        self->nsats = 0;
        return 0;
    }
    int64_t sigid = count % 4 == 1 ? atoi_i(S(count - 1)) : 0;
    self->await_ = atoi_i(S(1));
    self->part = atoi_i(S(2));
    if (self->part < 1) {
        self->nsats = 0;
        return 0;
    }
    int talker = talker1(self);
    if (self->part == 1) {
        if (self->last_gsv_talker == -1 ||
            (talker == 'P' && !(sigid == 2 || sigid == 3 || sigid == 5 || sigid == 6)))
            self->nsats = 0;
        self->last_gsv_talker = talker;
        switch (talker) {
        case 'A': self->seen |= S_GAGSV; break;
        case 'B': case 'D': case 'Q': self->seen |= S_BDGSV; break;
        case 'L': self->seen |= S_GLGSV; break;
        case 'Z': self->seen |= S_QZGSV; break;
        default: break;
        }
    }
    Py_ssize_t end = count / 4 * 4;
    Field tag = self->fields[0];
    int t0 = tag.n > 0 ? tag.p[0] : -1, t1 = tag.n > 1 ? tag.p[1] : -1;
    Py_ssize_t i = 4;
    int r;
    while (i < end) {
        int64_t n = atoi_i(S(i));
        i += 1;
        if (n == 0) continue;
        Sat sat;
        nmea_prn(self, t0, t1, n, &sat.prn, &sat.gnssid, &sat.svid);
        Field el_s = S(i), az_s = S(i + 1), ss_s = S(i + 2);
        i += 3;
        int64_t ss = atoi_i(ss_s);
        sat.used = 0;
        if (sat.prn > 0 && ss > 0) {
            for (Py_ssize_t k = 0; k < self->nused; k++)
                if (self->used[k] == sat.prn) { sat.used = 1; break; }
        }
        if ((r = atoi_d(el_s, &sat.el)) < 0) return r;
        if ((r = atoi_d(az_s, &sat.az)) < 0) return r;
        if ((r = atoi_d(ss_s, &sat.ss)) < 0) return r;
        if (sats_add(self, &sat) < 0) return E_PY;
    }
    if (self->part < self->await_) return 0;
    int any = 0;
    for (Py_ssize_t k = 0; k < self->nsats; k++)
        if (self->sats[k].az != 0) { any = 1; break; }
    if (!any) {
        self->nsats = 0;
        return 0;
    }
    if (talker == 'P' && (self->seen & (S_GLGSV | S_BDGSV | S_GAGSV | S_QZGSV))) return 0;
    return M_SAT;
}

static int apply_rule(Decoder *self, int rule, Fix *nw) {
    switch (rule) {
    case R_RMC: return rule_rmc(self, nw);
    case R_GGA: return rule_gga(self, nw);
    case R_GLL: return rule_gll(self, nw);
    case R_GNS: return rule_gns(self, nw);
    case R_VTG: return rule_vtg(self, nw);
    case R_GSA: return rule_gsa(self, nw);
    case R_GSV: return rule_gsv(self, nw);
    case R_ZDA: return rule_zda(self, nw);
    case R_HDT: return rule_hdt(self, nw);
    case R_GBS: return rule_gbs(self, nw);
    case R_PGRMZ: return rule_pgrmz(self, nw);
    case R_PMGNST: return rule_pmgnst(self, nw);
    case R_PSRFEPE: return rule_psrfepe(self, nw);
    default: return 0;
    }
}

/* ------------------------------------------------------------------ reports */
static int begin_line(Decoder *self, const char *cls) {
    Buf *b = &self->out;
    if (BUF_LIT(b, "{\"class\":\"") < 0 || buf_add(b, cls, strlen(cls)) < 0 || BUF_LIT(b, "\"") < 0) return -1;
    if (self->device) {
        Py_ssize_t n;
        const char *d = PyUnicode_AsUTF8AndSize(self->device, &n);
        if (!d || BUF_LIT(b, ",") < 0 || buf_add(b, d, (size_t)n) < 0) return -1;
    }
    return 0;
}

static int emit_tpv(Decoder *self, const Tpv *t) {
    Buf *b = &self->out;
    const Fix *f = &t->f;
    if (begin_line(self, "TPV") < 0) return -1;
    if (t->status > 1) {
        if (BUF_LIT(b, ",\"status\":") < 0 || buf_int(b, t->status) < 0) return -1;
    }
    if (BUF_LIT(b, ",\"mode\":") < 0 || buf_mode(self, b, f->mode) < 0) return -1;
    if (f->has & H_TIME) {
        if (BUF_LIT(b, ",\"time\":\"") < 0 || buf_iso(b, f->time) < 0 || BUF_LIT(b, "\"") < 0) return -1;
    }
    if (f->mode >= 2) {
        if (f->has & H_LAT && (BUF_LIT(b, ",\"lat\":") < 0 || buf_fixed(b, f->lat, 9) < 0)) return -1;
        if (f->has & H_LON && (BUF_LIT(b, ",\"lon\":") < 0 || buf_fixed(b, f->lon, 9) < 0)) return -1;
        if (f->has & H_HAE && (BUF_LIT(b, ",\"altHAE\":") < 0 || buf_fixed(b, f->alt_hae, 4) < 0)) return -1;
        if (f->has & H_MSL && (BUF_LIT(b, ",\"altMSL\":") < 0 || buf_fixed(b, f->alt_msl, 4) < 0 ||
                               BUF_LIT(b, ",\"alt\":") < 0 || buf_fixed(b, f->alt_msl, 4) < 0))
            return -1;
        if (f->has & H_TRACK && (BUF_LIT(b, ",\"track\":") < 0 || buf_fixed(b, f->track, 4) < 0)) return -1;
        if (f->has & H_SPEED && (BUF_LIT(b, ",\"speed\":") < 0 || buf_fixed(b, f->speed, 3) < 0)) return -1;
        if (f->mode >= 3 && f->has & H_SEP &&
            (BUF_LIT(b, ",\"geoidSep\":") < 0 || buf_fixed(b, f->geoid_sep, 3) < 0))
            return -1;
    }
    if (BUF_LIT(b, "}\n") < 0) return -1;
    self->reports++;
    self->tpv_count++;
    return 0;
}

static int emit_sky(Decoder *self) {
    Buf *b = &self->out;
    if (begin_line(self, "SKY") < 0) return -1;
    if (self->hasdop & 2 && (BUF_LIT(b, ",\"vdop\":") < 0 || buf_fixed(b, self->vdop, 2) < 0)) return -1;
    if (self->hasdop & 1 && (BUF_LIT(b, ",\"hdop\":") < 0 || buf_fixed(b, self->hdop, 2) < 0)) return -1;
    if (self->hasdop & 4 && (BUF_LIT(b, ",\"pdop\":") < 0 || buf_fixed(b, self->pdop, 2) < 0)) return -1;
    long long used = 0;
    for (Py_ssize_t k = 0; k < self->nsats; k++) used += self->sats[k].used;
    if (BUF_LIT(b, ",\"nSat\":") < 0 || buf_int(b, self->nsats) < 0 || BUF_LIT(b, ",\"uSat\":") < 0 ||
        buf_int(b, used) < 0 || BUF_LIT(b, ",\"satellites\":[") < 0)
        return -1;
    for (Py_ssize_t k = 0; k < self->nsats; k++) {
        const Sat *s = &self->sats[k];
        if (k && BUF_LIT(b, ",") < 0) return -1;
        if (BUF_LIT(b, "{\"PRN\":") < 0 || buf_int(b, s->prn) < 0 || BUF_LIT(b, ",\"el\":") < 0 ||
            buf_fixed(b, s->el, 1) < 0 || BUF_LIT(b, ",\"az\":") < 0 || buf_fixed(b, s->az, 1) < 0 ||
            BUF_LIT(b, ",\"ss\":") < 0 || buf_fixed(b, s->ss, 1) < 0)
            return -1;
        if ((s->used ? BUF_LIT(b, ",\"used\":true,\"gnssid\":") : BUF_LIT(b, ",\"used\":false,\"gnssid\":")) < 0)
            return -1;
        if (buf_int(b, s->gnssid) < 0 || BUF_LIT(b, ",\"svid\":") < 0 || buf_int(b, s->svid) < 0 ||
            BUF_LIT(b, "}") < 0)
            return -1;
    }
    if (BUF_LIT(b, "]}\n") < 0) return -1;
    self->reports++;
    self->sky_count++;
    return 0;
}

static int emit_att(Decoder *self, double heading) {
    Buf *b = &self->out;
    if (begin_line(self, "ATT") < 0) return -1;
    if (BUF_LIT(b, ",\"heading\":") < 0 || buf_fixed(b, heading, 3) < 0 || BUF_LIT(b, "}\n") < 0) return -1;
    self->reports++;
    return 0;
}

/* ------------------------------------------------------------------ the cycle */
/* speed_between(lastfix, f), through Python's geodesic_distance: 1 set, 0 None, -1 error */
static int speed_between(Decoder *self, const Fix *old, const Fix *nw, double *out) {
    if (nw->mode < MODE_2D || !(old->has & H_LAT) || !(old->has & H_LON) || !(old->has & H_TIME) ||
        !(nw->has & H_LAT) || !(nw->has & H_LON) || !(nw->has & H_TIME))
        return 0;
    double dt = nw->time - old->time;
    if (dt <= 0) return 0;
    PyObject *d = PyObject_CallFunction(self->geodesic, "dddd", old->lat, old->lon, nw->lat, nw->lon);
    if (!d) return -1;
    double dist = PyFloat_AsDouble(d);
    Py_DECREF(d);
    if (dist == -1.0 && PyErr_Occurred()) return -1;
    *out = dist / dt;
    return 1;
}

static int snapshot(Decoder *self, int64_t status, const Fix *f, Tpv *t) {
    t->f = *f;
    t->status = status;
    if (!(f->has & H_SPEED)) {
        double v;
        int r = speed_between(self, &self->lastfix, f, &v);
        if (r < 0) return -1;
        if (r) {
            t->f.speed = v;
            t->f.has |= H_SPEED;
        }
    }
    return 0;
}

static int report(Decoder *self, int64_t status) {
    Tpv tpv;
    if (snapshot(self, status, &self->fix, &tpv) < 0) return -1;
    if (self->nearly) {
        int shown_none = !(tpv.f.mode >= MODE_2D);
        unsigned shas = tpv.f.has;
        double slat = tpv.f.lat, slon = tpv.f.lon;
        for (Py_ssize_t k = 0; k < self->nearly; k++) {
            Tpv *e = &self->early[k];
            int differs = shown_none || opt_ne(e->f.has & H_LAT, e->f.lat, shas & H_LAT, slat) ||
                          opt_ne(e->f.has & H_LON, e->f.lon, shas & H_LON, slon);
            if (differs) {
                if (emit_tpv(self, e) < 0) return -1;
                shown_none = 0;
                shas = e->f.has;
                slat = e->f.lat;
                slon = e->f.lon;
            }
        }
        self->nearly = 0;
    }
    self->oldfix = self->fix;
    self->dirty = 0;
    self->has_after = 0;
    return emit_tpv(self, &tpv);
}

static int revision(Decoder *self) {
    int had = self->has_after;
    self->has_after = 0;
    if (!had || !self->reported) return 0;
    const Fix *f = &self->after_fix, *o = &self->oldfix;
    if (mode_gt(self, f->mode, o->mode) ||
        (f->mode >= MODE_2D && (opt_ne(f->has & H_LAT, f->lat, o->has & H_LAT, o->lat) ||
                                opt_ne(f->has & H_LON, f->lon, o->has & H_LON, o->lon) ||
                                ((f->has & H_TIME) && !(o->has & H_TIME))))) {
        Fix late = *f;
        self->oldfix = late;
        Tpv t;
        if (snapshot(self, self->after_status, &late, &t) < 0) return -1;
        return emit_tpv(self, &t);
    }
    return 0;
}

static int early_add(Decoder *self, const Tpv *t) {
    if (self->nearly == self->capearly) {
        Py_ssize_t cap = self->capearly ? self->capearly * 2 : 8;
        Tpv *np = PyMem_Realloc(self->early, (size_t)cap * sizeof(Tpv));
        if (!np) { PyErr_NoMemory(); return -1; }
        self->early = np;
        self->capearly = cap;
    }
    self->early[self->nearly++] = *t;
    return 0;
}

static void merge(Decoder *self, Fix *fix, const Fix *nw, int mask) {
    if (mask & M_TIME) {
        fix->time = nw->time;
        fix->has = (fix->has & ~H_TIME) | (nw->has & H_TIME);
    }
    if (mask & M_LATLON) {
        fix->lat = nw->lat;
        fix->lon = nw->lon;
        fix->has = (fix->has & ~(H_LAT | H_LON)) | (nw->has & (H_LAT | H_LON));
    }
    if (mask & M_MODE) fix->mode = nw->mode;
    if (mask & M_ALT) {
        if (nw->has & H_HAE) { fix->alt_hae = nw->alt_hae; fix->has |= H_HAE; }
        if (nw->has & H_MSL) { fix->alt_msl = nw->alt_msl; fix->has |= H_MSL; }
    }
    if (nw->has & H_SEP) { fix->geoid_sep = nw->geoid_sep; fix->has |= H_SEP; }
    if (mask & M_SPEED) {
        fix->speed = nw->speed;
        fix->has = (fix->has & ~H_SPEED) | (nw->has & H_SPEED);
    }
    if (mask & M_TRACK) {
        fix->track = nw->track;
        fix->has = (fix->has & ~H_TRACK) | (nw->has & H_TRACK);
    }
    if (!(fix->has & H_SEP) && (fix->has & H_LAT) && (fix->has & H_LON)) {
        fix->geoid_sep = geoid(self, fix->lat, fix->lon);
        fix->has |= H_SEP;
    }
    if (fix->has & H_SEP) {
        if (!(fix->has & H_HAE) && (fix->has & H_MSL)) {
            fix->alt_hae = fix->alt_msl + fix->geoid_sep;
            fix->has |= H_HAE;
        } else if (!(fix->has & H_MSL) && (fix->has & H_HAE)) {
            fix->alt_msl = fix->alt_hae - fix->geoid_sep;
            fix->has |= H_MSL;
        }
    }
}

/* one sentence, split and looked up; 0, E_BAD (malformed) or E_PY */
static int sentence(Decoder *self, int kind) {
    const Kind *k = &self->kinds[kind];
    uint64_t kbit = ((uint64_t)1) << kind;
    Fix nw;
    memset(&nw, 0, sizeof nw);
    self->latched = 0;
    int64_t status = self->status;
    if (self->nfields < k->min_fields) return E_BAD;
    int mask = apply_rule(self, k->rule, &nw);
    if (mask < 0) return mask;
    if (!self->latched && !self->cycle_timed && k->split && (self->cycle_kinds & kbit) &&
        !(kind == self->kind_gsa && self->prev_kind == self->kind_gsa)) {
        if (self->dirty && !self->reported) {
            if (report(self, status) < 0) return E_PY;
        } else if (revision(self) < 0) {
            return E_PY;
        }
        self->cycle_kinds = 0;
        self->reported = 0;
    }
    self->cycle_kinds |= kbit;
    self->prev_kind = kind;
    if (kind != self->kind_gsv) self->last_gsv_talker = -1;
    if (kind != self->kind_gsa) self->last_gsa_talker = -1;
    if (mask & M_TIME) {
        nw.time = rx_utc(self);
        nw.has |= H_TIME;
    }
    int do_report = 0, clear = 0;
    if (self->latched) {
        self->cycle_timed = 1;
        if (fabs(self->this_frac - self->last_frac) > 0.01) {
            clear = 1;
            if (self->lasttag >= 0) self->enders |= ((uint64_t)1) << self->lasttag;
        }
        do_report = (self->enders & kbit) != 0;
        self->lasttag = kind;
    }
    Fix *fix = &self->fix;
    if ((mask & M_MODE) && fix->mode == MODE_3D && nw.mode != NO_FIX &&
        (fix_has_alt(&self->lastfix) || fix_has_alt(&self->oldfix)))
        nw.mode = MODE_3D;
    if ((mask & M_TIME) && !self->latched && self->cycle_timed && (fix->has & H_TIME) && nw.time != fix->time &&
        self->dirty && !self->reported) {
        if (report(self, status) < 0) return E_PY;
    }
    if (clear) {
        if (self->dirty && !self->reported) {
            if (report(self, status) < 0) return E_PY;
        } else if (revision(self) < 0) {
            return E_PY;
        }
        self->lastfix = *fix;
        int64_t mode = fix->mode;
        memset(fix, 0, sizeof *fix);
        fix->mode = mode;
        self->reported = 0;
        self->cycle_kinds = kbit;
    }
    if (!self->enders && self->dirty && !self->reported && fix->mode >= MODE_2D && (fix->has & H_LAT) &&
        (((mask & M_MODE) && nw.mode < MODE_2D) ||
         ((mask & M_LATLON) && (opt_ne(nw.has & H_LAT, nw.lat, fix->has & H_LAT, fix->lat) ||
                                opt_ne(nw.has & H_LON, nw.lon, fix->has & H_LON, fix->lon))))) {
        Tpv t;
        if (snapshot(self, status, fix, &t) < 0 || early_add(self, &t) < 0) return E_PY;
    }
    if (mask & M_NO_TIME) {
        if (revision(self) < 0) return E_PY;
    }
    merge(self, fix, &nw, mask);
    if (mask & M_NO_TIME) fix->has &= ~H_TIME;
    if (mask & FIX_BITS) {
        self->dirty = 1;
        if (self->reported && !self->latched && self->lasttag >= 0 &&
            (self->enders & (((uint64_t)1) << self->lasttag))) {
            self->has_after = 1;
            self->after_fix = *fix;
            self->after_status = self->status;
        }
    }
    if (do_report) {
        if (report(self, self->status) < 0) return E_PY;
        self->reported = 1;
    } else if (!self->enders && (mask & FIX_BITS)) {
        self->oldfix = *fix;
    }
    if (mask & M_SAT) {
        if (emit_sky(self) < 0) return E_PY;
    }
    if (kind == self->kind_hdt && S(1).n) {
        double v;
        int r = num(S(1), &v);
        if (r == E_PY) return E_PY;
        if (r == 0 && emit_att(self, v) < 0) return E_PY;
    }
    return 0;
}

static int flush_cycle(Decoder *self) {
    if (self->dirty && !self->reported) return report(self, self->status);
    return revision(self);
}

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
