"""Typed records of JT/T 808 messages: one frozen dataclass per message, each with its `Header`.

Positions (`Location`) are the body of 0x0200 and each item of 0x0704 and 0x0201. Times are aware
UTC datetimes (the terminal's Beijing time converted); speeds are km/h as the standard carries
them (`Location.fix` gives the `devices.records.Fix` every feed produces, in m/s).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from devices.jt808.bits import alarm_names, status_names
from devices.jt808.header import Header, phone_key
from devices.jt808.make import maker
from devices.records import Fix, new_fix

# 0x8001 / 0x0001 result codes
RESULT_OK, RESULT_FAILURE, RESULT_BAD_MESSAGE, RESULT_UNSUPPORTED, RESULT_ALARM_CONFIRMED = 0, 1, 2, 3, 4
RESULTS = {0: "ok", 1: "failure", 2: "bad_message", 3: "unsupported", 4: "alarm_confirmed"}
# 0x8100 result codes
REGISTER_OK, VEHICLE_REGISTERED, NO_SUCH_VEHICLE, TERMINAL_REGISTERED, NO_SUCH_TERMINAL = 0, 1, 2, 3, 4
REGISTER_RESULTS = {0: "ok", 1: "vehicle_already_registered", 2: "no_such_vehicle",
                    3: "terminal_already_registered", 4: "no_such_terminal"}
# 0x0702: the qualification card's reading (status 0x01, card inserted)
CARD_READ = {0: "ok", 1: "key_authentication_failed", 2: "card_locked", 3: "card_pulled_out", 4: "data_check_failed"}
# 0x0200 items 0x11/0x12: where
AREA_KINDS = {0: "none", 1: "circle", 2: "rectangle", 3: "polygon", 4: "route"}
# multimedia (0x0800, 0x0801, 0x0805, 0x8800, 0x8801): what, how encoded, why taken, the camera's answer
MEDIA_TYPES = {0: "image", 1: "audio", 2: "video"}
MEDIA_FORMATS = {0: "jpeg", 1: "tif", 2: "mp3", 3: "wav", 4: "wmv"}
MEDIA_EVENTS = {0: "platform_command", 1: "timed", 2: "robbery_alarm", 3: "collision_rollover_alarm",
                4: "door_opened", 5: "door_closed", 6: "door_closed_over_20_kmh", 7: "fixed_distance"}
CAMERA_RESULTS = {0: "ok", 1: "failure", 2: "channel_not_supported"}
_MIME = {0: "image/jpeg", 1: "image/tiff", 2: "audio/mpeg", 3: "audio/wav", 4: "video/x-ms-wmv"}


@dataclass(frozen=True, slots=True)
class OverspeedInfo:
    """Additional item 0x11: where the overspeed alarm applies."""

    kind: str  # AREA_KINDS: none, circle, rectangle, polygon, route
    area_id: int | None = None


@dataclass(frozen=True, slots=True)
class AreaCrossing:
    """Additional item 0x12: an area or route entered or left."""

    kind: str
    area_id: int
    entering: bool  # False: leaving


@dataclass(frozen=True, slots=True)
class RouteTime:
    """Additional item 0x13: a road section driven too fast or too slowly."""

    section_id: int
    seconds: int
    too_long: bool  # False: too short


@dataclass(frozen=True, slots=True)
class Extras:
    """The additional items of a position (table 27), decoded; ``raw`` keeps every item not
    decoded here (unknown ids, vendors' 0xE1-0xFF, items of the wrong length) as (id, bytes)."""

    mileage_km: float | None = None  # 0x01, 1/10 km
    fuel_l: float | None = None  # 0x02, 1/10 L
    recorder_speed_kmh: float | None = None  # 0x03, 1/10 km/h
    alarm_event_id: int | None = None  # 0x04: id of an alarm event to be confirmed by hand
    tire_pressure_kpa: tuple[int | None, ...] | None = None  # 0x05 (2019), per tyre; None for no value
    carriage_temp_c: int | None = None  # 0x06 (2019)
    overspeed: OverspeedInfo | None = None  # 0x11
    area: AreaCrossing | None = None  # 0x12
    route_time: RouteTime | None = None  # 0x13
    signals: tuple[str, ...] | None = None  # 0x25: extended vehicle signals on
    io: tuple[str, ...] | None = None  # 0x2A
    analog: tuple[int, int] | None = None  # 0x2B: AD0, AD1
    signal_strength: int | None = None  # 0x30: wireless network signal strength
    satellites: int | None = None  # 0x31: GNSS satellites in view
    raw: tuple[tuple[int, bytes], ...] = ()


NO_EXTRAS = Extras()


@dataclass(frozen=True, slots=True)
class Location:
    """A position: the body of 0x0200, an item of 0x0704, the answer 0x0201."""

    alarm: int  # the alarm flag DWORD (`alarms`: its names)
    status: int  # the status DWORD (`statuses`: its names)
    lat: float  # degrees, south negative (from status bit 2)
    lon: float  # degrees, west negative (status bit 3)
    altitude: int  # metres
    speed: float  # km/h
    course: int  # degrees, 0-359, north 0, clockwise
    time: datetime | None  # UTC; None when the terminal sent no valid date
    extras: Extras = NO_EXTRAS

    @property
    def alarms(self) -> tuple[str, ...]:
        return alarm_names(self.alarm)

    @property
    def statuses(self) -> tuple[str, ...]:
        return status_names(self.status)

    @property
    def positioned(self) -> bool:
        return bool(self.status & 2)

    def fix(self, source: str) -> Fix | None:
        """The position as a `Fix` (speed in m/s); None without a fix or a time."""
        if not self.status & 2 or self.time is None:
            return None
        return new_fix(source, self.time.timestamp(), self.lat, self.lon, self.speed / 3.6, float(self.course),
                       None, float(self.altitude), 2, None, None, self.extras.satellites, None, "JT808")


@dataclass(frozen=True, slots=True)
class TerminalResponse:
    """0x0001: the terminal's general answer to a platform message."""

    header: Header
    reply_serial: int
    reply_id: int
    result: int  # 0 ok, 1 failure, 2 bad message, 3 unsupported


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """0x0002 (empty body)."""

    header: Header


@dataclass(frozen=True, slots=True)
class Logout:
    """0x0003: the terminal deregisters (empty body)."""

    header: Header


@dataclass(frozen=True, slots=True)
class Register:
    """0x0100. ``edition`` 2011 / 2013 / 2019, told by the header and the body's layout."""

    header: Header
    edition: int
    province: int
    city: int
    manufacturer: str
    model: str
    terminal_id: str
    plate_color: int  # 0: no plate (2019: then ``plate`` is the VIN); 1 blue, 2 yellow, 3 black, 4 white, 9 other
    plate: str


@dataclass(frozen=True, slots=True)
class Authenticate:
    """0x0102. 2019 adds the IMEI and the software version."""

    header: Header
    code: str
    imei: str | None = None
    software: str | None = None


@dataclass(frozen=True, slots=True)
class LocationReport:
    """0x0200."""

    header: Header
    location: Location


class _OneLocation:
    """A message that carries one position in ``location``, which `locations_of` gives: 0x0500
    (`devices.jt808.more.VehicleControlReply`)."""

    __slots__ = ()
    location: Location


@dataclass(frozen=True, slots=True)
class PositionReply:
    """0x0201: the answer to a position query 0x8201."""

    header: Header
    reply_serial: int
    location: Location


@dataclass(frozen=True, slots=True)
class LocationBatch:
    """0x0704: positions stored while the terminal could not send (``blind_area``) or sent in batches."""

    header: Header
    blind_area: bool  # type 1: blind-area supplement; 0: a normal batch
    locations: tuple[Location, ...]


@dataclass(frozen=True, slots=True)
class PlatformResponse:
    """0x8001: the platform's general answer."""

    header: Header
    reply_serial: int
    reply_id: int
    result: int  # RESULTS


@dataclass(frozen=True, slots=True)
class RegisterResponse:
    """0x8100: the answer to a registration; the authentication code only with result 0."""

    header: Header
    reply_serial: int
    result: int  # REGISTER_RESULTS
    auth_code: str | None = None


@dataclass(frozen=True, slots=True)
class SetParameters:
    """0x8103: terminal parameters; values are int, str or bytes by parameter (`devices.jt808.params`)."""

    header: Header
    params: tuple[tuple[int, int | str | bytes], ...]


@dataclass(frozen=True, slots=True)
class QueryParameters:
    """0x8104 (every parameter, empty body) or 0x8106 (``ids``, the ones named): the terminal answers 0x0104."""

    header: Header
    ids: tuple[int, ...] = ()  # 0x8106's; empty: 0x8104, all of them


@dataclass(frozen=True, slots=True)
class ParametersReply:
    """0x0104: the terminal's parameters, answering 0x8104 / 0x8106; values as `SetParameters`' are."""

    header: Header
    reply_serial: int
    params: tuple[tuple[int, int | str | bytes], ...]


@dataclass(frozen=True, slots=True)
class PositionQuery:
    """0x8201 (empty body): the terminal answers with 0x0201."""

    header: Header


@dataclass(frozen=True, slots=True)
class TemporaryTracking:
    """0x8202: report every ``interval_s`` seconds for ``duration_s`` seconds (interval 0 stops)."""

    header: Header
    interval_s: int
    duration_s: int


@dataclass(frozen=True, slots=True)
class TextMessage:
    """0x8300: text for the driver's display (and/or read out by TTS)."""

    header: Header
    flags: int
    text: str
    text_type: int | None = None  # 2019: 1 notice, 2 service information

    @property
    def emergency(self) -> bool:
        if self.header.edition == 2019:
            return self.flags & 3 == 2
        return bool(self.flags & 1)

    @property
    def display(self) -> bool:
        return bool(self.flags & 4)

    @property
    def tts(self) -> bool:
        return bool(self.flags & 8)


@dataclass(frozen=True, slots=True)
class AlarmConfirm:
    """0x8203: the platform's operator confirms alarms (manual alarm confirmation); the terminal may then clear
    the alarms it keeps until confirmed (emergency, dangerous driving, area and route alarms...)."""

    header: Header
    reply_serial: int  # the serial of the alarm's message; 0 confirms every alarm of these kinds
    alarms: int  # the alarm bits confirmed


@dataclass(frozen=True, slots=True)
class DriverIdentity:
    """0x0702 (2013, 2019): the driver's qualification certificate card put in the terminal's reader (on duty)
    or taken out (off duty). What the card says comes with a card put in and read (``read_result`` 0):
    the driver's name, the qualification certificate's number, the agency that issued it and its validity;
    2019 adds the driver's identity card number."""

    header: Header
    inserted: bool  # False: the card was taken out
    time: datetime | None  # when, as the terminal says (None: no valid date)
    read_result: int | None = None  # with a card put in: CARD_READ
    name: str = ""
    certificate: str = ""
    agency: str = ""
    valid_until: str | None = None  # YYYY-MM-DD
    id_number: str = ""


def _named(table: dict[int, str], value: int, prefix: str) -> str:
    """The name of a code, or ``prefix_<n>`` for a code the standard does not define (vendors' own)."""
    return table.get(value, f"{prefix}_{value}")


class _MediaNames:
    """The names of a multimedia item's codes (0x0800, 0x0801): its type, format and why it was taken."""

    __slots__ = ()
    media_type: int
    media_format: int
    event: int

    @property
    def kind(self) -> str:
        return _named(MEDIA_TYPES, self.media_type, "type")

    @property
    def format_name(self) -> str:
        return _named(MEDIA_FORMATS, self.media_format, "format")

    @property
    def event_name(self) -> str:
        return _named(MEDIA_EVENTS, self.event, "event")


@dataclass(frozen=True, slots=True)
class MediaEvent(_MediaNames):
    """0x0800: the terminal announces a multimedia item it took (a photo on a door opening, on an alarm...),
    before or instead of uploading it."""

    header: Header
    media_id: int
    media_type: int  # MEDIA_TYPES
    media_format: int  # MEDIA_FORMATS
    event: int  # MEDIA_EVENTS
    channel: int  # the camera (or microphone) channel


@dataclass(frozen=True, slots=True)
class MediaUpload(_MediaNames):
    """0x0801: a multimedia item (a truck camera's photo), joined from its sub-packages. 2013 and 2019 put
    the position where it was taken (the 28 fixed bytes of a 0x0200 body) before the data; 2011 has none."""

    header: Header
    media_id: int
    media_type: int  # MEDIA_TYPES
    media_format: int  # MEDIA_FORMATS
    event: int  # MEDIA_EVENTS
    channel: int
    location: Location | None  # None: the 2011 layout (no position)
    data: bytes

    @property
    def mime(self) -> str:
        """The data's MIME type by its format code (``application/octet-stream`` for a code not known)."""
        return _MIME.get(self.media_format, "application/octet-stream")


@dataclass(frozen=True, slots=True)
class CameraShotReply:
    """0x0805: the answer to a camera command 0x8801; the ids of the items taken come with result 0."""

    header: Header
    reply_serial: int
    result: int  # CAMERA_RESULTS
    media_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredMediaUpload:
    """0x8803: upload the media the terminal keeps that were taken between ``start`` and ``end`` (by type, camera
    ``channel`` (0: every camera) and ``event``), each as a 0x0801; ``delete`` drops them from the terminal after."""

    header: Header
    media_type: int  # MEDIA_TYPES
    channel: int  # 0: every channel
    event: int  # MEDIA_EVENTS
    start: datetime | None
    end: datetime | None
    delete: bool


@dataclass(frozen=True, slots=True)
class RetransmitRequest:
    """0x8003: the platform asks for the sub-packages of a split message that did not come, by the serial of its
    package 1 (any message but a photo, whose 0x8800 does it)."""

    header: Header
    first_serial: int
    missing: tuple[int, ...]  # sub-package numbers (from 1) to send again


@dataclass(frozen=True, slots=True)
class MediaUploadResponse:
    """0x8800: the platform's answer to a 0x0801 upload: the packages to send again (none: all came)."""

    header: Header
    media_id: int
    missing: tuple[int, ...] = ()  # sub-package numbers (from 1) to send again


@dataclass(frozen=True, slots=True)
class CameraShoot:
    """0x8801: take photos (or record video) now. ``command`` 0 stops, 0xFFFF records video, n takes n
    photos ``interval_s`` apart (for video: its length); ``save`` keeps them on the terminal instead of
    uploading them at once."""

    header: Header
    channel: int
    command: int
    interval_s: int
    save: bool
    resolution: int  # 1: 320x240, 2: 640x480, 3: 800x600, 4: 1024x768, ...
    quality: int  # 1 (best) .. 10 (most compressed)
    brightness: int  # 0-255
    contrast: int  # 0-127
    saturation: int  # 0-127
    chroma: int  # 0-255


@dataclass(frozen=True, slots=True)
class Fragment:
    """One sub-package of a split message, before the whole message is joined."""

    header: Header
    data: bytes


Message = (TerminalResponse | Heartbeat | Logout | Register | Authenticate | LocationReport | PositionReply
           | LocationBatch | PlatformResponse | RegisterResponse | SetParameters | PositionQuery | QueryParameters | ParametersReply
           | TemporaryTracking | TextMessage | AlarmConfirm | DriverIdentity | MediaEvent | MediaUpload
           | CameraShotReply | MediaUploadResponse | RetransmitRequest | StoredMediaUpload | CameraShoot | Fragment)


new_location = maker(Location)
new_extras = maker(Extras)
new_location_report = maker(LocationReport)
EXTRAS_FIELDS = tuple(f.name for f in fields(Extras))


def locations_of(msg: object) -> tuple[Location, ...]:
    """Every position a message carries (0x0200, 0x0201, 0x0500, each item of 0x0704)."""
    if isinstance(msg, LocationReport | PositionReply | _OneLocation):
        return (msg.location,)
    if isinstance(msg, LocationBatch):
        return msg.locations
    return ()


def source_key(phone: str) -> str:
    """The feed source key of a terminal: ``jt808:`` and its number without leading zeros."""
    return "jt808:" + phone_key(phone)
