"""Tamper evidence: check the events hash chain and the attachments' SHA-256. No Qt.

Each stored event carries `prev_hash` (the hash of the event before it) and `hash`
(`dispatch.store.event_hash` over prev_hash and every column). Walking the log in `seq` order
finds the first event that does not fit, and says how:

- altered: its columns no longer give its stored hash;
- altered and re-hashed: its own hash is consistent, but the next event still names the old hash;
- removed: a gap in `seq` (the next event names a hash no stored event has);
- inserted: an event that does not link to the one before it while the one after it does.

The chain alone cannot tell that events were cut off its end, nor resist someone who rewrites
every hash from the altered event onwards; the last hash (`head`) is reported so it can be
written down or sent elsewhere, and `verify_chain(expected_head=...)` checks against it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from dispatch.blobs import attachments_dir, sha256_file
from dispatch.store import GENESIS_HASH, event_hash

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Problem:
    seq: int | None  # the event named (None: not about one event)
    kind: str  # "altered", "removed", "inserted", "relinked", "head", "attachment"
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind, "message": self.message}


@dataclass
class ChainReport:
    checked: int = 0
    head: str = GENESIS_HASH
    last_seq: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "last_seq": self.last_seq, "head": self.head,
                "first_problem": self.first.as_dict() if self.first else None,
                "problems": [p.as_dict() for p in self.problems]}


@dataclass(frozen=True, slots=True)
class _Row:
    seq: int
    ts: float
    actor: str
    kind: str
    entity: str | None
    payload: str
    prev_hash: str
    hash: str

    def recomputed(self) -> str:
        return event_hash(self.prev_hash, self.seq, self.ts, self.actor, self.kind, self.entity, self.payload)


def _rows(engine: Engine, batch: int = 5000) -> Iterator[_Row]:
    """Every event in seq order, read in batches so a long log never sits in memory at once."""
    last = None
    q = text("SELECT seq, ts, actor, kind, entity, payload, prev_hash, hash FROM events "
             "WHERE seq > :s ORDER BY seq LIMIT :n")
    with engine.connect() as conn:
        while True:
            rows = conn.execute(q, {"s": -(2**62) if last is None else last, "n": batch}).all()
            if not rows:
                return
            for r in rows:
                yield _Row(int(r[0]), float(r[1]), r[2], r[3], r[4],
                           r[5] if isinstance(r[5], str) else bytes(r[5] or b"").decode("utf-8", "replace"),
                           r[6] or "", r[7] or "")
            last = rows[-1][0]


def verify_chain(engine: Engine, *, expected_head: str | None = None, max_problems: int = 20) -> ChainReport:
    """Walk the hash chain. The first problem is the first event altered, removed or inserted."""
    rep = ChainReport()
    prev_seq, prev_hash = 0, GENESIS_HASH
    prev_row: _Row | None = None
    it = _rows(engine)
    pending: list[_Row] = []

    def take() -> _Row | None:
        if pending:
            return pending.pop(0)
        return next(it, None)

    def peek() -> _Row | None:
        if not pending:
            nxt = next(it, None)
            if nxt is None:
                return None
            pending.append(nxt)
        return pending[0]

    def add(p: Problem) -> None:
        rep.problems.append(p)

    while (row := take()) is not None:
        rep.checked += 1
        self_ok = row.recomputed() == row.hash
        link_ok = row.prev_hash == prev_hash
        seq_ok = row.seq == prev_seq + 1
        if self_ok and link_ok and seq_ok:
            pass
        elif not seq_ok and row.seq > prev_seq + 1 and self_ok and not link_ok:
            missing = (f"event {prev_seq + 1}" if row.seq == prev_seq + 2
                       else f"events {prev_seq + 1} to {row.seq - 1}")
            add(Problem(prev_seq + 1, "removed",
                        f"{missing} removed: event {row.seq} follows event {prev_seq or 'genesis'} in the log "
                        "but was chained to a different event"))
        elif not seq_ok and row.seq > prev_seq + 1 and link_ok:
            add(Problem(row.seq, "altered",
                        f"event {row.seq} renumbered: it links to event {prev_seq} but its sequence number skips "
                        f"{row.seq - prev_seq - 1}"))
        elif not self_ok and link_ok and seq_ok:
            add(Problem(row.seq, "altered",
                        f"event {row.seq} altered: its stored columns ({row.kind}, {row.entity or '-'}) "
                        "no longer give its recorded hash"))
        else:
            nxt = peek()
            if nxt is not None and nxt.prev_hash == prev_hash:
                add(Problem(row.seq, "inserted",
                            f"event {row.seq} inserted: event {nxt.seq} links to event {prev_seq or 'genesis'}, "
                            f"not to it"))
                # The chain continues from the event before the inserted one.
                prev_seq = nxt.seq - 1
                if len(rep.problems) >= max_problems:
                    break
                continue
            if self_ok and seq_ok and prev_row is not None:
                add(Problem(prev_row.seq, "altered",
                            f"event {prev_row.seq} altered and re-hashed: event {row.seq} was chained to a "
                            "different version of it"))
            elif nxt is None and not link_ok:
                add(Problem(row.seq, "inserted",
                            f"event {row.seq} does not belong to the chain after event {prev_seq or 'genesis'} "
                            "(inserted, or altered together with its link)"))
            elif self_ok:
                add(Problem(row.seq, "inserted",
                            f"event {row.seq} inserted or re-chained: it does not link to event "
                            f"{prev_seq or 'genesis'}"))
            else:
                add(Problem(row.seq, "altered",
                            f"event {row.seq} altered: neither its hash nor its link to event "
                            f"{prev_seq or 'genesis'} holds"))
        if len(rep.problems) >= max_problems:
            break
        prev_seq, prev_hash, prev_row = row.seq, row.hash, row
    rep.head, rep.last_seq = prev_hash, prev_seq
    if expected_head is not None and rep.ok and expected_head != rep.head:
        add(Problem(None, "head", f"the chain ends at event {rep.last_seq} with hash {rep.head[:12]}…, "
                                  f"not the expected head {expected_head[:12]}… (events removed from its end?)"))
    return rep


# ----------------------------------------------------------------- attachments
def verify_files(items: Iterable[tuple[Any, str | Path, str]], *, base: Path | None = None) -> list[Problem]:
    """Check (label, path, sha256) items: every file must exist and hash to its recorded SHA-256."""
    out: list[Problem] = []
    for label, path, want in items:
        p = Path(path)
        if base is not None and not p.is_absolute():
            p = base / p
        if not p.is_file():
            out.append(Problem(None, "attachment", f"attachment {label} missing: {p}"))
            continue
        got = sha256_file(p)
        if got.lower() != str(want).lower():
            out.append(Problem(None, "attachment",
                               f"attachment {label} altered: {p} has SHA-256 {got[:12]}…, recorded {str(want)[:12]}…"))
    return out


PATH_COLUMNS = ("path", "file_path", "stored_path", "storage_path", "relpath", "file")
HASH_COLUMNS = ("sha256", "sha256_hex", "digest", "hash")
LABEL_COLUMNS = ("id", "name", "filename")


def attachment_rows(engine: Engine) -> tuple[list[tuple[Any, str, str]], str | None]:
    """(label, path, sha256) of every stored attachment, from any table named like "attachments" that
    has a path column and a SHA-256 column; and the table used (None if there is none)."""
    insp = inspect(engine)
    for table in insp.get_table_names():
        if "attachment" not in table.lower():
            continue
        cols = [c["name"] for c in insp.get_columns(table)]
        low = {c.lower(): c for c in cols}
        pc = next((low[c] for c in PATH_COLUMNS if c in low), None)
        hc = next((low[c] for c in HASH_COLUMNS if c in low), None)
        lc = next((low[c] for c in LABEL_COLUMNS if c in low), pc)
        if not pc or not hc:
            continue
        with engine.connect() as conn:
            rows = conn.execute(text(f'SELECT "{lc}", "{pc}", "{hc}" FROM "{table}"')).all()
        return [(r[0], r[1], r[2]) for r in rows if r[1] and r[2]], table
    return [], None


def attachments_base(engine: Engine) -> Path | None:
    """The attachments folder of this store, as dispatch.blobs finds it."""
    from types import SimpleNamespace

    url = engine.url.render_as_string(hide_password=False)
    return Path(attachments_dir(SimpleNamespace(attachments_dir=None, store=SimpleNamespace(url=url))))


def attached_in_events(engine: Engine, folder: Path) -> list[tuple[str, Path, str]]:
    """(label, blob path, sha256) of every file an event recorded by its SHA-256 (incident.attached, evidence.*,
    a truck's photo...).

    The SHA-256 comes from the hash-chained log, so it cannot be changed without the chain showing it;
    blobs are content-addressed at <folder>/<sha[:2]>/<sha> (dispatch/blobs.py).
    """
    out: dict[str, tuple[str, Path, str]] = {}
    q = text("SELECT seq, entity, payload FROM events WHERE kind LIKE '%attach%' OR kind LIKE 'evidence.%' "
             "OR kind = 'jt808.media_received' ORDER BY seq")
    with engine.connect() as conn:
        for seq, entity, payload in conn.execute(q):
            try:
                p = json.loads(payload)
            except (TypeError, ValueError):
                continue
            sha = p.get("sha256") if isinstance(p, dict) else None
            if isinstance(sha, str) and len(sha) == 64 and sha not in out:
                label = f"{p.get('name') or sha[:12]} of {entity or '-'} (event {seq})"
                out[sha] = (label, folder / sha[:2] / sha, sha)
    return list(out.values())


def verify_attachments(engine: Engine, *, base: Path | None = None) -> tuple[int, list[Problem]]:
    """Check every attachment against its recorded SHA-256: those the event log names (content-addressed
    blobs) and those listed in any attachments table (path + sha256 columns). Returns (checked, problems)."""
    folder = base or attachments_base(engine)
    items: list[tuple[Any, str | Path, str]] = []
    if folder is not None:
        items.extend(attached_in_events(engine, folder))
    rows, _table = attachment_rows(engine)
    items.extend(rows)
    if not items:
        return 0, []
    return len(items), verify_files(items, base=folder)
