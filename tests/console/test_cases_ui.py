"""The Cases tab offscreen on a real core and SQLite store: the list with its countdowns, the overdue case red and
first, the limitation, the filter; a party masked for a role that may not see it; the detail's timeline,
documents and evidence; a step refused in the law's words (one officer, §42), then recorded with two from the
roster; a document issued and its PDF saved with the recorded hash; the tab in the main window with its badge;
every label in Chinese too."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from console import operations
from console.cases.common import DOCUMENTS, EVIDENCE_KINDS, FILTERS, OTHER_ACTS, countdown
from console.cases.panel import CasesPanel
from console.incidents.common import OVERDUE_BG
from tests.cases.helpers import DAY, Clock, call, make_core, roster
from tests.cases.test_procedure import open_case

ROOT = Path(__file__).resolve().parents[2]


def populate(core, clock):
    """Three cases: one overdue (preserved evidence not decided on in 7 working days), one filed, one closed."""
    late = open_case(core, party_type="person")["id"]
    call(core, "case.advance", case_id=late, step="filed")
    call(core, "case.advance", case_id=late, step="preservation", officers=["wang", "liu"], note="扣押渣土车一辆")
    filed = open_case(core)["id"]
    call(core, "case.advance", case_id=filed, step="filed")
    done = open_case(core, party_type="person", violation="CSRQ-002")["id"]
    call(core, "case.advance", case_id=done, step="on_the_spot", officers=["chen"], kind="warning")
    call(core, "case.advance", case_id=done, step="filed_record")
    call(core, "case.advance", case_id=done, step="closed")
    clock.t += 10 * DAY
    return late, filed, done


@pytest.fixture
def seat(qtbot, tmp_path):
    clock = Clock()
    core = make_core(tmp_path, clock)
    roster(core)
    ids = populate(core, clock)
    operations.set_core(core)
    yield core, clock, ids, tmp_path
    core.close()


@pytest.fixture
def console(qtbot, seat):
    """The console's window with the incident queue and detail and the case file, as `main.py` installs them."""
    from console.cases import install
    from console.incidents import install as install_workflow
    from console.main_window import MainWindow
    from dispatch.city.data import load_city

    w = MainWindow(seat[0], load_city().geojson(), lang="en", store_label="test", push_interval_ms=1000)
    w.slow_timer.stop()
    wf = install_workflow(w, timers=False)
    view = install(w)
    w.show()
    qtbot.addWidget(w)
    yield w, wf, view
    view.close()
    wf.close()
    w.close()


def texts(panel, col):
    return [panel.table.item(r, col).text() for r in range(panel.table.rowCount())]


def test_list_countdown_filter_detail_step_and_document(qtbot, seat):
    core, clock, (late, filed, done), tmp = seat
    panel = CasesPanel(core, clock=clock, check_deadlines=False)
    core.subscribe(panel.note_changes)  # as console.cases.install wires it
    qtbot.addWidget(panel)
    panel.resize(1000, 900)
    panel.show()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2 and bool(panel.counts), timeout=10000)
    assert texts(panel, 0) == [str(late), str(filed)]  # overdue first
    assert panel.table.item(0, 0).background().color() == OVERDUE_BG
    assert panel.table.item(1, 0).background().color() != OVERDUE_BG
    assert panel.counts == {"cases": 3, "open": 2, "overdue": 1, "closed": 1, "awaiting_approval": 0}
    assert "approval" not in panel.title.text()
    assert "1" in panel.title.text() and "overdue" in panel.title.text()
    assert panel.table.item(0, 1).text() == "张三丰"  # this seat's role handles cases: the party in full
    dl = texts(panel, 5)
    assert dl[0] == "Decision on preserved evidence -09:00:00"  # 7 working days (§56) ended last midnight
    assert dl[1].startswith("Decision 80 d ")  # 90 days from filing (§60), ten of them gone
    assert texts(panel, 6)[0].endswith("(filed)")
    before = panel.table.item(1, 5).text()
    clock.t += 61
    panel.tick()
    assert panel.table.item(1, 5).text() != before  # the countdown moves with the clock alone
    assert countdown(-(2 * DAY + 3600)) == "-2 d 01:00:00" and countdown(59) == "00:00:59"

    # a penalty outside the benchmark: the header counts it, and a filter lists what waits for the shift lead
    call(core, "case.penalty", case_id=filed, circumstance="minor", amount=99000, reason="拒不改正，情节恶劣，从重处罚")
    panel.refresh()
    qtbot.waitUntil(lambda: panel.counts.get("awaiting_approval") == 1, timeout=10000)
    assert panel.title.text().endswith(" · 1 awaiting approval")
    for key, want in (("closed", [str(done)]), ("all", sorted(map(str, (late, filed, done)))),
                      ("overdue", [str(late)]), ("approval", [str(filed)])):
        panel.filter.setCurrentIndex([k for k, _ in FILTERS].index(key))
        qtbot.waitUntil(lambda want=want: sorted(texts(panel, 0)) == want, timeout=10000)
    panel.filter.setCurrentIndex([k for k, _ in FILTERS].index("open"))
    qtbot.waitUntil(lambda: texts(panel, 0) == [str(late), str(filed)], timeout=10000)

    d = panel.detail
    panel.table.selectRow(0)
    qtbot.waitUntil(lambda: d.data is not None and d.data["id"] == late, timeout=10000)
    assert d.timeline.rowCount() == 3 and d.timeline.item(2, 3).text() == "王强、刘敏"
    assert "Decision on preserved evidence" in d.deadlines.text() and "color:#b71c1c" in d.deadlines.text()
    assert [d.step.itemData(i) for i in range(d.step.count())][:2] == ["inquiry", "inspection"]
    d.step.setCurrentIndex(d.step.findData("inquiry"))
    d.officer_a.setCurrentIndex(d.officer_a.findData("wang"))
    d.officer_b.setCurrentIndex(0)
    d.advance()
    qtbot.waitUntil(lambda: d.message.text().startswith("Refused:"), timeout=10000)
    assert "§42" in d.message.text() and d.timeline.rowCount() == 3
    d.officer_b.setCurrentIndex(d.officer_b.findData("zhou"))  # certificate lapsed in 2024
    d.advance()
    qtbot.waitUntil(lambda: "§55" in d.message.text(), timeout=10000)
    d.officer_b.setCurrentIndex(d.officer_b.findData("liu"))
    d.note.setText("询问驾驶员张某")
    d.advance()
    qtbot.waitUntil(lambda: d.timeline.rowCount() == 4, timeout=10000)
    assert d.timeline.item(3, 2).text() == "Inquiry" and "recorded" in d.message.text()
    assert call(core, "case.show", case_id=late)["acts"][-1]["officers"] == ["wang", "liu"]

    d.doc_kind.setCurrentIndex(d.doc_kind.findData("penalty_decision"))
    d.issue_document()
    qtbot.waitUntil(lambda: d.message.text().startswith("Refused:"), timeout=10000)
    assert "decision" in d.message.text()
    d.doc_kind.setCurrentIndex(d.doc_kind.findData("inquiry_record"))
    d.issue_document()
    qtbot.waitUntil(lambda: d.documents.rowCount() == 1, timeout=10000)
    number = d.documents.item(0, 0).text()
    assert number.startswith("柳城管询") and d.tabs.tabText(1) == "Documents (1)"
    d.documents.selectRow(0)
    out = tmp / "saved.pdf"
    d.save_selected_document(str(out))
    qtbot.waitUntil(lambda: out.exists() and "saved to" in d.message.text(), timeout=10000)
    recorded = call(core, "case.show", case_id=late)["documents"][0]["sha256"]
    assert out.read_bytes()[:5] == b"%PDF-" and hashlib.sha256(out.read_bytes()).hexdigest() == recorded
    assert d.documents.item(0, 3).toolTip() == recorded

    said: list[str] = []
    panel.status_message.connect(said.append)
    panel.check_deadlines()  # the escalation the seat's timer makes every minute
    qtbot.waitUntil(lambda: bool(said), timeout=10000)
    assert said == [f"⚠ Case {late}: Decision on preserved evidence overdue since 2025-03-12"]
    qtbot.waitUntil(lambda: d.timeline.item(d.timeline.rowCount() - 1, 2).text() == "Deadline missed", timeout=10000)
    panel.check_deadlines()  # once each
    qtbot.waitUntil(lambda: not panel._checking, timeout=10000)
    assert len(said) == 1
    panel.stop()
    core.unsubscribe(panel.note_changes)


def test_party_masked_for_a_role_that_may_not_see_it(qtbot, seat):
    core, clock, (late, _filed, _done), _ = seat
    core.operator = {"name": "screen", "role": "viewer"}  # as a console attached to a hub knows its operator
    panel = CasesPanel(core, clock=clock, check_deadlines=False)
    qtbot.addWidget(panel)
    assert not panel.reveal
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=10000)
    assert panel.table.item(0, 1).text() == "张**"
    panel.table.selectRow(0)
    qtbot.waitUntil(lambda: panel.detail.data is not None, timeout=10000)
    assert panel.detail.data["party"]["masked"] and "450202199001011234" not in panel.detail.header.text()
    panel.stop()


def test_cases_tab_in_the_main_window_with_its_overdue_badge(qtbot, seat):
    from console.cases import install
    from console.main_window import MainWindow
    from dispatch.city.data import load_city

    core, _clock, _ids, _ = seat
    w = MainWindow(core, load_city().geojson(), lang="en", store_label="test", push_interval_ms=1000)
    w.slow_timer.stop()
    view = install(w)
    qtbot.addWidget(w)
    assert w.show_side_tab("cases") and w.current_side_widget() is view.panel
    qtbot.waitUntil(lambda: w.side_title("cases") == "Case files (1)", timeout=10000)
    view.close()
    w.close()


def test_the_report_a_case_came_from_opens_beside_the_case_file(qtbot, seat, console):
    """The case header names the report the case was opened from as a link: clicked, the incident detail shows that
    report (closed ones too, with their history) and the map centres on it, while the case file stays in front."""
    core, _clock, (late, filed, _done), _ = seat
    iid = call(core, "case.show", case_id=late)["incident_id"]
    other = call(core, "case.show", case_id=filed)["incident_id"]
    assert None not in (iid, other) and iid != other
    w, wf, view = console
    assert w.show_side_tab("cases")
    detail = view.panel.detail
    detail.show_case(late)
    qtbot.waitUntil(lambda: detail.data is not None and detail.data["id"] == late, timeout=10000)
    assert f"href='incident:{iid}'" in detail.header.text()
    qtbot.waitUntil(lambda: other in wf.panel.model.index_of, timeout=10000)
    wf.panel.select_incident(other)  # the dispatcher's last pick
    qtbot.waitUntil(lambda: wf.panel.detail.incident_id == other, timeout=5000)
    with qtbot.waitSignal(wf.panel.incident_selected, timeout=5000) as picked:  # the map centres on it
        detail.header.linkActivated.emit(f"incident:{iid}")
    assert picked.args == [iid]
    qtbot.waitUntil(lambda: wf.panel.detail.incident_id == iid, timeout=5000)
    qtbot.waitUntil(lambda: wf.panel.detail.isVisible(), timeout=5000)
    assert view.panel.isVisible()  # the case file is still in front, not hidden behind the queue's tab


def test_the_incident_detail_names_the_cases_opened_from_it(qtbot, seat, console):
    """Under an incident's detail, the cases opened from it, each a link: clicked, the case file comes in front with
    that case selected, a closed case too (the list then shows every case); an incident with no case has no line."""
    core, _clock, (late, _filed, done), _ = seat
    closed_from = call(core, "case.show", case_id=done)["incident_id"]
    bare = call(core, "incident.create", category="floating_garbage", priority="P3", lat=24.32, lon=109.40,
                text="江面漂浮垃圾")["id"]
    w, wf, view = console
    line = view.incident_cases
    assert line is not None and w.show_side_tab("incidents")
    wf.panel.detail.show_incident(closed_from)
    qtbot.waitUntil(lambda: view.cases_read_for == closed_from, timeout=10000)
    assert line.isVisible()
    assert f"href='case:{done}'" in line.text() and f"Case {done}" in line.text()
    assert view.panel.filter.currentData() == "open"  # the closed case is not in the list as it is
    wf.panel.detail.show_incident(99999)  # a report that will not load: the last one's cases go at once
    assert line.isHidden()
    wf.panel.detail.show_incident(closed_from)
    qtbot.waitUntil(lambda: line.isVisible(), timeout=10000)
    view.panel.detail.show_case(late)
    qtbot.waitUntil(lambda: view.panel.detail.case_id == late, timeout=5000)
    line.linkActivated.emit(f"case:{done}")
    qtbot.waitUntil(lambda: view.panel.selected_case() == done, timeout=10000)
    assert view.panel.filter.currentData() == "all" and view.panel.isVisible()
    assert view.panel.detail.case_id == done
    wf.panel.detail.show_incident(bare)  # no case: the line goes
    qtbot.waitUntil(lambda: view.cases_read_for == bare, timeout=10000)
    assert line.isHidden()


def test_every_case_label_ships_in_chinese():
    zh = json.loads((ROOT / "resources/i18n/zh_CN.json").read_text(encoding="utf-8"))
    for table in (DOCUMENTS, OTHER_ACTS, EVIDENCE_KINDS, dict(FILTERS)):
        missing = [v for v in table.values() if v not in zh]
        assert not missing, missing
    for f in sorted((ROOT / "console/cases").glob("*.py")):
        src = f.read_text(encoding="utf-8")
        for s in re.findall(r'(?:\b\w+\.tr|\bt)\("((?:[^"\\]|\\.)+)"\)', src) + \
                re.findall(r"(?:self\.tr|\bt)\('([^']+)'\)", src):
            assert s in zh, (f.name, s)


def test_the_violation_keeps_its_column_in_a_side_panel_width(qtbot, seat):
    """The list in a side panel (740 px at 1920), filled while behind another tab: the violation column had only
    what the deadlines left ("lat…"); and nothing scrolls sideways (the limitation date was out of sight)."""
    core, clock, _ids, _tmp = seat
    panel = CasesPanel(core, clock=clock, check_deadlines=False)
    qtbot.addWidget(panel)
    panel.refresh()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=10000)  # filled before it is shown
    panel.resize(740, 900)
    panel.show()
    qtbot.waitExposed(panel)
    col = panel.COLUMNS.index("violation")
    assert panel.table.columnWidth(col) >= 140, [panel.table.columnWidth(c) for c in range(len(panel.COLUMNS))]
    assert panel.table.horizontalScrollBar().maximum() == 0  # and every column in sight
    assert panel.table.item(0, col).toolTip()  # the whole violation and its legal basis, when it is elided


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_the_next_step_box_fits_a_side_panel_in_both_languages(qtbot, seat, lang):
    """A case selected, its next step and document box as wide as it may be (the longest step and document
    names): the whole panel fits the side panel of a 1600-px window (640 px) without scrolling sideways. It
    needed 758 px (one row held step, two officers and the button; another the document name whole)."""
    from PySide6.QtWidgets import QApplication

    from console import i18n

    core, clock, (late, _filed, _done), _tmp = seat
    app = QApplication.instance()
    before, was = list(i18n._installed), i18n.current_language()
    i18n.install(app, lang)
    try:
        panel = CasesPanel(core, clock=clock, check_deadlines=False)
        qtbot.addWidget(panel)
        panel.refresh()
        qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=10000)
        panel.table.selectRow(0)
        qtbot.waitUntil(lambda: panel.detail.step.count() > 0, timeout=10000)
        d = panel.detail
        assert d.actions.isEnabled()
        for i in range(d.step.count()):  # each step's own fields shown in turn: the widest row counts
            d.step.setCurrentIndex(i)
            assert panel.minimumSizeHint().width() <= 640, (lang, d.step.currentText(), panel.minimumSizeHint())
        longest = max(range(d.doc_kind.count()), key=lambda i: len(d.doc_kind.itemText(i)))
        assert d.doc_kind.view().minimumWidth() >= d.doc_kind.view().sizeHintForColumn(0)  # the list shows it whole
        assert d.doc_kind.itemText(longest)
    finally:
        for tr in i18n._installed[len(before):]:
            app.removeTranslator(tr)
        del i18n._installed[len(before):]
        i18n.use_language(was)


def test_a_truck_photo_added_to_the_case_from_the_evidence_tab(qtbot, seat):
    """Evidence tab → Add a truck photo…: the photos trucks' terminals uploaded (one truck picked), the selected one
    shown, added by its SHA-256; once in, a second try is refused in the dialog."""
    from dispatch.blobs import attachments_dir, store_blob
    from dispatch.store import NewEvent

    core, clock, (late, _filed, _done), _tmp = seat
    call(core, "units.register", units=[{"id": "truck-07", "kind": "truck"}, {"id": "truck-09", "kind": "truck"}])
    jpeg = (ROOT / "resources/jt808/camera.jpg").read_bytes()
    sha, size = store_blob(attachments_dir(core), [jpeg])
    for unit, media_id in (("truck-07", 1), ("truck-09", 2)):
        core.record("system:jt808", [NewEvent("jt808.media_received", {
            "unit": unit, "terminal": "013900000007", "media_id": media_id, "media_type": "image", "format": "jpeg",
            "mime": "image/jpeg", "event": "door_opened", "channel": 2, "time": clock.t - 600, "lat": 24.32,
            "lon": 109.41, "speed_kmh": 0.0, "course": 0, "alarms": [], "request": None,
            "name": f"{unit}-ch2-{media_id}.jpg", "sha256": sha if unit == "truck-07" else "0" * 64,
            "size": size}, f"unit:{unit}")])
    panel = CasesPanel(core, clock=clock, check_deadlines=False)
    core.subscribe(panel.note_changes)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=10000)
    panel.table.selectRow(0)
    d = panel.detail
    qtbot.waitUntil(lambda: d.data is not None and d.data["id"] == late, timeout=10000)
    d.open_photo_picker()
    pick = d.photo_picker
    qtbot.waitUntil(lambda: pick.table.rowCount() == 2 and pick.truck.count() == 3, timeout=10000)
    pick.truck.setCurrentIndex(pick.truck.findData("truck-07"))
    qtbot.waitUntil(lambda: pick.table.rowCount() == 1, timeout=10000)
    assert pick.table.item(0, 1).text() == "truck-07" and pick.table.item(0, 3).text() == "door opened"
    pick.table.selectRow(0)
    qtbot.waitUntil(lambda: pick.picture.pixmap() is not None and not pick.picture.pixmap().isNull(), timeout=10000)
    pick.submit()
    qtbot.waitUntil(lambda: not pick.isVisible(), timeout=10000)
    qtbot.waitUntil(lambda: d.evidence.rowCount() == 1, timeout=10000)
    assert d.evidence.item(0, 0).text() == "Photo" and d.evidence.item(0, 1).text() == "truck-07-ch2-1.jpg"
    assert d.evidence.item(0, 3).toolTip() == sha
    d.open_photo_picker()
    again = d.photo_picker
    qtbot.waitUntil(lambda: again.table.rowCount() == 2, timeout=10000)
    row = next(i for i in range(2) if again.table.item(i, 1).text() == "truck-07")
    again.table.selectRow(row)
    again.submit()
    qtbot.waitUntil(lambda: "already" in again.message.text(), timeout=10000)
    assert again.isVisible()
    again.reject()
    panel.stop()
    core.unsubscribe(panel.note_changes)
