"""`python main.py hub --db URL --field-bind tcp://ADDR:PORT --control-bind tcp://ADDR:PORT`: the headless hub.

Serves field units (CURVE-authenticated, see docs/field-protocol.md) and `ctl --hub` on the same
core the console would run, and with ``--jt808-bind tcp://ADDR:PORT`` JT/T 808 truck terminals
(docs/jt808.md). Stops cleanly on SIGTERM or SIGINT (Ctrl-C).
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading

log = logging.getLogger(__name__)


def add_arguments(p: argparse.ArgumentParser) -> None:
    from dispatch.hub import DEFAULT_CONTROL_BIND, DEFAULT_FIELD_BIND

    p.add_argument("--db", metavar="URL", help="store URL (default: the console's SQLite file)")
    p.add_argument("--field-bind", metavar="ENDPOINT", default=DEFAULT_FIELD_BIND,
                   help=f"where field units connect (default {DEFAULT_FIELD_BIND})")
    p.add_argument("--control-bind", metavar="ENDPOINT", default=DEFAULT_CONTROL_BIND,
                   help=f"where `ctl --hub` connects (default {DEFAULT_CONTROL_BIND})")
    p.add_argument("--demo", action="store_true", help="also run the demo city's fleet on this hub")
    p.add_argument("--open311-bind", metavar="HOST:PORT", default=None,
                   help="also serve Open311 GeoReport v2 and the citizen page at http://HOST:PORT/open311/ "
                        "(docs/open311.md), e.g. 127.0.0.1:8311")
    p.add_argument("--jt808-bind", metavar="ENDPOINT",
                   help="accept JT/T 808 truck terminals here, e.g. tcp://0.0.0.0:6808 (docs/jt808.md)")


def run(args: argparse.Namespace) -> int:
    import sys

    from console.session import open_session, store_label
    from dispatch.hub import start_hub
    from dispatch.runtime import tune_startup

    tune_startup()  # before the threads start-up starts (dispatch/runtime.py)
    session = open_session(args.db)
    if args.demo:
        session.start_demo(jt808=bool(args.jt808_bind))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        hub = start_hub(session.core, args.field_bind, args.control_bind, owner=True)
    except Exception as exc:
        print(f"error: cannot start the hub: {exc}", file=sys.stderr)
        session.close()
        return 3
    gateway = None
    if args.jt808_bind:
        from dispatch.jt808 import start_gateway

        try:
            gateway = start_gateway(session.core, args.jt808_bind)
        except (OSError, ValueError) as exc:
            print(f"error: cannot start the JT/T 808 gateway on {args.jt808_bind}: {exc}", file=sys.stderr)
            hub.stop()
            session.close()
            return 3
    log.info("hub on %s: field %s, control %s (public key %s)%s", store_label(session.url), hub.field_endpoint,
             hub.control_endpoint, hub.public_key, f", JT/T 808 {gateway.endpoint}" if gateway else "")
    open311 = None
    if args.open311_bind:
        from dispatch.citizens import start_open311

        try:
            open311 = start_open311(session.core, args.open311_bind)
        except (OSError, ValueError, RuntimeError) as exc:
            print(f"error: cannot start the Open311 endpoint on {args.open311_bind}: {exc}", file=sys.stderr)
            if gateway is not None:
                gateway.stop()
            hub.stop()
            session.close()
            return 3
        log.info("Open311 endpoint and citizen page on %s", open311.url)
    from dispatch.record import retention
    from dispatch.runtime import tune_runtime

    thinning = retention.start(session.core)  # old fixes thinned in the background as the bureau's policy says
    from dispatch.hub.duties import Duties

    duties = Duties(session.core).start()  # deadlines and cleaning tasks, as system:hub (no seat does them)
    tune_runtime()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        log.info("hub stopping")
        duties.stop()
        if thinning is not None:
            thinning.stop()
        if open311 is not None:
            open311.stop()
        if gateway is not None:
            gateway.stop()
        hub.stop()
        session.close()
    return 0
