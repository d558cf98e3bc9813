"""The evidence book: cameras, clips and stills as derived from the log (``state.ext["evidence"]``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from dispatch.errors import NotFound, Refused
from dispatch.state import State

EXT = "evidence"


@dataclass
class Camera:
    id: str
    kind: str  # "fixed" | "mobile"
    name: str = ""
    lat: float | None = None  # fixed cameras
    lon: float | None = None
    direction: float = 0.0  # degrees from north (fixed), or from the unit's heading (mobile)
    fov: float = 90.0  # horizontal field of view, degrees (360: all round)
    range_m: float = 100.0
    zone: str = ""
    stream: str = ""  # rtsp://, http(s):// or file:// address
    unit_id: str | None = None  # mobile cameras: the unit carrying it
    registered_at: float = 0.0
    registered_by: str = ""
    down: str | None = None  # why its stream was unreachable at the last check (None: reachable or unchecked)
    checked_at: float | None = None
    removed_at: float | None = None  # taken out of service (kept: its past footage is still found)
    removed_by: str = ""
    past: list[dict[str, Any]] = field(default_factory=list)  # earlier placements, each with "until" (epoch s)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def at(self, t: float) -> Camera | None:
        """The camera as it was placed at instant `t` (an earlier placement before a move), None once removed."""
        if self.removed_at is not None and t >= self.removed_at:
            return None
        for placement in self.past:  # oldest first
            if t < float(placement["until"]):
                known = set(Camera.__dataclass_fields__) - {"past"}
                return Camera(**{k: v for k, v in placement.items() if k in known})
        return self


@dataclass
class Clip:
    id: int
    sha256: str
    size: int
    name: str
    start: float
    end: float
    duration_s: float
    incidents: list[int]
    camera_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    start_source: str = "container"  # "container" | "given"
    media: dict[str, Any] = field(default_factory=dict)  # codec, width, height, fps, frames
    added_at: float = 0.0
    added_by: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Still:
    id: int
    clip_id: int
    sha256: str
    size: int
    at: float  # the instant asked for
    offset_s: float  # the frame's presentation time from the clip's start
    frame_time: float  # start + offset_s: the instant the frame shows
    width: int = 0
    height: int = 0
    name: str = ""
    taken_at: float = 0.0
    taken_by: str = ""
    annotations: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EvidenceBook:
    cameras: dict[str, Camera] = field(default_factory=dict)
    clips: dict[int, Clip] = field(default_factory=dict)
    stills: dict[int, Still] = field(default_factory=dict)


def book(state: State) -> EvidenceBook:
    b = state.ext.get(EXT)
    if b is None:
        b = state.ext[EXT] = EvidenceBook()
    return b


def parse_num(value: Any, what: str) -> int:
    s = str(value).strip().lstrip("#")
    for prefix in ("clip:", "still:"):
        s = s.removeprefix(prefix)
    try:
        return int(s)
    except ValueError:
        raise Refused(f"bad {what} id {value!r}; give a number such as 3", "bad_id") from None


def get_clip(state: State, clip_id: Any) -> Clip:
    cid = parse_num(clip_id, "clip")
    c = book(state).clips.get(cid)
    if c is None:
        raise NotFound(f"unknown clip {cid}")
    return c


def get_still(state: State, still_id: Any) -> Still:
    sid = parse_num(still_id, "still")
    s = book(state).stills.get(sid)
    if s is None:
        raise NotFound(f"unknown still {sid}")
    return s


def get_camera(state: State, camera_id: Any, *, removed: bool = False) -> Camera:
    """A camera in service (or also a removed one when `removed`). :raises NotFound: unknown or removed."""
    cam = book(state).cameras.get(str(camera_id).strip())
    if cam is None:
        raise NotFound(f"unknown camera {camera_id}")
    if cam.removed_at is not None and not removed:
        raise NotFound(f"camera {cam.id} was removed (by {cam.removed_by or '?'})")
    return cam
