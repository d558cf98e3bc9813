"""The incident's Citizens tab in the real Qt widgets (offscreen): the dispatcher previews the public note,
nothing is sent until Publish, then the citizen's GET shows it."""

from __future__ import annotations

from console import operations
from console.incidents.citizens_tab import CitizensTab
from dispatch import ops


def test_preview_then_publish_a_public_note(qtbot, core, api_key):
    from dispatch.citizens.ops import file_request

    rid = file_request(core, "citizen:test", {"service_code": "illegal_dumping", "lat": 24.3, "long": 109.4,
                                              "phone": "13800138000"}, key_name="city-app", source="app")["service_request_id"]
    operations.set_core(core)
    tab = CitizensTab()
    qtbot.addWidget(tab)
    tab.show_incident(int(rid))
    qtbot.waitUntil(lambda: tab.last is not None and tab.last["citizens"] == 1, timeout=10000)
    assert "已受理" in tab.view.toPlainText() and "13800138000" not in tab.view.toPlainText()
    tab.note.setText("明天上午清运")
    tab.preview_button.click()
    qtbot.waitUntil(lambda: "明天上午清运" in tab.view.toPlainText(), timeout=10000)
    assert "not sent" in tab.state.text()
    assert ops.call(core, "citizens.request", {"request_id": rid}, actor="t")["status_notes"] != "明天上午清运"
    with qtbot.waitSignal(tab.status_message, timeout=10000):
        tab.publish_button.click()
    assert ops.call(core, "citizens.request", {"request_id": rid}, actor="t")["status_notes"] == "明天上午清运"
    assert tab.note.text() == ""


def test_a_citizens_follow_up_shows_on_the_tab_for_the_dispatcher(qtbot, core, api_key):
    from dispatch.citizens.comments import comment_on_request
    from dispatch.citizens.ops import file_request

    rid = file_request(core, "citizen:test", {"service_code": "illegal_dumping", "lat": 24.3, "long": 109.4},
                       key_name="city-app", source="app")["service_request_id"]
    comment_on_request(core, "citizen:city-app", {"service_request_id": rid, "description": "又来倒了一车",
                                                  "status": "OPEN", "first_name": "王", "phone": "13800138000"},
                       key_name="city-app")
    operations.set_core(core)
    try:
        tab = CitizensTab()
        qtbot.addWidget(tab)
        tab.show_incident(int(rid))
        qtbot.waitUntil(lambda: "又来倒了一车" in tab.view.toPlainText(), timeout=10000)
        text = tab.view.toPlainText()
        assert "Follow-ups from citizens (1)" in text and "王 · says it is still open: 又来倒了一车" in text
        assert "13800138000" not in text
    finally:
        operations.set_core(None)


def test_the_incidents_citizens_tab_counts_the_follow_ups(qtbot, core, api_key):
    from console.incidents.detail import IncidentDetail
    from dispatch.citizens.comments import comment_on_request
    from dispatch.citizens.ops import file_request

    rid = file_request(core, "citizen:test", {"service_code": "illegal_dumping", "lat": 24.3, "long": 109.4},
                       key_name="city-app", source="app")["service_request_id"]
    other = file_request(core, "citizen:test", {"service_code": "illegal_dumping", "lat": 24.35, "long": 109.45},
                         key_name="city-app", source="app")["service_request_id"]
    for text in ("还没清", "又多了"):
        comment_on_request(core, "citizen:city-app", {"service_request_id": rid, "description": text},
                           key_name="city-app")
    operations.set_core(core)
    try:
        detail = IncidentDetail()
        qtbot.addWidget(detail)
        tab = detail.tabs.indexOf(detail.citizens)
        detail.show_incident(int(rid))
        qtbot.waitUntil(lambda: detail.tabs.tabText(tab) == "Citizens (2 follow-ups)", timeout=10000)
        detail.show_incident(int(other))
        qtbot.waitUntil(lambda: detail.tabs.tabText(tab) == "Citizens", timeout=10000)
    finally:
        operations.set_core(None)
