"""`python main.py db upgrade [--db URL]`, `db current [--db URL]`: the store's schema revision.

`current` only reads: it says whether the store is empty, from before migrations, behind, current
or newer than this program. `upgrade` brings it to this program's revision in place (every program
that opens a store does the same on start); a store newer than this program is refused untouched.
Exit 0 on success, 1 for a store newer than this program, 3 when the store cannot be opened.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="db_command", metavar="COMMAND", required=True)
    u = sub.add_parser("upgrade", help="create or upgrade the store's schema to this program's revision")
    c = sub.add_parser("current", help="show the store's schema revision (reads only)")
    for q in (u, c):
        q.add_argument("--db", metavar="URL", help="the store (default: the console's own SQLite file)")
        q.add_argument("--json", action="store_true", help="print JSON")


def _status(url: str) -> object:
    from dispatch import migrations
    from dispatch.store import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return migrations.status(conn)
    finally:
        engine.dispose()


def run(args: argparse.Namespace) -> int:
    from console.session import store_label
    from dispatch import migrations
    from dispatch.store import EventStore, StoreError, default_db_url

    url = args.db or default_db_url()
    label = store_label(url)
    try:
        before = _status(url)
    except Exception as exc:
        print(f"error: cannot open store {label}: {exc}", file=sys.stderr)
        return 3
    assert isinstance(before, migrations.Status)
    after = before
    if args.db_command == "upgrade" and before.state != "newer":
        try:
            EventStore(url).close()  # opening migrates (and logs what it did)
            after = _status(url)  # type: ignore[assignment]
        except StoreError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except Exception as exc:
            print(f"error: cannot upgrade store {label}: {exc}", file=sys.stderr)
            return 3
    assert isinstance(after, migrations.Status)
    if args.json:
        print(json.dumps({"store": label, "before": before.state, "from": before.revision, "state": after.state,
                          "revision": after.revision, "head": after.head}))
    elif args.db_command == "current":
        print(f"{label}: {before.describe()}")
    elif before.state == "current":
        print(f"{label}: already at revision {after.revision}")
    elif after.state == "current":
        print(f"{label}: upgraded from {before.revision or 'no revision'} ({before.state}) to revision {after.revision}")
    if before.state == "newer":
        print(f"error: {migrations.too_new_message(label, before)}", file=sys.stderr)
        return 1
    return 0
