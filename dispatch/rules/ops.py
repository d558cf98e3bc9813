"""Operations on alerts and the rules: list, acknowledge, make an incident with evidence, thresholds, sweep.

The engine is installed on every core (`@installs`): it watches every batch of fixes the core ingests,
from the feeds, the demo city, the hub and `main.py ingest` alike.
"""

from __future__ import annotations

import json
from typing import Any

from dispatch import fixes as stored_fixes
from dispatch.blobs import attachments_dir, store_blob
from dispatch.errors import NotFound, Refused
from dispatch.incidents.book import book, find_duplicates, incident_event, near_field
from dispatch.jt808.ops import driver_at, photos_between
from dispatch.ops import installs, op
from dispatch.rules.alerts import FIELDS, alert_book
from dispatch.rules.config import DEFAULTS, SEVERITY, check_config, rules_ext
from dispatch.rules.engine import RulesEngine
from dispatch.rules.terminal import acknowledge_events
from dispatch.state import State
from dispatch.store import NewEvent

SEVERITY_RANK = {"high": 3, "medium": 2, "low": 1}
CATEGORY = {"suspected_dumping": "illegal_dumping", "corridor_deviation": "construction_waste_spill"}
PRIORITY = {"high": "P1", "medium": "P2", "low": "P3"}


@installs
def install(core: Any) -> None:
    eng = RulesEngine(core)
    core.ext["rules"] = eng
    core.fix_handlers.append(eng.on_fixes)


def engine(core: Any) -> RulesEngine:
    return core.ext["rules"]  # type: ignore[no-any-return]


def _row(a: dict[str, Any]) -> dict[str, Any]:
    return {k: a.get(k) for k in FIELDS}


def _parse_id(alert_id: Any) -> int:
    try:
        return int(str(alert_id).strip().lstrip("#"))
    except ValueError:
        raise Refused(f"alert id {alert_id!r} is not a number", "bad_arguments") from None


@op("alerts")
def list_alerts(core: Any, actor: str, state: str | None = None, rule: str | None = None,
                unit_id: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """Alerts, most severe first and then newest first; `state` open|acknowledged|cleared|incident|active.
    Each with its unit's name (`unit_name`: a truck's plate) beside its id."""
    core.refresh()
    with core.lock:
        alerts = list(alert_book(core.state).alerts.values())
        units = core.state.units
    out = [a for a in alerts if (state is None or a["state"] == state or (state == "active" and a["active"]))
           and (rule is None or a["rule"] == rule) and (unit_id is None or a["unit_id"] == unit_id)]
    out.sort(key=lambda a: (not a["active"], -SEVERITY_RANK.get(a["severity"], 0), -(a["ts"] or 0.0)))
    rows = [_row(a) for a in out[: max(1, int(limit))]]
    for r in rows:
        u = units.get(r["unit_id"])
        r["unit_name"] = u.name if u is not None else None
    return rows


@op("alert.show")
def show_alert(core: Any, actor: str, alert_id: Any) -> dict[str, Any]:
    aid = _parse_id(alert_id)
    core.refresh()
    with core.lock:
        a = alert_book(core.state).alerts.get(aid)
        if a is None:
            raise NotFound(f"unknown alert {aid}")
        return {**_row(a), "evidence": a.get("evidence")}


@op("alert.acknowledge")
def acknowledge(core: Any, actor: str, alert_id: Any, note: str | None = None) -> dict[str, Any]:
    aid = _parse_id(alert_id)

    def decide(state: State) -> list[NewEvent]:
        a = alert_book(state).alerts.get(aid)
        if a is None:
            raise NotFound(f"unknown alert {aid}")
        if a.get("ack_ts") is not None:
            raise Refused(f"alert {aid} was acknowledged already by {a['ack_by']}", "already_acknowledged")
        return [NewEvent("alert.acknowledged", {"id": aid, "note": (note or "").strip()[:2000] or None},
                         f"alert:{aid}"), *acknowledge_events(state, a)]

    core.command(actor, decide)
    return show_alert(core, actor, aid)


def evidence_track(core: Any, unit_id: str, t1: float, t2: float) -> list[list[float]]:
    """[[ts, lat, lon, speed], ...] of the unit's stored fixes between t1 and t2."""
    core.flush()
    with core.store.read() as conn:
        rows = stored_fixes.fixes_between(conn, t1, t2, [unit_id])
    return [[r[1], r[2], r[3], r[4]] for r in rows]


@op("alert.incident")
def make_incident(core: Any, actor: str, alert_id: Any, minutes: float = 10.0, note: str | None = None,
                  priority: str | None = None, summary: str | None = None) -> dict[str, Any]:
    """Turn an alert into an incident in one step: its place, unit and rule, with the track of the `minutes`
    before and after it kept as evidence (a GeoJSON attachment of the incident, content-addressed), who
    drove then when the truck's terminal had read a driver's card (JT/T 808 0x0702: `driver_at`), and the photos
    its cameras took in that time (JT/T 808 0x0801: attached to the incident too, each by its SHA-256).

    The incident's text: `summary` (the alert as the operator's console says it, in their language), else
    the rule, the unit and the recorded detail; then the note."""
    aid = _parse_id(alert_id)
    core.refresh()
    with core.lock:
        a = alert_book(core.state).alerts.get(aid)
        if a is None:
            raise NotFound(f"unknown alert {aid}")
        a = dict(a)
    if a.get("incident_id") is not None:
        raise Refused(f"alert {aid} is incident {a['incident_id']} already", "already_incident")
    span = max(1.0, min(float(minutes), 240.0)) * 60.0
    t1 = min(float(a.get("since") or a["ts"]), float(a["ts"])) - span
    t2 = float(a.get("cleared_ts") or a["ts"]) + span
    track = evidence_track(core, a["unit_id"], t1, t2)
    driver = driver_at(core, a["unit_id"], float(a["ts"]))  # the card in the truck's reader then, if any
    photos = photos_between(core, a["unit_id"], t1, t2)  # what its cameras saw then
    said_photos = [{k: p.get(k) for k in ("seq", "sha256", "time", "channel", "event", "lat", "lon")} for p in photos]
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"alert": aid, "rule": a["rule"], "unit_id": a["unit_id"], "ts": a["ts"],
                                           "detail": a.get("detail"), "driver": driver, "photos": said_photos},
         "geometry": {"type": "Point", "coordinates": [a["lon"], a["lat"]]}},
        {"type": "Feature", "properties": {"unit_id": a["unit_id"], "from": t1, "to": t2,
                                           "times": [p[0] for p in track], "speeds": [p[3] for p in track]},
         "geometry": {"type": "LineString", "coordinates": [[p[2], p[1]] for p in track]}},
    ]}
    data = json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8")
    sha, size = store_blob(attachments_dir(core), [data])
    name = f"alert-{aid}-{a['rule']}-track.geojson"
    prio = priority or PRIORITY.get(a["severity"], "P2")
    made: list[int] = []
    where = near_field(core.state, a.get("zone_name"), a["lat"], a["lon"])  # off every zone: the place it was at

    def decide(state: State) -> list[NewEvent]:
        cur = alert_book(state).alerts.get(aid)
        if cur is None or cur.get("incident_id") is not None:
            raise Refused(f"alert {aid} is incident {cur and cur['incident_id']} already", "already_incident")
        iid = book(state).next_id
        made[:] = [iid]
        category = CATEGORY.get(a["rule"], "other")
        said = str(summary).strip()[:1000] if summary and str(summary).strip() else None
        text = (said or f"{a['rule']}: {a['unit_id']}: {a.get('detail') or ''}") + (f" — {note.strip()}" if note else "")
        evidence = {"sha256": sha, "size": size, "name": name, "points": len(track), "from": t1, "to": t2}
        return [
            incident_event("incident.created", iid, category=category, priority=prio, lat=a["lat"], lon=a["lon"],
                           text=text[:4000], source="alert", address=a.get("zone_name"), **where, reporter=None, contact=None,
                           possible_duplicates=find_duplicates(state, category, a["lat"], a["lon"], core.clock()),
                           alert={"id": aid, "rule": a["rule"], "unit_id": a["unit_id"], "ts": a["ts"]}),
            incident_event("incident.attached", iid, sha256=sha, size=size, name=name,
                           media_type="application/geo+json", note=f"evidence of alert {aid}", time=core.clock()),
            *(incident_event("incident.attached", iid, sha256=p["sha256"], size=p["size"], name=p["name"],
                             media_type=p.get("mime") or "image/jpeg", time=core.clock(),
                             note=f"truck camera photo (event {p['seq']}, camera {p.get('channel')}, {p.get('event')}) "
                                  f"of alert {aid}") for p in photos),
            NewEvent("alert.escalated", {"id": aid, "incident_id": iid, "evidence": evidence}, f"alert:{aid}"),
        ]

    core.command(actor, decide)
    return {"alert": show_alert(core, actor, aid), "incident_id": made[0], "driver": driver, "photos": said_photos,
            "evidence": {"name": name, "sha256": sha, "points": len(track)}}


@op("rules.config")
def show_config(core: Any, actor: str) -> dict[str, Any]:
    core.refresh()
    with core.lock:
        ext = rules_ext(core.state)
        eng = engine(core)
        return {"thresholds": dict(ext["thresholds"]), "enabled": dict(ext["enabled"]), "defaults": dict(DEFAULTS),
                "severity": dict(SEVERITY), "fixes_checked": eng.fixes, "failures": dict(eng.failures)}


@op("rules.config_set")
def set_config(core: Any, actor: str, config: dict[str, Any]) -> dict[str, Any]:
    """Change thresholds ({"dumping_stop_min": 10}) or switch rules ({"enabled": {"stale": false}}): an event."""
    clean = check_config(config)
    core.command(actor, lambda _s: [NewEvent("rules.config_set", clean, "rules")])
    return show_config(core, actor)


@op("rules.sweep")
def sweep(core: Any, actor: str, now: float | None = None) -> dict[str, Any]:
    """Check every unit for silence at `now` (default: the clock); returns how many alerts were recorded."""
    return {"recorded": engine(core).sweep(core.clock() if now is None else float(now))}
