"""`python main.py --hub tcp://HOST:PORT --key SEAT.seat.json [--operator NAME]`: a console attached to a hub.

The login dialog first (console/attached.py), then the main window on the hub's state (dispatch/hub/attach.py).
Unattended (`--user NAME --login-stdin`): the password is the first line of standard input and no dialog
opens; a refusal ends the program with the hub's reason. `--status-file FILE` keeps a JSON file saying what
the seat holds (console/attached.py `StatusFile`).
"""

from __future__ import annotations

import argparse
import logging
import sys

log = logging.getLogger(__name__)


def run(args: argparse.Namespace) -> int:
    from console.app import create_app

    app = create_app(lang=args.lang, theme=getattr(args, "theme", None))
    from PySide6.QtWidgets import QDialog

    from console import i18n, operations
    from console.attached import LinkStatus, LoginDialog
    from console.main_window import MainWindow
    from dispatch.city.data import load_city
    from dispatch.errors import Refused
    from dispatch.hub.attach import RemoteCore
    from dispatch.hub.seats import load_seat_file

    if not args.key:
        print("error: --hub needs --key SEAT.seat.json (an administrator makes it: main.py keys seat NAME)",
              file=sys.stderr)
        return 2
    try:
        keys = load_seat_file(args.key)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    core = RemoteCore(args.hub, keys, stale_after=args.stale_after)
    if getattr(args, "login_stdin", False):
        operator = _login_unattended(core, args)
        if operator is None:
            core.close()
            return 1
    else:
        dialog = LoginDialog(core, user=getattr(args, "user", None) or args.operator)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            core.close()
            return 1
        operator = dialog.operator
    try:
        core.start()
    except (Refused, ConnectionError) as exc:
        print(f"error: cannot follow the hub: {exc}", file=sys.stderr)
        core.logout()
        core.close()
        return 3
    operations.set_core(core)
    operations.set_operator(operator["name"] if operator else None)
    window = MainWindow(core, load_city().geojson(), lang=i18n.current_language(), store_label=args.hub,
                        tiles_url=args.tiles)
    window.statusBar().addPermanentWidget(LinkStatus(core, window))
    if getattr(args, "status_file", None):
        from console.attached import StatusFile

        window.status_file = StatusFile(core, args.status_file, window)
    from console.field_link.panel import HubPanel

    panel = HubPanel(core, parent=window)  # the field link as the hub's operations tell it
    window.add_side_tab(panel, panel.tr("Field link"), "field")
    window.hub_panel = panel
    window.watch_field_link(panel)  # a message from a unit: status bar, beep, unread count on the tab
    from console.incidents import install as install_workflow

    workflow = install_workflow(window, duties=False)  # the hub checks deadlines and ticks tasks (dispatch/hub/duties.py)
    from console.analytics import install as install_dashboard

    install_dashboard(window, workflow)
    from console.evidence import install as install_evidence

    install_evidence(window)  # View → Video evidence, Camera register: the hub's operations, clips fetched from it
    from console.cases import install as install_cases

    install_cases(window, duties=False)  # the case file as the hub's operations tell it (the operator's role masks the party)
    from console.cli.gui import install_control_room

    install_control_room(window, args)  # alarm sounds and their mute, shortcuts, Ctrl+K
    from console.cli.gui import arrange

    arrange(args, window)
    window.remember_layout = not getattr(args, "screenshot", None)
    if args.tab and not window.show_side_tab(args.tab):
        log.warning("no %s tab on an attached console", args.tab)
    # urgent cases open: ask before closing (not in a run that ends on its own)
    window.confirm_quit = not (getattr(args, "screenshot", None) or getattr(args, "run_for", None) is not None)
    window.show_at_start(maximize=not getattr(args, "screenshot", None))
    from console.cli.gui import timed_end

    ending = timed_end(args, app, window)  # --screenshot, --run-for
    app.exec()
    from shiboken6 import delete

    delete(window)
    core.logout()
    core.close()
    return ending["code"]


def _login_unattended(core, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """--user NAME --login-stdin: the password from standard input, the hub's answer; None (said) if refused."""
    from dispatch.errors import Refused

    if not getattr(args, "user", None):
        print("error: --login-stdin needs --user NAME", file=sys.stderr)
        return None
    from console.cli.seat_login import stdin_password

    password = stdin_password()
    if password is None:
        return None
    try:
        return core.login(args.user, password)
    except (Refused, ConnectionError) as exc:
        print(f"error: the hub refused the login of {args.user}: {exc}", file=sys.stderr)
        return None
