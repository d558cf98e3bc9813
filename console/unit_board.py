"""The unit board: every unit with kind, status, speed and last-fix age; filter, search, select."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLineEdit,
    QMenu,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console import theme
from console.i18n import ago, kind_label, status_label

# the theme's live colours (console/theme.py): text by status, and the map's fills for the swatches
STATUS_COLOURS = theme.colours("state_ink")
STALE_COLOUR = STATUS_COLOURS["stale"]
STATUS_FILLS = theme.colours("state")

ModelIndex = QModelIndex | QPersistentModelIndex
UNIT_MIME = "application/x-console-unit-id"  # a unit dragged from the board (e.g. onto an incident)


class UnitTableModel(QAbstractTableModel):
    COLUMNS = ("name", "kind", "status", "speed", "age")

    def __init__(self, stale_after: float, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []
        self.index_of: dict[str, int] = {}
        self.stale_after = stale_after
        self.now = time.time()

    def headers(self) -> list[str]:
        return [self.tr("Unit"), self.tr("Kind"), self.tr("Status"), self.tr("Speed (km/h)"), self.tr("Last fix")]

    def set_units(self, rows: list[dict[str, Any]], now: float) -> None:
        """Replace all rows (units added or removed)."""
        self.beginResetModel()
        self.rows = rows
        self.index_of = {r["id"]: i for i, r in enumerate(rows)}
        self.now = now
        self.endResetModel()

    def update_units(self, rows: list[dict[str, Any]], now: float) -> None:
        """Update rows in place; a unit not yet known resets the model."""
        self.now = now
        if any(r["id"] not in self.index_of for r in rows):
            merged = {r["id"]: r for r in self.rows}
            merged.update({r["id"]: r for r in rows})
            self.set_units(sorted(merged.values(), key=lambda r: r["id"]), now)
            return
        for r in rows:
            self.rows[self.index_of[r["id"]]] = r
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(self.COLUMNS) - 1))

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers()[section]
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        f = super().flags(index)
        return f | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else f

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [UNIT_MIME, "text/plain"]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:  # noqa: N802
        """The dragged unit's id, as text and as our own type."""
        mime = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        if rows:
            uid = self.rows[rows[0]]["id"]
            mime.setText(uid)
            mime.setData(UNIT_MIME, uid.encode("utf-8"))
        return mime

    def is_stale(self, r: dict[str, Any]) -> bool:
        return r.get("time") is None or self.now - r["time"] > self.stale_after

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        col = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if col == "name":
                return r["name"]
            if col == "kind":
                return kind_label(r["kind"])
            if col == "status":
                text = status_label(r["status"])
                if r.get("online") is False:  # has a field client, and it is not connected
                    text += " · " + self.tr("link offline")
                return text + (" · " + self.tr("stale") if self.is_stale(r) else "")
            if col == "speed":
                s = r.get("speed")
                return "" if s is None else f"{s * 3.6:.1f}"
            if col == "age":
                t = r.get("time")
                return "—" if t is None else ago(self.now - t)
        if role == Qt.ItemDataRole.UserRole:  # sort keys
            if col == "speed":
                return r.get("speed") or 0.0
            if col == "age":
                t = r.get("time")
                return 1e12 if t is None else self.now - t
            return self.data(index, Qt.ItemDataRole.DisplayRole)
        if role == Qt.ItemDataRole.ForegroundRole and col in ("status", "age", "name"):
            return QBrush(STALE_COLOUR if self.is_stale(r) else STATUS_COLOURS.get(r["status"], QColor("#000")))
        if role == Qt.ItemDataRole.DecorationRole and col == "status":  # the map icon's fill
            return STATUS_FILLS["stale"] if self.is_stale(r) else STATUS_FILLS.get(r["status"])
        if role == Qt.ItemDataRole.DecorationRole and col == "kind":
            return kind_icon(r["kind"])
        if role == Qt.ItemDataRole.DecorationRole and col == "name" and r.get("online") is not None:
            return presence_icon(bool(r["online"]))  # field link: green online, red offline
        if role == Qt.ItemDataRole.TextAlignmentRole and col in ("speed", "age"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            link = {True: self.tr("field link online"), False: self.tr("field link offline")}.get(r.get("online"))
            return f"{r['id']}  {r.get('callsign') or ''}" + (f"  · {link}" if link else "")
        return None


ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
_icons: dict[str, QIcon] = {}


def kind_icon(kind: str) -> QIcon:
    """The unit kind's icon (the same shapes the map draws)."""
    icon = _icons.get(kind)
    if icon is None:
        path = ICONS / f"{kind}.svg"
        icon = _icons[kind] = QIcon(str(path)) if path.exists() else QIcon()
    return icon


def presence_icon(online: bool) -> QIcon:
    """A small dot: the unit's field client is connected (green) or not (red)."""
    key = f"presence:{online}:{theme.current().name}"
    icon = _icons.get(key)
    if icon is None:
        pix = QPixmap(12, 12)
        pix.fill(Qt.GlobalColor.transparent)
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(theme.value("online" if online else "offline")))
        p.drawEllipse(1, 1, 10, 10)
        p.end()
        icon = _icons[key] = QIcon(pix)
    return icon


class UnitFilter(QSortFilterProxyModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.kind: str | None = None
        self.status: str | None = None  # a UnitStatus value, or "stale"
        self.text = ""
        self.setSortRole(Qt.ItemDataRole.UserRole)

    def filterAcceptsRow(self, row: int, parent: ModelIndex) -> bool:  # noqa: N802
        model = self.sourceModel()
        assert isinstance(model, UnitTableModel)
        r = model.rows[row]
        if self.kind and r["kind"] != self.kind:
            return False
        if self.status == "stale":
            if not model.is_stale(r):
                return False
        elif self.status and r["status"] != self.status:
            return False
        if self.text:
            t = self.text.lower()
            hay = f"{r['name']} {r['id']} {r.get('callsign') or ''} {r.get('mmsi') or ''}".lower()
            if t not in hay:
                return False
        return True

    def refilter(self) -> None:
        self.beginFilterChange()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)


class UnitBoard(QWidget):
    unit_selected = Signal(str)

    def __init__(self, stale_after: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = UnitTableModel(stale_after, self)
        self.proxy = UnitFilter(self)
        self.proxy.setSourceModel(self.model)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("Search name, id, MMSI…"))
        self.search.setClearButtonEnabled(True)
        self.kind_box = QComboBox(self)
        self.kind_box.addItem(self.tr("All kinds"), None)
        for k in ("patrol_boat", "cleaning_vessel", "officer", "truck"):
            self.kind_box.addItem(kind_label(k), k)
        self.status_box = QComboBox(self)
        self.status_box.addItem(self.tr("All statuses"), None)
        for s in ("available", "assigned", "busy", "out_of_service"):
            self.status_box.addItem(status_label(s), s)
        self.status_box.addItem(self.tr("Stale"), "stale")
        self.table = QTableView(self)
        self.table.setObjectName("unitTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        # the name takes what the other columns leave: sized to their contents, they never squeeze it to "…"
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setResizeContentsPrecision(200)  # a thousand units refresh every second
        self.table.setAlternatingRowColors(True)
        self.table.setDragEnabled(True)  # drag a unit onto an incident to assign it
        self.table.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        top = QHBoxLayout()
        top.addWidget(self.kind_box)
        top.addWidget(self.status_box)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.search)
        lay.addLayout(top)
        lay.addWidget(self.table)
        self.search.textChanged.connect(self._on_filter)
        self.kind_box.currentIndexChanged.connect(self._on_filter)
        self.status_box.currentIndexChanged.connect(self._on_filter)
        self.table.selectionModel().currentRowChanged.connect(self._on_row)
        self._selecting = False
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)

    def _on_filter(self) -> None:
        self.proxy.text = self.search.text().strip()
        self.proxy.kind = self.kind_box.currentData()
        self.proxy.status = self.status_box.currentData()
        self.proxy.refilter()

    def _on_row(self, current: QModelIndex, _prev: QModelIndex) -> None:
        if self._selecting or not current.isValid():
            return
        src = self.proxy.mapToSource(current)
        self.unit_selected.emit(self.model.rows[src.row()]["id"])

    def select_unit(self, unit_id: str) -> None:
        """Select a unit's row without re-emitting (used when the map was clicked)."""
        row = self.model.index_of.get(unit_id)
        if row is None:
            return
        idx = self.proxy.mapFromSource(self.model.index(row, 0))
        if not idx.isValid():  # filtered out: clear the filters so the dispatcher sees it
            self.search.clear()
            self.kind_box.setCurrentIndex(0)
            self.status_box.setCurrentIndex(0)
            idx = self.proxy.mapFromSource(self.model.index(row, 0))
        self._selecting = True
        try:
            self.table.setCurrentIndex(idx)
            self.table.scrollTo(idx)
        finally:
            self._selecting = False

    def _context_menu(self, pos: QPoint) -> None:
        idx = self.table.indexAt(pos)
        if not idx.isValid():
            return
        row = self.model.rows[self.proxy.mapToSource(idx).row()]
        menu = QMenu(self)
        bind = menu.addAction(self.tr("Bind AIS MMSI…"))
        service = menu.addAction(self.tr("Put back in service") if row["status"] == "out_of_service"
                                 else self.tr("Take out of service"))
        chosen = menu.exec(self.table.viewport().mapToGlobal(pos))
        if chosen is bind:
            self._bind_mmsi(row)
        elif chosen is service:
            status = "available" if row["status"] == "out_of_service" else "out_of_service"
            self._run("unit.status", {"unit_id": row["id"], "status": status})

    def _bind_mmsi(self, row: dict[str, Any]) -> None:
        text, ok = QInputDialog.getText(self, self.tr("Bind AIS MMSI"),
                                        self.tr("MMSI of %1's AIS transponder (empty to unbind):").replace(
                                            "%1", row["name"]), text=str(row.get("mmsi") or ""))
        if ok:
            self._run("unit.bind_mmsi", {"unit_id": row["id"], "mmsi": text.strip() or None})

    def _run(self, name: str, args: dict[str, Any]) -> None:
        """An operation on the core worker; a refusal is shown with the core's message."""
        from console.operations import DispatchOp, seat_actor
        from dispatch import ops

        DispatchOp(parent=self, op=lambda core: ops.call(core, name, args, actor=seat_actor())).run_in_background()

    def selected_unit(self) -> str | None:
        idx = self.table.currentIndex()
        if not idx.isValid():
            return None
        return self.model.rows[self.proxy.mapToSource(idx).row()]["id"]
