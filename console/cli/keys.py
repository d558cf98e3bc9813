"""`python main.py keys new UNIT [--db URL] [--out DIR]`, `keys revoke UNIT`, `keys list`: field unit keys;
`keys seat NAME [--out DIR]`, `keys revoke-seat NAME`: the keys of seats (consoles, `ctl --hub`).

`new` creates a CURVE key pair for the unit, enrols its public key (an event in the store) and
writes DIR/UNIT.key.json for the field client (`field --keys DIR`). `revoke` cuts the unit off,
also while it is connected: a running hub on the same store sees it within a second.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="keys_command", metavar="COMMAND", required=True)
    n = sub.add_parser("new", help="create and enrol a unit's key pair; write the client's key file")
    n.add_argument("unit_id")
    n.add_argument("--db", metavar="URL")
    n.add_argument("--out", metavar="DIR", default="keys", help="folder for UNIT.key.json (default ./keys)")
    r = sub.add_parser("revoke", help="revoke a unit's key (it is cut off at once)")
    r.add_argument("unit_id")
    r.add_argument("--db", metavar="URL")
    ls = sub.add_parser("list", help="enrolled and revoked unit keys")
    ls.add_argument("--db", metavar="URL")
    st = sub.add_parser("seat", help="create and enrol a seat's key (a console or ctl --hub); write NAME.seat.json")
    st.add_argument("seat")
    st.add_argument("--db", metavar="URL")
    st.add_argument("--out", metavar="DIR", default="keys", help="folder for NAME.seat.json (default ./keys)")
    rs = sub.add_parser("revoke-seat", help="revoke a seat's key")
    rs.add_argument("seat")
    rs.add_argument("--db", metavar="URL")
    for q in (n, r, ls, st, rs):
        q.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    from console.session import login_name, open_session
    from dispatch.errors import Refused
    from dispatch.hub import keys, seats

    try:
        session = open_session(args.db)
    except Exception as exc:
        print(f"error: cannot open store: {exc}", file=sys.stderr)
        return 3
    actor = f"ctl:{login_name()}"
    try:
        if args.keys_command == "new":
            result = keys.new_unit_key(session.core, actor, args.unit_id, args.out)
            text = f"enrolled {result['unit_id']}: key file {result['file']} (keep it secret; it is the unit's identity)"
        elif args.keys_command == "revoke":
            result = keys.revoke(session.core, actor, args.unit_id)
            text = f"revoked {args.unit_id}"
        elif args.keys_command == "seat":
            result = seats.new_seat_key(session.core, actor, args.seat, args.out)
            text = f"enrolled seat {result['seat']}: key file {result['file']} (keep it secret)"
        elif args.keys_command == "revoke-seat":
            result = seats.revoke_seat(session.core, actor, args.seat)
            text = f"revoked seat {args.seat}"
        else:
            result = keys.list_keys(session.core)
            text = "\n".join(f"{k['unit_id']:<16} {k['state']:<9} {k['public_key'] or ''}" for k in result) \
                or "no unit keys enrolled"
    except Refused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        session.close()
    print(json.dumps(result, ensure_ascii=False) if args.json else text)
    return 0

