"""What a citizen sees of a request: its status, the notes history, and never anyone's name, phone or e-mail.

Everything public is built here, from the state, by one function per shape (a request, its notes, an
update); the HTTP server, the dispatcher's preview and the tests all go through it, so there is one place
where personal data could leak and it never copies the reporter, contact or free-text fields holding them.
"""

from __future__ import annotations

import re
from typing import Any

from dispatch.citizens.book import Request, cbook
from dispatch.citizens.services import CLOSED_FOR_CITIZEN, FMS_STATUS, SERVICES, agency, state_text, w3c
from dispatch.gazetteer.near import near_words
from dispatch.incidents.book import Incident, book
from dispatch.state import State

# A phone number or an e-mail typed into a description is masked in everything public.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)(\+?\d[\d\s-]{6,}\d)(?!\d)")
STATUS_KINDS = ("incident.created", "incident.transitioned", "incident.assigned", "incident.unassigned")


def mask(text: str | None) -> str | None:
    if not text:
        return text
    return _PHONE.sub("***", _EMAIL.sub("***@***", text))


def followed(state: State, inc: Incident) -> Incident:
    """The incident a request's status follows: itself, or the one it was merged into (chains followed)."""
    items = book(state).items
    seen = {inc.id}
    while inc.merged_into is not None and inc.merged_into in items and inc.merged_into not in seen:
        inc = items[inc.merged_into]
        seen.add(inc.id)
    return inc


def status_of(inc: Incident) -> str:
    return "closed" if inc.state in CLOSED_FOR_CITIZEN else "open"


def _status_notes(state: State, inc: Incident, lang: str, since: float | None = None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    last = None
    for h in inc.history:
        if h.get("kind") not in STATUS_KINDS or (since is not None and h["time"] < since):
            continue
        to = h.get("to") or "reported"
        if h.get("kind") == "incident.unassigned":
            to = "verified"
        if to == "rejected" and h.get("merged_into") is not None:
            text = state_text("duplicate", lang, h["merged_into"])
            to = "duplicate"
        else:
            text = state_text(to, lang) if to in ("reported", "verified", "dispatched", "accepted", "en_route",
                                                 "on_scene", "resolved", "closed", "evaluated", "reopened",
                                                 "rejected") else None
        if text is None or to == last:
            continue
        last = to
        closed = to in {s.value for s in CLOSED_FOR_CITIZEN}  # a duplicate stays open: it follows the other
        out.append({"datetime": h["time"], "type": "status", "status": "closed" if closed else "open",
                    "description": text, "state": to})
    return out


def notes(state: State, req: Request, lang: str) -> list[dict[str, Any]]:
    """The request's history as the citizen sees it: status changes in words, public notes, ratings; oldest first.

    A request joined to another incident shows its own start, then everything of the incident it joined. Each
    entry carries the status (and ``state``, the workflow state the citizen was told) of its own time: a note
    published while the crew was on its way says "open", even once the case is closed.
    """
    items = book(state).items
    own = items.get(req.id)
    if own is None:
        return []
    eff = followed(state, own)
    out = _status_notes(state, own, lang)
    cb = cbook(state)
    ids = [own.id] if eff is own else [own.id, eff.id]
    if eff is not own:
        joined_at = next((h["time"] for h in own.history if h.get("merged_into") is not None), own.created_at)
        out = [n for n in out if n["datetime"] <= joined_at]
        out += [n for n in _status_notes(state, eff, lang, since=joined_at)]
    for iid in ids:
        for n in cb.notes.get(iid, ()):
            out.append({"datetime": n["time"], "type": "note", "description": n["text"]})
    if req.rating is not None:
        key = "low_rating" if req.rating.get("reopened") else "rated"
        out.append({"datetime": req.rating["time"], "type": "rating", "description": state_text(key, lang)})
    out.sort(key=lambda n: n["datetime"])  # stable: at the same instant the status comes first
    status, told = "open", "reported"
    for n in out:
        if n["type"] == "status":
            status, told = n["status"], n["state"]
        else:
            n["status"], n["state"] = status, told
    return out


def expected(state: State, inc: Incident) -> float | None:
    """When the case should be resolved: the resolve stage's deadline while it runs."""
    if inc.state in CLOSED_FOR_CITIZEN:
        return None
    start = inc.clock.get("resolve")
    if start is None:
        return None
    return start + book(state).config.limit(inc.category, inc.priority, "resolve")


def public_request(state: State, req: Request, lang: str, base_url: str = "", with_notes: bool = True
                   ) -> dict[str, Any] | None:
    """One service request in the spec's fields (plus the extensions ``notes``, ``rating``, ``duplicate_of``)."""
    own = book(state).items.get(req.id)
    if own is None:
        return None
    eff = followed(state, own)
    svc = SERVICES.get(req.service_code) or SERVICES["other"]
    hist = notes(state, req, lang)
    last_note = next((n["description"] for n in reversed(hist) if n["type"] in ("note", "status")), None)
    media = req.media[0]["sha256"] if req.media else None
    given = req.media_url if (req.media_url or "").startswith(("http://", "https://")) else None
    d: dict[str, Any] = {
        "service_request_id": str(req.id),
        "status": status_of(eff),
        "status_notes": last_note,
        "service_name": svc.names[lang],
        "service_code": svc.code,
        "description": mask(own.text),
        "agency_responsible": agency(svc, lang),
        "service_notice": None,
        "requested_datetime": w3c(req.created_at),
        "updated_datetime": w3c(max(own.updated_at, eff.updated_at, hist[-1]["datetime"] if hist else 0)),
        "expected_datetime": w3c(expected(state, eff)),
        "address": mask(own.address) if own.address else near_words(own.near, lang),
        "address_id": None,
        "zipcode": None,
        "lat": own.lat,
        "long": own.lon,
        "media_url": f"{base_url}/open311/v2/media/{media}" if media else given,  # a photo here, or the client's
        "duplicate_of": str(eff.id) if eff is not own else None,
        "rating": req.rating["rating"] if req.rating else None,
    }
    if with_notes:
        d["notes"] = [{"datetime": w3c(n["datetime"]), "type": n["type"], "status": n["status"],
                       "description": n["description"]} for n in hist]
    return d


def updates(state: State, start: float, end: float, lang: str) -> list[dict[str, Any]]:
    """FixMyStreet's servicerequestupdates: every note of every request made in [start, end], oldest first.

    ``status`` is in FixMyStreet's extended vocabulary (``FMS_STATUS``: open, action_scheduled, in_progress, fixed,
    no_further_action), ``external_status_code`` the workflow state the citizen was told at the time.
    """
    items = book(state).items
    cb = cbook(state)
    out = []
    for req in cb.requests.values():
        own = items.get(req.id)
        if own is None:
            continue
        eff = followed(state, own)
        # a public note or a rating does not touch the incident: count them, or a note on a quiet case is lost
        touched = [own.updated_at, eff.updated_at, *(n["time"] for i in {own.id, eff.id} for n in cb.notes.get(i, ()))]
        if req.rating is not None:
            touched.append(req.rating["time"])
        if max(touched) < start:
            continue
        for i, n in enumerate(notes(state, req, lang)):
            if start <= n["datetime"] <= end:
                out.append({"update_id": f"{req.id}-{i + 1}", "service_request_id": str(req.id),
                            "status": FMS_STATUS.get(n["state"], n["status"]), "updated_datetime": n["datetime"],
                            "description": n["description"], "media_url": None,
                            "external_status_code": n["state"]})
    out.sort(key=lambda u: u["updated_datetime"])
    for u in out:
        u["updated_datetime"] = w3c(u["updated_datetime"])
    return out
