"""Real base maps offline: raster tiles from an MBTiles file (PNG, JPEG or WebP) or a folder of {z}/{x}/{y}
tiles, served to the map page through the console's own app:// scheme (app://console/tiles/{z}/{x}/{y}), so
the page still asks nothing of any other machine.

MBTiles keeps its rows in the TMS scheme (row 0 at the south); the page asks in XYZ (row 0 at the north):
`tile()` flips the row. The file is opened read-only; a file that is not MBTiles, or holds no raster tiles,
is refused at open with the reason.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

MIME = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


class BaseMapError(Exception):
    """The base map cannot be used (not MBTiles, not raster, not readable)."""


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class BaseMap:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.name = self.path.stem
        self.minzoom, self.maxzoom = 0, 19
        self.attribution = ""
        self._local = threading.local()
        if self.path.is_dir():
            self.kind = "folder"
            zooms = sorted(int(p.name) for p in self.path.iterdir() if p.is_dir() and p.name.isdigit())
            if not zooms:
                raise BaseMapError(f"{self.path}: no {{z}}/{{x}}/{{y}} tile folders in it")
            self.minzoom, self.maxzoom = zooms[0], zooms[-1]
            return
        if not self.path.is_file():
            raise BaseMapError(f"{self.path}: no such file or folder")
        self.kind = "mbtiles"
        try:
            conn = self._conn()
            meta = dict(conn.execute("SELECT name, value FROM metadata").fetchall())
            conn.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            raise BaseMapError(f"{self.path}: not an MBTiles file ({exc})") from None
        fmt = str(meta.get("format", "png")).lower()
        if fmt not in MIME:
            raise BaseMapError(f"{self.path}: tiles in {fmt!r}; the console shows raster tiles (png, jpg, webp)")
        self.format = fmt
        self.name = str(meta.get("name") or self.name)
        self.attribution = str(meta.get("attribution") or "")
        try:
            self.minzoom = int(meta.get("minzoom", 0))
            self.maxzoom = int(meta.get("maxzoom", 19))
        except ValueError:
            pass

    def _conn(self) -> sqlite3.Connection:
        c = getattr(self._local, "conn", None)
        if c is None:
            c = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.conn = c
        return c

    def tile(self, z: int, x: int, y: int) -> tuple[bytes, str] | None:
        """The tile at XYZ (z, x, y) and its media type, or None where the base map has none."""
        if not (0 <= z <= 30 and 0 <= x < 2**z and 0 <= y < 2**z):
            return None
        if self.kind == "folder":
            for ext, mime in MIME.items():
                p = self.path / str(z) / str(x) / f"{y}.{ext}"
                if p.is_file():
                    return p.read_bytes(), mime
            return None
        row = self._conn().execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, (2**z - 1) - y)).fetchone()
        if row is None or row[0] is None:
            return None
        data = bytes(row[0])
        return data, _sniff(data) or MIME[self.format]
