"""The JT/T 808 part of the state (``state.ext["jt808"]``), derived from its events.

Events (who and when are the event's own):

- ``unit.terminal_bound`` {id, terminal}: a terminal number bound to a unit (None unbinds); a
  terminal belongs to one unit at a time. Registration can carry it too (``attributes.terminal``).
- ``jt808.registered`` {unit, terminal, plate, edition, manufacturer, model, terminal_id}: a bound
  terminal registered and was given its authentication code.
- ``jt808.alarm`` {unit, terminal, alarms, active, lat, lon, time, speed}: alarm bits a terminal
  raised (``alarms``: the ones new in this report; ``active``: all it has on).
- ``jt808.alarm_cleared`` {unit, terminal, alarms, time}: alarm bits it cleared.
- ``jt808.driver_identity`` {unit, terminal, card, time, read?, name?, certificate?, agency?, valid_until?,
  id_number?}: a driver's qualification card put in (``card`` "inserted"; what it says when ``read`` is
  "ok") or taken out ("removed") of the truck's terminal (0x0702). The driver on duty is the card last put
  in, if it was read; a card taken out or one that could not be read leaves none.
- ``jt808.text_sent`` {unit, terminal, text, tts, emergency}: a dispatcher's text for a truck's display.
- ``jt808.text_answered`` {unit, terminal, sent, result}: the terminal's answer (0x0001) to that
  text; ``sent`` is the seq of the ``jt808.text_sent`` event, ``result`` 0 ok, 1 failure, 2 bad
  message, 3 unsupported.
- ``jt808.command_sent`` {unit, terminal, command, interval_s?, duration_s?, params?}: an operator's
  command to a terminal (dispatch/jt808/commands.py: ``position_query`` 0x8201, ``tracking`` 0x8202,
  ``parameters`` 0x8103 with params [[id, type, value], ...]).
- ``jt808.command_answered`` {unit, terminal, sent, command, outcome, result, position, detail, media_ids?}: its
  outcome, ``acked`` / ``failed`` / ``not_supported`` (the terminal's 0x0001 result, the 0x0201
  of a position query with its ``position``, a photo command's 0x0805 with the ``media_ids`` it will upload, a
  parameter query's 0x0104 with the ``values`` read, an attributes query's 0x0107 with them as ``values``, a
  photo search's 0x0802 with what it ``found``) or ``timeout``.
- ``jt808.upgrade_result`` {unit, terminal, kind, result}: how an upgrade went (0x0108): ``kind`` terminal,
  ic_card_reader, gnss_module; ``result`` success, failure, cancelled.
- ``jt808.waybill`` {unit, terminal, size, sha256, at, text | hex, truncated}: an electronic waybill the terminal
  sent (0x0701), its text (or its bytes in hex when not text) up to 4 KiB; the SHA-256 of all of it.
- ``jt808.event_report`` {unit, terminal, event_id, at}: an event the driver reported by its id (0x0301, 2013: the
  terminal's event menu).
- ``jt808.media_received`` {unit, terminal, media_id, media_type, format, mime, event, channel, time, lat, lon,
  speed_kmh, course, alarms, request, name, sha256, size}: a photo (or other media) the terminal uploaded
  (0x0801), kept as a file under its SHA-256 (dispatch/jt808/media.py); ``time`` and the position are the
  terminal's when it was taken, ``event`` why (platform_command, timed, robbery_alarm, door_opened...),
  ``request`` the seq of the photo command that asked for it, if one did.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from dispatch.changes import Changes
from dispatch.state import State, applies
from dispatch.store import Event

TEXTS_KEPT = 500
COMMANDS_KEPT = 500
ALARMS_KEPT = 500
MEDIA_KEPT = 500  # the newest uploads in the state; every one stays in the log (jt808.photos reads it for a unit)


@dataclass
class Jt808State:
    texts: dict[int, dict[str, Any]] = field(default_factory=dict)  # seq of jt808.text_sent -> the text
    alarms: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=ALARMS_KEPT))  # newest last
    active: dict[str, list[str]] = field(default_factory=dict)  # unit -> alarm names on
    registered: dict[str, dict[str, Any]] = field(default_factory=dict)  # unit -> its last registration
    commands: dict[int, dict[str, Any]] = field(default_factory=dict)  # seq of jt808.command_sent -> the command
    drivers: dict[str, dict[str, Any]] = field(default_factory=dict)  # unit -> the driver on duty (card read)
    media: dict[int, dict[str, Any]] = field(default_factory=dict)  # seq of jt808.media_received -> the upload
    latest_media: dict[str, dict[str, Any]] = field(default_factory=dict)  # unit -> its newest upload (kept however
    # many newer ones of other trucks have pushed it out of `media`)
    waybills: dict[str, dict[str, Any]] = field(default_factory=dict)  # unit -> its terminal's newest waybill


def jt808_state(state: State) -> Jt808State:
    st = state.ext.get("jt808")
    if st is None:
        st = state.ext["jt808"] = Jt808State()
    return st  # type: ignore[no-any-return]


@applies("unit.terminal_bound")
def _terminal_bound(state: State, ev: Event, ch: Changes) -> None:
    from devices.jt808.header import phone_key

    term = ev.payload.get("terminal")
    if term:
        for u in state.units.values():  # a terminal belongs to one unit at a time
            other = u.attributes.get("terminal")
            if u.id != ev.payload["id"] and isinstance(other, str) and phone_key(other) == phone_key(term):
                u.attributes.pop("terminal", None)
                ch.entities.add(f"unit:{u.id}")
    unit = state.units.get(ev.payload["id"])
    if unit is not None:
        if term:
            unit.attributes["terminal"] = term
        else:
            unit.attributes.pop("terminal", None)
        ch.entities.add(f"unit:{unit.id}")
    ch.units = True


@applies("jt808.registered")
def _registered(state: State, ev: Event, ch: Changes) -> None:
    jt808_state(state).registered[ev.payload["unit"]] = {**ev.payload, "ts": ev.ts}
    ch.feeds = True


@applies("jt808.alarm")
def _alarm(state: State, ev: Event, ch: Changes) -> None:
    st = jt808_state(state)
    st.alarms.append({**ev.payload, "seq": ev.seq, "ts": ev.ts})
    st.active[ev.payload["unit"]] = list(ev.payload.get("active") or ev.payload.get("alarms") or [])
    ch.alerts = True
    ch.entities.add(f"unit:{ev.payload['unit']}")


@applies("jt808.alarm_cleared")
def _alarm_cleared(state: State, ev: Event, ch: Changes) -> None:
    st = jt808_state(state)
    unit = ev.payload["unit"]
    gone = set(ev.payload.get("alarms") or [])
    st.active[unit] = [a for a in st.active.get(unit, []) if a not in gone]
    if not st.active[unit]:
        del st.active[unit]
    ch.alerts = True
    ch.entities.add(f"unit:{unit}")


# what a driver's card says, for the truck card and an alert's evidence (the identity card number stays in the log)
DRIVER_FIELDS = ("name", "certificate", "agency", "valid_until", "time", "terminal")


def card_read_in(payload: dict[str, Any]) -> bool:
    """A ``jt808.driver_identity`` that puts a driver on duty: a card put in and read. Any other (a card taken
    out, one that could not be read) leaves no driver known."""
    return payload.get("card") == "inserted" and payload.get("read") == "ok"


@applies("jt808.driver_identity")
def _driver_identity(state: State, ev: Event, ch: Changes) -> None:
    drivers = jt808_state(state).drivers
    unit = ev.payload["unit"]
    if card_read_in(ev.payload):
        drivers[unit] = {**ev.payload, "seq": ev.seq, "ts": ev.ts}
    else:  # a card taken out, or one put in that could not be read: who drives is not known (as driver_at says)
        drivers.pop(unit, None)
    ch.feeds = True
    ch.entities.add(f"unit:{unit}")


@applies("jt808.text_sent")
def _text_sent(state: State, ev: Event, ch: Changes) -> None:
    texts = jt808_state(state).texts
    texts[ev.seq] = {**ev.payload, "seq": ev.seq, "ts": ev.ts, "by": ev.actor, "result": None, "answered": None}
    while len(texts) > TEXTS_KEPT:
        del texts[next(iter(texts))]
    ch.messages = True
    ch.entities.add(f"unit:{ev.payload['unit']}")


@applies("jt808.text_answered")
def _text_answered(state: State, ev: Event, ch: Changes) -> None:
    text = jt808_state(state).texts.get(ev.payload.get("sent", -1))
    if text is not None:
        text["result"] = ev.payload.get("result")
        text["answered"] = ev.ts
    ch.messages = True
    ch.entities.add(f"unit:{ev.payload['unit']}")


@applies("jt808.command_sent")
def _command_sent(state: State, ev: Event, ch: Changes) -> None:
    cmds = jt808_state(state).commands
    cmds[ev.seq] = {**ev.payload, "seq": ev.seq, "ts": ev.ts, "by": ev.actor, "outcome": None, "result": None,
                    "answered": None, "position": None, "detail": None}
    while len(cmds) > COMMANDS_KEPT:
        del cmds[next(iter(cmds))]
    ch.feeds = True
    ch.entities.add(f"unit:{ev.payload['unit']}")


@applies("jt808.command_answered")
def _command_answered(state: State, ev: Event, ch: Changes) -> None:
    cmd = jt808_state(state).commands.get(ev.payload.get("sent", -1))
    if cmd is not None and cmd["outcome"] is None:
        p = ev.payload
        cmd.update(outcome=p.get("outcome"), result=p.get("result"), position=p.get("position"),
                   detail=p.get("detail"), answered=ev.ts)
        if "media_ids" in p:
            cmd["media_ids"] = list(p["media_ids"] or [])
        if "values" in p:
            cmd["values"] = dict(p["values"] or {})
        if "found" in p:
            cmd["found"] = [dict(f) for f in p["found"] or []]
    ch.feeds = True
    ch.entities.add(f"unit:{ev.payload['unit']}")


@applies("jt808.media_received")
def _media_received(state: State, ev: Event, ch: Changes) -> None:
    st = jt808_state(state)
    media = st.media
    unit = ev.payload["unit"]
    row = media[ev.seq] = {**ev.payload, "seq": ev.seq, "ts": ev.ts}
    while len(media) > MEDIA_KEPT:
        del media[next(iter(media))]
    st.latest_media[unit] = row
    ch.feeds = True
    ch.entities.add(f"unit:{unit}")


@applies("jt808.waybill")
def _waybill(state: State, ev: Event, ch: Changes) -> None:
    unit = ev.payload["unit"]
    jt808_state(state).waybills[unit] = {**ev.payload, "seq": ev.seq, "ts": ev.ts}
    ch.feeds = True
    ch.entities.add(f"unit:{unit}")
