"""Who may run which operation: the one permission table the hub checks on every control request.

docs/permissions.md is generated from PERMISSIONS (`python -m dispatch.accounts.permissions > docs/permissions.md`)
and tests/accounts check that it is; an operation missing from the table is refused to everyone.
A rule may depend on the arguments (which state an incident is moved to, whose password is set).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

D, SL, E, A, V = "dispatcher", "shift_lead", "engineer", "administrator", "viewer"
EVERYONE = (D, SL, E, A, V)
DISPATCH = (D, SL)


@dataclass(frozen=True)
class Rule:
    operation: str
    roles: tuple[str, ...]
    when: str = ""  # the condition in words, for the table ("" = always)
    test: Callable[[dict[str, Any], str], bool] | None = None  # (args, operator name) -> does this rule apply
    why: str = ""


def _to(*states: str) -> Callable[[dict[str, Any], str], bool]:
    return lambda args, _me: args.get("state") in states


def _names_a_path(args: dict[str, Any], _me: str) -> bool:
    return args.get("path") not in (None, "")


def _writes_out(args: dict[str, Any], _me: str) -> bool:
    return bool(args.get("out"))


# Operations that read a file named by its path read it where they run: at a hub, a file of the hub's machine, which
# an operator at another seat has no business naming (the hub's keys, its store, any file its OS user may read would
# come back as an attachment). Through the hub a seat sends the file's content (data_b64); the path is only the
# owner's, on the hub's own machine (ctl --hub as the OS user running it, or ctl --db), whom the table does not check.
READS_A_PATH = ("incident.attach", "case.evidence", "evidence.add", "citizens.layer_import")

PERMISSIONS: tuple[Rule, ...] = (
    *(Rule(o, (), "with path (a file of the hub's machine)", _names_a_path,
           "reads a file of the hub's machine: only its owner there; a seat sends the file (upload.piece, data_b64)")
      for o in READS_A_PATH),
    Rule("download.piece", EVERYONE, why="a file an operation made for this operator (a dossier), read back by "
         "that operator alone"),
    Rule("upload.piece", (D, SL, E, A), why="a file sent to the hub in pieces, for the operation that keeps it "
         "(attach, evidence); it records nothing by itself"),
    # reading: everyone, the video wall too
    *(Rule(o, EVERYONE, why="read only") for o in (
        "units", "unit.show", "incidents", "incident.show", "incidents.config", "recommend", "tasks", "task.show",
        "feeds", "field.assignments", "field.messages", "field.outbox", "field.keys", "replay.events",
        "replay.positions", "replay.seats", "replay.page", "analytics.stats", "analytics.dashboard", "analytics.select", "analytics.weights",
        "analytics.hotspots", "analytics.units", "analytics.report", "analytics.alerts_by_company", "analytics.live", "plans", "places", "places.search", "incident.check", "incidents.alerts",
        "field.unread", "supervision.flagged", "supervision.notices", "jt808.texts", "jt808.alarms", "jt808.drivers",
        "jt808.commands", "jt808.photos", "jt808.waybills", "jt808.terminals", "jt808.unknown", "citizens.request",
        "citizens.requests", "citizens.preview", "citizens.layers", "citizens.satisfaction")),
    Rule("replay.export", (SL, A), "with out", _writes_out, "writes a file on the hub's machine"),
    Rule("replay.export", (SL, A), why="a shift's replay file made for the seat that asks (download.piece)"),
    Rule("retention.show", EVERYONE, why="read only"),
    Rule("retention.set", (A,), why="how long the bureau keeps every fix is the administrator's"),
    Rule("retention.apply", (A,), why="thins old fixes now (the background does it on its own)"),
    # the dispatcher's work
    *(Rule(o, DISPATCH) for o in (
        "incident.create", "incident.assign", "incident.unassign", "incident.attach", "incident.merge",
        "unit.status", "task.create", "task.assign", "task.cancel", "task.finish", "field.send", "field.broadcast",
        "incidents.check_deadlines", "tasks.tick", "jt808.send_text")),
    *(Rule(o, DISPATCH, why="where a truck is and how often it reports: the dispatcher's") for o in (
        "jt808.query_position", "jt808.track", "jt808.confirm_alarms")),
    Rule("jt808.take_photo", (D, SL, E), why="what a truck's camera sees now: the dispatcher's, like a position query; "
         "the engineer's too, who tests a terminal's cameras on the device bench"),
    Rule("jt808.upload_photos", (D, SL, E), why="the photos a truck kept, asked for as one is taken (take_photo)"),
    Rule("jt808.photo", (SL, A), "with out (a copy written to a file)", _writes_out,
         "writes a file on the hub's machine"),
    Rule("jt808.photo", EVERYONE, why="read only"),
    Rule("incident.transition", (SL,), "to reopened or evaluated", _to("reopened", "evaluated"),
         "reopening a closed case and the evaluation are the shift lead's"),
    Rule("incident.transition", DISPATCH, "to any other state"),
    Rule("incident.evaluate", (SL,), why="the evaluation is the shift lead's"),
    Rule("incidents.config_set", (SL,), why="deadlines (extending one) are the shift lead's"),
    Rule("analytics.weights_set", (SL,), why="how the bureau scores its work"),
    Rule("plan.create", (SL,), why="a standing response plan for a hotspot"),
    Rule("supervision.notice", (SL,), why="supervision (督办) of a responsible unit"),
    Rule("shift.note", DISPATCH, why="a handover note for the shift report"),
    Rule("alarms.mute", (D, SL, E, A), why="a seat's alarm sounds silenced until the end of the shift, recorded"),
    Rule("citizens.public_note", DISPATCH, why="the answer every citizen who reported the case reads"),
    Rule("citizens.file", DISPATCH, why="a citizen's request keyed in for a client (its API key still checked)"),
    Rule("citizens.rate", (SL,), why="a rating evaluates the case (citizens rate over Open311 with their token)"),
    Rule("incidents.acknowledge_alerts", DISPATCH, why="the shift-lead alerts acknowledged at a seat"),
    Rule("field.read", DISPATCH, why="a conversation read at a dispatcher's seat"),
    # the enforcement case file (dispatch/cases/)
    Rule("cases", DISPATCH, "with personal data revealed", lambda args, _me: bool(args.get("reveal")),
         "a party's personal data only for those handling cases"),
    *(Rule(o, EVERYONE, why="read only (personal data masked)") for o in (
        "cases", "case.catalogue", "case.templates", "officers", "cases.supervision", "cases.counts")),
    Rule("case.show", DISPATCH, "with personal data revealed", lambda args, _me: bool(args.get("reveal")),
         "a party's personal data only for those handling cases"),
    Rule("case.show", EVERYONE, "masked"),
    Rule("case.document", (SL, A), "with out (a copy written to a file)", _writes_out,
         "writes a file on the hub's machine (ctl --hub writes the document here, from case.document_file)"),
    *(Rule(o, DISPATCH, why="case handling") for o in (
        "case.open", "case.advance", "case.party", "case.evidence", "case.evidence_track", "case.penalty",
        "case.document", "case.document_file", "cases.check_deadlines")),
    Rule("case.review", (SL,), why="a review's outcome counts in the officers' supervision: not theirs to record"),
    Rule("case.export", (SL, A), "with out", _writes_out, "writes the dossier on the hub's machine"),
    Rule("case.export", (SL, A), why="the dossier made for the seat that asks (download.piece), the whole case: the "
         "archive is the shift lead's"),
    Rule("case.approve", (SL,), why="approvals (discretion, extension, filing, closing) are the shift lead's"),
    *(Rule(o, (SL, A), why="the bureau's catalogue, templates and numbering") for o in (
        "case.catalogue_set", "case.templates_set", "case.config_set")),
    Rule("places.import", (E, A, SL), why="the bureau's gazetteer"),
    Rule("officer.add", (SL, A), why="the enforcement officers' roster"),
    Rule("officer.revoke", (SL, A), why="the enforcement officers' roster"),
    # construction-waste supervision and the rules (dispatch/zones/, dispatch/rules/)
    *(Rule(o, EVERYONE, why="read only") for o in (
        "zones", "zones.export", "permits", "companies", "truck.card", "alerts", "alert.show", "rules.config")),
    *(Rule(o, DISPATCH, why="working the alert queue") for o in ("alert.acknowledge", "alert.incident", "rules.sweep")),
    *(Rule(o, (SL, A), why="the bureau's zones and licences") for o in (
        "zones.import", "zones.set_tz", "companies.import", "trucks.import", "company.save", "truck.permit_save")),
    *(Rule(o, (SL, E, A), why="zones drawn and edited on the map") for o in ("zone.save", "zone.remove")),
    Rule("rules.config_set", (SL,), why="the rules' thresholds are the shift lead's"),
    # cameras and video evidence (dispatch/evidence/)
    *(Rule(o, EVERYONE, why="read only") for o in (
        "cameras", "camera.show", "cameras.map", "evidence.list", "evidence.show", "evidence.footage")),
    Rule("cameras.import", (E, A), why="the camera register, like the fleet's roster"),
    Rule("camera.save", (E, A), why="the camera register: adding, editing or moving one camera"),
    Rule("camera.remove", (E, A), why="the camera register: a camera out of service (its footage kept)"),
    Rule("evidence.fetch", EVERYONE, why="reads a stored clip or still a piece at a time (an attached seat plays it)"),
    Rule("evidence.verify", (D, SL, E, A), why="reads only, but decodes every stored clip (minutes on a large store)"),
    Rule("cameras.check", EVERYONE, why="tries the cameras' streams; records only a change of reachability"),
    Rule("evidence.frame", (SL, A), "with out (a copy written to a file)", _writes_out,
         "writes a file on the hub's machine"),
    *(Rule(o, DISPATCH, why="evidence handling") for o in (
        "evidence.add", "evidence.attach", "evidence.frame", "evidence.annotate", "evidence.record",
        "evidence.to_case", "evidence.photo_to_case")),
    # the fleet and its devices
    Rule("units.register", (E, A), why="the roster"),
    Rule("unit.bind_mmsi", (E, A), why="a device binding, like a feed's"),
    Rule("unit.bind_terminal", (E, A), why="a device binding (a truck's JT/T 808 terminal), like a feed's"),
    Rule("jt808.set_params", (E, A), why="a terminal's settings (heartbeat, report intervals, server...)"),
    Rule("jt808.read_params", (D, SL, E, A), why="reads a terminal's settings; changes nothing"),
    Rule("jt808.read_attributes", (D, SL, E, A), why="reads what a terminal is (model, firmware, SIM); changes nothing"),
    Rule("jt808.find_photos", (D, SL, E, A), why="lists the photos a truck keeps; uploads and changes nothing"),
    *(Rule(o, (SL, E, A), why="the areas a truck's terminal alarms on by itself: the supervision's, set up by "
           "the engineer") for o in ("jt808.set_area", "jt808.delete_areas")),
    Rule("feed.edit", (E, A), why="adding or editing a feed (the device bench)"),
    Rule("field.enrol", (A,), why="unit keys are the administrator's"),
    Rule("field.revoke", (A,), why="unit keys are the administrator's"),
    Rule("keys.new", (A,), why="unit and seat keys are the administrator's"),
    Rule("citizens.layer_import", (E, A), why="the convenience layer's data (toilets, parking...)"),
    *(Rule(o, (A,), why="Open311 API keys are the administrator's") for o in (
        "citizens.apikey_new", "citizens.apikey_revoke", "citizens.apikeys")),
    # accounts
    Rule("accounts", (A, SL), why="who is on shift"),
    Rule("account.passwd", EVERYONE, "for one's own account", lambda args, me: args.get("name") == me),
    *(Rule(o, (A,), why="accounts are the administrator's") for o in (
        "account.add", "account.passwd", "account.role", "account.disable", "account.enable", "account.unlock")),
)


def rule_for(operation: str, args: dict[str, Any], operator: str) -> Rule | None:
    """The first rule of `operation` whose condition holds (None: the operation is not in the table)."""
    for r in PERMISSIONS:
        if r.operation == operation and (r.test is None or r.test(args, operator)):
            return r
    return None


def allowed(role: str, operation: str, args: dict[str, Any], operator: str) -> tuple[bool, str]:
    """(may `operator` with `role` run it, the reason in words when not)."""
    r = rule_for(operation, args, operator)
    if r is None:
        return False, f"{operation} is not in the permission table (docs/permissions.md): refused to everyone"
    if role in r.roles:
        return True, ""
    cond = f" ({r.when})" if r.when else ""
    if not r.roles:
        return False, f"no seat may run {operation}{cond}: it {r.why}"
    return False, f"a {role} may not run {operation}{cond}; allowed: {', '.join(r.roles)}"


def as_markdown() -> str:
    head = ["# Permissions", "",
            "Generated from `dispatch/accounts/permissions.py` (`python -m dispatch.accounts.permissions`); the hub",
            "checks every control request against it and records a refusal as `account.command_refused`.",
            "The first row of an operation whose condition holds decides. An operation not listed is refused.",
            "`ctl --db` on a local store is the owner's single seat and is not checked. Neither is the store's owner",
            "on the hub's own machine: `ctl --hub` with no `--key` and no `--user`, run by the OS user running the hub,",
            "logs in with the hub's owner file (`owner:<login>`, dispatch/hub/owner.py). A single-seat console checks",
            "its device bench (feed edits, device bindings) against it for an operator with an account in its store.",
            "",
            "| operation | when | " + " | ".join(EVERYONE) + " | why |",
            "|---|---|" + "---|" * len(EVERYONE) + "---|"]
    rows = [f"| `{r.operation}` | {r.when} | " + " | ".join("yes" if role in r.roles else "" for role in EVERYONE)
            + f" | {r.why} |" for r in PERMISSIONS]
    return "\n".join(head + rows) + "\n"


if __name__ == "__main__":
    print(as_markdown(), end="")  # noqa: T201
