"""Alarms this seat hears: the core's events pass through dispatch.alarms (which sound, if any), the sound
plays with Qt Multimedia's QSoundEffect, and a mute that ends with the shift is shown in the status bar.

Without Qt Multimedia or an audio output (a headless host, a seat without speakers) nothing is heard; the
log says so once and the decisions are still made and kept in `history`, as the status bar still shows.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, time, tzinfo
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QStyle, QToolButton

from console.incidents.common import run_op
from console.sound.tones import SOUNDS_DIR
from dispatch.alarms.shift import DEFAULT_SHIFT_CHANGES, Mute
from dispatch.alarms.sounds import SOUNDS, URGENCY, most_urgent

log = logging.getLogger(__name__)

MUTE_SHORTCUT = "Ctrl+Alt+M"


class AlarmSounds(QObject):
    """One per main window: decides on the core's events (any thread), plays on the GUI thread."""

    sounded = Signal(str, str)  # sound name, outcome: "played", "muted" or "unheard" (no audio output)
    mute_changed = Signal(bool)

    def __init__(self, window: Any, *, clock: Callable[[], float] | None = None,
                 shift_changes: Sequence[time] = DEFAULT_SHIFT_CHANGES, tz: tzinfo | None = None,
                 audio: bool = True, tick_ms: int = 250) -> None:
        super().__init__(window)
        self.window = window
        self.clock = clock or window.core.clock
        self.tz = tz
        self.mute = Mute(self.clock, shift_changes, tz)
        self.history: list[tuple[float, str, str]] = []  # (when, sound, outcome), newest last
        self._lock = threading.Lock()
        self._pending: str | None = None
        self.effects: dict[str, Any] = {}
        self.audible = audio and self._load_effects()

        self.button = QToolButton(window)
        self.button.setObjectName("muteButton")
        self.button.setAutoRaise(True)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.clicked.connect(self.toggle_mute)
        window.statusBar().addPermanentWidget(self.button)
        self.action = QAction(self.tr("Mute alarm sounds until the end of the shift"), window)
        self.action.setObjectName("muteAction")
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence(MUTE_SHORTCUT))
        self.action.triggered.connect(lambda on: self.set_muted(bool(on)))
        if hasattr(window, "view_menu"):
            window.view_menu.addAction(self.action)
        self._shown_muted: bool | None = None
        self._render()

        window.core.subscribe(self.note_changes)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        self.timer.start(tick_ms)
        if hasattr(window, "closing"):
            window.closing.connect(self.close)

    # ----------------------------------------------------------------- audio
    def _load_effects(self) -> bool:
        try:
            from PySide6.QtMultimedia import QMediaDevices, QSoundEffect
        except ImportError as exc:  # a PySide6 built without Qt Multimedia
            log.warning("alarm sounds are off: Qt Multimedia is not available (%s); alerts are shown, not heard", exc)
            return False
        if not QMediaDevices.audioOutputs():
            log.warning("alarm sounds are off: this machine has no audio output; alerts are shown, not heard")
            return False
        for name in SOUNDS:
            path = SOUNDS_DIR / f"{name}.wav"
            if not path.is_file():
                log.warning("alarm sound %s is missing (%s): `python -m console.sound.tones` makes it", name, path)
                continue
            effect = QSoundEffect(self)
            effect.setSource(QUrl.fromLocalFile(str(path)))
            effect.setVolume(0.9)
            self.effects[name] = effect
        return bool(self.effects)

    # ------------------------------------------------------------- decisions
    def note_changes(self, changes: Any) -> None:
        """Core subscriber (any thread): only decide and keep the most urgent sound; the timer plays it."""
        from console.operations import seat_actor

        sound = most_urgent(getattr(changes, "events", ()) or (), own_actor=seat_actor())
        if sound is None:
            return
        with self._lock:
            if self._pending is None or URGENCY[sound] > URGENCY[self._pending]:
                self._pending = sound

    def tick(self) -> None:
        with self._lock:
            sound, self._pending = self._pending, None
        if sound is not None:
            self.sound(sound)
        self._render()  # a mute that ran out at the end of the shift shows so

    def sound(self, name: str) -> str:
        """Play `name` unless this seat is muted; returns the outcome (also kept in `history`)."""
        if self.mute.muted:
            outcome = "muted"
        elif not self.audible or name not in self.effects:
            outcome = "unheard"
        else:
            for effect in self.effects.values():  # a new alarm cuts the one still sounding
                effect.stop()
            self.effects[name].play()
            outcome = "played"
        self.history.append((self.clock(), name, outcome))
        del self.history[:-200]
        self.sounded.emit(name, outcome)
        return outcome

    # ------------------------------------------------------------------ mute
    def set_muted(self, on: bool) -> None:
        """Mute until the end of the shift (or hear again): recorded in the log first (who, which seat, until
        when: `alarms.mute`), then done; a refusal (a viewer's seat) is said in the status bar and changes nothing."""
        import platform

        until = self.mute.end_of_shift() if on else None

        def done(_r: Any) -> None:
            if on:
                self.mute.mute(until)
                log.info("alarm sounds muted until %s", self._clock_text(float(until or 0)))
            else:
                self.mute.unmute()
                log.info("alarm sounds on again")
            self._render()

        def refused(message: str) -> None:
            self.window.statusBar().showMessage(self.tr("Alarm sounds not muted: %1").replace("%1", message), 15000)
            self._render()

        run_op(self.button, "alarms.mute", {"until": until, "seat": platform.node()}, on_done=done, on_refused=refused)
        self._render()  # the menu's tick mark follows the mute, not the click, until the core has answered

    def toggle_mute(self) -> None:
        self.set_muted(not self.mute.muted)

    def _clock_text(self, ts: float) -> str:
        dt = datetime.fromtimestamp(ts, self.tz) if self.tz is not None else datetime.fromtimestamp(ts)
        return dt.strftime("%H:%M")

    def status_text(self) -> str:
        """What the status bar says beside the speaker icon (an icon, not an emoji: control-room PCs lack the font)."""
        until = self.mute.until
        if until is None:
            return self.tr("Sound on")
        return self.tr("Muted until %1").replace("%1", self._clock_text(until))

    def _render(self) -> None:
        until = self.mute.until
        muted = until is not None
        text = self.status_text()
        if self.button.text() != text:
            self.button.setText(text)
            icon = QStyle.StandardPixmap.SP_MediaVolumeMuted if muted else QStyle.StandardPixmap.SP_MediaVolume
            self.button.setIcon(self.button.style().standardIcon(icon))
            self.button.setStyleSheet("color:#b71c1c;font-weight:bold" if muted else "")
        if muted:
            self.button.setToolTip(self.tr("Alarm sounds are muted until the end of the shift; click to hear them again"))
        else:
            note = "" if self.audible else " " + self.tr("(this machine has no audio output: alerts are shown, not heard)")
            self.button.setToolTip(self.tr("Alarm sounds on; click to mute them until the end of the shift") + note)
        if self.action.isChecked() != muted:
            self.action.setChecked(muted)
        if self._shown_muted is not None and self._shown_muted != muted:
            self.mute_changed.emit(muted)
        self._shown_muted = muted

    def close(self) -> None:
        self.timer.stop()
        self.window.core.unsubscribe(self.note_changes)
        for effect in self.effects.values():
            effect.stop()


def install(window: Any, *, shift_changes: Sequence[time] = DEFAULT_SHIFT_CHANGES, **kw: Any) -> AlarmSounds:
    """The alarm sounds of `window` (a MainWindow), its mute in the status bar and the View menu."""
    sounds = AlarmSounds(window, shift_changes=shift_changes, **kw)
    window.sounds = sounds
    return sounds
