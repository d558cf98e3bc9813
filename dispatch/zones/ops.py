"""Operations on zones, companies and permits: import (all or nothing), export, list, remove, time zone."""

from __future__ import annotations

from typing import Any

from dispatch.errors import NotFound, Refused
from dispatch.ops import op
from dispatch.state import State
from dispatch.store import NewEvent
from dispatch.zones.book import zone_book
from dispatch.zones.model import as_feature, check_feature, check_tz, read_collection
from dispatch.zones.permits import check_companies, check_trucks

ZONE_KEYS = ("id", "kind", "name", "width_m", "hours", "tz", "units", "speed_limit_kmh", "version", "updated", "by")


def _row(z: dict[str, Any]) -> dict[str, Any]:
    return {k: z[k] for k in ZONE_KEYS if k in z}


@op("zones")
def list_zones(core: Any, actor: str, kind: str | None = None) -> list[dict[str, Any]]:
    core.refresh()
    with core.lock:
        zones = zone_book(core.state).zones.values()
        return [_row(z) for z in sorted(zones, key=lambda z: (z["kind"], z["name"])) if not kind or z["kind"] == kind]


@op("zones.import")
def import_zones(core: Any, actor: str, geojson: Any, source: str = "the file") -> dict[str, Any]:
    """Record every feature of a GeoJSON FeatureCollection as a zone (a new one or its next version).

    A feature without an id updates the zone of the same kind and name, if any, else gets "zone-N".
    All or nothing: one bad feature refuses the whole file, naming the feature and what is wrong.
    """
    zones = read_collection(geojson, source)
    result: dict[str, list[str]] = {"added": [], "updated": [], "unchanged": []}

    def decide(state: State) -> list[NewEvent]:
        b = zone_book(state)
        n = b.next_n
        out = []
        for k in result:
            result[k].clear()
        for z in zones:
            z = dict(z)
            if not z["id"]:
                same = b.by_name(z["kind"], z["name"])
                if same is not None:
                    z["id"] = same["id"]
                else:
                    z["id"] = f"zone-{n}"
                    n += 1
            old = b.zones.get(z["id"])
            if old is not None and {k: v for k, v in old.items() if k not in ("version", "updated", "by")} == z:
                result["unchanged"].append(z["id"])
                continue
            result["updated" if old is not None else "added"].append(z["id"])
            out.append(NewEvent("zone.saved", z, f"zone:{z['id']}"))
        return out

    core.command(actor, decide)
    return result


@op("zones.export")
def export_zones(core: Any, actor: str) -> dict[str, Any]:
    core.refresh()
    with core.lock:
        zones = sorted(zone_book(core.state).zones.values(), key=lambda z: z["id"])
        return {"type": "FeatureCollection", "features": [as_feature(z) for z in zones]}


@op("zone.save")
def save_zone(core: Any, actor: str, feature: Any, version: int | None = None) -> dict[str, Any]:
    """One zone drawn or edited on the map (a GeoJSON Feature): its next version, or a new zone without an id.

    The page only reports the geometry; the checks are the import's (`check_feature`), so a self-intersecting
    polygon, a route without a width or an unknown kind is refused with the reason. `version`: the version
    the editor started from; if someone saved the zone since, the save is refused rather than overwriting it.
    """
    z = check_feature(feature, 1, "the zone")
    saved: list[dict[str, Any]] = []

    def decide(state: State) -> list[NewEvent]:
        b = zone_book(state)
        zone = dict(z)
        if not zone["id"]:
            zone["id"] = f"zone-{b.next_n}"
        old = b.zones.get(zone["id"])
        if version is not None and (old or {}).get("version", 0) != int(version):
            who = (old or {}).get("by", "?").split(":", 1)[-1]
            raise Refused(f"zone {zone['id']} was changed by {who} meanwhile (now version "
                          f"{(old or {}).get('version', 0)}); reopen it and edit again", "zone_changed")
        saved[:] = [zone]
        if old is not None and {k: v for k, v in old.items() if k not in ("version", "updated", "by")} == zone:
            return []
        return [NewEvent("zone.saved", zone, f"zone:{zone['id']}")]

    core.command(actor, decide)
    with core.lock:
        return _row(zone_book(core.state).zones[saved[0]["id"]])


@op("zone.remove")
def remove_zone(core: Any, actor: str, zone_id: str) -> dict[str, Any]:
    def decide(state: State) -> list[NewEvent]:
        if zone_id not in zone_book(state).zones:
            raise NotFound(f"unknown zone {zone_id!r}")
        return [NewEvent("zone.removed", {"id": zone_id}, f"zone:{zone_id}")]

    core.command(actor, decide)
    return {"removed": zone_id}


@op("zones.set_tz")
def set_tz(core: Any, actor: str, tz: str) -> dict[str, Any]:
    """The bureau's time zone, in which zones' and permits' hours are read (default Asia/Shanghai)."""
    name = check_tz(tz, "time zone")
    core.command(actor, lambda _s: [NewEvent("zones.tz_set", {"tz": name}, "zones")])
    return {"tz": name}


@op("companies.import")
def import_companies(core: Any, actor: str, companies: list[dict[str, Any]]) -> dict[str, Any]:
    """Record transport companies and their permits (all or nothing); a known id gets the new details."""
    with core.lock:
        tz = zone_book(core.state).tz
    clean = check_companies(companies, tz)
    core.command(actor, lambda _s: [NewEvent("company.saved", c, f"company:{c['id']}") for c in clean])
    return {"saved": [c["id"] for c in clean]}


@op("trucks.import")
def import_trucks(core: Any, actor: str, trucks: list[dict[str, Any]]) -> dict[str, Any]:
    """Record trucks' permits (company, permitted routes, sites and hours, validity); all or nothing.

    A truck that is not a unit yet is registered as one (kind truck, named by its plate).
    """
    registered: list[str] = []

    def decide(state: State) -> list[NewEvent]:
        b = zone_book(state)
        clean = check_trucks(trucks, b, b.companies, b.tz)
        out = []
        registered.clear()
        for t in clean:
            u = state.units.get(t["unit_id"])
            if u is None:
                registered.append(t["unit_id"])
                out.append(NewEvent("unit.registered", {"id": t["unit_id"], "name": t["plate"], "kind": "truck"},
                                    f"unit:{t['unit_id']}"))
            elif u.kind.value != "truck":
                raise Refused(f"truck {t['plate']}: unit {u.id} is a {u.kind.value}, not a truck", "bad_permit")
            out.append(NewEvent("truck.permit_saved", t, f"unit:{t['unit_id']}"))
        return out

    core.command(actor, decide)
    return {"saved": [str(t.get("unit_id") or t.get("plate")) for t in trucks], "registered": registered}


@op("companies")
def list_companies(core: Any, actor: str) -> list[dict[str, Any]]:
    """Transport companies with their permit number and validity."""
    core.refresh()
    with core.lock:
        cs = zone_book(core.state).companies.values()
        return [{k: c.get(k) for k in ("id", "name", "permit_no", "valid_from", "valid_to")}
                for c in sorted(cs, key=lambda c: c["id"])]


@op("company.save")
def save_company(core: Any, actor: str, company: dict[str, Any]) -> dict[str, Any]:
    """One transport company and its permit (number, validity), edited in the console: its next version."""
    with core.lock:
        tz = zone_book(core.state).tz
    [clean] = check_companies([company], tz)
    core.command(actor, lambda _s: [NewEvent("company.saved", clean, f"company:{clean['id']}")])
    return {k: v for k, v in clean.items() if not k.endswith("_ts")}


@op("truck.permit_save")
def save_permit(core: Any, actor: str, truck: dict[str, Any]) -> dict[str, Any]:
    """One truck's permit edited in the console (company, routes, sites, hours, validity): the whole permit.

    The truck must be a registered unit of kind truck; fields left out keep nothing (the form sends them all).
    """
    uid = str(truck.get("unit_id") or "").strip()
    out: list[dict[str, Any]] = []

    def decide(state: State) -> list[NewEvent]:
        u = state.units.get(uid)
        if u is None:
            raise NotFound(f"unknown unit {uid!r}")
        if u.kind.value != "truck":
            raise Refused(f"unit {uid} is a {u.kind.value}, not a truck", "bad_permit")
        b = zone_book(state)
        row = dict(truck)
        row.setdefault("plate", (b.permits.get(uid) or {}).get("plate") or u.name)
        [t] = check_trucks([row], b, b.companies, b.tz)
        out[:] = [t]
        return [NewEvent("truck.permit_saved", t, f"unit:{uid}")]

    core.command(actor, decide)
    return {k: v for k, v in out[0].items() if k != "windows" and not k.endswith("_ts")}


@op("permits")
def list_permits(core: Any, actor: str) -> list[dict[str, Any]]:
    """Every truck's permit beside its company's (the truck card's papers)."""
    core.refresh()
    with core.lock:
        b = zone_book(core.state)
        out = []
        for uid, p in sorted(b.permits.items()):
            c = b.companies.get(p.get("company") or "")
            out.append({"unit_id": uid, "plate": p["plate"], "company": p.get("company"),
                        "company_name": c and c["name"], "company_permit": c and c.get("permit_no"),
                        "company_valid_to": c and c.get("valid_to"), "routes": p["routes"], "sites": p["sites"],
                        "hours": p.get("hours"), "valid_from": p.get("valid_from"), "valid_to": p.get("valid_to")})
        return out
