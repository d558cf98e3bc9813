"""`main.py field` with a window: the unit's keys, the link, the window, its positions (serial GPS or
simulated) and the optional screenshot; the exit code says why the client stopped."""

from __future__ import annotations

import argparse

from PySide6.QtCore import QTimer

from console.field.link import FieldLink
from console.field.window import FieldWindow


def run_window(args: argparse.Namespace) -> int:
    """`main.py field` with a window (console/cli/field.py)."""
    import sys
    import threading
    from pathlib import Path

    from dispatch.hub.keys import load_key_file

    try:
        keys = load_key_file(args.keys, args.unit)
        if keys["unit_id"] != args.unit:
            raise ValueError(f"the key file is for {keys['unit_id']}, not {args.unit}")
    except (OSError, ValueError, KeyError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    from console import i18n
    from console.app import create_app

    app = create_app(lang=getattr(args, "lang", None))
    link = FieldLink(args.unit, args.hub, keys, state_path=Path(args.keys) / f"{args.unit}.state.json")
    window = FieldWindow(link, lang=i18n.current_language(), show_map=not getattr(args, "no_map", False))
    stop = threading.Event()
    from console.field.positions import serial_positions, simulated_positions

    if args.gps:
        serial_positions(args.gps, link.report_position, stop, args.baud)
    elif args.simulate:
        simulated_positions(args.unit, link.report_position, stop)
    link.start()
    window.show()
    code = 0
    if getattr(args, "screenshot", None):
        from console.screenshot import take_when_ready

        def done(ok: bool) -> None:
            nonlocal code
            code = 0 if ok else 1
            app.quit()

        QTimer.singleShot(int(getattr(args, "run_for", 3.0) * 1000), lambda: take_when_ready(window, args.screenshot,
                                                                                              done))
    app.exec()
    stop.set()
    link.stop()
    from shiboken6 import delete

    delete(window)
    if link.revoked():
        sys.stderr.write(f"error: the hub revoked {args.unit}'s key\n")
        return 4
    if link.replaced():
        sys.stderr.write(f"error: another device logged in as {args.unit}\n")
        return 5
    return code
