"""What the platform sends terminals on a dispatcher's word: texts to the display (0x8300) and commands
(0x8201 position query, 0x8202 temporary tracking, 0x8103 parameters; dispatch/jt808/commands.py).

Each is recorded first (``jt808.text_sent`` / ``jt808.command_sent``, by the operator); the gateway
sees the event (`on_changes`, any thread) and hands it to its loop thread, which sends it at once if
the terminal is online, else when it next authenticates (a text within `TEXT_TTL`, a command within
`Gateway.command_ttl`). The terminal's answer is recorded (``jt808.text_answered`` / ``jt808.command_answered``
with the outcome); a command that gets no answer is recorded as timed out.

Loop thread only, except `load` (before the loop runs) and `on_changes` (any thread, hands over).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from devices.jt808 import encode
from devices.jt808.messages import Location
from dispatch.jt808 import commands
from dispatch.jt808.commands import CAMERA_OUTCOMES, OUTCOMES
from dispatch.jt808.ops import TEXT_TTL
from dispatch.jt808.session import TerminalSession
from dispatch.jt808.state import jt808_state
from dispatch.store import NewEvent

if TYPE_CHECKING:
    from dispatch.jt808.gateway import Gateway

log = logging.getLogger(__name__)


class Downlink:
    def __init__(self, gw: Gateway) -> None:
        self.gw = gw
        self.texts: dict[int, dict[str, Any]] = {}  # unanswered texts by event seq
        self.commands: dict[int, dict[str, Any]] = {}  # unanswered commands by event seq (+ "sent_at" once sent)

    def load(self) -> None:
        """The texts and commands still waiting in the log; commands too old to wait are recorded as timed out."""
        core = self.gw.core
        now = core.clock()
        with core.lock:
            st = jt808_state(core.state)
            self.texts = {seq: dict(t) for seq, t in st.texts.items()
                          if t.get("result") is None and now - t["ts"] <= TEXT_TTL}
            waiting = [dict(c) for c in st.commands.values() if c.get("outcome") is None]
        for c in waiting:
            if now - c["ts"] <= self.gw.command_ttl:
                self.commands[c["seq"]] = c
            else:
                self._outcome(c, "timeout", detail="the gateway restarted before an answer came")

    # ------------------------------------------------------------ any thread
    def on_changes(self, ch: Any) -> None:
        loop = self.gw._loop
        for ev in ch.events:
            if ev.kind in ("jt808.text_sent", "jt808.command_sent") and loop is not None and not loop.is_closed():
                item = {**ev.payload, "seq": ev.seq, "ts": ev.ts, "by": ev.actor}
                try:
                    loop.call_soon_threadsafe(self._new, ev.kind, ev.seq, item)
                except RuntimeError:
                    pass  # stopping

    # ------------------------------------------------------------ loop thread
    def _new(self, kind: str, seq: int, item: dict[str, Any]) -> None:
        table = self.texts if kind == "jt808.text_sent" else self.commands
        if seq in table:
            return
        table[seq] = item
        for s in self.gw.sessions.values():
            if s.authenticated and s.unit == item["unit"]:
                self._send(s, kind, seq, item)

    def _send(self, s: TerminalSession, kind: str, seq: int, item: dict[str, Any]) -> None:
        if kind == "jt808.text_sent":
            body = encode.text_body(item["text"], edition=s.header_edition, tts=item.get("tts", False),
                                    emergency=item.get("emergency", False))
            s.pending[self.gw.send(s, encode.TEXT_MESSAGE, body)] = ("text", seq)
            return
        try:
            msg_id, body = commands.message(item, s.header_edition)
        except (KeyError, TypeError, ValueError) as exc:  # a command the log holds but that cannot be sent
            self.commands.pop(seq, None)
            self._outcome(item, "failed", detail=f"cannot be sent: {exc}")
            return
        s.pending[self.gw.send(s, msg_id, body)] = ("command", seq)
        item["sent_at"] = time.time()
        s.last_command = {"command": item["command"], "outcome": "sent", "at": item["sent_at"], "seq": seq}
        log.info("jt808 %s: %s sent (event %d)", s.label, commands.describe(item), seq)

    def authenticated(self, s: TerminalSession) -> None:
        """A terminal authenticated: the texts and commands that wait for its unit go now."""
        for seq, text in list(self.texts.items()):
            if text["unit"] == s.unit:
                self._send(s, "jt808.text_sent", seq, text)
        for seq, cmd in list(self.commands.items()):
            if cmd["unit"] == s.unit and "sent_at" not in cmd:
                self._send(s, "jt808.command_sent", seq, cmd)

    def answered(self, s: TerminalSession, what: str, seq: int, result: int | None,
                 location: Location | None = None, media_ids: tuple[int, ...] | None = None,
                 values: dict[str, Any] | None = None, found: list[dict[str, Any]] | None = None) -> None:
        """The terminal's answer to what we sent: 0x0001 with ``result``, a position query's 0x0201, or a photo
        command's 0x0805 (``media_ids`` given: ``result`` is then its own, 0 ok, 1 failure, 2 no such camera), or a
        parameter query's 0x0104 or an attributes query's 0x0107 (``values``), or a search's 0x0802 (``found``)."""
        if what == "text":
            self.texts.pop(seq, None)
            if s.unit is not None:
                self.gw.queue_event(NewEvent("jt808.text_answered", {
                    "unit": s.unit, "terminal": s.phone, "sent": seq, "result": result}, f"unit:{s.unit}"))
            return
        cmd = self.commands.pop(seq, None)
        if cmd is None:
            return
        if media_ids is not None:
            outcome = CAMERA_OUTCOMES.get(result if result is not None else 1, "failed")
            for mid in media_ids:  # the uploads that follow name the command that asked for them
                self.gw.media_requests[(cmd["unit"], mid)] = seq
        else:
            outcome = "acked" if location is not None or values is not None or found is not None else \
                OUTCOMES.get(result if result is not None else 1, "failed")
        position = None
        if location is not None:
            position = {"lat": round(location.lat, 6), "lon": round(location.lon, 6), "speed_kmh": location.speed,
                        "course": location.course,
                        "time": location.time.timestamp() if location.time is not None else None}
        s.last_command = {"command": cmd["command"], "outcome": outcome, "at": time.time(), "seq": seq,
                          **({"values": values} if values is not None else {})}
        self._outcome(cmd, outcome, result=result, position=position,
                      media_ids=list(media_ids) if media_ids is not None else None, values=values, found=found)

    def _outcome(self, cmd: dict[str, Any], outcome: str, *, result: int | None = None,
                 position: dict[str, Any] | None = None, detail: str | None = None,
                 media_ids: list[int] | None = None, values: dict[str, Any] | None = None,
                 found: list[dict[str, Any]] | None = None) -> None:
        unit = cmd["unit"]
        extra: dict[str, Any] = {"media_ids": media_ids} if media_ids is not None else {}
        if values is not None:
            extra["values"] = values
        if found is not None:
            extra["found"] = found
        self.gw.queue_event(NewEvent("jt808.command_answered", {
            "unit": unit, "terminal": cmd.get("terminal"), "sent": cmd["seq"], "command": cmd["command"],
            "outcome": outcome, "result": result, "position": position, "detail": detail, **extra}, f"unit:{unit}"))
        log.log(logging.INFO if outcome == "acked" else logging.WARNING, "jt808 %s: %s (event %d): %s%s", unit,
                commands.describe(cmd), cmd["seq"], outcome, f" ({detail})" if detail else "")

    def sweep(self, now: float) -> None:
        for seq in [q for q, t in self.texts.items() if now - t["ts"] > TEXT_TTL]:
            del self.texts[seq]
        for seq, cmd in list(self.commands.items()):
            sent = cmd.get("sent_at")
            if sent is not None and now - sent > self.gw.answer_timeout:
                del self.commands[seq]
                self._timed_out(cmd, f"no answer {self.gw.answer_timeout:g} s after it was sent")
            elif sent is None and now - cmd["ts"] > self.gw.command_ttl:
                del self.commands[seq]
                self._timed_out(cmd, f"the terminal did not come online within {self.gw.command_ttl:g} s")

    def _timed_out(self, cmd: dict[str, Any], detail: str) -> None:
        for s in self.gw.sessions.values():
            if s.unit == cmd["unit"] and s.last_command and s.last_command.get("seq") == cmd["seq"]:
                s.last_command = {**s.last_command, "outcome": "timeout", "at": time.time()}
        self._outcome(cmd, "timeout", detail=detail)
