"""What the gateway does with a terminal's other standard messages (devices/jt808/more.py):

- 0x0004 (2019) asks the platform's time: answered 0x8004 with the time now in UTC (a terminal without a GNSS
  fix sets its clock by it). Any connection that speaks, authenticated or not: the time is no secret.
- 0x0107, the terminal's attributes (maker, model, ICCID, hardware and firmware versions, GNSS and network
  modules): the answer to a ``read_attributes`` command (0x8107; it carries no serial: it answers the oldest
  such command waiting on this connection), recorded as the command's outcome ``values``; kept on the session
  (the device bench shows it). Not answered: it is an answer.
- 0x0108, an upgrade's result: recorded as ``jt808.upgrade_result``; answered 0x8001.
- 0x0500, a vehicle control's answer: its position goes in as a 0x0201's does; the answer to a command if one
  waits on its serial.
- 0x0701, an electronic waybill (for a construction-waste truck: the disposal permit's record): recorded as
  ``jt808.waybill`` with its text (or, not text, its bytes in hex) and its SHA-256; answered 0x8001.
- 0x0900, transparent data (a vendor's sensors, an OBD reader on the terminal's serial port): kept on the
  session, the latest of each type with how many came (``passthrough``), and answered 0x8001. Not recorded: it
  is telemetry the bureau does not read, and a terminal may send it every few seconds for years.
- 0x0901, compressed data: inflated (at most 64 KiB: devices/jt808/extra.py) and kept as 0x0900's are, as the type
  ``compressed``; answered 0x8001.
- 0x0705, CAN bus data (a truck's engine, body and load sensors on its bus): kept on the session per bus id, the
  latest frame of each with how many came (``can``, at most CAN_IDS_KEPT ids), and answered 0x8001. Not recorded,
  as 0x0900 is not.
- 0x0A00, the terminal's RSA public key: kept on the session (e and the modulus's SHA-256, ``rsa_key``) and
  answered 0x8001. The gateway encrypts nothing (no body it sends sets the header's encryption bits), so the key
  is only shown.
- 0x0301 (2013), an event the driver reports by its id (the button the terminal's event menu has): recorded as
  ``jt808.event_report``; 0x0303 (2013), an information service asked for or cancelled: kept on the session
  (``info_demand``); 0x0302 (2013), the answer to a question: this gateway asks none (0x8302), so it is logged
  and counted. Each answered 0x8001.
- 0x0802, the answer to a ``find_photos`` search (0x8802): the outcome's ``found``, one row per media item the
  terminal keeps (id, camera, why, when and where), which ``upload_photos`` can then ask for.

Messages that carry what a truck did are taken from authenticated terminals only (the handler checks).
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from devices.jt808 import encode
from devices.jt808.extra import (
    CanBusData,
    CompressedData,
    EventReport,
    InfoDemand,
    QuestionAnswer,
    TerminalRsaKey,
)
from devices.jt808.messages import RESULT_OK
from devices.jt808.more import (
    Passthrough,
    ServerTimeQuery,
    StoredMediaReply,
    TerminalAttributes,
    UpgradeResult,
    VehicleControlReply,
    Waybill,
)
from dispatch.jt808.session import TerminalSession
from dispatch.store import NewEvent

if TYPE_CHECKING:
    from dispatch.jt808.gateway import Gateway

log = logging.getLogger("dispatch.jt808.handler")

WAYBILL_MAX = 4096  # bytes of a waybill recorded (its SHA-256 is of all of it)
PASSTHROUGH_HEAD = 64  # bytes of a transparent message's start kept to show
PASSTHROUGH_KINDS_KEPT = 16  # types kept per session (a terminal that makes up types fills no memory)
CAN_IDS_KEPT = 64  # CAN bus ids kept per session (a bus has a few dozen that matter)

ANYONE = (ServerTimeQuery,)
ANSWERS = (TerminalAttributes, StoredMediaReply)
AUTHENTICATED = (UpgradeResult, VehicleControlReply, Waybill, Passthrough, CompressedData, CanBusData, TerminalRsaKey,
                 EventReport, QuestionAnswer, InfoDemand)
Reported = (UpgradeResult | Waybill | Passthrough | CompressedData | CanBusData | TerminalRsaKey | EventReport
            | QuestionAnswer | InfoDemand)


def server_time(gw: Gateway, s: TerminalSession, m: ServerTimeQuery) -> None:
    gw.send(s, encode.SERVER_TIME, encode.server_time_body(datetime.now(UTC)))


def attributes_of(m: TerminalAttributes) -> dict[str, Any]:
    """A 0x0107 as the command's outcome and the session keep it."""
    return {"manufacturer": m.manufacturer, "model": m.model, "terminal_id": m.terminal_id, "iccid": m.iccid,
            "hardware": m.hardware, "firmware": m.firmware, "kinds": list(m.kinds), "gnss": list(m.gnss_names),
            "network": list(m.network_names)}


def answered(gw: Gateway, s: TerminalSession, m: TerminalAttributes | StoredMediaReply) -> None:
    """An answer to a command: 0x0802 by the serial it names, 0x0107 (no serial) the oldest read_attributes
    waiting on this connection."""
    if isinstance(m, TerminalAttributes):
        s.attributes = attributes_of(m)
        asked = [(seq, ours) for ours, (what, seq) in s.pending.items()
                 if what == "command" and gw.downlink.commands.get(seq, {}).get("command") == "read_attributes"]
        serial = min(asked)[1] if asked else None  # the oldest by its event (our serials wrap at 65535)
        waiting = s.pending.pop(serial, None) if serial is not None else None
        if waiting is not None:
            gw.downlink.answered(s, waiting[0], waiting[1], RESULT_OK, values=s.attributes)
        log.info("jt808 %s: attributes %s %s, firmware %s, ICCID %s", s.label, m.manufacturer, m.model, m.firmware,
                 m.iccid)
        return
    waiting = s.pending.pop(m.reply_serial, None)
    if waiting is not None:
        gw.downlink.answered(s, waiting[0], waiting[1], RESULT_OK, found=[_found(item) for item in m.items])


def _found(item: Any) -> dict[str, Any]:
    loc = item.location
    return {"media_id": item.media_id, "channel": item.channel, "event": item.event_name, "type": item.kind,
            "time": loc.time.timestamp() if loc.time is not None else None,
            "lat": round(loc.lat, 6) if loc.status & 2 else None, "lon": round(loc.lon, 6) if loc.status & 2 else None}


def reported(gw: Gateway, s: TerminalSession, m: Reported, unit: str, *, answer: bool = True) -> None:
    """What an authenticated terminal of `unit` reports on its own (0x0108, 0x0701, 0x0900, 0x0901, 0x0705,
    0x0A00, 0x0301-0x0303); answered 0x8001 (not a message joined from packages: each package was)."""
    if isinstance(m, UpgradeResult):
        gw.queue_event(NewEvent("jt808.upgrade_result", {"unit": unit, "terminal": s.phone, "kind": m.kind_name,
                                                         "result": m.result_name}, f"unit:{unit}"))
        log.log(logging.INFO if m.result == 0 else logging.WARNING, "jt808 %s: upgrade of the %s: %s", s.label,
                m.kind_name, m.result_name)
    elif isinstance(m, Waybill):
        text = m.text
        p: dict[str, Any] = {"unit": unit, "terminal": s.phone, "size": len(m.content),
                             "sha256": hashlib.sha256(m.content).hexdigest(), "at": time.time()}
        if text is not None:
            p["text"] = text[:WAYBILL_MAX]
        else:
            p["hex"] = m.content[:WAYBILL_MAX].hex()
        p["truncated"] = len(m.content) > WAYBILL_MAX
        gw.queue_event(NewEvent("jt808.waybill", p, f"unit:{unit}"))
        log.info("jt808 %s: waybill of %d bytes", s.label, len(m.content))
    elif isinstance(m, Passthrough | CompressedData):
        _keep_passthrough(gw, s, m.kind_name if isinstance(m, Passthrough) else "compressed", m.data)
    else:
        _kept(gw, s, m, unit)
    if answer:
        gw.send(s, encode.PLATFORM_RESPONSE, encode.platform_response_body(m.header.serial, m.header.msg_id, RESULT_OK))


def _count_in(table: dict[str, dict[str, Any]], key: str, limit: int, **latest: Any) -> bool:
    """One more `key` in a session's table of at most `limit` keys: its count and its `latest` fields. False (nothing
    kept) when the table is full of other keys: a terminal that makes up keys fills no memory."""
    kept = table.get(key)
    if kept is None and len(table) >= limit:
        return False
    table[key] = {"count": (kept or {}).get("count", 0) + 1, **latest}
    return True


def _keep_passthrough(gw: Gateway, s: TerminalSession, kind: str, data: bytes) -> None:
    if not _count_in(s.passthrough, kind, PASSTHROUGH_KINDS_KEPT, at=time.time(), size=len(data),
                     head=data[:PASSTHROUGH_HEAD].hex()):
        gw.count("passthrough_dropped")
    gw.count("passthrough")


def _kept(gw: Gateway, s: TerminalSession, m: CanBusData | TerminalRsaKey | EventReport | QuestionAnswer | InfoDemand,
          unit: str) -> None:
    """0x0705, 0x0A00, 0x0301, 0x0302, 0x0303 (see the module's docstring)."""
    now = time.time()
    if isinstance(m, CanBusData):
        for item in m.items:
            if not _count_in(s.can, item.id_hex, CAN_IDS_KEPT, at=now, channel=item.channel, data=item.data.hex(),
                             averaged=item.averaged):
                gw.count("can_dropped")
        gw.count("can")
    elif isinstance(m, TerminalRsaKey):
        s.rsa_key = {"e": m.e, "sha256": hashlib.sha256(m.modulus).hexdigest(), "at": now}
        log.info("jt808 %s: RSA public key, modulus SHA-256 %s", s.label, s.rsa_key["sha256"][:16])
    elif isinstance(m, EventReport):
        gw.queue_event(NewEvent("jt808.event_report", {"unit": unit, "terminal": s.phone, "event_id": m.event_id,
                                                       "at": now}, f"unit:{unit}"))
        log.info("jt808 %s: the driver reported event %d", s.label, m.event_id)
    elif isinstance(m, InfoDemand):
        s.info_demand[str(m.info_type)] = m.demand
        log.info("jt808 %s: information service %d %s", s.label, m.info_type, "asked for" if m.demand else "cancelled")
    else:
        gw.count("question_answer")
        log.info("jt808 %s: answer %d to question 0x8302 serial %d, which this gateway did not ask", s.label,
                 m.answer_id, m.reply_serial)
