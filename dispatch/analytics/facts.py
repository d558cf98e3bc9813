"""The facts of each incident that the figures are built from: one row of numbers per incident.

A row is read from the incident's own record (its history of events), never from another figure:
when it was created, first dispatched, first on scene, resolved and closed; whether a deadline passed
before it was closed, how often it was reopened (rework) and its deadline extended, its satisfaction,
and where it was (district, river segment, road) as the city data names the place. `Facts` keeps the
rows as numpy columns and rebuilds only the rows of incidents that changed since the last refresh, so a
dashboard over a year of incidents recomputes in milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

NAN = float("nan")
CLOSED = ("closed", "evaluated")
EXTENDED_KINDS = ("incident.deadline_extended",)  # a deadline extended with approval (shift lead)


@dataclass(slots=True)
class Row:
    id: int
    created: float
    category: str
    source: str
    priority: str
    state: str
    lat: float
    lon: float
    unit: str  # the unit that last worked it ("" if none)
    dispatched: float = NAN  # first assignment
    on_scene: float = NAN  # first arrival
    resolved: float = NAN  # last time it was resolved
    closed: float = NAN  # last time it was closed (or evaluated)
    rejected: bool = False
    verified: bool = False  # accepted as a case (立案): verified or dispatched at least once
    overdue: bool = False  # a deadline passed before it was (last) closed
    reworked: int = 0  # times reopened after being resolved or closed
    extended: int = 0  # deadline extensions
    satisfaction: float = NAN


def row_of(inc: Any) -> Row:
    """The facts of one incident (`dispatch.incidents.book.Incident`), from its history."""
    r = Row(id=inc.id, created=inc.created_at, category=inc.category, source=inc.source, priority=inc.priority,
            state=str(inc.state.value if hasattr(inc.state, "value") else inc.state), lat=inc.lat, lon=inc.lon,
            unit=(inc.units[-1] if inc.units else "") or "")
    overdue_at: list[float] = []
    for h in inc.history:
        kind, to, t = h.get("kind"), h.get("to"), float(h.get("time") or 0.0)
        if kind == "incident.assigned":
            r.verified = True
            if math.isnan(r.dispatched):
                r.dispatched = t
        elif kind == "incident.transitioned":
            if to == "verified":
                r.verified = True
            if to == "on_scene" and math.isnan(r.on_scene):
                r.on_scene = t
            elif to == "resolved":
                r.resolved = t
            elif to == "closed":  # closed when closed: a rating later (evaluated) does not move it
                r.closed = t
            elif to == "reopened" and h.get("from") in ("resolved", "closed", "evaluated"):
                r.reworked += 1
            if to == "evaluated" and h.get("satisfaction") is not None:
                r.satisfaction = float(h["satisfaction"])
        elif kind == "incident.overdue":
            overdue_at.append(t)
        elif kind in EXTENDED_KINDS:
            r.extended += 1
    r.rejected = r.state == "rejected"
    if r.state not in CLOSED:
        r.closed = NAN  # reopened since: not closed now
    end = r.closed if not math.isnan(r.closed) else math.inf
    r.overdue = any(t <= end for t in overdue_at)
    return r


COLUMNS_F = ("created", "dispatched", "on_scene", "resolved", "closed", "lat", "lon", "satisfaction")
COLUMNS_I = ("reworked", "extended")
COLUMNS_B = ("rejected", "verified", "overdue")
COLUMNS_S = ("category", "source", "priority", "state", "unit", "district", "segment", "road")


@dataclass
class Places:
    """Names a point as the city does: its district, its river segment (on the water), its road (near one)."""

    city: Any
    segment_within_m: float = 400.0
    road_within_m: float = 120.0
    _roads: list[Any] = field(default_factory=list)

    def name(self, lats: np.ndarray, lons: np.ndarray) -> tuple[list[str], list[str], list[str]]:
        n = len(lats)
        districts, segments, roads = [""] * n, [""] * n, [""] * n
        if self.city is None or n == 0:
            return districts, segments, roads
        pts = shapely.points(lons, lats)
        for d in self.city.districts:
            for i in np.nonzero(shapely.covers(d.geometry, pts))[0]:
                if not districts[i]:
                    districts[i] = d.name
        deg_seg = self.segment_within_m / 111_000.0
        deg_road = self.road_within_m / 111_000.0
        if self.city.segments:
            tree = shapely.STRtree([s.geometry for s in self.city.segments])
            idx, dist = tree.query_nearest(pts, max_distance=deg_seg, return_distance=True, all_matches=False)
            for (i, j), dd in zip(idx.T, dist, strict=True):
                if dd <= deg_seg:
                    segments[i] = self.city.segments[j].name
        named = [p for p in getattr(self.city, "road_places", []) if p.name]
        if named:
            tree = shapely.STRtree([p.geometry for p in named])
            idx, dist = tree.query_nearest(pts, max_distance=deg_road, return_distance=True, all_matches=False)
            for (i, j), dd in zip(idx.T, dist, strict=True):
                if dd <= deg_road:
                    roads[i] = named[j].name
        return districts, segments, roads


class Facts:
    """Numpy columns of the incident rows, refreshed incrementally from the incident book.

    Rows sit at fixed positions (`_pos`): a changed incident is rewritten in place, new incidents are
    appended in one step, so a live refresh costs what changed, not the year behind it.
    """

    def __init__(self, city: Any = None) -> None:
        self.places = Places(city)
        self._seen: dict[int, float] = {}  # id -> updated_at of the row held
        self._rows: dict[int, Row] = {}
        self._pos: dict[int, int] = {}
        self._where: dict[int, tuple[str, str, str]] = {}
        self.columns: dict[str, np.ndarray] = {}  # text columns (COLUMNS_S) hold codes into `vocab`
        self.vocab: dict[str, list[str]] = {c: [""] for c in COLUMNS_S}
        self._codes: dict[str, dict[str, int]] = {c: {"": 0} for c in COLUMNS_S}
        self.version = 0

    def code(self, column: str, value: str) -> int:
        """The code of `value` in a text column (-1 if it never occurs)."""
        return self._codes[column].get(value or "", -1)

    def text(self, column: str, codes: np.ndarray) -> np.ndarray:
        """Codes of a text column back to their strings (an object array)."""
        return np.array(self.vocab[column], dtype=object)[codes]

    def _encode(self, column: str, values: list[str]) -> np.ndarray:
        codes, vocab = self._codes[column], self.vocab[column]
        out = np.empty(len(values), dtype=np.int32)
        for i, v in enumerate(values):
            c = codes.get(v)
            if c is None:
                c = codes[v] = len(vocab)
                vocab.append(v)
            out[i] = c
        return out

    def refresh(self, incidents: Any) -> int:
        """Bring the rows up to date with `incidents` (a mapping id -> Incident). Returns how many changed."""
        seen = self._seen
        changed = [inc for iid, inc in incidents.items() if seen.get(iid) != inc.updated_at]
        gone = [iid for iid in self._rows if iid not in incidents] if len(incidents) < len(self._rows) + len(changed) \
            else []
        if not changed and not gone and self.columns:
            return 0
        new_pos = [inc for inc in changed if inc.id not in self._where]
        if new_pos:
            d, s, r = self.places.name(np.array([i.lat for i in new_pos], dtype=float),
                                       np.array([i.lon for i in new_pos], dtype=float))
            for inc, dd, ss, rr in zip(new_pos, d, s, r, strict=True):
                self._where[inc.id] = (dd, ss, rr)
        rows = [row_of(inc) for inc in changed]
        for inc, row in zip(changed, rows, strict=True):
            self._rows[inc.id] = row
            seen[inc.id] = inc.updated_at
        if gone:
            for iid in gone:
                self._rows.pop(iid, None)
                seen.pop(iid, None)
            self._rebuild()
        else:
            self._update(rows)
        self.version += 1
        return len(changed) + len(gone)

    def _arrays(self, rows: list[Row]) -> dict[str, np.ndarray]:
        cols: dict[str, np.ndarray] = {"id": np.array([r.id for r in rows], dtype=np.int64)}
        for c in COLUMNS_F:
            cols[c] = np.array([getattr(r, c) for r in rows], dtype=float)
        for c in COLUMNS_I:
            cols[c] = np.array([getattr(r, c) for r in rows], dtype=np.int64)
        for c in COLUMNS_B:
            cols[c] = np.array([getattr(r, c) for r in rows], dtype=bool)
        for c in ("category", "source", "priority", "state", "unit"):
            cols[c] = self._encode(c, [getattr(r, c) or "" for r in rows])
        where = [self._where.get(r.id, ("", "", "")) for r in rows]
        for k, c in enumerate(("district", "segment", "road")):
            cols[c] = self._encode(c, [w[k] for w in where])
        return cols

    def _rebuild(self) -> None:
        rows = [self._rows[k] for k in sorted(self._rows)]
        self._pos = {r.id: i for i, r in enumerate(rows)}
        self.columns = self._arrays(rows)

    def _update(self, rows: list[Row]) -> None:
        if not self.columns:
            self._rebuild()
            return
        old = [r for r in rows if r.id in self._pos]
        new = [r for r in rows if r.id not in self._pos]
        if old:
            at = np.array([self._pos[r.id] for r in old], dtype=np.int64)
            for c, v in self._arrays(old).items():
                self.columns[c][at] = v
        if new:
            base = len(self.columns["id"])
            add = self._arrays(new)
            self.columns = {c: np.concatenate([self.columns[c], add[c]]) for c in self.columns}
            for k, r in enumerate(new):
                self._pos[r.id] = base + k

    def __len__(self) -> int:
        return len(self._rows)

    def row(self, incident_id: int) -> Row | None:
        return self._rows.get(incident_id)
