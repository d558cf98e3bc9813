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
from dispatch.rules.checks import PROTECTION, RESTRICTED, SPEEDING, Cond, Conds, Fix, Plan
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
                if rule not in SEVERITY:
                    continue  # not the engine's (a terminal's alarm, dispatch/rules/terminal.py): it never clears it
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
            p = Plan(None, None, False, frozenset(), (), frozenset(),
                     PROTECTION if on.get("protection_zone_entry", True) else 0)
            self.plans[uid] = p
            return p
        u = self.core.state.units.get(uid)
        if u is None:
            return None
        valid: tuple[float, float] | None = None
        hours_ok: bytes | None = None
        dumping, allowed, routes = False, frozenset[int](), ()
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
            SPEEDING if on.get("speeding", True) else 0)
        p = Plan(valid, hours_ok, dumping, allowed, routes, areas, zonal)
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
        stops = self.stops
        zflags = idx.flags
        limits = idx.limit
        th = self.th
        stale_on = self.on.get("stale", True) and not contacts
        stale_s = th["stale_s"]
        moving = th["moving_mps"]
        radius2 = th["dumping_radius_m"] ** 2
        stop_s = th["dumping_stop_min"] * 60.0
        over_kmh = th["speeding_tolerance_kmh"]
        self.corridor_far = corridor_far = {}
        if not contacts and self.on.get("corridor_deviation", True) and self.permits:
            self._corridors(rows, xs, ys, hits)
        out: list[NewEvent] = []
        empty: list[int] = []
        run = self._run
        lm_hour, lm_off = -1, 0.0  # the bureau's offset from UTC in the hour of the fix (minute of day, fast)
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
            # Cheap gates first, inline; a check function runs only where its rule may hold (and is guarded).
            valid, hours_ok, dumping, allowed, routes, areas, zonal = plan
            todo: list[Any] = []
            if valid is not None and not valid[0] <= ts < valid[1]:
                todo.append(checks.permit_expired)
            speed = row[4]
            if hours_ok is not None and speed is not None and speed >= moving:
                hour = int(ts // 3600.0)
                if hour != lm_hour:
                    lm_hour, lm_off = hour, self.utc_offset(ts, None)
                if not hours_ok[int(((ts + lm_off) % 86400.0) // 60.0) % 1440]:
                    todo.append(checks.outside_hours)
            if corridor_far and k in corridor_far:
                todo.append(checks.corridor_deviation)
            if dumping:
                stop = stops.get(uid)
                x, y = xs[k], ys[k]
                if stop is None or (x - stop[0]) ** 2 + (y - stop[1]) ** 2 > radius2:
                    stops[uid] = (x, y, ts, row[2], row[3])  # moving: a stop may begin here
                elif ts - stop[2] >= stop_s:
                    todo.append(checks.suspected_dumping)
            zs = hits.get(k)
            if zs:
                flags = 0
                for z in zs:
                    flags |= zflags[z]
                flags &= zonal
                if flags & RESTRICTED:
                    todo.append(checks.restricted_entry)
                if flags & SPEEDING and speed is not None:
                    kmh = speed * 3.6
                    for z in zs:
                        lim = limits[z]
                        if lim is not None and kmh > lim + over_kmh:
                            todo.append(checks.speeding)
                            break
                if flags & PROTECTION:
                    todo.append(checks.protection_zone_entry)
            if areas and (not zs or areas.isdisjoint(zs)):
                todo.append(checks.left_patrol_area)
            if not todo:
                if uid in tracks:
                    self._debounce(row, {}, out)
                continue
            f = Fix(k, uid, ts, row[2], row[3], speed, xs[k], ys[k])
            conds: Conds = {}
            for check in todo:
                run(check, f, zs or empty, conds, plan)
            if conds or uid in tracks:
                self._debounce(row, conds, out)
        self.fixes += n
        newest = max(r[1] for r in rows)
        if newest > self.data_now:
            self.data_now = newest
        return out

    def _run(self, check: Any, f: Fix, zs: list[int], conds: Conds, plan: Plan) -> None:
        try:
            check(self, f, zs, conds, plan)
        except Exception:  # one failing rule is logged and never stops the others
            name = check.__name__
            self.failures[name] += 1
            if self.failures[name] <= 3:
                log.exception("rule %s failed on a fix of %s", name, f.uid)

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
