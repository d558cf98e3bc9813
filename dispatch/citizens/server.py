"""The Open311 GeoReport v2 endpoint and the citizen page: a Starlette app on uvicorn, in its own thread.

``Open311Server(core, "127.0.0.1:8311").start()`` serves, under ``/open311/``:
  v2/discovery, v2/services, v2/services/{code}, v2/requests (GET and POST), v2/requests/{id},
  v2/requests/{id}/rating (POST, extension), v2/servicerequestupdates (FixMyStreet's: GET, and POST a
  citizen's follow-up), v2/media/{sha256},
  v2/facilities (GeoJSON of the convenience layers) — each in .json or .xml;
  the citizen page (``/open311/``) with its scripts and Leaflet from the xstatic-leaflet package.
The core's operations are blocking (a write transaction), so every handler runs them in the thread pool.
Refusals become the spec's errors: ``[{"code": 400, "description": "..."}]`` or ``<errors><error>...``.
"""

from __future__ import annotations

import logging
import math
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any

from dispatch.citizens import wire
from dispatch.citizens.book import cbook
from dispatch.citizens.comments import comment_on_request
from dispatch.citizens.keys import key_owner
from dispatch.citizens.layers import near
from dispatch.citizens.ops import file_request, rate
from dispatch.citizens.photos import MAX_PHOTOS
from dispatch.citizens.public import public_request, updates
from dispatch.citizens.query import find_requests, parse_filters
from dispatch.citizens.services import SERVICES, lang_of, parse_w3c
from dispatch.citizens.services_doc import discovery, service_definition, service_list
from dispatch.errors import Refused

log = logging.getLogger(__name__)

PAGE_DIR = Path(__file__).resolve().parents[2] / "resources" / "citizens"
MAX_BODY = 10 * 1024 * 1024  # a photo (8 MiB) and the form around it
JURISDICTION = "liuzhou.gov.cn"
TEXT_FIELDS = ("service_code", "lat", "long", "description", "address_string", "email", "phone", "first_name",
               "last_name", "device_id", "account_id", "media_url", "address_id", "jurisdiction_id", "api_key",
               "service_request_id", "update_id", "status", "updated_datetime")  # the last four: an update's
MAX_MEDIA_URLS = 10
PHOTO_FIELD = re.compile(r"^(media|photo[0-9]?)$")  # media (FixMyStreet's name), photo; photo1.. as it uploads them


class RateLimiter:
    """A token bucket per client: `rate` a minute, up to `burst` at once."""

    def __init__(self, per_minute: float, burst: int) -> None:
        self.per_s = per_minute / 60.0
        self.burst = float(burst)
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def allow(self, client: str) -> bool:
        if self.per_s <= 0:
            return True
        now = time.monotonic()
        with self.lock:
            tokens, last = self.buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.per_s)
            if len(self.buckets) > 50_000:
                self.buckets.clear()  # a flood of addresses: forget, rather than grow without end
            if tokens < 1.0:
                self.buckets[client] = (tokens, now)
                return False
            self.buckets[client] = (tokens - 1.0, now)
            return True

    def retry_after(self, client: str) -> int:
        """Whole seconds until `client` has a token again (at least 1): the Retry-After of a refusal."""
        if self.per_s <= 0:
            return 0
        now = time.monotonic()
        with self.lock:
            tokens, last = self.buckets.get(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.per_s)
        return max(1, math.ceil((1.0 - tokens) / self.per_s))

    def refuse(self, client: str, what: str) -> Problem:
        """The 429 for `client`, saying when to come back."""
        wait = self.retry_after(client)
        return Problem(429, f"too many {what} from this client; try again in {wait} s", retry_after=wait)


class Problem(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.retry_after = retry_after  # seconds, sent as Retry-After with a 429 (RFC 9110 §10.2.3)

    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else None


def parse_bind(bind: str) -> tuple[str, int]:
    """'127.0.0.1:8311', '[::1]:8311', ':8311' -> (host, port). Raises ValueError saying what is wanted."""
    host, sep, port = str(bind).rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"bad bind address {bind!r}: give HOST:PORT, e.g. 127.0.0.1:8311")
    return (host.strip("[]") or "127.0.0.1"), int(port)


def _split_format(rest: str) -> tuple[list[str], str]:
    head, _, last = rest.rpartition("/")
    fmt = "json"
    for ext in ("json", "xml"):
        if last.endswith("." + ext):
            last, fmt = last[: -len(ext) - 1], ext
    parts = [p for p in (head.split("/") if head else []) + [last] if p]
    return parts, fmt


class Open311Server:
    def __init__(self, core: Any, bind: str = "127.0.0.1:8311", *, post_per_minute: float = 20,
                 post_burst: int = 10, get_per_minute: float = 600, get_burst: int = 120,
                 forwarded_allow_ips: str = "127.0.0.1") -> None:
        self.core = core
        self.host, self.port = parse_bind(bind)
        self.posts = RateLimiter(post_per_minute, post_burst)
        self.gets = RateLimiter(get_per_minute, get_burst)
        self.forwarded_allow_ips = forwarded_allow_ips
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ life
    def start(self, timeout: float = 10.0) -> Open311Server:
        import uvicorn

        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # accepted connections inherit it: the response's head and body go out as two writes, and without
        # it Nagle holds the second for the client's delayed ACK (40 ms a request on Linux)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        sock.listen(256)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app(), log_level="warning", access_log=False, lifespan="off",
                                proxy_headers=True, forwarded_allow_ips=self.forwarded_allow_ips,
                                server_header=False, timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, name="open311",
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the Open311 endpoint did not start on {self.host}:{self.port}")
            time.sleep(0.01)
        log.info("Open311 endpoint on %s", self.url)
        return self

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/open311/"

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)

    # ------------------------------------------------------------------- app
    def app(self) -> Any:
        import xstatic.pkg.leaflet as xl
        from starlette.applications import Starlette
        from starlette.responses import RedirectResponse
        from starlette.routing import Mount, Route
        from starlette.staticfiles import StaticFiles

        from dispatch.citizens.page import page_routes

        routes = [
            Route("/open311/v2/{rest:path}", self.v2, methods=["GET", "POST"]),
            Route("/open311", lambda r: RedirectResponse(url="/open311/")),
            *page_routes(self),
            Mount("/open311/leaflet", app=StaticFiles(directory=xl.BASE_DIR)),
            Mount("/open311/", app=StaticFiles(directory=PAGE_DIR, html=True)),
        ]
        return Starlette(routes=routes)

    def client_of(self, request: Any) -> str:
        return request.client.host if request.client else "unknown"

    async def v2(self, request: Any) -> Any:
        from starlette.responses import Response

        parts, fmt = _split_format(request.path_params["rest"])
        try:
            status, root, value = await self._v2(request, parts, fmt)
            if root == "__media__":
                return value
            return Response(wire.body(fmt, root, value), status_code=status, media_type=wire.CONTENT_TYPES[fmt])
        except Problem as p:
            return Response(wire.error_body(fmt, p.status, str(p)), status_code=p.status,
                            media_type=wire.CONTENT_TYPES[fmt], headers=p.headers())
        except Refused as exc:
            st = wire.http_status(exc.code)
            return Response(wire.error_body(fmt, st, str(exc)), status_code=st, media_type=wire.CONTENT_TYPES[fmt])

    async def _v2(self, request: Any, parts: list[str], fmt: str) -> tuple[int, str, Any]:
        from starlette.concurrency import run_in_threadpool

        method = request.method
        q = request.query_params
        lang = lang_of(q.get("lang") or request.headers.get("accept-language"))
        if method == "GET" and not self.gets.allow(self.client_of(request)):
            raise self.gets.refuse(self.client_of(request), "requests")
        base = str(request.base_url).rstrip("/")
        head = parts[0] if parts else ""
        if method == "POST" and parts == ["requests"]:
            return await self.post_request(request, lang)
        if method == "POST" and len(parts) == 3 and head == "requests" and parts[2] == "rating":
            return await self.post_rating(request, parts[1])
        if method == "POST" and parts == ["servicerequestupdates"]:
            return await self.post_update(request)
        if method != "GET":
            raise Problem(405, f"{method} is not accepted here")
        self._check_jurisdiction(q.get("jurisdiction_id"))
        if parts == ["discovery"]:
            return 200, "discovery", discovery(base)
        if parts == ["services"]:
            return 200, "services", service_list(lang)
        if len(parts) == 2 and head == "services":
            if parts[1] not in SERVICES:
                raise Problem(404, f"unknown service_code {parts[1]!r}")
            return 200, "service_definition", service_definition(parts[1], lang)
        if parts == ["requests"]:
            return 200, "service_requests", await run_in_threadpool(self._find, dict(q), lang, base)
        if len(parts) == 2 and head == "requests":
            return 200, "service_requests", await run_in_threadpool(self._one, parts[1], lang, base)
        if parts == ["servicerequestupdates"]:
            return 200, "service_request_updates", await run_in_threadpool(self._updates, dict(q), lang)
        if len(parts) == 2 and head == "media":
            return 200, "__media__", await run_in_threadpool(self._media, parts[1])
        if parts == ["facilities"]:
            return 200, "facilities", await run_in_threadpool(self._facilities, dict(q))
        raise Problem(404, f"no such resource: /open311/v2/{'/'.join(parts)}")

    def _check_jurisdiction(self, value: str | None) -> None:
        if value and value.strip() != JURISDICTION:
            raise Problem(404, f"unknown jurisdiction_id {value!r}; this endpoint serves {JURISDICTION}")

    # ------------------------------------------------------------- readers
    def _find(self, params: dict[str, str], lang: str, base: str) -> list[dict[str, Any]]:
        core = self.core
        core.refresh()
        f = parse_filters(params, core.clock())
        with core.lock:
            return find_requests(core.state, f, lang, base)

    def _one(self, rid: str, lang: str, base: str) -> list[dict[str, Any]]:
        core = self.core
        core.refresh()
        with core.lock:
            req = cbook(core.state).requests.get(int(rid)) if rid.isdigit() else None
            d = public_request(core.state, req, lang, base) if req is not None else None
        if d is None:
            raise Problem(404, f"unknown service_request_id {rid!r}")
        return [d]

    def _updates(self, params: dict[str, str], lang: str) -> list[dict[str, Any]]:
        core = self.core
        core.refresh()
        try:
            end = parse_w3c(params["end_date"], "end_date") if params.get("end_date") else core.clock()
            start = parse_w3c(params["start_date"], "start_date") if params.get("start_date") else end - 86400.0
        except ValueError as exc:
            raise Problem(400, str(exc)) from None
        if end < start:
            raise Problem(400, "end_date is before start_date")
        with core.lock:
            return updates(core.state, start, end, lang)

    def _media(self, sha: str) -> Any:
        from starlette.responses import FileResponse

        from dispatch.blobs import attachments_dir, blob_path

        with self.core.lock:
            media_type = cbook(self.core.state).media.get(sha)
        path = blob_path(attachments_dir(self.core), sha) if media_type else None
        if path is None or not path.is_file():
            raise Problem(404, "unknown media")
        return FileResponse(path, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})

    def _facilities(self, params: dict[str, str]) -> dict[str, Any]:
        with self.core.lock:
            return near(self.core.state, params)

    # -------------------------------------------------------------- writers
    async def read_form(self, request: Any) -> Any:
        """The POST's form, its size bounded before anything is parsed."""
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
            raise Problem(413, f"the request body is larger than {MAX_BODY // 1024 // 1024} MiB")
        if declared is None:
            chunks, size = [], 0
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_BODY:
                    raise Problem(413, f"the request body is larger than {MAX_BODY // 1024 // 1024} MiB")
                chunks.append(chunk)
            request._body = b"".join(chunks)
        ctype = request.headers.get("content-type", "")
        if not ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            raise Problem(400, "POST a form: application/x-www-form-urlencoded or multipart/form-data")
        try:
            return await request.form(max_files=MAX_PHOTOS, max_fields=60, max_part_size=64 * 1024)
        except Exception as exc:  # the multipart parser's own refusals (too many parts, a part too large...)
            raise Problem(400, f"the form cannot be read: {getattr(exc, 'detail', exc)}") from None

    async def form_fields(self, form: Any) -> tuple[dict[str, Any], list[bytes]]:
        fields: dict[str, Any] = {"attributes": {}}
        photos: list[bytes] = []
        for name, value in form.multi_items():
            if PHOTO_FIELD.match(name):
                if isinstance(value, str):
                    if value:
                        raise Problem(400, f"{name} must be a file upload (multipart/form-data)")
                    continue
                photos.append(await value.read(8 * 1024 * 1024 + 1))
                continue
            if not isinstance(value, str):
                raise Problem(400, f"{name} must be text, not a file")
            if name.startswith("attribute[") and name.endswith("]"):
                fields["attributes"][name[10:-1]] = value
            elif name == "media_url" and "media_url" in fields:
                # FixMyStreet with several photos ("multi_photos") sends one media_url each: the first is the
                # request's, all of them are kept
                fields.setdefault("media_urls", [fields["media_url"]]).append(value)
                if len(fields["media_urls"]) > MAX_MEDIA_URLS:
                    raise Problem(400, f"at most {MAX_MEDIA_URLS} media_url")
            elif name in TEXT_FIELDS:
                if name in fields:
                    raise Problem(400, f"{name} is given twice")
                fields[name] = value
        return fields, photos

    async def keyed_form(self, request: Any) -> tuple[dict[str, Any], list[bytes], dict[str, Any]]:
        """A client's POST: its fields, photos and the owner of its api_key (403 without one), within its rate."""
        from starlette.concurrency import run_in_threadpool

        form = await self.read_form(request)
        fields, photos = await self.form_fields(form)
        for name in ("api_key", "jurisdiction_id"):  # clients of the Ruby/Python wrappers put these in the URL
            if name not in fields and request.query_params.get(name):
                fields[name] = request.query_params[name]
        self._check_jurisdiction(fields.get("jurisdiction_id"))
        with self.core.lock:
            owner = key_owner(self.core.state, fields.get("api_key"))
        if owner is None:
            await run_in_threadpool(self.core.refresh)  # a key made a moment ago by another process
            with self.core.lock:
                owner = key_owner(self.core.state, fields.get("api_key"))
        if owner is None:
            raise Problem(403, "api_key is missing, unknown or revoked")
        if not self.posts.allow(who := "key:" + owner["name"] + "@" + self.client_of(request)):
            raise self.posts.refuse(who, "reports")
        return fields, photos, owner

    async def post_request(self, request: Any, lang: str) -> tuple[int, str, Any]:
        from starlette.concurrency import run_in_threadpool

        fields, photos, owner = await self.keyed_form(request)
        res = await run_in_threadpool(lambda: file_request(self.core, f"citizen:{owner['name']}", fields,
                                                           key_name=owner["name"], source=owner["source"],
                                                           photos=photos, api_key=fields.get("api_key")))
        return 200, "service_requests", [self.filed_answer(res, fields, lang)]

    async def post_update(self, request: Any) -> tuple[int, str, Any]:
        """FixMyStreet's POST servicerequestupdates: a citizen's follow-up (dispatch/citizens/comments.py)."""
        from starlette.concurrency import run_in_threadpool

        fields, photos, owner = await self.keyed_form(request)
        res = await run_in_threadpool(lambda: comment_on_request(self.core, f"citizen:{owner['name']}", fields,
                                                                 key_name=owner["name"], photos=photos,
                                                                 api_key=fields.get("api_key")))
        return 200, "service_request_updates", [{"update_id": res["update_id"]}]

    def filed_answer(self, res: dict[str, Any], fields: dict[str, Any], lang: str) -> dict[str, Any]:
        notice = {"zh_CN": "已受理，可凭编号查询进展", "en": "Received: follow it by its number"}[lang]
        return {"service_request_id": res["service_request_id"], "service_notice": notice,
                "account_id": fields.get("account_id"), "rating_token": res["rating_token"],
                "duplicate_of": str(res["joined"]) if res["joined"] else None}

    async def post_rating(self, request: Any, rid: str) -> tuple[int, str, Any]:
        from starlette.concurrency import run_in_threadpool

        form = await self.read_form(request)
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        if not self.posts.allow(who := "rate@" + self.client_of(request)):
            raise self.posts.refuse(who, "ratings")
        if not rid.isdigit():
            raise Problem(404, f"unknown service_request_id {rid!r}")
        res = await run_in_threadpool(lambda: rate(self.core, f"citizen:request-{rid}", rid, fields.get("rating"),
                                                   token=fields.get("rating_token"), comment=fields.get("comment")))
        return 200, "ratings", [res]
