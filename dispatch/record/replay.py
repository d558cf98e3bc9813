"""The replay engine: what the console showed at any past instant, read from the store. No Qt.

A `Recording` reads one store (the live one, or an exported replay file) through a
SQLAlchemy engine and answers the replay's questions:

- `positions_at(t)`: every unit where the replay draws it at `t`: its last stored fix at or
  before `t` (ties on time: the fix stored last), from both tiers of stored fixes (dispatch/fixes.py:
  the plain table's newest minutes, the sealed blocks' history). One index seek per unit in each
  tier, never a GROUP BY over the history, so the cost grows with the number of units, not with
  the length of the recording. The unit list itself comes from skip-scans of the same indexes (a
  recursive query: one seek per distinct unit), cached.
- `events(t1, t2)`: the event log of a window; `density()` for the timeline.
- `trails(t, minutes)`: each unit's fixes of the last minutes, thinned for drawing.
- `state_at(t)`: units, incidents, tasks... as they were at `t`, by replaying the event log
  through the same appliers as the live core. Periodic in-memory snapshots (checkpoints every
  `CHECKPOINT_EVERY` events) make seeking backwards cheap; seeking forwards applies only the
  events in between.

Operations `replay.positions`, `replay.events` and `replay.export` make the same answers
available to `ctl` and through the hub.
"""

from __future__ import annotations

import bisect
import copy
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from dispatch import fixes as stored_fixes
from dispatch.changes import Changes
from dispatch.errors import Refused
from dispatch.state import State
from dispatch.store import Event

log = logging.getLogger(__name__)

CHECKPOINT_EVERY = 500
# ISO 8601 times carry microseconds: a fix counts as "at or before T" if its time, rounded to the
# microsecond as any ISO rendering of it would be, is not after T.
MICROSECOND_SLACK = 5e-7

# Kinds the timeline marks (by prefix; anything with "assign" in its kind is an assignment).
ALERT_PREFIXES = ("alert.", "geofence.", "alarm.", "incident.overdue", "feed.disconnected", "unit.offline")
ALERT_KINDS = frozenset({"jt808.alarm"})  # a truck terminal's alarm (its clearing is not one)
INCIDENT_PREFIXES = ("incident.",)


def marker_class(kind: str) -> str | None:
    """Which timeline marker an event kind gets: "assignment", "alert", "incident" or None (density only)."""
    if "assign" in kind:
        return "assignment"
    if kind.startswith(ALERT_PREFIXES) or kind in ALERT_KINDS:
        return "alert"
    if kind.startswith(INCIDENT_PREFIXES):
        return "incident"
    return None


def iso_z(ts: float | None) -> str | None:
    """UTC ISO 8601 with microseconds and a Z."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_time(value: str | float | int) -> float:
    """ISO 8601 (with or without offset; naive means the machine's local time) or epoch seconds.

    :raises Refused: if the text is neither.
    """
    if isinstance(value, int | float):
        return float(value)
    s = str(value).strip()
    try:
        return float(s)
    except ValueError:
        pass
    try:
        d = datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise Refused(
            f"cannot read the time {value!r}: give ISO 8601 such as 2026-03-01T08:30:00+08:00 "
            "(or ...Z for UTC), or epoch seconds", "bad_time") from None
    if d.tzinfo is None:
        d = d.astimezone()  # local wall-clock time, as a shift lead would type it
    return d.timestamp()


@dataclass(frozen=True, slots=True)
class Fix:
    unit_id: str
    ts: float
    lat: float
    lon: float
    speed: float | None = None
    course: float | None = None
    source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"unit_id": self.unit_id, "lat": self.lat, "lon": self.lon, "time": iso_z(self.ts), "ts": self.ts,
                "speed": self.speed, "course": self.course, "source": self.source}


UNIT_LIST_TTL_S = 5.0
TRACK_GAP_S = 120.0  # fixes further apart than this are not joined: the data stopped (a restart, no signal)


def track_segments(pts: list[tuple[float, float, float]], max_points: int | None = None,
                   gap_s: float = TRACK_GAP_S) -> list[list[tuple[float, float, float]]]:
    """A track, [(ts, lat, lon)] in time order, as segments broken where the fixes stop for longer than
    `gap_s` (a line across that gap would cross blocks and the river where the unit never went), thinned
    to about `max_points` in all with each segment's ends kept."""
    segments: list[list[tuple[float, float, float]]] = []
    for p in pts:
        if not segments or p[0] - segments[-1][-1][0] > gap_s:
            segments.append([])
        segments[-1].append(p)
    total = sum(len(seg) for seg in segments)
    if max_points is None or total <= max_points:
        return segments
    thinned = []
    for seg in segments:
        n = max(min(len(seg), 2), round(len(seg) * max_points / total))
        if len(seg) > n:
            step = (len(seg) - 1) / (n - 1)
            seg = [seg[round(i * step)] for i in range(n)]
        thinned.append(seg)
    return thinned


_EVENT_SPAN_SQL = text("SELECT MIN(ts), MAX(ts) FROM events")


class Recording:
    """Read-only questions about a store's history. Not thread-safe: one per window/thread."""

    def __init__(self, engine: Engine, *, flush: Any = None) -> None:
        self.engine = engine
        self._flush = flush  # the live store's flush(): buffered fixes count as stored
        self._units: list[str] | None = None
        self._units_at = 0.0
        self._events: list[Event] | None = None
        self._event_ts: list[float] = []
        self._checkpoints: list[tuple[int, State]] = []  # (index of next event to apply, state)
        self._state: State | None = None
        self._state_index = 0  # events[:index] are applied to _state

    @classmethod
    def of_store(cls, store: Any) -> Recording:
        return cls(store.engine, flush=store.flush)

    def _sync(self) -> None:
        if self._flush is not None:
            self._flush()

    # ---------------------------------------------------------------- fixes
    def units(self, *, refresh: bool = False) -> list[str]:
        """Every unit with at least one stored fix."""
        if self._units is None or refresh:
            self._sync()
            with self.engine.connect() as conn:
                self._units = stored_fixes.unit_ids(conn)
            self._units_at = time.monotonic()
        return self._units

    def span(self) -> tuple[float, float] | None:
        """(first, last) time of the recording over fixes and events; None when it is empty."""
        self._sync()
        with self.engine.connect() as conn:
            lo = list(stored_fixes.span(conn) or ())
            lo += [v for v in conn.execute(_EVENT_SPAN_SQL).first() or () if v is not None]
        if not lo:
            return None
        return min(lo), max(lo)

    def positions_at(self, t: float, units: Iterable[str] | None = None, *, slack: float = 0.0,
                     fresh_units: bool = True) -> list[Fix]:
        """Every unit's last fix at or before `t` (units with no fix by then are left out), by unit id.

        `fresh_units=False` reuses the unit list found earlier (the replay window refreshes it
        every few seconds): the redraw is then one correlated index seek per unit.
        """
        self._sync()
        bound = t + slack
        if units is None and not fresh_units:
            if self._units is None or time.monotonic() - self._units_at > UNIT_LIST_TTL_S:
                self.units(refresh=True)
            units = self._units
        with self.engine.connect() as conn:
            rows = stored_fixes.last_fixes(conn, bound, units)
        out = [Fix(*r) for r in rows]
        out.sort(key=lambda f: f.unit_id)
        return out

    def trails(self, t: float, minutes: float, units: Iterable[str] | None = None,
               *, max_points: int = 120) -> dict[str, list[tuple[float, float] | None]]:
        """Each unit's track over (t - minutes, t], as [(lat, lon)], thinned to `max_points`; a None between
        two points where the fixes stopped for longer than TRACK_GAP_S (the track is not drawn across it).

        The window's fixes of both tiers: by unit on (unit_id, time), or every unit's on time.
        """
        wanted = list(units) if units is not None else self.units()
        t0 = t - minutes * 60.0
        tracks: dict[str, list[tuple[float, float, float]]] = {}
        with self.engine.connect() as conn:
            for u, ts, lat, lon, *_rest in stored_fixes.fixes_between(conn, t0, t, None if units is None else wanted,
                                                                    from_open=True):
                tracks.setdefault(u, []).append((ts, lat, lon))
        out: dict[str, list[tuple[float, float] | None]] = {}
        for u, pts in tracks.items():
            if len(pts) < 2:
                continue
            line: list[tuple[float, float] | None] = []
            for seg in track_segments(pts, max_points):
                if line:
                    line.append(None)  # a gap: lift the pen
                line.extend((lat, lon) for _ts, lat, lon in seg)
            out[u] = line
        return out

    def track(self, unit_id: str, t1: float, t2: float, *, limit: int | None = None) -> list[Fix]:
        """Every stored fix of one unit with t1 <= ts <= t2, in time order, unthinned (an evidence excerpt);
        at most `limit` (the first ones) when given. One range seek on the unit's fixes in each tier."""
        self._sync()
        with self.engine.connect() as conn:
            rows = stored_fixes.fixes_between(conn, t1, t2, [unit_id])
        return [Fix(*r) for r in (rows if limit is None else rows[:limit])]

    # --------------------------------------------------------------- events
    def events(self, t1: float | None = None, t2: float | None = None, *, entity: str | None = None,
               kind: str | None = None, limit: int | None = None) -> list[Event]:
        """Events with t1 <= ts <= t2, in log order. `kind` matches a kind or a prefix ("incident")."""
        where, params = ["1=1"], {}
        if t1 is not None:
            where.append("ts >= :t1")
            params["t1"] = t1
        if t2 is not None:
            where.append("ts <= :t2")
            params["t2"] = t2
        if entity:
            where.append("entity = :entity")
            params["entity"] = entity
        if kind:
            where.append("(kind = :kind OR kind LIKE :kprefix)")
            params["kind"] = kind
            params["kprefix"] = kind.rstrip(".*") + ".%"
        sql = f"SELECT seq, ts, actor, kind, entity, payload, hash FROM events WHERE {' AND '.join(where)} ORDER BY seq"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self.engine.connect() as conn:
            return [_event(r) for r in conn.execute(text(sql), params)]

    def all_events(self, *, refresh: bool = False) -> list[Event]:
        """The whole log in memory (what `state_at` replays), loaded once and extended on refresh."""
        if self._events is None:
            self._events = self.events()
            self._event_ts = _running_max([e.ts for e in self._events])
        elif refresh:
            last = self._events[-1].seq if self._events else 0
            with self.engine.connect() as conn:
                more = [_event(r) for r in conn.execute(text(
                    "SELECT seq, ts, actor, kind, entity, payload, hash FROM events WHERE seq > :s ORDER BY seq"),
                    {"s": last})]
            self._events.extend(more)
            self._event_ts.extend(_running_max([e.ts for e in more], self._event_ts[-1] if self._event_ts else None))
        return self._events

    def density(self, t1: float, t2: float, bins: int = 200) -> tuple[list[float], list[int]]:
        """Event counts in `bins` equal slices of [t1, t2]: (left edges, counts)."""
        bins = max(1, bins)
        width = max(1e-9, (t2 - t1) / bins)
        counts = [0] * bins
        for ts in self._event_ts_between(t1, t2):
            counts[min(bins - 1, int((ts - t1) / width))] += 1
        return [t1 + i * width for i in range(bins)], counts

    def _event_ts_between(self, t1: float, t2: float) -> list[float]:
        self.all_events()
        i, j = bisect.bisect_left(self._event_ts, t1), bisect.bisect_right(self._event_ts, t2)
        return self._event_ts[i:j]

    def next_event_time(self, t: float) -> float | None:
        self.all_events()
        i = bisect.bisect_right(self._event_ts, t)
        return self._event_ts[i] if i < len(self._event_ts) else None

    def previous_event_time(self, t: float) -> float | None:
        self.all_events()
        i = bisect.bisect_left(self._event_ts, t)
        return self._event_ts[i - 1] if i > 0 else None

    # ---------------------------------------------------------------- state
    def state_at(self, t: float) -> State:
        """The derived state (units, ext...) after every event with ts <= t. Do not mutate it."""
        from dispatch.ops import load_features

        load_features()
        events = self.all_events()
        target = bisect.bisect_right(self._event_ts, t)
        if self._state is None or target < self._state_index:
            # Back to the nearest checkpoint at or before the target.
            k = bisect.bisect_right([c[0] for c in self._checkpoints], target) - 1
            if k >= 0:
                self._state_index, self._state = self._checkpoints[k][0], copy.deepcopy(self._checkpoints[k][1])
            else:
                self._state_index, self._state = 0, State()
        scratch = Changes()
        while self._state_index < target:
            self._state.apply(events[self._state_index], scratch)
            self._state_index += 1
            scratch.events.clear()
            if self._state_index % CHECKPOINT_EVERY == 0 and (
                not self._checkpoints or self._checkpoints[-1][0] < self._state_index
            ):
                self._checkpoints.append((self._state_index, copy.deepcopy(self._state)))
        return self._state


def _running_max(ts: list[float], start: float | None = None) -> list[float]:
    """Event times made non-decreasing in log order. Writers on other machines may stamp an event a
    little earlier than the one before it; the replay keeps log order and shows such an event when
    its predecessor happened."""
    out, m = [], start if start is not None else float("-inf")
    for t in ts:
        m = t if t > m else m
        out.append(m)
    return out


def _event(r: Any) -> Event:
    try:
        payload = json.loads(r[5])
    except (TypeError, ValueError):
        payload = {"_unreadable": str(r[5])}
    return Event(r[0], r[1], r[2], r[3], r[4], payload, r[6])


def event_dict(ev: Event) -> dict[str, Any]:
    return {"seq": ev.seq, "time": iso_z(ev.ts), "ts": ev.ts, "actor": ev.actor, "kind": ev.kind,
            "entity": ev.entity, "payload": ev.payload}
