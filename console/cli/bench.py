"""`python main.py bench [--quick] [--json FILE] [--only NAME ...] [--soak SECONDS]`: speed figures beside their peers."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

TARGETS = {  # figure: (op, target) — the issues' targets, checked and shown beside the figures
    "map_update_ms_p95": ("<=", 16), "startup_s": ("<=", 4), "ingest_fixes_per_s": (">=", 50000),
    "recommend_ms_p95": ("<=", 20), "field_rtt_ms_p99": ("<=", 2), "field_broadcast_1000_ms": ("<=", 250),
    "replay_seek_ms_p95": ("<=", 100), "dashboard_refresh_ms": ("<=", 500), "rules_ingest_ratio": (">=", 0.8),
    "ingest_executemany_ratio": (">=", 0.333),
    "multiseat_propagation_ms_p95": ("<=", 200), "startup_history_s": ("<=", 3), "soak_rss_growth_mb_per_h": ("<=", 5),
    "jt808_terminals": (">=", 5000), "jt808_fix_latency_ms_p99": ("<=", 50), "replay_bytes_per_fix": ("<=", 32),
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true", help="smaller samples (a few minutes in all)")
    p.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    p.add_argument("--only", nargs="*", metavar="NAME", help="run only these sections (a capability's bench.py, e.g. feeds, hub, record, or a module of console/bench/)")
    p.add_argument("--soak", type=float, metavar="SECONDS",
                   help="run only the soak (a hub under a city's load, watched for growth) for SECONDS, "
                        "after a warm-up of about nine minutes under the same load (console/bench/soak.py says "
                        "why); the full bench runs it for ten minutes, --quick not at all")
    p.add_argument("--module", help=argparse.SUPPRESS)  # internal: run one module in this process


def _warm_bytecode() -> bool:
    """Compile the program's own modules into their bytecode cache before anything is timed.

    A console starts from that cache (Python writes it at the first start, pip at an install), so the
    start-up figures time a start, not the first one after a checkout. It is done here, explicitly, because
    an environment may say PYTHONDONTWRITEBYTECODE=1 (this project's development machines do), and then
    every start would compile every module again: 0.3-0.5 s of each start-up figure."""
    import compileall

    ok = True
    for name in ("dispatch", "devices", "console"):  # (main.py runs as a script: never from the cache)
        ok &= bool(compileall.compile_dir(str(ROOT / name), quiet=1, workers=1))
    return ok


def run(args: argparse.Namespace) -> int:
    if args.module:
        import importlib

        from console.bench import modules

        result = importlib.import_module(modules()[args.module]).run(args.quick)
        print("BENCH-RESULT " + json.dumps(result))
        return 0
    from console.bench import modules

    known = modules()
    unknown = [n for n in args.only or () if n not in known]
    if unknown:
        print(f"bench: no section {', '.join(unknown)}; known: {', '.join(known)}", file=sys.stderr)
        return 2
    names = args.only or list(known)
    if args.soak:
        names = ["soak"]
    cached = _warm_bytecode()
    sections: dict[str, Any] = {}
    failures = 0
    for name in names:
        started = time.time()
        print(f"== {name} ...", file=sys.stderr, flush=True)
        env = dict(os.environ)
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        if args.soak:
            env["BENCH_SOAK_S"] = str(args.soak)
        p = subprocess.run([sys.executable, str(ROOT / "main.py"), "bench", "--module", name]
                           + (["--quick"] if args.quick else []),
                           cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=1200 + (args.soak or 0))
        line = next((ln for ln in p.stdout.splitlines() if ln.startswith("BENCH-RESULT ")), None)
        if p.returncode != 0 or line is None:
            failures += 1
            sections[name] = {"error": (p.stderr or p.stdout).strip()[-500:]}
            print(f"   {name} FAILED: {(p.stderr or p.stdout).strip()[-300:]}", file=sys.stderr)
            continue
        sections[name] = json.loads(line.removeprefix("BENCH-RESULT "))
        sections[name]["seconds"] = round(time.time() - started, 1)
    report = {
        "quick": bool(args.quick),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
                    "bytecode_cached": cached},
        "figures": sections,
    }
    for name, figs in sections.items():
        print(f"[{name}]")
        for k, v in figs.items():
            mark = ""
            if k in TARGETS and isinstance(v, (int, float)):
                op, target = TARGETS[k]
                ok = v <= target if op == "<=" else v >= target
                mark = f"   (target {op} {target}: {'met' if ok else 'MISSED'})"
            print(f"  {k:34s} {v}{mark}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return 1 if failures else 0
