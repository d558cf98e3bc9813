/* The reports (TPV, SKY, ATT text) and the cycle (devices/nmea/cycle.py, one for one).
 * Part of _cnmea.c (included by it once, in this order): not a header of its own. */

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
    if ((mask & FIX_BITS) && (self->enders || (mask & (M_LATLON | M_MODE)))) {
        /* before the cycle's end is known, a position or a mode only (cycle.py) */
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
