"""The store's schema under Alembic: one revision per change, the same scripts on SQLite and PostgreSQL.

`upgrade(store)` brings a store to this program's head revision inside one of the store's own write
transactions (SQLite BEGIN IMMEDIATE, PostgreSQL advisory lock), so two programs opening a fresh store
at once cannot both create it. It runs whenever an `EventStore` opens, and on demand as
`python main.py db upgrade --db URL`.

- A store without `alembic_version` but with an `events` table was written before migrations existed:
  revision 0001 is exactly that schema, so it is adopted (only missing tables are created, no row is
  touched) and stamped.
- A store whose revision this program does not know was upgraded by a newer program: it is refused
  with `SchemaTooNew` before anything is written.

Adding a revision: copy the newest file in versions/, give it the next `revision` id and set
`down_revision` to the previous one; change `dispatch.store.metadata` (or a capability's tables) to
match. tests/migrations/test_schema.py fails while the two differ.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import Connection

log = logging.getLogger(__name__)
# Alembic announces each of its plugins at INFO whenever it loads: seven lines in every start's log that
# say nothing about this store (the migration itself is logged here, once, when one runs).
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

HERE = Path(__file__).resolve().parent


class SchemaTooNew(Exception):
    """The store carries a revision this program does not know (a newer program upgraded it)."""


@dataclass(frozen=True)
class Status:
    state: str  # "empty", "legacy" (before migrations), "behind", "current", "newer"
    revision: str | None  # the store's revision (None: no alembic_version)
    head: str  # this program's newest revision

    def describe(self) -> str:
        return {
            "empty": f"empty store (this program creates revision {self.head})",
            "legacy": f"store from before migrations (no revision; upgrades in place to {self.head})",
            "behind": f"revision {self.revision}, older than this program's {self.head} (upgrades in place)",
            "current": f"revision {self.revision} (current)",
            "newer": f"revision {self.revision}, NEWER than this program (knows up to {self.head}): refused",
        }[self.state]


@functools.cache
def script() -> Any:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(HERE), version_locations=[str(HERE / "versions")])


def head() -> str:
    return str(script().get_current_head())


_REVISION = re.compile(r'^(down_revision|revision)\s*=\s*(None|"([^"]*)"|\'([^\']*)\')', re.M)


def quick_head() -> str | None:
    """The head revision read off versions/ without Alembic: the one revision no other names as its
    down_revision (None when that is not plain: several heads, a merge, a file it cannot read; then ask
    Alembic). Opening a store already at the head -- every start but the first after an upgrade: the console,
    the hub, each `ctl` command -- then reads one row and imports no Alembic (0.15-0.2 s)."""
    revs, downs = set(), set()
    for f in (HERE / "versions").glob("*.py"):
        if f.name.startswith("_"):
            continue
        found = {m.group(1): m.group(3) or m.group(4) for m in _REVISION.finditer(f.read_text(encoding="utf-8"))}
        if "revision" not in found or "down_revision" not in found:
            return None
        revs.add(found["revision"])
        downs.add(found["down_revision"])
    heads = revs - downs
    return heads.pop() if len(heads) == 1 else None


@functools.cache
def known_revisions() -> frozenset[str]:
    return frozenset(r.revision for r in script().walk_revisions())


def status(conn: Connection) -> Status:
    """Where the store behind `conn` stands against this program's revisions. Reads only."""
    tables = set(inspect(conn).get_table_names())
    rev: str | None = None
    if "alembic_version" in tables:
        rows = [r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")]
        if len(rows) == 1 and rows[0] == quick_head():
            return Status("current", rows[0], rows[0])  # the common case, without asking Alembic
        if len(rows) > 1:
            unknown = [r for r in rows if r not in known_revisions()]
            return Status("newer", ",".join(sorted(unknown or rows)), head())
        rev = rows[0] if rows else None
    if rev is None:
        return Status("legacy" if "events" in tables else "empty", None, head())
    if rev not in known_revisions():
        return Status("newer", rev, head())
    return Status("current" if rev == head() else "behind", rev, head())


def too_new_message(label: str, st: Status) -> str:
    return (f"the store {label} has schema revision {st.revision}, newer than this program (which knows up to "
            f"{st.head}); it was upgraded by a newer version of the console. Use that version; nothing was changed.")


def upgrade(store: Any, label: str | None = None) -> tuple[Status, Status]:
    """Bring `store` (an EventStore, possibly half-open) to the head revision. Returns (before, after).

    :raises SchemaTooNew: the store's revision is unknown here; nothing was written.
    """
    label = label or store.url
    with store.engine.connect() as conn:
        before = status(conn)
    if before.state == "current":
        return before, before
    if before.state == "newer":
        raise SchemaTooNew(too_new_message(label, before))
    with store.write() as conn:
        before = status(conn)  # again, under the write lock: another program may have done it meanwhile
        if before.state == "newer":
            raise SchemaTooNew(too_new_message(label, before))
        if before.state != "current":
            _run_upgrade(conn)
        after = status(conn)
    if before.state == "legacy":
        log.warning("store %s was written before schema migrations: adopted as revision %s and upgraded to %s "
                    "(no event touched)", label, "0001", after.revision)
    elif before.state == "behind":
        log.warning("store %s upgraded from schema revision %s to %s", label, before.revision, after.revision)
    elif before.state == "empty":
        log.info("store %s created at schema revision %s", label, after.revision)
    return before, after


def _run_upgrade(conn: Connection, to: str = "head") -> None:
    """Run the revisions from the store's to `to` inside the caller's transaction (tests build older stores
    with an earlier `to`)."""
    from alembic.config import Config
    from alembic.runtime.environment import EnvironmentContext

    alembic_log = logging.getLogger("alembic")
    if alembic_log.level == logging.NOTSET:
        alembic_log.setLevel(logging.WARNING)  # our own line says what happened; not Alembic's plugin chatter
    sd = script()
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))

    def steps(rev: Any, _context: Any) -> Any:
        return sd._upgrade_revs(to, rev)

    with EnvironmentContext(cfg, sd, fn=steps, destination_rev=to) as env:
        env.configure(connection=conn, target_metadata=None)
        with env.begin_transaction():  # the caller's write transaction: Alembic joins it
            env.run_migrations()
