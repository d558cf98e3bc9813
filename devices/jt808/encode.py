"""Building JT/T 808 frames: the platform's downlink and the terminal's uplink.

Body encoders return the body bytes; `frame` wraps a body in its header, check code, escapes and
flags, and `frames` splits a body over 1023 bytes into sub-packages. `reply` answers a received
header in the same edition (2013 or 2019 header, same phone number as sent). The terminal side
(register, authenticate, positions...) is used by the simulator and the tests. The bodies of the messages of
`devices.jt808.extra` (0x8A00, 0x8301, 0x8302, and the terminal's 0x0301-0x0303, 0x0705, 0x0901, 0x0A00) are
encoded there; their ids are here.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from devices.jt808 import header as _header
from devices.jt808.framing import MAX_BODY, wrap
from devices.jt808.header import Header
from devices.jt808.location import FIXED_SIZE
from devices.jt808.params import BY_NAME, pack_value
from devices.jt808.text import gbk, pad

_NO_TIME = bytes(6)  # a BCD[6] time left open: zeros

PLATFORM_RESPONSE = 0x8001
RETRANSMIT_REQUEST = 0x8003
SERVER_TIME = 0x8004
REGISTER_RESPONSE = 0x8100
SET_PARAMETERS = 0x8103
QUERY_PARAMETERS = 0x8104
QUERY_SOME_PARAMETERS = 0x8106
QUERY_ATTRIBUTES = 0x8107
POSITION_QUERY = 0x8201
TEMPORARY_TRACKING = 0x8202
ALARM_CONFIRM = 0x8203
TEXT_MESSAGE = 0x8300
SET_POLYGON_AREA = 0x8604  # devices/jt808/areas.py
DELETE_POLYGON_AREAS = 0x8605
SET_ROUTE = 0x8606
DELETE_ROUTES = 0x8607
EVENT_SETTING = 0x8301  # 2013
QUESTION = 0x8302  # 2013
MEDIA_UPLOAD_RESPONSE = 0x8800
CAMERA_SHOOT = 0x8801
STORED_MEDIA_QUERY = 0x8802
STORED_MEDIA_UPLOAD = 0x8803
PASSTHROUGH_DOWN = 0x8900
PLATFORM_RSA_KEY = 0x8A00
TERMINAL_RESPONSE = 0x0001
HEARTBEAT = 0x0002
LOGOUT = 0x0003
SERVER_TIME_QUERY = 0x0004
REGISTER = 0x0100
AUTHENTICATE = 0x0102
TERMINAL_ATTRIBUTES = 0x0107
UPGRADE_RESULT = 0x0108
LOCATION = 0x0200
POSITION_REPLY = 0x0201
PARAMETERS_REPLY = 0x0104
EVENT_REPORT = 0x0301  # 2013
QUESTION_ANSWER = 0x0302  # 2013
INFO_DEMAND = 0x0303  # 2013
VEHICLE_CONTROL_REPLY = 0x0500
WAYBILL = 0x0701
LOCATION_BATCH = 0x0704
CAN_BUS_DATA = 0x0705
MEDIA_EVENT = 0x0800
MEDIA_UPLOAD = 0x0801
STORED_MEDIA_REPLY = 0x0802
CAMERA_SHOT_REPLY = 0x0805
PASSTHROUGH = 0x0900
COMPRESSED_DATA = 0x0901
TERMINAL_RSA_KEY = 0x0A00


def frame(msg_id: int, phone: str, serial: int, body: bytes = b"", *, edition: int = 2013, protocol_version: int = 1,
          packages: int = 0, package: int = 0) -> bytes:
    """One frame for the wire. :raises ValueError: a body over 1023 bytes (use `frames`), a bad phone."""
    head = _header.pack(msg_id, phone, serial, len(body), edition=edition, protocol_version=protocol_version,
                        packages=packages, package=package)
    return wrap(head + body)


def frames(msg_id: int, phone: str, serial: int, body: bytes, *, edition: int = 2013, protocol_version: int = 1,
           size: int = MAX_BODY) -> list[bytes]:
    """The frames of a message: one, or sub-packages of ``size`` bytes with consecutive serials."""
    if len(body) <= size:
        return [frame(msg_id, phone, serial, body, edition=edition, protocol_version=protocol_version)]
    parts = [body[i:i + size] for i in range(0, len(body), size)]
    return [frame(msg_id, phone, serial + i, part, edition=edition, protocol_version=protocol_version,
                  packages=len(parts), package=i + 1) for i, part in enumerate(parts)]


def reply(to: Header, msg_id: int, serial: int, body: bytes = b"") -> bytes:
    """A frame to the terminal that sent ``to``: its phone number and header edition."""
    return frame(msg_id, to.phone, serial, body, edition=to.edition, protocol_version=to.protocol_version or 1)


# ---- platform bodies --------------------------------------------------------------------------

def platform_response_body(reply_serial: int, reply_id: int, result: int = 0) -> bytes:
    """0x8001: result 0 ok, 1 failure, 2 bad message, 3 unsupported, 4 alarm confirmed."""
    return struct.pack(">HHB", reply_serial & 0xFFFF, reply_id, result)


def register_response_body(reply_serial: int, result: int, auth_code: str | None = None) -> bytes:
    """0x8100: the authentication code follows result 0 only."""
    body = struct.pack(">HB", reply_serial & 0xFFFF, result)
    return body + gbk(auth_code or "") if result == 0 else body


def text_body(text: str, *, edition: int = 2013, display: bool = True, tts: bool = False, emergency: bool = False,
              text_type: int = 1) -> bytes:
    """0x8300. 2013 flags: bit 0 emergency, 2 display, 3 TTS; 2019: bits 0-1 kind (1 service,
    2 emergency, 3 notice), 2 display, 3 TTS, then a text type BYTE (1 notice, 2 service)."""
    flags = (4 if display else 0) | (8 if tts else 0)
    if edition == 2019:
        flags |= 2 if emergency else 3
        return bytes((flags, text_type)) + gbk(text)
    return bytes((flags | (1 if emergency else 0),)) + gbk(text)


def tracking_body(interval_s: int, duration_s: int) -> bytes:
    """0x8202: report every ``interval_s`` s (0 stops) for ``duration_s`` s."""
    return struct.pack(">HI", interval_s, duration_s)


def alarm_confirm_body(reply_serial: int, alarms: int) -> bytes:
    """0x8203: the operator confirms the ``alarms`` bits (of the message ``reply_serial``; 0: every one)."""
    return struct.pack(">HI", reply_serial, alarms)


def parameters_body(params: Mapping[int | str, int | str | bytes]) -> bytes:
    """0x8103 from {id or name: value}. :raises ValueError: an unknown name, a value of the wrong type."""
    out = bytearray((len(params),))
    for key, value in params.items():
        pid = BY_NAME.get(key) if isinstance(key, str) else key
        if pid is None:
            raise ValueError(f"unknown parameter {key!r}")
        raw = pack_value(pid, value)
        out += struct.pack(">IB", pid, len(raw)) + raw
    return bytes(out)


def retransmit_body(first_serial: int, missing: Sequence[int]) -> bytes:
    """0x8003: the sub-packages (numbers from 1) of the split message whose package 1 had ``first_serial`` to send
    again. :raises ValueError: none, or more than 255 (the count is a BYTE)."""
    if not 0 < len(missing) <= 0xFF:
        raise ValueError(f"{len(missing)} packages to send again: one request names 1 to 255")
    return struct.pack(f">HB{len(missing)}H", first_serial & 0xFFFF, len(missing), *missing)


def media_response_body(media_id: int, missing: Sequence[int] = ()) -> bytes:
    """0x8800: the packages (numbers from 1) of upload ``media_id`` to send again; none: all came.
    :raises ValueError: more than 255 numbers (the count is a BYTE)."""
    if len(missing) > 0xFF:
        raise ValueError(f"{len(missing)} packages to send again: one answer names at most 255")
    return struct.pack(f">IB{len(missing)}H", media_id, len(missing), *missing)


def stored_upload_body(start: datetime, end: datetime, *, media_type: int = 0, channel: int = 0, event: int = 0,
                       delete: bool = False) -> bytes:
    """0x8803: upload the kept media taken from ``start`` to ``end`` (aware datetimes; BCD Beijing time on the wire)
    of type ``media_type`` (0 image), camera ``channel`` (0 every one), event ``event``; ``delete`` after upload."""
    return (bytes((media_type, channel, event)) + _header.pack_time(start) + _header.pack_time(end)
            + bytes((1 if delete else 0,)))


def stored_media_query_body(*, media_type: int = 0, channel: int = 0, event: int = 0, start: datetime | None = None,
                            end: datetime | None = None) -> bytes:
    """0x8802: search the kept media of type ``media_type`` (0 image), camera ``channel`` (0 every one), event
    ``event``, taken from ``start`` to ``end`` (aware datetimes, BCD Beijing time on the wire; None: zeros, no
    bound)."""
    return (bytes((media_type, channel, event)) + (_NO_TIME if start is None else _header.pack_time(start))
            + (_NO_TIME if end is None else _header.pack_time(end)))


def server_time_body(t: datetime) -> bytes:
    """0x8004: ``t`` (aware, any zone) as BCD[6] UTC. :raises ValueError: naive, or outside 2000-2099."""
    return _header.pack_time(t - _header.BEIJING)  # `pack_time` writes Beijing time: 8 hours less is UTC


def camera_body(channel: int, *, photos: int = 1, interval_s: int = 0, save: bool = False, resolution: int = 1,
                quality: int = 5, brightness: int = 128, contrast: int = 64, saturation: int = 64,
                chroma: int = 128) -> bytes:
    """0x8801: take ``photos`` photos on camera ``channel``, ``interval_s`` apart (``photos`` is the command
    WORD: 0 stops, 0xFFFF records video for ``interval_s``). ``save`` keeps them on the terminal instead of
    uploading them (0x0801) at once; ``resolution`` 1 is 320x240, 2 640x480; ``quality`` 1 best .. 10."""
    return struct.pack(">BHHBBBBBBB", channel, photos, interval_s, 1 if save else 0, resolution, quality,
                       brightness, contrast, saturation, chroma)


def query_parameters_body(ids: Sequence[int]) -> bytes:
    """0x8106: the parameters ``ids`` (0x8104, all of them, has an empty body). :raises ValueError: none, or over 255."""
    if not 0 < len(ids) <= 0xFF:
        raise ValueError(f"{len(ids)} parameters asked for: one query names 1 to 255")
    return struct.pack(f">B{len(ids)}I", len(ids), *ids)


# ---- terminal bodies --------------------------------------------------------------------------

def media_event_body(media_id: int, *, media_type: int = 0, media_format: int = 0, event: int = 0,
                     channel: int = 1) -> bytes:
    """0x0800: type 0 image, format 0 JPEG, event 0 a platform's command (`messages.MEDIA_EVENTS`)."""
    return struct.pack(">IBBBB", media_id, media_type, media_format, event, channel)


def media_upload_body(media_id: int, data: bytes, *, location: bytes | None, media_type: int = 0,
                      media_format: int = 0, event: int = 0, channel: int = 1) -> bytes:
    """0x0801: the item's head, the position where it was taken (the first 28 bytes of a position body from
    `devices.jt808.location.encode`; None writes the 2011 layout, which has none), then the data. Split
    the body with `frames`. :raises ValueError: a position shorter than 28 bytes."""
    head = media_event_body(media_id, media_type=media_type, media_format=media_format, event=event,
                            channel=channel)
    if location is None:
        return head + data
    if len(location) < FIXED_SIZE:
        raise ValueError(f"position of {len(location)} bytes: needs {FIXED_SIZE}")
    return head + location[:FIXED_SIZE] + data


def camera_reply_body(reply_serial: int, result: int, media_ids: Sequence[int] = ()) -> bytes:
    """0x0805: the answer to 0x8801 (result 0 ok, 1 failure, 2 channel not supported) and the ids taken."""
    return struct.pack(f">HBH{len(media_ids)}I", reply_serial & 0xFFFF, result, len(media_ids), *media_ids)


def terminal_response_body(reply_serial: int, reply_id: int, result: int = 0) -> bytes:
    """0x0001: result 0 ok, 1 failure, 2 bad message, 3 unsupported."""
    return struct.pack(">HHB", reply_serial & 0xFFFF, reply_id, result)


def register_body(*, edition: int = 2013, province: int = 45, city: int = 200, maker: str = "LZCG",
                  model: str = "ZT-1", terminal_id: str = "0000001", plate_color: int = 2, plate: str = "") -> bytes:
    """0x0100 in the layout of ``edition`` (2011: model BYTE[8]; 2013: BYTE[20]; 2019: maker BYTE[11],
    model BYTE[30], terminal id BYTE[30]). Province 45 / city 200 is Guangxi / Liuzhou (GB/T 2260)."""
    sizes = {2011: (5, 8, 7), 2013: (5, 20, 7), 2019: (11, 30, 30)}[edition]
    return (struct.pack(">HH", province, city) + pad(maker, sizes[0]) + pad(model, sizes[1])
            + pad(terminal_id, sizes[2]) + bytes((plate_color,)) + gbk(plate))


def authenticate_body(code: str, *, edition: int = 2013, imei: str = "", software: str = "") -> bytes:
    """0x0102: the code alone before 2019; 2019 adds its length, the IMEI and the software version."""
    if edition != 2019:
        return gbk(code)
    raw = gbk(code)
    return bytes((len(raw),)) + raw + pad(imei, 15) + pad(software, 20)


def parameters_reply_body(reply_serial: int, params: Mapping[int | str, int | str | bytes]) -> bytes:
    """0x0104: the serial of the 0x8104 / 0x8106 answered, then the parameters as 0x8103 lays them out."""
    return struct.pack(">H", reply_serial & 0xFFFF) + parameters_body(params)


def batch_body(locations: Sequence[bytes], *, blind_area: bool = True) -> bytes:
    """0x0704 from position bodies (`devices.jt808.location.encode`)."""
    out = bytearray(struct.pack(">HB", len(locations), 1 if blind_area else 0))
    for loc in locations:
        out += struct.pack(">H", len(loc)) + loc
    return bytes(out)


def position_reply_body(reply_serial: int, location: bytes) -> bytes:
    """0x0201: the serial of the 0x8201 answered, then a position body."""
    return struct.pack(">H", reply_serial & 0xFFFF) + location


def attributes_body(*, edition: int = 2013, terminal_type: int = 0x0004, manufacturer: str = "LZCG",
                    model: str = "LZ-T808", terminal_id: str = "T000001", iccid: str = "89860000000000000000",
                    hardware: str = "HW1.0", firmware: str = "FW1.0", gnss: int = 0b11, network: int = 0b100001) -> bytes:
    """0x0107 in the layout of ``edition`` (2013: maker BYTE[5], model BYTE[20], terminal id BYTE[7]; 2019:
    BYTE[5], BYTE[30], BYTE[30]); type 0x0004 a freight all-in-one terminal, GNSS GPS and BDS, network GPRS and
    TD-LTE. :raises ValueError: a field too long, an ICCID not of at most 20 digits."""
    sizes = (5, 30, 30) if edition == 2019 else (5, 20, 7)
    if not iccid.isascii() or not iccid.isdigit() or len(iccid) > 20:
        raise ValueError(f"ICCID {iccid!r}: at most 20 digits")
    out = (struct.pack(">H", terminal_type) + pad(manufacturer, sizes[0]) + pad(model, sizes[1])
           + pad(terminal_id, sizes[2]) + bytes.fromhex(iccid.rjust(20, "0")))
    for version in (hardware, firmware):
        raw = gbk(version)
        if len(raw) > 0xFF:
            raise ValueError(f"version {version!r}: {len(raw)} bytes, at most 255")
        out += bytes((len(raw),)) + raw
    return out + bytes((gnss, network))


def upgrade_result_body(kind: int, result: int) -> bytes:
    """0x0108: what was upgraded (0 the terminal, 12 the IC card reader, 52 the GNSS module) and how it went
    (0 success, 1 failure, 2 cancelled)."""
    return bytes((kind, result))


def vehicle_control_reply_body(reply_serial: int, location: bytes) -> bytes:
    """0x0500: the serial of the 0x8500 answered, then a position body."""
    return struct.pack(">H", reply_serial & 0xFFFF) + location


def waybill_body(content: bytes) -> bytes:
    """0x0701: the waybill's length DWORD, then its bytes."""
    return struct.pack(">I", len(content)) + content


def passthrough_body(kind: int, data: bytes) -> bytes:
    """0x0900 (and 0x8900): the type BYTE (0x00 GNSS detail, 0x0B IC card, 0x41/0x42 serial ports 1/2,
    0xF0-0xFF user defined), then the data."""
    return bytes((kind,)) + data


def stored_media_reply_body(reply_serial: int, items: Sequence[tuple[int, int, int, int, bytes]]) -> bytes:
    """0x0802: the serial of the 0x8802 answered and the items found, each (media id, type, channel, event,
    position: the first 28 bytes of a position body are written). Split the body with `frames`.
    :raises ValueError: a position shorter than 28 bytes, more than 65535 items."""
    if len(items) > 0xFFFF:
        raise ValueError(f"{len(items)} items: the count is a WORD")
    out = bytearray(struct.pack(">HH", reply_serial & 0xFFFF, len(items)))
    for media_id, media_type, channel, event, where in items:
        if len(where) < FIXED_SIZE:
            raise ValueError(f"position of {len(where)} bytes: needs {FIXED_SIZE}")
        out += struct.pack(">IBBB", media_id, media_type, channel, event) + where[:FIXED_SIZE]
    return bytes(out)


def heartbeat(phone: str, serial: int, *, edition: int = 2013) -> bytes:
    return frame(HEARTBEAT, phone, serial, edition=edition)


def location_frames(phone: str, serial: int, bodies: Iterable[bytes], *, edition: int = 2013,
                    blind_area: bool = True) -> list[bytes]:
    """0x0704 frames for any number of positions: as many positions per frame as fit 1023 bytes."""
    out: list[bytes] = []
    batch: list[bytes] = []
    size = 3
    for body in bodies:
        if batch and size + 2 + len(body) > MAX_BODY:
            out.append(frame(LOCATION_BATCH, phone, serial + len(out), batch_body(batch, blind_area=blind_area),
                             edition=edition))
            batch, size = [], 3
        batch.append(body)
        size += 2 + len(body)
    if batch:
        out.append(frame(LOCATION_BATCH, phone, serial + len(out), batch_body(batch, blind_area=blind_area),
                         edition=edition))
    return out
