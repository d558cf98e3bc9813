"""The incident queue: one row per incident, coloured by priority and deadline, with a live countdown.

Rows are the core's `incidents` summaries as they are; the countdown is the core's deadline
(`deadline.due`) minus the seat's clock, repainted every second without asking the core again.
A unit dragged from the unit board (mime text = unit id) onto a row asks to assign it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from console.i18n import where_text
from console.incidents.common import (
    CLOSED_FG,
    OVERDUE_BG,
    OVERDUE_FG,
    PRIORITY_COLOURS,
    PRIORITY_FILLS,
    WARN_BG,
    category_label,
    deadline_remaining,
    deadline_text,
    source_label,
    stage_label,
    state_label,
)
from console.tables import CompactHeader
from console.unit_board import UNIT_MIME

ModelIndex = QModelIndex | QPersistentModelIndex
WARN_BEFORE_S = 300.0  # the countdown turns amber this long before a deadline


class IncidentTableModel(QAbstractTableModel):
    COLUMNS = ("id", "priority", "category", "state", "deadline", "unit", "place", "source")

    def __init__(self, clock: Callable[[], float], parent: Any = None) -> None:
        super().__init__(parent)
        self.clock = clock
        self.rows: list[dict[str, Any]] = []
        self.index_of: dict[int, int] = {}
        self.now = clock()

    def headers(self) -> list[str]:
        return [self.tr("No."), self.tr("Priority"), self.tr("Category"), self.tr("State"), self.tr("Deadline"),
                self.tr("Unit"), self.tr("Location"), self.tr("Source")]

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.now = self.clock()
        if [r["id"] for r in rows] == [r["id"] for r in self.rows]:
            self.rows = rows
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(self.COLUMNS) - 1))
            return
        self.beginResetModel()
        self.rows = rows
        self.index_of = {r["id"]: i for i, r in enumerate(rows)}
        self.endResetModel()

    def tick(self) -> None:
        """Once a second: the countdown and the overdue colour move on."""
        self.now = self.clock()
        if self.rows:
            c = self.COLUMNS.index("deadline")
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, c))

    # -------------------------------------------------------------- derived display values
    def remaining(self, r: dict[str, Any]) -> float | None:
        return deadline_remaining(r, self.now)

    def deadline_passed(self, r: dict[str, Any]) -> bool:
        """The running deadline is behind us (not only an earlier stage that was late)."""
        rem = self.remaining(r)
        return bool(r.get("open")) and rem is not None and rem < 0

    def is_overdue(self, r: dict[str, Any]) -> bool:
        """Marked until closed: the core's flag, or a deadline passed since the last refresh."""
        if not r.get("open"):
            return False
        rem = self.remaining(r)
        return bool(r.get("overdue")) or (rem is not None and rem < 0)

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
        return f | Qt.ItemFlag.ItemIsDropEnabled if index.isValid() else f

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        col = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(r, col)
        if role == Qt.ItemDataRole.UserRole:  # sort keys
            if col == "id":
                return r["id"]
            if col == "priority":
                return (r["priority"], r["created_at"])
            if col == "deadline":
                rem = self.remaining(r)
                return 1e15 if rem is None else rem
            return self._display(r, col)
        overdue = self.is_overdue(r)
        if role == Qt.ItemDataRole.BackgroundRole:
            if overdue:
                return QBrush(OVERDUE_BG)
            if col == "deadline":
                rem = self.remaining(r)
                if rem is not None and rem < WARN_BEFORE_S:
                    return QBrush(WARN_BG)
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == "priority":
                return QBrush(PRIORITY_COLOURS.get(r["priority"], QColor("#000")))
            if overdue and col in ("id", "state") or col == "deadline" and self.deadline_passed(r):
                return QBrush(OVERDUE_FG)
            if not r.get("open"):
                return QBrush(CLOSED_FG)
            return None
        if role == Qt.ItemDataRole.FontRole and (col == "priority" or (col == "deadline" and self.deadline_passed(r))):
            f = QFont()
            f.setBold(True)
            return f
        if role == Qt.ItemDataRole.DecorationRole and col == "priority":
            return PRIORITY_FILLS.get(r["priority"])  # the map pin's colour beside the word
        if role == Qt.ItemDataRole.TextAlignmentRole and col in ("id", "deadline"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = [f"#{r['id']} {category_label(r['category'])} · {state_label(r['state'])}"]
            if where_text(r):
                tip.append(where_text(r))
            if r.get("source"):
                tip.append(self.tr("Source: %1").replace("%1", source_label(r["source"])))
            if r.get("text"):
                tip.append(str(r["text"]))
            if r.get("possible_duplicates"):
                tip.append(self.tr("Possible duplicate of: %1").replace(
                    "%1", ", ".join(f"#{d}" for d in r["possible_duplicates"])))
            if overdue and r.get("overdue_stages"):
                tip.append(self.tr("Overdue: %1").replace("%1", ", ".join(stage_label(s) for s in r["overdue_stages"])))
            return "\n".join(tip)
        return None

    def _display(self, r: dict[str, Any], col: str) -> str:
        if col == "id":
            return f"{r['id']}" + (" ⧉" if r.get("possible_duplicates") else "")
        if col == "priority":
            return r["priority"]
        if col == "category":
            return category_label(r["category"], short=True)
        if col == "state":
            return state_label(r["state"])
        if col == "deadline":
            return deadline_text(r, self.now)
        if col == "unit":
            return r.get("unit_name") or r.get("unit_id") or ""
        if col == "place":
            return where_text(r) or f"{r['lat']:.5f}, {r['lon']:.5f}"
        if col == "source":
            return source_label(r.get("source"))
        return ""


class IncidentFilter(QSortFilterProxyModel):
    """Open / all / one state, and a category."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.mode = "open"  # "open", "all", or a state name
        self.category: str | None = None
        self.ids: frozenset[int] | None = None  # a dashboard selection: only these incidents
        self.setSortRole(Qt.ItemDataRole.UserRole)

    def filterAcceptsRow(self, row: int, parent: ModelIndex) -> bool:  # noqa: N802
        model = self.sourceModel()
        assert isinstance(model, IncidentTableModel)
        r = model.rows[row]
        if self.ids is not None and int(r["id"]) not in self.ids:
            return False
        if self.mode == "open" and not r.get("open"):
            return False
        if self.mode not in ("open", "all") and r["state"] != self.mode:
            return False
        return not (self.category and r["category"] != self.category)

    def lessThan(self, left: ModelIndex, right: ModelIndex) -> bool:  # noqa: N802
        a, b = left.data(Qt.ItemDataRole.UserRole), right.data(Qt.ItemDataRole.UserRole)
        try:
            return bool(a < b)
        except TypeError:
            return str(a) < str(b)

    def refilter(self) -> None:
        self.beginFilterChange()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)


class QueueView(QTableView):
    """The table; accepts a unit dropped from the unit board onto a row."""

    unit_dropped = Signal(int, str)  # incident id, unit id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("incidentQueue")
        self.setHorizontalHeader(CompactHeader(self))
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setDropIndicatorShown(True)
        self.setSortingEnabled(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(24)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)

    def fit_columns(self) -> None:
        """Every column as wide as its header and its widest cell; the place takes the rest (elided if long).
        The source is in the tooltip and the detail: the side panel has no room for it beside the map."""
        columns = IncidentTableModel.COLUMNS
        h = self.horizontalHeader()
        h.setStretchLastSection(False)
        h.setMinimumSectionSize(24)
        for c, name in enumerate(columns):
            h.setSectionResizeMode(c, QHeaderView.ResizeMode.Stretch if name == "place"
                                   else QHeaderView.ResizeMode.ResizeToContents)
        self.setColumnHidden(columns.index("source"), True)

    @staticmethod
    def unit_of(mime: Any) -> str | None:
        if mime.hasFormat(UNIT_MIME):
            return bytes(mime.data(UNIT_MIME).data()).decode("utf-8").strip() or None
        if mime.hasText():
            return mime.text().strip() or None
        return None

    def dragEnterEvent(self, event: Any) -> None:  # noqa: N802
        if self.unit_of(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:  # noqa: N802
        idx = self.indexAt(event.position().toPoint())
        if idx.isValid() and self.unit_of(event.mimeData()):
            self.selectRow(idx.row())
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: Any) -> None:  # noqa: N802
        unit = self.unit_of(event.mimeData())
        idx = self.indexAt(event.position().toPoint())
        if not unit or not idx.isValid():
            event.ignore()
            return
        proxy = self.model()
        assert isinstance(proxy, IncidentFilter)
        src = proxy.mapToSource(idx)
        model = proxy.sourceModel()
        assert isinstance(model, IncidentTableModel)
        event.acceptProposedAction()
        self.unit_dropped.emit(int(model.rows[src.row()]["id"]), unit)
