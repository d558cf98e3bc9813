"""Analytics operations: the period's figures, the dashboard's data, hotspots and response plans, supervision.

Figures are computed from the incident records (dispatch/analytics/facts.py), never stored. What people
decide is an event like everything else (entity ``analytics``, ``plan:<id>``, ``supervision:<id>``):
  analytics.weights_set  {weights}                      the combined score's weights
  plan.created           {id, category, lat, lon, radius_m, band, note, task_id?, hotspot}
  supervision.noticed    {id, incident_id, unit_id, text, reason}   (with the field message in one command)
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from dispatch.analytics.facts import Facts
from dispatch.analytics.hotspots import hotspots
from dispatch.analytics.indicators import DEFAULT_WEIGHTS, GROUPS, dashboard, select, stats
from dispatch.changes import Changes
from dispatch.errors import NotFound, Refused
from dispatch.geo import haversine_m
from dispatch.hub.state import field_state
from dispatch.incidents.book import book, get
from dispatch.ops import op
from dispatch.record.replay import parse_time
from dispatch.state import State, applies
from dispatch.store import Event, NewEvent

EXT = "analytics"
DAY = 86400.0


@dataclass
class AnalyticsState:
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    plans: dict[int, dict[str, Any]] = field(default_factory=dict)
    notices: dict[int, dict[str, Any]] = field(default_factory=dict)


def astate(state: State) -> AnalyticsState:
    a = state.ext.get(EXT)
    if a is None:
        a = state.ext[EXT] = AnalyticsState()
    return a


# ------------------------------------------------------------------ facts, one cache per core
_caches: weakref.WeakKeyDictionary[Any, Facts] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def facts_of(core: Any, city: Any = None) -> Facts:
    """The incident facts of `core`, refreshed from its incident book (only changed incidents are re-read)."""
    with _cache_lock:
        f = _caches.get(core)
        if f is None:
            if city is None:
                try:
                    from dispatch.city.data import load_city

                    city = load_city()
                except Exception:  # noqa: BLE001 - no city data: places stay unnamed, figures still count
                    city = None
            f = _caches[core] = Facts(city)
    with core.lock:
        items = dict(book(core.state).items)
    f.refresh(items)
    return f


def window(start: Any, end: Any, now: float) -> tuple[float, float]:
    t2 = now if end is None else parse_time(end)
    t1 = t2 - 30 * DAY if start is None else parse_time(start)
    if t2 <= t1:
        raise Refused("the period ends before it starts: give --from earlier than --to", "bad_window")
    return t1, t2


def _team_of(core: Any) -> Any:
    units = core.state.units

    def team(u: str) -> str:
        unit = units.get(u)
        return unit.kind.value if unit is not None else ""

    return team


def named_units(core: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows grouped by unit, each with the unit's name beside its id (`unit_name`: what a shift lead knows it by;
    the id when the unit is unknown). Call under the core's lock."""
    units = core.state.units
    for r in rows:
        u = units.get(r.get("unit") or "")
        r["unit_name"] = u.name if u is not None and u.name else r.get("unit")
    return rows


# ------------------------------------------------------------------ figures
@op("analytics.stats")
def stats_op(core: Any, actor: str, start: Any = None, end: Any = None, by: str | None = None) -> dict[str, Any]:
    """The indicators of the period [start, end) in all and per `by` (unit, team, district, category...)."""
    if by is not None and by not in GROUPS:
        raise Refused(f"cannot group by {by!r}; by one of {', '.join(GROUPS)}", "bad_arguments")
    core.refresh()
    t1, t2 = window(start, end, core.clock())
    f = facts_of(core)
    with core.lock:
        weights = dict(astate(core.state).weights)
        team = _team_of(core)
        out = stats(f, t1, t2, by=by, weights=weights, team_of=team)
        if by == "unit":
            named_units(core, out["rows"])
        return out


@op("analytics.dashboard")
def dashboard_op(core: Any, actor: str, start: Any = None, end: Any = None) -> dict[str, Any]:
    core.refresh()
    t1, t2 = window(start, end, core.clock())
    with core.lock:
        weights = dict(astate(core.state).weights)
    out = dashboard(facts_of(core), t1, t2, weights=weights)
    out["alerts_by_company"] = alerts_by_company(core, t1, t2)
    out["cases"] = case_figures(core)
    return out


def case_figures(core: Any) -> dict[str, int]:
    """The enforcement cases now: open, overdue (a legal deadline passed unmet), closed, and the decisions
    overturned on review (dispatch/cases)."""
    from dispatch.cases.book import book as case_book
    from dispatch.cases.book import counts

    with core.lock:
        b = case_book(core.state)
        out = counts(b, core.clock())
        out["overturned"] = sum(1 for c in b.items.values() if c.overturned)
    return out


def alerts_by_company(core: Any, t1: float, t2: float) -> list[dict[str, Any]]:
    """The rules' alerts raised in [t1, t2) on trucks, per transport company (from the trucks' permits), most
    first; trucks without papers count under no company."""
    from dispatch.rules.alerts import alert_book
    from dispatch.zones.book import zone_book

    with core.lock:
        zb = zone_book(core.state)
        rows: dict[str, dict[str, Any]] = {}
        for a in alert_book(core.state).alerts.values():
            ts = a.get("ts") or a.get("recorded") or 0.0
            if not t1 <= ts < t2:
                continue
            permit = zb.permits.get(a.get("unit_id") or "")
            if permit is None and (core.state.units.get(a.get("unit_id") or "") is None
                                   or core.state.units[a["unit_id"]].kind.value != "truck"):
                continue  # not a truck: boats' and AIS vessels' alerts are not a company's
            cid = (permit or {}).get("company") or ""
            row = rows.setdefault(cid, {"company": cid or None, "name": (zb.companies.get(cid) or {}).get("name") or cid
                                        or None, "count": 0, "by_rule": {}})
            row["count"] += 1
            row["by_rule"][a["rule"]] = row["by_rule"].get(a["rule"], 0) + 1
    return sorted(rows.values(), key=lambda r: (-r["count"], r["company"] is None, str(r["company"])))


@op("analytics.alerts_by_company")
def alerts_by_company_op(core: Any, actor: str, start: Any = None, end: Any = None) -> list[dict[str, Any]]:
    core.refresh()
    t1, t2 = window(start, end, core.clock())
    return alerts_by_company(core, t1, t2)


@op("analytics.select")
def select_op(core: Any, actor: str, start: Any = None, end: Any = None, **where: Any) -> list[int]:
    """Ids of the period's incidents matching a dashboard click (category, source, district, hour, weekday...)."""
    t1, t2 = window(start, end, core.clock())
    try:
        return select(facts_of(core), t1, t2, **where)
    except KeyError as exc:
        raise Refused(f"cannot filter by {exc.args[0]!r}", "bad_arguments") from None


@op("analytics.weights")
def weights_op(core: Any, actor: str) -> dict[str, float]:
    with core.lock:
        return dict(astate(core.state).weights)


@op("analytics.weights_set")
def weights_set(core: Any, actor: str, weights: dict[str, Any]) -> dict[str, float]:
    if not isinstance(weights, dict) or not weights:
        raise Refused("give the weights as {name: number}", "bad_arguments")
    clean: dict[str, float] = {}
    for k, v in weights.items():
        if k not in DEFAULT_WEIGHTS:
            raise Refused(f"no weight {k!r}; the weights are {', '.join(DEFAULT_WEIGHTS)}", "bad_arguments")
        try:
            clean[k] = float(v)
        except (TypeError, ValueError):
            raise Refused(f"weight {k} must be a number, not {v!r}", "bad_arguments") from None
        if not 0.0 <= clean[k] <= 100.0:
            raise Refused(f"weight {k} must be between 0 and 100", "bad_arguments")
    merged = dict(DEFAULT_WEIGHTS, **clean)
    if sum(merged.values()) <= 0:
        raise Refused("at least one weight must be above 0", "bad_arguments")
    core.command(actor, lambda _s: [NewEvent("analytics.weights_set", {"weights": merged}, "analytics")])
    return merged


@op("analytics.units")
def units_op(core: Any, actor: str, start: Any = None, end: Any = None) -> list[dict[str, Any]]:
    """Per unit: time in each status, the share of the period busy, and the distance covered."""
    from dispatch.analytics.units import utilisation

    core.refresh()
    t1, t2 = window(start, end, core.clock())
    return utilisation(core, t1, t2)


# ------------------------------------------------------------------ hotspots and plans
@op("analytics.hotspots")
def hotspots_op(core: Any, actor: str, start: Any = None, end: Any = None, min_count: int = 3, min_days: int = 2,
                category: str | None = None) -> list[dict[str, Any]]:
    t1, t2 = window(start, end, core.clock())
    return hotspots(facts_of(core), t1, t2, min_count=int(min_count), min_days=int(min_days), category=category)


WATER_CATEGORIES = ("floating_garbage", "water_pollution")


@op("plan.create")
def create_plan(core: Any, actor: str, category: str, lat: float, lon: float, band: str, note: str,
                radius_m: float = 300.0, task_units: list[str] | None = None) -> dict[str, Any]:
    """A response plan (处置预案) for a recurring hotspot: a note shown with every new case of that category
    within `radius_m`, and for water categories a recurring cleaning task at the band's start with `task_units`."""
    note = str(note or "").strip()
    if not note:
        raise Refused("a response plan needs its note: what to do when the next case comes", "bad_arguments")
    try:
        la, lo, r = float(lat), float(lon), float(radius_m)
    except (TypeError, ValueError):
        raise Refused("lat, lon and radius_m must be numbers", "bad_arguments") from None
    if not (0 < r <= 5000):
        raise Refused("radius_m must be between 0 and 5000 m", "bad_arguments")
    start = str(band).split("-")[0].strip()
    task_id = None
    if category in WATER_CATEGORIES and task_units:
        from dispatch import ops

        half = 0.0009
        poly = [[la - half, lo - half], [la - half, lo + half], [la + half, lo + half], [la + half, lo - half]]
        t = ops.call(core, "task.create", {"name": f"预案 {category} {band}", "units": list(task_units),
                                           "polygon": poly, "every_day": start}, actor=actor)
        task_id = t.get("id")
    ids: list[int] = []

    def decide(st: State) -> list[NewEvent]:
        pid = max(astate(st).plans, default=0) + 1
        ids.append(pid)
        return [NewEvent("plan.created", {"id": pid, "category": category, "lat": la, "lon": lo, "radius_m": r,
                                          "band": band, "note": note, "task_id": task_id}, f"plan:{pid}")]

    core.command(actor, decide)
    with core.lock:
        return dict(astate(core.state).plans[ids[0]])


@op("plans")
def list_plans(core: Any, actor: str, incident_id: Any = None) -> list[dict[str, Any]]:
    """Every response plan, or those that apply to one incident (its category, within the plan's radius)."""
    core.refresh()
    with core.lock:
        plans = [dict(p) for p in astate(core.state).plans.values()]
        if incident_id is None:
            return plans
        inc = get(core.state, incident_id)
        return [p for p in plans if p["category"] == inc.category
                and haversine_m(inc.lat, inc.lon, p["lat"], p["lon"]) <= p["radius_m"]]


# ------------------------------------------------------------------ supervision (督察督办)
@op("supervision.flagged")
def flagged(core: Any, actor: str, start: Any = None, end: Any = None) -> list[dict[str, Any]]:
    """Cases for the shift lead: overdue (still open, or closed late) or reworked more than once."""
    t1, t2 = window(start, end, core.clock())
    f = facts_of(core)
    out = []
    with core.lock:
        noticed = {n["incident_id"] for n in astate(core.state).notices.values()}
        for iid in select(f, t1, t2):
            r = f.row(iid)
            if r is None or r.rejected:
                continue
            reasons = (["overdue"] if r.overdue else []) + (["reworked"] if r.reworked > 1 else [])
            if reasons:
                out.append({"incident_id": iid, "unit_id": r.unit or None, "category": r.category, "state": r.state,
                            "reasons": reasons, "reworked": r.reworked, "noticed": iid in noticed})
    return out


@op("supervision.notice")
def notice(core: Any, actor: str, incident_id: Any, text: str, unit_id: str | None = None) -> dict[str, Any]:
    """A supervision notice (督办通知) to the unit responsible for an incident; it reaches the crew as a message."""
    text = str(text or "").strip()
    if not text:
        raise Refused("a supervision notice needs its text", "bad_arguments")
    out: list[int] = []

    def decide(st: State) -> list[NewEvent]:
        inc = get(st, incident_id)
        unit = unit_id or (inc.units[-1] if inc.units else None)
        if not unit:
            raise Refused(f"incident {inc.id} has had no unit: name the unit to notify", "no_unit")
        if unit not in st.units:
            raise NotFound(f"unknown unit {unit!r}")
        nid = max(astate(st).notices, default=0) + 1
        out.append(nid)
        msg = f"督办通知 #{nid} (事件 {inc.id}): {text}"
        return [NewEvent("supervision.noticed", {"id": nid, "incident_id": inc.id, "unit_id": unit, "text": text},
                         f"supervision:{nid}"),
                NewEvent("field.message_sent", {"unit_id": unit, "text": msg}, f"unit:{unit}")]

    core.command(actor, decide)
    return notices(core, actor, out[0])[0]


@op("supervision.notices")
def notices(core: Any, actor: str, notice_id: Any = None) -> list[dict[str, Any]]:
    """Notices with their answer: the crew's first message after the notice."""
    core.refresh()
    with core.lock:
        fs = field_state(core.state)
        rows = []
        for n in astate(core.state).notices.values():
            if notice_id is not None and int(notice_id) != n["id"]:
                continue
            answer = next((m for m in fs.messages.get(n["unit_id"], []) if m.dir == "in" and m.ts >= n["ts"]), None)
            rows.append({**n, "answered": answer is not None, "answer": answer and answer.as_dict()})
    if notice_id is not None and not rows:
        raise NotFound(f"unknown supervision notice {notice_id}")
    return rows


# ------------------------------------------------------------------ appliers
@applies("analytics.weights_set")
def _weights(state: State, ev: Event, ch: Changes) -> None:
    astate(state).weights = dict(ev.payload.get("weights") or DEFAULT_WEIGHTS)
    ch.incidents = True


@applies("plan.created")
def _plan(state: State, ev: Event, ch: Changes) -> None:
    p = dict(ev.payload)
    p.update(created_at=ev.ts, created_by=ev.actor)
    astate(state).plans[int(p["id"])] = p
    ch.incidents = True


@applies("supervision.noticed")
def _noticed(state: State, ev: Event, ch: Changes) -> None:
    p = dict(ev.payload)
    p.update(ts=ev.ts, by=ev.actor)
    astate(state).notices[int(p["id"])] = p
    ch.incidents = True
