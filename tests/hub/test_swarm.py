"""1,000 field units in one process stay connected to one hub and each receive a broadcast."""

from __future__ import annotations

import resource

import zmq

from dispatch import ops
from dispatch.core import Dispatch
from dispatch.hub.client import FieldClient, Swarm
from dispatch.hub.outbox import Outbox
from dispatch.hub.server import Hub
from dispatch.store import EventStore, NewEvent
from tests.conftest import wait_for

N = 1000


def start_swarm(db_url: str, n: int = N) -> tuple[Dispatch, Hub, Swarm, zmq.Context]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 8192:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(8192, hard), hard))
    core = Dispatch(EventStore(db_url))
    units = [{"id": f"u{i:04d}", "name": f"u{i}", "kind": "officer"} for i in range(n)]
    core.register_units("test", units)
    pairs = [tuple(k.decode() for k in zmq.curve_keypair()) for _ in range(n)]
    core.record("test", [NewEvent("field.key_enrolled", {"unit_id": u["id"], "public_key": p[0]}, f"unit:{u['id']}")
                         for u, p in zip(units, pairs, strict=True)])
    hub = Hub(core, "tcp://127.0.0.1:0", None).start()
    ctx = zmq.Context()
    ctx.max_sockets = 4 * n + 64  # 1,000 sockets need more than libzmq's default 1,023
    clients = [FieldClient(u["id"], hub.field_endpoint,
                           {"public_key": p[0], "secret_key": p[1], "hub_public_key": hub.public_key}, ctx=ctx)
               for u, p in zip(units, pairs, strict=True)]
    swarm = Swarm(clients).start()
    return core, hub, swarm, ctx


def test_thousand_units_receive_a_broadcast(db_url: str) -> None:
    core, hub, swarm, ctx = start_swarm(db_url)
    try:
        wait_for(lambda: all(c.logged_in for c in swarm.clients), timeout=30, what="1,000 logins")
        assert len(hub.routes) == N
        ops.call(core, "field.broadcast", {"text": "all units: storm warning"}, actor="dispatcher:wang")
        wait_for(lambda: all(c.received == 1 for c in swarm.clients), timeout=20, what="broadcast to 1,000")
        wait_for(lambda: sum(hub.outbox.acked.values()) == N, timeout=20, what="1,000 acks")
        assert len(hub.routes) == N  # still connected
    finally:
        swarm.stop()
        ctx.destroy(0)
        hub.stop()
    try:  # the acks came in batches: each unit's is committed, none more, none less
        again = Outbox(core.store)
        assert again.acked == {f"u{i:04d}": 1 for i in range(N)}
        assert all(r["acked"] is not None for r in again.rows(limit=2 * N)) and len(again.rows(limit=2 * N)) == N
        again.close()
    finally:
        core.close()
