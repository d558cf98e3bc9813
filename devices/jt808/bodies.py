"""Message bodies to typed records: one small function per message id, in an explicit table.

`DECODERS` maps a message id to ``fn(header, body) -> record`` (those of `devices.jt808.more` and
`devices.jt808.extra` too);
`decode_body` raises `UnknownMessageError` for an id not in it. Every body is checked for length before it
is read, so a short body is a `BodyError`, never an IndexError or a struct.error.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from devices.errors import BodyError, EncryptedMessageError, UnknownMessageError
from devices.jt808 import location
from devices.jt808.areas import delete_areas, polygon_area, route
from devices.jt808.bodyparts import location_at as _location
from devices.jt808.bodyparts import need as _need
from devices.jt808.extra import (
    ExtraMessage,
    can_bus_data,
    compressed_data,
    event_report,
    event_setting,
    info_demand,
    question,
    question_answer,
    rsa_key,
)
from devices.jt808.header import Header, beijing_time
from devices.jt808.messages import (
    AlarmConfirm,
    Authenticate,
    CameraShoot,
    CameraShotReply,
    DriverIdentity,
    Heartbeat,
    LocationBatch,
    LocationReport,
    Logout,
    MediaEvent,
    MediaUpload,
    MediaUploadResponse,
    Message,
    ParametersReply,
    PlatformResponse,
    PositionQuery,
    PositionReply,
    QueryParameters,
    Register,
    RegisterResponse,
    RetransmitRequest,
    SetParameters,
    StoredMediaUpload,
    TemporaryTracking,
    TerminalResponse,
    TextMessage,
    new_location_report,
)
from devices.jt808.more import (
    MoreMessage,
    passthrough,
    query_attributes,
    server_time,
    server_time_query,
    stored_media_query,
    stored_media_reply,
    terminal_attributes,
    upgrade_result,
    vehicle_control_reply,
    waybill,
)
from devices.jt808.params import value_of
from devices.jt808.text import field, ident, text

_HHB = struct.Struct(">HHB")
_HB = struct.Struct(">HB")
_HI = struct.Struct(">HI")
_HH = struct.Struct(">HH")
_H = struct.Struct(">H")
_I = struct.Struct(">I")
_MEDIA = struct.Struct(">IBBBB")  # 0x0800, and the head of 0x0801: id, type, format, event, channel
_CAMERA = struct.Struct(">BHHBBBBBBB")  # 0x8801
_MEDIA_POSITION_END = _MEDIA.size + location.FIXED_SIZE  # 36: where a 2013/2019 upload's data starts
_JPEG_SOI = b"\xff\xd8"

# 0x0100 fixed parts: province, city, maker, model, terminal id, plate colour (the plate follows)
_REG_2011 = (5, 8, 7)
_REG_2013 = (5, 20, 7)
_REG_2019 = (11, 30, 30)


def terminal_response(h: Header, body: bytes) -> TerminalResponse:
    _need(h, body, 5, "terminal response")
    return TerminalResponse(h, *_HHB.unpack_from(body))


def platform_response(h: Header, body: bytes) -> PlatformResponse:
    _need(h, body, 5, "platform response")
    return PlatformResponse(h, *_HHB.unpack_from(body))


def heartbeat(h: Header, body: bytes) -> Heartbeat:
    return Heartbeat(h)


def logout(h: Header, body: bytes) -> Logout:
    return Logout(h)


def register(h: Header, body: bytes) -> Register:
    if h.edition == 2019:
        layout, edition = _REG_2019, 2019
    elif len(body) < 4 + sum(_REG_2013) + 1:
        layout, edition = _REG_2011, 2011  # the 2011 body is 12 bytes shorter: no plate fits the gap
    else:
        layout, edition = _REG_2013, 2013
    size = 4 + sum(layout) + 1
    _need(h, body, size, f"registration ({edition})")
    province, city = _HH.unpack_from(body)
    pos = 4
    parts = []
    for n, read in zip(layout, (field, field, ident), strict=True):  # maker, model, terminal ID
        parts.append(read(body[pos:pos + n]))
        pos += n
    return Register(h, edition, province, city, parts[0], parts[1], parts[2], body[pos], text(body[pos + 1:]))


def authenticate(h: Header, body: bytes) -> Authenticate:
    if h.edition != 2019:
        return Authenticate(h, text(body))
    _need(h, body, 1, "authentication")
    n = body[0]
    _need(h, body, 1 + n + 15 + 20, "authentication (2019)")
    return Authenticate(h, text(body[1:1 + n]), field(body[1 + n:16 + n]), field(body[16 + n:36 + n]))


def location_report(h: Header, body: bytes) -> LocationReport:
    return new_location_report(h, _location(h, body, 0, len(body)))


def position_reply(h: Header, body: bytes) -> PositionReply:
    _need(h, body, 2 + location.FIXED_SIZE, "position reply")
    return PositionReply(h, _H.unpack_from(body)[0], _location(h, body, 2, len(body)))


def location_batch(h: Header, body: bytes) -> LocationBatch:
    _need(h, body, 3, "location batch")
    count, kind = _HB.unpack_from(body)
    pos, end = 3, len(body)
    items = []
    for i in range(count):
        if pos + 2 > end:
            raise BodyError(f"0x0704: {count} positions announced, the body ends after {i}",
                            raw=bytes(body), header=h)
        n = _H.unpack_from(body, pos)[0]
        pos += 2
        if pos + n > end:
            raise BodyError(f"0x0704: position {i + 1} of {n} bytes runs past the body", raw=bytes(body), header=h)
        items.append(_location(h, body, pos, pos + n))
        pos += n
    if pos != end:
        raise BodyError(f"0x0704: {end - pos} bytes after the {count} positions announced", raw=bytes(body), header=h)
    return LocationBatch(h, kind == 1, tuple(items))


def register_response(h: Header, body: bytes) -> RegisterResponse:
    _need(h, body, 3, "registration response")
    serial, result = _HB.unpack_from(body)
    return RegisterResponse(h, serial, result, text(body[3:]) if result == 0 else None)


def set_parameters(h: Header, body: bytes) -> SetParameters:
    _need(h, body, 1, "set parameters")
    return SetParameters(h, _param_items(h, body, 1, body[0]))


def parameters_reply(h: Header, body: bytes) -> ParametersReply:
    """0x0104: the serial answered, a BYTE count, the items as 0x8103 has them."""
    _need(h, body, 3, "parameters reply")
    return ParametersReply(h, _H.unpack_from(body)[0], _param_items(h, body, 3, body[2]))


def query_parameters(h: Header, body: bytes) -> QueryParameters:
    """0x8104 (empty) or 0x8106 (a BYTE count, the DWORD ids)."""
    if h.msg_id == 0x8104:
        return QueryParameters(h)
    _need(h, body, 1, "query parameters")
    return QueryParameters(h, _numbers(h, body, 1, body[0], 4, "parameter ids"))


def _param_items(h: Header, body: bytes, pos: int, count: int) -> tuple[tuple[int, int | str | bytes], ...]:
    """``count`` parameter items (DWORD id, BYTE length, value) from ``pos``, values typed by id."""
    end = len(body)
    params: list[tuple[int, int | str | bytes]] = []
    for i in range(count):
        if pos + 5 > end:
            raise BodyError(f"0x{h.msg_id:04X}: {count} parameters announced, the body ends after {i}",
                            raw=bytes(body), header=h)
        pid = _I.unpack_from(body, pos)[0]
        n = body[pos + 4]
        pos += 5
        if pos + n > end:
            raise BodyError(f"0x{h.msg_id:04X}: parameter 0x{pid:04X} runs past the body", raw=bytes(body), header=h)
        params.append((pid, value_of(pid, body[pos:pos + n])))
        pos += n
    return tuple(params)


def position_query(h: Header, body: bytes) -> PositionQuery:
    return PositionQuery(h)


def temporary_tracking(h: Header, body: bytes) -> TemporaryTracking:
    _need(h, body, 2, "temporary tracking")
    if len(body) < 6:  # interval 0 (stop) may come alone
        return TemporaryTracking(h, _H.unpack_from(body)[0], 0)
    return TemporaryTracking(h, *_HI.unpack_from(body))


def alarm_confirm(h: Header, body: bytes) -> AlarmConfirm:
    _need(h, body, 6, "alarm confirmation")
    return AlarmConfirm(h, *_HI.unpack_from(body))


def text_message(h: Header, body: bytes) -> TextMessage:
    _need(h, body, 1, "text message")
    if h.edition == 2019:
        _need(h, body, 2, "text message (2019)")
        return TextMessage(h, body[0], text(body[2:]), body[1])
    return TextMessage(h, body[0], text(body[1:]))


def driver_identity(h: Header, body: bytes) -> DriverIdentity:
    """0x0702 as 2013 and 2019 lay it out (status, time, then what a card read gives); the 2011 edition's
    layout (no status, no time) is not read. 2019 adds the driver's ID card number (BYTE[20]) after the validity;
    terminals that send the 2019 body under a 2013 header exist: exactly 20 bytes there are that number."""
    _need(h, body, 7, "driver identity")
    status, when = body[0], beijing_time(bytes(body[1:7]))
    if status in (1, 2) and not bytes(body[1:7]).hex().isdigit():  # a 2011 body: a name's length, then the name
        raise BodyError("0x0702: no BCD time after the card status (the 2011 layout is not read)", raw=bytes(body),
                        header=h)
    if status == 2:
        return DriverIdentity(h, False, when)
    if status != 1:
        raise BodyError(f"0x0702: card status {status}, not 1 (put in) or 2 (taken out)", raw=bytes(body), header=h)
    _need(h, body, 8, "driver identity (card put in)")
    result = body[7]
    if result != 0:
        return DriverIdentity(h, True, when, result)
    _need(h, body, 9, "driver identity (name)")
    n = body[8]
    pos = 9 + n
    _need(h, body, pos + 21, "driver identity (name, certificate)")
    name, certificate = text(body[9:pos]), field(body[pos:pos + 20])
    m = body[pos + 20]
    pos += 21
    _need(h, body, pos + m + 4, "driver identity (agency, validity)")
    agency, valid = text(body[pos:pos + m]), bytes(body[pos + m:pos + m + 4]).hex()
    pos += m + 4
    id_number = field(body[pos:pos + 20]) if h.edition == 2019 or len(body) - pos == 20 else ""
    until = f"{valid[:4]}-{valid[4:6]}-{valid[6:]}" if valid.isdigit() and valid != "00000000" else None
    return DriverIdentity(h, True, when, 0, name, certificate, agency, until, id_number)


def media_event(h: Header, body: bytes) -> MediaEvent:
    _need(h, body, _MEDIA.size, "multimedia event")
    return MediaEvent(h, *_MEDIA.unpack_from(body))


def media_upload(h: Header, body: bytes) -> MediaUpload:
    """0x0801 in the layout its header and body say (`_has_position`): the 28 position bytes only in 2013/2019."""
    _need(h, body, _MEDIA.size, "multimedia upload")
    media_id, kind, fmt, event, channel = _MEDIA.unpack_from(body)
    if not _has_position(h, body):
        return MediaUpload(h, media_id, kind, fmt, event, channel, None, bytes(body[_MEDIA.size:]))
    _need(h, body, _MEDIA_POSITION_END, "multimedia upload (with its position)")
    where = _location(h, body, _MEDIA.size, _MEDIA_POSITION_END)
    return MediaUpload(h, media_id, kind, fmt, event, channel, where, bytes(body[_MEDIA_POSITION_END:]))


def _has_position(h: Header, body: bytes) -> bool:
    """Whether a 0x0801 body carries the 2013/2019 position. A 2019 header says so; 2011 and 2013 headers are
    alike, so the body tells: room for the position, a BCD time where the position's time would be, and no
    JPEG start (FF D8) where the 2011 layout's data would begin."""
    if h.edition == 2019:
        return True
    end = _MEDIA_POSITION_END
    return (len(body) >= end and bytes(body[end - 6:end]).hex().isdigit()
            and bytes(body[_MEDIA.size:_MEDIA.size + 2]) != _JPEG_SOI)


def camera_shot_reply(h: Header, body: bytes) -> CameraShotReply:
    """0x0805. A failed shot may come as serial and result alone (3 bytes): no ids then."""
    _need(h, body, 3, "camera shot reply")
    serial, result = _HB.unpack_from(body)
    if len(body) == 3 and result != 0:
        return CameraShotReply(h, serial, result)
    _need(h, body, 5, "camera shot reply (the id count)")
    ids = _numbers(h, body, 5, _H.unpack_from(body, 3)[0], 4, "multimedia ids")
    return CameraShotReply(h, serial, result, ids)


def stored_media_upload(h: Header, body: bytes) -> StoredMediaUpload:
    """0x8803: type, channel, event BYTEs, start and end BCD[6] (Beijing), the delete flag BYTE."""
    _need(h, body, 16, "stored multimedia upload")
    return StoredMediaUpload(h, body[0], body[1], body[2], beijing_time(bytes(body[3:9])),
                             beijing_time(bytes(body[9:15])), bool(body[15]))


def retransmit_request(h: Header, body: bytes) -> RetransmitRequest:
    """0x8003: the serial of package 1, then a BYTE count and the WORD package numbers."""
    _need(h, body, 3, "sub-package retransmission request")
    return RetransmitRequest(h, _H.unpack_from(body)[0], _numbers(h, body, 3, body[2], 2, "package numbers"))


def media_upload_response(h: Header, body: bytes) -> MediaUploadResponse:
    """0x8800. The standard lets the platform stop after the id when every package came."""
    _need(h, body, 4, "multimedia upload response")
    media_id = _I.unpack_from(body)[0]
    if len(body) == 4:
        return MediaUploadResponse(h, media_id)
    return MediaUploadResponse(h, media_id, _numbers(h, body, 5, body[4], 2, "package numbers"))


def _numbers(h: Header, body: bytes, start: int, count: int, size: int, what: str) -> tuple[int, ...]:
    """``count`` big-endian numbers of ``size`` bytes (2 or 4) from ``start`` to the body's very end."""
    end = start + count * size
    if end > len(body):
        raise BodyError(f"0x{h.msg_id:04X}: {count} {what} announced, the body holds {(len(body) - start) // size}",
                        raw=bytes(body), header=h)
    if end != len(body):
        raise BodyError(f"0x{h.msg_id:04X}: {len(body) - end} bytes after the {count} {what} announced",
                        raw=bytes(body), header=h)
    return struct.unpack_from(f">{count}{'H' if size == 2 else 'I'}", body, start)


def camera_shoot(h: Header, body: bytes) -> CameraShoot:
    _need(h, body, _CAMERA.size, "camera command")
    channel, command, interval, save, *settings = _CAMERA.unpack_from(body)
    return CameraShoot(h, channel, command, interval, save == 1, *settings)


DECODERS: dict[int, Callable[[Header, bytes], Message | MoreMessage | ExtraMessage]] = {
    0x0001: terminal_response,
    0x0002: heartbeat,
    0x0003: logout,
    0x0004: server_time_query,
    0x0100: register,
    0x0102: authenticate,
    0x0107: terminal_attributes,
    0x0108: upgrade_result,
    0x0200: location_report,
    0x0201: position_reply,
    0x0104: parameters_reply,
    0x0301: event_report,
    0x0302: question_answer,
    0x0303: info_demand,
    0x0500: vehicle_control_reply,
    0x0701: waybill,
    0x0702: driver_identity,
    0x0704: location_batch,
    0x0705: can_bus_data,
    0x0800: media_event,
    0x0801: media_upload,
    0x0802: stored_media_reply,
    0x0805: camera_shot_reply,
    0x0900: passthrough,
    0x0901: compressed_data,
    0x0A00: rsa_key,
    0x8001: platform_response,
    0x8004: server_time,
    0x8100: register_response,
    0x8103: set_parameters,
    0x8104: query_parameters,
    0x8106: query_parameters,
    0x8107: query_attributes,
    0x8201: position_query,
    0x8202: temporary_tracking,
    0x8203: alarm_confirm,
    0x8300: text_message,
    0x8301: event_setting,
    0x8302: question,
    0x8003: retransmit_request,
    0x8800: media_upload_response,
    0x8801: camera_shoot,
    0x8802: stored_media_query,
    0x8803: stored_media_upload,
    0x8900: passthrough,
    0x8A00: rsa_key,
    0x8604: polygon_area,
    0x8605: delete_areas,
    0x8606: route,
    0x8607: delete_areas,
}


def decode_body(header: Header, body: bytes) -> Message | MoreMessage | ExtraMessage:
    """The record of a whole (joined) message.

    :raises UnknownMessageError: an id not in `DECODERS` (or an encrypted body).
    :raises BodyError: a body that does not fit its message.
    """
    fn = DECODERS.get(header.msg_id)
    if fn is None:
        raise UnknownMessageError(f"message id 0x{header.msg_id:04X} is not decoded here", raw=bytes(body),
                                  header=header)
    if header.encryption:
        raise EncryptedMessageError(f"0x{header.msg_id:04X}: body encrypted (method {header.encryption})",
                                    raw=bytes(body), header=header)
    return fn(header, body)
