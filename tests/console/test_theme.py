"""Issue 17, item 1: a night theme and a day theme, switched at once (widgets, charts, the map), remembered; the
priority and state colours stay apart for colour-blind operators (a CVD simulation on both themes' palettes)."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest
from colorspacious import cspace_convert, deltaE

from console import theme
from console.main_window import MainWindow
from dispatch.city.data import load_city
from dispatch.core import Dispatch
from dispatch.store import EventStore
from tests.conftest import Clock
from tests.conftest import page_js as js

ROOT = Path(__file__).resolve().parents[2]
# the marker colours an operator reads without the word beside them: pins, unit icons, their swatches
MARKER_GROUPS = ("priority", "state", "severity")
CVD = ("protanomaly", "deuteranomaly", "tritanomaly")  # at severity 100: protanopia, deuteranopia, tritanopia
MIN_DELTA_E = 15.0  # CAM02-UCS; about 1 is a just-noticeable difference between patches side by side


def rgb1(hexc: str) -> np.ndarray:
    h = hexc.lstrip("#")
    return np.array([int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)])


def seen_as(c: np.ndarray, vision: str | None) -> np.ndarray:
    """The colour as an observer with `vision` sees it (Machado et al. 2009, through colorspacious)."""
    if vision is None:
        return c
    cvd = {"name": "sRGB1+CVD", "cvd_type": vision, "severity": 100}
    return np.clip(cspace_convert(c, cvd, "sRGB1"), 0, 1)


def closest_pair(colours: dict[str, str], vision: str | None) -> tuple[float, str, str]:
    return min((float(deltaE(seen_as(rgb1(ca), vision), seen_as(rgb1(cb), vision), input_space="sRGB1")), a, b)
               for (a, ca), (b, cb) in itertools.combinations(colours.items(), 2))


@pytest.mark.parametrize("name", theme.THEMES)
@pytest.mark.parametrize("group", MARKER_GROUPS)
@pytest.mark.parametrize("vision", [None, *CVD])
def test_every_pair_of_marker_colours_stays_apart_in_every_vision(name, group, vision) -> None:  # type: ignore[no-untyped-def]
    d, a, b = closest_pair(theme.get(name).groups[group], vision)
    assert d >= MIN_DELTA_E, f"{name} {group}: {a} and {b} are {d:.1f} apart for {vision or 'normal vision'}"


def test_the_simulation_can_fail() -> None:
    """The check catches what it is there for: the old unit colours, green 'available' beside red 'busy'."""
    old = {"available": "#2e9d4f", "assigned": "#e0a100", "busy": "#d23c3c", "out_of_service": "#6d4c9f",
           "stale": "#9aa0a6"}
    assert closest_pair(old, None)[0] >= MIN_DELTA_E  # fine for most of us...
    d, a, b = closest_pair(old, "deuteranomaly")
    assert d < 8 and {a, b} == {"available", "busy"}  # ...not for one man in twelve


def luminance(hexc: str) -> float:
    c = rgb1(hexc)
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(c @ [0.2126, 0.7152, 0.0722])


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize("name", theme.THEMES)
def test_text_colours_are_readable_on_the_themes_base(name) -> None:  # type: ignore[no-untyped-def]
    th = theme.get(name)
    base = th.ui["base"]
    assert contrast(th.ui["text"], base) >= 7  # body text: WCAG AAA
    for group in ("priority_ink", "state_ink", "severity_ink"):
        for key, c in th.groups[group].items():
            assert contrast(c, base) >= 4.5, f"{name} {group}/{key} {c} on {base}: {contrast(c, base):.1f}"
    for key, c in th.groups["pin_text"].items():  # the word on a pin
        assert contrast(c, th.groups["priority"][key]) >= 3, f"{name} pin {key}"


def test_the_night_theme_is_dark_and_low_glare() -> None:
    dark, light = theme.get("dark"), theme.get("light")
    for role in ("window", "base", "button", "header", "status_bg"):
        assert luminance(dark.ui[role]) < 0.02, role  # nothing bright behind the work
    assert luminance(dark.ui["text"]) < 0.75  # no pure white text either
    assert luminance(dark.map["background"]) < 0.02 and luminance(light.map["background"]) > 0.7


@pytest.fixture
def window(qtbot, db_url):  # type: ignore[no-untyped-def]
    clock = Clock(1_800_000_000.0)
    core = Dispatch(EventStore(db_url), clock=clock, stale_after=60.0)
    core.register_units("test", [{"id": "boat-01", "name": "巡逻艇01", "kind": "patrol_boat"}])
    lat, lon = load_city().center
    core.ingest([("boat-01", clock.t, lat, lon, 3.0, 90.0, "t")])
    w = MainWindow(core, load_city().geojson(), lang="en", store_label=db_url, push_interval_ms=100)
    w.slow_timer.stop()
    w.show()
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.map.is_ready, timeout=20000)
    yield w
    theme.apply("light")
    w.close()
    core.close()


def map_brightness(w) -> float:  # type: ignore[no-untyped-def]
    """Mean luminance (0..1) of the map as painted."""
    from console.screenshot import grab

    img = grab(w.map).toImage()
    a = np.frombuffer(img.constBits(), dtype=np.uint8).reshape(img.height(), img.bytesPerLine() // 4, 4)
    rgb = a[:, : img.width(), [2, 1, 0]].astype(float) / 255
    return float((rgb @ [0.2126, 0.7152, 0.0722]).mean())


def test_view_theme_switches_widgets_charts_and_map_at_once_and_is_remembered(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    from console.incidents.common import OVERDUE_BG, PRIORITY_COLOURS
    from console.unit_board import STATUS_COLOURS

    w = window
    assert theme.current().name == "light" and w.theme_actions["light"].isChecked()
    qtbot.waitUntil(lambda: js(qtbot, w.map, "ConsoleTheme.name()") == "light", timeout=10000)
    qtbot.waitUntil(lambda: map_brightness(w) > 0.6, timeout=10000)
    p1_before = PRIORITY_COLOURS["P1"]
    w.theme_actions["dark"].trigger()  # View → Theme → Night
    app_window = QApplication.palette().color(QPalette.ColorRole.Window).name()
    assert app_window == theme.get("dark").ui["window"]
    # the colours widgets hold are the same objects, repainted in place: nothing to rebuild
    assert PRIORITY_COLOURS["P1"] is p1_before and p1_before.name() == theme.get("dark").groups["priority_ink"]["P1"]
    assert OVERDUE_BG.name() == theme.get("dark").roles["overdue_bg"]
    assert STATUS_COLOURS["busy"].name() == theme.get("dark").groups["state_ink"]["busy"]
    # the map: the page restyles itself (no reload), the units' fills are the dark palette's
    qtbot.waitUntil(lambda: js(qtbot, w.map, "ConsoleTheme.name()") == "dark", timeout=10000)
    assert js(qtbot, w.map, "ConsoleUnits.palette().fills") == theme.map_palette()["fills"]
    assert js(qtbot, w.map, "getComputedStyle(document.documentElement).getPropertyValue('--p1').trim()") \
        == theme.get("dark").groups["priority"]["P1"]
    qtbot.waitUntil(lambda: map_brightness(w) < 0.12, timeout=10000)  # the dark one is really dark
    assert js(qtbot, w.map, "ConsoleUnits.count()") == 1  # and the units are still there
    assert QSettings().value(theme.SETTINGS_KEY) == "dark" and theme.saved() == "dark"
    w.set_theme("light")
    qtbot.waitUntil(lambda: js(qtbot, w.map, "ConsoleTheme.name()") == "light", timeout=10000)
    assert w.theme_actions["light"].isChecked() and theme.saved() == "light"


def test_the_dashboard_follows_the_theme(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from console.analytics.dashboard import Dashboard

    dash = Dashboard(window.core.clock, window)
    qtbot.addWidget(dash)
    assert dash.plots == {}  # the charts are made when the dashboard is first shown, not with the window
    dash.show()
    axis = dash.plots["hour"].getPlotItem().getAxis("left")
    assert axis.textPen().color().name() == theme.get("light").ui["text"]
    theme.apply("dark")
    assert axis.textPen().color().name() == theme.get("dark").ui["text"]


def test_an_unknown_theme_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="light or dark"):
        theme.apply("purple")


def test_every_new_string_ships_in_chinese() -> None:
    zh = json.loads((ROOT / "resources/i18n/zh_CN.json").read_text(encoding="utf-8"))
    for path in ("console/main_window.py", "console/wall.py", "console/docks.py"):
        src = (ROOT / path).read_text(encoding="utf-8")
        missing = [s for s in re.findall(r'self\.tr\("([^"]+)"\)', src) if s not in zh]
        assert not missing, (path, missing)
