"""Transport companies and truck permits: rows from CSV/JSON checked into `company.saved` / `truck.permit_saved`.

A company: `id`, `name`, `permit_no`, `valid_from`, `valid_to` (dates "2026-12-31", inclusive, in the
bureau's time zone). A truck: `plate` (its unit's name), `unit_id` (default: the plate), `company`,
`routes` and `sites` (zone ids or names, ";"- or ","-separated in CSV), `hours` (when it may drive,
e.g. "06:00-22:00", across midnight allowed), `valid_from`, `valid_to` (the truck's own permit, if it
has one beside the company's). A truck not yet registered becomes a unit of kind truck.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.errors import Refused
from dispatch.zones.book import ZoneBook
from dispatch.zones.model import DEFAULT_TZ, SITE_KINDS, parse_hours

COMPANY_FIELDS = ("id", "name", "permit_no", "valid_from", "valid_to")
TRUCK_FIELDS = ("plate", "unit_id", "company", "routes", "sites", "hours", "valid_from", "valid_to")
_ID = re.compile(r"^[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9_.:\-\u4e00-\u9fff]{0,63}$")


def day_start(text: Any, where: str, tz: str = DEFAULT_TZ, *, next_day: bool = False) -> float:
    """Epoch of the start of the day `text` ("2026-12-31") in `tz` (of the day after, with next_day)."""
    try:
        d = date.fromisoformat(str(text).strip()[:10])
    except ValueError:
        raise Refused(f"{where}: {text!r} is not a date such as 2026-12-31", "bad_date") from None
    if next_day:
        d += timedelta(days=1)
    return datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(tz)).timestamp()


def _validity(raw: dict[str, Any], where: str, tz: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if raw.get("valid_from") not in (None, ""):
        out["valid_from"] = str(raw["valid_from"]).strip()[:10]
        out["valid_from_ts"] = day_start(raw["valid_from"], f"{where}: valid_from", tz)
    if raw.get("valid_to") not in (None, ""):
        out["valid_to"] = str(raw["valid_to"]).strip()[:10]
        out["valid_to_ts"] = day_start(raw["valid_to"], f"{where}: valid_to", tz, next_day=True)
    if "valid_from_ts" in out and "valid_to_ts" in out and out["valid_to_ts"] <= out["valid_from_ts"]:
        raise Refused(f"{where}: valid_to is before valid_from", "bad_date")
    return out


def _extra(raw: dict[str, Any], known: tuple[str, ...], where: str) -> None:
    extra = sorted(k for k in set(raw) - set(known) if raw.get(k) not in (None, ""))
    if extra:
        raise Refused(f"{where}: unknown field {', '.join(extra)}; known: {', '.join(known)}", "bad_permit")


def check_companies(rows: Any, tz: str = DEFAULT_TZ) -> list[dict[str, Any]]:
    if not isinstance(rows, list) or not rows:
        raise Refused("give a list of companies", "bad_arguments")
    out, seen = [], set()
    for n, raw in enumerate(rows, 1):
        where = f"company {n}"
        if not isinstance(raw, dict):
            raise Refused(f"{where}: not a table of fields", "bad_permit")
        _extra(raw, COMPANY_FIELDS, where)
        cid = str(raw.get("id") or "").strip()
        if not _ID.match(cid):
            raise Refused(f"{where}: id {cid!r} must be letters, digits and - _ . : (at most 64)", "bad_permit")
        where = f"company {n} ({cid})"
        if cid in seen:
            raise Refused(f"{where}: listed twice", "bad_permit")
        seen.add(cid)
        c = {"id": cid, "name": str(raw.get("name") or cid).strip()[:200],
             "permit_no": str(raw.get("permit_no") or "").strip()[:100] or None}
        c.update(_validity(raw, where, tz))
        out.append(c)
    return out


def _zone_refs(value: Any, book: ZoneBook, kinds: tuple[str, ...], where: str) -> list[str]:
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else re.split(r"[;,]", str(value))
    out = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        z = book.zones.get(item) or next((z for z in book.zones.values() if z["name"] == item and z["kind"] in kinds),
                                         None)
        if z is None or z["kind"] not in kinds:
            raise Refused(f"{where}: no {' or '.join(kinds)} zone {item!r} (import the zones first)", "unknown_zone")
        out.append(z["id"])
    return sorted(set(out))


def check_trucks(rows: Any, book: ZoneBook, companies: dict[str, Any], tz: str = DEFAULT_TZ) -> list[dict[str, Any]]:
    if not isinstance(rows, list) or not rows:
        raise Refused("give a list of trucks", "bad_arguments")
    out, seen = [], set()
    for n, raw in enumerate(rows, 1):
        where = f"truck {n}"
        if not isinstance(raw, dict):
            raise Refused(f"{where}: not a table of fields", "bad_permit")
        _extra(raw, TRUCK_FIELDS, where)
        plate = str(raw.get("plate") or "").strip()
        uid = str(raw.get("unit_id") or "").strip() or plate
        if not plate or not _ID.match(uid):
            raise Refused(f"{where}: needs a plate (and a unit_id of letters, digits, - _ . :)", "bad_permit")
        where = f"truck {n} ({plate})"
        if uid in seen:
            raise Refused(f"{where}: listed twice", "bad_permit")
        seen.add(uid)
        company = str(raw.get("company") or "").strip()
        if company and company not in companies:
            raise Refused(f"{where}: unknown company {company!r} (import the companies first)", "unknown_company")
        t: dict[str, Any] = {"unit_id": uid, "plate": plate[:40], "company": company or None,
                             "routes": _zone_refs(raw.get("routes"), book, ("route",), f"{where}: routes"),
                             "sites": _zone_refs(raw.get("sites"), book, SITE_KINDS, f"{where}: sites")}
        if raw.get("hours") not in (None, ""):
            t["hours"] = str(raw["hours"]) if not isinstance(raw["hours"], list) else ",".join(raw["hours"])
            t["windows"] = parse_hours(raw["hours"], f"{where}: hours")
        t.update(_validity(raw, where, tz))
        out.append(t)
    return out


def permit_issue(permit: dict[str, Any], company: dict[str, Any] | None, ts: float) -> tuple[str, str, str] | None:
    """What is wrong with a truck's papers at `ts`: (whose: "permit" | "company permit", "expired" |
    "not_yet_valid", the date), or None."""
    for what, p in (("permit", permit), ("company permit", company)):
        if p is None:
            continue
        if p.get("valid_to_ts") is not None and ts >= p["valid_to_ts"]:
            return what, "expired", p["valid_to"]
        if p.get("valid_from_ts") is not None and ts < p["valid_from_ts"]:
            return what, "not_yet_valid", p["valid_from"]
    return None


def permit_problem(permit: dict[str, Any], company: dict[str, Any] | None, ts: float) -> str | None:
    """Why a truck may not drive at `ts` on its papers ("company permit expired 2026-11-30"), or None."""
    issue = permit_issue(permit, company, ts)
    return None if issue is None else issue_text(issue)


def issue_text(issue: tuple[str, str, str]) -> str:
    """`permit_issue`'s finding in words ("company permit expired 2026-11-30")."""
    what, kind, day = issue
    return f"{what} expired {day}" if kind == "expired" else f"{what} valid only from {day}"
