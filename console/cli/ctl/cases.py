"""ctl case open|show|advance|penalty|approve|party|evidence|review|document|export|catalogue|templates|config /
cases / officer add|revoke / officers: the enforcement case on the command line (same operations as the console).

Human output in the language of --lang (zh_CN or en; by default the environment's, as the console does);
--json prints the operation's result for scripts.
"""

from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path
from typing import Any

from console.cli.ctl import cases_render as R
from console.cli.ctl import read_json


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    lang = argparse.ArgumentParser(add_help=False)
    lang.add_argument("--lang", choices=["zh_CN", "en"], default=argparse.SUPPRESS,
                      help="language of the human output (default: the environment's)")
    parents = [common, lang]

    p = sub.add_parser("cases", parents=parents, help="enforcement cases: stage, next deadline, overdue")
    p.add_argument("--overdue", action="store_true", help="only cases with a legal deadline passed unmet")
    p.add_argument("--open", action="store_true", help="only open cases (not closed or archived)")
    p.add_argument("--closed", action="store_true", help="only closed or archived cases")
    p.add_argument("--awaiting-approval", action="store_true",
                   help="only cases whose penalty, outside the benchmark, waits for the shift lead's approval")
    p.add_argument("--officer", help="only cases this officer acted on")
    p.add_argument("--incident", metavar="ID", help="only cases opened from this incident")
    p.add_argument("--reveal", action="store_true", help="show the parties' personal data (if allowed)")
    p.set_defaults(build=lambda a: ("cases", {"overdue": a.overdue, "open": a.open, "officer": a.officer,
                                              "reveal": a.reveal, "closed": a.closed,
                                              "awaiting_approval": a.awaiting_approval,
                                              **({"incident_id": a.incident} if a.incident else {})}),
                   render=R.render_list)

    case = sub.add_parser("case", parents=parents, help="open, show and advance an enforcement case")
    cs = case.add_subparsers(dest="case_command", required=True)
    o = cs.add_parser("open", parents=parents, help="open a case from an incident, an alert or directly")
    o.add_argument("--incident", help="the incident it comes from")
    o.add_argument("--violation", required=True, help="the violation's code in the catalogue (ctl case catalogue)")
    o.add_argument("--party-type", required=True, choices=["person", "organisation"])
    o.add_argument("--party-name", required=True)
    o.add_argument("--id-number", help="ID card number, or the organisation's unified credit code")
    o.add_argument("--address")
    o.add_argument("--contact")
    o.add_argument("--representative", help="an organisation's legal representative")
    o.add_argument("--facts", help="the facts (default: the incident's text)")
    o.add_argument("--place", help="where (default: the incident's address)")
    o.add_argument("--violation-at", help="when the act happened (ISO date/time; default: the incident's time)")
    o.add_argument("--source", choices=["incident", "alert", "direct"])
    o.set_defaults(build=lambda a: ("case.open", {
        "incident_id": a.incident, "violation": a.violation, "party_type": a.party_type,
        "party_name": a.party_name, "id_number": a.id_number, "address": a.address, "contact": a.contact,
        "representative": a.representative, "facts": a.facts, "place": a.place, "violation_at": a.violation_at,
        "source": a.source}), render=R.render_detail)

    s = cs.add_parser("show", parents=parents, help="stage, deadlines, acts, evidence and documents")
    s.add_argument("case_id")
    s.add_argument("--reveal", action="store_true", help="show the party's personal data (if allowed)")
    s.set_defaults(build=lambda a: ("case.show", {"case_id": a.case_id, "reveal": a.reveal}), render=R.render_detail)

    adv = cs.add_parser("advance", parents=parents, help="record the next step: " + ", ".join(R.STEP_KEYS))
    adv.add_argument("case_id")
    adv.add_argument("step", help="filed, inquiry, inspection, preservation, notice, statement, hearing_request, "
                                  "hearing_notice, hearing, legal_review, collective, extension, decision, service, "
                                  "payment, closed, archived, on_the_spot, filed_record (or 立案, 告知, 决定...)")
    adv.add_argument("--officer", action="append", dest="officers", metavar="ID",
                     help="an officer taking part (twice or more for an investigative act)")
    adv.add_argument("--note")
    adv.add_argument("--at", help="hearing_notice: the hearing's date (ISO)")
    adv.add_argument("--days", type=int, help="extension: how many days (30)")
    adv.add_argument("--amount", type=float, help="payment: the amount paid; on_the_spot: the fine")
    adv.add_argument("--penalty", choices=["warning", "fine"], help="on_the_spot: the penalty")
    adv.set_defaults(build=lambda a: ("case.advance", {
        "case_id": a.case_id, "step": a.step, "officers": a.officers or [], "note": a.note, "at": a.at,
        "days": a.days, "amount": a.amount, "kind": a.penalty}), render=R.render_detail)

    pen = cs.add_parser("penalty", parents=parents, help="propose the penalty within the discretion benchmark")
    pen.add_argument("case_id")
    pen.add_argument("--circumstance", required=True, choices=["minor", "ordinary", "serious"])
    pen.add_argument("--repeat", action="store_true", help="a repeated offence")
    pen.add_argument("--warning", action="store_true", help="a warning instead of a fine")
    pen.add_argument("--amount", type=float, help="the fine in yuan")
    pen.add_argument("--reason", help="written reason for a penalty outside the benchmark's range")
    pen.set_defaults(build=lambda a: ("case.penalty", {
        "case_id": a.case_id, "circumstance": a.circumstance, "repeat": a.repeat,
        "kind": "warning" if a.warning else "fine", "amount": a.amount, "reason": a.reason}), render=R.render_detail)

    ap = cs.add_parser("approve", parents=parents, help="the shift lead approves a penalty outside the range")
    ap.add_argument("case_id")
    ap.add_argument("--note")
    ap.set_defaults(build=lambda a: ("case.approve", {"case_id": a.case_id, "note": a.note}), render=R.render_detail)

    pa = cs.add_parser("party", parents=parents, help="correct the party's details (before the decision)")
    pa.add_argument("case_id")
    pa.add_argument("--party-type", required=True, choices=["person", "organisation"])
    pa.add_argument("--party-name", required=True)
    for opt in ("--id-number", "--address", "--contact", "--representative", "--note"):
        pa.add_argument(opt)
    pa.set_defaults(build=lambda a: ("case.party", {
        "case_id": a.case_id, "party_type": a.party_type, "party_name": a.party_name, "id_number": a.id_number,
        "address": a.address, "contact": a.contact, "representative": a.representative, "note": a.note}),
        render=R.render_detail)

    ev = cs.add_parser("evidence", parents=parents, help="add an evidence file (kept with its SHA-256), or a unit's "
                       "track excerpt cut from the stored fixes (--track UNIT --from ISO --to ISO)")
    ev.add_argument("case_id")
    ev.add_argument("file", nargs="?", help="the file (not with --track)")
    ev.add_argument("--kind", default="photo", help="photo, video, still, track, record, document, other")
    ev.add_argument("--track", metavar="UNIT", help="cut this unit's track between --from and --to from the store")
    ev.add_argument("--from", dest="start", metavar="ISO", help="with --track: the excerpt's start")
    ev.add_argument("--to", dest="end", metavar="ISO", help="with --track: the excerpt's end (at most a day later)")
    ev.add_argument("--format", choices=["geojson", "gpx", "both"], default="geojson",
                    help="with --track: the file(s) kept (default geojson)")
    ev.add_argument("--note")
    ev.set_defaults(build=_build_evidence, render=R.render_evidence)

    rv = cs.add_parser("review", parents=parents, help="record the outcome of a reconsideration (行政复议) or a "
                       "lawsuit (行政诉讼) on a decided case")
    rv.add_argument("case_id")
    rv.add_argument("--outcome", required=True, help="upheld, varied, revoked, confirmed_illegal (or 维持, 变更, "
                                                      "撤销, 确认违法)")
    rv.add_argument("--body", required=True, help="reconsideration or court (or 行政复议, 行政诉讼)")
    rv.add_argument("--date", required=True, metavar="ISO", help="the date of the review decision or judgment")
    rv.add_argument("--number", required=True, help="its document number, e.g. 柳政复决〔2025〕12号")
    rv.add_argument("--note")
    rv.set_defaults(build=lambda a: ("case.review", {
        "case_id": a.case_id, "outcome": a.outcome, "body": a.body, "date": a.date, "number": a.number,
        "note": a.note}), render=R.render_detail)

    tp = cs.add_parser("templates", parents=parents, help="the document templates: list, show KIND (JSON), "
                       "set KIND FILE (the bureau's own template of that kind)")
    tsub = tp.add_subparsers(dest="templates_command", required=True)
    tl = tsub.add_parser("list", parents=parents, help="every kind with its title, code and where it comes from")
    tl.set_defaults(build=lambda a: ("case.templates", {}), render=R.render_templates)
    tsh = tsub.add_parser("show", parents=parents, help="one kind's template as JSON (edit it, then set it)")
    tsh.add_argument("kind", help=", ".join(R.DOC_KINDS))
    tsh.set_defaults(build=lambda a: ("case.templates", {}), render=_render_template, json_of=_template_of)
    tst = tsub.add_parser("set", parents=parents, help="replace one kind's template with FILE's "
                          "(JSON {title, code, sections: [[label, text with {fields}]...]})")
    tst.add_argument("kind", help=", ".join(R.DOC_KINDS))
    tst.add_argument("file")
    tst.set_defaults(build=lambda a: ("case.templates_set", {"kind": a.kind, "template": read_json(a.file)}),
                     render=R.render_templates_set)

    doc = cs.add_parser("document", parents=parents, help="issue a document (文书) as PDF and write it to --out")
    doc.add_argument("case_id")
    doc.add_argument("kind", help=", ".join(R.DOC_KINDS))
    doc.add_argument("--out", required=True, metavar="FILE.pdf")
    doc.add_argument("--reissue", action="store_true", help="issue a new one superseding the current one")
    doc.add_argument("--note", help="what the document records (an inquiry's questions and answers...)")
    doc.set_defaults(build=lambda a: ("case.document", {
        "case_id": a.case_id, "kind": a.kind, "reissue": a.reissue, "note": a.note,
        **({} if getattr(a, "hub", None) else {"out": str(Path(a.out).expanduser().resolve())})}),
        follow=_document_here, render=R.render_document)

    ex = cs.add_parser("export", parents=parents, help="write the dossier (档案) as a ZIP")
    ex.add_argument("case_id")
    ex.add_argument("--out", required=True, metavar="FILE.zip")
    ex.set_defaults(build=lambda a: ("case.export", {"case_id": a.case_id, **(
        {} if getattr(a, "hub", None) else {"out": str(Path(a.out).expanduser().resolve())})}),
        received_as="out", render=R.render_export)

    ca = cs.add_parser("catalogue", parents=parents, help="the violation catalogue; `set FILE` replaces it")
    ca.add_argument("action", nargs="?", choices=["show", "set"], default="show")
    ca.add_argument("file", nargs="?")
    ca.set_defaults(build=_build_catalogue, render=R.render_catalogue)

    cf = cs.add_parser("config", parents=parents, help="the bureau's settings (JSON file: numbering, holidays...)")
    cf.add_argument("file")
    cf.set_defaults(build=lambda a: ("case.config_set", {"settings": read_json(a.file)}),
                    render=lambda r, a: json.dumps(r, ensure_ascii=False, indent=2))

    sv = cs.add_parser("supervision", parents=parents, help="per officer and team: cases, stage durations, deadlines")
    sv.set_defaults(build=lambda a: ("cases.supervision", {}), render=R.render_supervision)

    dl = cs.add_parser("check-deadlines", parents=parents, help="record overdue legal deadlines now")
    dl.set_defaults(build=lambda a: ("cases.check_deadlines", {}), render=R.render_overdue)

    off = sub.add_parser("officer", parents=parents, help="the enforcement officers' roster")
    osub = off.add_subparsers(dest="officer_command", required=True)
    oa = osub.add_parser("add", parents=parents, help="add an officer or renew the certificate")
    oa.add_argument("officer_id")
    oa.add_argument("--name", required=True)
    oa.add_argument("--certificate", required=True, help="the enforcement certificate number (执法证号)")
    oa.add_argument("--valid-until", required=True, help="ISO date")
    oa.add_argument("--valid-from", help="ISO date (default: now)")
    oa.add_argument("--team")
    oa.set_defaults(build=lambda a: ("officer.add", {
        "officer_id": a.officer_id, "name": a.name, "certificate": a.certificate, "valid_until": a.valid_until,
        "valid_from": a.valid_from, "team": a.team}), render=lambda r, a: R.render_officers([r], a))
    orv = osub.add_parser("revoke", parents=parents, help="revoke an officer's certificate")
    orv.add_argument("officer_id")
    orv.add_argument("--note")
    orv.set_defaults(build=lambda a: ("officer.revoke", {"officer_id": a.officer_id, "note": a.note}),
                     render=lambda r, a: R.render_officers([r], a))
    ol = sub.add_parser("officers", parents=parents, help="the roster with certificates and their validity")
    ol.set_defaults(build=lambda a: ("officers", {}), render=R.render_officers)


def _document_here(client: Any, r: dict[str, Any], actor: str, a: Any) -> dict[str, Any]:
    """Through a hub: the issued document's PDF fetched (its hash checked there) and written here, where ctl runs;
    the hub writes no file of its own for a seat."""
    if not getattr(a, "hub", None):
        return r
    from dispatch.blobs import write_whole
    from dispatch.errors import Refused

    f = client.call("case.document_file", {"case_id": a.case_id, "number": r["number"]}, actor)
    out = Path(a.out).expanduser()
    try:
        write_whole(out, base64.b64decode(f["data_b64"]))
    except OSError as exc:
        raise Refused(f"{r['number']} is issued, but {out} could not be written ({exc.strerror or exc}): "
                      "save it from the console (Case files → Documents → Save PDF…)", "unwritable") from None
    return {**r, "out": str(out.resolve())}


def _build_catalogue(a: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    if a.action == "set":
        if not a.file:
            raise SystemExit("error: case catalogue set FILE")
        return "case.catalogue_set", {"catalogue": read_json(a.file)}
    return "case.catalogue", {}


def _template_of(result: dict[str, Any], a: argparse.Namespace) -> dict[str, Any]:
    from dispatch.errors import Refused

    t = result["templates"].get(a.kind)
    if t is None:
        raise Refused(f"unknown document {a.kind!r}; kinds: {', '.join(sorted(result['templates']))}", "bad_kind")
    return t  # type: ignore[no-any-return]


def _render_template(template: dict[str, Any], a: argparse.Namespace) -> str:
    return json.dumps(template, ensure_ascii=False, indent=2)


def _build_evidence(a: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    from dispatch.errors import Refused

    if a.track is not None:
        if a.file is not None:
            raise Refused("give a file or --track UNIT, not both", "bad_arguments")
        if not a.start or not a.end:
            raise Refused("--track needs --from and --to (ISO date/time)", "bad_arguments")
        return "case.evidence_track", {"case_id": a.case_id, "unit_id": a.track, "start": a.start, "end": a.end,
                                       "format": a.format, "note": a.note}
    if a.file is None:
        raise Refused("give the evidence file, or --track UNIT --from ISO --to ISO", "bad_arguments")
    path = Path(a.file).expanduser()
    args: dict[str, Any] = {"case_id": a.case_id, "name": path.name, "kind": a.kind, "note": a.note}
    if getattr(a, "hub", None):  # the hub may be elsewhere: the file goes in pieces (dispatch/uploads.py)
        a.send_file = path
    else:
        args["path"] = str(path.resolve())
    return "case.evidence", args
