"""What the Alerts tab says of an alert (console/alerts/describe.py): every rule's alert, raised by the real
rules on real tracks, in the operator's language with the values the rule found; its unit by its name."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from console import catalogue as i18n
from console.alerts.describe import describe, unit_text
from dispatch import ops
from tests.rules.helpers import line, local_ts, make_core, rows, setup_city, stay

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def alerts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    core = make_core(tmp_path_factory.mktemp("describe"))
    try:
        setup_city(core)
        t = local_ts("2026-12-03 07:30")
        # truck-02 on its route at 54 km/h (limit 40), then off it through the school at school time
        core.ingest(rows("truck-02", line(t, (-100, 0), (1000, 0), 15.0) + line(t + 80, (1000, 0), (1200, 700), 8.0)
                         + line(t + 170, (1200, 700), (1200, 1500), 8.0)))
        core.ingest(rows("truck-03", line(t, (0, -2000), (2000, -2000), 10.0)))  # a night-only truck by day
        core.ingest(rows("truck-04", line(t, (0, -3000), (500, -3000), 10.0)))  # its company's permit ran out
        core.ingest(rows("truck-01", line(t, (-200, -500), (1500, -500), 10.0) + stay(t + 200, (1500, -500), 20 * 60)))
        core.ingest(rows("boat-01", line(t, (-1000, 2500), (1500, 2500), 5.0)))  # out of its patrol area
        ops.call(core, "rules.sweep", {"now": t + 4000}, actor="t")  # and then everyone fell silent
        got = {}
        for a in ops.call(core, "alerts", {}, actor="dispatcher:test"):
            got.setdefault(a["rule"], a)
        return got
    finally:
        core.close()


def test_every_rule_says_its_values_in_chinese_and_in_english(alerts: dict[str, dict[str, Any]],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    rules = {"speeding", "corridor_deviation", "restricted_entry", "outside_hours", "permit_expired",
             "suspected_dumping", "left_patrol_area", "stale"}  # protection zones: AIS contacts' (tests/rules)
    assert rules <= set(alerts), sorted(alerts)
    monkeypatch.setattr(i18n, "_catalogue", i18n.load_catalogue("zh_CN"))
    zh = {r: describe(alerts[r]) for r in rules}
    monkeypatch.setattr(i18n, "_catalogue", {})
    en = {r: describe(alerts[r]) for r in rules}
    for r in rules:
        assert not re.search(r"[A-Za-z]{3,}", zh[r].replace("truck-", "")), (r, zh[r])  # no English left
        assert en[r] != zh[r] and alerts[r]["detail"] not in zh[r]
    assert zh["speeding"] == "时速 54 公里，限速 40 公里（A到消纳场）"
    assert zh["restricted_entry"] == "在禁行时段（07:00-09:00）驶入实验小学"
    assert zh["outside_hours"] == "桂B00003 在准运时段（22:00-06:00）外行驶"
    assert zh["permit_expired"] == "桂B00004：企业许可已于 2026-06-30 到期"  # as the truck card says it
    assert re.fullmatch(r"偏离A到消纳场 \d+ 米", zh["corridor_deviation"]), zh["corridor_deviation"]
    assert re.fullmatch(r"在工地和消纳场以外停留 \d+ 分钟", zh["suspected_dumping"])
    assert en["permit_expired"] == "桂B00004: Company permit expired 2026-06-30"
    assert unit_text(alerts["permit_expired"]) == "桂B00004"  # a truck by its plate


def test_an_alert_without_values_says_its_recorded_detail() -> None:
    """Alerts recorded before the rules gave their values, and the terminals' own alarms."""
    old = {"rule": "corridor_deviation", "zone_name": "A到消纳场", "detail": "412 m outside the corridor of A到消纳场",
           "unit_id": "truck-02"}
    assert describe(old) == "A到消纳场 · 412 m outside the corridor of A到消纳场"
    assert unit_text(old) == "truck-02"
    assert describe({**old, "args": {"metres": 412}}) == describe(old)  # values it cannot read: the detail


def test_every_sentence_ships_in_chinese() -> None:
    zh = json.loads((ROOT / "resources/i18n/zh_CN.json").read_text(encoding="utf-8"))
    src = (ROOT / "console/alerts/describe.py").read_text(encoding="utf-8")
    sentences = re.findall(r'"([^"]*%1[^"]*)"', src)
    assert len(sentences) >= 12
    assert [s for s in sentences if s not in zh] == []
