"""`python main.py replay FILE`: open an exported replay file in the replay window.

A missing, damaged, cut-short or newer-format file gets a clear message and exit 2; nothing
else is touched (the file is opened read-only).
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="a replay file made by: main.py ctl export --from T1 --to T2 --out FILE")
    p.add_argument("--lang", choices=["zh_CN", "en"], help="UI language (default: the user's locale; Chinese under the C/POSIX locale)")
    p.add_argument("--at", metavar="TIME", help="start at this time (ISO 8601); default: the window's start")
    p.add_argument("--screenshot", metavar="PNG", help="open, seek, write a picture of the window and exit")
    p.add_argument("--check", action="store_true", help="only check the file and print its summary")


def run(args: argparse.Namespace) -> int:
    from dispatch.record.export import ReplayFileError, open_replay_file
    from dispatch.record.replay import iso_z, parse_time

    try:
        rf = open_replay_file(args.file)
    except ReplayFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    t1, t2 = rf.window
    start = t1
    if args.at:
        from dispatch.errors import Refused

        try:
            start = parse_time(args.at)
        except Refused as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if not t1 <= start <= t2:
            print(f"error: {args.at} is outside the recording ({iso_z(t1)} to {iso_z(t2)})", file=sys.stderr)
            return 2
    if args.check:
        print(f"{rf.path}: replay of {iso_z(t1)} to {iso_z(t2)}, {rf.meta.get('units')} units, "
              f"{rf.meta.get('events')} events, {rf.meta.get('fixes')} fixes")
        rf.close()
        return 0

    from console.app import create_app

    app = create_app(lang=args.lang)
    from PySide6.QtCore import QTimer

    from console import i18n
    from console.replay.window import ReplayWindow

    window = ReplayWindow(rf.recording(), lang=i18n.current_language(), window=(t1, t2),
                          title_suffix=str(rf.path.name))
    window.seek(start)
    window.show()
    code = 0
    if args.screenshot:
        def shoot() -> None:
            nonlocal code
            code = 0 if window.grab().save(args.screenshot) else 1
            app.quit()

        window.map.ready.connect(lambda: QTimer.singleShot(1500, shoot))
        QTimer.singleShot(30000, shoot)
    app.exec()
    rf.close()
    return code
