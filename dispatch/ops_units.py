"""Operations on units: list them, read one, set a status."""

from __future__ import annotations

from typing import Any

from dispatch.ops import op


@op("units")
def list_units(core: Any, actor: str, kind: str | None = None) -> list[dict[str, Any]]:
    core.refresh()
    now = core.clock()
    with core.lock:
        units = sorted(core.state.units.values(), key=lambda u: u.id)
        out = []
        for u in units:
            if kind and u.kind.value != kind:
                continue
            d = u.as_dict(now)
            d["stale"] = core.is_stale(u, now)
            out.append(d)
    return out


@op("unit.show")
def show_unit(core: Any, actor: str, unit_id: str) -> dict[str, Any]:
    core.refresh()
    now = core.clock()
    with core.lock:
        u = core.unit(unit_id)
        d = u.as_dict(now)
        d["stale"] = core.is_stale(u, now)
        return d


@op("unit.status")
def set_status(core: Any, actor: str, unit_id: str, status: str) -> dict[str, Any]:
    core.set_unit_status(actor, unit_id, status)
    return show_unit(core, actor, unit_id)
