"""`decode`: NMEA / AIS / gpsd JSON text in, gpsd JSON reports out (one object a line).

    main.py decode capture.nmea > reports.jsonl
    nc receiver 10110 | main.py decode -

Position fixes print as TPV, a complete satellite view (GSA + GSV group) as SKY, AIS
messages as AIS, HDT as ATT. Bad lines are skipped and counted; the summary goes to
stderr. Exit 0, or 2 if the input cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import nullcontext
from typing import BinaryIO

from devices.errors import DeviceError
from devices.framing import DecodeStream, LineFramer
from devices.gpsd_json import to_gpsd_json
from devices.nmea.decoder import NmeaDecoder
from devices.records import AisReport, Fix, HeadingReport, SkyReport

_CHUNK = 1 << 20
_encode = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", nargs="?", default="-",
                        help="NMEA/AIS/gpsd-JSON capture to decode ('-' = standard input, the default)")
    parser.add_argument("--device", default=None,
                        help="value of the 'device' member (default: FILE's path, none for stdin)")
    parser.add_argument("--no-checksum", action="store_true",
                        help="accept sentences that carry no checksum")


def _seed_date(decoder: DecodeStream, chunk: bytes) -> None:
    """Date a recording by its own first RMC/ZDA, not by today's date.

    A GGA before the first RMC of a stream is dated with the reception date. When
    replaying a capture, "reception" was the day of the capture: look ahead in the first
    chunk for a dated sentence and start the stream's state from it.
    """
    probe = NmeaDecoder("probe")
    for line in LineFramer().feed(chunk[: 1 << 16]):
        if line[3:6] in ("RMC", "ZDA"):
            try:
                probe.decode(line)
            except DeviceError:
                continue
            if probe.state.day_s is not None:
                state = decoder.decoder.nmea.state
                state.day_s = probe.state.day_s
                state.last_tod_us = probe.state.last_tod_us
                return


def _open(path: str) -> BinaryIO:
    if path == "-":
        return sys.stdin.buffer
    return open(path, "rb")  # noqa: SIM115 - closed in run()


def run(args: argparse.Namespace) -> int:
    path = getattr(args, "file", "-") or "-"
    device = getattr(args, "device", None)
    if device is None and path != "-":
        device = path
    try:
        stream = _open(path)
    except OSError as exc:
        print(f"decode: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    decoder = DecodeStream(device or "stdin", errors="ignore",
                           require_checksum=not getattr(args, "no_checksum", False))
    out = sys.stdout
    write = out.write
    encode = _encode
    seen_gsv = False
    first = True
    printed = 0
    try:
        with stream if path != "-" else nullcontext():
            while True:
                try:
                    chunk = stream.read(_CHUNK)
                except OSError as exc:
                    print(f"decode: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
                    return 2
                final = not chunk
                if first:
                    _seed_date(decoder, chunk)
                    first = False
                records = decoder.close() if final else decoder.feed(chunk)
                buf = []
                for rec in records:
                    if isinstance(rec, SkyReport):
                        # A GSV group arrives with the last GSA's DOPs folded in: print that.
                        # A GSA alone prints only for receivers that send no GSV at all.
                        if rec.satellites:
                            seen_gsv = True
                        elif seen_gsv:
                            continue
                    elif isinstance(rec, AisReport):
                        if "part" in rec.fields:
                            continue  # a lone half of a type 24: gpsd prints only whole ones (without -s)
                    elif not isinstance(rec, (Fix, HeadingReport)):
                        continue  # TimeReport (ZDA) and errors
                    buf.append(encode(to_gpsd_json(rec, device)))
                if buf:
                    printed += len(buf)
                    buf.append("")
                    write("\n".join(buf))
                if final:
                    break
        out.flush()
    except BrokenPipeError:  # `decode big.nmea | head`
        sys.stderr.close()
        return 0
    c = decoder.counters
    print(
        f"decode: {decoder.framer.lines} lines, {c.sentences} sentences, {printed} reports; skipped "
        f"{c.checksum_errors} checksum, {c.unknown} unknown, {c.malformed} malformed, "
        f"{c.too_long} too long, {c.garbage} garbage; {c.ais_incomplete} AIS incomplete",
        file=sys.stderr,
    )
    return 0

