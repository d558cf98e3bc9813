"""Who a CURVE key is: the hub's ZAP handler's answer for field units (enrolled unit keys) and for seats and
tools on the control endpoint (enrolled seat keys). A unit or a seat is who its key says, never what it claims."""

from __future__ import annotations

import logging
from typing import Any

from zmq.utils import z85

from dispatch.hub.seats import seats_state
from dispatch.hub.state import field_state

log = logging.getLogger("dispatch.hub.server")  # the hub's log, where the refusals have always been


def zap_reply(core: Any, frames: list[bytes], owner: Any = None) -> list[bytes]:
    """The ZAP answer to one request: 200 with the seat's name (domain \"control\") or the unit's key for an
    enrolled CURVE key, 400 otherwise; a key enrolled a moment ago by another process is looked up again.
    `owner` (dispatch.hub.owner.Owner): its key, this hub run's own, is admitted on the control domain."""
    version, request_id, domain, address, _identity, mechanism = frames[:6]
    status, text, user, meta = b"400", b"unknown key", b"", b""
    if domain == b"control":  # a seat or tool: its key enrolled with `keys seat`
        if mechanism == b"CURVE" and len(frames) >= 7 and len(frames[6]) == 32:
            key = z85.encode(frames[6]).decode("ascii")
            seat = owner.seat if owner is not None and key == owner.public_key else seats_state(core.state).by_key.get(key)
            if seat is None:
                core.refresh()
                seat = seats_state(core.state).by_key.get(key)
            if seat is not None:  # the key rides with every message (X-Key): a key revoked later is known
                status, text, user, meta = b"200", b"OK", seat.encode("utf-8"), _metadata({b"X-Key": key.encode()})
            else:
                log.warning("control: refused unknown seat key %s from %s", key, address.decode(errors="replace"))
    elif mechanism == b"CURVE" and len(frames) >= 7 and len(frames[6]) == 32:
        key = z85.encode(frames[6]).decode("ascii")
        unit = field_state(core.state).by_key.get(key)
        if unit is None:
            core.refresh()  # enrolled a moment ago by `keys new` in another process?
            unit = field_state(core.state).by_key.get(key)
        if unit is not None:
            status, text, user = b"200", b"OK", key.encode("ascii")
        else:
            log.warning("field: refused unknown key %s from %s", key, address.decode(errors="replace"))
    return [version, request_id, status, text, user, meta]


def _metadata(props: dict[bytes, bytes]) -> bytes:
    """ZAP metadata (ZMTP's property list): a name's length in one byte, the name, the value's in four."""
    return b"".join(bytes([len(k)]) + k + len(v).to_bytes(4, "big") + v for k, v in props.items())
