"""A citizen's follow-up on a request, through an Open311 client: FixMyStreet's ``POST servicerequestupdates``.

FixMyStreet passes on what its users add to a report it sent (a comment, "still not fixed", a photo), when the body
it sends to has "send comments" on (the same switch that makes it fetch this endpoint's updates). Each one is
recorded as ``citizens.comment_received`` on the request's incident, by the client's key, and shown to the
dispatcher on the incident's Citizens tab (operation ``citizens.preview``); nothing about the incident changes on its
own (a comment saying the problem is back is the dispatcher's to act on), and it is not given back as an update
(the client has it already). The answer names the update by this endpoint's id; the same client update id sent
again (FixMyStreet tries until it has an answer) is answered with the first one's, and nothing is recorded twice.
"""

from __future__ import annotations

import re
from typing import Any

from dispatch.citizens.book import cbook
from dispatch.citizens.keys import key_owner
from dispatch.citizens.ops import check_contact, media_urls, store_photos, text_field
from dispatch.citizens.services import parse_w3c
from dispatch.errors import NotFound, Refused
from dispatch.incidents.book import incident_event
from dispatch.state import State
from dispatch.store import NewEvent

_STATUS = re.compile(r"^[A-Za-z][A-Za-z_ ]{0,39}$")  # FixMyStreet's OPEN, FIXED, REOPEN, NO_FURTHER_ACTION...
MAX_CLIENT_ID = 100


def check_comment(fields: dict[str, Any]) -> dict[str, Any]:
    """Validate a POST servicerequestupdates' fields (strings). Returns the cleaned values; raises Refused naming
    the field."""
    rid = str(fields.get("service_request_id") or "").strip()
    if not rid:
        raise Refused("service_request_id is required", "missing_service_request_id")
    if not rid.isdigit():
        raise NotFound(f"unknown service_request_id {rid!r}")
    out: dict[str, Any] = {"id": int(rid)}
    for name in ("description", "first_name", "last_name", "email", "phone", "media_url"):
        out[name] = text_field(fields, name)
    out["media_urls"] = media_urls(fields)
    if not out["description"]:
        raise Refused("description is required: the citizen's words", "missing_description")
    check_contact(out)
    status = str(fields.get("status") or "").strip()
    if status and not _STATUS.match(status):
        raise Refused(f"status {status[:40]!r} is not a status word such as OPEN or FIXED", "bad_status")
    out["status"] = status.lower().replace(" ", "_") or None
    given = str(fields.get("update_id") or "").strip()
    if len(given) > MAX_CLIENT_ID or "\x00" in given:
        raise Refused(f"update_id is longer than {MAX_CLIENT_ID} characters", "bad_update_id")
    out["client_update_id"] = given or None
    when = str(fields.get("updated_datetime") or "").strip()
    try:
        out["updated_at"] = parse_w3c(when, "updated_datetime") if when else None
    except ValueError as exc:
        raise Refused(str(exc), "bad_updated_datetime") from None
    return out


def comment_on_request(core: Any, actor: str, fields: dict[str, Any], *, key_name: str,
                       photos: list[bytes] | None = None, api_key: str | None = None) -> dict[str, Any]:
    """Record a citizen's follow-up (fields as FixMyStreet sends them). Returns {update_id, duplicate}: this
    endpoint's id of the update, and whether the client had sent it already (nothing recorded then)."""
    f = check_comment(fields)
    blobs = store_photos(core, list(photos or []), share=False)
    rid = f["id"]
    answer: dict[str, Any] = {}

    def decide(st: State) -> list[NewEvent]:
        if api_key is not None and key_owner(st, api_key) is None:
            raise Refused("api_key is missing, unknown or revoked", "forbidden")
        cb = cbook(st)
        if rid not in cb.requests:
            raise NotFound(f"unknown service_request_id {rid}")
        given = f["client_update_id"]
        if given is not None and (key_name, given) in cb.comment_ids:
            answer.update(update_id=cb.comment_ids[(key_name, given)], duplicate=True)
            return []
        number = len(cb.comments.get(rid, ())) + 1
        update_id = f"{rid}-c{number}"
        now = core.clock()
        out = [incident_event("incident.attached", rid, **blob, note="citizen's photo with a follow-up", time=now)
               for blob in blobs]
        out.append(NewEvent("citizens.comment_received", {
            "id": rid, "update_id": update_id, "key": key_name, "client_update_id": given, "text": f["description"],
            "status": f["status"], "updated_at": f["updated_at"],
            "reporter": " ".join(x for x in (f["first_name"], f["last_name"]) if x and x != "-") or None,
            "contact": " / ".join(x for x in (f["phone"], f["email"]) if x) or None,
            "media": blobs, "media_url_given": f["media_url"],
            **({"media_urls_given": f["media_urls"]} if f["media_urls"] else {})}, f"incident:{rid}"))
        answer.update(update_id=update_id, duplicate=False)
        return out

    core.command(actor, decide)
    return answer
