"""Simulated JT/T 808 truck terminals: register, authenticate, report, lose signal, catch up, obey.

Each `SimTerminal` rides a `SimTrack` and speaks to a platform over TCP as the standard has it:
0x0100 registration until 0x8100 gives an authentication code (kept, as a terminal keeps it, for
every later connection), 0x0102 authentication, then a 0x0200 every ``interval_s`` seconds and a
0x0002 heartbeat when nothing else was sent for ``heartbeat_s``. During a signal loss
(``blackout``: seconds after start) the connection is gone and positions are stored; after it the
terminal reconnects, authenticates with its code and sends what it stored as blind-area batches
0x0704. It answers the platform: 0x8300 text (kept in ``texts``) and 0x8103 parameters with
0x0001, 0x8203 alarm confirmation with 0x0001, 0x8201 with 0x0201, 0x8202 by reporting at the asked interval for the asked time, 0x8107
with its attributes 0x0107, 0x8900 transparent data with 0x0001, anything else with 0x0001 "unsupported". Its
camera (channels 1-4) obeys 0x8801: 0x0805 with the new photos' ids, then each photo (`camera_photo`) uploaded as
0x0801 in sub-packages; a 0x8800 naming missing packages has them sent again. The photos it keeps are listed
on a 0x8802 (0x0802) and uploaded on a 0x8803. `Jt808Fleet` runs many terminals on one asyncio loop in a thread.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from devices.errors import DeviceError, UnknownMessageError
from devices.jt808 import encode, location
from devices.jt808.areas import DeleteAreas, PolygonArea, Route
from devices.jt808.decoder import Jt808Stream
from devices.jt808.header import BEIJING
from devices.jt808.messages import (
    AlarmConfirm,
    CameraShoot,
    Extras,
    MediaUploadResponse,
    PlatformResponse,
    PositionQuery,
    QueryParameters,
    RegisterResponse,
    SetParameters,
    StoredMediaUpload,
    TemporaryTracking,
    TextMessage,
)
from devices.jt808.more import PassthroughDown, QueryAttributes, StoredMediaQuery
from devices.sim.areas import TerminalAreas
from devices.sim.can import can_body
from devices.sim.fleet import SimTrack

log = logging.getLogger(__name__)
OVERSPEED_KMH = 60.0  # above this a simulated terminal raises its overspeed alarm
CAMERA_JPEG = Path(__file__).resolve().parents[2] / "resources" / "jt808" / "camera.jpg"
CAMERA_CHANNELS = range(1, 5)  # the simulated truck's cameras
MAX_PHOTOS = 10  # photos one 0x8801 may ask for
KEPT_PHOTOS = 200  # photos a simulated terminal keeps for a 0x8802 / 0x8803
MAKER, MODEL, HARDWARE, FIRMWARE = "LZCG", "ZT-1", "SIM-HW1", "SIM-1.0"  # what it says it is (0x0100, 0x0107)
_KEPT_UPLOADS = 16  # uploads whose frames are kept for a 0x8800 asking for packages again


@dataclass
class TerminalStats:
    connects: int = 0
    registered: bool = False
    refused: int | None = None  # the 0x8100 result when registration was refused
    authenticated: bool = False
    reports: int = 0  # 0x0200 sent
    batched: int = 0  # positions sent in 0x0704 batches
    heartbeats: int = 0
    acks: int = 0  # 0x8001 received
    nacks: int = 0  # 0x8001 with a result other than ok
    answered: int = 0  # platform requests answered (0x0001, 0x0201, 0x0805)
    photos_sent: int = 0  # 0x0801 uploads (a photo counts once, however many packages)
    media_acks: int = 0  # 0x8800 received
    resent: int = 0  # packages sent again on a 0x8800's asking
    texts: list[str] = field(default_factory=list)


class SimTerminal:
    """One terminal. ``track`` moves it; ``clock`` is wall time (UTC epoch seconds)."""

    def __init__(self, phone: str, track: SimTrack, *, edition: int = 2013, plate: str = "", interval_s: float = 10.0,
                 heartbeat_s: float = 30.0, blackout: tuple[float, float] | None = None, alarms: bool = True,
                 clock: Callable[[], float] = time.time, t0: float | None = None, seed: int = 0,
                 camera_every_s: float | None = None, waybill: str | None = None, can: bool = False) -> None:
        self.phone = phone
        self.track = track
        self.edition = edition
        self.plate = plate
        self.interval_s = interval_s
        self.heartbeat_s = heartbeat_s
        self.settings: dict[int, int | str | bytes] = {0x0013: "127.0.0.1", 0x0055: 60}  # as 0x8103 left them
        self.blackout = blackout
        self.alarms = alarms
        self.clock = clock
        self.t0 = clock() if t0 is None else t0
        self.rng = random.Random(seed)
        self.auth_code: str | None = None
        self.on_text: Callable[[SimTerminal, str], None] | None = None  # a text for the driver's display arrived
        self.stats = TerminalStats()
        self.stored: list[bytes] = []  # positions kept while out of signal
        self._serial = 0
        self._media_id = 0
        self._uploads: dict[int, list[bytes]] = {}  # media id -> its frames, for packages asked again
        self.camera_every_s = camera_every_s  # a timed photo (event 1) kept, not uploaded, every so often
        self.kept: list[tuple[int, int, int, float]] = []  # photos kept: (media id, channel, event, taken at)
        self.passthrough: list[tuple[int, bytes]] = []  # 0x8900 transparent data received: (type, data)
        self.waybill = waybill  # the trip's electronic waybill (0x0701), sent once, after its first authentication
        self.can = can  # each report followed by the engine's CAN frames (0x0705, devices/sim/can.py)
        self.areas = TerminalAreas()  # polygon areas the platform set (0x8604) and their alarm (devices/sim/areas.py)
        self._mileage = 1000.0 + self.rng.uniform(0, 5000)
        self._kmh = 0.0  # the speed of the last report
        self._tracking: tuple[float, float] | None = None  # (interval, until) from 0x8202
        self._writer: asyncio.StreamWriter | None = None
        self._last_sent = 0.0
        self._registered = asyncio.Event()
        self._authenticated = asyncio.Event()

    def serial(self) -> int:
        self._serial = (self._serial + 1) & 0xFFFF
        return self._serial

    def frame(self, msg_id: int, body: bytes = b"") -> bytes:
        return encode.frame(msg_id, self.phone, self.serial(), body, edition=self.edition)

    def position(self, now: float) -> bytes:
        """The 0x0200 body of where the track is at ``now``."""
        lat, lon, speed_ms, course = self.track.state_at(now - self.t0)
        kmh = self._kmh = speed_ms * 3.6
        self._mileage += kmh * self.interval_s / 3600.0
        alarms = ("overspeed",) if self.alarms and kmh > OVERSPEED_KMH else ()
        crossed = self.areas.crossing(lat, lon)
        alarms += (("area_in_out",) if self.areas.alarm else ()) + (("route_in_out",) if self.areas.route_alarm else ())
        status = ("acc_on", "positioned", "gps", "beidou") + (("moving",) if kmh > 0 else ())
        extras = Extras(mileage_km=round(self._mileage, 1), fuel_l=120.0, signal_strength=22 + self.rng.randrange(8),
                        satellites=9 + self.rng.randrange(8), area=crossed)
        return location.encode(lat, lon, datetime.fromtimestamp(int(now), UTC), speed=kmh, course=course,
                               altitude=90, alarms=alarms, status=status, extras=extras)

    def in_blackout(self, now: float) -> bool:
        return self.blackout is not None and self.blackout[0] <= now - self.t0 < self.blackout[1]

    # ---- the session ------------------------------------------------------------------------

    async def run(self, host: str, port: int, stop: asyncio.Event) -> None:
        """Connect, register (once), authenticate, report; reconnect after a signal loss or a
        dropped connection, until ``stop``. A refused registration is retried every 30 s."""
        while not stop.is_set():
            now = self.clock()
            if self.in_blackout(now):
                self.stored.append(self.position(now))
                if await _wait(stop, self.interval_s):
                    return
                continue
            try:
                reader, writer = await asyncio.open_connection(host, port)
            except OSError:
                if await _wait(stop, 2.0 + self.rng.random()):
                    return
                continue
            self.stats.connects += 1
            self._writer = writer
            reading = asyncio.create_task(self._read(reader))
            try:
                await self._session(stop)
            except (ConnectionError, OSError, TimeoutError):
                pass
            finally:
                reading.cancel()
                self._writer = None
                writer.close()
                try:
                    await writer.wait_closed()
                except (ConnectionError, OSError):
                    pass
            if self.stats.refused is not None and not self.stats.registered and await _wait(stop, 30.0):
                return

    async def _session(self, stop: asyncio.Event) -> None:
        self._registered.clear()
        self._authenticated.clear()
        if self.auth_code is None:
            self._send(self.frame(encode.REGISTER, encode.register_body(
                edition=2019 if self.edition == 2019 else 2013, maker=MAKER, model=MODEL, plate=self.plate,
                terminal_id=self.phone[-7:])))
            await asyncio.wait_for(self._registered.wait(), 15.0)
            if self.auth_code is None:
                return  # refused: stats.refused says why
        self._send(self.frame(encode.AUTHENTICATE, encode.authenticate_body(
            self.auth_code, edition=self.edition, imei=f"86{self.phone[-13:]:0>13}", software="SIM-1.0")))
        await asyncio.wait_for(self._authenticated.wait(), 15.0)
        if self.waybill is not None:
            self._send(self.frame(encode.WAYBILL, encode.waybill_body(self.waybill.encode("gb18030"))))
            self.waybill = None
        if self.stored:
            stored, self.stored = self.stored, []
            first = (self._serial + 1) & 0xFFFF
            frames = encode.location_frames(self.phone, first, stored, edition=self.edition)
            self._serial = (first + len(frames) - 1) & 0xFFFF
            for f in frames:
                self._send(f)
            self.stats.batched += len(stored)
        # stagger the first report so that many terminals do not all speak in the same instant
        next_report = self.clock() + self.rng.uniform(0, self.interval_s)
        while not stop.is_set():
            now = self.clock()
            if self.in_blackout(now):
                return  # signal lost: the connection goes, positions are stored until it is back
            interval = self.interval_s
            if self._tracking is not None:
                if now < self._tracking[1]:
                    interval = self._tracking[0]
                else:
                    self._tracking = None
            if self.camera_every_s and (not self.kept or now - self.kept[-1][3] >= self.camera_every_s):
                self._keep(self._next_media_id(), 1, 1, now)  # the timed camera: kept for a 0x8803
            if now >= next_report:
                self._send(self.frame(encode.LOCATION, self.position(now)))
                if self.can:
                    self._send(self.frame(encode.CAN_BUS_DATA, can_body(self._kmh, datetime.fromtimestamp(now, UTC) + BEIJING)))
                self.stats.reports += 1
                next_report = max(next_report + interval, now)
            elif now - self._last_sent >= self.heartbeat_s:
                self._send(self.frame(encode.HEARTBEAT))
                self.stats.heartbeats += 1
            if await _wait(stop, max(0.01, min(next_report, self._last_sent + self.heartbeat_s) - self.clock())):
                return
            if self._writer is None or self._writer.is_closing():
                return

    def _send(self, data: bytes) -> None:
        if self._writer is None:
            raise ConnectionError("not connected")
        self._writer.write(data)
        self._last_sent = self.clock()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        stream = Jt808Stream(self.phone)
        try:
            while True:
                chunk = await reader.read(4096)
                if not chunk:
                    break
                for msg in stream.feed(chunk):
                    if isinstance(msg, DeviceError):
                        log.warning("terminal %s: from the platform: %s", self.phone, msg)
                        h = getattr(msg, "header", None)
                        if h is not None:  # answered as the standard says: unsupported, or a bad message
                            result = 3 if isinstance(msg, UnknownMessageError) else 2
                            self._send(self.frame(encode.TERMINAL_RESPONSE,
                                                  encode.terminal_response_body(h.serial, h.msg_id, result)))
                            self.stats.answered += 1
                    else:
                        self._on(msg)
        except (ConnectionError, OSError):
            pass
        except Exception:  # a bug here must show, not end the terminal's reading in silence
            log.exception("terminal %s: reading the platform failed", self.phone)
        finally:
            if self._writer is not None:
                self._writer.close()

    def _on(self, msg: object) -> None:
        h = msg.header  # type: ignore[attr-defined]
        if isinstance(msg, RegisterResponse):
            if msg.result == 0:
                self.auth_code = msg.auth_code or ""
                self.stats.registered = True
                self.stats.refused = None
            else:
                self.stats.refused = msg.result
            self._registered.set()
        elif isinstance(msg, PlatformResponse):
            self.stats.acks += 1
            if msg.result not in (0, 4):
                self.stats.nacks += 1
            if msg.reply_id == encode.AUTHENTICATE:
                self.stats.authenticated = msg.result == 0
                if msg.result == 0:
                    self._authenticated.set()
                else:
                    self.auth_code = None  # the platform forgot us: register again next time
        elif isinstance(msg, CameraShoot):
            self._shoot(msg)
        elif isinstance(msg, StoredMediaUpload):
            self._upload_kept(msg)
        elif isinstance(msg, StoredMediaQuery):
            self._list_kept(msg)
        elif isinstance(msg, QueryAttributes):
            self._send(self.frame(encode.TERMINAL_ATTRIBUTES, encode.attributes_body(
                edition=2019 if self.edition == 2019 else 2013, manufacturer=MAKER, model=MODEL,
                terminal_id=self.phone[-7:], iccid=f"8986{self.phone[-16:]:0>16}", hardware=HARDWARE,
                firmware=FIRMWARE)))
            self.stats.answered += 1
        elif isinstance(msg, MediaUploadResponse):
            self._resend(msg)
        elif isinstance(msg, QueryParameters):  # 0x8104 / 0x8106: what it has (of those asked)
            mine = {**self.settings, 0x0001: int(self.heartbeat_s), 0x0029: int(self.interval_s)}
            said = {pid: v for pid, v in mine.items() if not msg.ids or pid in msg.ids}
            self._send(self.frame(encode.PARAMETERS_REPLY, encode.parameters_reply_body(h.serial, said)))
            self.stats.answered += 1
        elif isinstance(msg, PositionQuery):
            self._send(self.frame(encode.POSITION_REPLY, encode.position_reply_body(h.serial,
                                                                                    self.position(self.clock()))))
            self.stats.answered += 1
        else:
            result = 3  # unsupported
            if isinstance(msg, TextMessage):
                self.stats.texts.append(msg.text)
                if self.on_text is not None:
                    self.on_text(self, msg.text)
                result = 0
            elif isinstance(msg, TemporaryTracking):
                self._tracking = None if msg.interval_s == 0 else (
                    float(msg.interval_s), self.clock() + (msg.duration_s or math.inf))
                result = 0
            elif isinstance(msg, PassthroughDown):
                self.passthrough.append((msg.kind, msg.data))
                result = 0
            elif isinstance(msg, AlarmConfirm):
                self.areas.confirm(msg.alarms)  # overspeed clears by itself; the area alarm waits for this
                result = 0
            elif isinstance(msg, PolygonArea | Route | DeleteAreas):
                result = self.areas.apply(msg)
            elif isinstance(msg, SetParameters):
                for pid, value in msg.params:
                    self.settings[pid] = value
                    if pid == 0x0029 and isinstance(value, int) and value > 0:
                        self.interval_s = float(value)
                    elif pid == 0x0001 and isinstance(value, int) and value > 0:
                        self.heartbeat_s = float(value)
                result = 0
            self._send(self.frame(encode.TERMINAL_RESPONSE, encode.terminal_response_body(h.serial, h.msg_id, result)))
            self.stats.answered += 1

    # ---- the camera -------------------------------------------------------------------------

    def _shoot(self, msg: CameraShoot) -> None:
        """0x8801: video and "stop" are not supported (0x0001 result 3); a camera the truck has not is 0x0805
        result 2, more photos than it takes at once result 1; else 0x0805 with the new ids, then the uploads
        (all at once: the simulated camera does not wait ``interval_s``; with ``save`` they stay here)."""
        h = msg.header
        if msg.command in (0, 0xFFFF):
            self._send(self.frame(encode.TERMINAL_RESPONSE, encode.terminal_response_body(h.serial, h.msg_id, 3)))
            self.stats.answered += 1
            return
        result = 0 if msg.channel in CAMERA_CHANNELS else 2
        if result == 0 and msg.command > MAX_PHOTOS:
            result = 1
        ids = [self._next_media_id() for _ in range(msg.command)] if result == 0 else []
        self._send(self.frame(encode.CAMERA_SHOT_REPLY, encode.camera_reply_body(h.serial, result, ids)))
        self.stats.answered += 1
        for media_id in ids:
            self._keep(media_id, msg.channel, 0, self.clock())
            if not msg.save:
                self._upload(media_id, msg.channel)

    def _next_media_id(self) -> int:
        self._media_id = self._media_id % 0xFFFFFFFF + 1
        return self._media_id

    def _keep(self, media_id: int, channel: int, event: int, now: float) -> None:
        self.kept.append((media_id, channel, event, now))
        del self.kept[:-KEPT_PHOTOS]

    def _kept_for(self, msg: StoredMediaUpload | StoredMediaQuery) -> list[tuple[int, int, int, float]]:
        """The kept photos a 0x8802 or 0x8803 asks for: images (type 0) of the camera asked (0: any) taken in the
        span (an open end: no bound), of the event asked; 0, a platform's command, is read as any event, as the
        platform sends it when it asks by time."""
        if msg.media_type != 0:
            return []
        lo = msg.start.timestamp() if msg.start is not None else 0.0
        hi = msg.end.timestamp() if msg.end is not None else float("inf")
        return [k for k in self.kept
                if lo <= int(k[3]) <= hi and msg.channel in (0, k[1]) and msg.event in (0, k[2])]

    def _upload_kept(self, msg: StoredMediaUpload) -> None:
        """0x8803: 0x0001, then every kept photo asked for (`_kept_for`), as 0x0801."""
        h = msg.header
        self._send(self.frame(encode.TERMINAL_RESPONSE, encode.terminal_response_body(h.serial, h.msg_id, 0)))
        self.stats.answered += 1
        for media_id, channel, event, taken in self._kept_for(msg):
            self._upload(media_id, channel, event=event, taken=taken)

    def _list_kept(self, msg: StoredMediaQuery) -> None:
        """0x8802: 0x0802 listing the kept photos asked for (`_kept_for`), each with where it was taken; in
        sub-packages when they do not fit one frame."""
        items = [(media_id, 0, channel, event, self.position(taken))
                 for media_id, channel, event, taken in self._kept_for(msg)]
        body = encode.stored_media_reply_body(msg.header.serial, items)
        first = (self._serial + 1) & 0xFFFF
        frames = encode.frames(encode.STORED_MEDIA_REPLY, self.phone, first, body, edition=self.edition)
        self._serial = (first + len(frames) - 1) & 0xFFFF
        for f in frames:
            self._send(f)
        self.stats.answered += 1

    def _upload(self, media_id: int, channel: int, *, event: int = 0, taken: float | None = None) -> None:
        """One photo as 0x0801 sub-packages with consecutive serials, kept for a 0x8800 asking again; its time and
        position those of when it was taken (the track says where the truck was then)."""
        now = self.clock() if taken is None else taken
        body = encode.media_upload_body(media_id, camera_photo(self.phone, media_id, now),
                                        location=self.position(now), event=event, channel=channel)
        first = (self._serial + 1) & 0xFFFF
        frames = encode.frames(encode.MEDIA_UPLOAD, self.phone, first, body, edition=self.edition)
        self._serial = (first + len(frames) - 1) & 0xFFFF
        for f in frames:
            self._send(f)
        self.stats.photos_sent += 1
        self._uploads[media_id] = frames
        while len(self._uploads) > _KEPT_UPLOADS:
            del self._uploads[next(iter(self._uploads))]

    def _resend(self, msg: MediaUploadResponse) -> None:
        """0x8800: the packages it names again, as first sent (their serials too); none named: all came."""
        self.stats.media_acks += 1
        frames = self._uploads.get(msg.media_id, [])
        if not msg.missing:
            self._uploads.pop(msg.media_id, None)
        for n in msg.missing:
            if 1 <= n <= len(frames):
                self._send(frames[n - 1])
                self.stats.resent += 1


@cache
def _camera_jpeg() -> bytes:
    return CAMERA_JPEG.read_bytes()


def camera_photo(phone: str, media_id: int, now: float) -> bytes:
    """The simulated camera's photo: resources/jt808/camera.jpg with a JPEG comment (COM segment, right after
    the start of image) naming the terminal, the media id and the UTC time, so that every photo differs and
    each is still a valid JPEG."""
    jpeg = _camera_jpeg()
    when = datetime.fromtimestamp(int(now), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = f"SIM CAMERA terminal={phone} media={media_id} utc={when}".encode("ascii")
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(text) + 2) + text + jpeg[2:]


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to ``seconds``; True if ``stop`` was set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), max(0.0, seconds))
        return True
    except TimeoutError:
        return False


def truck_phone(i: int) -> str:
    """The terminal number of simulated truck ``i`` (from 1): 0139 0000 00NN, BCD[6] as in a 2013 header."""
    return f"01390000{i:04d}"


class Jt808Fleet:
    """Many `SimTerminal`s on one asyncio loop in a daemon thread: ``start()``, ``stop()``."""

    def __init__(self, terminals: Sequence[SimTerminal], host: str, port: int) -> None:
        self.terminals = list(terminals)
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    def start(self) -> Jt808Fleet:
        self._thread = threading.Thread(target=self._run, name="jt808-sim", daemon=True)
        self._thread.start()
        self._ready.wait(10.0)
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._stop = asyncio.Event()

        async def main() -> None:
            assert self._stop is not None
            self._ready.set()
            await asyncio.gather(*(self._guarded(t) for t in self.terminals))

        try:
            loop.run_until_complete(main())
        finally:
            loop.close()

    async def _guarded(self, t: SimTerminal) -> None:
        """One terminal's run; a fault of its own is said (and ends that terminal only), not swallowed."""
        try:
            await t.run(self.host, self.port, self._stop or asyncio.Event())
        except Exception:
            log.exception("simulated terminal %s stopped", t.phone)

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            try:
                self._loop.call_soon_threadsafe(self._stop.set)
            except RuntimeError:
                pass  # the loop already ended
        if self._thread is not None:
            self._thread.join(timeout)

    def totals(self) -> dict[str, int]:
        s = [t.stats for t in self.terminals]
        return {
            "terminals": len(s), "authenticated": sum(x.authenticated for x in s),
            "refused": sum(x.refused is not None for x in s), "reports": sum(x.reports for x in s),
            "batched": sum(x.batched for x in s), "heartbeats": sum(x.heartbeats for x in s),
            "acks": sum(x.acks for x in s), "nacks": sum(x.nacks for x in s), "answered": sum(x.answered for x in s),
            "texts": sum(len(x.texts) for x in s), "connects": sum(x.connects for x in s),
            "photos_sent": sum(x.photos_sent for x in s), "media_acks": sum(x.media_acks for x in s),
        }
