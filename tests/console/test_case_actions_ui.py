"""The case officer's actions in the Cases tab, offscreen on a real core and SQLite store, through the real modal
dialogs: a case opened from the incident selected in the console; its party corrected; a penalty outside the
benchmark refused without a reason, proposed with one, refused approval by its proposer and approved by another; an
evidence file added with its hash; the dossier exported and passing `archive verify`."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from console import operations
from console.cases.dialogs import NewCaseDialog, PartyDialog, PenaltyDialog
from console.cases.panel import CasesPanel
from tests.cases.helpers import Clock, call, incident, make_core, roster


@pytest.fixture
def seat(qtbot, tmp_path):  # type: ignore[no-untyped-def]
    clock = Clock()
    core = make_core(tmp_path, clock)
    roster(core)
    operations.set_core(core)
    operations.set_operator("li")
    panel = CasesPanel(core, clock=clock, check_deadlines=False)
    core.subscribe(panel.note_changes)
    qtbot.addWidget(panel)
    panel.resize(900, 1000)
    panel.show()
    yield core, panel, tmp_path
    panel.stop()
    operations.set_operator(None)
    core.close()


def answer(kind: type, fill: Callable[[Any], None]) -> list[Any]:
    """Fill the next modal dialog of `kind` when it shows, then accept it; the dialogs seen are returned."""
    seen: list[Any] = []

    def look() -> None:
        d = QApplication.activeModalWidget()
        if not isinstance(d, kind):
            QTimer.singleShot(20, look)
            return
        seen.append(d)
        fill(d)

    QTimer.singleShot(0, look)
    return seen


def the_only_case(qtbot: Any, panel: CasesPanel, enabled: str | None = None) -> Any:
    """The list read, its one case selected and shown (and the detail's button `enabled` on): the detail."""
    panel.refresh()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1, timeout=10000)
    panel.table.selectRow(0)
    d = panel.detail
    qtbot.waitUntil(lambda: d.data is not None and (enabled is None or getattr(d, enabled).isEnabled()), timeout=10000)
    return d


def test_a_case_opened_from_the_selected_incident(qtbot, seat):  # type: ignore[no-untyped-def]
    core, panel, _tmp = seat
    iid = incident(core)
    inc = call(core, "incident.show", incident_id=iid)
    panel.current_incident = lambda: inc

    def fill(d: NewCaseDialog) -> None:
        assert d.from_incident.isChecked() and str(iid) in d.from_incident.text()
        assert d.violation.currentData() == "CSRQ-001"  # the incident's category: construction waste spilled
        assert not d.buttons.button(d.buttons.StandardButton.Ok).isEnabled()  # no party yet
        d.party.type.setCurrentIndex(d.party.type.findData("organisation"))
        assert d.party.representative.isVisibleTo(d)
        d.party.name.setText("柳州市某某运输有限公司")
        d.party.representative.setText("黄某")
        d.buttons.button(d.buttons.StandardButton.Ok).click()

    seen = answer(NewCaseDialog, fill)
    panel.new_button.click()
    qtbot.waitUntil(lambda: panel.detail.data is not None and panel.table.rowCount() == 1, timeout=10000)
    assert seen and panel.selected_case() == panel.detail.case_id
    [ev] = [e for e in core.store.events(0) if e.kind == "case.opened"]
    assert ev.actor == "dispatcher:li"  # the seat's operator, not a name typed in the dialog
    p = ev.payload
    assert (p["incident_id"], p["source"], p["party"]["type"], p["party"]["representative"]) == (
        iid, "incident", "organisation", "黄某")
    assert p["place"] == "柳州市城中区柳江路与文惠路交叉口" and "倾倒建筑垃圾" in p["facts"]  # taken from the incident
    assert "Case 1 opened" in panel.detail.message.text()


def test_party_penalty_approval_evidence_and_dossier(qtbot, seat):  # type: ignore[no-untyped-def]
    from dispatch.cases.verify import verify

    core, panel, tmp = seat
    cid = call(core, "case.open", violation="CSRQ-001", party_type="person", party_name="张三")["id"]
    call(core, "case.advance", case_id=cid, step="filed")
    d = the_only_case(qtbot, panel, "penalty_button")
    assert not d.approve_button.isEnabled() and d.approve_button.toolTip()  # nothing awaits approval: says so

    # the party completed
    def party(dlg: PartyDialog) -> None:
        assert dlg.party.name.text() == "张三"
        dlg.party.id_number.setText("450202199001011234")
        dlg.note.setText("现场核验身份证")
        dlg.buttons.button(dlg.buttons.StandardButton.Ok).click()

    answer(PartyDialog, party)
    d.party_button.click()
    qtbot.waitUntil(lambda: "450202199001011234" in d.header.text(), timeout=10000)

    # a fine of 300 yuan for an ordinary first offence by a person: the benchmark is 50-150
    def penalty(reason: str) -> Callable[[PenaltyDialog], None]:
        def fill(dlg: PenaltyDialog) -> None:
            dlg.circumstance.setCurrentIndex(dlg.circumstance.findData("ordinary"))
            assert dlg.amount.value() == 50  # the range's low end proposed
            assert "50–150 yuan" in dlg.range.text() and "Outside" not in dlg.range.text()
            dlg.amount.setValue(300)
            assert "Outside the benchmark" in dlg.range.text()
            dlg.reason.setPlainText(reason)
            dlg.buttons.button(dlg.buttons.StandardButton.Ok).click()
        return fill

    answer(PenaltyDialog, penalty(""))
    d.penalty_button.click()
    qtbot.waitUntil(lambda: "Refused" in d.message.text(), timeout=10000)
    assert "written reason" in d.message.text()  # the core's words
    assert not [e for e in core.store.events(0) if e.kind == "case.penalty_set"]
    answer(PenaltyDialog, penalty("当事人系初次违法但拒不清理，社会影响较大"))
    d.penalty_button.click()
    qtbot.waitUntil(lambda: d.approve_button.isEnabled(), timeout=10000)
    assert "awaiting approval" in d.header.text()

    def yes(box: QMessageBox) -> None:
        assert "300" in box.text() and "拒不清理" in box.text()
        box.button(QMessageBox.StandardButton.Yes).click()

    answer(QMessageBox, yes)
    d.approve_button.click()  # by the one who proposed it: refused
    qtbot.waitUntil(lambda: "someone other than who proposed" in d.message.text(), timeout=10000)
    operations.set_operator("zhao")  # the shift lead at this seat now
    answer(QMessageBox, yes)
    d.approve_button.click()
    qtbot.waitUntil(lambda: not d.approve_button.isEnabled() and "approved" in d.message.text(), timeout=10000)
    [ok] = [e for e in core.store.events(0) if e.kind == "case.penalty_approved"]
    assert ok.actor == "dispatcher:zhao"

    # an evidence file, by its path on this machine; a missing one is said and nothing recorded
    photo = tmp / "现场照片.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40)
    from console.cases import actions

    actions.add_evidence_files(d, [str(tmp / "missing.jpg")])
    qtbot.waitUntil(lambda: "missing.jpg" in d.message.text(), timeout=10000)  # the core's words: no such file
    actions.add_evidence_files(d, [str(photo)])
    qtbot.waitUntil(lambda: d.evidence.rowCount() == 1, timeout=10000)
    [ev] = [e for e in core.store.events(0) if e.kind == "case.evidence_added"]
    assert (ev.payload["sha256"], ev.payload["kind"], ev.payload["name"]) == (
        hashlib.sha256(photo.read_bytes()).hexdigest(), "photo", "现场照片.jpg")

    # the dossier
    assert d.export_button.isEnabled()
    out = tmp / "dossier.zip"
    actions.export_dossier(d, str(out))
    qtbot.waitUntil(lambda: "Dossier" in d.message.text(), timeout=20000)
    assert str(out) in d.message.text() and out.is_file()
    report = verify(out)
    assert report.ok and report.case == cid, report.as_dict()


def test_the_penalty_dialog_for_a_warning_and_the_buttons_of_a_decided_case(qtbot, seat):  # type: ignore[no-untyped-def]
    """A warning needs no amount; on a case decided on the spot the party and the penalty cannot change, and the
    buttons say why instead of failing."""
    core, panel, _tmp = seat
    cid = call(core, "case.open", violation="CSRQ-002", party_type="person", party_name="李四")["id"]
    call(core, "case.advance", case_id=cid, step="on_the_spot", officers=["chen"], kind="warning")
    d = the_only_case(qtbot, panel)
    assert not d.party_button.isEnabled() and "before the decision" in d.party_button.toolTip()
    assert not d.penalty_button.isEnabled() and d.penalty_button.toolTip()
    dlg = PenaltyDialog({"id": cid, "party": {"type": "person"}, "penalty": None,
                         "benchmark": d.data["benchmark"]}, d)
    dlg.kind.setCurrentIndex(dlg.kind.findData("warning"))
    assert not dlg.amount.isEnabled() and dlg.args()["amount"] is None
    dlg.done(QDialog.DialogCode.Rejected)


def test_the_incidents_video_carried_into_the_case(qtbot, seat):  # type: ignore[no-untyped-def]
    """Evidence tab → Incident's video: the clip attached to the case's incident goes into the case's evidence by its
    hash; a second click adds nothing and says so; a case opened directly has no incident, and the button says why."""
    from tests.evidence.clipmaker import make_clip

    core, panel, tmp = seat
    iid = incident(core)
    clip = call(core, "evidence.add", path=str(make_clip(tmp / "truck.mp4")), incident_id=iid,
                start="2025-03-03T08:30:00+08:00")
    cid = call(core, "case.open", incident_id=iid, violation="CSRQ-001", party_type="person", party_name="张三")["id"]
    direct = call(core, "case.open", violation="CSRQ-001", party_type="person", party_name="李四")["id"]
    panel.refresh()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=10000)
    d = panel.detail
    panel.select_case(direct)
    qtbot.waitUntil(lambda: d.data is not None and d.data["id"] == direct, timeout=10000)
    assert not d.video_button.isEnabled() and "opened from an incident" in d.video_button.toolTip()
    panel.select_case(cid)
    qtbot.waitUntil(lambda: d.data is not None and d.data["id"] == cid and d.video_button.isEnabled(), timeout=10000)
    d.video_button.click()
    qtbot.waitUntil(lambda: d.evidence.rowCount() == 1, timeout=10000)
    assert "1 clips and stills added" in d.message.text()
    [ev] = [e for e in core.store.events(0) if e.kind == "case.evidence_added"]
    assert (ev.payload["sha256"], ev.payload["kind"], ev.actor) == (clip["sha256"], "video", "dispatcher:li")
    d.video_button.click()
    qtbot.waitUntil(lambda: "no video the case lacks" in d.message.text(), timeout=10000)


def test_a_trucks_track_excerpt_added_from_the_evidence_tab(qtbot, seat):  # type: ignore[no-untyped-def]
    """Evidence tab → Track excerpt…: the window proposed around the violation's time, the truck picked, the excerpt
    cut from the stored fixes and kept as GeoJSON and GPX with their hashes; a window with no fix is refused."""
    from console.cases.dialogs import TrackDialog
    from tests.cases.helpers import T0

    core, panel, _tmp = seat
    call(core, "units.register", units=[{"id": "truck-07", "kind": "truck", "name": "桂B·12345"},
                                        {"id": "boat-01", "kind": "patrol_boat"}])
    core.ingest([("truck-07", T0 + i * 10, 24.33 + i * 1e-4, 109.41 + i * 2e-4, 5.0, 90.0, "jt808") for i in range(60)])
    call(core, "case.open", violation="CSRQ-001", party_type="person", party_name="张三", violation_at=T0 + 300)
    d = the_only_case(qtbot, panel, "track_button")

    def pick(shift_s: int) -> Callable[[TrackDialog], None]:
        def fill(dlg: TrackDialog) -> None:
            assert dlg.unit.itemData(0) == "truck-07" and "桂B·12345" in dlg.unit.itemText(0)  # trucks first
            assert dlg.start.dateTime().toSecsSinceEpoch() == T0 + 300 - 1800
            dlg.start.setDateTime(dlg.start.dateTime().addSecs(shift_s))
            dlg.end.setDateTime(dlg.end.dateTime().addSecs(shift_s))
            dlg.buttons.button(dlg.buttons.StandardButton.Ok).click()
        return fill

    answer(TrackDialog, pick(-86400))  # the day before: no fix
    d.track_button.click()
    qtbot.waitUntil(lambda: "no stored fix" in d.message.text(), timeout=10000)
    answer(TrackDialog, pick(0))
    d.track_button.click()
    qtbot.waitUntil(lambda: d.evidence.rowCount() == 2, timeout=10000)
    assert "60 fixes" in d.message.text()
    added = [e.payload for e in core.store.events(0) if e.kind == "case.evidence_added"]
    assert sorted(Path(p["name"]).suffix for p in added) == [".geojson", ".gpx"] and {p["kind"] for p in added} == {"track"}


def test_the_roster_kept_from_the_cases_tab(qtbot, seat):  # type: ignore[no-untyped-def]
    """Officers…: the roster with each certificate's state; an officer added, then taken off with the reason; the
    next step's officers follow it."""
    from console.cases.roster import OfficerDialog, RosterDialog

    core, panel, _tmp = seat

    def add(dlg: OfficerDialog) -> None:
        dlg.officer_id.setText("huang")
        dlg.name.setText("黄明")
        dlg.certificate.setText("45020019009")
        dlg.team.setText("二中队")
        dlg.buttons.button(dlg.buttons.StandardButton.Ok).click()

    def work(dlg: RosterDialog) -> None:
        qtbot.waitUntil(lambda: dlg.table.rowCount() == 4, timeout=10000)
        states = {dlg.table.item(r, 0).text(): dlg.table.item(r, 5).text() for r in range(dlg.table.rowCount())}
        assert states["zhou"] == "certificate lapsed" and states["wang"] == "valid"
        answer(OfficerDialog, add)
        dlg.add_button.click()
        qtbot.waitUntil(lambda: dlg.table.rowCount() == 5, timeout=10000)
        row = next(r for r in range(5) if dlg.table.item(r, 0).text() == "huang")
        dlg.table.selectRow(row)

        def why(box: QDialog) -> None:
            box.setTextValue("调离执法岗位")  # type: ignore[attr-defined]
            box.accept()

        from PySide6.QtWidgets import QInputDialog

        answer(QInputDialog, why)
        dlg.revoke_button.click()
        qtbot.waitUntil(lambda: "taken off the roster" in dlg.message.text(), timeout=10000)
        qtbot.waitUntil(lambda: dlg.table.item(row, 5).text() == "taken off", timeout=10000)
        dlg.reject()

    answer(RosterDialog, work)
    panel.open_roster()
    kinds = [(e.kind, e.payload.get("id"), e.actor) for e in core.store.events(0) if e.entity == "officer:huang"]
    assert kinds == [("officer.registered", "huang", "dispatcher:li"), ("officer.revoked", "huang", "dispatcher:li")]
    [revoked] = [e for e in core.store.events(0) if e.kind == "officer.revoked"]
    assert revoked.payload["note"] == "调离执法岗位"


def test_a_review_outcome_recorded_on_a_decided_case(qtbot, seat):  # type: ignore[no-untyped-def]
    """Review…: only once decided; without its document number the core refuses; with it the outcome is recorded and
    shown in the header (an overturned decision in red)."""
    from console.cases.dialogs import ReviewDialog

    core, panel, _tmp = seat
    cid = call(core, "case.open", violation="CSRQ-002", party_type="person", party_name="李四")["id"]
    call(core, "case.advance", case_id=cid, step="on_the_spot", officers=["chen"], kind="fine", amount=100)
    d = the_only_case(qtbot, panel, "review_button")

    def fill(number: str) -> Callable[[ReviewDialog], None]:
        def go(dlg: ReviewDialog) -> None:
            dlg.body.setCurrentIndex(dlg.body.findData("reconsideration"))
            dlg.outcome.setCurrentIndex(dlg.outcome.findData("revoked"))
            dlg.number.setText(number)
            dlg.date.setDate(QDate(2025, 3, 3))  # the test clock's day (the dialog proposes today)
            dlg.buttons.button(dlg.buttons.StandardButton.Ok).click()
        return go

    answer(ReviewDialog, fill(""))
    d.review_button.click()
    qtbot.waitUntil(lambda: "document number" in d.message.text(), timeout=10000)
    answer(ReviewDialog, fill("柳政复决〔2025〕3号"))
    d.review_button.click()
    qtbot.waitUntil(lambda: "柳政复决〔2025〕3号" in d.header.text(), timeout=10000)
    assert "#b71c1c" in d.header.text()  # revoked: overturned
    [ev] = [e for e in core.store.events(0) if e.kind == "case.reviewed"]
    assert (ev.payload["outcome"], ev.payload["body"], ev.actor) == ("revoked", "reconsideration", "dispatcher:li")
