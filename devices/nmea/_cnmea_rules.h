/* gpsd's rule for each sentence type (devices/nmea/rules.py and sky.py, one for one).
 * Part of _cnmea.c (included by it once, in this order): not a header of its own. */

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
