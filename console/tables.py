"""Tables that fit beside the map: columns sized to their contents, the sort arrow's room only where it is."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QHeaderView, QStyle, QWidget


class CompactHeader(QHeaderView):
    """A horizontal header whose sections ask for the sort indicator's room only when sorted by.

    Qt sizes every section of a sortable header as if it carried the arrow (about 20 px each): in a
    side panel beside the map that is a column's worth of width, and the cells get cut instead.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setSectionsClickable(True)
        self.setHighlightSections(True)

    def sectionSizeFromContents(self, logicalIndex: int) -> QSize:  # noqa: N802, N803
        size = super().sectionSizeFromContents(logicalIndex)
        if self.isSortIndicatorShown() and logicalIndex != self.sortIndicatorSection():
            margin = self.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, self)
            size.setWidth(max(self.minimumSectionSize(), size.width() - size.height() - margin))
        return size


def fit_columns(view: Any, stretch: int) -> None:
    """Every column as wide as its header and widest cell; column `stretch` takes the rest (and elides)."""
    h = view.horizontalHeader()
    h.setStretchLastSection(False)
    h.setMinimumSectionSize(24)
    h.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    h.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
