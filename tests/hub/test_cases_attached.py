"""The Cases tab on consoles attached to a real hub: the operator's role decides whether the party's personal data
is shown (the hub's permission table, not the widget), a viewer's step is refused by the hub in its own words,
and a dispatcher's step goes through and reaches the other seat."""

from __future__ import annotations

import hashlib
import os

from console import operations
from console.cases.panel import CasesPanel
from dispatch.ops import call
from tests.conftest import wait_for
from tests.hub.conftest import add_operator
from tests.hub.test_attached import attach


def test_roles_at_attached_seats_mask_and_refuse(link, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    core = link.core
    for oid, name, cert in (("wang", "王强", "45020019001"), ("liu", "刘敏", "45020019002")):
        call(core, "officer.add", {"officer_id": oid, "name": name, "certificate": cert,
                                   "valid_until": "2099-12-31", "valid_from": "2020-01-01"}, actor="t")
    cid = call(core, "case.open", {"violation": "CSRQ-002", "party_type": "person", "party_name": "张三丰",
                                   "id_number": "450202199001011234"}, actor="t")["id"]
    call(core, "case.advance", {"case_id": cid, "step": "filed"}, actor="t")
    viewer = attach(link.hub.control_endpoint, add_operator(core, link.keys, "zhao", "viewer"), "zhao")
    clerk = attach(link.hub.control_endpoint, add_operator(core, link.keys, "wu", "dispatcher"), "wu")
    seats = [viewer, clerk]
    panels: list[CasesPanel] = []
    try:
        operations.set_core(viewer)
        seen = CasesPanel(viewer, check_deadlines=False)
        panels.append(seen)
        qtbot.addWidget(seen)
        assert not seen.reveal
        qtbot.waitUntil(lambda: seen.table.rowCount() == 1, timeout=10000)
        assert seen.table.item(0, 1).text() == "张**"
        seen.table.selectRow(0)
        d = seen.detail
        qtbot.waitUntil(lambda: d.data is not None, timeout=10000)
        assert "450***********1234" in d.header.text()
        d.step.setCurrentIndex(d.step.findData("inquiry"))
        d.officer_a.setCurrentIndex(d.officer_a.findData("wang"))
        d.officer_b.setCurrentIndex(d.officer_b.findData("liu"))
        d.advance()
        qtbot.waitUntil(lambda: d.message.text().startswith("Refused:"), timeout=10000)
        assert "viewer may not run case.advance" in d.message.text()

        operations.set_core(clerk)
        handler = CasesPanel(clerk, check_deadlines=False)
        panels.append(handler)
        qtbot.addWidget(handler)
        assert handler.reveal
        qtbot.waitUntil(lambda: handler.table.rowCount() == 1, timeout=10000)
        assert handler.table.item(0, 1).text() == "张三丰"
        handler.table.selectRow(0)
        h = handler.detail
        qtbot.waitUntil(lambda: h.data is not None and h.roster != [], timeout=10000)
        h.step.setCurrentIndex(h.step.findData("inquiry"))
        h.officer_a.setCurrentIndex(h.officer_a.findData("wang"))
        h.officer_b.setCurrentIndex(h.officer_b.findData("liu"))
        h.advance()
        qtbot.waitUntil(lambda: "recorded" in h.message.text(), timeout=10000)
        last = [e for e in core.store.events() if e.entity == f"case:{cid}"][-1]
        assert last.kind == "case.step" and last.actor == "dispatcher:wu" and last.payload["officers"] == ["wang", "liu"]
        wait_for(lambda: viewer.state.last_seq == core.state.last_seq, 5, what="the viewer's seat to follow")
        assert not seen.new_button.isEnabled() and "viewer" in seen.new_button.toolTip()  # the hub's table, said
        assert not d.penalty_button.isEnabled() and "viewer" in d.penalty_button.toolTip()
        assert handler.new_button.isEnabled() and h.penalty_button.isEnabled()

        # evidence from the clerk's machine: its bytes go to the hub (the hub cannot read the seat's path)
        operations.set_core(clerk)
        photo = tmp_path / "现场.jpg"
        photo.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 16)
        from console.cases import actions

        actions.add_evidence_files(h, [str(photo)])
        qtbot.waitUntil(lambda: h.evidence.rowCount() == 1, timeout=10000)
        [ev] = [e for e in core.store.events() if e.kind == "case.evidence_added"]
        assert ev.actor == "dispatcher:wu" and ev.payload["name"] == "现场.jpg" and ev.payload["kind"] == "photo"
        big = tmp_path / "long.mp4"  # larger than one request to the hub: sent in pieces
        big.write_bytes(os.urandom(1536 * 1024))  # as incompressible as a real video
        actions.add_evidence_files(h, [str(big)])
        qtbot.waitUntil(lambda: h.evidence.rowCount() == 2, timeout=20000)
        [_, ev2] = [e for e in core.store.events() if e.kind == "case.evidence_added"]
        assert ev2.payload["sha256"] == hashlib.sha256(big.read_bytes()).hexdigest()
        assert (ev2.payload["name"], ev2.payload["kind"], ev2.actor) == ("long.mp4", "video", "dispatcher:wu")
        assert not h.export_button.isEnabled() and "case.export" in h.export_button.toolTip()  # the shift lead's

        # the shift lead's seat exports the dossier: made at the hub, read back and written here, evidence and all
        lead = attach(link.hub.control_endpoint, add_operator(core, link.keys, "chen", "shift_lead"), "chen")
        seats.append(lead)
        operations.set_core(lead)
        boss = CasesPanel(lead, check_deadlines=False)
        panels.append(boss)
        qtbot.addWidget(boss)
        qtbot.waitUntil(lambda: boss.table.rowCount() == 1, timeout=10000)
        boss.table.selectRow(0)
        b = boss.detail
        qtbot.waitUntil(lambda: b.data is not None and b.export_button.isEnabled(), timeout=10000)
        out = tmp_path / "seat" / "dossier.zip"
        actions.export_dossier(b, str(out))
        qtbot.waitUntil(lambda: "Dossier" in b.message.text(), timeout=20000)
        from dispatch.cases.verify import verify

        report = verify(out)
        assert report.ok and report.case == cid and report.files == 2 + 5, report.problems  # two evidence files
    finally:
        for p in panels:
            p.stop()
        operations.set_core(None)
        for s in seats:
            s.logout()
            s.close()
