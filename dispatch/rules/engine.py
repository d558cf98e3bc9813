"""The rules engine: a fix handler of the core that runs every rule on every fix (Traccar's ordered handlers).

For each batch the core ingests: membership of every fix in one grid query, the corridor distances
with numpy too, then (in rounds where no unit repeats, dispatch/rules/batch.py) per fix the checks (dispatch/rules/checks.py) that apply to the unit (its
`Plan`, worked out once per change of zones, permits or switches: a truck with papers gets the permit,
hours, corridor and dumping checks, a boat of a patrol area the area check, every unit the per-zone
ones, an AIS contact only the protection zones), each guarded so one failing check never stops the others. The conditions found go through a debounce per
(subject, rule, zone): an alert is raised once the condition has held its `hold` time, and it closes
itself (`alert.cleared`, with the reason) only once the condition has stayed false for `clear_s`, so a
fix jittering across a border raises one alert, not ten. Time is the fixes' own (a log replays as it
happened); `stale` is checked on a sweep at most every 10 s of that time, across gaps in a log, and by a
timer thread every 10 s for a fleet that has gone silent altogether (no fix arrives to drive a sweep).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from dispatch.core import FixRows
from dispatch.model import UnitKind
from dispatch.rules import checks
from dispatch.rules.alerts import alert_book
from dispatch.rules.batch import UnitArrays
from dispatch.rules.checks import (
    CORRIDOR,
    DUMPING,
    PROTECTION,
    RESTRICTED,
    SPEEDING,
    TODO,
    Cond,
    Conds,
    Fix,
    Plan,
)
from dispatch.rules.config import SEVERITY, SEVERITY_NAMES, rules_ext
from dispatch.rules.gates import GateTables
from dispatch.rules.index import ZoneIndex
from dispatch.store import NewEvent
from dispatch.zones.book import zone_book
from dispatch.zones.model import DEFAULT_TZ

log = logging.getLogger(__name__)

CLEARED = {
    "corridor_deviation": "back in the corridor",
    "suspected_dumping": "moved on",
    "restricted_entry": "left the area or its hours ended",
    "outside_hours": "within its hours or stopped",
    "permit_expired": "permit valid again",
    "speeding": "below the limit",
    "left_patrol_area": "back in its patrol area",
    "protection_zone_entry": "left the protection zone",
    "stale": "reporting again",
}
SWEEP_EVERY = 10.0
# A batch is judged in parts of at most this many fixes, one after the other (the same alerts as at once: each
# unit's fixes are judged in order either way). The arrays of a part (8 bytes a fix, a little more for the
# (fix, zone) pairs) then stay under malloc's mmap threshold (64 KiB: dispatch/runtime.py), so they come from
# its arenas: a larger array is a fresh mapping, its pages faulted in and unmapped when freed, and each unmap
# of a process with threads interrupts the other cores (a TLB shootdown). With batches of 9,400 fixes that
# was a sixth of the feed thread's time in the kernel (perf, `bench --only rules`, 2026-12-05).
PART = 4096
COMPACT_AFTER = 1024  # subjects forgotten (and at least half of those numbered) before they are numbered again
INF = float("inf")
NAN = float("nan")


class Track:
    __slots__ = ("first", "last", "open")

    def __init__(self, first: float, last: float, open_: bool = False) -> None:
        self.first = first
        self.last = last
        self.open = open_


def parts(rows: list[Any], size: int) -> list[list[Any]]:
    """The rows in consecutive parts of at most `size` (a FixRows' columns sliced with them)."""
    if len(rows) <= size:
        return [rows]
    cols = getattr(rows, "cols", None)
    if cols is None:
        return [rows[i:i + size] for i in range(0, len(rows), size)]
    return [FixRows(rows[i:i + size], tuple(c[i:i + size] for c in cols)) for i in range(0, len(rows), size)]


def alert_key(rule: str, subject: str, zone: str) -> str:
    return f"{rule}|{subject}|{zone}"


class RulesEngine(GateTables, UnitArrays):
    name = "rules"

    def __init__(self, core: Any) -> None:
        self.core = core
        self.lock = threading.Lock()
        self.enabled = True
        self.index: ZoneIndex | None = None
        self.tracks: dict[str, dict[tuple[str, str], Track]] = {}  # subject -> (rule, zone) -> debounce
        self.plans: dict[str, Plan] = {}
        self._plan_sig: Any = None
        self.batch_path = True  # False: every batch fix by fix (the tests compare the two)
        self._reset_units()  # each subject's newest fix, gate slot, stop (dispatch/rules/batch.py)
        self.failures: Counter[str] = Counter()  # rule -> checks that raised
        self.fixes = 0
        self.data_now = 0.0
        self._next_sweep = 0.0
        self.timer_s = SWEEP_EVERY  # the stale timer's period (seconds of the core's clock's pace; 0: none)
        self._timer: threading.Thread | None = None
        self._stop = threading.Event()
        self._data_clock = 0.0  # the core's clock when data_now last moved
        self.ticks = 0  # the timer's sweeps so far
        self._offsets: dict[tuple[str, int], float] = {}
        self._last_offset: tuple[int, str, float] = (-1, "", 0.0)
        self.th: dict[str, float] = {}
        self.on: dict[str, bool] = {}
        self.permits: dict[str, Any] = {}
        self.companies: dict[str, Any] = {}
        self.far_d: np.ndarray | None = None
        self.far_r = np.zeros(0, dtype=np.int64)
        self._reset_gates()
        self.route_slot: dict[str, int] = {}  # truck -> its row in the route tables (-1: no routes)
        self._slot_routes: list[tuple[int, ...]] = []
        self._slot_allowed: list[frozenset[int]] = []
        self._rt: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self.tz = DEFAULT_TZ  # until the zones' configuration says otherwise
        with core.lock:
            for key in alert_book(core.state).active:  # alerts open before a restart stay open until they clear
                rule, subject, zone = key.split("|", 2)
                if rule not in SEVERITY:
                    continue  # not the engine's (a terminal's alarm, dispatch/rules/terminal.py): it never clears it
                a = alert_book(core.state).alerts[alert_book(core.state).active[key]]
                t = float(a.get("ts") or 0.0)
                self.tracks.setdefault(subject, {})[(rule, zone)] = Track(t, t, True)

    # ------------------------------------------------------------ entry points
    def on_fixes(self, rows: list[Any], contacts: bool) -> None:
        if not self.enabled or not rows:
            return
        if self._timer is None and self.timer_s > 0:
            self._start_timer()
        with self.lock:
            before = self.data_now
            events: list[NewEvent] = []
            for part in parts(rows, PART):
                events += self.evaluate(part, contacts)
            if self.data_now > before:
                self._data_clock = self.core.clock()
            if self.data_now >= self._next_sweep:
                self._next_sweep = self.data_now + SWEEP_EVERY
                events += self._sweep(self.data_now)
            if events:
                self.core.record("system:rules", events)

    def sweep(self, now: float) -> int:
        """Raise `stale` for units silent too long at `now` (a timer or `rules.sweep`); returns alerts recorded."""
        with self.lock:
            self._prepare()
            events = self._sweep(now)
            if events:
                self.core.record("system:rules", events)
            return len(events)

    # ------------------------------------------------------------ the timer
    def _start_timer(self) -> None:
        """A thread that sweeps for silent units even when no fix arrives at all (the sweep on fixes cannot).

        Started by the first batch (a core that never sees a fix, e.g. one `ctl` command, starts none);
        stopped by `close()` (the core's).
        """
        with self.lock:
            if self._timer is not None:
                return
            self._timer = threading.Thread(target=self._timer_loop, name="rules-stale-timer", daemon=True)
            self._timer.start()

    def _timer_loop(self) -> None:
        while not self._stop.wait(self.timer_s):
            try:
                self.tick()
                self.ticks += 1
            except Exception:  # a store that is gone, say: the next tick tries again
                log.exception("the rules' stale timer failed")

    def tick(self) -> int:
        """One sweep at the time the fixes' clock reads now: the newest fix's time plus the time since it came.

        Time in the rules is the fixes' own, so a log ingested at full speed is judged by its own times; a
        fleet that falls silent is judged by how long the core's clock has run since its last fix.
        """
        if not self.enabled or not self._sid:
            return 0
        with self.lock:
            now = self.data_now + max(0.0, self.core.clock() - self._data_clock)
        return self.sweep(now)

    def close(self) -> None:
        self._stop.set()
        t, self._timer = self._timer, None
        if t is not None and t is not threading.current_thread():
            t.join(5)

    # -------------------------------------------------------------- the batch
    def _prepare(self) -> ZoneIndex:
        state = self.core.state
        zb = zone_book(state)
        if self.index is None or self.index.version != zb.version:
            self.index = ZoneIndex(zb)
        ext = rules_ext(state)
        self.th, self.on = ext["thresholds"], ext["enabled"]
        self.permits, self.companies, self.tz = zb.permits, zb.companies, zb.tz
        sig = (zb.version, zb.permits_version, tuple(self.on.items()))
        if sig != self._plan_sig:
            self._plan_sig = sig
            self.plans = {}
            self._reset_gates()
            self._gs[:] = -1
            self.route_slot = {}
            self._slot_routes, self._slot_allowed = [], []
            self._rt = None
        return self.index

    def plan(self, uid: str, contact: bool) -> Plan | None:
        """What applies to a subject (cached until zones, permits or switches change)."""
        on = self.on
        idx = self.index
        assert idx is not None
        if contact:
            p = Plan(None, None, False, frozenset(), (), frozenset(),
                     (PROTECTION if on.get("protection_zone_entry", True) else 0) | CORRIDOR)
            self.plans[uid] = p
            self._gates(uid, p)
            return p
        u = self.core.state.units.get(uid)
        self.route_slot[uid] = -1  # no routes to keep to (set below if it has)
        if u is None:
            return None
        valid: tuple[float, float] | None = None
        hours_ok: bytes | None = None
        dumping, allowed, routes = False, frozenset[int](), tuple[int, ...]()
        areas = frozenset(idx.patrol_of.get(uid, ())) if on.get("left_patrol_area", True) else frozenset()
        if u.kind is UnitKind.TRUCK:
            permit = self.permits.get(uid)
            if permit is not None:
                company = self.companies.get(permit.get("company") or "") or {}
                lo = max(p.get("valid_from_ts") or -INF for p in (permit, company))
                hi = min(p.get("valid_to_ts") or INF for p in (permit, company))
                if (lo, hi) != (-INF, INF) and on.get("permit_expired", True):
                    valid = (lo, hi)
                if permit.get("windows") and on.get("outside_hours", True):
                    try:
                        hours_ok = checks.hours_flags(permit["windows"])
                    except Exception:  # papers the log holds but no rule can read: counted, the rest go on
                        self.failures["outside_hours"] += 1
                        log.exception("hours of %s cannot be read: %r", uid, permit.get("windows"))
                routes = tuple(idx.pos[z] for z in permit["routes"] if z in idx.pos)
                allowed = frozenset(routes) | {idx.pos[z] for z in permit["sites"] if z in idx.pos}
                dumping = on.get("suspected_dumping", True)  # a waste truck (one with papers); not every truck
        zonal = (RESTRICTED if u.kind is UnitKind.TRUCK and on.get("restricted_entry", True) else 0) | (
            SPEEDING if on.get("speeding", True) else 0) | CORRIDOR  # corridor bits come only where measured
        p = Plan(valid, hours_ok, dumping, allowed, routes, areas, zonal)
        self.plans[uid] = p
        self._gates(uid, p)
        if routes:
            self.route_slot[uid] = self._g["route"][self.gate_slot[uid]] = len(self._slot_routes)
            self._slot_routes.append(routes)
            self._slot_allowed.append(allowed)
            self._rt = None
        return p

    def evaluate(self, rows: list[Any], contacts: bool) -> list[NewEvent]:
        idx = self._prepare()
        n = len(rows)
        th = self.th
        # ids, times, lat, lon, speed columns: as the feed parsed them (dispatch.core.FixRows), else one pass in C
        cols = getattr(rows, "cols", None) or tuple(zip(*rows, strict=True))
        ts_arr = np.array(cols[1], dtype=float)
        lat, lon = np.array(cols[2], dtype=float), np.array(cols[3], dtype=float)
        x, y = idx.xy(lat, lon)
        # Membership as (fix, zone) pairs ordered by fix; what each fix's zones may raise, as bits, at once:
        # the loop below reads a fix's zone list only when a check needs it.
        fi, zi = idx.pairs(x, y)
        zl = zi.tolist()
        zstart = np.searchsorted(fi, np.arange(n + 1)).tolist()
        zf_arr = np.zeros(n, dtype=np.int64)
        speed_arr = np.array(cols[4], dtype=float)  # None -> nan: never over a limit, never moving
        if len(fi):
            over = speed_arr[fi] * 3.6 > idx.limit_arr[zi] + th["speeding_tolerance_kmh"]
            bits = (idx.flag_arr[zi] & ~SPEEDING) | np.where(over, SPEEDING, 0)
            first = np.flatnonzero(np.r_[True, fi[1:] != fi[:-1]])  # fi is sorted: one segment per fix
            zf_arr[fi[first]] = np.bitwise_or.reduceat(bits, first)
        stale_on = self.on.get("stale", True) and not contacts
        stale_s = th["stale_s"]
        radius2 = th["dumping_radius_m"] ** 2
        stop_s = th["dumping_stop_min"] * 60.0
        self.far_d = None
        sid = self._sids(cols[0])  # each fix's subject's number (the one lookup by name)
        gs = self._slots(cols[0], sid, contacts)  # ... its row of the gate tables (plans made here)
        mins = None
        if not contacts:
            if self.on.get("corridor_deviation", True) and self.permits:
                self._corridors(gs, x, y, fi, zi)
                if self.far_d is not None:
                    zf_arr[self.far_d == self.far_d] |= CORRIDOR  # measured (not NaN)
            mins = self._minutes(ts_arr)
        # What each fix's plan and place call for, at once; the loop keeps what is sequential per unit (its
        # last fix, its stop anchor, the debounce) and runs the checks where a bit says one may hold.
        needs, dumps = self._needs(gs, ts_arr, speed_arr, mins, zf_arr, fi, zi)
        out = None
        if self.batch_path:  # rounds where no unit repeats (a second of a fleet, a few): the batch path
            out = self._batch_loop(rows, cols[0], sid, cols[1], ts_arr, lat, lon, x, y, needs, dumps, zl, zstart,
                                   stale_on, stale_s, radius2, stop_s)
        if out is None:
            out = self._fix_loop(rows, cols, sid.tolist(), x, y, needs.tolist(), dumps.tolist(), zl, zstart, stale_on,
                                 stale_s, radius2, stop_s)
        self.fixes += n
        newest = float(ts_arr.max())
        if newest > self.data_now:
            self.data_now = newest
        return out

    def _fix_loop(self, rows: list[Any], cols: tuple[Any, ...], sids: list[int], x: np.ndarray, y: np.ndarray,
                  needs: list[int], dumps: list[bool], zl: list[int], zstart: list[int], stale_on: bool,
                  stale_s: float, radius2: float, stop_s: float) -> list[NewEvent]:
        """Fix by fix, in order: a batch where a unit repeats (one unit's log, say)."""
        lt, llat, llon = self._lt, self._llat, self._llon
        tracks = self.tracks
        plans = self.plans
        xs, ys = x.tolist(), y.tolist()
        out: list[NewEvent] = []
        run = self._run
        todo_of = TODO
        for k, uid, s, ts, need, dumping in zip(range(len(rows)), cols[0], sids, cols[1], needs, dumps, strict=True):
            prev = float(lt[s])  # NaN (none yet): neither comparison holds
            if ts < prev:
                continue  # out of order: the rules follow each unit's time forwards only
            if ts - prev > stale_s:
                if stale_on:
                    out += self._gap(uid, prev, ts, float(llat[s]), float(llon[s]))
                self.drop_stop(uid)  # a stop is what was seen: parked through a silence is not one
            if need < 0:
                continue  # no plan: not a unit of ours (the core ingests only units)
            row = rows[k]
            lt[s], llat[s], llon[s] = ts, row[2], row[3]
            if dumping and self._anchor(uid, xs[k], ys[k], row, radius2, stop_s):
                need |= DUMPING
            if not need:
                if uid in tracks:
                    self._debounce(row, {}, out)
                continue
            plan = plans[uid]
            f = Fix(k, uid, ts, row[2], row[3], row[4], xs[k], ys[k])
            zs = zl[zstart[k]:zstart[k + 1]]
            conds: Conds = {}
            for check in todo_of[need]:
                run(getattr(checks, check), f, zs, conds, plan)
            if conds or uid in tracks:
                self._debounce(row, conds, out)
        return out

    def _minutes(self, ts: np.ndarray) -> np.ndarray:
        """Each fix's minute of the day in the bureau's time zone (the offset looked up once an hour)."""
        if len(ts) and ts.min() // 3600.0 == ts.max() // 3600.0:  # the common batch: within one hour
            off1 = self.utc_offset(float(ts[0]), None)
            return (((ts + off1) % 86400.0) // 60.0).astype(np.int64) % 1440  # type: ignore[no-any-return]
        hours = ts // 3600.0
        uh, first = np.unique(hours, return_index=True)
        offs = np.array([self.utc_offset(t, None) for t in ts[first].tolist()])
        off = offs[np.searchsorted(uh, hours)] if len(uh) > 1 else offs[0]
        return (((ts + off) % 86400.0) // 60.0).astype(np.int64) % 1440  # type: ignore[no-any-return]

    def _run(self, check: Any, f: Fix, zs: list[int], conds: Conds, plan: Plan) -> None:
        try:
            check(self, f, zs, conds, plan)
        except Exception:  # one failing rule is logged and never stops the others
            name = check.__name__
            self.failures[name] += 1
            if self.failures[name] <= 3:
                log.exception("rule %s failed on a fix of %s", name, f.uid)

    # -------------------------------------------------------------- debounce
    def _debounce(self, row: Any, conds: Conds, out: list[NewEvent]) -> None:
        uid, ts = row[0], row[1]
        tr = self.tracks.get(uid)
        if tr is None:
            tr = self.tracks[uid] = {}
        for key, c in conds.items():
            t = tr.get(key)
            if t is None:
                t = tr[key] = Track(ts if c.since is None else c.since, ts)
            t.last = ts
            if not t.open and ts - t.first >= c.hold:
                t.open = True
                out.append(self._raised(key[0], uid, key[1], ts, c.lat if c.lat is not None else row[2],
                                        c.lon if c.lon is not None else row[3], c, t.first))
        clear_s = self.th["clear_s"]
        for key in [key for key in tr if key not in conds]:
            t = tr[key]
            if ts - t.last >= clear_s:
                del tr[key]
                if t.open:
                    out.append(self._cleared(key[0], uid, key[1], ts, t))
        if not tr:
            del self.tracks[uid]

    def _raised(self, rule: str, subject: str, zone: str, ts: float, lat: float, lon: float, c: Cond,
                since: float) -> NewEvent:
        sev = SEVERITY[rule]
        payload = {"key": alert_key(rule, subject, zone), "rule": rule, "unit_id": subject, "lat": round(lat, 7),
                   "lon": round(lon, 7), "ts": ts, "since": since, "severity": SEVERITY_NAMES[sev],
                   "zone": zone or None, "zone_name": c.zone_name, "detail": c.detail}
        if c.args:
            payload["args"] = c.args
        return NewEvent("alert.raised", payload, f"unit:{subject}")

    def _cleared(self, rule: str, subject: str, zone: str, ts: float, t: Track) -> NewEvent:
        minutes = max(0.0, t.last - t.first) / 60.0
        reason = f"{CLEARED.get(rule, 'condition cleared')} (held {minutes:.0f} min)"
        return NewEvent("alert.cleared", {"key": alert_key(rule, subject, zone), "ts": ts, "reason": reason},
                        f"unit:{subject}")

    # ------------------------------------------------------------------ stale
    def _gap(self, uid: str, prev: float, ts: float, lat: float, lon: float) -> list[NewEvent]:
        """A log's gap longer than stale_s: the unit was silent (its fix before: at prev, lat, lon); raised and
        (it reports again) cleared."""
        tr = self.tracks.get(uid, {})
        if ("stale", "") in tr:
            return []  # the sweep saw it already
        at = prev + self.th["stale_s"]
        c = Cond(0.0, f"silent {(ts - prev) / 60.0:.0f} min", args={"minutes": round((ts - prev) / 60.0)})
        t = Track(prev, at, True)
        return [self._raised("stale", uid, "", at, lat, lon, c, prev), self._cleared("stale", uid, "", ts, t)]

    def _sweep(self, now: float) -> list[NewEvent]:
        if not self.on.get("stale", True):
            return []
        out: list[NewEvent] = []
        limit = self.th["stale_s"]
        units = self.core.state.units
        lt = self._lt[:len(self._uids)]
        with np.errstate(invalid="ignore"):
            silent = np.flatnonzero(now - lt > limit).tolist()  # NaN (none, or forgotten): never
        for i in silent:
            uid, last = self._uids[i], float(lt[i])
            tr = self.tracks.setdefault(uid, {})
            if uid.startswith("mmsi:") or uid not in units:  # a contact gone quiet: its alerts close
                lt[i] = NAN  # forgotten until it is heard again
                self._forgotten += 1
                for key, t in list(tr.items()):
                    del tr[key]
                    if t.open:
                        out.append(NewEvent("alert.cleared", {"key": alert_key(key[0], uid, key[1]), "ts": now,
                                                              "reason": "no longer heard"}, f"unit:{uid}"))
                continue
            if ("stale", "") not in tr:
                tr[("stale", "")] = Track(last, now, True)
                out.append(self._raised("stale", uid, "", now, float(self._llat[i]), float(self._llon[i]),
                                        Cond(0.0, f"silent {(now - last) / 60.0:.0f} min",
                                             args={"minutes": round((now - last) / 60.0)}), last))
        for uid in [u for u, tr in self.tracks.items() if not tr]:
            del self.tracks[uid]
        if self._forgotten > max(COMPACT_AFTER, len(self._uids) // 2):
            self._compact_units()
        return out

    # ------------------------------------------------------------------- time
    def local_minute(self, ts: float, tz: str | None) -> int:
        """Minute of the day (0..1439) at `ts` in `tz` (default: the bureau's time zone)."""
        return int(((ts + self.utc_offset(ts, tz)) % 86400.0) // 60.0)

    def utc_offset(self, ts: float, tz: str | None) -> float:
        """Seconds `tz` (default: the bureau's) is ahead of UTC at `ts`; cached per hour."""
        name = tz or self.tz
        hour = int(ts // 3600)
        last = self._last_offset
        if last[0] == hour and last[1] == name:
            return last[2]
        off = self._offsets.get((name, hour))
        if off is None:
            if len(self._offsets) > 10_000:
                self._offsets.clear()
            delta = ZoneInfo(name).utcoffset(datetime.fromtimestamp(ts, UTC))
            off = self._offsets[(name, hour)] = delta.total_seconds() if delta is not None else 0.0
        self._last_offset = (hour, name, off)
        return off
