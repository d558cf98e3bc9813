"""The per-unit state of the rules engine kept in arrays, and the batch path that reads it with numpy.

What the per-fix loop kept sequentially per unit (its newest fix, its stop anchor) is, for a batch where every
unit reports at most once (a second of a fleet: the common case), independent between fixes: `_batch_loop`
works it out for the whole batch at once (out-of-order fixes, gaps, stop anchors moved or held long enough
to call the dumping check) and leaves to Python only the fixes whose checks may hold or whose unit has
debounce tracks open, in the batch's order, so the alerts are the per-fix loop's, in the same order. A batch
where a unit repeats (one unit's log) keeps the per-fix loop (dispatch/rules/engine.py).

Every subject the engine has heard has a number (`_sid`; `_uids` the other way; numbered again, in order, once many
contacts gone quiet were forgotten: `_compact_units`),
its row in the arrays here, so a batch looks each fix's subject up once and reads the rest by number:
- its newest fix: `_lt` (its time; NaN: none, or forgotten as a contact gone quiet), `_llat`, `_llon`;
- its row of the gate tables (dispatch/rules/gates.py): `_gs` (-1: not worked out since the plans changed);
- its stop anchor: `_sx`, `_sy` (metres), `_st` (when the stop began; NaN: no stop), `_slat`, `_slon` (where,
  as the fix gave it).
"""

from __future__ import annotations

from itertools import repeat
from operator import itemgetter
from typing import Any

import numpy as np

from dispatch.rules import checks
from dispatch.rules.checks import CORRIDOR, DUMPING, TODO, Conds, Fix, Plan
from dispatch.store import NewEvent

NAN = float("nan")
# the arrays by subject number, and what a new row holds
BY_NUMBER = (("_lt", NAN), ("_llat", 0.0), ("_llon", 0.0), ("_gs", -1), ("_sx", 0.0), ("_sy", 0.0), ("_st", NAN),
             ("_slat", 0.0), ("_slon", 0.0))


class UnitArrays:
    """Mixed into RulesEngine; the attributes it reads (tracks, last_ts, plans, ...) are the engine's."""

    tracks: dict[str, dict[tuple[str, str], Any]]
    plans: dict[str, Plan]
    far_d: np.ndarray | None
    far_r: np.ndarray
    th: dict[str, float]
    index: Any

    # by subject number (BY_NUMBER; made by _reset_units)
    _lt: np.ndarray
    _llat: np.ndarray
    _llon: np.ndarray
    _gs: np.ndarray
    _sx: np.ndarray
    _sy: np.ndarray
    _st: np.ndarray
    _slat: np.ndarray
    _slon: np.ndarray

    def _reset_units(self) -> None:
        self._sid: dict[str, int] = {}  # subject -> its row of the arrays (until it is forgotten)
        self._uids: list[str] = []
        self._forgotten = 0  # subjects forgotten (contacts gone quiet) since the numbers were last compacted
        for name, fill in BY_NUMBER:
            setattr(self, name, np.full(64, fill, dtype=np.int64 if name == "_gs" else float))

    def _new_sid(self, uid: str) -> int:
        i = self._sid[uid] = len(self._sid)
        self._uids.append(uid)
        if i >= len(self._st):
            self._resize_units(np.arange(i), 2 * len(self._st))
        return i

    def _resize_units(self, rows: np.ndarray, size: int) -> None:
        """The arrays by number as `size` rows, the first ones those of the numbers `rows`, in order."""
        for name, fill in BY_NUMBER:
            old = getattr(self, name)
            new = np.full(size, fill, dtype=old.dtype)
            new[:len(rows)] = old[rows]
            setattr(self, name, new)

    def _compact_units(self) -> int:
        """Number again only the subjects still followed (a newest fix, a stop or debounce tracks), in their
        order: a river's AIS contacts come and go for years, and each would keep its row. Only between batches
        (the batch's numbers are its own). Returns how many were dropped."""
        n = len(self._uids)
        lt, st = self._lt[:n], self._st[:n]
        keep = (lt == lt) | (st == st)
        keep[self._tracked_numbers()] = True
        self._forgotten = 0
        if keep.all():
            return 0
        rows = np.flatnonzero(keep)
        self._resize_units(rows, max(64, 1 << len(rows).bit_length()))
        self._uids = [self._uids[i] for i in rows.tolist()]
        self._sid = {u: i for i, u in enumerate(self._uids)}
        return n - len(rows)

    def _sids(self, ids: tuple[str, ...]) -> np.ndarray:
        n = len(ids)
        s = np.fromiter(map(self._sid.get, ids, repeat(-1, n)), np.int64, n)
        new = np.flatnonzero(s < 0)
        for k in new.tolist():
            uid = ids[k]
            i = self._sid.get(uid)
            s[k] = self._new_sid(uid) if i is None else i
        return s

    def _tracked_numbers(self) -> list[int]:
        """The numbers of the subjects with debounce tracks (a subject restored with its open alerts may have none)."""
        return [i for i in map(self._sid.get, self.tracks) if i is not None]

    def last_ts_of(self, uid: str) -> float | None:
        """The time of the subject's newest fix the rules have seen (None: none, or forgotten)."""
        i = self._sid.get(uid)
        return None if i is None or self._lt[i] != self._lt[i] else float(self._lt[i])

    def stop_of(self, uid: str) -> list[Any] | None:
        """[x, y, ts, lat, lon] where the unit's stop began (None: no stop)."""
        i = self._sid.get(uid)
        if i is None or self._st[i] != self._st[i]:
            return None
        return [float(self._sx[i]), float(self._sy[i]), float(self._st[i]), float(self._slat[i]), float(self._slon[i])]

    def set_stop(self, uid: str, x: float, y: float, row: Any) -> None:
        """A stop may begin here: row is the fix (its [1], [2], [3]: ts, lat, lon)."""
        i = self._sid.get(uid)
        if i is None:
            i = self._new_sid(uid)
        self._sx[i], self._sy[i], self._st[i], self._slat[i], self._slon[i] = x, y, row[1], row[2], row[3]

    def drop_stop(self, uid: str) -> None:
        i = self._sid.get(uid)
        if i is not None:
            self._st[i] = NAN

    def _anchor(self, uid: str, x: float, y: float, row: Any, radius2: float, stop_s: float) -> bool:
        """One fix of a unit whose stops are watched: moves its anchor, or says it has stopped long enough."""
        i = self._sid.get(uid)
        if i is None:
            i = self._new_sid(uid)
        t0 = float(self._st[i])
        if t0 != t0 or (x - float(self._sx[i])) ** 2 + (y - float(self._sy[i])) ** 2 > radius2:
            self._sx[i], self._sy[i], self._st[i] = x, y, row[1]  # moving: may begin here
            self._slat[i], self._slon[i] = row[2], row[3]
            return False
        return bool(row[1] - t0 >= stop_s)

    # the engine's (dispatch/rules/engine.py)
    def _gap(self, uid: str, prev: float, ts: float, lat: float, lon: float) -> list[NewEvent]:
        raise NotImplementedError

    def _debounce(self, row: Any, conds: Conds, out: list[NewEvent]) -> None:
        raise NotImplementedError

    def _run(self, check: Any, f: Fix, zs: list[int], conds: Conds, plan: Plan) -> None:
        raise NotImplementedError

    def _rounds(self, sid: np.ndarray) -> tuple[np.ndarray, int, list[np.ndarray]] | None:
        """The batch (sid: each fix's subject's number) split into rounds where no unit repeats (a unit's k-th fix
        of the batch is in round k), each in the batch's order, with each fix's unit's number in the batch;
        None where the rounds would be too small to be worth it (one unit's log)."""
        n = len(sid)
        order = np.argsort(sid, kind="stable")
        ss = sid[order]
        first = np.r_[True, ss[1:] != ss[:-1]]
        start = np.flatnonzero(first)
        if len(start) == n:
            return np.arange(n), n, [np.arange(n)]
        count = np.diff(np.r_[start, n])
        if n < 32 * int(count.max()):  # rounds of fewer than 32 fixes on average: fix by fix
            return None
        g = np.empty(n, dtype=np.int64)
        g[order] = np.cumsum(first) - 1
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n) - np.repeat(start, count)
        by = np.argsort(rank, kind="stable")
        return g, len(start), np.split(by, np.cumsum(np.bincount(rank))[:-1])

    def _batch_loop(self, rows: list[Any], ids: tuple[str, ...], sid: np.ndarray, tss: tuple[Any, ...], ts: np.ndarray,
                    lat: np.ndarray, lon: np.ndarray, x: np.ndarray, y: np.ndarray, need: np.ndarray, dump: np.ndarray,
                    zl: list[int], zstart: list[int], stale_on: bool, stale_s: float, radius2: float,
                    stop_s: float) -> list[NewEvent] | None:
        """The per-fix loop, a round (no unit twice) at a time: numpy for what every fix does, Python for the
        fixes whose checks may hold (or whose unit has tracks open). The events come out in the batch's order:
        a unit's events depend only on its own earlier fixes. Each unit's newest fix is noted once, after the
        batch. None: too few units for rounds."""
        split = self._rounds(sid)
        if split is None:
            return None
        g, ng, rounds = split
        cur = np.empty(ng)  # each unit's newest fix's time so far (NaN: none)
        cur[g] = self._lt[sid]
        lastk = np.full(ng, -1, dtype=np.int64)  # ... and that fix, if in this batch
        tracked = np.zeros(len(self._st), dtype=np.bool_)  # by number: has the unit debounce tracks
        tracked[self._tracked_numbers()] = True
        open_ = np.empty(ng, dtype=bool)  # ... by unit of the batch (only its own fixes change that)
        open_[g] = tracked[sid]
        out: list[NewEvent] = []
        at: list[int] = []  # the fix each event came from
        for ks in rounds:
            self._round(ks, sid[ks], g[ks], cur, lastk, open_, rows, ids, tss, ts[ks], lat, lon, x, y, need, dump[ks], zl,
                        zstart, stale_on, stale_s, radius2, stop_s, out, at)
        if len(rounds) > 1 and out:
            out = [out[i] for i in sorted(range(len(out)), key=at.__getitem__)]  # stable: in order within a fix
        sel = lastk[lastk >= 0]
        if len(sel):
            s = sid[sel]
            self._lt[s], self._llat[s], self._llon[s] = ts[sel], lat[sel], lon[sel]
        return out

    def _going_on(self, qj: np.ndarray, ks: np.ndarray, ids: tuple[str, ...], ts: np.ndarray) -> list[int]:
        """Fixes of a round (qj) far outside their nearest corridor: where the unit's one debounce track is that
        route's deviation, open or still being held, its time moves on (all the check and `_debounce` would do,
        without the condition's text). Returns the others, for the full checks."""
        tracks, zone_id, dev_s = self.tracks, self.index.ids, self.th["corridor_deviation_s"]
        rest: list[int] = []
        ql = qj.tolist()
        for j, t_s, r in zip(ql, ts[qj].tolist(), self.far_r[ks[qj]].tolist(), strict=True):
            tr = tracks.get(ids[j])
            if tr is not None and len(tr) == 1:
                t = tr.get(("corridor_deviation", zone_id[r]))
                if t is not None and (t.open or t_s - t.first < dev_s):
                    t.last = t_s
                    continue
            rest.append(j)
        return rest

    def _round(self, ks: np.ndarray, sid: np.ndarray, gk: np.ndarray, cur: np.ndarray, lastk: np.ndarray,
               open_: np.ndarray, rows: list[Any], ids_all: tuple[str, ...], tss: tuple[Any, ...], ts: np.ndarray,
               lat_all: np.ndarray, lon_all: np.ndarray, x_all: np.ndarray, y_all: np.ndarray, need_all: np.ndarray,
               dump: np.ndarray, zl: list[int], zstart: list[int], stale_on: bool, stale_s: float, radius2: float,
               stop_s: float, out: list[NewEvent], at: list[int]) -> None:
        n = len(ks)
        kl = ks.tolist()
        ids = ids_all if n == len(ids_all) else itemgetter(*kl)(ids_all) if n > 1 else (ids_all[kl[0]],)
        prev = cur[gk]
        skip = ts < prev  # out of order: the rules follow each unit's time forwards only
        gap = ts - prev > stale_s
        need = need_all[ks]
        live = ~skip & (need >= 0)  # no plan: not a unit of ours
        if gap.any():
            self._st[sid[gap]] = NAN  # a stop is what was seen: parked through a silence is not one
        x, y = x_all[ks], y_all[ks]
        dk = np.flatnonzero(live & dump)
        if len(dk):
            i = sid[dk]
            t0 = self._st[i]
            dx, dy = x[dk] - self._sx[i], y[dk] - self._sy[i]
            moved = np.isnan(t0) | (dx * dx + dy * dy > radius2)
            rk, ri = dk[moved], i[moved]
            self._sx[ri], self._sy[ri], self._st[ri] = x[rk], y[rk], ts[rk]
            self._slat[ri], self._slon[ri] = lat_all[ks[rk]], lon_all[ks[rk]]
            held = ~moved
            need[dk[held][ts[dk[held]] - t0[held] >= stop_s]] |= DUMPING
        tracks = self.tracks
        busy = live & ((need != 0) | open_[gk])
        gaps = before_k = None
        if stale_on and gap.any():
            busy |= gap
            gaps, before_k = gap.tolist(), lastk[gk].tolist()
        far_d = self.far_d
        if far_d is not None:  # deviations that go on: each its unit's one track, not to be raised now
            q = busy & (need == CORRIDOR) & (far_d[ks] > self.th["corridor_deviation_m"])
            if gaps is not None:
                q &= ~gap
            if q.any():
                busy &= ~q
                busy[self._going_on(np.flatnonzero(q), ks, ids, ts)] = True  # those that are not, after all
        needs = need.tolist()
        plans = self.plans
        run = self._run
        for j in np.flatnonzero(busy).tolist():  # in the batch's order
            k = kl[j]
            uid = ids[j]
            row = rows[k]
            before = len(out)
            if gaps is not None and before_k is not None and gaps[j]:
                pk = before_k[j]  # the unit's fix before this one: earlier in the batch, or the last one's
                if pk >= 0:
                    out += self._gap(uid, tss[pk], row[1], rows[pk][2], rows[pk][3])
                else:
                    si = int(sid[j])
                    out += self._gap(uid, float(self._lt[si]), row[1], float(self._llat[si]), float(self._llon[si]))
            nd = needs[j]
            if nd == 0:
                self._debounce(row, {}, out)  # its tracks are open
            elif nd > 0:
                f = Fix(k, uid, row[1], row[2], row[3], row[4], float(x[j]), float(y[j]))
                zs = zl[zstart[k]:zstart[k + 1]]
                conds: Conds = {}
                for check in TODO[nd]:
                    run(getattr(checks, check), f, zs, conds, plans[uid])
                if conds or uid in tracks:
                    self._debounce(row, conds, out)
            if len(out) > before:
                at += [k] * (len(out) - before)
        cur[gk[live]] = ts[live]
        bj = np.flatnonzero(busy)
        if len(bj):
            open_[gk[bj]] = [ids[j] in tracks for j in bj.tolist()]
        lastk[gk[live]] = ks[live]
