"""Qt Multimedia's backend is loaded before the console's Python translator is installed (console/app.py,
start_media_backend): loading it runs the dynamic loader's initialisers, which report a missing optional library
through tr(); with a Python translator in place that call waited for the GIL inside the loader's lock while a
worker importing an extension module held the GIL and waited for that lock (an attached console hung, its window
half built). A fresh process, since the backend loads once per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json
from console import i18n
seen = {}
real_install = i18n.install

def install(app, lang):
    seen["maps"] = open("/proc/self/maps").read()
    real_install(app, lang)

i18n.install = install
from console.app import create_app
create_app(lang="zh_CN")
from PySide6.QtCore import QCoreApplication
print(json.dumps({"plugin_before_translator": "libffmpegmediaplugin" in seen["maps"],
                  "translated": QCoreApplication.translate("x", "Dashboard")}))
"""


def test_the_media_backend_is_loaded_before_the_python_translator() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["plugin_before_translator"], "Qt Multimedia's backend was loaded after the translator"
    assert got["translated"] == "统计看板"  # and the translator is installed all the same
