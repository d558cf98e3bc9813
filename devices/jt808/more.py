"""More JT/T 808 messages, records and their body decoders (registered in `devices.jt808.bodies.DECODERS`):
the server time (0x0004 / 0x8004, 2019), the terminal's attributes (0x8107 / 0x0107), an upgrade's result
(0x0108), the answer to a vehicle control (0x0500), an electronic waybill (0x0701), transparent data both ways
(0x0900 / 0x8900) and the search of the media a terminal keeps (0x8802 / 0x0802).

They are not in `devices.jt808.messages.Message` (that module would import this one, which imports it):
`MoreMessage` is their union. A 0x0500's position is one of `locations_of`'s.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime

from devices.errors import BodyError
from devices.jt808 import location
from devices.jt808.bits import _names
from devices.jt808.bodyparts import location_at, need
from devices.jt808.header import BEIJING, Header, beijing_time
from devices.jt808.messages import MEDIA_EVENTS, MEDIA_TYPES, Location, _named, _OneLocation
from devices.jt808.text import field, ident

# 0x0107: the terminal type WORD's bits (bit 7: 0 all-in-one, 1 split), the GNSS module's and the network's
TERMINAL_KINDS = {0: "passenger", 1: "dangerous_goods", 2: "freight", 3: "taxi", 6: "video"}
GNSS = {0: "gps", 1: "bds", 2: "glonass", 3: "galileo"}
NETWORKS = {0: "gprs", 1: "cdma", 2: "td_scdma", 3: "wcdma", 4: "cdma2000", 5: "td_lte", 7: "other"}
# 0x0108: what was upgraded, and how it went
UPGRADE_KINDS = {0: "terminal", 12: "ic_card_reader", 52: "gnss_module"}
UPGRADE_RESULTS = {0: "success", 1: "failure", 2: "cancelled"}
# 0x0900 / 0x8900: the transparent data's type (0xF0-0xFF user defined)
PASSTHROUGH_KINDS = {0x00: "gnss_detail", 0x0B: "ic_card", 0x41: "serial_1", 0x42: "serial_2"}

# 0x0107 fixed fields: maker, model, terminal id (then ICCID BCD[10])
_ATTR_2013 = (5, 20, 7)
_ATTR_2019 = (5, 30, 30)  # the maker stays BYTE[5] in 2019's 0x0107 (its 0x0100 widens it to BYTE[11])
_ATTR_2019_WIDE = (11, 30, 30)  # terminals that lay 0x0107 out as their 2019 registration
_ICCID = 10
_H = struct.Struct(">H")
_I = struct.Struct(">I")
_STORED_ITEM = struct.Struct(">IBBB")  # 0x0802 item: media id, type, channel, event (then 28 position bytes)
_STORED_ITEM_SIZE = _STORED_ITEM.size + location.FIXED_SIZE  # 35


@dataclass(frozen=True, slots=True)
class ServerTimeQuery:
    """0x0004 (2019, empty body): the terminal asks the platform's time; the platform answers 0x8004."""

    header: Header


@dataclass(frozen=True, slots=True)
class ServerTime:
    """0x8004 (2019): the platform's time, BCD[6] ``YYMMDDhhmmss`` in UTC (not Beijing time)."""

    header: Header
    time: datetime  # aware, UTC


@dataclass(frozen=True, slots=True)
class QueryAttributes:
    """0x8107 (empty body): the platform asks the terminal's attributes; the terminal answers 0x0107."""

    header: Header


@dataclass(frozen=True, slots=True)
class TerminalAttributes:
    """0x0107: what the terminal is. The 2013 layout has the maker BYTE[5], model BYTE[20] and terminal id
    BYTE[7]; 2019 keeps the maker's BYTE[5] and widens the others to BYTE[30] (some terminals widen the maker to
    BYTE[11] too, as 2019's registration has it). The layout the header's edition says is tried first, then the
    others: the one the body fits exactly is read (a body no layout fits is a BodyError). Then the ICCID (BCD[10]), the hardware and firmware versions (each a BYTE length and the text), the GNSS
    module's and the communication module's bits."""

    header: Header
    terminal_type: int  # bits: `kinds`
    manufacturer: str
    model: str
    terminal_id: str
    iccid: str  # the SIM's ICCID, 20 digits
    hardware: str
    firmware: str
    gnss: int  # bits: `gnss_names`
    network: int  # bits: `network_names`

    @property
    def kinds(self) -> tuple[str, ...]:
        """The terminal type's bits set (passenger, dangerous_goods, freight, taxi, video), then ``split`` or
        ``all_in_one`` (bit 7)."""
        return _names(self.terminal_type & 0x7F, TERMINAL_KINDS, "type") + (
            ("split",) if self.terminal_type & 0x80 else ("all_in_one",))

    @property
    def gnss_names(self) -> tuple[str, ...]:
        """The satellite systems the GNSS module receives: gps, bds, glonass, galileo."""
        return _names(self.gnss, GNSS, "gnss")

    @property
    def network_names(self) -> tuple[str, ...]:
        """The communication module's networks: gprs, cdma, td_scdma, wcdma, cdma2000, td_lte, other."""
        return _names(self.network, NETWORKS, "network")


@dataclass(frozen=True, slots=True)
class UpgradeResult:
    """0x0108: how an upgrade the platform sent (0x8108) went."""

    header: Header
    kind: int  # UPGRADE_KINDS: 0 the terminal, 12 the road transport IC card reader, 52 the GNSS module
    result: int  # UPGRADE_RESULTS: 0 success, 1 failure, 2 cancelled

    @property
    def kind_name(self) -> str:
        return _named(UPGRADE_KINDS, self.kind, "type")

    @property
    def result_name(self) -> str:
        return _named(UPGRADE_RESULTS, self.result, "result")


@dataclass(frozen=True, slots=True)
class VehicleControlReply(_OneLocation):
    """0x0500: the answer to a vehicle control 0x8500 (doors locked or unlocked...): the serial answered and the
    position after it, a 0x0200 body."""

    header: Header
    reply_serial: int
    location: Location


@dataclass(frozen=True, slots=True)
class Waybill:
    """0x0701: an electronic waybill, a DWORD length and that many bytes (what they are is the terminal's
    business: often text)."""

    header: Header
    content: bytes

    @property
    def text(self) -> str | None:
        """The content as GBK text (NULs at its end dropped), if it decodes and is printable; else None."""
        try:
            s = self.content.rstrip(b"\x00").decode("gb18030")
        except UnicodeDecodeError:
            return None
        return s if all(c.isprintable() or c in "\r\n\t" for c in s) else None


class _PassthroughNames:
    """The name of a transparent data type (0x0900, 0x8900)."""

    __slots__ = ()
    kind: int

    @property
    def kind_name(self) -> str:
        if self.kind >= 0xF0:
            return f"user_defined_{self.kind:02X}"
        return PASSTHROUGH_KINDS.get(self.kind) or f"type_{self.kind:02X}"


@dataclass(frozen=True, slots=True)
class Passthrough(_PassthroughNames):
    """0x0900: transparent data from the terminal (a serial port's, an IC card's, GNSS detail, a vendor's):
    its type BYTE, then the data."""

    header: Header
    kind: int  # PASSTHROUGH_KINDS, 0xF0-0xFF user defined
    data: bytes


@dataclass(frozen=True, slots=True)
class PassthroughDown(_PassthroughNames):
    """0x8900: transparent data to the terminal, laid out as 0x0900."""

    header: Header
    kind: int
    data: bytes


@dataclass(frozen=True, slots=True)
class StoredMediaQuery:
    """0x8802: the platform searches the media the terminal keeps, by type, camera ``channel`` (0: every one),
    ``event`` and time (None: no bound); the terminal answers 0x0802."""

    header: Header
    media_type: int  # MEDIA_TYPES
    channel: int
    event: int  # MEDIA_EVENTS
    start: datetime | None
    end: datetime | None


@dataclass(frozen=True, slots=True)
class StoredMediaItem:
    """One item of a 0x0802: a kept medium's id, type, camera, why it was taken and where (the 28 fixed bytes of
    a 0x0200 body, as a 0x0801 carries them)."""

    media_id: int
    media_type: int  # MEDIA_TYPES
    channel: int
    event: int  # MEDIA_EVENTS
    location: Location

    @property
    def kind(self) -> str:
        return _named(MEDIA_TYPES, self.media_type, "type")

    @property
    def event_name(self) -> str:
        return _named(MEDIA_EVENTS, self.event, "event")


@dataclass(frozen=True, slots=True)
class StoredMediaReply:
    """0x0802: the answer to a search of kept media 0x8802, the items found."""

    header: Header
    reply_serial: int
    items: tuple[StoredMediaItem, ...]


MoreMessage = (ServerTimeQuery | ServerTime | QueryAttributes | TerminalAttributes | UpgradeResult
               | VehicleControlReply | Waybill | Passthrough | PassthroughDown | StoredMediaQuery | StoredMediaReply)


def _error(h: Header, body: bytes, what: str) -> BodyError:
    return BodyError(f"0x{h.msg_id:04X}: {what}", raw=bytes(body), header=h)


def server_time_query(h: Header, body: bytes) -> ServerTimeQuery:
    return ServerTimeQuery(h)


def server_time(h: Header, body: bytes) -> ServerTime:
    """0x8004: BCD[6] UTC (`beijing_time` reads the digits; they are UTC here, so its 8 hours go back)."""
    need(h, body, 6, "server time")
    when = beijing_time(bytes(body[:6]))
    if when is None:
        raise _error(h, body, f"server time {bytes(body[:6]).hex()} is not a date")
    return ServerTime(h, when + BEIJING)


def query_attributes(h: Header, body: bytes) -> QueryAttributes:
    return QueryAttributes(h)


def _attributes_end(body: bytes, widths: tuple[int, int, int]) -> int | None:
    """Where a 0x0107 body laid out with ``widths`` ends (None: its lengths run past the body)."""
    pos = 2 + sum(widths) + _ICCID
    for _version in range(2):  # hardware, firmware: a BYTE length and the text
        if pos >= len(body):
            return None
        pos += 1 + body[pos]
    return pos + 2


def terminal_attributes(h: Header, body: bytes) -> TerminalAttributes:
    """0x0107 in the layout its header and body say (see `TerminalAttributes`); the body must end where its
    lengths say."""
    tries = (_ATTR_2019, _ATTR_2019_WIDE, _ATTR_2013) if h.edition == 2019 else (_ATTR_2013, _ATTR_2019, _ATTR_2019_WIDE)
    widths = next((w for w in tries if _attributes_end(body, w) == len(body)), tries[0])
    edition = 2013 if widths is _ATTR_2013 else 2019
    pos = 2 + sum(widths) + _ICCID
    need(h, body, pos + 1, f"terminal attributes ({edition})")
    parts = []
    at = 2
    for n, read in zip(widths, (field, field, ident), strict=True):  # maker, model, terminal ID
        parts.append(read(body[at:at + n]))
        at += n
    iccid = bytes(body[at:pos]).hex()
    versions = []
    for what in ("hardware", "firmware"):
        need(h, body, pos + 1, f"terminal attributes ({edition}, {what} version)")
        n = body[pos]
        need(h, body, pos + 1 + n, f"terminal attributes ({edition}, {what} version)")
        versions.append(field(body[pos + 1:pos + 1 + n]))
        pos += 1 + n
    need(h, body, pos + 2, f"terminal attributes ({edition}, GNSS and network)")
    if len(body) != pos + 2:
        raise _error(h, body, f"{len(body) - pos - 2} bytes after the terminal attributes ({edition})")
    return TerminalAttributes(h, _H.unpack_from(body)[0], parts[0], parts[1], parts[2], iccid, versions[0],
                              versions[1], body[pos], body[pos + 1])


def upgrade_result(h: Header, body: bytes) -> UpgradeResult:
    need(h, body, 2, "upgrade result")
    return UpgradeResult(h, body[0], body[1])


def vehicle_control_reply(h: Header, body: bytes) -> VehicleControlReply:
    need(h, body, 2 + location.FIXED_SIZE, "vehicle control reply")
    return VehicleControlReply(h, _H.unpack_from(body)[0], location_at(h, body, 2, len(body)))


def waybill(h: Header, body: bytes) -> Waybill:
    """0x0701: the DWORD length must be what follows it."""
    need(h, body, 4, "waybill")
    n = _I.unpack_from(body)[0]
    if n != len(body) - 4:
        raise _error(h, body, f"waybill of {n} bytes announced, {len(body) - 4} follow")
    return Waybill(h, bytes(body[4:]))


def passthrough(h: Header, body: bytes) -> Passthrough | PassthroughDown:
    """0x0900 (up) or 0x8900 (down): the type BYTE, then the data."""
    need(h, body, 1, "transparent data")
    if h.msg_id == 0x8900:
        return PassthroughDown(h, body[0], bytes(body[1:]))
    return Passthrough(h, body[0], bytes(body[1:]))


def stored_media_query(h: Header, body: bytes) -> StoredMediaQuery:
    """0x8802: type, channel, event BYTEs, start and end BCD[6] (Beijing; zeros: no bound), as 0x8803 without
    its delete flag."""
    need(h, body, 15, "stored multimedia search")
    return StoredMediaQuery(h, body[0], body[1], body[2], beijing_time(bytes(body[3:9])),
                            beijing_time(bytes(body[9:15])))


def stored_media_reply(h: Header, body: bytes) -> StoredMediaReply:
    """0x0802: the serial answered, a WORD count, then per item the media id DWORD, type, channel and event
    BYTEs and 28 position bytes; the items must end with the body."""
    need(h, body, 4, "stored multimedia search reply")
    serial, count = struct.unpack_from(">HH", body)
    if 4 + count * _STORED_ITEM_SIZE != len(body):
        raise _error(h, body, f"{count} items announced ({count * _STORED_ITEM_SIZE} bytes), "
                              f"{len(body) - 4} bytes follow")
    items = []
    for pos in range(4, len(body), _STORED_ITEM_SIZE):
        media_id, kind, channel, event = _STORED_ITEM.unpack_from(body, pos)
        where = location_at(h, body, pos + _STORED_ITEM.size, pos + _STORED_ITEM_SIZE)
        items.append(StoredMediaItem(media_id, kind, channel, event, where))
    return StoredMediaReply(h, serial, tuple(items))
