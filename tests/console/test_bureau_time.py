"""The console shows the bureau's time (China Standard Time) on a machine set to another zone: the incident
detail said "reported at 07:16" while the dashboard's hour chart, the shift report and the case documents put
the same report at 15 o'clock (dispatch/bureautime.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SHOWN = """
import time
from console.app import create_app
from console.incidents.common import clock_text
create_app(lang="en")
ts = 1764998193.0  # 2025-12-06 05:16:33 UTC
print(time.localtime(ts).tm_hour, clock_text(ts, with_date=True))
"""


def test_a_console_on_a_utc_machine_shows_beijing_time() -> None:
    env = {**os.environ, "TZ": "UTC", "QT_QPA_PLATFORM": "offscreen"}
    p = subprocess.run([sys.executable, "-c", SHOWN], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split("\n")[0] == "13 12-06 13:16:33"
