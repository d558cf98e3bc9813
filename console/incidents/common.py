"""What the incident and task widgets share: display names of domain words, colours, the seat's actor,
and one way to run a core operation off the GUI thread with refusals shown inline (never a blocking box).

Domain words stay snake_case English in the core; they are translated here for display only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from console import theme
from console.event_kinds import OTHER_EVENT_KINDS
from console.i18n import t, word
from console.operations import DispatchOp, is_remote, seat_actor, show_error
from dispatch import ops
from dispatch.errors import Refused

log = logging.getLogger(__name__)


def _tr(text: str) -> str:
    return QCoreApplication.translate("incidents", text)


SYSTEM_ACTOR = "system:console"  # what the seat's timers record (deadline checks, task ticks), not a person

# English display names (source strings; Chinese in resources/i18n/zh_CN.json)
CATEGORIES = {
    "floating_garbage": "Floating garbage",
    "illegal_dumping": "Illegal dumping",
    "construction_waste_spill": "Construction waste spill",
    "water_pollution": "Water pollution",
    "illegal_fishing": "Illegal fishing",
    "illegal_sand_mining": "Illegal sand mining",
    "street_vending": "Street vending or road occupation",
    "illegal_construction": "Illegal construction",
    "damaged_facility": "Damaged public facility",
    "other": "Other",
}
# where a column is narrow (the queue beside the map): the long names shortened; the full one in the tooltip
CATEGORIES_SHORT = {
    "construction_waste_spill": "Construction waste",
    "street_vending": "Street vending",
    "damaged_facility": "Damaged facility",
}
STATES = {
    "reported": "Reported",
    "verified": "Verified",
    "rejected": "Rejected",
    "dispatched": "Dispatched",
    "accepted": "Accepted",
    "en_route": "En route",
    "on_scene": "On scene",
    "resolved": "Resolved",
    "closed": "Closed",
    "evaluated": "Evaluated",
    "reopened": "Reopened",
}
SOURCES = {
    "hotline": "Citizen hotline",
    "app": "Citizen app",
    "wechat": "WeChat",
    "web": "Citizen web page",
    "aggregator": "Open311 aggregator",
    "patrol": "Patrol discovery",
    "video": "Video / non-site evidence",
    "alert": "Automatic alert",
    "other": "Other",
}
PRIORITIES = {"P1": "P1 urgent", "P2": "P2 high", "P3": "P3 normal", "P4": "P4 low"}
STAGES = {"dispatch": "Dispatch", "arrive": "Arrival", "resolve": "Resolution"}
TASK_STATES = {
    "scheduled": "Scheduled",
    "active": "Active",
    "finished": "Finished",
    "cancelled": "Cancelled",
    "recurring": "Recurring",
}
EVENT_KINDS = {
    "incident.created": "Reported",
    "incident.transitioned": "State changed",
    "incident.assigned": "Unit assigned",
    "incident.unassigned": "Unit withdrawn",
    "incident.merged": "Duplicate merged",
    "incident.attached": "Attachment added",
    "incident.overdue": "Overdue",
    "task.created": "Task created",
    "task.started": "Started",
    "task.assigned": "Vessels added",
    "task.finished": "Finished",
    "task.cancelled": "Cancelled",
}


# the theme's live colours (console/theme.py): the same QColor objects, repainted when day/night is switched
PRIORITY_COLOURS = theme.colours("priority_ink")  # text
PRIORITY_FILLS = theme.colours("priority")  # swatches, as the map's pins
OVERDUE_BG = theme.colour("overdue_bg")
OVERDUE_FG = theme.colour("overdue_fg")
WARN_BG = theme.colour("warn_bg")
CLOSED_FG = theme.colour("closed_fg")


def _label(table: dict[str, str], key: str | None) -> str:
    if not key:
        return ""
    return t(table[key]) if key in table else word(key)


def category_label(c: str | None, *, short: bool = False) -> str:
    return _label(CATEGORIES_SHORT, c) if short and c in CATEGORIES_SHORT else _label(CATEGORIES, c)


def state_label(s: str | None) -> str:
    return _label(STATES, s)


def source_label(s: str | None) -> str:
    return _label(SOURCES, s)


def priority_label(p: str | None) -> str:
    return _label(PRIORITIES, p)


def stage_label(s: str | None) -> str:
    return _label(STAGES, s)


def task_state_label(s: str | None) -> str:
    return _label(TASK_STATES, s)


def event_label(kind: str) -> str:
    return _label(EVENT_KINDS, kind) if kind in EVENT_KINDS else kind


def event_kind_label(kind: str) -> str:
    """Any event kind as a person reads it ("incident.overdue" -> "Incident: Overdue"); unknown ones as they are."""
    if kind in OTHER_EVENT_KINDS:
        return t(OTHER_EVENT_KINDS[kind])
    if kind in EVENT_KINDS:
        noun = t("Incident") if kind.startswith("incident.") else t("Task")
        return t("%1: %2").replace("%1", noun).replace("%2", event_label(kind))
    return kind


def clock_text(ts: float | None, with_date: bool = False) -> str:
    if ts is None:
        return ""
    dt = datetime.fromtimestamp(ts)
    return dt.strftime("%m-%d %H:%M:%S" if with_date else "%H:%M:%S")


def countdown_text(remaining_s: float) -> str:
    """'12:34' left, '-03:10' overdue, hours shown as 'h:mm:ss'."""
    sign = "-" if remaining_s < 0 else ""
    s = int(abs(remaining_s))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{sign}{h}:{m:02d}:{sec:02d}" if h else f"{sign}{m:02d}:{sec:02d}"


def deadline_remaining(r: dict[str, Any], now: float) -> float | None:
    """Seconds to the running deadline of an incident row (negative once passed), None if none runs."""
    d = r.get("deadline")
    if not d or d.get("due") is None:
        return None
    return float(d["due"]) - now


def late_stages(r: dict[str, Any]) -> list[str]:
    """The stages whose limit passed this round other than the one running now (e.g. a late dispatch
    on a case already dispatched, whose arrival deadline is still ahead)."""
    running = (r.get("deadline") or {}).get("stage")
    return [s for s in r.get("overdue_stages") or [] if s != running]


def deadline_text(r: dict[str, Any], now: float) -> str:
    """'Arrival 18:02', 'Dispatch -01:10', 'Dispatch late · Arrival 18:02', or 'overdue' / '—'."""
    parts = []
    late = late_stages(r) if r.get("open") else []
    if late:
        parts.append(_tr("%1 late").replace("%1", ", ".join(stage_label(s) for s in late)))
    rem = deadline_remaining(r, now)
    if rem is not None:
        parts.append(f"{stage_label((r.get('deadline') or {}).get('stage'))} {countdown_text(rem)}")
    elif not parts:
        return _tr("overdue") if r.get("open") and r.get("overdue") else "—"
    return " · ".join(parts)


def size_text(n: int | None) -> str:
    if n is None:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n = n / 1024  # type: ignore[assignment]
    return str(n)


def eta_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return _tr("%1 s").replace("%1", f"{seconds:.0f}")
    return _tr("%1 min").replace("%1", f"{seconds / 60:.0f}" if seconds >= 600 else f"{seconds / 60:.1f}")


def run_op(
    parent: QWidget | None,
    name: str,
    args: dict[str, Any] | None = None,
    *,
    on_done: Callable[[Any], None] | None = None,
    on_refused: Callable[[str], None] | None = None,
    on_refusal: Callable[[Refused], None] | None = None,
    quiet: bool = False,
    actor: str | None = None,
    file: str | None = None,
) -> Any:
    """Run core operation `name` on the core worker. A Refused goes to `on_refusal(exc)` or
    `on_refused(message)` (the core's own words); other errors are logged and, unless `quiet`, shown. Never blocks the GUI thread.

    `file`: a file of this machine the operation keeps (`incident.attach`, `case.evidence`, `evidence.add`): where
    the store is here, its path (the core reads it); at a seat attached to a hub, sent in pieces first
    (dispatch/uploads.py) and given as `upload_id`: the hub never reads a seat's path."""
    a = dict(args or {})
    started = time.monotonic()

    def fail(exc: BaseException) -> None:
        if parent is not None and not isValid(parent):  # the widget closed while the core worked
            log.info("operation %s failed after its window closed: %s", name, exc)
            return
        if isinstance(exc, Refused) and on_refusal is not None:
            on_refusal(exc)  # wants the code too
        elif isinstance(exc, Refused) and on_refused is not None:
            on_refused(str(exc))
        elif quiet:
            log.warning("operation %s failed: %s", name, exc)
        elif isinstance(exc, Refused):
            show_error(parent, exc)
        else:
            log.error("operation %s failed", name, exc_info=exc)
            if on_refused is not None:
                on_refused(f"{type(exc).__name__}: {exc}")
            else:
                show_error(parent, exc)

    def done(result: Any) -> None:
        log.debug("op %s %.0f ms", name, (time.monotonic() - started) * 1000)
        if on_done is not None and (parent is None or isValid(parent)):
            on_done(result)

    def work(core: Any) -> Any:
        who = actor or seat_actor()
        if file is not None:
            from pathlib import Path

            p = Path(file).expanduser()
            a.setdefault("name", p.name)
            if not is_remote():
                a["path"] = str(p.resolve())
            else:
                from dispatch.uploads import send_file

                a["upload_id"] = send_file(lambda n, x: ops.call(core, n, x, actor=who), p)
        return ops.call(core, name, a, actor=who)

    return DispatchOp(parent=parent, op=work).success(done).failure(fail).run_in_background()
