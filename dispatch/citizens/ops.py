"""Citizens' requests in the core: filing (an incident with its source, joined to a duplicate), following,
the dispatcher's public notes and their preview, and the citizen's rating.

A service request is the incident it created, under the same number. When an open incident of the same
category is already reported close by (dispatch/incidents/book.py ``find_duplicates``), the new incident is
merged into the first one in the same command (``incident.merged`` + ``incident.transitioned`` to rejected
as a duplicate), and the request follows that one's status from then on: every reporter of the problem hears
the same news. Filing is one command: incident, photo, merge and the request record are stored together or
not at all.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from typing import Any

from dispatch.blobs import attachments_dir, store_blob
from dispatch.citizens.book import cbook
from dispatch.citizens.keys import key_owner
from dispatch.citizens.photos import MAX_PHOTOS, clean_photo
from dispatch.citizens.public import followed, public_request
from dispatch.citizens.services import SERVICES, lang_of, w3c
from dispatch.errors import NotFound, Refused
from dispatch.incidents.book import (
    book,
    check_latlon,
    find_duplicates,
    get,
    incident_event,
    near_field,
    parse_id,
)
from dispatch.incidents.workflow import State as IState
from dispatch.ops import op
from dispatch.state import State
from dispatch.store import NewEvent

LIMITS = {"description": 4000, "address_string": 500, "first_name": 100, "last_name": 100, "email": 254,
          "phone": 32, "device_id": 100, "account_id": 100, "media_url": 1000, "comment": 2000, "note": 2000}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{3,30}$")
LOW_RATING = 2  # a rating at or below this reopens the case for the shift lead's review


def text_field(fields: dict[str, Any], name: str) -> str | None:
    v = fields.get(name)
    if v is None:
        return None
    v = str(v).replace("\r\n", "\n").strip()  # a form's line breaks arrive as CRLF (HTML, FixMyStreet)
    if len(v) > LIMITS[name]:
        raise Refused(f"{name} is longer than {LIMITS[name]} characters", f"bad_{name}")
    if "\x00" in v:
        raise Refused(f"{name} contains a NUL character", f"bad_{name}")
    return v or None


def store_photos(core: Any, pictures: list[bytes], *, share: bool) -> list[dict[str, Any]]:
    """A citizen's photos (at most ``MAX_PHOTOS``) checked, cleaned of their location unless ``share``, and
    stored beside the store: their attachment records (sha256, size, name, media_type)."""
    if len(pictures) > MAX_PHOTOS:
        raise Refused(f"at most {MAX_PHOTOS} photos at once", "bad_media")
    blobs = []
    for picture in pictures:
        data, media_type, ext = clean_photo(picture, share_location=share)
        sha, size = store_blob(attachments_dir(core), [data])
        blobs.append({"sha256": sha, "size": size, "name": f"citizen-photo-{sha[:12]}.{ext}",
                      "media_type": media_type})
    return blobs


def check_contact(values: dict[str, Any]) -> None:
    """The cleaned ``email`` and ``phone`` of a request or a follow-up, each if given, are what they claim to be."""
    if values.get("email") and not EMAIL.match(values["email"]):
        raise Refused("email is not an e-mail address", "bad_email")
    if values.get("phone") and not PHONE.match(values["phone"]):
        raise Refused("phone is not a telephone number", "bad_phone")


def media_urls(fields: dict[str, Any]) -> list[str]:
    """Every media_url a client gave when it gave more than one (one a photo), each checked as one; else []."""
    given = fields.get("media_urls") or []
    return [u for u in (text_field({"media_url": v}, "media_url") for v in given) if u] if len(given) > 1 else []


def check_request(fields: dict[str, Any]) -> dict[str, Any]:
    """Validate a POST's fields (already strings). Returns the cleaned values; raises Refused naming the field."""
    code = str(fields.get("service_code") or "").strip()
    if not code:
        raise Refused("service_code is required", "missing_service_code")
    svc = SERVICES.get(code)
    if svc is None:
        raise Refused(f"unknown service_code {code!r}; see services.json", "bad_service_code")
    if fields.get("lat") in (None, "") or fields.get("long") in (None, ""):
        raise Refused("lat and long are required (this service dispatches crews to a place)", "missing_location")
    la, lo = check_latlon(fields["lat"], fields["long"])
    out: dict[str, Any] = {"service": svc, "lat": la, "lon": lo}
    for name in ("description", "address_string", "first_name", "last_name", "email", "phone", "device_id",
                 "account_id", "media_url"):
        out[name] = text_field(fields, name)
    out["media_urls"] = media_urls(fields)
    check_contact(out)
    attrs = {}
    known = {a.code: a for a in svc.attributes}
    for key, value in (fields.get("attributes") or {}).items():
        if str(value).strip() == "":
            continue  # not answered: clients such as FixMyStreet send every attribute, blank when not chosen
        a = known.get(key)
        if a is None:
            raise Refused(f"service {code} has no attribute {key!r}; see services/{code}.json", "bad_attribute")
        if str(value) not in {k for k, _ in a.values}:
            raise Refused(f"attribute {key} takes {', '.join(k for k, _ in a.values)}, not {value!r}", "bad_attribute")
        attrs[key] = str(value)
    for a in svc.attributes:
        if a.required and a.code not in attrs:
            raise Refused(f"attribute {a.code} is required", "bad_attribute")
    out["attributes"] = attrs
    return out


def file_request(core: Any, actor: str, fields: dict[str, Any], *, key_name: str, source: str,
                 photos: list[bytes] | None = None, api_key: str | None = None) -> dict[str, Any]:
    """File one request (fields as the spec names them; ``attributes`` a dict; at most ``MAX_PHOTOS`` photos). Returns
    {service_request_id, rating_token, joined}. With ``api_key``, the key is checked again inside the
    command, on the state caught up with the store: a key revoked by another process a moment ago is refused."""
    f = check_request(fields)
    svc = f["service"]
    share = f["attributes"].get("photo_location") == "share"
    blobs = store_photos(core, list(photos or []), share=share)
    token = secrets.token_urlsafe(18)
    text = f["description"]
    if f["attributes"]:
        labels = {a.code: (a.names["zh_CN"], dict(a.values)) for a in svc.attributes}
        extra = "; ".join(f"{labels[k][0]}: {labels[k][1][v]['zh_CN']}" for k, v in f["attributes"].items())
        text = f"{text or ''} [{extra}]".strip()
    reporter = " ".join(x for x in (f["first_name"], f["last_name"]) if x) or None
    contact = " / ".join(x for x in (f["phone"], f["email"]) if x) or None
    filed: list[Any] = []
    where = near_field(core.state, f["address_string"], f["lat"], f["lon"])  # the place named, with no address

    def decide(st: State) -> list[NewEvent]:
        if api_key is not None and key_owner(st, api_key) is None:
            raise Refused("api_key is missing, unknown or revoked", "forbidden")
        iid = book(st).next_id
        now = core.clock()
        dups = find_duplicates(st, svc.code, f["lat"], f["lon"], now)
        report = {"category": svc.code, "priority": svc.priority, "lat": f["lat"], "lon": f["lon"], "text": text,
                  "source": source, "address": f["address_string"], **where, "reporter": reporter, "contact": contact}
        out = [incident_event("incident.created", iid, **report, possible_duplicates=dups)]
        atts = []
        for blob in blobs:
            att = {**blob, "note": "citizen's photo", "time": now}
            atts.append(att)
            out.append(incident_event("incident.attached", iid, **att))
        joined = min(dups) if dups else None
        if joined is not None:
            note = f"citizen report {iid} joined automatically as a duplicate"
            out.append(incident_event("incident.merged", joined, duplicate_id=iid, note=note, attachments=atts,
                                      report={**report, "incident_id": iid, "created_at": now,
                                              "created_by": actor, "reports": []}))
            out.append(incident_event("incident.transitioned", iid, **{
                "from": "reported", "to": "rejected", "reason": "duplicate", "merged_into": joined, "note": note}))
        out.append(NewEvent("citizens.request_filed", {
            "id": iid, "service_code": svc.code, "key": key_name, "source": source,
            "token_sha256": hashlib.sha256(token.encode()).hexdigest(), "attributes": f["attributes"],
            "media": blobs, "joined": joined, "device_id": f["device_id"],
            "account_id": f["account_id"], "media_url_given": f["media_url"],
            **({"media_urls_given": f["media_urls"]} if f["media_urls"] else {})}, f"incident:{iid}"))
        filed[:] = [iid, joined]
        return out

    core.command(actor, decide)
    return {"service_request_id": str(filed[0]), "rating_token": token, "joined": filed[1]}


def _source_of(core: Any, api_key: str | None) -> tuple[str, str]:
    with core.lock:
        owner = key_owner(core.state, api_key)
    if owner is None:
        raise Refused("api_key is missing, unknown or revoked", "forbidden")
    return owner["name"], owner["source"]


@op("citizens.file")
def file_op(core: Any, actor: str, api_key: str, service_code: str, lat: Any = None, long: Any = None,
            description: str | None = None, address_string: str | None = None, email: str | None = None,
            phone: str | None = None, first_name: str | None = None, last_name: str | None = None,
            device_id: str | None = None, account_id: str | None = None, attributes: dict[str, Any] | None = None,
            photo_b64: str | None = None) -> dict[str, Any]:
    """POST requests as an operation (ctl, the hub): the same checks; the photo as base64."""
    core.refresh()
    name, source = _source_of(core, api_key)
    photo = None
    if photo_b64 is not None:
        try:
            photo = base64.b64decode(photo_b64, validate=True)
        except (binascii.Error, ValueError):
            raise Refused("photo_b64 is not valid base64", "bad_media") from None
    fields = {"service_code": service_code, "lat": lat, "long": long, "description": description,
              "address_string": address_string, "email": email, "phone": phone, "first_name": first_name,
              "last_name": last_name, "device_id": device_id, "account_id": account_id,
              "attributes": attributes or {}}
    return file_request(core, actor, fields, key_name=name, source=source, photos=[photo] if photo else None,
                        api_key=api_key)


@op("citizens.request")
def show_request(core: Any, actor: str, request_id: Any, lang: str | None = None) -> dict[str, Any]:
    """One request exactly as GET requests/{id} shows it."""
    core.refresh()
    rid = parse_id(request_id)
    with core.lock:
        req = cbook(core.state).requests.get(rid)
        d = public_request(core.state, req, lang_of(lang)) if req is not None else None
    if d is None:
        raise NotFound(f"unknown service request {request_id}")
    return d


@op("citizens.public_note")
def public_note(core: Any, actor: str, incident_id: Any, text: str) -> dict[str, Any]:
    """The dispatcher's note to every citizen who reported this incident (or a duplicate merged into it)."""
    iid = parse_id(incident_id)
    body = text_field({"note": text}, "note")
    if not body:
        raise Refused("a public note needs text", "bad_note")

    def decide(st: State) -> list[NewEvent]:
        get(st, iid)
        return [NewEvent("citizens.note_published", {"id": iid, "text": body}, f"incident:{iid}")]

    core.command(actor, decide)
    return preview(core, actor, iid)


@op("citizens.preview")
def preview(core: Any, actor: str, incident_id: Any, note: str | None = None, lang: str | None = None
            ) -> dict[str, Any]:
    """What the citizens of this incident see now (with ``note``: as they would see it once published), and what
    they sent after their reports through a client (`dispatch/citizens/comments.py`).

    Returns {incident_id, requests: [the public request of each citizen report following it], citizens: how many,
    comments: [{service_request_id, datetime, reporter, status, description, photos}, oldest first]}.
    """
    iid = parse_id(incident_id)
    core.refresh()
    lg = lang_of(lang)
    with core.lock:
        st = core.state
        inc = get(st, iid)
        cb = cbook(st)
        reqs = [r for r in cb.requests.values() if (own := book(st).items.get(r.id)) is not None
                and followed(st, own).id == inc.id]
        if note is not None:
            body = text_field({"note": note}, "note")
            cb.notes.setdefault(iid, []).append({"time": core.clock(), "text": body, "by": actor})
        try:
            shown = [public_request(st, r, lg) for r in reqs]
        finally:
            if note is not None:
                cb.notes[iid].pop()
        comments = sorted(({"service_request_id": str(r.id), "datetime": w3c(c["time"]), "reporter": c["reporter"],
                            "status": c["status"], "description": c["text"], "photos": c["photos"]}
                           for r in reqs for c in cb.comments.get(r.id, ())), key=lambda c: c["datetime"])
    return {"incident_id": iid, "requests": shown, "citizens": len(shown), "comments": comments}


@op("citizens.rate")
def rate(core: Any, actor: str, request_id: Any, rating: Any, token: str | None = None,
         comment: str | None = None) -> dict[str, Any]:
    """The reporter's rating (1..5, with a comment) once the case is closed: the case's evaluation event.

    ``token`` is the rating_token the POST returned. The first rating of a closed incident moves it to
    ``evaluated`` with that satisfaction; a rating of 2 or less then reopens it for the shift lead's review
    (``reopened``, a note saying why). Later ratings (another reporter of the same case) are kept as
    ratings and count in the figures, without moving the case.
    """
    rid = parse_id(request_id)
    try:
        score = int(str(rating).strip())
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise Refused("rating must be a whole number 1 to 5", "bad_rating")
    remark = text_field({"comment": comment}, "comment")
    out: dict[str, Any] = {}

    def decide(st: State) -> list[NewEvent]:
        req = cbook(st).requests.get(rid)
        if req is None:
            raise NotFound(f"unknown service request {rid}")
        if not token or req.token_sha256 != hashlib.sha256(str(token).encode()).hexdigest():
            raise Refused("rating needs the rating_token returned when the request was filed", "forbidden")
        if req.rating is not None:
            raise Refused(f"request {rid} is already rated", "already_rated")
        eff = followed(st, book(st).items[rid])
        if eff.state not in (IState.CLOSED, IState.EVALUATED):
            raise Refused(f"request {rid} is not closed yet ({eff.state.value}); rate it once it is closed",
                          "not_closed")
        evs = []
        reopened = False
        if eff.state is IState.CLOSED:
            note = f"citizen rating {score}/5" + (f": {remark}" if remark else "")
            evs.append(incident_event("incident.transitioned", eff.id, **{
                "from": "closed", "to": "evaluated", "note": note, "satisfaction": score}))
            if score <= LOW_RATING:
                reopened = True
                evs.append(incident_event("incident.transitioned", eff.id, **{
                    "from": "evaluated", "to": "reopened", "notify": "shift_lead",
                    "note": f"reopened for the shift lead's review after a low citizen rating ({score}/5)"}))
        evs.insert(0, NewEvent("citizens.rated", {"id": rid, "incident_id": eff.id, "rating": score,
                                                  "comment": remark, "reopened": reopened}, f"incident:{rid}"))
        out.update(incident_id=eff.id, evaluated=eff.state is IState.CLOSED, reopened=reopened)
        return evs

    core.command(actor, decide)
    return {"service_request_id": str(rid), "rating": score, **out}


@op("citizens.satisfaction")
def satisfaction(core: Any, actor: str) -> dict[str, Any]:
    """The satisfaction figures from citizens' ratings: count, mean, share of 4-5, low ratings reopened."""
    core.refresh()
    with core.lock:
        ratings = [r for rs in cbook(core.state).ratings.values() for r in rs]
    n = len(ratings)
    return {"ratings": n, "mean": round(sum(r["rating"] for r in ratings) / n, 2) if n else None,
            "satisfied_share": round(sum(r["rating"] >= 4 for r in ratings) / n, 3) if n else None,
            "reopened": sum(r["reopened"] for r in ratings)}
