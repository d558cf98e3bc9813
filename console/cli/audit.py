"""`python main.py audit verify [--db URL] [--json]`: check the event log's hash chain and the attachments.

Exit 0 when every event links to the one before it, every attachment has its recorded
SHA-256 and every frame of every stored clip decodes (`--no-decode` skips that); exit 1 naming the first event altered, removed or inserted (and every attachment
that is missing or altered); exit 3 when the store cannot be opened.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="audit_command", metavar="COMMAND", required=True)
    v = sub.add_parser("verify", help="check the hash chain of the events and the attachments' SHA-256")
    v.add_argument("--db", metavar="URL", help="the store (default: the console's own SQLite file)")
    v.add_argument("--json", action="store_true", help="print the report as JSON")
    v.add_argument("--head", metavar="HASH", help="the chain head written down earlier: also catches events cut off its end")
    v.add_argument("--attachments-dir", metavar="DIR", help="where relative attachment paths live")
    v.add_argument("--no-decode", action="store_true",
                   help="do not decode the video evidence (by default every frame of every stored clip is decoded)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sqlalchemy import inspect

    from dispatch.record import audit
    from dispatch.store import default_db_url, make_engine

    url = args.db or default_db_url()
    try:
        engine = make_engine(url)
        if "events" not in inspect(engine).get_table_names():
            print(f"error: {url} has no events table: not a console store", file=sys.stderr)
            return 3
    except Exception as exc:
        print(f"error: cannot open store {url}: {exc}", file=sys.stderr)
        return 3
    try:
        rep = audit.verify_chain(engine, expected_head=args.head)
        base = Path(args.attachments_dir) if args.attachments_dir else None
        n_att, att_problems = audit.verify_attachments(engine, base=base)
        n_dec = 0
        folder = base or audit.attachments_base(engine)
        if not args.no_decode and folder is not None:
            from dispatch.evidence.verify import decode_problems

            named = " ".join(p.message for p in att_problems)  # a missing or altered blob is named by its path
            skip = {sha for _l, _p, sha in audit.attached_in_events(engine, folder) if sha in named}
            n_dec, dec_problems = decode_problems(engine, folder, skip)
            att_problems += dec_problems
    except Exception as exc:
        print(f"error: cannot read the events of {url}: {exc}", file=sys.stderr)
        return 3
    finally:
        engine.dispose()
    problems = rep.problems + att_problems
    if args.json:
        d = rep.as_dict()
        d.update(ok=not problems, attachments_checked=n_att, clips_decoded=n_dec,
                 attachment_problems=[p.as_dict() for p in att_problems])
        print(json.dumps(d, ensure_ascii=False))
    else:
        if rep.ok:
            print(f"chain ok: {rep.checked} events, head {rep.head} at event {rep.last_seq}")
        else:
            first = rep.first
            assert first is not None
            print(f"CHAIN BROKEN at event {first.seq}: {first.message}")
            for p in rep.problems[1:]:
                print(f"  also: {p.message}")
        if n_att:
            print(f"attachments: {n_att} checked, {len(att_problems)} bad")
        if n_dec:
            print(f"video evidence: {n_dec} clip(s) decoded frame by frame")
        for p in att_problems:
            print(f"  {p.message}")
    if problems:
        first = problems[0]
        print(f"audit verify: FAILED: {first.message}", file=sys.stderr)
        return 1
    return 0
