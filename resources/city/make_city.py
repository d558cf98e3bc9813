"""Generate the built-in demo city: a *schematic* Liuzhou (柳州), fully offline.

Run from anywhere (deterministic, writes next to this script):

    .venv/bin/python resources/city/make_city.py

Output: ``liuzhou.geojson`` — a GeoJSON FeatureCollection, coordinates ``[lon, lat]``
(WGS84), with a top-level ``properties`` block marking it schematic. This is NOT survey
data: the Liujiang loop around the Chengzhong peninsula, the bridges, roads and districts
are laid out to look and behave like Liuzhou (a river loop with a narrow land neck, bridges
in the right order, districts on the right banks), nothing more.

How it is built (everything in a local metric frame, x east / y north in metres around
``ORIGIN``, converted to lon/lat at the end by an equirectangular projection):

* ``river_centerline``: a centripetal Catmull-Rom spline through hand-placed control
  points, resampled every ~150 m. The river comes from the north-west, runs south down
  the west side of the peninsula, round its south, north up the east side, and leaves to
  the east / south-east. The entering and leaving reaches pass ~1 km apart at the neck.
* ``river``: the water surface, built from left/right offsets of the centerline with a
  smoothly varying width (270–410 m); checked to be a valid polygon.
* ``river_segment``: the centerline cut into 7 cleaning segments at vertex indices.
* ``bridge``: straight lines across the water, perpendicular to the centerline, ending
  ~80 m inland on both banks.
* ``road``: a jittered grid of arterials (1.5 km spacing, 750 m on the peninsula, where
  the old city is denser) clipped to land — a grid edge is kept only if it stays clear of
  the water; one-block dead-end stubs are dropped — plus one road per bridge joining the nearest
  grid junction on each bank through the bridge's two end points. Roads share exact
  vertices at every junction, so a graph can be built from them; only the bridge roads
  cross the water, and only along the bridge line.
* ``district``: the land split by the river; 城中区 is the loop, 柳北区 the rest of the
  north bank, the south bank is split into 柳南区 (south-west), 鱼峰区 (east/south-east)
  and 柳江区 (further south-west).
* ``construction_site`` / ``disposal_site``: points offset 60–120 m from chosen grid
  junctions, on land. ``patrol_zone``: small polygons on land. ``dock``: points in the
  water 30 m from the bank.

All randomness comes from one seeded ``random.Random``; output is byte-identical per run.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box, mapping
from shapely.ops import split

HERE = Path(__file__).resolve().parent
OUT = HERE / "liuzhou.geojson"

ORIGIN = (24.325, 109.412)  # (lat, lon) of the local frame's (0, 0): the peninsula
EARTH_RADIUS_M = 6_371_008.8
M_PER_DEG_LAT = math.pi * EARTH_RADIUS_M / 180.0
M_PER_DEG_LON = M_PER_DEG_LAT * math.cos(math.radians(ORIGIN[0]))
DIGITS = 6  # ~0.1 m; junctions are rounded identically so shared vertices stay exact

# Extent of the demo city (metres, local frame).
XMIN, XMAX, YMIN, YMAX = -8600.0, 8600.0, -7600.0, 6000.0

# River control points (x, y) in metres, upstream (north-west) to downstream (south-east).
RIVER_CONTROL = [
    (-9400, 5600),
    (-7600, 5000),
    (-5800, 4500),
    (-4200, 3900),
    (-2800, 3350),
    (-1600, 2900),
    (-800, 2350),
    (-520, 1650),  # neck, west reach
    (-900, 900),
    (-1700, 350),
    (-2100, -500),
    (-1900, -1450),
    (-1100, -2100),
    (0, -2300),
    (1100, -2100),
    (1900, -1450),
    (2150, -500),
    (1800, 400),
    (1000, 950),
    (520, 1650),  # neck, east reach
    (700, 2400),
    (1400, 3000),
    (2500, 3250),
    (3700, 3000),
    (4700, 2300),
    (5600, 1300),
    (6600, 300),
    (7800, -500),
    (9400, -1200),
]

BRIDGES = [
    # (id number, name, name_en, position along the centerline as a fraction)
    (1, "白沙大桥", "Baisha Bridge", 0.12),
    (2, "壶西大桥", "Huxi Bridge", 0.36),
    (3, "柳江大桥", "Liujiang Bridge", 0.45),
    (4, "文惠桥", "Wenhui Bridge", 0.52),
    (5, "东门大桥", "Dongmen Bridge", 0.585),
    (6, "红光大桥", "Hongguang Bridge", 0.70),
    (7, "河东大桥", "Hedong Bridge", 0.77),
    (8, "静兰大桥", "Jinglan Bridge", 0.86),
    (9, "三门江大桥", "Sanmenjiang Bridge", 0.95),
]

# Road names for the grid lines (east-west rows from south to north, north-south columns
# from west to east); a line broken by the river gets 西段/东段 or 南段/北段 suffixes.
ROW_NAMES = [
    ("拉堡大道", "Labao Avenue"),
    ("柳邕路", "Liuyong Road"),
    ("航银路", "Hangyin Road"),
    ("飞鹅路", "Fei'e Road"),
    ("五一路", "Wuyi Road"),
    ("中山路", "Zhongshan Road"),
    ("潭中大道", "Tanzhong Avenue"),
    ("跃进路", "Yuejin Road"),
    ("胜利路", "Shengli Road"),
]
COL_NAMES = [
    ("西环路", "Xihuan Road"),
    ("柳太路", "Liutai Road"),
    ("桂柳路", "Guiliu Road"),
    ("河西路", "Hexi Road"),
    ("屏山大道", "Pingshan Avenue"),
    ("龙城路", "Longcheng Road"),
    ("解放路", "Jiefang Road"),
    ("东环大道", "Donghuan Avenue"),
    ("荣军路", "Rongjun Road"),
    ("静兰路", "Jinglan Road"),
    ("官塘大道", "Guantang Avenue"),
    ("新柳大道", "Xinliu Avenue"),
]
# Half-step streets exist only on the peninsula (城中区); entries off the peninsula are
# never used but keep the index arithmetic simple.
INNER_ROW_NAMES = [(f"内街{k}", f"Inner Street {k}") for k in range(len(ROW_NAMES) - 1)]
INNER_ROW_NAMES[3:6] = [("文惠路", "Wenhui Road"), ("青云路", "Qingyun Road"), ("弯塘路", "Wantang Road")]
INNER_COL_NAMES = [(f"内巷{k}", f"Inner Lane {k}") for k in range(len(COL_NAMES) - 1)]
INNER_COL_NAMES[4:6] = [("曙光路", "Shuguang Road"), ("庆云路", "Qingyun Road")]
GRID_STEP = 1500.0
GRID_JITTER = 110.0

CONSTRUCTION_SITES = [
    # (name, name_en, target x, y of the nearest junction in metres)
    ("中山路地块项目工地", "Zhongshan Road plot site", 0, 0),
    ("五一路旧改项目工地", "Wuyi Road renewal site", -900, -900),
    ("河西路地块项目工地", "Hexi Road plot site", -4000, 1200),
    ("桂柳路安置房项目工地", "Guiliu Road resettlement housing site", -3900, -2500),
    ("航银路地块项目工地", "Hangyin Road plot site", -1300, -3900),
    ("柳石路综合体项目工地", "Liushi Road complex site", 1300, -3900),
    ("东环大道地块项目工地", "Donghuan Avenue plot site", 3900, -1300),
    ("荣军路学校项目工地", "Rongjun Road school site", 5200, -2600),
    ("跃进路地块项目工地", "Yuejin Road plot site", -2600, 5200),
    ("胜利路厂房项目工地", "Shengli Road factory site", 1300, 5200),
    ("静兰路安置区项目工地", "Jinglan Road resettlement site", 6500, 2600),
    ("柳邕路地块项目工地", "Liuyong Road plot site", -5200, -6500),
]
DISPOSAL_SITES = [
    ("白露建筑垃圾消纳场", "Bailu construction waste disposal site", -7800, 5000),
    ("洛维建筑垃圾消纳场", "Luowei construction waste disposal site", -7800, -6500),
    ("官塘建筑垃圾消纳场", "Guantang construction waste disposal site", 7800, -5200),
    ("雒容建筑垃圾消纳场", "Luorong construction waste disposal site", 7800, 5200),
]
PATROL_ZONES = [
    # (name, name_en, centre x, y, half size in metres)
    ("城中五一片区", "Chengzhong Wuyi patrol zone", -400, -700, 650),
    ("城中中山片区", "Chengzhong Zhongshan patrol zone", 500, 500, 500),
    ("柳北雅儒片区", "Liubei Yaru patrol zone", -300, 3600, 700),
    ("柳北白沙片区", "Liubei Baisha patrol zone", -4500, 5300, 700),
    ("柳南河西片区", "Liunan Hexi patrol zone", -3600, -1000, 750),
    ("柳南航生片区", "Liunan Hangsheng patrol zone", -1600, -4200, 700),
    ("鱼峰箭盘片区", "Yufeng Jianpan patrol zone", 3600, -1200, 750),
    ("鱼峰荣军片区", "Yufeng Rongjun patrol zone", 5800, -2900, 700),
]
DOCKS = [
    # (name, name_en, fraction along the centerline, side: +1 left bank, -1 right bank)
    ("白沙巡逻艇码头", "Baisha patrol boat dock", 0.16, -1),
    ("壶西保洁船停靠点", "Huxi cleaning boat berth", 0.40, -1),
    ("文惠巡逻艇码头", "Wenhui patrol boat dock", 0.50, +1),
    ("河东保洁船停靠点", "Hedong cleaning boat berth", 0.74, -1),
    ("静兰巡逻艇码头", "Jinglan patrol boat dock", 0.88, +1),
]
N_SEGMENTS = 7


# --------------------------------------------------------------------------- geometry


def to_lonlat(x: float, y: float) -> list[float]:
    """Local metres -> [lon, lat] (GeoJSON order), rounded."""
    lon = ORIGIN[1] + x / M_PER_DEG_LON
    lat = ORIGIN[0] + y / M_PER_DEG_LAT
    return [round(lon, DIGITS), round(lat, DIGITS)]


def geom_to_lonlat(geom):
    """Transform any shapely geometry from local metres to lon/lat (unrounded)."""
    g = affinity.scale(geom, 1.0 / M_PER_DEG_LON, 1.0 / M_PER_DEG_LAT, origin=(0, 0))
    return affinity.translate(g, ORIGIN[1], ORIGIN[0])


def round_coords(obj):
    if isinstance(obj, float):
        return round(obj, DIGITS)
    if isinstance(obj, list | tuple):
        return [round_coords(o) for o in obj]
    return obj


def catmull_rom(points: list[tuple[float, float]], per_seg: int = 40) -> list[tuple[float, float]]:
    """Centripetal Catmull-Rom spline through ``points`` (ends are duplicated)."""
    pts = [points[0], *points, points[-1]]
    out: list[tuple[float, float]] = []
    for i in range(1, len(pts) - 2):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]

        def tj(ti: float, a, b) -> float:
            return ti + max(math.dist(a, b), 1e-6) ** 0.5

        t0 = 0.0
        t1 = tj(t0, p0, p1)
        t2 = tj(t1, p1, p2)
        t3 = tj(t2, p2, p3)
        for k in range(per_seg):
            t = t1 + (t2 - t1) * k / per_seg

            def lerp(a, b, ta, tb, tt):
                if tb == ta:
                    return a
                return (
                    (tb - tt) / (tb - ta) * a[0] + (tt - ta) / (tb - ta) * b[0],
                    (tb - tt) / (tb - ta) * a[1] + (tt - ta) / (tb - ta) * b[1],
                )

            a1 = lerp(p0, p1, t0, t1, t)
            a2 = lerp(p1, p2, t1, t2, t)
            a3 = lerp(p2, p3, t2, t3, t)
            b1 = lerp(a1, a2, t0, t2, t)
            b2 = lerp(a2, a3, t1, t3, t)
            out.append(lerp(b1, b2, t1, t2, t))
    out.append(points[-1])
    return out


def resample(line: LineString, step: float) -> list[tuple[float, float]]:
    n = max(2, math.ceil(line.length / step) + 1)
    return [line.interpolate(line.length * i / (n - 1)).coords[0] for i in range(n)]


def width_at(s: float) -> float:
    """River width (m) at distance ``s`` along the centerline: 270-410 m, smooth."""
    return 340.0 + 55.0 * math.sin(s / 2300.0 + 1.0) + 15.0 * math.sin(s / 700.0)


def normal_at(line: LineString, s: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """(point, unit left-normal) at distance ``s`` along ``line``."""
    a = line.interpolate(max(0.0, s - 20.0)).coords[0]
    b = line.interpolate(min(line.length, s + 20.0)).coords[0]
    dx, dy = b[0] - a[0], b[1] - a[1]
    d = math.hypot(dx, dy)
    return line.interpolate(s).coords[0], (-dy / d, dx / d)


# --------------------------------------------------------------------------- build


def feature(layer: str, fid: str, name: str, name_en: str, geom_lonlat: dict, **extra) -> dict:
    props = {"layer": layer, "id": fid, "name": name, "name_en": name_en, **extra}
    return {"type": "Feature", "properties": props, "geometry": geom_lonlat}


def build() -> dict:
    rng = random.Random(20240611)
    features: list[dict] = []

    # ---- river centerline and water surface
    spline = LineString(catmull_rom([(float(x), float(y)) for x, y in RIVER_CONTROL]))
    center_pts = resample(spline, 150.0)
    centerline = LineString(center_pts)
    length = centerline.length
    left, right = [], []
    for i, p in enumerate(center_pts):
        s = centerline.project(Point(p)) if 0 < i < len(center_pts) - 1 else (0.0 if i == 0 else length)
        _, (nx, ny) = normal_at(centerline, s)
        hw = width_at(s) / 2.0
        left.append((p[0] + nx * hw, p[1] + ny * hw))
        right.append((p[0] - nx * hw, p[1] - ny * hw))
    water = Polygon(left + right[::-1])
    assert water.is_valid, "river polygon self-intersects: smooth the control points"
    assert water.contains(LineString(center_pts[1:-1]))
    # roads, sites and zones keep this margin from the water
    extent = box(XMIN, YMIN, XMAX, YMAX)
    near_water = water.buffer(30.0)

    water_ll = geom_to_lonlat(water)
    features.append(
        feature("river", "river-1", "柳江", "Liujiang River", round_coords(mapping(water_ll)))
    )
    features.append(
        feature(
            "river_centerline",
            "river-centerline-1",
            "柳江中心线",
            "Liujiang centerline",
            {"type": "LineString", "coordinates": [to_lonlat(*p) for p in center_pts]},
            direction="downstream",
        )
    )

    # ---- cleaning segments: cut at vertex indices so they are exact pieces of the line
    n = len(center_pts)
    cuts = [round(i * (n - 1) / N_SEGMENTS) for i in range(N_SEGMENTS + 1)]
    for k in range(N_SEGMENTS):
        piece = center_pts[cuts[k] : cuts[k + 1] + 1]
        features.append(
            feature(
                "river_segment",
                f"segment-{k + 1}",
                f"柳江第{k + 1}段",
                f"Segment {k + 1}",
                {"type": "LineString", "coordinates": [to_lonlat(*p) for p in piece]},
                order=k + 1,
            )
        )

    # ---- road grid: coarse arterials everywhere, a half-step grid inside the loop
    # Node keys are (i, j) in half-step units; even/even nodes exist everywhere on land,
    # the others only on the peninsula (the old city is denser).
    half = GRID_STEP / 2.0
    loop_poly = Polygon(
        center_pts[
            min(range(len(center_pts)), key=lambda i: math.dist(center_pts[i], (-520, 1650))) : min(
                range(len(center_pts)), key=lambda i: math.dist(center_pts[i], (520, 1650))
            )
            + 1
        ]
    ).buffer(0)
    ni = 2 * len(COL_NAMES) - 1
    nj = 2 * len(ROW_NAMES) - 1
    x0 = XMIN + 500.0
    x0 -= min((x0 + 2 * i * half for i in range(len(COL_NAMES))), key=abs)  # a column at x=0
    y0 = YMIN + 450.0
    nodes: dict[tuple[int, int], tuple[float, float]] = {}
    for i in range(ni):
        for j in range(nj):
            x, y = x0 + i * half, y0 + j * half
            jx = 0.0 if abs(x) < 1.0 else rng.uniform(-GRID_JITTER, GRID_JITTER)
            jy = rng.uniform(-GRID_JITTER, GRID_JITTER)
            p = (x + jx, y + jy)
            if not (i % 2 == 0 and j % 2 == 0) and not loop_poly.contains(Point(p)):
                continue
            if extent.contains(Point(p)) and Point(p).distance(water) > 90.0:
                nodes[(i, j)] = p

    def edge_ok(a, b) -> bool:
        return not LineString([a, b]).intersects(near_water)

    def runs_of(keys: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
        """Split the existing nodes of one grid line into runs joined by dry edges."""
        runs: list[list[tuple[int, int]]] = []
        run: list[tuple[int, int]] = []
        prev_idx = None
        for idx, key in enumerate(keys):
            if key not in nodes:
                continue
            if run and idx - prev_idx <= 2 and edge_ok(nodes[run[-1]], nodes[key]):
                run.append(key)
            else:
                if len(run) >= 2:
                    runs.append(run)
                run = [key]
            prev_idx = idx
        if len(run) >= 2:
            runs.append(run)
        return runs

    grid_lines: list[tuple[str, str, str, list[tuple[int, int]]]] = []
    for j in range(nj):
        names = ROW_NAMES[j // 2] if j % 2 == 0 else INNER_ROW_NAMES[j // 2]
        for r in runs_of([(i, j) for i in range(ni)]):
            grid_lines.append(("row", names[0], names[1], r))
    for i in range(ni):
        names = COL_NAMES[i // 2] if i % 2 == 0 else INNER_COL_NAMES[i // 2]
        for r in runs_of([(i, j) for j in range(nj)]):
            grid_lines.append(("col", names[0], names[1], r))

    # drop one-block stubs (a single edge with a dangling end): they only add clutter
    uses: dict[tuple[int, int], int] = {}
    for gl in grid_lines:
        for k in gl[3]:
            uses[k] = uses.get(k, 0) + 1
    grid_lines = [
        gl
        for gl in grid_lines
        if not (len(gl[3]) == 2 and min(uses[gl[3][0]], uses[gl[3][1]]) == 1)
    ]

    # suffix names of lines broken into several pieces
    by_name: dict[str, list[int]] = {}
    for idx, gl in enumerate(grid_lines):
        by_name.setdefault(gl[1], []).append(idx)
    roads: list[tuple[str, str, list[tuple[float, float]]]] = []
    for _name, idxs in by_name.items():
        for order, idx in enumerate(idxs):
            kind, zh, en, run = grid_lines[idx]
            if len(idxs) > 1:
                if kind == "row":
                    sfx = [("西段", "West"), ("东段", "East")]
                else:
                    sfx = [("南段", "South"), ("北段", "North")]
                if len(idxs) > 2:
                    sfx.insert(1, ("中段", "Middle"))
                sfx = sfx[min(order, len(sfx) - 1)]
                zh, en = zh + sfx[0], f"{en} ({sfx[1]})"
            roads.append((zh, en, [nodes[k] for k in run]))
    used_nodes = {k for gl in grid_lines for k in gl[3]}

    # ---- bridges and the roads that carry them
    for num, zh, en, frac in BRIDGES:
        s = frac * length
        (cx, cy), (nx, ny) = normal_at(centerline, s)
        reach = width_at(s) / 2.0 + 80.0
        a = (cx + nx * reach, cy + ny * reach)
        b = (cx - nx * reach, cy - ny * reach)
        for end in (a, b):
            assert not Point(end).intersects(near_water), f"bridge {zh} ends in the water"
        line = LineString([a, b])
        assert line.crosses(water)
        features.append(
            feature(
                "bridge",
                f"bridge-{num}",
                zh,
                en,
                {"type": "LineString", "coordinates": [to_lonlat(*a), to_lonlat(*b)]},
            )
        )

        def nearest_node(end, zh=zh):
            cands = sorted(used_nodes, key=lambda k: math.dist(nodes[k], end))
            for k in cands:
                if edge_ok(nodes[k], end):
                    return nodes[k]
            raise AssertionError(f"no land junction reachable from bridge {zh}")

        roads.append((f"{zh}及引道", f"{en} and approaches", [nearest_node(a), a, b, nearest_node(b)]))

    # the network (roads + bridge lines) must be one connected graph
    parent: dict[tuple[float, float], tuple[float, float]] = {}

    def find(p):
        while parent.setdefault(p, p) != p:
            p = parent[p]
        return p

    for _zh, _en, pts in roads:
        for a, b in zip(pts, pts[1:], strict=False):
            parent[find(a)] = find(b)
    assert len({find(p) for p in parent}) == 1, "road network is not connected"

    for k, (zh, en, pts) in enumerate(roads, start=1):
        features.append(
            feature(
                "road",
                f"road-{k}",
                zh,
                en,
                {"type": "LineString", "coordinates": [to_lonlat(*p) for p in pts]},
            )
        )

    # ---- districts: split the extent by the (extended) centerline
    ext = [(-20000.0, center_pts[0][1] + 1500), *center_pts, (20000.0, center_pts[-1][1] - 1500)]
    halves = list(split(extent, LineString(ext)).geoms)
    assert len(halves) == 2, "centerline must cut the city extent in two"
    north = max(halves, key=lambda g: g.centroid.y)
    south = min(halves, key=lambda g: g.centroid.y)
    i_w = min(range(n), key=lambda i: math.dist(center_pts[i], (-520, 1650)))
    i_e = min(range(n), key=lambda i: math.dist(center_pts[i], (520, 1650)))
    loop = Polygon(center_pts[i_w : i_e + 1]).buffer(0)
    chengzhong = loop.intersection(north).buffer(0)
    liubei = north.difference(loop)
    liujiang = south.intersection(box(XMIN, YMIN, -2400, -3200))
    liunan = south.intersection(box(XMIN, YMIN, 300, YMAX)).difference(liujiang)
    yufeng = south.intersection(box(300, YMIN, XMAX, YMAX))
    districts = [
        ("district-chengzhong", "城中区", "Chengzhong District", chengzhong),
        ("district-yufeng", "鱼峰区", "Yufeng District", yufeng),
        ("district-liunan", "柳南区", "Liunan District", liunan),
        ("district-liubei", "柳北区", "Liubei District", liubei),
        ("district-liujiang", "柳江区", "Liujiang District", liujiang),
    ]
    for fid, zh, en, g in districts:
        g = g.simplify(5.0)
        if g.geom_type == "MultiPolygon":
            g = max(g.geoms, key=lambda p: p.area)
        assert g.is_valid and g.geom_type == "Polygon", fid
        features.append(feature("district", fid, zh, en, round_coords(mapping(geom_to_lonlat(g)))))

    # ---- construction and disposal sites: offset from a junction, on land
    def site_near(tx: float, ty: float, what: str) -> tuple[float, float]:
        k = min(used_nodes, key=lambda kk: math.dist(nodes[kk], (tx, ty)))
        nx0, ny0 = nodes[k]
        for _ in range(200):
            ang = rng.uniform(0, 2 * math.pi)
            d = rng.uniform(60.0, 120.0)
            p = (nx0 + d * math.cos(ang), ny0 + d * math.sin(ang))
            if Point(p).distance(water) > 80.0 and extent.contains(Point(p)):
                return p
        raise AssertionError(f"cannot place {what}")

    for k, (zh, en, tx, ty) in enumerate(CONSTRUCTION_SITES, start=1):
        p = site_near(tx, ty, zh)
        features.append(
            feature(
                "construction_site",
                f"site-{k}",
                zh,
                en,
                {"type": "Point", "coordinates": to_lonlat(*p)},
            )
        )
    for k, (zh, en, tx, ty) in enumerate(DISPOSAL_SITES, start=1):
        p = site_near(tx, ty, zh)
        features.append(
            feature(
                "disposal_site",
                f"disposal-{k}",
                zh,
                en,
                {"type": "Point", "coordinates": to_lonlat(*p)},
            )
        )

    # ---- patrol zones: rounded squares, clipped off the water
    for k, (zh, en, cx, cy, half) in enumerate(PATROL_ZONES, start=1):
        sq = affinity.rotate(box(cx - half, cy - half, cx + half, cy + half), rng.uniform(-20, 20))
        g = sq.buffer(120.0, quad_segs=4).buffer(-120.0, quad_segs=4)
        g = g.difference(water.buffer(40.0)).intersection(extent)
        if g.geom_type == "MultiPolygon":
            g = max(g.geoms, key=lambda p: p.area)
        g = g.simplify(3.0)
        assert g.is_valid and g.geom_type == "Polygon" and g.area > 200_000, zh
        features.append(
            feature(
                "patrol_zone",
                f"patrol-{k}",
                zh,
                en,
                round_coords(mapping(geom_to_lonlat(g))),
            )
        )

    # ---- docks: in the water, 30 m off the bank
    for k, (zh, en, frac, side) in enumerate(DOCKS, start=1):
        s = frac * length
        (cx, cy), (nx, ny) = normal_at(centerline, s)
        off = side * (width_at(s) / 2.0 - 30.0)
        p = (cx + nx * off, cy + ny * off)
        assert water.contains(Point(p)) and water.exterior.distance(Point(p)) < 60.0, zh
        features.append(
            feature("dock", f"dock-{k}", zh, en, {"type": "Point", "coordinates": to_lonlat(*p)})
        )

    return {
        "type": "FeatureCollection",
        "properties": {
            "name": "柳州 (示意)",
            "name_en": "Liuzhou (schematic)",
            "schematic": True,
            "note": "schematic demo city, not survey data",
            "generator": "resources/city/make_city.py",
        },
        "features": features,
    }


def main() -> None:
    fc = build()
    text = json.dumps(fc, ensure_ascii=False, separators=(",", ":"))
    # one feature per line: diffable, still compact
    text = text.replace(',{"type":"Feature"', ',\n{"type":"Feature"')
    OUT.write_text(text + "\n", encoding="utf-8")
    counts: dict[str, int] = {}
    for f in fc["features"]:
        counts[f["properties"]["layer"]] = counts.get(f["properties"]["layer"], 0) + 1
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB): {counts}")


if __name__ == "__main__":
    main()
