"""The shift report from the command line: HTML that renders offline in a real browser engine with its charts
and map, the same figures as ctl stats, both languages, and a PDF."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.analytics.test_indicators import month
from tests.conftest import page_js
from tests.dispatch.incident_helpers import Clock, add_unit, make_core, river_point

ROOT = Path(__file__).resolve().parents[2]
T0 = 1_760_000_000.0


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    clock = Clock(T0)
    core = make_core(tmp, clock)
    add_unit(core, "boat-01", "patrol_boat", *river_point(0.3), name="巡逻艇01")
    add_unit(core, "boat-02", "patrol_boat", *river_point(0.5))
    add_unit(core, "officer-01", "officer", 24.33, 109.41)
    month(core, clock)
    from dispatch import ops

    ops.call(core, "shift.note", {"text": "交班：柳江第3段漂浮物多"}, actor="shift_lead:li")
    core.flush()
    url = core.store.url
    core.close()
    return url, tmp


def main(*args):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_report_html_matches_ctl_stats_and_renders_offline(store, qtbot):
    url, tmp = store
    period = ["--from", "2025-10-01T00:00:00Z", "--to", "2025-11-01T00:00:00Z"]
    p = main("report", "--db", url, *period, "--out", str(tmp / "r.html"), "--lang", "zh_CN")
    assert p.returncode == 0, p.stderr
    page = (tmp / "r.html").read_text(encoding="utf-8")
    s = json.loads(main("ctl", "--db", url, "--json", "stats", *period).stdout)["total"]
    figs = dict(re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td></tr>", page))
    assert figs["立案数"] == str(s["filed"]) == "7"
    assert figs["结案数"] == str(s["closed"]) and figs["按期结案数"] == str(s["closed_on_time"])
    assert "交班：柳江第3段漂浮物多" in page
    assert "<td>巡逻艇01</td>" in page and "<td>boat-01</td>" not in page  # the by-unit table names the unit
    assert "<td>（未派遣）</td>" in page  # and the reports no unit was sent to (rejected, waiting) say so
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing to fetch: it opens offline

    from PySide6.QtCore import QUrl
    from PySide6.QtWebEngineWidgets import QWebEngineView

    view = QWebEngineView()
    qtbot.addWidget(view)
    loaded = []
    view.loadFinished.connect(loaded.append)
    view.load(QUrl.fromLocalFile(str(tmp / "r.html")))
    qtbot.waitUntil(lambda: bool(loaded), timeout=20000)
    assert loaded == [True]

    class V:  # page_js wants an object with evaluate(script, callback)
        def evaluate(self, script, cb):
            view.page().runJavaScript(script, 0, cb)

    imgs = page_js(qtbot, V(), "Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
    assert len(imgs) >= 3 and all(ok and w > 100 for ok, w in imgs)
    assert page_js(qtbot, V(), "document.querySelectorAll('svg.map circle').length") == 9
    assert page_js(qtbot, V(), "document.querySelectorAll('svg.map path').length") > 10


def test_report_in_english_and_as_pdf(store):
    url, tmp = store
    period = ["--from", "2025-10-01T00:00:00Z", "--to", "2025-11-01T00:00:00Z"]
    p = main("report", "--db", url, *period, "--out", str(tmp / "r_en.html"), "--lang", "en")
    assert p.returncode == 0, p.stderr
    page = (tmp / "r_en.html").read_text(encoding="utf-8")
    assert "Shift report" in page and "Closed on time" in page and "立案" not in page
    p = main("report", "--db", url, *period, "--out", str(tmp / "r.pdf"))
    assert p.returncode == 0, p.stderr
    assert (tmp / "r.pdf").read_bytes()[:5] == b"%PDF-" and (tmp / "r.pdf").stat().st_size > 20_000
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp / "r.pdf").stat().st_mode & 0o777 == 0o666 & ~umask  # for the shared folder too, not 0600
    p = main("report", "--db", url, "--from", "2025-11-01T00:00:00Z", "--to", "2025-10-01T00:00:00Z", "--out",
             str(tmp / "x.html"))
    assert p.returncode == 2 and "ends before it starts" in p.stderr
