"""Retention of fixes (issue 21): the bureau keeps every fix for a while, then one per interval. Events are never thinned.

The policy is an event (`retention.policy_set`, an administrator's): keep every fix for
`keep_all_days` days, then one fix per unit per `every_s` seconds (the first of each interval,
counted from the epoch); none set, or `keep_all_days` null: every fix is kept for ever.

Thinning runs in the background of the hub and of the console that keeps the store (`start(core)`),
in small batches (BATCH_BLOCKS fix blocks, one short write transaction each, a pause between),
so that the fixes being ingested wait at most one batch for the store. Each run is recorded as a
`retention.applied` event: the period it went over, the fixes before and after, how many were thinned.
The next run starts where the last one recorded it ended; going over a period twice thins nothing
more (the first fix of each interval is kept again).

Thinning works on the sealed tier (dispatch/fixblocks.py). The plain table holds each unit's newest
minutes; a unit that stopped reporting long ago keeps its last minutes there, so a run first seals every
plain fix older than the policy's period (dispatch/fixseal.py) and then thins the blocks.

The hash chain covers events only (dispatch/record/audit.py); fixes are not in it, so `audit verify`
passes after thinning, and the thinning itself is in the chain.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from dispatch import fixblocks, fixseal
from dispatch.changes import Changes
from dispatch.errors import Refused
from dispatch.ops import installs, op
from dispatch.runtime import Background
from dispatch.state import State, applies
from dispatch.store import Event, NewEvent

log = logging.getLogger(__name__)

ACTOR = "system:retention"
BATCH_BLOCKS = 200  # fix blocks per write transaction (~2,400 fixes at 5 s): a few ms of the write lock
PAUSE_S = 0.05  # between batches: the ingest's flushes get the store
CHECK_EVERY_S = 600.0  # how often the background looks for a period that became due
RUN_BUDGET_S = 300.0  # a run records what it did at least this often
APPLY_BUDGET_S = 5.0  # `retention.apply` (ctl): within a control request's timeout


@dataclass(frozen=True)
class Policy:
    keep_all_days: float | None = None  # None: every fix for ever
    every_s: float = 30.0

    def cutoff(self, now: float) -> float | None:
        return None if self.keep_all_days is None else now - self.keep_all_days * 86_400.0


def book(state: State) -> dict[str, Any]:
    return state.ext.setdefault("retention", {"policy": None, "applied_until": None, "thinned": 0, "runs": 0})


def policy_of(state: State) -> Policy:
    p = book(state)["policy"]
    return Policy() if p is None else Policy(p.get("keep_all_days"), float(p.get("every_s", 30.0)))


@applies("retention.policy_set")
def _policy_set(state: State, ev: Event, ch: Changes) -> None:
    book(state)["policy"] = {"keep_all_days": ev.payload.get("keep_all_days"), "every_s": ev.payload.get("every_s")}


@applies("retention.applied")
def _applied(state: State, ev: Event, ch: Changes) -> None:
    b = book(state)
    b["applied_until"] = max(b["applied_until"] or 0.0, float(ev.payload["to_ts"]))
    b["thinned"] += int(ev.payload.get("thinned", 0))
    b["runs"] += 1


# ------------------------------------------------------------------------------------ operations
@op("retention.show")
def show(core: Any, actor: str) -> dict[str, Any]:
    core.refresh()
    with core.lock:
        b = dict(book(core.state))
    p = b["policy"] or {"keep_all_days": None, "every_s": None}
    return {"keep_all_days": p["keep_all_days"], "every_s": p["every_s"], "applied_until": b["applied_until"],
            "thinned": b["thinned"], "runs": b["runs"]}


@op("retention.set")
def set_policy(core: Any, actor: str, keep_all_days: Any = None, every_s: Any = 30.0) -> dict[str, Any]:
    """Keep every fix for `keep_all_days` days, then one per `every_s` seconds (keep_all_days None: keep all)."""
    try:
        days = None if keep_all_days in (None, "", "forever", "all") else float(keep_all_days)
        every = float(every_s)
    except (TypeError, ValueError):
        raise Refused("give the days as a number (or 'forever') and the interval in seconds", "bad_arguments") from None
    if days is not None and not 1.0 <= days <= 36_500.0:
        raise Refused("keep every fix for 1 to 36,500 days (or 'forever')", "bad_arguments")
    if not 1.0 <= every <= 86_400.0:
        raise Refused("thin to one fix per 1 to 86,400 seconds", "bad_arguments")
    core.command(actor, lambda _s: [NewEvent("retention.policy_set", {"keep_all_days": days, "every_s": every},
                                             "retention")])
    worker = core.ext.get("retention")
    if worker is not None:
        worker.wake()
    return show(core, actor)


@op("retention.apply")
def apply_op(core: Any, actor: str) -> dict[str, Any]:
    """Thin what the policy makes due now, for at most APPLY_BUDGET_S (a hub answers its control port meanwhile);
    the background goes on from where it stopped."""
    r = run(core, budget_s=APPLY_BUDGET_S)
    return {"applied": r, **show(core, actor)}


# ------------------------------------------------------------------------------------ thinning
def thin_batch(store: Any, start_ms: int, cutoff_ms: int, every_ms: int,
               kept: dict[str, tuple[int, int]]) -> tuple[int, int, int, int]:
    """Thin the next BATCH_BLOCKS blocks with start_ms <= t0 < cutoff_ms in one write transaction.

    `kept`: unit -> (interval, ms) of the last fix kept, carried from batch to batch. Returns
    (end_ms, fixes before, fixes after, blocks looked at); end_ms is where the next batch starts.
    """
    with store.write() as conn:
        m = fixblocks.mark(conn)
        nxt = conn.exec_driver_sql(f"SELECT t0 FROM fix_blocks WHERE t0 >= {m} AND t0 < {m} ORDER BY t0 "
                                   f"LIMIT 1 OFFSET {BATCH_BLOCKS}", (start_ms, cutoff_ms)).first()
        end = cutoff_ms if nxt is None else max(int(nxt[0]), start_ms + 1)
        blocks = conn.exec_driver_sql(f"SELECT {fixblocks.BLOCK_COLS} FROM fix_blocks b WHERE b.t0 >= {m} "
                                      f"AND b.t0 < {m} ORDER BY b.t0, b.id", (start_ms, end)).all()
        if not blocks:
            return end, 0, 0, 0
        names = fixblocks.source_names(conn)
        before = after = 0
        gone: list[int] = []
        rows: list[tuple[Any, ...]] = []
        for bid, unit_id, t0, lat0, lon0, fmt, data in blocks:
            recs = fixblocks.records(t0, lat0, lon0, fmt, bytes(data))
            keep = []
            for r in recs:
                slot = r[0] // every_ms
                last = kept.get(unit_id)
                if last is None or last[0] != slot or last[1] == r[0]:
                    kept[unit_id] = (slot, r[0])
                    keep.append(r)
            before += len(recs)
            after += len(keep)
            if len(keep) < len(recs):
                gone.append(bid)
                rows.extend((unit_id, ms / 1000.0, lat, lon, sp, co, names.get(sid)) for ms, lat, lon, sp, co, sid in keep)
        if gone:
            for i in range(0, len(gone), 500):
                part = gone[i:i + 500]
                conn.exec_driver_sql(f"DELETE FROM fix_blocks WHERE id IN ({','.join([m] * len(part))})", tuple(part))
            if rows:
                writer = fixblocks.FixWriter(partitioned=not store.is_sqlite)
                writer.write(conn, rows)
    return end, before, after, len(blocks)


def run(core: Any, *, stop: threading.Event | None = None, budget_s: float = RUN_BUDGET_S) -> dict[str, Any] | None:
    """Thin what is due under the policy, batch by batch, and record it. Returns the event's payload (None: nothing due)."""
    core.refresh()
    with core.lock:
        policy = policy_of(core.state)
        until = book(core.state)["applied_until"]
    cutoff = policy.cutoff(core.clock())
    if cutoff is None:
        return None
    store = core.store
    fixseal.seal(store, before=cutoff, stop=stop)  # the stale plain minutes of units long silent
    with store.read() as conn:
        first = conn.exec_driver_sql("SELECT MIN(t0) FROM fix_blocks").scalar()
    if first is None:
        return None
    start = max(int(first), 0 if until is None else round(until * 1000.0))
    cutoff_ms = round(cutoff * 1000.0)
    if start >= cutoff_ms:
        return None
    every_ms = round(policy.every_s * 1000.0)
    kept: dict[str, tuple[int, int]] = {}
    pos, before, after, blocks = start, 0, 0, 0
    began = time.monotonic()
    while pos < cutoff_ms:
        pos, b, a, n = thin_batch(store, pos, cutoff_ms, every_ms, kept)
        before, after, blocks = before + b, after + a, blocks + n
        if (stop is not None and stop.is_set()) or time.monotonic() - began > budget_s:
            break
        if stop is not None and stop.wait(PAUSE_S):
            break
    payload = {"from_ts": start / 1000.0, "to_ts": pos / 1000.0, "keep_all_days": policy.keep_all_days,
               "every_s": policy.every_s, "fixes_before": before, "fixes_after": after, "thinned": before - after,
               "blocks": blocks}
    core.record(ACTOR, [NewEvent("retention.applied", payload, "retention")])
    log.info("retention: %d of %d fixes thinned between %s and %s", before - after, before,
             time.strftime("%Y-%m-%d %H:%M", time.gmtime(start / 1000.0)),
             time.strftime("%Y-%m-%d %H:%M", time.gmtime(pos / 1000.0)))
    return payload


class Worker(Background):
    """The background thread of `run`: every CHECK_EVERY_S, and when the policy changes."""

    NAME = "retention"

    def __init__(self, core: Any) -> None:
        self.core = core
        self._wake = threading.Event()
        super().__init__()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()  # before the wake: the loop ends instead of starting a round
        self._wake.set()
        super().stop()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                while run(self.core, stop=self._stop) is not None and not self._stop.is_set():
                    pass  # a run that stopped on its budget goes on after recording what it did
            except Exception:
                log.exception("retention: thinning failed (tried again later)")
            self._wake.wait(CHECK_EVERY_S)
            self._wake.clear()


def start(core: Any) -> Worker | None:
    """Start thinning in the background of a long-running process that keeps the store (hub, console)."""
    if getattr(core, "store", None) is None:
        return None
    worker = core.ext.get("retention")
    if worker is None:
        worker = core.ext["retention"] = Worker(core).start()
    return worker


@installs
def _install(core: Any) -> None:
    book(core.state)  # the state's retention entry exists before any event sets it
