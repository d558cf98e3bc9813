"""Still more JT/T 808 messages, records, their body decoders (registered in `devices.jt808.bodies.DECODERS`) and
body encoders: CAN bus data (0x0705), compressed data (0x0901), the RSA public keys of terminal and platform
(0x0A00 / 0x8A00), and the 2013 edition's events, questions and information on demand (0x8301 / 0x0301,
0x8302 / 0x0302, 0x0303; 2019 dropped them, a 2019 header carrying them is read the same).

`ExtraMessage` is their union, joined to `devices.jt808.decoder.Message` as `devices.jt808.more.MoreMessage` is.
Text these messages carry must be GBK: bytes that are not are a `BodyError` (`devices.jt808.text.strict_text`).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time

from devices.errors import BodyError
from devices.jt808.bodyparts import need
from devices.jt808.header import Header
from devices.jt808.messages import _named
from devices.jt808.text import gbk, strict_text

# 0x8301: what the setting does with the terminal's events
EVENT_SETTINGS = {0: "delete_all", 1: "update", 2: "append", 3: "modify", 4: "delete"}
# 0x0901: the most its data may inflate to; more is refused (a zip bomb), not held
MAX_DECOMPRESSED = 64 * 1024

_CAN_ITEM = struct.Struct(">I8s")  # 0x0705 item: CAN ID (bit 31 channel, 30 extended, 29 averaged), data
_CAN_HEAD = 7  # 0x0705: WORD count, BCD[5] hhmmssmsms
_CAN_CHANNEL, _CAN_EXTENDED, _CAN_AVERAGED, _CAN_ID = 1 << 31, 1 << 30, 1 << 29, (1 << 29) - 1
_KEY = struct.Struct(">I128s")  # 0x0A00 / 0x8A00: e, n
_GZIP_OR_ZLIB = 32 + zlib.MAX_WBITS  # zlib reads either header
_MAX_MEMBERS = 16  # 0x0901: GZIP members one after another; thousands of empty ones would only cost time
_H = struct.Struct(">H")
_I = struct.Struct(">I")
_HB = struct.Struct(">HB")
_BH = struct.Struct(">BH")
_URGENT, _TTS, _DISPLAY = 0x01, 0x08, 0x10  # 0x8302 flag bits 0, 3, 4


@dataclass(frozen=True, slots=True)
class CanItem:
    """One frame of a 0x0705: the CAN ID DWORD's bits (31: channel CAN1 / CAN2, 30: extended frame, 29: the
    average of what was collected rather than a raw frame, 0-28: the bus ID) and its 8 data bytes."""

    channel: int  # 1 (CAN1) or 2 (CAN2)
    extended: bool  # a 29-bit (extended) frame; False: 11-bit (standard)
    averaged: bool  # collected as the average; False: the raw frame
    can_id: int  # bits 0-28
    data: bytes  # BYTE[8]

    @property
    def id_hex(self) -> str:
        """The bus ID as a CAN tool shows it: 8 hex digits for an extended frame, 3 for a standard one."""
        return f"0x{self.can_id:08X}" if self.extended else f"0x{self.can_id:03X}"


@dataclass(frozen=True, slots=True)
class CanBusData:
    """0x0705: CAN bus frames the terminal collected, a WORD count, the time of day the first was received (BCD[5]
    ``hhmmssmsms``: hours, minutes, seconds, then milliseconds in 4 digits; no date, Beijing time as the terminal
    keeps it), then the items (DWORD CAN ID, BYTE[8] data)."""

    header: Header
    received: time  # naive: the terminal's time of day, to the millisecond
    items: tuple[CanItem, ...]


@dataclass(frozen=True, slots=True)
class CompressedData:
    """0x0901: a DWORD length and that many bytes of GZIP data (a zlib header is read too), ``data`` inflated (at
    most `MAX_DECOMPRESSED` bytes). The standard calls it a compressed message body; terminals send transparent
    data this way."""

    header: Header
    compressed_length: int
    data: bytes


class _Key:
    """What both RSA public keys are: DWORD e, then BYTE[128] n (a 1024-bit modulus, big-endian)."""

    __slots__ = ()
    e: int
    n: int

    @property
    def modulus(self) -> bytes:
        """n as the BYTE[128] it came in."""
        return self.n.to_bytes(128, "big")


@dataclass(frozen=True, slots=True)
class TerminalRsaKey(_Key):
    """0x0A00: the terminal's RSA public key (e, n), with which the platform encrypts what it sends it."""

    header: Header
    e: int
    n: int


@dataclass(frozen=True, slots=True)
class PlatformRsaKey(_Key):
    """0x8A00: the platform's RSA public key (e, n), with which the terminal encrypts what it sends; it answers
    0x0001."""

    header: Header
    e: int
    n: int


@dataclass(frozen=True, slots=True)
class EventReport:
    """0x0301 (2013): the driver reports an event the platform set (0x8301), by its id BYTE."""

    header: Header
    event_id: int


@dataclass(frozen=True, slots=True)
class QuestionAnswer:
    """0x0302 (2013): the driver's answer to a question 0x8302: the serial of that 0x8302 (WORD) and the id of
    the candidate answer chosen (BYTE)."""

    header: Header
    reply_serial: int
    answer_id: int


@dataclass(frozen=True, slots=True)
class InfoDemand:
    """0x0303 (2013): the driver asks for (1) or cancels (0) an information service, by its type BYTE (the menu
    the platform set with 0x8303)."""

    header: Header
    info_type: int
    demand: bool  # False: cancel


@dataclass(frozen=True, slots=True)
class EventItem:
    """One event of a 0x8301: its id BYTE, a BYTE length and its GBK text (none when events are deleted)."""

    event_id: int
    text: str


@dataclass(frozen=True, slots=True)
class EventSetting:
    """0x8301 (2013): the platform sets the events a driver may report (0x0301): a setting type BYTE
    (`EVENT_SETTINGS`: 0 delete all, 1 update (replace all), 2 append, 3 modify, 4 delete these), a BYTE count,
    then the events. A delete-all may end after its type."""

    header: Header
    setting: int
    events: tuple[EventItem, ...]

    @property
    def setting_name(self) -> str:
        return _named(EVENT_SETTINGS, self.setting, "setting")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A candidate answer of a 0x8302: its id BYTE, a WORD length and its GBK text."""

    answer_id: int
    text: str


@dataclass(frozen=True, slots=True)
class Question:
    """0x8302 (2013): the platform asks the driver a question: a flag BYTE (bit 0 urgent, 3 the terminal reads it
    aloud (TTS), 4 shown on the advertising display), a BYTE length and the GBK question, then the candidate
    answers to the body's end; the driver answers 0x0302."""

    header: Header
    flags: int
    question: str
    answers: tuple[Candidate, ...]

    @property
    def urgent(self) -> bool:
        return bool(self.flags & _URGENT)

    @property
    def tts(self) -> bool:
        return bool(self.flags & _TTS)

    @property
    def display(self) -> bool:
        return bool(self.flags & _DISPLAY)


ExtraMessage = (CanBusData | CompressedData | TerminalRsaKey | PlatformRsaKey | EventReport | QuestionAnswer
                | InfoDemand | EventSetting | Question)


def _error(h: Header, body: bytes, what: str) -> BodyError:
    return BodyError(f"0x{h.msg_id:04X}: {what}", raw=bytes(body), header=h)


def _text(h: Header, body: bytes, start: int, end: int, what: str) -> str:
    """``body[start:end]`` as GBK. :raises BodyError: bytes that are not GBK."""
    try:
        return strict_text(body[start:end])
    except UnicodeDecodeError as exc:
        raise _error(h, body, f"{what} is not GBK text ({exc.reason} at byte {start + exc.start})") from None


# ---- decoders -----------------------------------------------------------------------------------

def can_bus_data(h: Header, body: bytes) -> CanBusData:
    """0x0705: the count must be the items the body holds; the time must be BCD within a day."""
    need(h, body, _CAN_HEAD, "CAN bus data")
    count = _H.unpack_from(body)[0]
    if _CAN_HEAD + count * _CAN_ITEM.size != len(body):
        raise _error(h, body, f"{count} CAN items announced ({count * _CAN_ITEM.size} bytes), "
                              f"{len(body) - _CAN_HEAD} bytes follow")
    digits = bytes(body[2:_CAN_HEAD]).hex()
    hh, mm, ss, ms = (int(digits[i:j]) if digits[i:j].isdigit() else -1 for i, j in ((0, 2), (2, 4), (4, 6), (6, 10)))
    if not (0 <= hh < 24 and 0 <= mm < 60 and 0 <= ss < 60 and 0 <= ms < 1000):
        raise _error(h, body, f"CAN receive time {digits} is not BCD hhmmssmsms")
    items = []
    for pos in range(_CAN_HEAD, len(body), _CAN_ITEM.size):
        word, data = _CAN_ITEM.unpack_from(body, pos)
        items.append(CanItem(2 if word & _CAN_CHANNEL else 1, bool(word & _CAN_EXTENDED), bool(word & _CAN_AVERAGED),
                             word & _CAN_ID, data))
    return CanBusData(h, time(hh, mm, ss, ms * 1000), tuple(items))


def compressed_data(h: Header, body: bytes) -> CompressedData:
    """0x0901: the DWORD length must be what follows it, and that must inflate (at most 16 GZIP members one after
    another, NUL padding after them, as `gzip.decompress` reads them) to at most `MAX_DECOMPRESSED` bytes."""
    need(h, body, 4, "compressed data")
    n = _I.unpack_from(body)[0]
    if n != len(body) - 4:
        raise _error(h, body, f"compressed data of {n} bytes announced, {len(body) - 4} follow")
    out = bytearray()
    rest = bytes(body[4:])
    for _member in range(_MAX_MEMBERS):
        d = zlib.decompressobj(_GZIP_OR_ZLIB)
        try:
            out += d.decompress(rest, MAX_DECOMPRESSED + 1 - len(out))
        except zlib.error as exc:
            raise _error(h, body, f"compressed data does not inflate: {exc}") from None
        if len(out) > MAX_DECOMPRESSED:
            raise _error(h, body, f"compressed data inflates past {MAX_DECOMPRESSED} bytes")
        if not d.eof:  # all of it read (short of the bound), the stream not ended
            raise _error(h, body, "compressed data ends before its stream does")
        rest = d.unused_data
        if not rest.strip(b"\x00"):
            return CompressedData(h, n, bytes(out))
    raise _error(h, body, f"compressed data of more than {_MAX_MEMBERS} GZIP members")


def rsa_key(h: Header, body: bytes) -> TerminalRsaKey | PlatformRsaKey:
    """0x0A00 (the terminal's) or 0x8A00 (the platform's): exactly DWORD e and BYTE[128] n."""
    need(h, body, _KEY.size, "RSA public key")
    if len(body) != _KEY.size:
        raise _error(h, body, f"{len(body) - _KEY.size} bytes after the RSA public key")
    e, n = _KEY.unpack_from(body)
    if h.msg_id == 0x8A00:
        return PlatformRsaKey(h, e, int.from_bytes(n, "big"))
    return TerminalRsaKey(h, e, int.from_bytes(n, "big"))


def event_report(h: Header, body: bytes) -> EventReport:
    need(h, body, 1, "event report")
    return EventReport(h, body[0])


def question_answer(h: Header, body: bytes) -> QuestionAnswer:
    need(h, body, 3, "question answer")
    return QuestionAnswer(h, *_HB.unpack_from(body))


def info_demand(h: Header, body: bytes) -> InfoDemand:
    """0x0303: the flag must be 0 (cancel) or 1 (demand)."""
    need(h, body, 2, "information demand")
    if body[1] > 1:
        raise _error(h, body, f"information demand flag {body[1]}, not 0 (cancel) or 1 (demand)")
    return InfoDemand(h, body[0], body[1] == 1)


def event_setting(h: Header, body: bytes) -> EventSetting:
    """0x8301: the events announced must end with the body."""
    need(h, body, 1, "event setting")
    if len(body) == 1 and body[0] == 0:
        return EventSetting(h, 0, ())  # delete all, its count left out
    need(h, body, 2, "event setting (the count)")
    count, pos, end = body[1], 2, len(body)
    events = []
    for i in range(count):
        if pos + 2 > end:
            raise _error(h, body, f"{count} events announced, the body ends after {i}")
        event_id, n = body[pos], body[pos + 1]
        if pos + 2 + n > end:
            raise _error(h, body, f"event {event_id}'s text of {n} bytes runs past the body")
        events.append(EventItem(event_id, _text(h, body, pos + 2, pos + 2 + n, f"event {event_id}'s text")))
        pos += 2 + n
    if pos != end:
        raise _error(h, body, f"{end - pos} bytes after the {count} events announced")
    return EventSetting(h, body[0], tuple(events))


def question(h: Header, body: bytes) -> Question:
    """0x8302: the question's length must fit the body; the candidate answers must end with it."""
    need(h, body, 2, "question")
    pos = 2 + body[1]
    need(h, body, pos, "question (its text)")
    asked = _text(h, body, 2, pos, "the question")
    answers: list[Candidate] = []
    end = len(body)
    while pos < end:
        if pos + _BH.size > end:
            raise _error(h, body, f"{end - pos} bytes after candidate answer {len(answers)}: too few for another")
        answer_id, n = _BH.unpack_from(body, pos)
        pos += _BH.size
        if pos + n > end:
            raise _error(h, body, f"candidate answer {answer_id}'s text of {n} bytes runs past the body")
        answers.append(Candidate(answer_id, _text(h, body, pos, pos + n, f"candidate answer {answer_id}")))
        pos += n
    return Question(h, body[0], asked, tuple(answers))


# ---- encoders: the platform's (0x8A00, 0x8301, 0x8302), and the terminal's for the simulator and the tests ----

def rsa_key_body(e: int, n: int | bytes) -> bytes:
    """0x8A00 (and 0x0A00): DWORD ``e``, then ``n`` as BYTE[128] (an int, or its big-endian bytes).
    :raises ValueError: ``e`` not a DWORD, ``n`` wider than 1024 bits."""
    if not 0 <= e <= 0xFFFFFFFF:
        raise ValueError(f"RSA exponent {e}: a DWORD")
    if (isinstance(n, int) and not 0 <= n < 1 << 1024) or (isinstance(n, bytes) and len(n) > 128):
        raise ValueError("RSA modulus: at most 1024 bits (BYTE[128])")
    return _KEY.pack(e, n.to_bytes(128, "big") if isinstance(n, int) else n.rjust(128, b"\x00"))


def event_setting_body(setting: int, events: Sequence[tuple[int, str]] = ()) -> bytes:
    """0x8301: ``setting`` (`EVENT_SETTINGS`: 0 delete all, 1 update, 2 append, 3 modify, 4 delete these) and the
    events as (id, text) (the text empty for a delete). :raises ValueError: over 255 events, a text over 255 bytes
    in GBK."""
    if len(events) > 0xFF:
        raise ValueError(f"{len(events)} events: one setting holds at most 255")
    out = bytearray((setting, len(events)))
    for event_id, label in events:
        raw = gbk(label)
        if len(raw) > 0xFF:
            raise ValueError(f"event {event_id}'s text is {len(raw)} bytes in GBK: at most 255")
        out += bytes((event_id, len(raw))) + raw
    return bytes(out)


def question_body(asked: str, answers: Sequence[tuple[int, str]], *, urgent: bool = False, tts: bool = False,
                  display: bool = True) -> bytes:
    """0x8302: the question ``asked`` and the candidate ``answers`` as (id, text); ``urgent``, read aloud (``tts``),
    on the advertising ``display``. :raises ValueError: a question over 255 bytes in GBK, an answer over 65535."""
    raw = gbk(asked)
    if len(raw) > 0xFF:
        raise ValueError(f"the question is {len(raw)} bytes in GBK: at most 255")
    flags = (_URGENT if urgent else 0) | (_TTS if tts else 0) | (_DISPLAY if display else 0)
    out = bytearray((flags, len(raw))) + raw
    for answer_id, label in answers:
        text = gbk(label)
        if len(text) > 0xFFFF:
            raise ValueError(f"candidate answer {answer_id} is {len(text)} bytes in GBK: at most 65535")
        out += _BH.pack(answer_id, len(text)) + text
    return bytes(out)


def can_bus_data_body(received: time, items: Sequence[CanItem]) -> bytes:
    """0x0705: the time of day the first item was received (to the millisecond) and the items.
    :raises ValueError: over 65535 items, a channel not 1 or 2, an ID over 29 bits, data not 8 bytes."""
    if len(items) > 0xFFFF:
        raise ValueError(f"{len(items)} CAN items: the count is a WORD")
    stamp = f"{received.hour:02d}{received.minute:02d}{received.second:02d}{received.microsecond // 1000:04d}"
    out = bytearray(_H.pack(len(items)) + bytes.fromhex(stamp))
    for item in items:
        if item.channel not in (1, 2) or not 0 <= item.can_id <= _CAN_ID or len(item.data) != 8:
            raise ValueError(f"CAN item {item}: channel 1 or 2, an ID of at most 29 bits, 8 data bytes")
        word = ((_CAN_CHANNEL if item.channel == 2 else 0) | (_CAN_EXTENDED if item.extended else 0)
                | (_CAN_AVERAGED if item.averaged else 0) | item.can_id)
        out += _CAN_ITEM.pack(word, item.data)
    return bytes(out)


def compressed_data_body(data: bytes) -> bytes:
    """0x0901: ``data`` GZIP-compressed (no time in its header), its length DWORD first."""
    packed = zlib.compress(data, 9, wbits=16 + zlib.MAX_WBITS)
    return _I.pack(len(packed)) + packed


def event_report_body(event_id: int) -> bytes:
    """0x0301: the id of the event (set by 0x8301) the driver reports."""
    return bytes((event_id,))


def question_answer_body(reply_serial: int, answer_id: int) -> bytes:
    """0x0302: the serial of the 0x8302 answered and the candidate answer chosen."""
    return _HB.pack(reply_serial & 0xFFFF, answer_id)


def info_demand_body(info_type: int, demand: bool = True) -> bytes:
    """0x0303: ask for (``demand``) or cancel an information service of ``info_type``."""
    return bytes((info_type, 1 if demand else 0))
