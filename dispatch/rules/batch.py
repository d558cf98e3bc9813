"""The per-unit state of the rules engine kept in arrays, and the batch path that reads it with numpy.

What the per-fix loop kept sequentially per unit (its newest fix, its stop anchor) is, for a batch where every
unit reports at most once (a second of a fleet: the common case), independent between fixes: `_batch_loop`
works it out for the whole batch at once (out-of-order fixes, gaps, stop anchors moved or held long enough
to call the dumping check) and leaves to Python only the fixes whose checks may hold or whose unit has
debounce tracks open, in the batch's order, so the alerts are the per-fix loop's, in the same order. A batch
where a unit repeats (one unit's log) keeps the per-fix loop (dispatch/rules/engine.py).

A stop anchor is a unit's row in `_sx`, `_sy` (metres), `_st` (when the stop began; NaN: no stop) and
`_srow` (the fix it began at: its ts, lat, lon as given).
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


class UnitArrays:
    """Mixed into RulesEngine; the attributes it reads (tracks, last_ts, plans, ...) are the engine's."""

    tracks: dict[str, dict[tuple[str, str], Any]]
    last_ts: dict[str, float]
    last_row: dict[str, Any]
    plans: dict[str, Plan]
    corridor_far: dict[int, tuple[float, int]]
    th: dict[str, float]
    index: Any

    def _reset_stops(self) -> None:
        self._sid: dict[str, int] = {}  # subject -> its row of the stop arrays (kept for the engine's life)
        self._sx = np.zeros(64)
        self._sy = np.zeros(64)
        self._st = np.full(64, NAN)
        self._srow: list[Any] = [None] * 64

    def _new_sid(self, uid: str) -> int:
        i = self._sid[uid] = len(self._sid)
        if i >= len(self._st):
            m = 2 * len(self._st)
            self._sx = np.resize(self._sx, m)
            self._sy = np.resize(self._sy, m)
            st = np.full(m, NAN)
            st[:i] = self._st
            self._st = st
            self._srow += [None] * (m - i)
        return i

    def _sids(self, ids: tuple[str, ...]) -> np.ndarray:
        n = len(ids)
        s = np.fromiter(map(self._sid.get, ids, repeat(-1, n)), np.int64, n)
        new = np.flatnonzero(s < 0)
        for k in new.tolist():
            uid = ids[k]
            i = self._sid.get(uid)
            s[k] = self._new_sid(uid) if i is None else i
        return s

    def stop_of(self, uid: str) -> list[Any] | None:
        """[x, y, ts, lat, lon] where the unit's stop began (None: no stop)."""
        i = self._sid.get(uid)
        if i is None or self._st[i] != self._st[i]:
            return None
        r = self._srow[i]
        return [float(self._sx[i]), float(self._sy[i]), r[1], r[2], r[3]]

    def set_stop(self, uid: str, x: float, y: float, row: Any) -> None:
        """A stop may begin here: row is the fix (its [1], [2], [3]: ts, lat, lon)."""
        i = self._sid.get(uid)
        if i is None:
            i = self._new_sid(uid)
        self._sx[i], self._sy[i], self._st[i], self._srow[i] = x, y, row[1], row
        return None

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
            self._sx[i], self._sy[i], self._st[i], self._srow[i] = x, y, row[1], row  # moving: may begin here
            return False
        return bool(row[1] - t0 >= stop_s)

    # the engine's (dispatch/rules/engine.py)
    def _gap(self, uid: str, prev: float, ts: float, row: Any) -> list[NewEvent]:
        raise NotImplementedError

    def _debounce(self, row: Any, conds: Conds, out: list[NewEvent]) -> None:
        raise NotImplementedError

    def _run(self, check: Any, f: Fix, zs: list[int], conds: Conds, plan: Plan) -> None:
        raise NotImplementedError

    def _rounds(self, ids: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, int, list[np.ndarray]] | None:
        """The batch split into rounds where no unit repeats (a unit's k-th fix of the batch is in round k), each
        in the batch's order, with each fix's unit (its row of the stop arrays, and its number in the batch);
        None where the rounds would be too small to be worth it (one unit's log)."""
        n = len(ids)
        sid = self._sids(ids)
        order = np.argsort(sid, kind="stable")
        ss = sid[order]
        first = np.r_[True, ss[1:] != ss[:-1]]
        start = np.flatnonzero(first)
        if len(start) == n:
            return sid, np.arange(n), n, [np.arange(n)]
        count = np.diff(np.r_[start, n])
        if n < 32 * int(count.max()):  # rounds of fewer than 32 fixes on average: fix by fix
            return None
        g = np.empty(n, dtype=np.int64)
        g[order] = np.cumsum(first) - 1
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n) - np.repeat(start, count)
        by = np.argsort(rank, kind="stable")
        return sid, g, len(start), np.split(by, np.cumsum(np.bincount(rank))[:-1])

    def _batch_loop(self, rows: list[Any], ids: tuple[str, ...], tss: tuple[Any, ...], ts: np.ndarray, x: np.ndarray,
                    y: np.ndarray, need: np.ndarray, dump: np.ndarray, zl: list[int], zstart: list[int],
                    stale_on: bool, stale_s: float, radius2: float, stop_s: float) -> list[NewEvent] | None:
        """The per-fix loop, a round (no unit twice) at a time: numpy for what every fix does, Python for the
        fixes whose checks may hold (or whose unit has tracks open). The events come out in the batch's order:
        a unit's events depend only on its own earlier fixes. Each unit's newest fix is noted once, after the
        batch. None: too few units for rounds."""
        split = self._rounds(ids)
        if split is None:
            return None
        sid, g, ng, rounds = split
        n = len(ids)
        cur = np.empty(ng)  # each unit's newest fix's time so far (NaN: none)
        cur[g] = np.fromiter(map(self.last_ts.get, ids, repeat(NAN, n)), float, n)
        lastk = np.full(ng, -1, dtype=np.int64)  # ... and that fix, if in this batch
        open_ = np.empty(ng, dtype=bool)  # has the unit debounce tracks (only its own fixes change that)
        open_[g] = np.fromiter(map(self.tracks.__contains__, ids), bool, n)
        out: list[NewEvent] = []
        at: list[int] = []  # the fix each event came from
        for ks in rounds:
            self._round(ks, sid[ks], g[ks], cur, lastk, open_, rows, ids, tss, ts[ks], x, y, need, dump[ks], zl, zstart,
                        stale_on, stale_s, radius2, stop_s, out, at)
        if len(rounds) > 1 and out:
            out = [out[i] for i in sorted(range(len(out)), key=at.__getitem__)]  # stable: in order within a fix
        sel = lastk[lastk >= 0].tolist()
        if len(sel) == n:
            self.last_ts.update(zip(ids, tss, strict=True))
            self.last_row.update(zip(ids, rows, strict=True))
        elif sel:
            pick = itemgetter(*sel) if len(sel) > 1 else lambda seq: (seq[sel[0]],)
            self.last_ts.update(zip(pick(ids), pick(tss), strict=True))
            self.last_row.update(zip(pick(ids), pick(rows), strict=True))
        return out

    def _round(self, ks: np.ndarray, sid: np.ndarray, gk: np.ndarray, cur: np.ndarray, lastk: np.ndarray,
               open_: np.ndarray, rows: list[Any], ids_all: tuple[str, ...], tss: tuple[Any, ...], ts: np.ndarray, x_all: np.ndarray,
               y_all: np.ndarray, need_all: np.ndarray, dump: np.ndarray, zl: list[int], zstart: list[int],
               stale_on: bool, stale_s: float, radius2: float, stop_s: float, out: list[NewEvent],
               at: list[int]) -> None:
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
            srow = self._srow
            for a, j in zip(ri.tolist(), rk.tolist(), strict=True):
                srow[a] = rows[kl[j]]
            held = ~moved
            need[dk[held][ts[dk[held]] - t0[held] >= stop_s]] |= DUMPING
        tracks = self.tracks
        busy = live & ((need != 0) | open_[gk])
        gaps = before_k = None
        if stale_on and gap.any():
            busy |= gap
            gaps, before_k = gap.tolist(), lastk[gk].tolist()
        needs = need.tolist()
        plans = self.plans
        run = self._run
        far_of, zone_id = self.corridor_far, self.index.ids
        dev_m, dev_s = self.th["corridor_deviation_m"], self.th["corridor_deviation_s"]
        for j in np.flatnonzero(busy).tolist():  # in the batch's order
            k = kl[j]
            uid = ids[j]
            row = rows[k]
            before = len(out)
            if gaps is not None and before_k is not None and gaps[j]:
                pk = before_k[j]  # the unit's fix before this one: earlier in the batch, or the last one's
                if pk >= 0:
                    out += self._gap(uid, tss[pk], row[1], rows[pk])
                else:
                    out += self._gap(uid, self.last_ts[uid], row[1], self.last_row.get(uid))
            nd = needs[j]
            if nd == CORRIDOR:  # a deviation that goes on (its unit's one track, not to be raised now)
                tr = tracks.get(uid)
                if tr is not None and len(tr) == 1 and far_of[k][0] > dev_m:
                    t = tr.get(("corridor_deviation", zone_id[far_of[k][1]]))
                    if t is not None and (t.open or row[1] - t.first < dev_s):
                        t.last = row[1]  # all the check and `_debounce` would do, without the condition's text
                        continue
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
