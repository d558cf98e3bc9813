"""What the Field link tab shows, read on the core worker: units on the link, their assignments and keys,
the selected unit's conversation, the broadcasts and what is unread; and the colours of presence."""

from __future__ import annotations

import time
from typing import Any

from console import theme

ONLINE = theme.colour("online")  # the theme's live colours (console/theme.py)
OFFLINE = theme.colour("offline")
UNKNOWN = theme.colour("closed_fg")
FIELD_KINDS = frozenset({"unit.online", "unit.offline", "field.delivered", "field.queued", "field.reply",
                         "field.message_sent", "field.message_received", "field.key_enrolled", "field.key_revoked",
                         "field.messages_read"})


def hhmmss(ts: float | None) -> str:
    return "" if not ts else time.strftime("%H:%M:%S", time.localtime(ts))


def fetch(core: Any, unit_id: str | None) -> dict[str, Any]:
    """Everything the panel shows, read on the core worker (never on the GUI thread)."""
    from dispatch import ops
    from dispatch.hub.state import field_state

    ops.load_features()
    actor = "console:hub-panel"
    units = ops.call(core, "field.assignments", {}, actor=actor)
    keys = ops.call(core, "field.keys", {}, actor=actor)
    broadcasts = ops.call(core, "field.messages", {"unit_id": None}, actor=actor)
    conversation = ops.call(core, "field.messages", {"unit_id": unit_id}, actor=actor) if unit_id else []
    unread = ops.call(core, "field.unread", {}, actor=actor)
    with core.lock:
        fs = field_state(core.state)
        since = {u: max(fs.online_since.get(u, 0.0), fs.offline_since.get(u, 0.0)) for u in
                 set(fs.online_since) | set(fs.offline_since)}
        registered = [(uid, u.name, str(u.kind)) for uid, u in core.state.units.items()]  # Enrol a unit…
        info = {u["unit_id"]: {"name": getattr(core.state.units.get(u["unit_id"]), "name", u["unit_id"]),
                               "kind": str(getattr(core.state.units.get(u["unit_id"]), "kind", ""))} for u in units}
    return {"units": units, "keys": keys, "broadcasts": broadcasts, "conversation": conversation,
            "since": since, "info": info, "unit_id": unit_id, "unread": unread,
            "registered": registered}
