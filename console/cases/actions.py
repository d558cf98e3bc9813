"""What a case officer does to a case besides its steps and documents, in dialogs: open a case (from the incident
selected in the console, or directly), correct its party, propose the penalty against the discretion benchmark, a
shift lead's approval of a penalty outside it, an evidence file added, the dossier exported. The dialogs only
collect; the core decides (`case.open`, `case.party`, `case.penalty`, `case.approve`, `case.evidence`,
`case.export`) and a refusal is shown in its words, naming the article of the law."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialog

from console.cases.dialogs import PartyDialog, PenaltyDialog, ReviewDialog, TrackDialog, evidence_kind


# ------------------------------------------------------------------------------ the detail's buttons
def may_now(detail: Any) -> dict[str, tuple[bool, str]]:
    """Which of the buttons apply to the case shown, and if not, why (a tooltip): what the case takes now (the core's
    `open_to`, shown with the case) and the seat's role (the permission table the hub checks); the core still
    decides."""
    from console.operations import may

    d = detail.data or {}
    now = d.get("open_to") or {}  # what the case takes now, by the core's own tests (dispatch/cases/book.py)
    out = {
        "party": (bool(now.get("party")) and not (d.get("party") or {}).get("masked"),
                  detail.tr("The party is set before the decision, by a seat that sees personal data")),
        "penalty": (bool(now.get("penalty")), detail.tr("The penalty is proposed after filing and before the decision")),
        "approve": (bool(now.get("approve")), detail.tr("No penalty outside the benchmark awaits approval")),
        "evidence": (bool(now.get("evidence")), detail.tr("An archived case takes no more evidence")),
        "review": (bool(now.get("review")), detail.tr("Only a decision is reviewed")),
        "video": (bool(now.get("evidence")) and d.get("incident_id") is not None,
                  detail.tr("The clips and stills of the case's incident (a case opened from an incident)")),
        "track": (bool(now.get("evidence")), detail.tr("An archived case takes no more evidence")),
        "export": (bool(d), ""),
    }
    ops = {"party": "case.party", "penalty": "case.penalty", "approve": "case.approve", "evidence": "case.evidence",
           "export": "case.export", "video": "evidence.to_case", "track": "case.evidence_track",
           "review": "case.review"}
    for key, name in ops.items():
        ok, why = may(name)
        if not ok:
            out[key] = (False, why)
    return out


def _after(detail: Any, cid: int, text: str) -> Any:
    def done(d: dict[str, Any]) -> None:
        if cid == detail.case_id:
            detail.render(d)
        detail.say(text)
        detail.changed.emit()

    return done


def _evidence_added(detail: Any, cid: int, text: str) -> None:
    """After an operation that answers with what it added, not with the case: said, and the case read again."""
    detail.say(text)
    if cid == detail.case_id:
        detail.reload()
    detail.changed.emit()


def _ask_then_run(detail: Any, dialog_type: type, operation: str, said: str) -> None:
    """The case's dialog, then its operation on the case; `said` (with %1 the case) once the core has done it."""
    from console.incidents.common import run_op

    if detail.case_id is None or not detail.data:
        return
    cid = detail.case_id
    dialog = dialog_type(detail.data, detail)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    dialog.deleteLater()  # a child of the panel: not kept for the shift's length
    if not accepted:
        return
    run_op(detail, operation, {"case_id": cid, **dialog.args()},
           on_done=_after(detail, cid, said.replace("%1", str(cid))), on_refused=detail.show_refusal)


def edit_party(detail: Any) -> None:
    _ask_then_run(detail, PartyDialog, "case.party", detail.tr("Case %1: party saved"))


def propose_penalty(detail: Any) -> None:
    _ask_then_run(detail, PenaltyDialog, "case.penalty", detail.tr("Case %1: penalty proposed"))


def record_review(detail: Any) -> None:
    _ask_then_run(detail, ReviewDialog, "case.review", detail.tr("Case %1: review recorded"))


def approve_penalty(detail: Any) -> None:
    from PySide6.QtWidgets import QMessageBox

    from console.incidents.common import run_op

    pen = (detail.data or {}).get("penalty") or {}
    if detail.case_id is None or not pen:
        return
    cid = detail.case_id
    what = detail.tr("warning") if pen.get("kind") == "warning" else \
        detail.tr("fine %1 yuan").replace("%1", f"{float(pen.get('amount') or 0):g}")
    rng = pen.get("proposal") or {}
    text = (detail.tr("Approve the %1 of case %2, outside the benchmark (%3–%4 yuan)?").replace("%1", what)
            .replace("%2", str(cid)).replace("%3", f"{float(rng.get('min') or 0):g}")
            .replace("%4", f"{float(rng.get('max') or 0):g}") + "\n\n" + detail.tr("Reason given: %1")
            .replace("%1", str(pen.get("reason") or "—")))
    box = QMessageBox(QMessageBox.Icon.Question, detail.tr("Approve penalty"), text,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, detail)
    box.setObjectName("approvePenaltyBox")
    yes = box.exec() == QMessageBox.StandardButton.Yes
    box.deleteLater()
    if not yes:
        return
    run_op(detail, "case.approve", {"case_id": cid},
           on_done=_after(detail, cid, detail.tr("Case %1: penalty approved").replace("%1", str(cid))),
           on_refused=detail.show_refusal)


def add_evidence_files(detail: Any, paths: list[str] | None = None) -> None:
    """Each file chosen added as evidence, its hash recorded (asks which unless `paths` are given)."""
    from PySide6.QtWidgets import QFileDialog

    from console.incidents.common import run_op

    if detail.case_id is None:
        return
    cid = detail.case_id
    if paths is None:
        paths, _ = QFileDialog.getOpenFileNames(detail, detail.tr("Add evidence"), "",
                                                detail.tr("Photos, video, documents (*)"))
    for path in paths:
        name = Path(path).name
        run_op(detail, "case.evidence", {"case_id": cid, "kind": evidence_kind(path)}, file=path,
               on_done=lambda r, n=name: _evidence_added(detail, cid, detail.tr("Evidence %1 added, SHA-256 %2")
                                                         .replace("%1", n)
                                                         .replace("%2", str(r.get("sha256", ""))[:16] + "…")),
               on_refused=detail.show_refusal)


def add_track(detail: Any) -> None:
    """The units read off the GUI thread, the dialog, the excerpt cut from the stored fixes and kept by its hash."""
    from console.incidents.common import run_op

    if detail.case_id is None or not detail.data:
        return
    cid, case = detail.case_id, detail.data

    def ask(units: list[dict[str, Any]]) -> None:
        dialog = TrackDialog(case, units, detail)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        dialog.deleteLater()  # a child of the panel: not kept for the shift's length
        if not accepted:
            return
        run_op(detail, "case.evidence_track", {"case_id": cid, **dialog.args()},
               on_done=lambda r: _evidence_added(detail, cid, detail.tr("Track of %1 added: %2 fixes")
                                                 .replace("%1", str(r["unit_id"])).replace("%2", str(r["points"]))),
               on_refused=detail.show_refusal)

    run_op(detail, "units", {}, on_done=ask, on_refused=detail.show_refusal)


def carry_video(detail: Any) -> None:
    """The clips and stills attached to the case's incident carried into its evidence, each by its hash (what the case
    has already is not added twice)."""
    from console.incidents.common import run_op

    if detail.case_id is None:
        return
    cid = detail.case_id

    def done(r: dict[str, Any]) -> None:
        n = len(r.get("added") or [])
        if not n:
            detail.say(detail.tr("The incident has no video the case lacks"))
            return
        _evidence_added(detail, cid, detail.tr("Case %1: %2 clips and stills added from its incident")
                        .replace("%1", str(cid)).replace("%2", str(n)))

    run_op(detail, "evidence.to_case", {"case_id": cid}, on_done=done, on_refused=detail.show_refusal)


def export_dossier(detail: Any, path: str | None = None) -> None:
    """The case's dossier (documents, evidence, catalogue, metadata, manifest) written to a ZIP here, where the seat
    runs: by the core itself on its own store, or made at the hub and read back a piece at a time, kept only if it
    hashes to what the hub said (dispatch/uploads.py). `archive verify` checks it."""
    from PySide6.QtWidgets import QFileDialog

    from console.incidents.common import run_op
    from console.operations import DispatchOp, is_remote, seat_actor
    from dispatch import ops
    from dispatch.errors import Refused
    from dispatch.uploads import receive_file

    if detail.case_id is None:
        return
    cid = detail.case_id
    if path is None:
        path, _ = QFileDialog.getSaveFileName(detail, detail.tr("Export dossier"), f"case-{cid}.zip",
                                              detail.tr("ZIP (*.zip)"))
        if not path:
            return
    dest = str(Path(path).expanduser().resolve())

    def said(r: dict[str, Any], where: str) -> None:
        detail.say(detail.tr("Dossier %1 written to %2 (%3 files)").replace("%1", str(r.get("archive_code")))
                     .replace("%2", where).replace("%3", str(r.get("files"))))

    def fetch(r: dict[str, Any]) -> None:
        who = seat_actor()
        DispatchOp(parent=detail, op=lambda core: receive_file(
            lambda n, a: ops.call(core, n, a, actor=who), r["download_id"], dest, r["sha256"])).success(
            lambda where: said(r, where)).failure(
            lambda exc: detail.show_refusal(str(exc) if isinstance(exc, Refused) else f"{type(exc).__name__}: {exc}")
        ).run_in_background()

    remote = is_remote()
    run_op(detail, "case.export", {"case_id": cid} if remote else {"case_id": cid, "out": dest},
           on_done=fetch if remote else (lambda r: said(r, str(r.get("out")))), on_refused=detail.show_refusal)
