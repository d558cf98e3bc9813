"""JT/T 808 messages and errors as JSON-able dicts: what ``main.py decode --jt808`` prints per line,
and what the device bench's monitor shows.

Every message has ``id`` ("0x0200"), ``phone`` (as sent), ``serial`` and ``edition``. A position
(0x0200, 0x0201) puts ``lat``, ``lon``, ``time`` (ISO 8601 UTC), ``speed`` (km/h), ``course``,
``altitude``, ``alarms`` and ``status`` (names) at the top level; a batch (0x0704) lists them under
``positions``. A photo (0x0801) says its media id, type, format, why it was taken, the camera, ``mime``,
``bytes`` and ``sha256`` of its data (not the data) and its position. An error is ``{"error": code, "message": ...}`` with the frame's header fields when
the header could be read, and the frame in hex.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime
from typing import Any

from devices.errors import DeviceError
from devices.jt808.messages import (
    CAMERA_RESULTS,
    CARD_READ,
    REGISTER_RESULTS,
    RESULTS,
    CameraShotReply,
    DriverIdentity,
    Extras,
    Fragment,
    Location,
    LocationBatch,
    LocationReport,
    MediaEvent,
    MediaUpload,
    ParametersReply,
    PositionReply,
    Register,
    RegisterResponse,
    SetParameters,
    TerminalResponse,
)
from devices.jt808.params import name_of


def iso(when: datetime | None) -> str | None:
    return None if when is None else when.strftime("%Y-%m-%dT%H:%M:%SZ")


def position(loc: Location) -> dict[str, Any]:
    out: dict[str, Any] = {
        "lat": round(loc.lat, 6), "lon": round(loc.lon, 6), "time": iso(loc.time), "speed": round(loc.speed, 1),
        "course": loc.course, "altitude": loc.altitude, "alarms": list(loc.alarms), "status": list(loc.statuses),
    }
    extras = _extras(loc.extras)
    if extras:
        out["extras"] = extras
    return out


def _extras(x: Extras) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(x):
        value = getattr(x, f.name)
        if value is None or f.name == "raw":
            continue
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            out[f.name] = dataclasses.asdict(value)
        else:
            out[f.name] = list(value) if isinstance(value, tuple) else value
    if x.raw:
        out["raw"] = [{"id": f"0x{item:02X}", "data": data.hex()} for item, data in x.raw]
    return out


def driver_card(msg: DriverIdentity) -> dict[str, Any]:
    """A driver's card put in or taken out (0x0702), without its time: ``card`` ("inserted" / "removed"),
    ``read`` (CARD_READ) with a card put in, and what a card read says."""
    out: dict[str, Any] = {"card": "inserted" if msg.inserted else "removed"}
    if msg.read_result is not None:
        out["read"] = CARD_READ.get(msg.read_result, msg.read_result)
    if msg.read_result == 0:
        out.update(name=msg.name, certificate=msg.certificate, agency=msg.agency, valid_until=msg.valid_until)
        if msg.id_number:
            out["id_number"] = msg.id_number
    return out


def message(msg: object) -> dict[str, Any]:
    """One message as a dict (see the module's docstring)."""
    h = msg.header  # type: ignore[attr-defined]
    out: dict[str, Any] = {"id": f"0x{h.msg_id:04X}", "phone": h.phone, "serial": h.serial, "edition": h.edition}
    if h.packages:
        out["packages"] = h.packages
        out["package"] = h.package
    if isinstance(msg, LocationReport):
        out.update(position(msg.location))
    elif isinstance(msg, PositionReply):
        out["reply_serial"] = msg.reply_serial
        out.update(position(msg.location))
    elif isinstance(msg, LocationBatch):
        out["blind_area"] = msg.blind_area
        out["positions"] = [position(loc) for loc in msg.locations]
    elif isinstance(msg, Fragment):
        out["data"] = msg.data.hex()
    elif isinstance(msg, Register):
        out.update({k: getattr(msg, k) for k in ("edition", "province", "city", "manufacturer", "model", "terminal_id",
                                                 "plate_color", "plate")})
    elif isinstance(msg, RegisterResponse):
        out.update(reply_serial=msg.reply_serial, result=REGISTER_RESULTS.get(msg.result, msg.result),
                   auth_code=msg.auth_code)
    elif isinstance(msg, DriverIdentity):
        out.update(driver_card(msg), time=iso(msg.time))
    elif isinstance(msg, MediaEvent | MediaUpload):
        out.update(media_id=msg.media_id, media_type=msg.kind, format=msg.format_name, event=msg.event_name,
                   channel=msg.channel)
        if isinstance(msg, MediaUpload):
            out.update(mime=msg.mime, bytes=len(msg.data), sha256=hashlib.sha256(msg.data).hexdigest())
            if msg.location is not None:
                out.update(position(msg.location))
    elif isinstance(msg, CameraShotReply):
        out.update(reply_serial=msg.reply_serial, result=CAMERA_RESULTS.get(msg.result, msg.result),
                   media_ids=list(msg.media_ids))
    elif isinstance(msg, SetParameters | ParametersReply):
        if isinstance(msg, ParametersReply):
            out["reply_serial"] = msg.reply_serial
        out["params"] = {name_of(pid): (v.hex() if isinstance(v, bytes) else v) for pid, v in msg.params}
    else:
        for f in dataclasses.fields(msg):  # type: ignore[arg-type]
            if f.name != "header":
                out[f.name] = getattr(msg, f.name)
        if isinstance(msg, TerminalResponse) or "reply_id" in out:
            out["reply_id"] = f"0x{out['reply_id']:04X}"
            out["result"] = RESULTS.get(out["result"], out["result"])
    return out


def error(exc: DeviceError) -> dict[str, Any]:
    """An error as a dict: its code, its message, the header if read, the raw frame in hex."""
    out: dict[str, Any] = {"error": getattr(exc, "code", "malformed"), "message": str(exc)}
    h = getattr(exc, "header", None)
    if h is not None:
        out.update(id=f"0x{h.msg_id:04X}", phone=h.phone, serial=h.serial)
    raw = exc.raw
    if isinstance(raw, bytes | bytearray):
        out["raw"] = bytes(raw).hex()
    elif isinstance(raw, str):
        out["raw"] = raw
    return out
