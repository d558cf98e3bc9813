"""Operations on units: register the fleet, list them, read one, set a status."""

from __future__ import annotations

import re
from typing import Any

from devices.jt808.header import phone_key
from dispatch.errors import Refused
from dispatch.model import UnitKind
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


UNIT_FIELDS = ("id", "name", "kind", "mmsi", "callsign", "home", "terminal")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


_HEX_TERMINAL = re.compile(r"^(?:[0-9a-f]{12}|[0-9a-f]{20})$")


def check_terminal(value: Any, where: str = "terminal") -> str:
    """A JT/T 808 terminal number as given (digits only, at most 20: BCD[10]; spaces and dashes dropped), or
    the 12 or 20 hex digits a terminal whose number is not BCD sends in their place (devices/jt808/header.py),
    in lower case.

    :raises Refused: anything else.
    """
    term = re.sub(r"[\s-]", "", str(value))
    if term.isascii() and term.isdigit() and 1 <= len(term) <= 20:
        return term
    if term.isascii() and _HEX_TERMINAL.match(term.lower()):
        return term.lower()
    raise Refused(f"{where}: a terminal number is 1 to 20 digits (its SIM's phone number), or the 12 or 20 hex "
                  f"digits a terminal sends that does not number itself in BCD; not {value!r}", "bad_terminal")


def terminal_key(term: str) -> str:
    """The number without leading zeros: how a 2013 header (013912345678), a 2019 header
    (00000000013912345678) and a roster (13912345678) name the same terminal."""
    return phone_key(term)


@op("units.register")
def register_units(core: Any, actor: str, units: list[dict[str, Any]]) -> dict[str, Any]:
    """Register units of the fleet (the roster): each {id, kind, name?, mmsi?, callsign?, home?, terminal?}.

    ``terminal`` is a JT/T 808 terminal's number (its SIM's phone number, up to 20 digits, e.g.
    013912345678): kept as the unit's ``terminal`` attribute in its registration event, it binds the
    terminal's positions to the unit (dispatch/jt808). All or nothing: a bad row refuses the whole
    call, naming the row. A unit already registered with the same id is left as it is (listed under
    "existing"), so a roster can be imported again.
    """
    if not isinstance(units, list) or not units:
        raise Refused("units.register needs a list of units", "bad_arguments")
    clean: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    mmsis: dict[int, str] = {}
    terminals: dict[str, str] = {}
    with core.lock:
        known_mmsi = {u.mmsi: u.id for u in core.state.units.values() if u.mmsi}
        known_terminal = {terminal_key(t): u.id for u in core.state.units.values()
                          if isinstance(t := u.attributes.get("terminal"), str)}
    for n, raw in enumerate(units, 1):
        where = f"unit {n}"
        if not isinstance(raw, dict):
            raise Refused(f"{where}: not a table of fields", "bad_unit")
        extra = sorted(set(raw) - set(UNIT_FIELDS))
        if extra:
            raise Refused(f"{where}: unknown field {', '.join(extra)}; known: {', '.join(UNIT_FIELDS)}", "bad_unit")
        uid = str(raw.get("id") or "").strip()
        if not _ID.match(uid):
            raise Refused(f"{where}: id {uid!r} must be letters, digits and - _ . : (at most 64)", "bad_unit")
        where = f"unit {n} ({uid})"
        if uid in seen:
            raise Refused(f"{where}: the same id as unit {seen[uid]}", "bad_unit")
        seen[uid] = n
        try:
            kind = UnitKind(str(raw.get("kind") or "").strip()).value
        except ValueError:
            raise Refused(f"{where}: kind must be one of {', '.join(k.value for k in UnitKind)}", "bad_unit") from None
        u: dict[str, Any] = {"id": uid, "name": str(raw.get("name") or "").strip() or uid, "kind": kind}
        if raw.get("mmsi") not in (None, ""):
            m = str(raw["mmsi"]).strip()
            if not (m.isdigit() and len(m) == 9):
                raise Refused(f"{where}: MMSI {m!r} must be 9 digits", "bad_unit")
            other = mmsis.get(int(m)) or known_mmsi.get(int(m))
            if other and other != uid:
                raise Refused(f"{where}: MMSI {m} already belongs to {other}", "bad_unit")
            mmsis[int(m)] = uid
            u["mmsi"] = int(m)
        for k in ("callsign", "home"):
            if raw.get(k) not in (None, ""):
                u[k] = str(raw[k]).strip()
        if raw.get("terminal") not in (None, ""):
            term = check_terminal(raw["terminal"], where)
            other = terminals.get(terminal_key(term)) or known_terminal.get(terminal_key(term))
            if other and other != uid:
                raise Refused(f"{where}: terminal {term} already belongs to {other}", "bad_unit")
            terminals[terminal_key(term)] = uid
            u["attributes"] = {"terminal": term}
        clean.append(u)
    with core.lock:
        existing = [u["id"] for u in clean if u["id"] in core.state.units]
    core.register_units(actor, clean)
    return {"registered": [u["id"] for u in clean if u["id"] not in existing], "existing": existing}
