"""The citizen page's own entries: filing a report from the page (source "web"), limited per client address,
and the city's map as GeoJSON for its base layer: no tiles, nothing from elsewhere. Only what a citizen finds their
way by (`PUBLIC_LAYERS`: the river, roads, bridges, districts): not the bureau's patrol zones, and no point of the
city's (building sites, disposal sites, docks), which the page would draw as pins beside the one the citizen sets.

The page is static (resources/citizens/); it reads through the v2 endpoint like any client and files here,
where no API key is needed: the per-address rate limit and the same checks as v2 POST stand guard.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from dispatch.citizens import wire
from dispatch.citizens.ops import file_request
from dispatch.citizens.services import lang_of
from dispatch.errors import Refused

PAGE_KEY = "web-page"
PUBLIC_LAYERS = frozenset({"river", "road", "bridge", "district"})


@functools.cache
def public_city_json() -> bytes:
    """The city's GeoJSON with the features of `PUBLIC_LAYERS` only, encoded once (the city does not change while
    the program runs; building it is ~4 ms, on every page load before)."""
    from dispatch.city.data import load_city

    gj = load_city().geojson()
    public = {**gj, "features": [f for f in gj["features"] if f.get("properties", {}).get("layer") in PUBLIC_LAYERS]}
    return json.dumps(public, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def page_routes(server: Any) -> list[Any]:
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response
    from starlette.routing import Route

    from dispatch.citizens.server import Problem

    async def report(request: Any) -> Any:
        lang = lang_of(request.query_params.get("lang") or request.headers.get("accept-language"))
        headers = None
        try:
            form = await server.read_form(request)
            fields, photos = await server.form_fields(form)
            if not server.posts.allow(who := "page@" + server.client_of(request)):
                raise server.posts.refuse(who, "reports")
            res = await run_in_threadpool(lambda: file_request(server.core, "citizen:web", fields, key_name=PAGE_KEY,
                                                               source="web", photos=photos))
            body, status = wire.body("json", "service_requests", [server.filed_answer(res, fields, lang)]), 200
        except Problem as p:
            body, status, headers = wire.error_body("json", p.status, str(p)), p.status, p.headers()
        except Refused as exc:
            status = wire.http_status(exc.code)
            body = wire.error_body("json", status, str(exc))
        return Response(body, status_code=status, media_type=wire.CONTENT_TYPES["json"], headers=headers)

    async def city(_request: Any) -> Any:
        return Response(await run_in_threadpool(public_city_json), media_type=wire.CONTENT_TYPES["json"],
                        headers={"Cache-Control": "public, max-age=3600"})

    return [Route("/open311/page/report", report, methods=["POST"]), Route("/open311/page/city.geojson", city)]
