"""AIS decoding through pyais into `AisReport`s with gpsd's AIS JSON field names.

gpsd's scaled JSON is the vocabulary (https://gpsd.gitlab.io/gpsd/AIVDM.html): ``type``,
``repeat``, ``mmsi``, ``status``, ``turn``, ``speed`` (knots), ``lat``/``lon`` (degrees),
``course``, ``heading``, ``second``, ``shipname``, ``callsign``, ``shiptype``, ``eta``,
``to_bow`` ... Values the standard marks "not available" (lat 91, lon 181, speed 102.3,
course 360, heading 511, turn -128) are left out, so a consumer never plots a ship at 91N.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pyais.exceptions import AISBaseException, UnknownMessageException
from pyais.messages import AISSentence

from devices.ais.assembler import AisAssembler
from devices.errors import ChecksumError, MalformedSentenceError, UnknownSentenceError
from devices.nmea.checksum import split, xor
from devices.records import AisReport

# pyais name -> gpsd name, for every type; per-type overrides below.
_RENAME = {"msg_type": "type", "ship_type": "shiptype"}
_RENAME_BY_TYPE: dict[int, dict[str, str]] = {
    18: {"reserved_1": "reserved", "reserved_2": "regional"},
    19: {"reserved_1": "reserved", "reserved_2": "regional"},
    21: {"reserved_1": "regional"},
}
_DROP = frozenset({"name_ext", "full_name", "spare_1", "spare_2", "spare_3", "spare_4"})
# "not available" sentinels of the AIS standard
_UNAVAILABLE: dict[str, float] = {"lat": 91.0, "lon": 181.0, "speed": 102.3, "course": 360.0, "heading": 511}
_TURN = {127.0: "fastright", -127.0: "fastleft"}


def gpsd_fields(decoded: Any) -> dict[str, object]:
    """A pyais message as a dict in gpsd's scaled AIS JSON vocabulary."""
    src = decoded.asdict()
    mtype = int(src.get("msg_type") or 0)
    rename = {**_RENAME, **_RENAME_BY_TYPE.get(mtype, {})}
    out: dict[str, object] = {}
    for key, value in src.items():
        if key in _DROP or value is None or isinstance(value, bytes):
            continue
        if isinstance(value, Enum):
            value = value.value
        if key in _UNAVAILABLE and value == _UNAVAILABLE[key]:
            continue
        if key == "turn":
            if value == -128.0:
                continue
            value = _TURN.get(float(value), value)
        elif isinstance(value, str):
            value = value.rstrip("@ ")
        out[rename.get(key, key)] = value
    if mtype == 21 and "full_name" in src:
        out["name"] = src["full_name"].rstrip("@ ")
    if mtype == 4:
        for k in ("year", "month", "day", "hour", "minute", "second"):
            out.pop(k, None)
        out["timestamp"] = (
            f"{src['year']:04d}-{src['month']:02d}-{src['day']:02d}T"
            f"{src['hour']:02d}:{src['minute']:02d}:{src['second']:02d}Z"
        )
    elif mtype == 5:
        for k in ("month", "day", "hour", "minute"):
            out.pop(k, None)
        out["eta"] = f"{src['month']:02d}-{src['day']:02d}T{src['hour']:02d}:{src['minute']:02d}Z"
    return out


@dataclass
class AisCounters:
    sentences: int = 0  # lines offered
    messages: int = 0  # complete messages decoded
    checksum_errors: int = 0
    unknown: int = 0
    malformed: int = 0
    by_type: Counter[int] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        return {
            "sentences": self.sentences,
            "messages": self.messages,
            "checksum_errors": self.checksum_errors,
            "unknown": self.unknown,
            "malformed": self.malformed,
            "by_type": dict(self.by_type),
        }


class AisDecoder:
    """Decode ``!AIVDM``/``!AIVDO`` lines of one receiver into AisReports."""

    def __init__(
        self,
        source: str,
        *,
        require_checksum: bool = True,
        clock: Callable[[], float] = time.time,
        assembler: AisAssembler | None = None,
    ) -> None:
        self.source = source
        self.require_checksum = require_checksum
        self.clock = clock
        self.assembler = assembler if assembler is not None else AisAssembler()
        self.counters = AisCounters()

    @property
    def incomplete(self) -> int:
        """Multipart messages dropped with fragments missing."""
        return self.assembler.incomplete

    def decode(self, line: str) -> list[AisReport]:
        """Decode one sentence; a fragment of a multipart message returns [] until complete.

        :raises ChecksumError: bad or (while required) missing checksum.
        :raises UnknownSentenceError: not VDM/VDO, or an AIS type pyais cannot decode.
        :raises MalformedSentenceError: a sentence or payload that does not parse.
        """
        c = self.counters
        c.sentences += 1
        try:
            return self._decode(line)
        except ChecksumError:
            c.checksum_errors += 1
            raise
        except UnknownSentenceError:
            c.unknown += 1
            raise
        except MalformedSentenceError:
            c.malformed += 1
            raise

    def _decode(self, line: str) -> list[AisReport]:
        raw = line.strip()
        if raw.startswith("\\"):  # NMEA 4 tag block: \s:station,c:time*hh\!AIVDM...
            end = raw.find("\\", 1)
            raw = raw[end + 1 :] if end > 0 else ""
        if not raw.startswith("!") or raw[3:6] not in ("VDM", "VDO"):
            raise UnknownSentenceError("not an AIS sentence", line)
        body, given = split(raw)
        if given is None:
            if self.require_checksum:
                raise ChecksumError("checksum missing", line)
            raw = f"{raw}*{xor(body):02X}"
        else:
            try:
                ok = len(given) == 2 and int(given, 16) == xor(body)
            except ValueError:
                ok = False
            if not ok:
                raise ChecksumError("checksum mismatch", line)
        try:
            sentence = AISSentence(raw.encode("ascii"))
        except (AISBaseException, ValueError, UnicodeEncodeError) as exc:
            raise MalformedSentenceError(f"AIS: {exc}", line) from None
        whole = self.assembler.push(sentence)
        if whole is None:
            return []
        try:
            decoded = whole.decode()
        except UnknownMessageException as exc:
            raise UnknownSentenceError(f"AIS: {exc}", line) from None
        except Exception as exc:  # noqa: BLE001 - pyais raises assorted errors on short payloads
            raise MalformedSentenceError(f"AIS: {exc}", line) from None
        try:
            fields = gpsd_fields(decoded)
        except Exception as exc:  # noqa: BLE001
            raise MalformedSentenceError(f"AIS: {exc}", line) from None
        mtype = int(fields.get("type", 0))  # type: ignore[call-overload]
        self.counters.messages += 1
        self.counters.by_type[mtype] += 1
        return [_report(mtype, fields, self.clock(), self.source)]


def _report(mtype: int, fields: dict[str, object], now: float, source: str) -> AisReport:
    g = fields.get
    name = g("shipname")
    if name is None and mtype == 21:
        name = g("name")
    return AisReport(
        msg_type=mtype,
        mmsi=int(g("mmsi", 0)),  # type: ignore[call-overload]
        time=now,
        lat=_f(g("lat")),
        lon=_f(g("lon")),
        speed=_f(g("speed")),
        course=_f(g("course")),
        heading=_f(g("heading")),
        shipname=str(name) if name else None,
        fields=fields,
        source=source,
    )


def _f(v: object) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None
