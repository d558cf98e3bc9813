"""`decode`: NMEA / AIS / gpsd JSON text in, gpsd JSON reports out (one object a line).

    main.py decode capture.nmea > reports.jsonl
    nc receiver 10110 | main.py decode -

NMEA prints as gpsd 3.22 reports it: one TPV per reporting cycle (RMC, GGA, GSA, VTG, GLL...
of one epoch merged), a SKY after each satellite group (`devices.nmea.cycle`). AIS messages
print as AIS, HDT as ATT. Bad lines are skipped and counted; the summary goes to stderr.
Exit 0, or 2 if the input cannot be read.

    main.py decode --jt808 frames.hex       # JT/T 808: hex frames one a line, or raw bytes

With ``--jt808`` the input is JT/T 808 (`devices.jt808.capture`): one JSON object per message
(`devices.jt808.report`), and one ``{"error": ...}`` line per frame that cannot be decoded.
"""

from __future__ import annotations

import argparse
import io
import os
import stat
import sys
from contextlib import nullcontext
from typing import BinaryIO

from devices.report_stream import ReportLines

_CHUNK = 1 << 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", nargs="?", default="-",
                        help="NMEA/AIS/gpsd-JSON capture to decode ('-' = standard input, the default)")
    parser.add_argument("--jt808", action="store_true",
                        help="the input is JT/T 808 (hex frames one a line, or raw bytes): one JSON object per message")
    parser.add_argument("--device", default=None,
                        help="value of the 'device' member (default: FILE's path, none for stdin)")
    parser.add_argument("--no-checksum", action="store_true",
                        help="accept AIS sentences that carry no checksum (NMEA ones are always accepted, as by gpsd)")
    parser.add_argument("--gps-week-rollover", action="store_true",
                        help="take dates before 2017 for a GPS week rollover and add 1024 weeks, as gpsd 3.22 "
                             "does (for a receiver that lost its week count; default: dates as sent)")


def _is_live(stream: BinaryIO) -> bool:
    """True for a pipe, socket or terminal; False for a regular file or an in-memory stream."""
    try:
        return not stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError, io.UnsupportedOperation):
        return False


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
    if getattr(args, "jt808", False):
        return _run_jt808(stream, path)
    decoder = ReportLines(device or "stdin", device, require_checksum=not getattr(args, "no_checksum", False),
                          rollover=getattr(args, "gps_week_rollover", False))
    out = sys.stdout
    write = out.write
    # A pipe or a socket (`nc receiver 10110 | decode -`) is live: take what has arrived (read1, not a
    # read that waits for a whole chunk or EOF) and pass each report on at once. A file is read in chunks.
    live = _is_live(stream)
    read = getattr(stream, "read1", stream.read) if live else stream.read
    try:
        with stream if path != "-" else nullcontext():
            while True:
                try:
                    chunk = read(_CHUNK)
                except OSError as exc:
                    print(f"decode: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
                    return 2
                final = not chunk
                text = decoder.close() if final else decoder.feed(chunk)
                if text:
                    write(text)
                    if live:
                        out.flush()
                if final:
                    break
        out.flush()
    except BrokenPipeError:  # `decode big.nmea | head`
        sys.stderr.close()
        return 0
    c = decoder.counters
    print(
        f"decode: {c.lines} lines, {c.sentences} sentences, {decoder.printed} reports; skipped "
        f"{c.checksum_errors} checksum, {c.unknown} unknown, {c.malformed} malformed, "
        f"{c.too_long} too long, {c.garbage} garbage; {c.ais_incomplete} AIS incomplete"
        + (f"; {raw} AIS application payloads left raw (decoder fault)" if (raw := decoder.app_fallbacks)
           else ""),
        file=sys.stderr,
    )
    return 0



def _run_jt808(stream: BinaryIO, path: str) -> int:
    import json

    from devices.errors import DeviceError
    from devices.jt808 import report
    from devices.jt808.capture import CaptureStream
    from devices.jt808.messages import Fragment

    capture = CaptureStream(path)
    live = _is_live(stream)
    read = getattr(stream, "read1", stream.read) if live else stream.read
    out = sys.stdout
    printed = 0
    try:
        with stream if path != "-" else nullcontext():
            while True:
                try:
                    chunk = read(_CHUNK)
                except OSError as exc:
                    print(f"decode: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
                    return 2
                final = not chunk
                lines = []
                for item in capture.close() if final else capture.feed(chunk):
                    if isinstance(item, Fragment):
                        continue  # printed once whole
                    obj = report.error(item) if isinstance(item, DeviceError) else report.message(item)
                    lines.append(json.dumps(obj, ensure_ascii=False))
                if lines:
                    printed += len(lines)
                    out.write("\n".join(lines) + "\n")
                    if live:
                        out.flush()
                if final:
                    break
        out.flush()
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    c = capture.counters
    print(f"decode: {c.frames} frames, {c.messages} messages; refused {c.checksum_errors} check code, "
          f"{c.bad_escapes} escape, {c.truncated} truncated, {c.too_long} too long, {c.length_errors} length, "
          f"{c.unknown} unknown, {c.malformed} malformed; {c.incomplete} split messages incomplete, "
          f"{c.garbage} bytes outside frames", file=sys.stderr)
    return 0
