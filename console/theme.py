"""The console's two themes, day (light) and night (dark): every colour the widgets, the charts and the map use.

One table per theme. Widgets take their colours from here, never from literals: the priority and state
colours as live `QColor` objects (`colour(role)`, `colours(group)`) that `apply()` repaints in place, and
`tone(widget, name)` for labels whose look says error / ok / warning / muted (styled by the theme's QSS).
The map page gets `map_palette()` as JSON (resources/map/theme.js applies it without reloading the page).
Switching (`apply`) is immediate: the application palette and style sheet, the live colours, then
`changed` for what draws itself (the map, the charts). The choice is remembered in QSettings.

Marker fills (priority pins, unit icons, their swatches in the tables) are the colours an operator reads
without the text beside them: tests/console/test_theme.py checks that every pair of each group stays
apart under protanopia, deuteranopia and tritanopia (CAM02-UCS). Ink colours (table text) repeat what the
words already say and are checked for contrast against the theme's base.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

THEMES = ("light", "dark")
DEFAULT = "light"
SETTINGS_KEY = "view/theme"


@dataclass(frozen=True)
class Theme:
    name: str
    ui: dict[str, str]  # Qt palette and QSS roles
    groups: dict[str, dict[str, str]]  # priority, state, severity (+ _ink variants)
    roles: dict[str, str]  # single colours: overdue_bg, warn_bg, error, ok...
    map: dict[str, Any] = field(default_factory=dict)


LIGHT = Theme(
    name="light",
    ui={"window": "#eef1f4", "base": "#ffffff", "alt_base": "#f5f7f9", "text": "#1a2329", "muted": "#546e7a",
        "border": "#c5ccd3", "button": "#e6eaee", "highlight": "#cfe3f7", "highlight_text": "#0d1b2a",
        "header": "#eef1f4", "tab_selected": "#e3ecf5", "status_bg": "#263238", "status_fg": "#eceff1",
        "tooltip_bg": "#fffde7", "tooltip_fg": "#1a2329", "link": "#1565c0", "grid": "#e0e4e8"},
    groups={
        # marker fills: CVD-checked (tests/console/test_theme.py)
        "priority": {"P1": "#b71c1c", "P2": "#ef6c00", "P3": "#fdd835", "P4": "#546e7a"},
        "state": {"available": "#009e73", "assigned": "#f0c000", "busy": "#c8102e", "out_of_service": "#4a2f8a",
                  "stale": "#a8adb2"},
        "severity": {"high": "#b71c1c", "medium": "#ef6c00", "low": "#546e7a"},
        # text on the base colour: contrast-checked
        "priority_ink": {"P1": "#b71c1c", "P2": "#bf4800", "P3": "#856a00", "P4": "#455a64"},
        "state_ink": {"available": "#00796b", "assigned": "#8a6400", "busy": "#b0102a", "out_of_service": "#4a2f8a",
                      "stale": "#6f767b"},
        "severity_ink": {"high": "#b71c1c", "medium": "#bf4800", "low": "#455a64"},
        "pin_text": {"P1": "#ffffff", "P2": "#ffffff", "P3": "#1a1a1a", "P4": "#ffffff"},
    },
    roles={"overdue_bg": "#ffcdd2", "overdue_fg": "#b71c1c", "warn_bg": "#fff3cd", "warn_fg": "#7a4f00",
           "closed_fg": "#78909c", "error": "#b71c1c", "error_bg": "#ffebee", "ok": "#1b5e20", "ok_bg": "#e8f5e9",
           "badge": "#b71c1c", "pill_open": "#1565c0", "pill_closed": "#78909c", "pill_overdue": "#c62828",
           "online": "#2e7d32", "bubble_in": "#e8f5e9", "bubble_broadcast": "#fff3e0", "bubble_out": "#e3f2fd", "offline": "#c62828", "selection": "#1565c0",
           "chart_a": "#2e7d32", "chart_b": "#ef6c00", "chart_c": "#c62828", "chart_bar": "#1565c0"},
    map={
        "background": "#eef2e6", "page": "#e8eef3", "label": "#37474f", "label_halo": "rgba(255,255,255,.85)",
        "water_label": "#1565c0", "note_fg": "#546e7a", "note_bg": "rgba(255,255,255,.88)",
        "unit_label": "#1a1a1a", "unit_halo": "rgba(255,255,255,0.85)", "selected": "#1565c0",
        "pin_border": "#ffffff", "overdue_ring": "#ff1744", "site_fill": "#ffffff", "tile_filter": "none",
        "card_bg": "rgba(255,255,255,.96)", "card_fg": "#1a1a1a", "card_border": "#90a4ae", "card_key": "#607d8b",
        "strokes": ["#0b3d91", "#00838f", "#37474f", "#5d4037", "#455a64"],
        "layers": {
            "district": {"color": "#90a4ae", "weight": 1, "fillColor": "#f3f1e7", "fillOpacity": 0.6, "dashArray": "4 4"},
            "patrol_zone": {"color": "#8d6e63", "weight": 1, "fillColor": "#d7ccc8", "fillOpacity": 0.15,
                            "dashArray": "2 6"},
            "road": {"color": "#b0a999", "weight": 2.5, "opacity": 0.9},
            "river": {"color": "#4f8fc0", "weight": 1, "fillColor": "#9cc9ec", "fillOpacity": 1.0},
            "river_segment": {"color": "#1e6fb0", "weight": 1, "opacity": 0.0},
            "bridge": {"color": "#424242", "weight": 4, "opacity": 0.9},
        },
        "points": {"construction_site": "#ef6c00", "disposal_site": "#6a1b9a", "dock": "#0d47a1"},
    },
)

DARK = Theme(
    name="dark",
    ui={"window": "#14191d", "base": "#0f1417", "alt_base": "#161c20", "text": "#c9d1d6", "muted": "#8a979f",
        "border": "#2c353b", "button": "#1f272c", "highlight": "#21445e", "highlight_text": "#e6eef3",
        "header": "#1a2125", "tab_selected": "#24313a", "status_bg": "#0b0f12", "status_fg": "#b8c3ca",
        "tooltip_bg": "#1f272c", "tooltip_fg": "#d6dde2", "link": "#7fb8ec", "grid": "#232b30"},
    groups={
        "priority": {"P1": "#e53935", "P2": "#ffa726", "P3": "#fff59d", "P4": "#78909c"},
        "state": {"available": "#1fbf8f", "assigned": "#f9d24a", "busy": "#ff4a3d", "out_of_service": "#a58be0",
                  "stale": "#59626a"},
        "severity": {"high": "#e53935", "medium": "#ffa726", "low": "#78909c"},
        "priority_ink": {"P1": "#ff6b66", "P2": "#ffae47", "P3": "#f2e58a", "P4": "#9fb3bf"},
        "state_ink": {"available": "#3fcf9f", "assigned": "#f2cf55", "busy": "#ff6b5e", "out_of_service": "#b9a3ec",
                      "stale": "#8a9299"},
        "severity_ink": {"high": "#ff6b66", "medium": "#ffae47", "low": "#9fb3bf"},
        "pin_text": {"P1": "#ffffff", "P2": "#1a1a1a", "P3": "#1a1a1a", "P4": "#0f1417"},
    },
    roles={"overdue_bg": "#4a1c1f", "overdue_fg": "#ff8a80", "warn_bg": "#3d3314", "warn_fg": "#f2cf55",
           "closed_fg": "#6f7c85", "error": "#ff8a80", "error_bg": "#3a1a1c", "ok": "#81c995", "ok_bg": "#17301f",
           "badge": "#ff6b66", "pill_open": "#2b5a85", "pill_closed": "#4a565e", "pill_overdue": "#a32020",
           "online": "#3fcf9f", "bubble_in": "#17301f", "bubble_broadcast": "#3d3314", "bubble_out": "#1c2f42", "offline": "#ff6b5e", "selection": "#7fb8ec",
           "chart_a": "#3fcf9f", "chart_b": "#ffae47", "chart_c": "#ff6b66", "chart_bar": "#7fb8ec"},
    map={
        "background": "#10161a", "page": "#0b0f12", "label": "#9fb0ba", "label_halo": "rgba(0,0,0,.85)",
        "water_label": "#6fa8d6", "note_fg": "#7d8b94", "note_bg": "rgba(15,20,23,.88)",
        "unit_label": "#d6dde2", "unit_halo": "rgba(0,0,0,0.85)", "selected": "#7fb8ec",
        "pin_border": "#0f1417", "overdue_ring": "#ff5252", "site_fill": "#10161a",
        "card_bg": "rgba(26,33,37,.96)", "card_fg": "#d6dde2", "card_border": "#3b4a53", "card_key": "#8a979f",
        "tile_filter": "invert(1) hue-rotate(180deg) brightness(.75) contrast(.9) saturate(.6)",
        "strokes": ["#9ec5ff", "#7fdbe6", "#cfd8dc", "#d7b9a6", "#b0bec5"],
        "layers": {
            "district": {"color": "#3b4a53", "weight": 1, "fillColor": "#161d21", "fillOpacity": 0.7, "dashArray": "4 4"},
            "patrol_zone": {"color": "#6d5a50", "weight": 1, "fillColor": "#3e332d", "fillOpacity": 0.15,
                            "dashArray": "2 6"},
            "road": {"color": "#3a3f44", "weight": 2.5, "opacity": 0.9},
            "river": {"color": "#24425a", "weight": 1, "fillColor": "#142a3b", "fillOpacity": 1.0},
            "river_segment": {"color": "#2f6a96", "weight": 1, "opacity": 0.0},
            "bridge": {"color": "#7b858c", "weight": 4, "opacity": 0.9},
        },
        "points": {"construction_site": "#ffae47", "disposal_site": "#c39be6", "dock": "#7fb8ec"},
    },
)

BY_NAME = {"light": LIGHT, "dark": DARK}
_current: Theme = LIGHT
_live: dict[str, Any] = {}  # role or "group/key" -> the one QColor the widgets hold, repainted by apply()
_notifier: Any = None


def get(name: str | None = None) -> Theme:
    """The theme called `name` (the current one by default). :raises ValueError: an unknown name."""
    if name is None:
        return _current
    if name not in BY_NAME:
        raise ValueError(f"unknown theme {name!r}; choose {' or '.join(THEMES)}")
    return BY_NAME[name]


def current() -> Theme:
    return _current


def value(role: str, theme: Theme | None = None) -> str:
    """A colour by name: a role ("overdue_bg"), a UI role ("text") or a group entry ("priority/P1")."""
    th = theme or _current
    if "/" in role:
        group, key = role.split("/", 1)
        return th.groups[group][key]
    return th.roles[role] if role in th.roles else th.ui[role]


def colour(role: str) -> Any:
    """The live QColor of `role`: the same object for every caller, changed in place by apply()."""
    from PySide6.QtGui import QColor

    c = _live.get(role)
    if c is None:
        c = _live[role] = QColor(value(role))
    return c


def colours(group: str) -> dict[str, Any]:
    """The live QColors of a group, e.g. colours("priority_ink")["P1"]."""
    return {k: colour(f"{group}/{k}") for k in _current.groups[group]}


def map_palette(theme: Theme | None = None) -> dict[str, Any]:
    """What the map page needs (resources/map/theme.js): its own colours, the unit fills by status then stale,
    the priority pins."""
    th = theme or _current
    st = th.groups["state"]
    return {"name": th.name, **th.map,
            "fills": [st["available"], st["assigned"], st["busy"], st["out_of_service"], st["stale"]],
            "priority": dict(th.groups["priority"]), "pin_text": dict(th.groups["pin_text"]),
            "severity": dict(th.groups["severity"])}


def style_sheet(theme: Theme | None = None) -> str:
    """The application's QSS for a theme (resources/style/console.qss with the theme's colours)."""
    from console.app import RESOURCES

    th = theme or _current
    text = (RESOURCES / "style" / "console.qss").read_text(encoding="utf-8")
    values = {**th.ui, **th.roles, **{f"{g}.{k}": c for g, cs in th.groups.items() for k, c in cs.items()}}
    for k in sorted(values, key=len, reverse=True):  # longer names first: {alt_base} before {base}
        text = text.replace("{" + k + "}", values[k])
    return text


def qpalette(theme: Theme | None = None) -> Any:
    from PySide6.QtGui import QColor, QPalette

    th = theme or _current
    u = th.ui
    p = QPalette()
    R = QPalette.ColorRole
    for role, key in ((R.Window, "window"), (R.WindowText, "text"), (R.Base, "base"), (R.AlternateBase, "alt_base"),
                      (R.Text, "text"), (R.Button, "button"), (R.ButtonText, "text"), (R.Highlight, "highlight"),
                      (R.HighlightedText, "highlight_text"), (R.ToolTipBase, "tooltip_bg"), (R.ToolTipText, "tooltip_fg"),
                      (R.Link, "link"), (R.PlaceholderText, "muted"), (R.BrightText, "error")):
        p.setColor(role, QColor(value(key, th)))
    for role in (R.Mid, R.Midlight, R.Dark, R.Shadow, R.Light):
        p.setColor(role, QColor(u["border"]))
    p.setColor(R.Light, QColor(u["button"]).lighter(130 if th.name == "dark" else 110))
    p.setColor(R.Dark, QColor(u["border"]).darker(130))
    p.setColor(R.Shadow, QColor("#000000"))
    for grp in (QPalette.ColorGroup.Disabled,):
        for role in (R.WindowText, R.Text, R.ButtonText):
            p.setColor(grp, role, QColor(u["muted"]))
    return p


def notifier() -> Any:
    """A QObject with `changed(str)`: emitted after a theme is applied."""
    global _notifier
    if _notifier is None:
        from PySide6.QtCore import QObject, Signal

        class _Notifier(QObject):
            changed = Signal(str)

        _notifier = _Notifier()
    return _notifier


def apply(name: str, app: Any = None) -> Theme:
    """Switch the whole console to theme `name` now. :raises ValueError: an unknown name."""
    global _current
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QApplication

    th = get(name)
    _current = th
    for role, c in _live.items():
        c.setRgba(QColor(value(role, th)).rgba())
    app = app or QApplication.instance()
    if app is not None:
        app.setPalette(qpalette(th))
        app.setStyleSheet(style_sheet(th))
        for w in app.allWidgets():
            w.update()
    notifier().changed.emit(th.name)
    return th


def tone(widget: Any, name: str | None) -> None:
    """Give a label the theme's look for `name` ("error", "ok", "warn", "muted", "alarm", "banner", "plans"; None:
    plain). The QSS styles `*[tone="..."]`, so a theme switch restyles it at once."""
    widget.setStyleSheet("")
    widget.setProperty("tone", name or "")
    st = widget.style()
    st.unpolish(widget)
    st.polish(widget)
    widget.update()


def saved() -> str | None:
    """The theme this user chose last (QSettings), or None."""
    from PySide6.QtCore import QSettings

    v = QSettings().value(SETTINGS_KEY)
    return str(v) if v in BY_NAME else None


def save(name: str) -> None:
    from PySide6.QtCore import QSettings

    s = QSettings()
    s.setValue(SETTINGS_KEY, get(name).name)
    s.sync()
