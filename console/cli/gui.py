"""`python main.py [options]`: open the console."""

from __future__ import annotations

import argparse
import logging
import sys
import time

log = logging.getLogger(__name__)
TABS = ("units", "incidents", "detail", "alerts", "zones", "truck", "tasks", "cases", "field", "devices")  # the side panels --tab can show
LAYOUTS = ("dispatcher", "shift-lead", "case-officer", "engineer", "wall")  # console/docks.py; "shift lead" is accepted too


def layout_arg(text: str) -> str:
    from console.docks import layout_name

    try:
        return layout_name(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="URL", help="store URL (default: a SQLite file in the user data folder); "
                   "e.g. sqlite:///shift.db or postgresql://user@host/db")
    demo = p.add_mutually_exclusive_group()
    demo.add_argument("--demo", dest="demo", action="store_true", default=None,
                      help="run the built-in demo city (the default when no feeds are configured)")
    demo.add_argument("--no-demo", dest="demo", action="store_false", help="never run the demo city")
    p.add_argument("--feeds", metavar="FILE", help="the feeds file (TOML; default: feeds.toml in the user config "
                   "folder); the device bench edits it")
    p.add_argument("--lang", choices=["zh_CN", "en"], help="UI language (default: the user's locale; Chinese under the C/POSIX locale)")
    p.add_argument("--stale-after", type=float, default=60.0, metavar="SECONDS",
                   help="a unit with no fix for this long is shown stale (default 60)")
    p.add_argument("--tiles", metavar="URL", help="optional online tile URL template; the map never needs it")
    p.add_argument("--basemap", metavar="FILE|DIR",
                   help="an offline base map under the units: raster MBTiles (PNG/JPEG/WebP) or a {z}/{x}/{y} tile folder")
    p.add_argument("--shift-changes", type=shift_changes, default=None, metavar="HH:MM,HH:MM",
                   help="when the shifts change, local time (default 08:00,20:00): a muted seat hears its alarms "
                        "again at the next one")
    p.add_argument("--screenshot", metavar="FILE", help="run, write a PNG of the main window, and exit 0")
    p.add_argument("--tab", choices=TABS, help="the side panel brought forward at start (default: incidents)")
    p.add_argument("--theme", choices=["light", "dark"], help="day (light) or night (dark) theme; default: the one "
                   "chosen last in View → Theme, else light")
    p.add_argument("--layout", type=layout_arg, metavar="|".join(LAYOUTS),
                   help="arrange the panels as this named layout (default: as they were left, else dispatcher)")
    p.add_argument("--wall", action="store_true", help="the video wall: full screen, read-only, the map with live "
                   "counters of units, open incidents by priority, overdue cases and alerts")
    p.add_argument("--run-for", type=float, default=None, metavar="SECONDS",
                   help="run this long, then close as on File → Quit (with --screenshot: how long before the "
                        "picture, default 5)")
    p.add_argument("--field-bind", default=None, metavar="ENDPOINT",
                   help="where field units connect (default tcp://127.0.0.1:5570)")
    p.add_argument("--control-bind", default=None, metavar="ENDPOINT",
                   help="where `ctl --hub` connects (default tcp://127.0.0.1:5571)")
    p.add_argument("--operator", metavar="NAME", help="the operator at this seat, an account of the store: its "
                   "password is asked (default: the OS login, no password; with --hub: the name the login dialog "
                   "proposes)")
    p.add_argument("--no-hub", action="store_true", help="do not run the field hub inside the console")
    p.add_argument("--open311-bind", metavar="HOST:PORT", default=None,
                   help="serve Open311 GeoReport v2 and the citizen page at http://HOST:PORT/open311/ "
                        "(docs/open311.md), e.g. 127.0.0.1:8311")
    p.add_argument("--jt808-bind", metavar="ENDPOINT",
                   help="accept JT/T 808 truck terminals here, e.g. tcp://0.0.0.0:6808 (docs/jt808.md); "
                        "shown on the device bench")
    p.add_argument("--hub", metavar="ENDPOINT", help="attach to a running hub's control endpoint (e.g. "
                   "tcp://HOST:5571) instead of a store: a login, then the hub's state live; needs --key")
    p.add_argument("--key", metavar="SEAT.seat.json", help="with --hub: this seat's key file (`main.py keys seat NAME`)")
    p.add_argument("--user", metavar="NAME", help="with --hub and --login-stdin: log in as NAME without the dialog "
                   "(automation, a video wall started unattended)")
    p.add_argument("--login-stdin", action="store_true", help="with --hub --user NAME, or --operator NAME on a "
                   "store: read the password from the first line of standard input (never from the command line)")
    p.add_argument("--status-file", metavar="FILE", help="with --hub: keep FILE (JSON) saying every second what this "
                   "seat holds: the link to the hub, the operator, the last event and its hash (monitoring, tests)")
    p.add_argument("--startup-probe", action="store_true", help=argparse.SUPPRESS)  # bench: time to first frame
    p.add_argument("-v", "--verbose", action="store_true", help="log debug messages")


def shift_changes(text: str):  # type: ignore[no-untyped-def]
    from dispatch.alarms.shift import parse_shift_changes

    try:
        return parse_shift_changes(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def install_control_room(window, args: argparse.Namespace) -> None:  # type: ignore[no-untyped-def]
    """Alarm sounds with their mute, then the keyboard: shortcuts, the command palette (Ctrl+K), the sheet.
    Last, after every other part has added its actions: the keyboard part walks them all."""
    from console.keyboard import install as install_keyboard
    from console.sound import install as install_sounds
    from dispatch.alarms.shift import DEFAULT_SHIFT_CHANGES

    install_sounds(window, shift_changes=getattr(args, "shift_changes", None) or DEFAULT_SHIFT_CHANGES)
    install_keyboard(window)


def feed_specs(args: argparse.Namespace) -> list:  # type: ignore[type-arg]
    """The configured feeds (cached on args); a bad file is logged and treated as none, never overwritten."""
    if not hasattr(args, "_feed_specs"):
        from dispatch.errors import Refused
        from dispatch.feeds import config as feed_config

        args._feed_error = None
        try:
            args._feed_specs = feed_config.load(getattr(args, "feeds", None))
        except Refused as exc:
            log.error("feeds not started: %s", exc)
            args._feed_specs, args._feed_error = [], str(exc)
    return args._feed_specs  # type: ignore[no-any-return]


def should_run_demo(args: argparse.Namespace, session: object) -> bool:
    if args.demo is not None:
        return bool(args.demo)
    # the demo city only when no feeds are configured; a feeds file that cannot be read is a
    # configuration to fix (shown on the bench), not a reason to fill the store with the demo fleet
    return not feed_specs(args) and args._feed_error is None


def start_feeds(args: argparse.Namespace, session, window, gateway=None) -> None:  # type: ignore[no-untyped-def]
    """Start the configured feeds and add the engineer's device bench tab (with the JT/T 808 gateway, if any)."""
    from console.device_bench.panel import DevicesPanel
    from dispatch.feeds.manager import FeedManager
    from dispatch.feeds.pump import FeedPump

    simulated = [p for p in session.pumps if isinstance(p, FeedPump)]  # the demo city: it feeds the map too
    manager = FeedManager(session.core, feed_specs(args)).start()
    session.pumps.append(manager)
    panel = DevicesPanel(manager, config_path=getattr(args, "feeds", None), map_view=window.map, parent=window,
                         pumps=simulated, gateway=gateway)
    panel.save_enabled = args._feed_error is None
    if args._feed_error is not None:
        panel.show_notice(panel.tr("Feeds not started: %1").replace("%1", args._feed_error), error=True)
    window.add_side_tab(panel, panel.tr("Devices"), "devices")
    window.devices_panel = panel


def show_feed_problem(args: argparse.Namespace, window) -> None:  # type: ignore[no-untyped-def]
    """The feeds file could not be read: open on the device bench, where it says why, and say it in the status bar."""
    error = getattr(args, "_feed_error", None)
    if error is None:
        return
    if not args.tab:
        window.show_side_tab("devices")
    window.statusBar().showMessage(window.tr("Feeds not started: %1").replace("%1", error), 60000)


def arrange(args: argparse.Namespace, window) -> None:  # type: ignore[no-untyped-def]
    """The panels as asked (--layout), else as left last time, else the dispatcher's; --wall: the wall mode."""
    if getattr(args, "wall", False) or getattr(args, "layout", None) == "wall":
        window.enter_wall()  # the wall's layout is the wall mode: read-only, full screen
        return
    window.restore_layout(getattr(args, "layout", None))
    if not args.tab and getattr(args, "_feed_error", None) is not None:
        window.show_side_tab("devices")  # the console opens where it says why


def run(args: argparse.Namespace) -> int:
    if args.hub and args.open311_bind:
        print("error: an attached seat has no store of its own; serve Open311 from the hub "
              "(main.py hub ... --open311-bind HOST:PORT)", file=sys.stderr)
        return 2
    if args.hub:
        from console.cli.attach import run as run_attached

        return run_attached(args)  # a seat of a command centre: the hub's state, no store here
    from console.app import create_app
    from console.session import open_session, store_label
    from dispatch.runtime import tune_startup

    tune_startup()  # before the threads start-up starts (dispatch/runtime.py)
    started = time.time()
    app = create_app(lang=args.lang, theme=args.theme)

    from console import i18n, operations
    from console.main_window import MainWindow
    from dispatch.city.data import load_city

    basemap = None
    if args.basemap:
        from console.map.basemap import BaseMap, BaseMapError

        try:
            basemap = BaseMap(args.basemap)
        except BaseMapError as exc:
            print(f"error: base map: {exc}", file=sys.stderr)
            return 2
    session = open_session(args.db, stale_after=args.stale_after)
    operations.set_core(session.core)
    if should_run_demo(args, session):  # before the seat's login: a new store's demo week comes first in the log
        session.start_demo(jt808=bool(getattr(args, "jt808_bind", None)))
    from console.cli.seat_login import authenticate

    operator = authenticate(args, session.core, store_label(session.url))  # a typed --operator: its password first
    if isinstance(operator, int):
        session.close()
        return operator
    operations.set_operator(operator)
    _record_seat(session, "operator.login")
    window = MainWindow(session.core, load_city().geojson(), lang=i18n.current_language(),
                        store_label=store_label(session.url), tiles_url=args.tiles, basemap=basemap)
    hub = None if args.no_hub else _start_hub(args, session, window)
    open311 = _start_open311(args, session, window)
    gateway = _start_gateway(args, session, window)
    start_feeds(args, session, window, gateway)
    from console.incidents import install as install_workflow

    workflow = install_workflow(window)  # incident queue, form, detail, cleaning tasks (console/incidents)
    from console.analytics import install as install_dashboard

    install_dashboard(window, workflow)  # View → Dashboard: the figures that look back (console/analytics)
    from console.alerts import install as install_alerts

    install_alerts(window)  # the rules' alerts and the zones on the map (console/alerts)
    from console.cases import install as install_cases

    install_cases(window)  # the enforcement cases: list, deadlines, detail, a case officer's steps (console/cases)
    from console.evidence import install as install_evidence

    install_evidence(window)  # View → Video evidence, Cameras on the map (console/evidence)
    install_control_room(window, args)  # alarm sounds and their mute, shortcuts, Ctrl+K (console/sound, keyboard)
    show_feed_problem(args, window)
    arrange(args, window)
    # a seat with urgent cases open asks before it closes; a timed run (--screenshot, the bench's probe)
    # quits by itself (Qt's quit() closes the windows, which would ask)
    window.confirm_quit = not (args.screenshot or args.startup_probe or args.wall or args.run_for is not None)
    window.remember_layout = not (args.screenshot or args.startup_probe)
    if args.tab and not window.show_side_tab(args.tab):
        log.warning("no %s tab in this console (e.g. --no-hub leaves out the field link)", args.tab)
    window.show_at_start(maximize=not (args.screenshot or args.startup_probe))
    from dispatch.record import retention
    from dispatch.runtime import tune_runtime

    thinning = retention.start(session.core)  # a console keeping its own store thins its old fixes (an attached one: the hub)

    tune_runtime()  # start-up done: the long-lived heap out of the collector's way, the GIL handed over promptly

    ending = timed_end(args, app, window)  # --screenshot, --run-for
    window.map.ready.connect(lambda: log.info("map ready %.2f s after launch", time.time() - started))
    if args.startup_probe:
        _probe_first_frame(window, app)
    app.exec()
    from shiboken6 import delete

    delete(window)  # web pages go before their shared profile (Qt warns otherwise)
    if thinning is not None:
        thinning.stop()
    if gateway is not None:
        gateway.stop()
    if hub is not None:
        hub.stop()
    if open311 is not None:
        open311.stop()
    _record_seat(session, "operator.logout")
    session.close()
    return ending["code"]


def timed_end(args: argparse.Namespace, app, window) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """--screenshot: the picture once the map is ready, after --run-for seconds (default 5), then quit (code 1 if it
    could not be written); --run-for alone: close the window after that long, as File → Quit does. The exit code is
    in the returned dict's "code" once the application has quit."""
    from PySide6.QtCore import QTimer

    ending = {"code": 0}
    if args.screenshot:
        from console.screenshot import take_when_ready

        def done(ok: bool) -> None:
            ending["code"] = 0 if ok else 1
            app.quit()

        run_for = 5.0 if args.run_for is None else args.run_for
        QTimer.singleShot(int(max(0.0, run_for) * 1000), lambda: take_when_ready(window, args.screenshot, done))
    elif args.run_for is not None:
        QTimer.singleShot(int(max(0.0, args.run_for) * 1000), window.close)
    return ending


def _record_seat(session, kind: str) -> None:  # type: ignore[no-untyped-def]
    """Logins and logouts of the seat go into the log like every other action."""
    import platform

    from console.operations import seat_actor
    from dispatch.store import NewEvent

    try:
        session.core.record(seat_actor(), [NewEvent(kind, {"host": platform.node(), "store": session.url.split("@")[-1]},
                                                     seat_actor())])
    except Exception:  # a seat that cannot write its login still shows the map
        log.exception("could not record %s", kind)


def _start_open311(args: argparse.Namespace, session, window):  # type: ignore[no-untyped-def]
    """The Open311 endpoint and citizen page, when asked for. A taken port is a warning, not a crash."""
    if not args.open311_bind:
        return None
    from dispatch.citizens import start_open311

    try:
        server = start_open311(session.core, args.open311_bind)
    except (OSError, ValueError, RuntimeError) as exc:
        msg = window.tr("Open311 endpoint not started: %1").replace("%1", str(exc))
        log.warning("Open311 endpoint not started on %s: %s", args.open311_bind, exc)
        window.statusBar().showMessage(msg, 15000)
        return None
    log.info("Open311 endpoint and citizen page on %s", server.url)
    return server


def _start_hub(args: argparse.Namespace, session, window):  # type: ignore[no-untyped-def]
    """The single-seat hub inside the console. A taken port is a warning, not a crash."""
    from dispatch.hub import DEFAULT_CONTROL_BIND, DEFAULT_FIELD_BIND, start_hub

    field, control = args.field_bind or DEFAULT_FIELD_BIND, args.control_bind or DEFAULT_CONTROL_BIND
    try:
        hub = start_hub(session.core, field, control, owner=True)
    except Exception as exc:
        msg = window.tr("Field hub not started: %1").replace("%1", str(exc))
        log.warning("field hub not started on %s / %s: %s", field, control, exc)
        window.statusBar().showMessage(msg, 30000)
        return None
    log.info("field hub on %s, control on %s", getattr(hub, "field_endpoint", field),
             getattr(hub, "control_endpoint", control))
    from console.field_link.panel import HubPanel

    panel = HubPanel(session.core, hub=hub, parent=window)  # presence, delivery, messages, broadcast
    window.add_side_tab(panel, panel.tr("Field link"), "field")
    window.hub_panel = panel
    window.watch_field_link(panel)  # a message from a unit: status bar, beep, unread count on the tab
    return hub


def _start_gateway(args: argparse.Namespace, session, window):  # type: ignore[no-untyped-def]
    """The JT/T 808 gateway inside the console (--jt808-bind). A taken port is a warning, not a crash."""
    bind = getattr(args, "jt808_bind", None)
    if not bind:
        return None
    from dispatch.jt808 import start_gateway

    try:
        return start_gateway(session.core, bind)
    except (OSError, ValueError) as exc:
        log.warning("JT/T 808 gateway not started on %s: %s", bind, exc)
        window.statusBar().showMessage(window.tr("JT/T 808 gateway not started: %1").replace("%1", str(exc)), 30000)
        return None


def _probe_first_frame(window, app) -> None:  # type: ignore[no-untyped-def]
    """Bench: print seconds from launch (BENCH_LAUNCH_TS) to the first map frame with units painted."""
    import os

    from PySide6.QtCore import QTimer

    launched = float(os.environ.get("BENCH_LAUNCH_TS", "0")) or time.time()

    def check() -> None:
        if not window.map.is_ready:
            QTimer.singleShot(20, check)
            return

        def answer(n: object) -> None:
            if isinstance(n, (int, float)) and n > 0:
                print(f"STARTUP {time.time() - launched:.3f}", flush=True)
                app.quit()
            else:
                QTimer.singleShot(20, check)

        # counted by the drawing pass itself: the units were painted, not only received
        window.map.evaluate("ConsoleUnits.framesWithUnits()", answer)

    check()
