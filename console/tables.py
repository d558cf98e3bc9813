"""Table headers that leave room for the cells: the sort arrow's space only where the arrow is."""

from __future__ import annotations

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
