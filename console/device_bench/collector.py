"""The device bench's figures, taken off the GUI thread: feed snapshots, monitor lines, AIS contacts,
the unbound sources of the selected feed and the units; and the hand-over of a worker's result to the
GUI thread."""

from __future__ import annotations

import logging
import threading
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from dispatch.errors import Refused
from dispatch.feeds.feed import FeedStats, MonitorLine, UnboundSource
from dispatch.feeds.manager import FeedManager

log = logging.getLogger(__name__)


class StatsCollector(threading.Thread):
    """Takes feed snapshots and new monitor lines every `interval` seconds, off the GUI thread.

    Also the sources heard on the feed the bench has selected (`selected`) that no binding covers,
    and the core's units for the binding pickers (read again when they change).
    """

    def __init__(self, manager: FeedManager, interval: float = 0.5, pumps: list[Any] | None = None,
                 gateway: Any = None) -> None:
        super().__init__(name="feed-stats", daemon=True)
        self.manager = manager
        self.gateway = gateway  # a JT/T 808 gateway, shown as one more feed (console/device_bench/jt808.py)
        self.pumps = list(pumps or [])  # the demo city's FeedPump: what feeds the map without a feed
        self.interval = interval
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.stats: list[FeedStats] = []
        self.lines: list[tuple[str, MonitorLine]] = []
        self._seen: dict[str, int] = {}
        self.contacts: list[dict[str, Any]] = []
        self._contacts_version = 0
        self.selected: str | None = None  # set by the GUI thread
        self.unbound: tuple[str | None, list[UnboundSource]] = (None, [])
        self.units: list[dict[str, Any]] = []
        self._units_version = 0
        self.wake = threading.Event()  # the GUI asks for fresh figures now (a new selection, an edit done)

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.collect()
            except Exception:
                log.exception("collecting feed figures failed")
            self.wake.wait(self.interval)
            self.wake.clear()

    def stop(self) -> None:
        self.stop_event.set()
        self.wake.set()

    def collect(self) -> None:
        stats = self.manager.stats()
        now = self.manager.core.clock()
        stats += [p.snapshot(now) for p in self.pumps]
        if self.gateway is not None:
            from console.device_bench.jt808 import gateway_feed_stats

            stats.append(gateway_feed_stats(self.gateway))
        new: list[tuple[str, MonitorLine]] = []
        taps: list[tuple[str, Any]] = list(self.manager.feeds.items())
        taps += [(p.name.removeprefix("feed-"), p) for p in self.pumps]  # the demo city's simulated lines too
        for name, feed in taps:
            lines = feed.monitor_since(self._seen.get(name, 0))
            if lines:
                self._seen[name] = lines[-1].seq
                new.extend((name, m) for m in lines[-500:])
        version, contacts = self.manager.contacts_since(self._contacts_version)
        self._contacts_version = version
        selected = self.selected
        unbound: list[UnboundSource] = []
        if selected is not None and selected in self.manager.feeds:
            try:
                unbound = self.manager.unbound_sources(selected)
            except Refused:  # removed or renamed meanwhile
                unbound = []
        elif self.gateway is not None and selected == self.gateway.name:
            from console.device_bench.jt808 import unknown_sources

            unbound = unknown_sources(self.gateway)  # terminals refused: no unit has their number
        units = None
        if self.manager.units_version != self._units_version:
            self._units_version = self.manager.units_version
            units = self.manager.units()
        with self.lock:
            self.stats = stats
            self.lines.extend(new)
            del self.lines[:-2000]
            self.contacts.extend(contacts)
            self.unbound = (selected, unbound)
            if units is not None:
                self.units = units

    def take(self) -> tuple[list[FeedStats], list[tuple[str, MonitorLine]], list[dict[str, Any]]]:
        with self.lock:
            lines, self.lines = self.lines, []
            contacts, self.contacts = self.contacts, []
            return list(self.stats), lines, contacts

    def bench(self) -> tuple[str | None, list[UnboundSource], list[dict[str, Any]]]:
        """(the feed the unbound sources are of, those sources, the units)."""
        with self.lock:
            return self.unbound[0], list(self.unbound[1]), list(self.units)


class Deliver(QObject):
    """Hands a worker thread's result to the GUI thread (a queued call on this object's thread)."""

    call = Signal(object)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.call.connect(lambda fn: fn(), Qt.ConnectionType.QueuedConnection)
