"""An offline base map: an MBTiles file made here (and a tile folder) shows its tiles under the units through
the console's own scheme, with no request off the machine; a file that is not MBTiles is refused clearly."""

from __future__ import annotations

import math
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage

from console.map.basemap import BaseMap, BaseMapError
from console.map.view import MapView
from dispatch.city.data import load_city
from tests.conftest import page_js as js

ROOT = Path(__file__).resolve().parents[2]


def tile_xy(lat: float, lon: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def png(colour: str) -> bytes:
    img = QImage(256, 256, QImage.Format.Format_RGB32)
    img.fill(QColor(colour))
    ba = QByteArray()
    buf = QBuffer(ba)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    return bytes(ba.data())


def make_mbtiles(path: Path, zooms: range) -> int:
    lat, lon = load_city().center
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    con.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
    con.executemany("INSERT INTO metadata VALUES (?, ?)", [("name", "测试底图"), ("format", "png"),
                                                           ("minzoom", str(zooms.start)), ("maxzoom", str(zooms.stop - 1))])
    n = 0
    for z in zooms:
        cx, cy = tile_xy(lat, lon, z)
        for x in range(cx - 3, cx + 4):
            for y in range(cy - 3, cy + 4):
                con.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, (2**z - 1) - y, png("#c8e6c9")))
                n += 1
    con.commit()
    con.close()
    return n


def test_mbtiles_tiles_are_served_under_the_map_with_nothing_off_the_machine(qtbot, qapp, tmp_path):
    path = tmp_path / "city.mbtiles"
    make_mbtiles(path, range(12, 15))
    bm = BaseMap(path)
    assert (bm.name, bm.minzoom, bm.maxzoom) == ("测试底图", 12, 14)
    lat, lon = load_city().center
    x, y = tile_xy(lat, lon, 13)
    data, mime = bm.tile(13, x, y)
    assert mime == "image/png" and data.startswith(b"\x89PNG")
    assert bm.tile(13, x + 50, y) is None and bm.tile(99, 0, 0) is None

    view = MapView(load_city().geojson(), lang="zh_CN", basemap=bm, page_name="basemap.html")
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    qtbot.waitUntil(lambda: view.is_ready, timeout=20000)
    qtbot.waitUntil(lambda: sum(p.startswith("tiles/13/") for p in view.handler.served) >= 4, timeout=20000)
    loaded = js(qtbot, view, "Array.from(document.querySelectorAll('img.leaflet-tile-loaded')).length")
    assert loaded >= 4
    # the base map sits under the units' canvas and the city layers: a tile pane below the overlay pane
    order = js(qtbot, view, "[getComputedStyle(document.querySelector('.leaflet-tile-pane')).zIndex,"
                            " getComputedStyle(document.querySelector('.leaflet-overlay-pane')).zIndex]")
    assert int(order[0]) < int(order[1])
    assert "底图：测试底图" in js(qtbot, view, "document.querySelector('.leaflet-control-layers').textContent")
    assert view.guard.blocked == []


def test_a_tile_folder_and_a_file_that_is_not_mbtiles(tmp_path):
    folder = tmp_path / "tiles"
    (folder / "13" / "6500").mkdir(parents=True)
    (folder / "13" / "6500" / "3500.jpg").write_bytes(b"\xff\xd8\xff\xe0 jpeg")
    bm = BaseMap(folder)
    assert bm.tile(13, 6500, 3500) == (b"\xff\xd8\xff\xe0 jpeg", "image/jpeg")
    assert bm.tile(13, 6500, 3501) is None
    (tmp_path / "junk.mbtiles").write_bytes(b"not a database at all" * 100)
    with pytest.raises(BaseMapError, match="not an MBTiles file"):
        BaseMap(tmp_path / "junk.mbtiles")
    with pytest.raises(BaseMapError, match="no such file"):
        BaseMap(tmp_path / "missing.mbtiles")
    p = subprocess.run([sys.executable, str(ROOT / "main.py"), "--basemap", str(tmp_path / "junk.mbtiles"),
                        "--db", f"sqlite:///{tmp_path / 's.db'}", "--no-demo"], capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    assert p.returncode == 2 and "base map" in p.stderr and "not an MBTiles file" in p.stderr
