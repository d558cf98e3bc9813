"""JT/T 808 messages and errors as JSON-able dicts: what ``main.py decode --jt808`` prints per line,
and what the device bench's monitor shows.

Every message has ``id`` ("0x0200"), ``phone`` (as sent), ``serial`` and ``edition``. A position
(0x0200, 0x0201) puts ``lat``, ``lon``, ``time`` (ISO 8601 UTC), ``speed`` (km/h), ``course``,
``altitude``, ``alarms`` and ``status`` (names) at the top level; a batch (0x0704) lists them under
``positions``. A photo (0x0801) says its media id, type, format, why it was taken, the camera, ``mime``,
``bytes`` and ``sha256`` of its data (not the data) and its position. The messages of `devices.jt808.more`: a
terminal's attributes with its type, GNSS and network names; a waybill's ``text`` (or none) and ``bytes``;
transparent data's ``kind``, ``bytes`` and its first 16 bytes in hex (``head``); a search of kept media its items,
each with its position. The messages of `devices.jt808.extra`: CAN bus data's receive time (``hh:mm:ss.mmm``, the
terminal's time of day) and items (the ID in hex, the data in hex); compressed data's ``compressed`` and inflated
``bytes`` and its first 16 bytes in hex; an RSA key's ``e`` and ``n`` (hex); an event setting's ``setting`` name and
events; a question's flags, text and candidate answers. Times are ISO 8601 UTC. An error is
``{"error": code, "message": ...}`` with the frame's header fields when the header could be read, and the frame in
hex.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime
from typing import Any

from devices.errors import DeviceError
from devices.jt808.extra import (
    CanBusData,
    CompressedData,
    EventSetting,
    PlatformRsaKey,
    Question,
    TerminalRsaKey,
)
from devices.jt808.messages import (
    CAMERA_RESULTS,
    CARD_READ,
    MEDIA_EVENTS,
    MEDIA_TYPES,
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
    _named,
)
from devices.jt808.more import (
    Passthrough,
    PassthroughDown,
    StoredMediaQuery,
    StoredMediaReply,
    TerminalAttributes,
    UpgradeResult,
    VehicleControlReply,
    Waybill,
)
from devices.jt808.params import name_of

HEAD = 16  # bytes of transparent data shown in hex


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
    elif isinstance(msg, PositionReply | VehicleControlReply):
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
    elif not _more(msg, out) and not _extra(msg, out):
        for f in dataclasses.fields(msg):  # type: ignore[arg-type]
            if f.name != "header":
                value = getattr(msg, f.name)
                out[f.name] = iso(value) if isinstance(value, datetime) else value
        if isinstance(msg, TerminalResponse) or "reply_id" in out:
            out["reply_id"] = f"0x{out['reply_id']:04X}"
            out["result"] = RESULTS.get(out["result"], out["result"])
    return out


def _more(msg: object, out: dict[str, Any]) -> bool:
    """The fields of a message of `devices.jt808.more` that are not plain numbers (False: another message)."""
    if isinstance(msg, TerminalAttributes):
        out.update(terminal_type=list(msg.kinds), manufacturer=msg.manufacturer, model=msg.model,
                   terminal_id=msg.terminal_id, iccid=msg.iccid, hardware=msg.hardware, firmware=msg.firmware,
                   gnss=list(msg.gnss_names), network=list(msg.network_names))
    elif isinstance(msg, UpgradeResult):
        out.update(kind=msg.kind_name, result=msg.result_name)
    elif isinstance(msg, Waybill):
        text = msg.text
        out.update({"bytes": len(msg.content), **({} if text is None else {"text": text})})
    elif isinstance(msg, Passthrough | PassthroughDown):
        out.update(kind=msg.kind_name, bytes=len(msg.data), head=msg.data[:HEAD].hex())
    elif isinstance(msg, StoredMediaQuery):
        out.update(media_type=_named(MEDIA_TYPES, msg.media_type, "type"), channel=msg.channel,
                   event=_named(MEDIA_EVENTS, msg.event, "event"), start=iso(msg.start), end=iso(msg.end))
    elif isinstance(msg, StoredMediaReply):
        out["reply_serial"] = msg.reply_serial
        out["items"] = [{"media_id": i.media_id, "media_type": i.kind, "channel": i.channel, "event": i.event_name,
                         **position(i.location)} for i in msg.items]
    else:
        return False
    return True


def _extra(msg: object, out: dict[str, Any]) -> bool:
    """The fields of a message of `devices.jt808.extra` that are not plain numbers (False: another message)."""
    if isinstance(msg, CanBusData):
        out["received"] = msg.received.isoformat(timespec="milliseconds")
        out["items"] = [{"channel": i.channel, "extended": i.extended, "averaged": i.averaged, "can_id": i.id_hex,
                         "data": i.data.hex()} for i in msg.items]
    elif isinstance(msg, CompressedData):
        out.update(compressed=msg.compressed_length, bytes=len(msg.data), head=msg.data[:HEAD].hex())
    elif isinstance(msg, TerminalRsaKey | PlatformRsaKey):
        out.update(e=msg.e, n=msg.modulus.hex())
    elif isinstance(msg, EventSetting):
        out["setting"] = msg.setting_name
        out["events"] = [{"event_id": e.event_id, "text": e.text} for e in msg.events]
    elif isinstance(msg, Question):
        out.update(urgent=msg.urgent, tts=msg.tts, display=msg.display, question=msg.question,
                   answers=[{"answer_id": a.answer_id, "text": a.text} for a in msg.answers])
    else:
        return False
    return True


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
