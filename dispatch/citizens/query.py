"""GET requests: the spec's filters and defaults (the last 90 days, at most 1000), plus paging (an extension)."""

from __future__ import annotations

from typing import Any

from dispatch.citizens.book import cbook
from dispatch.citizens.public import followed, public_request, status_of
from dispatch.citizens.services import SERVICES, lang_of, parse_w3c
from dispatch.errors import Refused
from dispatch.incidents.book import book
from dispatch.ops import op
from dispatch.state import State

DEFAULT_WINDOW_S = 90 * 86400.0
MAX_RESULTS = 1000


def _split(value: Any) -> list[str]:
    return [v.strip() for v in str(value).split(",") if v.strip()] if value not in (None, "") else []


def parse_filters(params: dict[str, Any], now: float) -> dict[str, Any]:
    """Check every filter of GET requests; raises Refused naming the bad one."""
    out: dict[str, Any] = {"ids": None}
    ids = _split(params.get("service_request_id"))
    if ids:
        if len(ids) > MAX_RESULTS:
            raise Refused(f"at most {MAX_RESULTS} service_request_id values", "bad_service_request_id")
        try:
            out["ids"] = [int(i) for i in ids]
        except ValueError:
            raise Refused("service_request_id takes numbers separated by commas", "bad_service_request_id") from None
    codes = _split(params.get("service_code"))
    unknown = [c for c in codes if c not in SERVICES]
    if unknown:
        raise Refused(f"unknown service_code {', '.join(unknown)}; see services.json", "bad_service_code")
    out["codes"] = set(codes) or None
    statuses = _split(params.get("status"))
    if any(s not in ("open", "closed") for s in statuses):
        raise Refused("status takes open, closed or both separated by a comma", "bad_status")
    out["statuses"] = set(statuses) or None
    try:
        end = parse_w3c(params["end_date"], "end_date") if params.get("end_date") else None
        start = parse_w3c(params["start_date"], "start_date") if params.get("start_date") else None
    except ValueError as exc:
        raise Refused(str(exc), "bad_date") from None
    if start is None and end is None:
        end = now
    if start is None:
        start = end - DEFAULT_WINDOW_S  # type: ignore[operator]
    if end is None:
        end = start + DEFAULT_WINDOW_S
    if end < start:
        raise Refused("end_date is before start_date", "bad_date")
    out["start"], out["end"] = start, end
    for name, default, top in (("page", 1, 10**6), ("page_size", MAX_RESULTS, MAX_RESULTS)):
        raw = params.get(name)
        try:
            v = int(raw) if raw not in (None, "") else default
        except (TypeError, ValueError):
            v = 0
        if not 1 <= v <= top:
            raise Refused(f"{name} takes a whole number 1 to {top}", f"bad_{name}")
        out[name] = v
    return out


def find_requests(state: State, f: dict[str, Any], lang: str, base_url: str = "") -> list[dict[str, Any]]:
    """The requests matching the filters, newest first, one page of them."""
    cb = cbook(state)
    items = book(state).items
    if f["ids"] is not None:  # the spec: with ids, every other filter is ignored
        reqs = [cb.requests[i] for i in f["ids"] if i in cb.requests]
    else:
        reqs = []
        skip = (f["page"] - 1) * f["page_size"]
        for req in reversed(cb.requests.values()):
            if req.created_at > f["end"]:
                continue
            if req.created_at < f["start"]:
                break  # filed in time order: nothing older can match
            if f["codes"] is not None and req.service_code not in f["codes"]:
                continue
            if f["statuses"] is not None:
                own = items.get(req.id)
                if own is None or status_of(followed(state, own)) not in f["statuses"]:
                    continue
            if skip:
                skip -= 1
                continue
            reqs.append(req)
            if len(reqs) >= f["page_size"]:
                break
    out = [public_request(state, r, lang, base_url) for r in reqs]
    return [d for d in out if d is not None]


@op("citizens.requests")
def requests_op(core: Any, actor: str, lang: str | None = None, **params: Any) -> list[dict[str, Any]]:
    """GET requests as an operation: the same filters (service_request_id, service_code, start_date,
    end_date, status, page, page_size) and answer."""
    core.refresh()
    f = parse_filters(params, core.clock())
    with core.lock:
        return find_requests(core.state, f, lang_of(lang))
