"""The batch's gate tables of the rules engine: what every fix of a batch may need, worked out with numpy.

A subject's `Plan` (dispatch/rules/checks.py) is also a row of the gate tables (`_gates`): its permit's validity,
its permitted hours (a row of a table of the day's minutes), which zone checks apply, whether its stops are
watched, its patrol areas. `_needs` turns a batch into one int of check bits per fix (the zones' bits come
from the index), so the engine's per-fix loop only keeps what is sequential per unit. `_corridors` picks the
fixes of trucks with permitted routes that are outside all their allowed zones and measures, in one call, how
far outside their nearest corridor they are.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dispatch.rules.checks import HOURS, PATROL, PERMIT, Plan

INF = float("inf")


class GateTables:
    """Mixed into RulesEngine; the attributes it reads (index, plans, plan(), th, ...) are the engine's."""

    index: Any
    plans: dict[str, Plan]
    th: dict[str, float]
    far_d: np.ndarray | None  # by fix of the batch: metres outside its nearest route (NaN: not measured)
    far_r: np.ndarray  # ... and that route
    route_slot: dict[str, int]
    _slot_routes: list[tuple[int, ...]]
    _slot_allowed: list[frozenset[int]]
    _rt: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None
    gate_slot: dict[str, int]  # subject -> its row of the gate tables (0: none)
    _g: dict[str, list[Any]]
    _hours_id: dict[bytes, int]
    _ga: dict[str, np.ndarray] | None
    _gs: np.ndarray  # a subject's gate slot by its number (dispatch/rules/batch.py)

    def plan(self, uid: str, contact: bool) -> Plan | None:
        raise NotImplementedError

    def _gates(self, uid: str, p: Plan) -> None:
        """A subject's plan as a row of the gate tables (slot 0: no plan), so a batch's gates are numpy."""
        g = self._g
        self.gate_slot[uid] = len(g["lo"])
        lo, hi = p.valid or (-INF, INF)
        g["lo"].append(lo)
        g["hi"].append(hi)
        hid = -1
        if p.hours_ok is not None:
            hid = self._hours_id.setdefault(p.hours_ok, len(self._hours_id))
        g["hid"].append(hid)
        g["zonal"].append(p.zonal)
        g["dump"].append(p.dumping)
        g["areas"].append(p.areas)
        g["route"].append(-1)  # its row of the route tables, set by plan() if it has routes
        self._ga = None

    def _reset_gates(self) -> None:
        self.gate_slot = {}
        self._g = {"lo": [-INF], "hi": [INF], "hid": [-1], "zonal": [0], "dump": [False], "areas": [frozenset()],
                   "route": [-1]}
        self._hours_id = {}
        self._ga = None

    def _gate_arrays(self) -> dict[str, np.ndarray]:
        if self._ga is None:
            g = self._g
            nz = max(1, len(self.index.zones)) if self.index is not None else 1
            tab = b"".join(h for h, _ in sorted(self._hours_id.items(), key=lambda kv: kv[1])) or bytes(1440)
            ga: dict[str, np.ndarray] = {
                "lo": np.array(g["lo"], dtype=float), "hi": np.array(g["hi"], dtype=float),
                "hid": np.array(g["hid"], dtype=np.int64), "zonal": np.array(g["zonal"], dtype=np.int64),
                "dump": np.array(g["dump"], dtype=bool),
                "has_areas": np.array([bool(a) for a in g["areas"]], dtype=bool),
                "route": np.array(g["route"], dtype=np.int64),
                "area_keys": np.array(sorted(s * nz + z for s, a in enumerate(g["areas"]) for z in a), dtype=np.int64),
                "hours": np.frombuffer(tab, dtype=np.uint8).reshape(-1, 1440)}
            self._ga = ga
        return self._ga

    def _slots(self, ids: tuple[str, ...], sid: np.ndarray, contacts: bool) -> np.ndarray:
        """Each fix's subject's row of the gate tables (0: no plan), by the subjects' numbers (sid; `_gs`: the
        rows by number, -1 not known); plans not worked out yet are, here (a subject with none is looked at
        again in each batch: it may have become a unit)."""
        s = self._gs[sid]
        unknown = np.flatnonzero(s < 0)
        if len(unknown):  # plans not worked out yet (the first batch after a change)
            slot = self.gate_slot
            for i in unknown.tolist():
                uid = ids[i]
                if uid not in self.plans:
                    self.plan(uid, contacts)
                s[i] = self._gs[sid[i]] = slot.get(uid, -1)
            s[s < 0] = 0
        return s

    def _needs(self, s: np.ndarray, ts: np.ndarray, speed: np.ndarray | None, mins: np.ndarray | None,
               zf: np.ndarray, fi: np.ndarray, zi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per fix (s: its subject's gate slot), the bits of the checks its plan and place call for (-1: no
        plan), and whether its stops are watched; the sequential part (the stop anchor, DUMPING) is the loop's."""
        n = len(s)
        g = self._gate_arrays()
        need = zf & g["zonal"][s]
        need[~((g["lo"][s] <= ts) & (ts < g["hi"][s]))] |= PERMIT
        if mins is not None and speed is not None:
            hid = g["hid"][s]
            hk = np.flatnonzero((hid >= 0) & (speed >= self.th["moving_mps"]))  # NaN (no speed) is not moving
            if len(hk):
                bad = g["hours"][hid[hk], mins[hk]] == 0
                need[hk[bad]] |= HOURS
        has = g["has_areas"][s]
        if has.any():
            nz = max(1, len(self.index.zones)) if self.index is not None else 1
            keys = g["area_keys"]
            inside = np.zeros(n, dtype=bool)
            if len(fi) and len(keys):
                key = s[fi] * nz + zi
                pos = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
                inside[fi[keys[pos] == key]] = True
            need[has & ~inside] |= PATROL
        need[s == 0] = -1
        return need, g["dump"][s]

    def _route_tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The permitted routes of the trucks that have some, by slot (CSR), and their allowed zones as keys."""
        if self._rt is None:
            count = np.array([len(r) for r in self._slot_routes], dtype=np.int64)
            start = np.concatenate(([0], np.cumsum(count)[:-1])).astype(np.int64)
            flat = np.array([z for r in self._slot_routes for z in r], dtype=np.int64)
            nz = max(1, len(self.index.zones)) if self.index is not None else 1
            keys = np.array(sorted(s * nz + z for s, a in enumerate(self._slot_allowed) for z in a), dtype=np.int64)
            self._rt = (count, start, flat, keys)
        return self._rt

    def _corridors(self, gs: np.ndarray, x: np.ndarray, y: np.ndarray, fi: np.ndarray, zi: np.ndarray) -> None:
        """How far each fix of a truck with permitted routes is outside them (vectorised: no loop over fixes), as
        `far_d` and `far_r` (left None where no fix is measured).

        A fix inside one of its allowed zones (a permitted corridor or site) is not measured. Per fix the
        nearest route is kept (the first of equals, in the permit's order). gs: the fixes' gate slots.
        """
        idx = self.index
        assert idx is not None
        s = self._gate_arrays()["route"][gs]
        cand = s >= 0
        if not cand.any():
            return
        count, start, flat, keys = self._route_tables()
        if len(fi):
            nz = max(1, len(idx.zones))
            sf = s[fi]
            key = sf * nz + zi
            pos = np.minimum(np.searchsorted(keys, key), max(0, len(keys) - 1))
            inside = (sf >= 0) & (keys[pos] == key) if len(keys) else np.zeros(len(fi), dtype=bool)
            cand[fi[inside]] = False  # inside its corridor or one of its sites
        ks = np.flatnonzero(cand)
        if not len(ks):
            return
        sl = s[ks]
        cnt = count[sl]
        kr = np.repeat(ks, cnt)
        within = np.arange(len(kr)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        rr = flat[np.repeat(start[sl], cnt) + within]
        d = idx.corridor_distance(x[kr], y[kr], rr)
        o = np.lexsort((d, kr))  # by fix, then metres; stable, so the permit's first route of equals
        kr, d, rr = kr[o], d[o], rr[o]
        first = np.ones(len(kr), dtype=bool)
        first[1:] = kr[1:] != kr[:-1]
        kf, df, rf = kr[first], d[first], rr[first]
        self.far_d = np.full(len(x), np.nan)
        self.far_r = np.zeros(len(x), dtype=np.int64)
        self.far_d[kf], self.far_r[kf] = df, rf
