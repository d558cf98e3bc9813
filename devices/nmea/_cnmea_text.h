/* Growable byte buffers, number writing, fields and the numbers read from them.
 * Part of _cnmea.c (included by it once, in this order): not a header of its own. */

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
