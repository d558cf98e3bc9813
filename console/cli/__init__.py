"""Command-line interface: one module per subcommand, each with add_arguments() and run().

Modules are imported lazily so that `decode` or `ctl` never pay for Qt.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

# name -> (module, one-line help). Each module defines add_arguments(parser) and run(args) -> int.
COMMANDS: dict[str, tuple[str, str]] = {
    "gui": ("console.cli.gui", "open the console (the default)"),
    "ctl": ("console.cli.ctl", "run core operations on a store (--db) or a running hub (--hub)"),
    "ingest": ("console.cli.ingest", "feed a recorded NMEA log of one unit through decoding, rules and the store"),
    "decode": ("console.cli.decode", "decode NMEA/AIS text into gpsd-style JSON, one object per report"),
    "devices": ("console.cli.devices", "list serial ports with what can be told of each"),
    "record": ("console.cli.record", "record raw sentences from a serial port with receive times"),
    "simulate": ("console.cli.simulate", "virtual serial ports speaking NMEA at a real baud rate"),
    "db": ("console.cli.db", "the store's schema: upgrade it in place (db upgrade) or show its revision (db current)"),
    "audit": ("console.cli.audit", "check the event log's hash chain and the attachments (audit verify)"),
    "archive": ("console.cli.archive", "check a case dossier (archive verify FILE.zip): the four archive checks"),
    "replay": ("console.cli.replay", "open an exported replay file in the replay window"),
    "bench": ("console.cli.bench", "run the benchmark and print its figures beside their peers"),
    "hub": ("console.cli.hub", "run the hub headless: field units over ZeroMQ and the control endpoint"),
    "keys": ("console.cli.keys", "create, revoke and list field units' CURVE keys"),
    "field": ("console.cli.field", "the field client of a boat crew or an officer (--headless for tests)"),
    "report": ("console.cli.report", "write the shift report of a period (HTML, or PDF by Qt)"),
}


def _gui_arguments(parser: argparse.ArgumentParser) -> None:
    importlib.import_module("console.cli.gui").add_arguments(parser)


GLOBAL_OPTIONS = ("-v", "--verbose")  # options of main.py itself, given before any subcommand


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with ``only`` a known subcommand's alone (the others' modules are not
    imported: `decode` starts without loading ctl's, hub's or the console's)."""
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="City and waterway command console (Liuzhou). Without a subcommand it opens the console.",
    )
    # its own name: a subcommand's defaults would overwrite a shared one ("-v gui" would not be verbose)
    parser.add_argument("-v", "--verbose", dest="global_verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        if only is not None and name != only:
            continue
        p = sub.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(module).add_arguments(p)
    return parser


def parse_args(argv: list[str]) -> argparse.Namespace:
    """main.py's arguments. Global options may come before a subcommand (`-v devices`); no subcommand
    (or only the console's options) means the console itself. `verbose` is set by -v in either place."""
    argv = list(argv)
    i = 0
    while i < len(argv) and argv[i] in GLOBAL_OPTIONS:
        i += 1
    rest = argv[i:]
    if not rest or rest[0].startswith("-") and rest[0] not in ("-h", "--help"):
        argv = [*argv[:i], "gui", *rest]
    command = argv[i] if i < len(argv) else None
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    args.verbose = bool(args.global_verbose or getattr(args, "verbose", False))
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    quiet = args.command not in ("gui", "hub", "field", "simulate", "record")
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else (logging.WARNING if quiet else logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `main.py ctl units | head`
        sys.stderr.close()
        return 0
