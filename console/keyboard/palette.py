"""The command palette (Ctrl+K): type a few letters, Enter. It finds

  - any menu action of the window (by its words in the seat's language, in English, in pinyin),
  - units (name, id, pinyin of the name: "xlt01" finds 巡逻艇01),
  - incidents in the queue ("#12", category, address),
  - places of the gazetteer (asked of the core: `places.search`, off the GUI thread),

and Enter runs the action, selects the unit or incident (the map centres on it) or centres the map on the
place. A leading ">" keeps to actions, "@" to units, "#" to incidents, "!" to places.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from console.i18n import kind_label, status_label, where_text
from console.incidents.common import PRIORITY_COLOURS, category_label, run_op
from console.places import place_text
from console.unit_board import kind_icon
from dispatch.gazetteer.search import Entry, keys_of, norm, score

_MNEMONIC = re.compile(r"\s*[(（]&\w[)）]")  # a mnemonic of its own after a Chinese menu title
SCOPES = {">": "action", "@": "unit", "#": "incident", "!": "place"}
LIMIT = 12
PLACE_DEBOUNCE_MS = 150


@dataclass
class Hit:
    kind: str  # action, unit, incident, place
    text: str
    detail: str
    score: int
    target: Any = None  # the QAction, unit id, incident id, or place dict
    keys: tuple[str, ...] = field(default=(), repr=False)
    icon: QIcon | None = field(default=None, repr=False)


_icons: dict[tuple[str, bool], QIcon] = {}


def dot_icon(colour: str, ring: bool = False) -> QIcon:
    """A small painted disc (an incident's priority) or ring (a place): no font needed, unlike emoji."""
    key = (colour, ring)
    if key not in _icons:
        pix = QPixmap(16, 16)
        pix.fill(Qt.GlobalColor.transparent)
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(QColor(colour), 3 if ring else 1))
        p.setBrush(QColor("#ffffff") if ring else QColor(colour))
        p.drawEllipse(3, 3, 10, 10)
        p.end()
        _icons[key] = QIcon(pix)
    return _icons[key]


def menu_actions(window: Any) -> list[tuple[str, QAction]]:
    """Every action reachable from the window's menu bar, with the path of menus to it ("View › Go to")."""
    out: list[tuple[str, QAction]] = []
    seen: set[int] = set()

    def walk(menu: Any, path: str) -> None:
        for a in menu.actions():
            if a.isSeparator():
                continue
            sub = a.menu()
            if sub is not None:
                walk(sub, f"{path} › {plain(a.text())}" if path else plain(a.text()))
            elif id(a) not in seen and a.text():
                seen.add(id(a))
                out.append((path, a))

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu(), plain(top.text()))
    return out


def plain(text: str) -> str:
    """A menu text without its mnemonic ("&File", Chinese "文件(&F)") and trailing ellipsis."""
    text = _MNEMONIC.sub("", text)
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").rstrip(".").strip()


def _english(text: str) -> str:
    """The English source of a translated text (for an English word typed at a Chinese seat)."""
    from console import i18n

    rev = getattr(_english, "_rev", None)
    if rev is None or getattr(_english, "_lang", None) != i18n.current_language():
        rev = {v: k for k, v in i18n.catalogue().items()}
        _english._rev, _english._lang = rev, i18n.current_language()  # type: ignore[attr-defined]
    return str(rev.get(text, rev.get(text + "…", "")))


class Palette(QDialog):
    """A small window over the main one: a field and the list of what matches."""

    chosen = Signal(str, object)  # kind, target (after it has been carried out)

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.setObjectName("commandPalette")
        self.setWindowTitle(self.tr("Command palette"))
        self.setModal(False)
        self.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        self.field = QLineEdit(self)
        self.field.setObjectName("paletteField")
        self.field.setPlaceholderText(self.tr("Action, unit, incident or place… (> actions, @ units, # incidents, ! places)"))
        self.field.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setObjectName("paletteList")
        self.list.setUniformItemSizes(True)
        self.hint = QLabel(self.tr("↑↓ choose · Enter run or show · Esc close"), self)
        self.hint.setStyleSheet("color:#78909c;font-size:11px")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 6)
        lay.addWidget(self.field)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.hint)
        self.resize(640, 420)
        self.setStyleSheet("QDialog#commandPalette { border: 2px solid #546e7a; border-radius: 4px; }")
        self._action_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_ArrowRight)
        self.hits: list[Hit] = []
        self.places: list[dict[str, Any]] = []
        self._asked = 0
        self._answered = 0
        self._key_cache: dict[str, tuple[str, ...]] = {}
        self.field.textChanged.connect(self._typed)
        self.field.installEventFilter(self)
        self.list.itemActivated.connect(lambda _i: self.run_current())
        self.place_timer = QTimer(self)
        self.place_timer.setSingleShot(True)
        self.place_timer.setInterval(PLACE_DEBOUNCE_MS)
        self.place_timer.timeout.connect(self._ask_places)

    # ------------------------------------------------------------- opening
    def open_with(self, text: str = "") -> None:
        self.places = []
        self.field.setText(text)
        self._typed(text)
        parent = self.window
        geo = parent.geometry()
        self.move(geo.x() + (geo.width() - self.width()) // 2, geo.y() + 80)
        self.show()
        self.raise_()
        self.activateWindow()
        self.field.setFocus()
        self.field.end(False)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        """A click elsewhere (the map, the queue) puts the palette away, as Esc does."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.ActivationChange and self.isVisible() and not self.isActiveWindow():
            QTimer.singleShot(0, self._close_if_inactive)  # after the activation settles (a popup of its own)

    def _close_if_inactive(self) -> None:
        if self.isVisible() and not self.isActiveWindow():
            self.close()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        """Arrows move in the list while the field keeps the focus; Enter runs; Esc closes."""
        if obj is self.field and event.type() == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
                n = self.list.count()
                if n:
                    step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_PageDown: 5, Qt.Key.Key_PageUp: -5}[key]
                    self.list.setCurrentRow(max(0, min(n - 1, self.list.currentRow() + step)))
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.run_current()
                return True
            if key == Qt.Key.Key_Escape:
                self.close()
                return True
        return super().eventFilter(obj, event)

    # ------------------------------------------------------------- matching
    def _keys(self, cache_key: str, *names: str) -> tuple[str, ...]:
        keys = self._key_cache.get(cache_key)
        if keys is None:
            main, *rest = [n for n in names if n] or [""]
            keys = keys_of(main, "", tuple(rest))  # names, their pinyin and initials (the gazetteer's own keys)
            self._key_cache[cache_key] = keys
        return keys

    def _score(self, keys: tuple[str, ...], q: str) -> int:
        return score(Entry("", "", "", 0.0, 0.0, keys=keys), q)

    def _typed(self, text: str) -> None:
        scope, q = self._scope(text)
        self.hits = self.local_hits(scope, q)
        if scope in (None, "place") and q:
            self.place_timer.start()
        else:
            self.places = []
        self._render()

    @staticmethod
    def _scope(text: str) -> tuple[str | None, str]:
        t = text.strip()
        if t[:1] in SCOPES:
            return SCOPES[t[0]], norm(t[1:])
        return None, norm(t)

    def local_hits(self, scope: str | None, q: str) -> list[Hit]:
        hits: list[Hit] = []
        if scope in (None, "action"):
            for path, a in menu_actions(self.window):
                if not a.isEnabled():
                    continue
                text = plain(a.text())
                keys = self._keys(f"a:{text}", text, _english(a.text()), a.objectName())
                s = self._score(keys, q) if q else 50
                if s:
                    hits.append(Hit("action", text, f"{path} · {a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)}",
                                    s, a, icon=a.icon() if not a.icon().isNull() else self._action_icon))
        if scope in (None, "unit") and (q or scope == "unit"):
            with self.window.core.lock:
                units = list(self.window.core.state.units.values())
            for u in units:
                keys = self._keys(f"u:{u.id}:{u.name}", u.name or u.id, u.id, u.callsign or "", str(u.mmsi or ""))
                s = self._score(keys, q) if q else 50
                if s:
                    hits.append(Hit("unit", u.name or u.id, f"{u.id} · {kind_label(str(u.kind))} · "
                                    f"{status_label(str(u.status))}", s, u.id, icon=kind_icon(str(u.kind))))
        wf = getattr(self.window, "workflow", None)
        if wf is not None and scope in (None, "incident") and (q or scope == "incident"):
            for r in wf.panel.model.rows:
                cat = category_label(r.get("category"))
                label = f"#{r['id']} {r.get('priority', '')} {cat}"
                where = where_text(r)
                keys = self._keys(f"i:{r['id']}:{where}", cat, str(r["id"]), f"#{r['id']}", where,
                                  str(r.get("category") or ""))
                s = self._score(keys, q) if q else 40
                if s:
                    colour = PRIORITY_COLOURS.get(str(r.get("priority")))
                    hits.append(Hit("incident", label, where, s + (3 if r.get("open") else 0),
                                    int(r["id"]), icon=dot_icon(colour.name() if colour is not None else "#607d8b")))
        hits.sort(key=lambda h: -h.score)
        return hits[:LIMIT]

    def _ask_places(self) -> None:
        scope, q = self._scope(self.field.text())
        if not q or scope not in (None, "place"):
            return
        self._asked += 1
        ticket = self._asked

        def done(rows: list[dict[str, Any]]) -> None:
            if ticket != self._asked:
                return
            self.places = rows
            self._answered = ticket
            self._render()

        run_op(self, "places.search", {"q": self.field.text().strip().lstrip("!")[:200], "limit": 6},
               on_done=done, quiet=True)

    def _render(self) -> None:
        scope, q = self._scope(self.field.text())
        hits = list(self.hits)
        if scope in (None, "place"):
            for p in self.places:
                hits.append(Hit("place", place_text(p), f"{p['lat']:.5f}, {p['lon']:.5f}", int(p.get("score", 1)), p,
                                icon=dot_icon("#1565c0", ring=True)))
        hits.sort(key=lambda h: -h.score)  # stable: actions before places of the same score
        self.shown = hits[:LIMIT]
        self.list.clear()
        for h in self.shown:
            item = QListWidgetItem(f"{h.text}    —  {h.detail}" if h.detail else h.text)
            if h.icon is not None:
                item.setIcon(h.icon)
            item.setData(Qt.ItemDataRole.UserRole, h.kind)
            self.list.addItem(item)
        if self.shown:
            self.list.setCurrentRow(0)

    # ------------------------------------------------------------- running
    def run_current(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(getattr(self, "shown", [])):
            self.run(self.shown[row])

    def run(self, hit: Hit) -> None:
        self.close()
        w = self.window
        if hit.kind == "action":
            hit.target.trigger()
        elif hit.kind == "unit":
            w.show_side_tab("units")
            w.board.select_unit(hit.target)
            w.map.select(hit.target, centre=True)
            w.board.unit_selected.emit(hit.target)  # the selection followers (centre, message) learn of it
        elif hit.kind == "incident":
            wf = getattr(w, "workflow", None)
            if wf is not None:
                wf.show_incident(hit.target)
                wf.panel.incident_selected.emit(hit.target)  # the map centres on it
        elif hit.kind == "place":
            p = hit.target
            w.map.run(f"void (window.consoleMap && window.consoleMap.setView([{float(p['lat']):.7f},{float(p['lon']):.7f}], 17))")
            w.statusBar().showMessage(place_text(p), 10000)
        self.chosen.emit(hit.kind, hit.target)


def palette_for(window: Any) -> Palette:
    p = getattr(window, "palette_dialog", None)
    if p is None:
        p = Palette(window)
        window.palette_dialog = p
    return p


def open_palette(window: Any, text: str = "") -> QWidget:
    p = palette_for(window)
    p.open_with(text)
    return p
