"""The demo city's past week: the reports the bureau handled in the seven days before the console first opened.

Without it a shift lead opening the demo finds a dashboard of one hour: every report filed and closed in the
same second, response times of zero minutes, no satisfaction, no hotspots, an evaluation of nothing. With it the
figures that look back (dispatch/analytics/, the dashboard, the evaluation of teams, hotspots, the shift report)
have a week to show: about sixty reports across the river and the districts, at the hours reports come in, each
taken through the ordinary operations as a dispatcher and a crew would (filed, dispatched to a free unit of the
right kind, accepted, en route, on scene, resolved with what the unit did, closed). The citizens' own reports come
as they do: from the citizen app and the WeChat service account over Open311 (two client keys, `lzcg-app` and
`wechat-oa`, made at the week's start), from the citizen page as the page files them, and are rated by their
reporters (a rating of 2 or less reopens the report for the shift lead, who sends a unit again); some rejected as invalid, a
few reopened because the caller rang again, most of the citizens' reports rated the same day, the deadlines
that passed alerted when they passed (`incidents.check_deadlines`, as the console's timer does) and acknowledged
by the shift lead a few minutes later, and two problems that come back at the same place and hour (a night market's
stalls, garbage gathering in a backwater in the mornings) for the hotspots.

Filed once, on a store with no event at all, before anything else: every event is stamped with the moment it
stands for (the core's clock set back while the week is filed, under the core's lock, so no other thread's event
falls in between), which keeps the log's times in the order of its sequence as replay and `audit verify` expect.
The week ends twenty minutes before the console opened. The actor is `system:demo`, as for the rest of the demo.
Every name in it is invented.
"""

from __future__ import annotations

import heapq
import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from dispatch.bureautime import bureau_tz
from dispatch.city.data import City, load_city
from dispatch.demo.fleet import citizen_fields, file_on_page, segment_name
from dispatch.demo.weekdata import (
    CASE_REPORTS,
    CATEGORIES,
    CITIZEN_SOURCES,
    CLIENTS,
    DISPATCH_MIN,
    HOUR_WEIGHTS,
    PRIORITIES,
    RECURRING,
    SATISFACTION,
    SOURCES,
    TRAVEL_MIN,
    WATER_KINDS,
)
from dispatch.demo.weektracks import WeekTracks

log = logging.getLogger(__name__)

DAYS = 7
ACTOR = "system:demo"
END_BEFORE_S = 20 * 60  # the week ends this long before the console opened
LAST_REPORT_BEFORE_S = 12 * 3600  # no report of the week is still being handled when it ends


def _pick(rng: random.Random, items: Any, weight_at: int = 1) -> Any:
    return rng.choices(items, weights=[it[weight_at] for it in items])[0]


def _midnight(t: float) -> datetime:
    """The start of `t`'s day in the bureau's time."""
    return datetime.fromtimestamp(t, bureau_tz()).replace(hour=0, minute=0, second=0, microsecond=0)


def _caller(rng: random.Random) -> str:
    """How a citizen gives their name on the phone or in a form: 王先生, 李女士."""
    return f"{rng.choice('王李张刘陈杨黄赵吴周')}{rng.choice(('先生', '女士'))}"


@dataclass(order=True)
class _Step:
    t: float
    order: int
    report: int = field(compare=False)
    action: str = field(compare=False)


@dataclass
class _Report:
    category: str
    kind: str
    priority: str
    source: str
    lat: float
    lon: float
    text: str
    found: str
    address: str | None
    reporter: str | None
    zone: str | None
    rejected: bool
    reopened: bool
    rated: int | None
    id: int | None = None
    round: int = 0
    token: str | None = None  # filed by a citizen over Open311 (the app, WeChat) or the page: the rating token
    client: str | None = None  # the actor that filed it: citizen:<client>
    rating_done: bool = False
    unit: str | None = None  # the unit sent to it last


class _PastClock:
    """The core's clock while the week is filed: the moment the step being run stands for."""

    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@contextmanager
def _clock_set_back(core: Any, clock: _PastClock) -> Iterator[None]:
    with core.lock:  # no other thread records between (an RLock: the operations take it again)
        saved = core.clock
        core.clock = clock
        try:
            yield
        finally:
            core.clock = saved


@dataclass(frozen=True)
class PastWeek:
    """What `file_demo_week` filed: `reports` in all, the highest incident id (`last_id`: the demo's open reports
    are filed after it), by violation code the reports the demo's cases are opened from (`for_cases`), and the
    cases (dispatch/demo/cases.py), each step at its moment."""

    reports: int = 0
    last_id: int = 0
    for_cases: dict[str, int] = field(default_factory=dict)
    cases: list[int] = field(default_factory=list)  # the demo's cases, opened and worked in the week




def file_demo_week(core: Any, units: list[dict[str, Any]], city: City | None = None, *,
                   now: float | None = None, days: int = DAYS, seed: int = 2026) -> PastWeek:
    """Register `units` and file the demo's past week (see the module's docstring) on a store with no event yet;
    nothing when the store already has events (an empty `PastWeek`)."""
    from dispatch import ops

    with core.lock:
        if core.state.last_seq:
            return PastWeek()
        now = core.clock() if now is None else now
        end = now - END_BEFORE_S
        start = end - days * 86400
        city = city or load_city()
        clock = _PastClock(start)
        with _clock_set_back(core, clock):
            core.register_units(ACTOR, units)
            week = _Week(core, city, units, clock, random.Random(seed), ops.call)
            return week.run(start, end)


class _Week:
    def __init__(self, core: Any, city: City, units: list[dict[str, Any]], clock: _PastClock, rng: random.Random,
                 call: Any) -> None:
        self.core, self.city, self.clock, self.rng = core, city, clock, rng
        self._call = call
        self.by_kind: dict[str, list[dict[str, Any]]] = {}
        for u in units:
            self.by_kind.setdefault(u["kind"], []).append(u)
        self.jobs: dict[str, int] = {u["id"]: 0 for u in units}
        self.reports: list[_Report] = []
        self.steps: list[_Step] = []
        self.for_cases: dict[str, _Report] = {}
        self.case_of: dict[int, str] = {}  # report -> the violation code of the demo case opened from it
        self.case_scripts: dict[int, Iterator[tuple[int, float]]] = {}
        self.cases: list[int] = []
        self.keys: dict[str, tuple[str, str]] = {}  # source -> (Open311 client name, api key): _citizen_clients
        self._order = 0
        self.end = 0.0
        from dispatch.incidents.book import book

        self.config = book(core.state).config

    def call(self, name: str, args: dict[str, Any]) -> Any:
        return self._call(self.core, name, args, actor=ACTOR)

    # ------------------------------------------------------------------ the plan
    def run(self, start: float, end: float) -> int:
        self.end = end
        self.tracks = WeekTracks(self.city, [u for us in self.by_kind.values() for u in us], start)
        self._citizen_clients()
        self._case_reports(end)
        self._recurring(start, end - LAST_REPORT_BEFORE_S)
        early = []  # citizens' reports in time for a call back days later: a few of them are reopened
        for t in self._report_times(start, end - LAST_REPORT_BEFORE_S):
            r = self._report()
            if r is not None:
                self.reports.append(r)
                self._push(t, len(self.reports) - 1, "create")
                if r.source in CITIZEN_SOURCES and not r.rejected and t < end - 3 * 86400:
                    early.append(r)
        for r in self.rng.sample(early, min(len(early), max(1, len(early) // 20))):
            r.reopened = True
        while self.steps:
            step = heapq.heappop(self.steps)
            if step.t > end:
                break  # the week is over: what is left (a late rating, a deadline look) never happened
            self.clock.t = step.t
            getattr(self, "_" + step.action)(self.reports[step.report], step.report)
        self.core.store.add_rows(self.tracks.all_rows(end))  # the store only: see weektracks.py
        filed = sum(1 for r in self.reports if r.id is not None)
        log.info("demo city: %d reports of the past %d days filed", filed, round((end - start) / 86400))
        from dispatch.incidents.book import book

        return PastWeek(filed, book(self.core.state).last_id,
                        {code: r.id for code, r in self.for_cases.items() if r.id is not None}, list(self.cases))

    def _case_reports(self, end: float) -> None:
        """The reports the demo's cases are opened from, handled on given days of the week (as their cases say:
        resolved with what the unit found, not rated: their cases go on)."""
        from dispatch.demo.cases import HANDLING, cases_wanted, file_roster, handled_reports

        if not cases_wanted(self.core):
            return
        file_roster(self.core, self.call)  # the officers are on the roster from the start
        midnight = _midnight(end)
        for code, d in handled_reports(self.city).items():
            if code not in CASE_REPORTS or not self.by_kind.get(HANDLING[code][0]):
                continue
            days_before, hour = CASE_REPORTS[code]
            t = (midnight - timedelta(days=days_before)).timestamp() + hour * 3600
            r = _Report(d.category, HANDLING[code][0], d.priority, d.source, d.lat, d.lon, d.text, HANDLING[code][1],
                        d.address, d.reporter, None, False, False, None)
            self.for_cases[code] = r
            self.reports.append(r)
            self.case_of[len(self.reports) - 1] = code
            self._push(t, len(self.reports) - 1, "create")

    def _push(self, t: float, report: int, action: str) -> None:
        self._order += 1
        heapq.heappush(self.steps, _Step(t, self._order, report, action))

    def _report_times(self, start: float, last: float) -> Iterator[float]:
        day = _midnight(start)
        while day.timestamp() < last:
            weekend = day.weekday() >= 5
            n = self.rng.randint(5, 8) if weekend else self.rng.randint(8, 12)
            hours = self.rng.choices(range(24), weights=HOUR_WEIGHTS, k=n)
            times = sorted(day.timestamp() + h * 3600 + self.rng.uniform(0, 3600) for h in hours)
            yield from (t for t in times if start <= t <= last)
            day = (day + timedelta(days=1, hours=2)).replace(hour=0)  # a day on, whatever the clock did

    def _report(self) -> _Report | None:
        rng = self.rng
        category, _, kind, texts, found = _pick(rng, CATEGORIES)
        if kind == "cleaning_vessel" and rng.random() < 0.3:
            kind = "patrol_boat"
        if not self.by_kind.get(kind):
            return None
        place = self._place(kind in WATER_KINDS, category)
        if place is None:
            return None
        lat, lon, address, zone = place
        source, _, reporter = _pick(rng, SOURCES)
        if source == "patrol":
            reporter = "巡逻艇巡查" if kind in WATER_KINDS else "执法队员巡查"
        elif source == "hotline":
            reporter = f"市民 {_caller(rng)}"
        rated = _pick(rng, SATISFACTION)[0] if source in CITIZEN_SOURCES and rng.random() < 0.7 else None
        rejected = source in CITIZEN_SOURCES and rng.random() < 0.08
        return _Report(category, kind, _pick(rng, PRIORITIES)[0], source, lat, lon, rng.choice(texts),
                       rng.choice(found).replace("{n}", str(rng.randint(3, 20))), address, reporter, zone, rejected,
                       False, rated)

    def _citizen_clients(self) -> None:
        """The bureau's Open311 clients, each with its key (the citizen app, the WeChat service account); the
        citizen page needs none. Without the citizen service the citizens' reports are typed in by the demo."""
        from dispatch import ops

        if "citizens.file" not in ops.OPERATIONS:
            return
        for name, source in CLIENTS:
            self.keys[source] = (name, self.call("citizens.apikey_new", {"name": name, "source": source})["api_key"])

    def _recurring(self, start: float, last: float) -> None:
        """The problems that come back (RECURRING), each on its days of the week at its hour, at one place (the
        caller names the same landmark: a few metres apart)."""
        city, rng = self.city, self.rng
        first_day = _midnight(start)
        for category, kind, (where, which), (h0, h1), n_days, texts, sources, found in RECURRING:
            if where == "zone":
                if len(city.patrol_zones) <= int(which):
                    continue
                zone = city.patrol_zones[int(which)]
                c = zone.geometry.centroid
                lat, lon, address, zone_id = c.y, c.x, None, zone.id
            else:
                lat, lon, _ = city.point_along_river(float(which))
                address, zone_id = segment_name(city, lat, lon), None
            if city.is_water(lat, lon) != (kind in WATER_KINDS) or not self.by_kind.get(kind):
                continue
            days = rng.sample(range(1, DAYS), n_days)
            for d in sorted(days):
                t = (first_day + timedelta(days=d)).timestamp() + rng.uniform(h0, h1) * 3600
                if not start <= t <= last:
                    continue
                source = rng.choice(sources)
                reporter = {"patrol": "保洁船巡查", "video": "视频巡查", "app": "市民 APP"}.get(source) \
                    or f"市民 {_caller(rng)}"
                rated = _pick(rng, SATISFACTION)[0] if source in CITIZEN_SOURCES and rng.random() < 0.7 else None
                r = _Report(category, kind, "P3", source, lat + rng.uniform(-4e-5, 4e-5), lon + rng.uniform(-4e-5, 4e-5),
                            rng.choice(texts), found, address, reporter, zone_id, False, False, rated)
                self.reports.append(r)
                self._push(t, len(self.reports) - 1, "create")

    def _place(self, water: bool, category: str) -> tuple[float, float, str | None, str | None] | None:
        """(lat, lon, address, patrol zone) where a report of the category is made."""
        city, rng = self.city, self.rng
        if water:  # in a district: the district charts count it where it is
            for _ in range(30):
                lat, lon, _ = city.point_along_river(rng.uniform(0.03, 0.97))
                if city.district_of(lat, lon) is not None:
                    return lat, lon, segment_name(city, lat, lon), None
            return None
        sites = city.construction_sites if category == "construction_waste_spill" else []
        zones = city.patrol_zones
        for _ in range(30):
            if sites:
                p = rng.choice(sites).geometry
                lat, lon, zone = p.y + rng.uniform(-0.002, 0.002), p.x + rng.uniform(-0.002, 0.002), None
            elif zones:
                z = rng.choice(zones)
                x0, y0, x1, y1 = z.geometry.bounds
                lat, lon, zone = rng.uniform(y0, y1), rng.uniform(x0, x1), z.id
            else:
                return None
            if not city.is_water(lat, lon) and city.district_of(lat, lon) is not None:
                return lat, lon, None, zone
        return None

    # ---------------------------------------------------------------- the steps
    def _minutes(self, lo: float, hi: float) -> float:
        return self.rng.uniform(lo, hi) * 60

    def _deadline_checks(self, index: int, stages: tuple[str, ...]) -> None:
        """A look at the deadlines just after each of `stages` of report `index` falls due, as the console's timer
        looks every few seconds: an overdue alert is recorded then if the stage is still running."""
        r = self.reports[index]
        for stage in stages:
            self._push(self.clock.t + self.config.limit(r.category, r.priority, stage) + 5, index, "check")

    def _create(self, r: _Report, index: int) -> None:
        if (r.source == "web" and self.keys) or r.source in self.keys:  # the citizen service is there
            if not self._citizen_files(r):
                return  # joined to an open report of the same problem as its duplicate: nothing more to do
        else:
            r.id = int(self.call("incident.create", {
                "category": r.category, "priority": r.priority, "lat": r.lat, "lon": r.lon, "text": r.text,
                "source": r.source, "address": r.address, "reporter": r.reporter})["id"])
        self._deadline_checks(index, ("dispatch", "resolve"))
        self._push(self.clock.t + self._minutes(*DISPATCH_MIN[r.priority]), index,
                   "reject" if r.rejected else "assign")

    def _citizen_files(self, r: _Report) -> bool:
        """File `r` as a citizen does: over Open311 with the client's key, or on the citizen page (its priority is
        then the service's). False when the service joined it to an open report as a duplicate."""
        from dispatch.incidents.book import book

        fields = citizen_fields(r.category, r.lat, r.lon, r.text, r.address, _caller(self.rng))
        if r.source == "web":
            r.client = "web"
            out = file_on_page(self.core, fields)
        else:
            name, key = self.keys[r.source]
            r.client = name
            out = self._call(self.core, "citizens.file", {**fields, "api_key": key}, actor=f"citizen:{name}")
        r.id, r.token = int(out["service_request_id"]), out["rating_token"]
        r.priority = book(self.core.state).items[r.id].priority
        return not out.get("joined")

    def _reject(self, r: _Report, index: int) -> None:
        self.call("incident.transition", {"incident_id": r.id, "state": "rejected", "reason": "invalid",
                                          "note": "现场核实无此情况"})

    def _assign(self, r: _Report, index: int) -> None:
        unit = self._free_unit(r)
        if unit is None:  # every unit of the kind is out: the dispatcher tries again a little later
            self._push(self.clock.t + self._minutes(3, 8), index, "assign")
            return
        self.jobs[unit] += 1
        r.unit = unit
        self.call("incident.assign", {"incident_id": r.id, "unit_id": unit})
        self._deadline_checks(index, ("arrive",))
        self._push(self.clock.t + self._minutes(0.5, 3), index, "accepted")

    def _free_unit(self, r: _Report) -> str | None:
        """An available unit of the report's kind with nothing assigned; an officer of the report's patrol zone
        first; else the one with the fewest jobs this week."""
        from dispatch.incidents.book import book

        holding = book(self.core.state).by_unit
        free = [u for u in self.by_kind[r.kind]
                if not holding.get(u["id"]) and self.core.state.units[u["id"]].status.value == "available"]
        if not free:
            return None
        return min(free, key=lambda u: (u.get("home") != r.zone, self.jobs[u["id"]], u["id"]))["id"]

    def _accepted(self, r: _Report, index: int) -> None:
        self.call("incident.transition", {"incident_id": r.id, "state": "accepted"})
        self._push(self.clock.t + self._minutes(0.2, 1.5), index, "en_route")

    def _en_route(self, r: _Report, index: int) -> None:
        self.call("incident.transition", {"incident_id": r.id, "state": "en_route"})
        there = self.clock.t + self._minutes(*TRAVEL_MIN[r.priority])
        self.tracks.set_off(r.unit or "", self.clock.t, there, (r.lat, r.lon))
        self._push(there, index, "on_scene")

    def _on_scene(self, r: _Report, index: int) -> None:
        self.call("incident.transition", {"incident_id": r.id, "state": "on_scene"})
        self._push(self.clock.t + self._minutes(10, 80), index, "resolved")

    def _resolved(self, r: _Report, index: int) -> None:
        self.call("incident.transition", {"incident_id": r.id, "state": "resolved", "note": r.found})
        self.tracks.stay_and_return(r.unit or "", self.clock.t)
        self._push(self.clock.t + self._minutes(5, 90), index, "closed")

    def _closed(self, r: _Report, index: int) -> None:
        self.call("incident.transition", {"incident_id": r.id, "state": "closed"})
        rated = r.rated is not None and not r.rating_done  # once, after the last closing before it
        if index in self.case_of:  # the officers open the case the unit's finding calls for, in office hours
            self._push(self._office(self.clock.t + self._minutes(40, 120)), index, "case")
        elif r.reopened and r.round == 0:
            self._push(self.clock.t + self._minutes(120, 600), index, "reopen")
        elif rated:  # the citizen's rating the same day (the app, the page, or the service desk's call back)
            self._push(self.clock.t + self._minutes(20, 240), index, "rate")

    def _reopen(self, r: _Report, index: int) -> None:
        r.round = 1
        self.call("incident.transition", {"incident_id": r.id, "state": "reopened",
                                          "note": "市民来电反映问题仍未解决"})
        self._again(index, DISPATCH_MIN[r.priority])

    def _again(self, index: int, minutes: tuple[float, float]) -> None:
        """Report `index` reopened: its deadlines run again and a unit is sent again in `minutes` (lo, hi)."""
        self._deadline_checks(index, ("dispatch", "resolve"))
        self._push(self.clock.t + self._minutes(*minutes), index, "assign")

    def _office(self, t: float) -> float:
        """`t`, or the next morning's office hours when `t` is after six in the evening or before eight."""
        local = datetime.fromtimestamp(t, bureau_tz())
        if 8 <= local.hour < 18:
            return t
        morning = local.replace(hour=9, minute=0, second=0, microsecond=0)
        if local.hour >= 18:
            morning += timedelta(days=1)
        return morning.timestamp() + self.rng.uniform(0, 2400)

    def _case(self, r: _Report, index: int) -> None:
        """The next step of the demo case opened from report `index` (dispatch/demo/cases.py: case_steps)."""
        from dispatch.demo.cases import case_steps

        if index not in self.case_scripts:
            self.case_scripts[index] = case_steps(self.core, self.call, self.case_of[index], r.id, self.cases)
        when = next(self.case_scripts[index], None)
        if when is not None:  # (days later, hour of the day); a moment already past: a few minutes on
            days, hour = when
            t = (_midnight(self.clock.t) + timedelta(days=days)).timestamp() + hour * 3600 + self.rng.uniform(0, 1200)
            self._push(max(t, self.clock.t + self._minutes(5, 20)), index, "case")

    def _rate(self, r: _Report, index: int) -> None:
        r.rating_done = True
        if r.token is not None and r.rated is not None and r.rated <= 2 and self.clock.t > self.end - 86400:
            r.rated = 3  # a low rating reopens the report: late in the week its rework would outlast the week
        if r.token is None:  # the service desk's call back
            self.call("incident.evaluate", {"incident_id": r.id, "satisfaction": r.rated})
            return
        out = self._call(self.core, "citizens.rate", {"request_id": r.id, "rating": r.rated, "token": r.token},
                         actor=f"citizen:{r.client}")
        if out.get("reopened"):  # a low rating reopens it for the shift lead, who sends a unit again
            r.round = 1
            self._again(index, (20, 90))

    def _check(self, r: _Report, index: int) -> None:
        if self.call("incidents.check_deadlines", {}):  # the shift lead saw the alert and acknowledged it
            self._push(self.clock.t + self._minutes(1, 12), index, "acknowledge")

    def _acknowledge(self, r: _Report, index: int) -> None:
        self.call("incidents.acknowledge_alerts", {})
