/* The fix, the sentence kinds, the Decoder's state (gpsd's receiver state), dates, PRNs.
 * Part of _cnmea.c (included by it once, in this order): not a header of its own. */

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
