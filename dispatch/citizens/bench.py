"""Open311 figures against a real server on 127.0.0.1 with 100,000 stored requests (20,000 with --quick).

The stored requests are written straight into a real SQLite store (an incident.created and a
citizens.request_filed per request, spread over the last 80 days, hash-chained like any event), then a
core loads them and the endpoint serves it, as the hub does.

open311_post_per_s: form-encoded POST requests.json with an API key, one client after another on a
  kept-alive connection: key check, field checks, duplicate search over every stored incident, one write
  transaction (incident + request record), the answer. Rate limits off.
open311_get_ms_p95: GET requests/{id}.json of random stored requests (the status, notes history, deadline).
Peers in the same run: open311_list_ms_p95, GET requests.json with the spec's defaults (the newest 1000
of the last 90 days), and open311_discovery_ms_p95, a static document: the HTTP stack's own floor.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import Any

from dispatch.bench import percentile


def build_store(url: str, n: int, now: float, rng: random.Random) -> None:
    from dispatch.citizens.services import SERVICES
    from dispatch.store import EventStore, NewEvent

    store = EventStore(url)
    store.ensure_schema()
    codes = list(SERVICES)
    head = (0, None)
    with store.write() as conn:
        for i in range(1, n + 1):
            code = codes[i % len(codes)]
            ts = now - 80 * 86400 + (80 * 86400 - 3 * 3600) * i / n
            evs = [
                NewEvent("incident.created", {
                    "id": i, "category": code, "priority": SERVICES[code].priority,
                    "lat": 24.25 + rng.random() * 0.15, "lon": 109.33 + rng.random() * 0.15,
                    "text": f"bench report {i}", "source": "app", "address": None, "reporter": None,
                    "contact": None, "possible_duplicates": []}, f"incident:{i}"),
                NewEvent("citizens.request_filed", {"id": i, "service_code": code, "key": "bench", "source": "app",
                                                    "token_sha256": None, "attributes": {}, "media": [],
                                                    "joined": None}, f"incident:{i}"),
            ]
            out = store.append_in(conn, "citizen:bench", evs, ts=ts, head=head if head[1] else None)
            head = (out[-1].seq, out[-1].hash)
    store.close()


def run(quick: bool) -> dict[str, Any]:
    import httpx

    from dispatch import ops
    from dispatch.citizens import start_open311
    from dispatch.core import Dispatch
    from dispatch.store import EventStore

    n_stored = 20_000 if quick else 100_000
    n_post, n_get, n_list = (200, 300, 10) if quick else (1000, 2000, 30)
    rng = random.Random(14)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'open311.db'}"
        t0 = time.perf_counter()
        build_store(url, n_stored, time.time(), rng)
        built_s = time.perf_counter() - t0
        core = Dispatch(EventStore(url))
        loaded_s = time.perf_counter() - t0 - built_s
        key = ops.call(core, "citizens.apikey_new", {"name": "bench", "source": "app"}, actor="bench")["api_key"]
        srv = start_open311(core, "127.0.0.1:0", post_per_minute=0, get_per_minute=0)
        base = srv.url + "v2/"
        try:
            with httpx.Client(timeout=30) as c:
                for _ in range(20):  # warm the connection and the code paths
                    c.get(base + "discovery.json")
                    c.get(base + f"requests/{rng.randint(1, n_stored)}.json")
                t = time.perf_counter()
                for i in range(n_post):
                    r = c.post(base + "requests.json", data={
                        "api_key": key, "service_code": "illegal_dumping", "lat": f"{24.25 + rng.random() * 0.15:.6f}",
                        "long": f"{109.33 + rng.random() * 0.15:.6f}", "description": f"bench post {i}"})
                    assert r.status_code == 200, r.text
                post_per_s = n_post / (time.perf_counter() - t)
                gets = []
                for _ in range(n_get):
                    rid = rng.randint(1, n_stored)
                    t = time.perf_counter()
                    r = c.get(base + f"requests/{rid}.json")
                    gets.append((time.perf_counter() - t) * 1000)
                    assert r.status_code == 200
                lists = []
                for _ in range(n_list):
                    t = time.perf_counter()
                    r = c.get(base + "requests.json")
                    lists.append((time.perf_counter() - t) * 1000)
                    assert len(r.json()) == 1000
                static = []
                for _ in range(200):
                    t = time.perf_counter()
                    c.get(base + "discovery.json")
                    static.append((time.perf_counter() - t) * 1000)
        finally:
            srv.stop()
            core.store.close()
    return {
        "open311_post_per_s": round(post_per_s, 1),
        "open311_get_ms_p95": round(percentile(gets, 95), 2),
        "open311_list_ms_p95": round(percentile(lists, 95), 1),
        "open311_discovery_ms_p95": round(percentile(static, 95), 2),
        "open311_stored_requests": n_stored,
        "open311_store_build_s": round(built_s, 1),
        "open311_core_load_s": round(loaded_s, 1),
    }
