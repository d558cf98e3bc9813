"""`python main.py --screenshot FILE --run-for N` on the demo city: a real process, a real picture."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]


def test_demo_run_writes_a_live_screenshot_and_stores_fixes(tmp_path, qapp) -> None:  # type: ignore[no-untyped-def]
    shot, db = tmp_path / "shot.png", tmp_path / "demo.db"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    p = subprocess.run(
        [sys.executable, "main.py", "--db", f"sqlite:///{db}", "--screenshot", str(shot), "--run-for", "6",
         "--lang", "zh_CN", "--tab", "units"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    img = QImage(str(shot))
    assert not img.isNull() and img.width() >= 800 and img.height() >= 500
    colours = {img.pixel(x, y) & 0xF0F0F0 for y in range(0, img.height(), 4) for x in range(0, img.width(), 4)}
    assert len(colours) >= 40, "the window looks blank"
    # the river is drawn: plenty of its blue in the map area
    blue = sum(1 for y in range(0, img.height(), 4) for x in range(0, img.width() * 2 // 3, 4)
               if (img.pixel(x, y) & 0xFFFFFF) == 0x9CC9EC)
    assert blue > 200, f"no river on the map ({blue} river pixels)"
    con = sqlite3.connect(db)
    kinds = dict(con.execute(
        "select json_extract(payload, '$.kind'), count(*) from events where kind='unit.registered' group by 1"))
    assert kinds == {"patrol_boat": 8, "cleaning_vessel": 6, "officer": 30, "truck": 40}
    reports = con.execute("select count(*) from events where kind='incident.created' and actor='system:demo'")
    assert reports.fetchone()[0] >= 4 + 40  # the demo's first launch files its past week and its open reports
    # the past week comes first, before the seat's login, so the log's times follow its order (replay, audit)
    rows = con.execute("select seq, ts, kind from events order by seq").fetchall()
    assert all(a[1] <= b[1] for a, b in zip(rows, rows[1:], strict=False))
    assert rows[0][2] == "unit.registered" and rows[-1][1] - rows[0][1] > 6 * 86400
    login = next(r for r in rows if r[2] == "operator.login")
    assert login[1] > rows[0][1] + 6 * 86400
    fixes = con.execute("select count(distinct unit_id), count(*) from fixes").fetchone()
    assert fixes[0] >= 80 and fixes[1] >= 200


def test_the_wall_at_night_from_the_command_line(tmp_path, qapp) -> None:  # type: ignore[no-untyped-def]
    """`--wall --theme dark`: the whole screen, dark, the counters at the top; nothing remembered of the run."""
    shot, db, config = tmp_path / "wall.png", tmp_path / "wall.db", tmp_path / "config"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(config))
    p = subprocess.run(
        [sys.executable, "main.py", "--db", f"sqlite:///{db}", "--screenshot", str(shot), "--run-for", "5",
         "--lang", "en", "--wall", "--theme", "dark"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    img = QImage(str(shot))
    screen = qapp.primaryScreen().geometry()  # the offscreen platform's screen, as the child had it
    assert (img.width(), img.height()) == (screen.width(), screen.height())

    def luminance(px: int) -> float:
        return (0.2126 * ((px >> 16) & 255) + 0.7152 * ((px >> 8) & 255) + 0.0722 * (px & 255)) / 255

    samples = [luminance(img.pixel(x, y)) for y in range(0, img.height(), 6) for x in range(0, img.width(), 6)]
    assert sum(samples) / len(samples) < 0.15, "the night wall is not dark"
    saved = "".join(f.read_text(encoding="utf-8") for f in config.rglob("*.conf"))
    assert "[window]" not in saved  # a timed run leaves the user's arrangement alone


def test_a_taken_hub_port_is_a_warning_and_the_console_still_runs_and_ends(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Another program holds the field port, then the control port: the console says so, runs, and exits
    (a hub that failed to bind once left its sockets open and the process never ended)."""
    import socket

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    busy = f"tcp://127.0.0.1:{taken.getsockname()[1]}"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    try:
        for field, control in ((busy, "tcp://127.0.0.1:0"), ("tcp://127.0.0.1:0", busy)):
            shot = tmp_path / "shot.png"
            p = subprocess.run(
                [sys.executable, "main.py", "--db", f"sqlite:///{tmp_path / 'busy.db'}", "--screenshot", str(shot),
                 "--run-for", "2", "--field-bind", field, "--control-bind", control],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=90,
            )
            assert p.returncode == 0, p.stderr[-2000:]
            assert "field hub not started" in p.stderr and "Address already in use" in p.stderr
            assert not QImage(str(shot)).isNull()
    finally:
        taken.close()
