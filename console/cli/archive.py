"""`python main.py archive verify FILE.zip [--json]`: check a case dossier (档案) on its own.

The four checks of archive practice: authenticity (真实性), integrity (完整性), usability (可用性) and
security (安全性) (dispatch/cases/verify.py). Exit 0 when all pass; 1 naming every file that fails and why;
3 when the file cannot be read at all.
"""

from __future__ import annotations

import argparse
import json
import sys

NAMES = {"security": "安全性 security", "integrity": "完整性 integrity", "authenticity": "真实性 authenticity",
         "usability": "可用性 usability"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="archive_command", metavar="COMMAND", required=True)
    v = sub.add_parser("verify", help="check a dossier: authenticity, integrity, usability, security")
    v.add_argument("file", metavar="FILE.zip")
    v.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dispatch.cases.verify import CHECKS, verify

    if not Path(args.file).is_file():
        print(f"error: cannot read {args.file}: no such file", file=sys.stderr)
        return 3
    rep = verify(args.file)
    if args.json:
        print(json.dumps(rep.as_dict(), ensure_ascii=False))
    else:
        print(f"dossier {args.file}: case {rep.case}, {rep.files} files, log head {rep.head_hash[:16]}")
        for c in CHECKS:
            probs = rep.problems[c]
            print(f"  {NAMES[c]}: {'ok' if not probs else 'FAILED'}")
            for p in probs:
                print(f"    {p['file']}: {p['message']}")
    if not rep.ok:
        print(f"archive verify: FAILED: {', '.join(rep.failed_files)}", file=sys.stderr)
        return 1
    return 0
