"""The feed table of the device bench: one row of live figures per feed, and the same figures in words
(the detail line under the table, since its columns do not all fit beside the map).

`dispatch.feeds.FeedStats` snapshots in, text out; the panel decides when to fill.
"""

from __future__ import annotations

import html

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from console.i18n import t
from dispatch.feeds.feed import FeedStats

ERROR_COLOUR = "#b3261e"


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def status_text(status: str) -> str:
    return {"checksum": t("checksum error"), "unknown": t("unknown sentence"),
            "malformed": t("malformed")}.get(status, status)


def state_text(s: FeedStats) -> str:
    if s.kind == "simulated":
        return t("simulated, running") if s.connected else t("stopped")
    if not s.enabled:
        return t("disconnected")
    return {"connected": t("connected"), "connecting": t("connecting"), "listening": t("listening"),
            "detecting": t("detecting baud"), "waiting": t("waiting to retry"),
            "stopped": t("stopped"), "idle": t("idle")}.get(s.state, s.state)


def port_text(s: FeedStats) -> str:
    """Where a feed reads from; the demo city's: how many simulated receivers."""
    if s.kind == "simulated":
        return t("demo city, %1 simulated receivers").replace("%1", str(s.peers))
    return s.port


def unit_text(s: FeedStats, *, flag_unknown: bool = True) -> str:
    parts = [s.unit] if s.unit else []
    if s.bindings:
        parts.append(t("%1 bindings").replace("%1", str(s.bindings)))
    if s.unknown_units and flag_unknown:
        parts.append(t("no such unit: %1").replace("%1", ", ".join(s.unknown_units)))
    return " · ".join(parts)


def error_tip(s: FeedStats) -> str:
    if not s.last_error:
        return ""
    if s.connected:
        return t("Connected. Last error before: %1").replace("%1", s.last_error)
    return s.last_error


def detail_text(s: FeedStats) -> str:
    """Every figure of one feed as a line of words (the table's columns do not all fit beside the map)."""
    def fig(label: str, value: object) -> str:
        return label.replace("%1", str(value))

    parts = [f"<b>{esc(s.name)}</b>", esc(state_text(s))]
    if port_text(s):
        parts.append(esc(port_text(s)))
    if s.baud:
        parts.append(fig(t("%1 baud"), s.baud))
    parts += [fig(t("%1 sentences/s"), f"{s.sentences_per_s:.1f}"), fig(t("checksum errors %1"), s.checksum_errors),
              fig(t("unknown %1"), s.unknown), fig(t("malformed %1"), s.malformed)]
    if s.too_long or s.garbage:
        parts.append(fig(t("too long %1"), s.too_long) + ", " + fig(t("noise %1"), s.garbage))
    if s.week_rollover:
        parts.append(fig(t("dates 1024 GPS weeks behind, moved on: %1"), s.week_rollover))
    parts.append(fig(t("last fix %1 s ago"), f"{s.last_fix_age:.1f}") if s.last_fix_age is not None
                 else t("no fix yet"))
    if s.fix_quality is not None:
        parts.append(fig(t("fix quality %1"), s.fix_quality))
    if s.satellites is not None:
        parts.append(fig(t("%1 satellites"), s.satellites))
    if s.hdop is not None:
        parts.append(fig(t("HDOP %1"), f"{s.hdop:.1f}"))
    unit = unit_text(s, flag_unknown=False)  # an unknown unit gets its own line below
    if unit:
        parts.append(fig(t("unit %1"), esc(unit)))
    text = " · ".join(parts)
    if s.unknown_units:
        text += "<br><span style='color:#b3261e'>" + esc(t(
            "Fixes for %1 are dropped: no unit with that id is registered. Bind the feed to a known unit.")
            .replace("%1", ", ".join(s.unknown_units))) + "</span>"
    if s.last_error and not s.connected:
        text += "<br><span style='color:#b3261e'>" + esc(s.last_error) + "</span>"
    return text


class FeedTable(QTableWidget):
    """Every feed with its figures; one row selected at a time."""

    COLUMNS = ("name", "state", "port", "baud", "sentences_per_s", "checksum_errors", "unknown", "last_fix_age",
               "fix_quality", "satellites", "hdop", "unit")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(self.COLUMNS), parent)
        self.setHorizontalHeaderLabels([
            self.tr("Feed"), self.tr("State"), self.tr("Port"), self.tr("Baud"), self.tr("Sentences/s"),
            self.tr("Checksum errors"), self.tr("Unknown"), self.tr("Last fix age (s)"), self.tr("Fix quality"),
            self.tr("Satellites"), self.tr("HDOP"), self.tr("Unit")])
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.verticalHeader().setVisible(False)

    def selected_name(self) -> str | None:
        rows = self.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.item(rows[0].row(), 0)
        return item.text() if item else None

    def select_name(self, name: str) -> None:
        for r in range(self.rowCount()):
            item = self.item(r, 0)
            if item is not None and item.text() == name:
                self.selectRow(r)
                return

    def fill(self, stats: list[FeedStats]) -> None:
        if self.rowCount() != len(stats):
            self.setRowCount(len(stats))
        for r, s in enumerate(stats):
            values = [s.name, state_text(s), port_text(s), "" if s.baud is None else str(s.baud),
                      f"{s.sentences_per_s:.1f}", str(s.checksum_errors), str(s.unknown),
                      "" if s.last_fix_age is None else f"{s.last_fix_age:.1f}",
                      "" if s.fix_quality is None else str(s.fix_quality),
                      "" if s.satellites is None else str(s.satellites),
                      "" if s.hdop is None else f"{s.hdop:.1f}", unit_text(s)]
            for c, v in enumerate(values):
                item = self.item(r, c)
                if item is None:
                    item = QTableWidgetItem(v)
                    self.setItem(r, c, item)
                elif item.text() != v:
                    item.setText(v)
                if c == 1:
                    item.setToolTip(error_tip(s))
                elif c == len(values) - 1:
                    item.setForeground(QColor(ERROR_COLOUR) if s.unknown_units else self.palette().text().color())
