"""A unit's card (the truck card of the console): its papers beside its open alerts, in one read.

Papers come from the zone book (company, permit, permitted routes, sites and hours, validity), alerts from
the alert book; whether the papers are good now is `permit_problem` at the core's clock, the same words the
`permit_expired` rule uses.
"""

from __future__ import annotations

from typing import Any

from dispatch.blobs import attachments_dir, blob_path
from dispatch.errors import NotFound
from dispatch.jt808.state import DRIVER_FIELDS, jt808_state
from dispatch.ops import op
from dispatch.rules.alerts import FIELDS, alert_book
from dispatch.zones.book import zone_book
from dispatch.zones.permits import permit_issue, permit_problem

OPEN = ("open", "acknowledged")
PHOTO_FIELDS = ("seq", "time", "ts", "channel", "event", "media_id", "request", "name", "sha256", "size", "mime", "lat",
                "lon")


@op("truck.card")
def truck_card(core: Any, actor: str, unit_id: str) -> dict[str, Any]:
    """Plate, company and its permit, the truck's permit (routes, sites, hours, validity), open alerts, the
    driver on duty when its terminal read a driver's card (name, certificate, since when), its JT/T 808 terminal
    and the newest photo its cameras uploaded (with the file's ``path`` here) and waybill its terminal sent."""
    core.refresh()
    now = core.clock()
    with core.lock:
        u = core.state.units.get(unit_id)
        if u is None:
            raise NotFound(f"unknown unit {unit_id!r}")
        b = zone_book(core.state)
        p = b.permits.get(unit_id)
        c = b.companies.get((p or {}).get("company") or "")

        def zones(ids: list[str]) -> list[dict[str, Any]]:
            return [{"id": z, "name": (b.zones.get(z) or {}).get("name", z), "kind": (b.zones.get(z) or {}).get("kind"),
                     "known": z in b.zones} for z in ids]

        permit = None if p is None else {
            "plate": p["plate"], "company": p.get("company"), "routes": zones(p["routes"]), "sites": zones(p["sites"]),
            "hours": p.get("hours"), "valid_from": p.get("valid_from"), "valid_to": p.get("valid_to")}
        company = None if c is None else {k: c.get(k) for k in ("id", "name", "permit_no", "valid_from", "valid_to")}
        alerts = sorted(({k: a.get(k) for k in FIELDS} for a in alert_book(core.state).alerts.values()
                         if a["unit_id"] == unit_id and a["state"] in OPEN), key=lambda a: -(a["ts"] or 0.0))
        pos = u.position
        j = jt808_state(core.state)
        d = j.drivers.get(unit_id)
        driver = None if d is None else {k: d.get(k) for k in DRIVER_FIELDS}
        latest = j.latest_media.get(unit_id)
        photo = None if latest is None else {
            **{k: latest.get(k) for k in PHOTO_FIELDS},
            "path": str(blob_path(attachments_dir(core), latest["sha256"]))}
        terminal = u.attributes.get("terminal")
        w = j.waybills.get(unit_id)
        waybill = None if w is None else {k: w.get(k) for k in ("seq", "at", "text", "hex", "size", "truncated")}
        return {
            "unit_id": u.id, "name": u.name, "kind": u.kind.value, "status": str(u.status),
            "plate": p["plate"] if p else u.name, "company": company, "permit": permit,
            "permit_problem": permit_problem(p, c, now) if p is not None else None,
            "permit_issue": permit_issue(p, c, now) if p is not None else None,  # (whose, what, date)
            "alerts": alerts,
            "driver": driver,
            "terminal": terminal if isinstance(terminal, str) else None,
            "photo": photo,
            "waybill": waybill,
            "position": None if pos is None else {"lat": pos.lat, "lon": pos.lon, "ts": pos.ts, "speed": pos.speed},
        }
