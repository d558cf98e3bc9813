"""The citizens' part of the state (``state.ext["citizens"]``) and the appliers of the citizens.* events.

Event kinds:
  citizens.apikey_created   {name, sha256, source}   the key itself is shown once and never stored
  citizens.apikey_revoked   {name}
  citizens.request_filed    {id, service_code, key, source, token_sha256, media, attributes, joined, ...}
                            entity ``incident:<id>``: a service request is the incident it created (same
                            number); ``joined`` names the open incident it was merged into as a duplicate
  citizens.note_published   {id, text}               the dispatcher's public note on incident ``id``
  citizens.rated            {id, incident_id, rating, comment, reopened}
  citizens.comment_received {id, update_id, key, client_update_id, text, status, updated_at, reporter, contact,
                             media, media_url_given}   a citizen's follow-up on request ``id`` through a client
                            (FixMyStreet's POST servicerequestupdates: dispatch/citizens/comments.py)
  citizens.layer_imported   {layer, features}        a convenience layer (toilets, parking...) replaced whole
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dispatch.changes import Changes
from dispatch.state import State, applies
from dispatch.store import Event

EXT = "citizens"


@dataclass
class Request:
    id: int
    service_code: str
    created_at: float
    key: str
    source: str
    token_sha256: str | None
    media: list[dict[str, Any]] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    joined: int | None = None
    rating: dict[str, Any] | None = None
    media_url: str | None = None  # the client's own media_url (kept, never fetched)


@dataclass
class CitizensBook:
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {name, sha256, source, created, revoked}
    by_hash: dict[str, str] = field(default_factory=dict)  # sha256 of a live key -> name
    requests: dict[int, Request] = field(default_factory=dict)  # in filing order (dicts keep it)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # incident id -> public notes
    ratings: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # incident id -> ratings received
    layers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    media: dict[str, str] = field(default_factory=dict)  # sha256 of a citizen's photo -> media type (public)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # request id -> citizens' follow-ups
    comment_ids: dict[tuple[str, str], str] = field(default_factory=dict)  # (key, client's update id) -> ours


def cbook(state: State) -> CitizensBook:
    """The citizens' part of the state to read: an empty one, not added to the state, before any citizens.* event
    (so a read leaves the state as a replay of the log would make it, as snapshots require)."""
    b = state.ext.get(EXT)
    return b if b is not None else CitizensBook()


def _book(state: State) -> CitizensBook:
    """The appliers' access: created on the first citizens.* event."""
    b = state.ext.get(EXT)
    if b is None:
        b = state.ext[EXT] = CitizensBook()
    return b


def _touch(ch: Changes, entity: str | None) -> None:
    ch.incidents = True
    if entity:
        ch.entities.add(entity)


@applies("citizens.apikey_created")
def _key_created(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    b = _book(state)
    old = b.keys.get(p["name"])
    if old is not None:
        b.by_hash.pop(old["sha256"], None)
    b.keys[p["name"]] = {"name": p["name"], "sha256": p["sha256"], "source": p.get("source") or "aggregator",
                         "created": ev.ts, "created_by": ev.actor, "revoked": None}
    b.by_hash[p["sha256"]] = p["name"]


@applies("citizens.apikey_revoked")
def _key_revoked(state: State, ev: Event, ch: Changes) -> None:
    b = _book(state)
    k = b.keys.get(ev.payload["name"])
    if k is not None:
        k["revoked"] = ev.ts
        b.by_hash.pop(k["sha256"], None)


@applies("citizens.request_filed")
def _filed(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    r = Request(id=int(p["id"]), service_code=p["service_code"], created_at=ev.ts, key=p.get("key") or "",
                source=p.get("source") or "other", token_sha256=p.get("token_sha256"),
                media=list(p.get("media") or []), attributes=dict(p.get("attributes") or {}),
                joined=p.get("joined"), media_url=p.get("media_url_given"))
    b = _book(state)
    b.requests[r.id] = r
    for m in r.media:
        b.media[m["sha256"]] = m.get("media_type") or "application/octet-stream"
    _touch(ch, ev.entity)


@applies("citizens.note_published")
def _note(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    _book(state).notes.setdefault(int(p["id"]), []).append({"time": ev.ts, "text": p["text"], "by": ev.actor})
    _touch(ch, ev.entity)


@applies("citizens.rated")
def _rated(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    b = _book(state)
    rating = {"time": ev.ts, "rating": int(p["rating"]), "comment": p.get("comment"), "request_id": int(p["id"]),
              "reopened": bool(p.get("reopened"))}
    r = b.requests.get(int(p["id"]))
    if r is not None:
        r.rating = rating
    b.ratings.setdefault(int(p["incident_id"]), []).append(rating)
    _touch(ch, ev.entity)


@applies("citizens.comment_received")
def _comment(state: State, ev: Event, ch: Changes) -> None:
    p = ev.payload
    b = _book(state)
    b.comments.setdefault(int(p["id"]), []).append({
        "time": ev.ts, "update_id": p["update_id"], "text": p["text"], "status": p.get("status"),
        "reporter": p.get("reporter"), "key": p.get("key"), "photos": len(p.get("media") or ())})
    if p.get("client_update_id"):
        b.comment_ids[(p.get("key") or "", p["client_update_id"])] = p["update_id"]
    _touch(ch, ev.entity)


@applies("citizens.layer_imported")
def _layer(state: State, ev: Event, ch: Changes) -> None:
    _book(state).layers[ev.payload["layer"]] = list(ev.payload.get("features") or [])
