"""Export a time window: a self-contained replay file, or an HTML track map for a report. No Qt.

The replay file is a SQLite file with the store's own tables, so the replay engine reads it
exactly as it reads a live store:

- `events`: the whole log from the first event to the end of the window. Events before the
  window rebuild the state at its start (units, incidents, assignments), and the complete
  prefix keeps the hash chain checkable (`main.py audit verify --db sqlite:///FILE`).
- `fix_blocks`: every fix of the window plus the last `lead` seconds before it (the trails at its
  start), plus the snapshot: each unit's last fix at the start of that lead-in, all sealed into
  blocks (dispatch/fixblocks.py; the file's `fixes` table, the store's plain tier, stays empty).
- `replay_meta`: format name and version, window, counts, source; a reader refuses a file of a
  newer format version, and a file whose counts do not match (cut short) or that SQLite finds
  damaged.

The HTML map inlines Leaflet's script and style (from the xstatic-leaflet package): one file,
no CDN, it opens offline.
"""

from __future__ import annotations

import html as html_mod
import json
import logging
import os
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from dispatch import fixes as stored_fixes
from dispatch.city.leaflet import add_metric_scale
from dispatch.errors import Refused
from dispatch.fixblocks import FixWriter
from dispatch.outfiles import temp_beside
from dispatch.record.replay import Recording, iso_z, track_segments
from dispatch.store import metadata

log = logging.getLogger(__name__)

FORMAT_NAME = "liuzhou-console-replay"
FORMAT_VERSION = 2  # 2: fixes in blocks (dispatch/fixblocks.py); a version 1 file (a row per fix) is read through a copy
TRAIL_LEAD_S = 15 * 60.0

_META_DDL = "CREATE TABLE replay_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
_SNAP_DDL = ("CREATE TABLE replay_snapshot (unit_id TEXT PRIMARY KEY, ts REAL NOT NULL, lat REAL NOT NULL, "
             "lon REAL NOT NULL, speed REAL, course REAL, source TEXT)")


class ReplayFileError(Exception):
    """The file is not a replay file this program can open (the message says why)."""


def export_replay(engine: Engine, t1: float, t2: float, out: str | Path, *, lead: float = TRAIL_LEAD_S,
                  source: str = "") -> dict[str, Any]:
    """Write the window [t1, t2] of the store behind `engine` to a new replay file at `out`.

    :raises Refused: for an empty or inverted window, or an unwritable destination.
    """
    if t2 <= t1:
        raise Refused("the window ends before it starts: give --from earlier than --to", "bad_window")
    out = Path(out)
    rec = Recording(engine)
    units = rec.units(refresh=True)
    with engine.connect() as conn:
        # A prefix of the log (every event up to the last one stamped within the window), so the chain
        # stays whole even if clocks made a few events' times go backwards.
        events = conn.execute(text(
            "SELECT seq, ts, actor, kind, entity, payload, prev_hash, hash FROM events "
            "WHERE seq <= (SELECT COALESCE(MAX(seq), 0) FROM events WHERE ts <= :t2) ORDER BY seq"), {"t2": t2}).all()
        n_in_window = sum(1 for e in events if t1 <= e[1] <= t2)
        fixes = stored_fixes.fixes_between(conn, t1 - lead, t2, from_open=True, order="time")
    snapshot = rec.positions_at(t1 - lead, units)
    if not fixes and n_in_window == 0:
        raise Refused(f"no data between {iso_z(t1)} and {iso_z(t2)}: no fixes and no events were recorded "
                      "in that window", "empty_window")
    snap_rows = [(f.unit_id, f.ts, f.lat, f.lon, f.speed, f.course, f.source) for f in snapshot]
    n_fixes = write_replay_file(out, t1, t2, [tuple(e) for e in events], [tuple(f) for f in fixes], snap_rows,
                                lead=lead, source=source or str(engine.url), units=len(units))
    return {"file": str(out), "from": iso_z(t1), "to": iso_z(t2), "events": len(events),
            "events_in_window": n_in_window, "fixes": n_fixes, "units": len(units),
            "bytes": out.stat().st_size, "format_version": FORMAT_VERSION}


def write_replay_file(out: str | Path, t1: float, t2: float, events: list[tuple[Any, ...]],
                      fixes: list[tuple[Any, ...]], snapshot: list[tuple[Any, ...]], *, lead: float = TRAIL_LEAD_S,
                      source: str = "", units: int = 0) -> int:
    """Write a replay file at `out` (atomically: a temporary file renamed). `events`: (seq, ts, actor, kind,
    entity, payload JSON text, prev_hash, hash) rows, the log's prefix up to the window's end; `fixes` and
    `snapshot`: (unit_id, ts, lat, lon, speed, course, source) rows. Returns the number of fixes written.

    :raises Refused: an unwritable destination.
    """
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = temp_beside(out, prefix=".replay-")  # readable as any file the user makes, not 0600
        os.close(fd)
    except OSError as exc:
        raise Refused(f"cannot write {out}: {exc}", "bad_path") from None
    try:
        dest = create_engine(f"sqlite:///{tmp}")
        metadata.create_all(dest)  # the store's own tables (and any feature's), empty
        dest.dispose()
        con = sqlite3.connect(tmp)
        try:
            con.execute(_META_DDL)
            con.execute(_SNAP_DDL)
            con.executemany("INSERT INTO events (seq, ts, actor, kind, entity, payload, prev_hash, hash) "
                            "VALUES (?,?,?,?,?,?,?,?)", events)
            con.executemany("INSERT INTO replay_snapshot VALUES (?,?,?,?,?,?,?)", snapshot)
            FixWriter(partitioned=False).write(con, sorted(snapshot + list(fixes), key=lambda r: (r[0], r[1])))
            n_fixes = len(snapshot) + len(fixes)
            meta = {
                "format": FORMAT_NAME, "format_version": str(FORMAT_VERSION), "from_ts": repr(t1), "to_ts": repr(t2),
                "lead_s": repr(lead), "created_ts": repr(time.time()), "source": source,
                "events": str(len(events)), "fixes": str(n_fixes), "units": str(units),
            }
            con.executemany("INSERT INTO replay_meta VALUES (?,?)", list(meta.items()))
            con.execute("INSERT OR REPLACE INTO store_meta (key, value) VALUES ('schema_version', '1')")
            con.commit()
            con.execute("PRAGMA journal_mode=DELETE")
        finally:
            con.close()
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n_fixes


@dataclass
class ReplayFile:
    path: Path
    engine: Engine
    meta: dict[str, str]
    copy: Path | None = None  # a version 1 file is read through a temporary copy with today's tables

    @property
    def window(self) -> tuple[float, float]:
        return float(self.meta["from_ts"]), float(self.meta["to_ts"])

    def recording(self) -> Recording:
        return Recording(self.engine)

    def close(self) -> None:
        self.engine.dispose()
        if self.copy is not None:
            self.copy.unlink(missing_ok=True)


def open_replay_file(path: str | Path) -> ReplayFile:
    """Open an exported replay file read-only, checking it is whole and of a format we read.

    :raises ReplayFileError: missing, not SQLite, not a replay file, newer format, damaged or cut short.
    """
    p = Path(path)
    if not p.is_file():
        raise ReplayFileError(f"{p}: no such file")
    with open(p, "rb") as f:
        head = f.read(100)
    if not head.startswith(b"SQLite format 3\x00"):
        raise ReplayFileError(f"{p}: not a replay file (it is not a SQLite database)")
    if len(head) == 100:
        page = int.from_bytes(head[16:18], "big")
        page = 65536 if page == 1 else page
        pages = int.from_bytes(head[28:32], "big")
        if pages and p.stat().st_size < page * pages:
            raise ReplayFileError(f"{p}: the file is cut short ({p.stat().st_size} bytes of {page * pages}); "
                                  "copy it again from its source")
    uri = f"file:{p.resolve()}?mode=ro"
    try:
        con = sqlite3.connect(uri, uri=True)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "replay_meta" not in tables:
                raise ReplayFileError(f"{p}: a SQLite file but not a replay file (no replay_meta table); "
                                      "make one with: main.py ctl export --from T1 --to T2 --out FILE")
            meta = dict(con.execute("SELECT key, value FROM replay_meta").fetchall())
            if meta.get("format") != FORMAT_NAME:
                raise ReplayFileError(f"{p}: unknown format {meta.get('format')!r}")
            try:
                version = int(meta.get("format_version", "0"))
            except ValueError:
                raise ReplayFileError(f"{p}: unreadable format version {meta.get('format_version')!r}") from None
            if version > FORMAT_VERSION:
                raise ReplayFileError(f"{p}: replay format version {version} is newer than this program reads "
                                      f"({FORMAT_VERSION}); open it with a newer console")
            check = con.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise ReplayFileError(f"{p}: the file is damaged ({check})")
            n_ev = con.execute("SELECT COUNT(*) FROM events").fetchone()[0]
            n_fx = con.execute("SELECT COUNT(*) FROM fixes").fetchone()[0]
            if "fix_blocks" in tables:
                n_fx += con.execute("SELECT COALESCE(SUM(n), 0) FROM fix_blocks").fetchone()[0]
            if str(n_ev) != meta.get("events") or str(n_fx) != meta.get("fixes"):
                raise ReplayFileError(f"{p}: incomplete: {n_ev} events and {n_fx} fixes, the file says "
                                      f"{meta.get('events')} and {meta.get('fixes')}")
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise ReplayFileError(f"{p}: the file is damaged or cut short ({exc})") from None
    copy: Path | None = None
    if version < 2:
        copy = _two_tier_copy(p)
        uri = f"file:{copy}?mode=ro"
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False))
    return ReplayFile(p, engine, meta, copy)


def _two_tier_copy(p: Path) -> Path:
    """A version 1 replay file (every fix a row of `fixes`) copied to a temporary file with the sealed tier's
    tables added, empty: the replay engine reads both tiers; the file itself stays as it is."""
    import shutil

    fd, tmp = tempfile.mkstemp(prefix="replay-v1-", suffix=".db")
    os.close(fd)
    shutil.copyfile(p, tmp)
    try:
        dest = create_engine(f"sqlite:///{tmp}")
        metadata.tables["fix_blocks"].create(dest, checkfirst=True)
        metadata.tables["fix_sources"].create(dest, checkfirst=True)
        dest.dispose()
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


# ------------------------------------------------------------------- HTML track map
TRACK_COLOURS = ["#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#5d4037", "#ad1457",
                 "#283593", "#9e9d24"]


def export_html(engine: Engine, t1: float, t2: float, out: str | Path, *, max_points: int = 400,
                title: str | None = None) -> dict[str, Any]:
    """An HTML track map of the window: every unit's track, where it started and ended, and the events
    that name a place. One self-contained file (Leaflet inlined).

    :raises Refused: for an empty or inverted window.
    """
    import folium
    from branca.element import Element

    if t2 <= t1:
        raise Refused("the window ends before it starts: give --from earlier than --to", "bad_window")
    rec = Recording(engine)
    units = rec.units(refresh=True)
    tracks: dict[str, list[tuple[float, float, float]]] = {}
    with engine.connect() as conn:
        by_unit: dict[str, list[tuple[float, float, float]]] = {}
        for r in stored_fixes.fixes_between(conn, t1, t2, units):
            by_unit.setdefault(r[0], []).append((r[1], r[2], r[3]))
        for u, pts in by_unit.items():
            tracks[u] = track_segments(pts, max_points)
    events = rec.events(t1, t2)
    if not tracks and not events:
        raise Refused(f"no data between {iso_z(t1)} and {iso_z(t2)}", "empty_window")
    lats = [p[1] for segs in tracks.values() for seg in segs for p in seg] or [24.33]
    lons = [p[2] for segs in tracks.values() for seg in segs for p in seg] or [109.41]
    m = folium.Map(location=[(min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2], zoom_start=13, tiles=None,
                   prefer_canvas=True)
    add_metric_scale(m)
    m.default_js, m.default_css = [], []
    root = m.get_root()
    leaflet_js, leaflet_css = _leaflet_files()
    root.header.add_child(Element(f"<style>{leaflet_css}</style>"), name="leaflet_css_inline")
    root.header.add_child(Element(f"<script>{leaflet_js}</script>"), name="leaflet_js_inline")
    _add_city(m)
    for i, (u, segs) in enumerate(sorted(tracks.items())):
        colour = TRACK_COLOURS[i % len(TRACK_COLOURS)]
        group = folium.FeatureGroup(name=u)
        for seg in segs:  # one line per stretch with data: none drawn across a gap
            if len(seg) >= 2:
                folium.PolyLine([(p[1], p[2]) for p in seg], color=colour, weight=2.5, opacity=0.85,
                                tooltip=html_mod.escape(u)).add_to(group)
        pts = [p for seg in segs for p in seg]
        folium.CircleMarker((pts[0][1], pts[0][2]), radius=3, color=colour, fill=True, fill_opacity=1,
                            tooltip=html_mod.escape(f"{u} {iso_z(pts[0][0])}")).add_to(group)
        folium.CircleMarker((pts[-1][1], pts[-1][2]), radius=6, color=colour, fill=True, fill_color="#ffffff",
                            fill_opacity=1, tooltip=html_mod.escape(f"{u} {iso_z(pts[-1][0])}")).add_to(group)
        group.add_to(m)
    placed = folium.FeatureGroup(name="events")
    for ev in events:
        loc = _event_location(ev.payload)
        if loc:
            folium.CircleMarker(loc, radius=7, color="#d32f2f", weight=2, fill=False,
                                tooltip=html_mod.escape(f"{iso_z(ev.ts)} {ev.kind} {ev.entity or ''}")).add_to(placed)
    placed.add_to(m)
    heading = title or f"Tracks {iso_z(t1)} – {iso_z(t2)}"
    rows = "".join(
        f"<tr><td>{html_mod.escape(iso_z(e.ts) or '')}</td><td>{html_mod.escape(e.actor)}</td>"
        f"<td>{html_mod.escape(e.kind)}</td><td>{html_mod.escape(e.entity or '')}</td></tr>" for e in events[:500])
    root.html.add_child(Element(
        '<div style="position:absolute;top:6px;left:50px;z-index:1000;background:rgba(255,255,255,.9);'
        f'padding:4px 8px;font:13px sans-serif"><b>{html_mod.escape(heading)}</b> · {len(tracks)} units · '
        f'{len(events)} events<details><summary>event log</summary><div style="max-height:40vh;overflow:auto">'
        f'<table style="font-size:11px">{rows}</table></div></details></div>'))
    folium.LayerControl(collapsed=True).add_to(m)
    page = root.render()
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise Refused(f"cannot write {out}: {exc}", "bad_path") from None
    return {"file": str(out), "from": iso_z(t1), "to": iso_z(t2), "units": len(tracks), "events": len(events),
            "bytes": out.stat().st_size}


def _leaflet_files() -> tuple[str, str]:
    import xstatic.pkg.leaflet as xl

    base = Path(xl.BASE_DIR)
    js = (base / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    css = (base / "leaflet.css").read_text(encoding="utf-8")
    return js, css


def _add_city(m: Any) -> None:
    """The river and the roads under the tracks, so the map reads without tiles."""
    import folium

    try:
        from dispatch.city.data import load_city

        gj = load_city().geojson()
    except Exception:  # noqa: BLE001 - the tracks alone still make a map
        log.warning("city layers unavailable for the track map", exc_info=True)
        return
    styles = {"river": {"color": "#4f8fc0", "weight": 1, "fillColor": "#9cc9ec", "fillOpacity": 0.8},
              "road": {"color": "#b0a999", "weight": 2}, "district": {"color": "#90a4ae", "weight": 1, "fillOpacity": 0.05}}
    for layer, style in styles.items():
        feats = [f for f in gj.get("features", []) if f.get("properties", {}).get("layer") == layer]
        if feats:
            folium.GeoJson({"type": "FeatureCollection", "features": feats}, name=layer,
                           style_function=lambda _f, s=style: s).add_to(m)


def _event_location(payload: dict[str, Any]) -> tuple[float, float] | None:
    for a, b in (("lat", "lon"), ("latitude", "longitude")):
        if isinstance(payload.get(a), int | float) and isinstance(payload.get(b), int | float):
            return float(payload[a]), float(payload[b])
    loc = payload.get("location")
    if isinstance(loc, dict):
        return _event_location(loc)
    if isinstance(loc, list | tuple) and len(loc) == 2 and all(isinstance(v, int | float) for v in loc):
        return float(loc[0]), float(loc[1])
    return None


def describe(meta: dict[str, str]) -> str:
    return json.dumps({k: meta[k] for k in sorted(meta)}, ensure_ascii=False)
