"""What the platform does with each message a terminal sends, as the standard has it.

Every terminal message is answered: 0x8100 to a registration (result 0 and the authentication
code when a unit has the terminal's number, 4 "no such terminal" when none has), 0x8001 to the
rest with the message's own serial and id and the result: 0 ok, 1 failure (a wrong
authentication code, positions before authenticating), 2 a message that does not parse (a body
too short, a body length that lies in a frame whose check code holds), 3 an id we do not support.
Frames whose header cannot be trusted (a wrong check code, broken escapes, truncated, too long)
are not answered: there is no serial to answer. Terminal answers (0x0001) and position replies
(0x0201) are answers themselves and get none.

Runs on the gateway's event-loop thread: no locks taken, no store touched; positions and
events go to the gateway's ingest queue. A driver's card put in or taken out (0x0702) is recorded as
``jt808.driver_identity`` and answered 0x8001 result 0. A photo (0x0801) is answered 0x8800 once it is kept
(dispatch/jt808/media.py), its announcement (0x0800) 0x8001; a photo command's answer (0x0805) is an answer like
0x0001. A split message whose last package comes with others missing has them asked for again (0x8003; a photo's
0x8800). The session's bookkeeping is done before the answer is written, so whoever sees the answer sees its effects.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from devices.errors import DeviceError, UnknownMessageError
from devices.jt808 import encode
from devices.jt808.bits import alarm_names
from devices.jt808.messages import (
    NO_SUCH_TERMINAL,
    REGISTER_OK,
    RESULT_BAD_MESSAGE,
    RESULT_FAILURE,
    RESULT_OK,
    RESULT_UNSUPPORTED,
    Authenticate,
    CameraShotReply,
    DriverIdentity,
    Fragment,
    Heartbeat,
    Location,
    LocationBatch,
    LocationReport,
    Logout,
    MediaEvent,
    MediaUpload,
    ParametersReply,
    PositionReply,
    Register,
    TerminalResponse,
    locations_of,
    source_key,
)
from devices.jt808.more import VehicleControlReply
from devices.jt808.report import driver_card
from dispatch.jt808 import media, uplink
from dispatch.jt808.commands import said_values
from dispatch.jt808.session import TerminalSession
from dispatch.store import NewEvent

if TYPE_CHECKING:
    from dispatch.jt808.gateway import Gateway

log = logging.getLogger(__name__)
LOGGED_ERRORS = 20  # bad frames logged per connection at warning level; after that at debug


def handle(gw: Gateway, s: TerminalSession, item: Any, arrived: float) -> None:
    """One decoded item of a terminal's stream (a message or a `DeviceError`)."""
    now = time.time()
    if isinstance(item, DeviceError):
        _bad(gw, s, item)
        return
    s.bad_in_row = 0
    h = item.header
    if s.phone is None:
        s.phone, s.header_edition, s.protocol_version = h.phone, h.edition, h.protocol_version
    elif h.phone != s.phone:
        s.error("phone_changed", f"0x{h.msg_id:04X} from {h.phone} on {s.phone}'s connection")
        gw.count("phone_changed")
        _ack(gw, s, h, RESULT_FAILURE)
        return
    s.saw(h.msg_id, now)
    if isinstance(item, Fragment):
        _ack(gw, s, h, RESULT_OK)  # each package is answered; the joined message comes after the last one
        if h.package == h.packages:  # the last package: any missing ones are asked for again
            ask_again(gw, s, h)
        return
    joined = h.packages > 1
    if isinstance(item, Register):
        _register(gw, s, item)
    elif isinstance(item, Authenticate):
        _authenticate(gw, s, item)
    elif isinstance(item, Heartbeat):
        _ack(gw, s, h, RESULT_OK)
    elif isinstance(item, Logout):
        s.authenticated = False
        _ack(gw, s, h, RESULT_OK)
    elif isinstance(item, TerminalResponse | CameraShotReply | ParametersReply):
        _answer(gw, s, item)
    elif isinstance(item, uplink.ANYONE):
        uplink.server_time(gw, s, item)
    elif isinstance(item, uplink.ANSWERS):
        uplink.answered(gw, s, item)
    elif isinstance(item, uplink.AUTHENTICATED):
        _reported(gw, s, item, arrived, joined)
    elif isinstance(item, LocationReport | LocationBatch | PositionReply | DriverIdentity | MediaEvent | MediaUpload):
        if not s.authenticated:
            s.error("unauthenticated", f"0x{h.msg_id:04X} before authentication")
            gw.count("unauthenticated")
            if not isinstance(item, PositionReply):
                _ack(gw, s, h, RESULT_FAILURE)
            return
        if isinstance(item, MediaUpload):
            if not media.uploaded(gw, s, item):  # no unit: refused; kept: answered 0x8800 once written
                _ack(gw, s, h, RESULT_FAILURE)
            return
        if isinstance(item, DriverIdentity):
            _driver(gw, s, item)
        elif isinstance(item, MediaEvent):
            media.announced(gw, s, item)
        else:
            _positions(gw, s, locations_of(item), arrived, live=not isinstance(item, LocationBatch))
        if isinstance(item, PositionReply):
            _answer(gw, s, item)
        elif not joined:
            _ack(gw, s, h, RESULT_OK)
    else:  # a platform message (0x8xxx) from a terminal
        s.error("unsupported", f"0x{h.msg_id:04X} is the platform's to send")
        gw.count("unsupported")
        _ack(gw, s, h, RESULT_UNSUPPORTED)


def _reported(gw: Gateway, s: TerminalSession, item: Any, arrived: float, joined: bool) -> None:
    """0x0108, 0x0500, 0x0701, 0x0900, 0x0901, 0x0705, 0x0A00, 0x0301-0x0303 (dispatch/jt808/uplink.py): an
    authenticated terminal's, of a bound unit."""
    h = item.header
    unit = gw.unit_for(s.phone or "") if s.authenticated else None
    if unit is None:
        code = "unauthenticated" if not s.authenticated else "unbound"
        s.error(code, f"0x{h.msg_id:04X} " + ("before authentication" if code == "unauthenticated" else "of a terminal no unit has"))
        gw.count(code)
        _ack(gw, s, h, RESULT_FAILURE)
        return
    if isinstance(item, VehicleControlReply):
        _positions(gw, s, (item.location,), arrived, live=True)
        _answer(gw, s, item)
    else:
        uplink.reported(gw, s, item, unit, answer=not joined)


def ask_again(gw: Gateway, s: TerminalSession, h: Any) -> None:
    """A split message lacks packages (its last one came with others missing, or the gateway's sweep found it
    stalled): a photo's 0x8800 names them (dispatch/jt808/media.py); any other message's 0x8003, by the serial of
    its package 1 (at most 255 at a time)."""
    first, missing = s.stream.assembler.missing(h)
    if not missing:
        return
    if h.msg_id == encode.MEDIA_UPLOAD and s.authenticated and media.ask_again(gw, s, h, first, missing):
        return
    serial = s.stream.assembler.first_serial_of(h)
    gw.count("packages_asked_again")
    log.info("jt808 %s: 0x%04X (serial %d) came without %d of its %d packages: asked for again", s.label, h.msg_id,
             serial, len(missing), h.packages)
    gw.send(s, encode.RETRANSMIT_REQUEST, encode.retransmit_body(serial, missing[:255]))


def _ack(gw: Gateway, s: TerminalSession, h: Any, result: int) -> None:
    gw.send(s, encode.PLATFORM_RESPONSE, encode.platform_response_body(h.serial, h.msg_id, result))


def _bad(gw: Gateway, s: TerminalSession, exc: DeviceError) -> None:
    code = getattr(exc, "code", "malformed")
    s.error(code, str(exc))
    gw.count(code)
    unsupported = isinstance(exc, UnknownMessageError)
    if not unsupported:  # an id we do not decode comes in a good frame: vendor data in 50 packages is no attack
        s.bad_in_row += 1
    level = logging.WARNING if sum(s.errors.values()) <= LOGGED_ERRORS else logging.DEBUG
    log.log(level, "jt808 %s: %s frame: %s", s.label, code, exc)
    h = getattr(exc, "header", None)
    if h is not None and h.msg_id < 0x8000:  # a readable header: the terminal gets its answer
        _ack(gw, s, h, RESULT_UNSUPPORTED if unsupported else RESULT_BAD_MESSAGE)
    if s.bad_in_row >= gw.max_bad_frames:
        gw.close(s, f"{s.bad_in_row} bad frames in a row")


def _register(gw: Gateway, s: TerminalSession, m: Register) -> None:
    h = m.header
    s.edition = m.edition
    s.registered = {"plate": m.plate, "plate_color": m.plate_color, "manufacturer": m.manufacturer,
                    "model": m.model, "terminal_id": m.terminal_id, "province": m.province, "city": m.city,
                    "edition": m.edition}
    unit = gw.unit_for(h.phone)
    if unit is None:
        gw.count("unknown_terminal")
        gw.note_unknown(s, m)
        log.warning("jt808 %s: registration refused: no unit has terminal %s (plate %s)", s.label, h.phone, m.plate)
        gw.send(s, encode.REGISTER_RESPONSE, encode.register_response_body(h.serial, NO_SUCH_TERMINAL))
        return
    s.unit = unit
    gw.forget_unknown(h.phone)
    gw.queue_event(NewEvent("jt808.registered", {"unit": unit, "terminal": h.phone, **s.registered}, f"unit:{unit}"))
    log.info("jt808 %s: registered (%s, %s %s, edition %s)", s.label, m.plate, m.manufacturer, m.model, m.edition)
    gw.send(s, encode.REGISTER_RESPONSE, encode.register_response_body(h.serial, REGISTER_OK, gw.auth_code(h.phone)))


def _authenticate(gw: Gateway, s: TerminalSession, m: Authenticate) -> None:
    h = m.header
    unit = gw.unit_for(h.phone)
    ok = unit is not None and m.code == gw.auth_code(h.phone)
    if not ok:
        s.authenticated = False
        s.error("auth_failed", "no unit has this terminal" if unit is None else "wrong authentication code")
        gw.count("auth_failed")
        log.warning("jt808 %s: authentication refused (%s)", s.label,
                    "no unit has this terminal" if unit is None else "wrong code")
        _ack(gw, s, h, RESULT_FAILURE)
        return
    s.unit = unit
    s.authenticated = True
    if m.software:
        s.registered = {**(s.registered or {}), "software": m.software, "imei": m.imei}
    gw.authenticated(s)
    _ack(gw, s, h, RESULT_OK)
    gw.downlink.authenticated(s)  # after the answer: the texts and commands waiting for it follow


def _answer(gw: Gateway, s: TerminalSession,
            m: TerminalResponse | PositionReply | CameraShotReply | ParametersReply | VehicleControlReply) -> None:
    """An answer to a text or a command we sent (by our serial): its outcome is recorded."""
    waiting = s.pending.pop(m.reply_serial, None)
    if waiting is None:
        return
    what, sent = waiting
    if isinstance(m, PositionReply | VehicleControlReply):
        gw.downlink.answered(s, what, sent, None, m.location)
    elif isinstance(m, CameraShotReply):
        gw.downlink.answered(s, what, sent, m.result, media_ids=m.media_ids)
    elif isinstance(m, ParametersReply):
        gw.downlink.answered(s, what, sent, 0, values=said_values(m.params))
    else:
        gw.downlink.answered(s, what, sent, m.result)


def _positions(gw: Gateway, s: TerminalSession, locations: tuple[Location, ...], arrived: float, *,
               live: bool) -> None:
    """Positions to the ingest queue; alarm bits raised or cleared (live reports only: a blind-area
    batch tells the past, not what is on now) to events."""
    unit = s.unit = gw.unit_for(s.phone or "")
    if unit is None:  # unbound since it authenticated
        s.error("unbound", "positions of a terminal no unit has")
        gw.count("unbound")
        return
    src = source_key(s.phone or "")
    rows = []
    newest: Location | None = None
    for loc in locations:
        if not loc.status & 2 or loc.time is None:
            continue  # no fix, or no date
        ts = loc.time.timestamp()
        rows.append((unit, ts, loc.lat, loc.lon, loc.speed / 3.6, float(loc.course), src))
        if newest is None or newest.time is None or loc.time >= newest.time:
            newest = loc
    s.positions += len(rows)
    if rows:
        gw.queue_rows(rows, arrived)
    if newest is not None:
        s.last_position = (newest.lat, newest.lon, newest.time.timestamp() if newest.time else None)
    latest = locations[-1] if locations and live else None
    if latest is not None:
        s.alarm = latest.alarm
        if latest.alarm != gw.alarms.get(unit, 0):
            _alarms(gw, s, unit, latest)


def _driver(gw: Gateway, s: TerminalSession, m: DriverIdentity) -> None:
    """A driver's card put in or taken out: recorded (who drove which truck when is a penalty case's evidence)."""
    unit = s.unit = gw.unit_for(s.phone or "")
    if unit is None:
        s.error("unbound", "a driver's card on a terminal no unit has")
        gw.count("unbound")
        return
    p = {"unit": unit, "terminal": s.phone, **driver_card(m), "time": m.time.timestamp() if m.time is not None else None}
    gw.queue_event(NewEvent("jt808.driver_identity", p, f"unit:{unit}"))
    log.info("jt808 %s: driver card %s%s", s.label, p["card"], f" ({m.name}, {m.certificate})" if m.read_result == 0 else "")


def _alarms(gw: Gateway, s: TerminalSession, unit: str, loc: Location) -> None:
    """Alarm bits raised or cleared against what the unit's terminal had on (kept per unit, so a terminal
    that reconnects repeating its alarms raises nothing new, and one that comes back without them clears them)."""
    before = gw.alarms.get(unit, 0)
    raised, cleared = loc.alarm & ~before, before & ~loc.alarm
    gw.alarms[unit] = loc.alarm
    when = loc.time.timestamp() if loc.time is not None else time.time()
    if raised:
        names = list(alarm_names(raised))
        area = loc.extras.area  # item 0x12: which of the areas it keeps (commands.set_area) it crossed
        gw.queue_event(NewEvent("jt808.alarm", {
            "unit": unit, "terminal": s.phone, "alarms": names, "active": list(alarm_names(loc.alarm)),
            "lat": round(loc.lat, 6), "lon": round(loc.lon, 6), "time": when, "speed_kmh": loc.speed,
            **({"area": {"kind": area.kind, "area_id": area.area_id, "entering": area.entering}} if area else {}),
        }, f"unit:{unit}"))
        log.warning("jt808 %s: alarm %s at %.6f,%.6f", s.label, ", ".join(names), loc.lat, loc.lon)
    if cleared:
        gw.queue_event(NewEvent("jt808.alarm_cleared", {"unit": unit, "terminal": s.phone,
                                                        "alarms": list(alarm_names(cleared)), "time": when},
                                f"unit:{unit}"))
