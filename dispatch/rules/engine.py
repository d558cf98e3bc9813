"""The rules engine: a fix handler of the core that runs every rule on every fix (Traccar's ordered handlers).

For each batch the core ingests: membership of every fix in one STRtree query, the corridor distances
in one vectorised call, then per fix the checks (dispatch/rules/checks.py) that apply to the unit (its
`Plan`, worked out once per change of zones, permits or switches: a truck with papers gets the permit,
hours, corridor and dumping checks, a boat of a patrol area the area check, every unit the per-zone
ones, an AIS contact only the protection zones), each guarded so one failing check never stops the others. The conditions found go through a debounce per
(subject, rule, zone): an alert is raised once the condition has held its `hold` time, and it closes
itself (`alert.cleared`, with the reason) only once the condition has stayed false for `clear_s`, so a
fix jittering across a border raises one alert, not ten. Time is the fixes' own (a log replays as it
happened); `stale` is checked on a sweep at most every 10 s of that time, and across gaps in a log.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from dispatch.model import UnitKind
from dispatch.rules import checks
from dispatch.rules.alerts import alert_book
from dispatch.rules.checks import ZONAL, Cond, Conds, Fix, Plan
from dispatch.rules.config import SEVERITY, SEVERITY_NAMES, rules_ext
from dispatch.rules.index import ZoneIndex
from dispatch.store import NewEvent
from dispatch.zones.book import zone_book

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
INF = float("inf")


class Track:
    __slots__ = ("first", "last", "open")

    def __init__(self, first: float, last: float, open_: bool = False) -> None:
        self.first = first
        self.last = last
        self.open = open_


def alert_key(rule: str, subject: str, zone: str) -> str:
    return f"{rule}|{subject}|{zone}"


class RulesEngine:
    name = "rules"

    def __init__(self, core: Any) -> None:
        self.core = core
        self.lock = threading.Lock()
        self.enabled = True
        self.index: ZoneIndex | None = None
        self.tracks: dict[str, dict[tuple[str, str], Track]] = {}  # subject -> (rule, zone) -> debounce
        self.last_ts: dict[str, float] = {}  # subject -> its newest fix seen
        self.last_row: dict[str, Any] = {}  # subject -> its newest fix row
        self.plans: dict[str, Plan] = {}
        self._plan_sig: Any = None
        self.stops: dict[str, tuple[float, float, float, float, float]] = {}  # truck -> (x, y, ts, lat, lon) of its stop
        self.failures: Counter[str] = Counter()  # rule -> checks that raised
        self.fixes = 0
        self.data_now = 0.0
        self._next_sweep = 0.0
        self._offsets: dict[tuple[str, int], float] = {}
        self._last_offset: tuple[int, str, float] = (-1, "", 0.0)
        self.th: dict[str, float] = {}
        self.on: dict[str, bool] = {}
        self.permits: dict[str, Any] = {}
        self.companies: dict[str, Any] = {}
        self.corridor_far: dict[int, tuple[float, int]] = {}
        self.tz = "Asia/Shanghai"
        with core.lock:
            for key in alert_book(core.state).active:  # alerts open before a restart stay open until they clear
                rule, subject, zone = key.split("|", 2)
                a = alert_book(core.state).alerts[alert_book(core.state).active[key]]
                t = float(a.get("ts") or 0.0)
                self.tracks.setdefault(subject, {})[(rule, zone)] = Track(t, t, True)

    # ------------------------------------------------------------ entry points
    def on_fixes(self, rows: list[Any], contacts: bool) -> None:
        if not self.enabled or not rows:
            return
        with self.lock:
            events = self.evaluate(rows, contacts)
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
        return self.index

    def plan(self, uid: str, contact: bool) -> Plan | None:
        """What applies to a subject (cached until zones, permits or switches change)."""
        on = self.on
        idx = self.index
        assert idx is not None
        if contact:
            p = Plan((), tuple(c for c in ZONAL if c is checks.protection_zone_entry and on.get(c.__name__, True)),
                     (-INF, INF), None, frozenset(), (), ())
            self.plans[uid] = p
            return p
        u = self.core.state.units.get(uid)
        if u is None:
            return None
        always: list[Any] = []
        valid, windows, allowed, routes = (-INF, INF), None, frozenset[int](), ()
        areas = tuple(idx.patrol_of.get(uid, ()))
        if u.kind is UnitKind.TRUCK:
            permit = self.permits.get(uid)
            if permit is not None:
                company = self.companies.get(permit.get("company") or "") or {}
                lo = max(p.get("valid_from_ts") or -INF for p in (permit, company))
                hi = min(p.get("valid_to_ts") or INF for p in (permit, company))
                valid, windows = (lo, hi), permit.get("windows")
                routes = tuple(idx.pos[z] for z in permit["routes"] if z in idx.pos)
                allowed = frozenset(routes) | {idx.pos[z] for z in permit["sites"] if z in idx.pos}
                if valid != (-INF, INF):
                    always.append(checks.permit_expired)
                if windows:
                    always.append(checks.outside_hours)
                always.append(checks.suspected_dumping)  # a waste truck (one with papers); not every truck
        if areas:
            always.append(checks.left_patrol_area)
        zonal = [c for c in ZONAL if c is not checks.protection_zone_entry]
        p = Plan(tuple(c for c in always if on.get(c.__name__, True)),
                 tuple(c for c in zonal if on.get(c.__name__, True)), valid, windows, allowed, routes, areas)
        self.plans[uid] = p
        return p

    def evaluate(self, rows: list[Any], contacts: bool) -> list[NewEvent]:
        idx = self._prepare()
        n = len(rows)
        lat = np.fromiter((r[2] for r in rows), float, n)
        lon = np.fromiter((r[3] for r in rows), float, n)
        x, y = idx.xy(lat, lon)
        hits = idx.members(x, y)
        xs, ys = x.tolist(), y.tolist()
        plans = self.plans
        plan_of = self.plan
        last_ts = self.last_ts
        last_row = self.last_row
        tracks = self.tracks
        failures = self.failures
        stale_on = self.on.get("stale", True) and not contacts
        stale_s = self.th["stale_s"]
        self.corridor_far = corridor_far = {}
        if not contacts and self.on.get("corridor_deviation", True) and self.permits:
            self._corridors(rows, xs, ys, hits)
        out: list[NewEvent] = []
        empty: list[int] = []
        for k, row in enumerate(rows):
            uid = row[0]
            ts = row[1]
            prev = last_ts.get(uid)
            if prev is not None:
                if ts < prev:
                    continue  # out of order: the rules follow each unit's time forwards only
                if stale_on and ts - prev > stale_s:
                    out += self._gap(uid, prev, ts)
            plan = plans.get(uid)
            if plan is None:
                plan = plan_of(uid, contacts)
                if plan is None:
                    continue
            last_ts[uid] = ts
            last_row[uid] = row
            zs = hits.get(k)
            todo = plan.always + plan.zonal if zs else plan.always
            if corridor_far and k in corridor_far:
                todo += (checks.corridor_deviation,)
            if not todo and uid not in tracks:
                continue
            f = Fix(k, uid, ts, row[2], row[3], row[4], xs[k], ys[k])
            conds: Conds = {}
            for check in todo:
                try:
                    check(self, f, zs or empty, conds, plan)
                except Exception:  # one failing rule is logged and never stops the others
                    name = check.__name__
                    failures[name] += 1
                    if failures[name] <= 3:
                        log.exception("rule %s failed on a fix of %s", name, uid)
            if conds or uid in tracks:
                self._debounce(f, conds, out)
        self.fixes += n
        newest = max(r[1] for r in rows)
        if newest > self.data_now:
            self.data_now = newest
        return out

    def _corridors(self, rows: list[Any], xs: list[float], ys: list[float], hits: dict[int, list[int]]) -> None:
        """How far each fix of a truck with permitted routes is outside them (one vectorised distance call)."""
        idx = self.index
        assert idx is not None
        plans = self.plans
        req_k: list[int] = []
        req_r: list[int] = []
        for k, row in enumerate(rows):
            p = plans.get(row[0])
            if p is None:
                p = self.plan(row[0], False)
                if p is None:
                    continue
            if not p.routes:
                continue
            zs = hits.get(k)
            if zs and not p.allowed.isdisjoint(zs):
                continue  # inside its corridor or one of its sites
            for r in p.routes:
                req_k.append(k)
                req_r.append(r)
        if not req_k:
            return
        d = idx.corridor_distance([xs[k] for k in req_k], [ys[k] for k in req_k], req_r).tolist()
        far = self.corridor_far
        for k, r, m in zip(req_k, req_r, d, strict=True):
            old = far.get(k)
            if old is None or m < old[0]:
                far[k] = (m, r)

    # -------------------------------------------------------------- debounce
    def _debounce(self, f: Fix, conds: dict[tuple[str, str], Cond], out: list[NewEvent]) -> None:
        uid, ts = f.uid, f.ts
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
                out.append(self._raised(key[0], uid, key[1], ts, c.lat if c.lat is not None else f.lat,
                                        c.lon if c.lon is not None else f.lon, c, t.first))
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
        return NewEvent("alert.raised", payload, f"unit:{subject}")

    def _cleared(self, rule: str, subject: str, zone: str, ts: float, t: Track) -> NewEvent:
        minutes = max(0.0, t.last - t.first) / 60.0
        reason = f"{CLEARED.get(rule, 'condition cleared')} (held {minutes:.0f} min)"
        return NewEvent("alert.cleared", {"key": alert_key(rule, subject, zone), "ts": ts, "reason": reason},
                        f"unit:{subject}")

    # ------------------------------------------------------------------ stale
    def _gap(self, uid: str, prev: float, ts: float) -> list[NewEvent]:
        """A log's gap longer than stale_s: the unit was silent; raised and (it reports again) cleared."""
        tr = self.tracks.get(uid, {})
        if ("stale", "") in tr:
            return []  # the sweep saw it already
        at = prev + self.th["stale_s"]
        row = self.last_row.get(uid)
        lat, lon = (row[2], row[3]) if row is not None else (0.0, 0.0)
        c = Cond(0.0, f"silent {(ts - prev) / 60.0:.0f} min")
        t = Track(prev, at, True)
        return [self._raised("stale", uid, "", at, lat, lon, c, prev), self._cleared("stale", uid, "", ts, t)]

    def _sweep(self, now: float) -> list[NewEvent]:
        if not self.on.get("stale", True):
            return []
        out: list[NewEvent] = []
        limit = self.th["stale_s"]
        units = self.core.state.units
        gone: list[str] = []
        for uid, last in self.last_ts.items():
            if now - last <= limit:
                continue
            tr = self.tracks.setdefault(uid, {})
            if uid.startswith("mmsi:") or uid not in units:  # a contact gone quiet: its alerts close
                gone.append(uid)
                for key, t in list(tr.items()):
                    del tr[key]
                    if t.open:
                        out.append(NewEvent("alert.cleared", {"key": alert_key(key[0], uid, key[1]), "ts": now,
                                                              "reason": "no longer heard"}, f"unit:{uid}"))
                continue
            if ("stale", "") not in tr:
                tr[("stale", "")] = Track(last, now, True)
                row = self.last_row.get(uid)
                lat, lon = (row[2], row[3]) if row is not None else (0.0, 0.0)
                out.append(self._raised("stale", uid, "", now, lat, lon,
                                        Cond(0.0, f"silent {(now - last) / 60.0:.0f} min"), last))
        for uid in gone:
            self.last_ts.pop(uid, None)
            self.last_row.pop(uid, None)
        for uid in [u for u, tr in self.tracks.items() if not tr]:
            del self.tracks[uid]
        return out

    # ------------------------------------------------------------------- time
    def local_minute(self, ts: float, tz: str | None) -> int:
        """Minute of the day (0..1439) at `ts` in `tz` (default: the bureau's time zone)."""
        name = tz or self.tz
        hour = int(ts // 3600)
        last = self._last_offset
        if last[0] == hour and last[1] == name:
            return int(((ts + last[2]) % 86400.0) // 60.0)
        off = self._offsets.get((name, hour))
        if off is None:
            if len(self._offsets) > 10_000:
                self._offsets.clear()
            delta = ZoneInfo(name).utcoffset(datetime.fromtimestamp(ts, UTC))
            off = self._offsets[(name, hour)] = delta.total_seconds() if delta is not None else 0.0
        self._last_offset = (hour, name, off)
        return int(((ts + off) % 86400.0) // 60.0)
