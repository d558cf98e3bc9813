"""The field window's link: the protocol engine (dispatch.hub.client.FieldClient) on its own thread,
talking to the window through Qt signals only.

The engine's loop thread calls `on_message`; the signal carries the message to the GUI thread
(a queued connection), so no widget is ever touched off the GUI thread. Actions from the window
(accept, status, text...) are queued for the loop by the engine itself.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from PySide6.QtCore import QObject, Signal

from dispatch.hub.client import FieldClient

log = logging.getLogger(__name__)


class FieldLink(QObject):
    received = Signal(object)  # a message from the hub (dict), on the GUI thread
    position = Signal(float, float)  # the unit's own position, as reported to the hub
    where = Signal(float, float)  # the unit's position as the control room sees it (its AIS, feeds)

    def __init__(self, unit_id: str, endpoint: str, keys: dict[str, str], *, state_path: Any = None,
                 durable: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client = FieldClient(unit_id, endpoint, keys, state_path=state_path, durable=durable,
                                  on_message=self.received.emit,
                                  on_where=lambda m: self.where.emit(float(m["lat"]), float(m["lon"])))
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None
        # What the engine remembered from its last run (read before its thread starts: no race)
        self.initial_assignments: list[dict[str, Any]] = [dict(a) for a in self.client.assignments.values()]
        self.initial_messages: list[dict[str, Any]] = [dict(m) for m in self.client.messages]

    @property
    def unit_id(self) -> str:
        return self.client.unit_id

    def start(self) -> FieldLink:
        self.thread = threading.Thread(target=self._run, name=f"field-{self.unit_id}", daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            self.client.run(self.stop_event)
        except Exception:  # the window stays up and says it is offline
            log.exception("field link %s stopped", self.unit_id)

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(5)
            self.thread = None

    # ---------------------------------------------------------------- state for the UI
    def online(self) -> bool:
        return self.client.logged_in and self.thread is not None and not self.client.ended

    def last_contact(self) -> float | None:
        return self.client.last_contact

    def waiting(self) -> int:
        """Answers (accept, status, messages) not yet acknowledged by the hub."""
        return len(self.client.pending)

    def revoked(self) -> bool:
        return self.client.revoked

    def replaced(self) -> bool:
        """Another device logged in with this unit's key; this window no longer receives anything."""
        return self.client.replaced

    # ------------------------------------------------------------------- actions
    def accept(self, ref: str) -> None:
        self.client.accept(ref)

    def decline(self, ref: str, reason: str) -> None:
        self.client.decline(ref, reason)

    def status(self, ref: str, status: str, note: str | None = None) -> None:
        self.client.status(ref, status, note)

    def text(self, text: str) -> None:
        self.client.text(text)

    def report_position(self, lat: float, lon: float, speed: float | None, course: float | None) -> None:
        """Called by the GPS or simulator thread."""
        self.client.position(lat, lon, speed=speed, course=course, ts=time.time())
        self.position.emit(lat, lon)
