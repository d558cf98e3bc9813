"""The Alerts tab and the zones layer in the real main window (real core on a tmp SQLite store, the real map
page offscreen): a truck's stop in a field appears, severe first; acknowledged with a note; made an incident
with its track; the zones and the open alerts are drawn on the map; every label ships in Chinese too."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from console import operations
from console.alerts import install
from console.alerts.words import RULES, SEVERITIES, STATES, ZONE_KINDS
from console.main_window import MainWindow
from dispatch import ops
from dispatch.city.data import load_city
from tests.conftest import page_js as js
from tests.rules.helpers import line, local_ts, make_core, rows, setup_city, stay


@pytest.fixture
def seat(qtbot, tmp_path):  # type: ignore[no-untyped-def]
    core = make_core(tmp_path)
    setup_city(core)
    operations.set_core(core)
    w = MainWindow(core, load_city().geojson(), lang="en", store_label="test", push_interval_ms=100)
    w.slow_timer.stop()
    view = install(w)
    w.show()
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.map.is_ready, timeout=20000)
    yield w, view, core
    view.close()
    w.close()
    core.close()


def test_alerts_tab_acknowledge_and_incident(qtbot, seat):  # type: ignore[no-untyped-def]
    w, view, core = seat
    assert w.show_side_tab("alerts")
    qtbot.waitUntil(lambda: js(qtbot, w.map, "ConsoleZones.count()") == 7, timeout=10000)
    # a route's corridor is drawn above the city's roads (which would hide it), the areas below them: the order
    # in which the map's canvas draws its paths
    order = js(qtbot, w.map, """(function () {
        var m = window.consoleMap, rs = [];
        m.eachLayer(function (l) { if (l._renderer && rs.indexOf(l._renderer) < 0) rs.push(l._renderer); });
        var names = [];
        rs.forEach(function (r) { for (var o = r._drawFirst; o; o = o.next) names.push(o.layer.options.className || ''); });
        var city = names.map(function (n, i) { return /zone-|alert-mark/.test(n) ? -1 : i; });
        var at = function (k) { return names.indexOf(k); };
        return [rs.length, Math.max.apply(null, city), at('zone-route'), at('zone-construction_site')];
    })()""")
    assert order[0] == 1 and order[2] > order[1] > order[3] >= 0, order
    t = local_ts("2026-12-03 10:00")
    core.ingest(rows("truck-01", line(t, (-200, 0), (1500, 700), 10.0) + stay(t + 200, (1500, 700), 20 * 60)))
    core.ingest(rows("boat-02", [(t + i, -1000.0, 3500.0, 1.0) for i in range(3)]))
    ops.call(core, "rules.sweep", {"now": t + 3000}, actor="t")  # boat-02 and the truck went silent
    panel = view.panel
    qtbot.waitUntil(lambda: panel.table.rowCount() == 3, timeout=10000)
    assert [panel.table.item(r, 1).text() for r in range(3)] == ["Suspected dumping", "Silent unit", "Silent unit"]
    assert panel.table.item(0, 5).toolTip() == panel.table.item(0, 5).text() != ""  # whole, when the column cuts it
    assert panel.table.item(0, 0).text() == "High"
    qtbot.waitUntil(lambda: js(qtbot, w.map, "ConsoleAlerts.count()") == 3, timeout=10000)
    panel.table.selectRow(0)
    panel.note.setText("已派人核查")
    panel.acknowledge()
    qtbot.waitUntil(lambda: panel.table.item(0, 4).text() == "Acknowledged", timeout=10000)
    made: list[int] = []
    panel.incident_made.connect(made.append)
    panel.table.selectRow(0)
    panel.make_incident()
    qtbot.waitUntil(lambda: bool(made), timeout=10000)
    inc = ops.call(core, "incident.show", {"incident_id": made[0]}, actor="t")
    assert inc["category"] == "illegal_dumping" and inc["attachments"][0]["name"].endswith("-track.geojson")
    # its text: the alert as the Alerts tab says it (the rule, the truck by its plate, the sentence)
    assert re.fullmatch(r"Suspected dumping · 桂B00001 · stopped \d+ min outside every construction and disposal "
                        r"site", inc["text"]), inc["text"]
    qtbot.waitUntil(lambda: panel.table.item(0, 4).text() == "Made incident", timeout=10000)
    panel.table.clearSelection()
    panel.acknowledge()
    assert panel.message.text() == "Select an alert first"


def test_every_alert_label_ships_in_chinese():
    zh = json.loads((Path(__file__).resolve().parents[2] / "resources/i18n/zh_CN.json").read_text(encoding="utf-8"))
    for table in (RULES, STATES, SEVERITIES, ZONE_KINDS):
        missing = [v for v in table.values() if v not in zh]
        assert not missing, missing
    src = (Path(__file__).resolve().parents[2] / "console/alerts/panel.py").read_text(encoding="utf-8")
    import re

    for s in re.findall(r'self\.tr\("([^"]+)"\)', src):
        assert s in zh, s
