"""The procedure of the Administrative Penalty Law (《中华人民共和国行政处罚法》, as revised in 2021) as data.

Pure tables and small functions, no store and no core: the operations, the console and the tests read
them. Articles are cited as "§N" (第N条) in the messages the system refuses with.

The ordinary procedure (普通程序) is a sequence of stages; each step is an act recorded on the case.
Stage-moving steps change ``Case.stage``; the others are acts recorded within a stage::

    opened -(filed 立案)-> filed -(inquiry/inspection/preservation 调查取证)-> investigating
      -(notice 告知)-> notified [statement, hearing_request, hearing_notice, hearing, legal_review,
      collective, extension] -(decision 决定)-> decided -(service 送达)-> served
      -(payment 执行)-> executed -(closed 结案)-> closed -(archived 归档)-> archived

The simple procedure (简易程序, 当场处罚, §51-§53) goes opened -(on_the_spot)-> decided_on_spot
-(filed_record 备案)-> closed -> archived.

Time limits: §85 counts "2, 3, 5 and 7 days" as working days (no weekends or statutory holidays, the
bureau keeps the holiday list); other periods are calendar days. Days end at midnight in China
Standard Time (UTC+8).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from dispatch.errors import Refused

CST = timezone(timedelta(hours=8), "CST")
DAY = 86400.0


@dataclass(frozen=True)
class Step:
    key: str
    zh: str
    en: str
    after: tuple[str, ...]  # stages in which this step may be recorded
    to: str | None = None  # the stage it moves to (None: an act within the stage)
    officers: int = 0  # how many officers with valid certificates must be named (§42, §55)
    document: str | None = None  # the document kind this step produces
    article: str = ""


ORDINARY_STAGES = ("opened", "filed", "investigating", "notified", "decided", "served", "executed", "closed",
                   "archived")
SIMPLE_STAGES = ("decided_on_spot",)
STAGES = ORDINARY_STAGES + SIMPLE_STAGES

STAGE_NAMES: dict[str, tuple[str, str]] = {
    "opened": ("待立案", "awaiting filing"),
    "filed": ("已立案", "filed"),
    "investigating": ("调查取证", "investigating"),
    "notified": ("已告知", "notified"),
    "decided": ("已决定", "decided"),
    "served": ("已送达", "served"),
    "executed": ("已执行", "executed"),
    "closed": ("已结案", "closed"),
    "archived": ("已归档", "archived"),
    "decided_on_spot": ("当场处罚", "penalised on the spot"),
}

_INV = ("filed", "investigating")
STEPS: tuple[Step, ...] = (
    Step("filed", "立案", "filing (approved)", ("opened",), "filed", 0, "filing_approval", "§54"),
    Step("inquiry", "询问", "inquiry", _INV, "investigating", 2, "inquiry_record", "§42, §55"),
    Step("inspection", "现场检查", "site inspection", _INV, "investigating", 2, "inspection_record", "§42, §55"),
    Step("preservation", "先行登记保存", "registered preservation of evidence", _INV, "investigating", 2,
         "preservation_notice", "§56"),
    Step("preservation_decision", "登记保存处理决定", "decision on preserved evidence", _INV, None, 2, None, "§56"),
    Step("extension", "延期", "decision period extended (approved)", ("filed", "investigating", "notified"), None,
         0, None, "§60"),
    Step("notice", "告知", "notice of the proposed penalty", ("investigating", "notified"), "notified", 2,
         "penalty_notice", "§44, §62, §63"),
    Step("statement", "陈述申辩", "the party's statement and defence heard", ("notified",), None, 0, None, "§45"),
    Step("hearing_request", "申请听证", "hearing requested", ("notified",), None, 0, None, "§64(1)"),
    Step("hearing_notice", "听证通知", "hearing notice", ("notified",), None, 0, "hearing_notice", "§64(2)"),
    Step("hearing", "听证", "hearing held (minutes)", ("notified",), None, 2, None, "§64, §65"),
    Step("legal_review", "法制审核", "legal review", ("notified",), None, 0, None, "§58"),
    Step("collective", "集体讨论", "collective discussion", ("notified",), None, 0, None, "§57"),
    Step("decision", "决定", "decision", ("notified",), "decided", 0, "penalty_decision", "§57, §59, §62"),
    Step("service", "送达", "service", ("decided",), "served", 0, "service_receipt", "§61"),
    Step("payment", "执行", "payment (execution)", ("served",), "executed", 0, None, "§67, §72"),
    Step("closed", "结案", "closing (approved)", ("served", "executed", "decided_on_spot"), "closed", 0,
         "closing_approval", ""),
    Step("archived", "归档", "archiving", ("closed",), "archived", 0, None, ""),
    # the simple procedure
    Step("on_the_spot", "当场处罚", "penalty on the spot (simple procedure)", ("opened",), "decided_on_spot", 1,
         "spot_decision", "§51, §52"),
    Step("filed_record", "备案", "filed with the bureau afterwards", ("decided_on_spot",), None, 0, None, "§52"),
)
STEP: dict[str, Step] = {s.key: s for s in STEPS}
_ALIASES = {s.zh: s.key for s in STEPS} | {"当场处罚": "on_the_spot", "调查取证": "inquiry", "执行": "payment"}

# The simple procedure's caps (§51): a warning, or a fine up to these amounts (yuan).
SPOT_FINE_CAP = {"person": 200.0, "organisation": 3000.0}
OFFICERS_PER_ACT = 2  # §42: no fewer than two officers, unless the law says otherwise (§52 on the spot: one)
LIMITATION_DAYS = 2 * 365  # §36: two years from the act (or from its end, if continuing)
PRESERVATION_WORKDAYS = 7  # §56
HEARING_REQUEST_WORKDAYS = 5  # §64(1)
HEARING_NOTICE_WORKDAYS = 7  # §64(2)
DECISION_DAYS = 90  # §60
EXTENSION_DAYS = 30  # the bureau's extension (approved by the head of the organ), configurable
SERVICE_WORKDAYS = 7  # §61
PAYMENT_DAYS = 15  # §67
LATE_RATE = 0.03  # §72(1): 3 % of the fine a day, never more than the fine
# §63: a hearing may be asked for a "large" fine; Guangxi's threshold (bureau-configurable)
HEARING_THRESHOLD = {"person": 10000.0, "organisation": 100000.0}
# §58: legal review before a decision: hearing held, serious circumstance, or a fine at/above this
LEGAL_REVIEW_THRESHOLD = {"person": 10000.0, "organisation": 100000.0}

CIRCUMSTANCES = ("minor", "ordinary", "serious")
CIRCUMSTANCE_NAMES = {"minor": ("轻微", "minor"), "ordinary": ("一般", "ordinary"), "serious": ("严重", "serious")}
PARTY_TYPES = ("person", "organisation")
DEADLINES = ("limitation", "preservation", "hearing_request", "decision", "service", "payment")
DEADLINE_NAMES = {
    "limitation": ("追责时效", "limitation period", "§36"),
    "preservation": ("登记保存处理", "decision on preserved evidence", "§56"),
    "hearing_request": ("听证申请期", "hearing request period", "§64(1)"),
    "decision": ("作出决定", "decision", "§60"),
    "service": ("送达", "service", "§61"),
    "payment": ("缴纳罚款", "payment", "§67"),
}

# Review of a decision (行政复议 under the Administrative Reconsideration Law, 行政诉讼 under the Administrative
# Litigation Law): its outcome. Varied, revoked or confirmed illegal count as overturned (纠错) in supervision.
REVIEW_OUTCOMES = {
    "upheld": ("维持", "upheld"),
    "varied": ("变更", "varied"),
    "revoked": ("撤销", "revoked"),
    "confirmed_illegal": ("确认违法", "confirmed illegal"),
}
OVERTURNED = frozenset({"varied", "revoked", "confirmed_illegal"})
REVIEW_BODIES = {"reconsideration": ("行政复议", "administrative reconsideration"),
                 "court": ("行政诉讼", "administrative litigation (court)")}
_REVIEW_ALIASES = {"维持": "upheld", "变更": "varied", "撤销": "revoked", "确认违法": "confirmed_illegal",
                   "overturned": "revoked", "illegal": "confirmed_illegal", "confirmed-illegal": "confirmed_illegal",
                   "行政复议": "reconsideration", "复议": "reconsideration", "行政诉讼": "court", "诉讼": "court",
                   "litigation": "court"}


def parse_review(outcome: str, body: str) -> tuple[str, str]:
    """('revoked', 'court') from words such as '撤销', 'overturned', '行政诉讼'; Refused naming the choices."""
    o = str(outcome).strip()
    o = _REVIEW_ALIASES.get(o, o.lower().replace("-", "_").replace(" ", "_"))
    b = str(body).strip()
    b = _REVIEW_ALIASES.get(b, b.lower())
    if o not in REVIEW_OUTCOMES:
        raise Refused(f"unknown review outcome {outcome!r}; one of {', '.join(REVIEW_OUTCOMES)}", "bad_outcome")
    if b not in REVIEW_BODIES:
        raise Refused(f"unknown review body {body!r}; one of {', '.join(REVIEW_BODIES)}", "bad_body")
    return o, b


def parse_step(name: str) -> Step:
    """'notice', 'Notice', 'hearing-notice', '告知' -> the Step; Refused naming the steps otherwise."""
    raw = str(name).strip()
    key = _ALIASES.get(raw, raw.lower().replace("-", "_").replace(" ", "_"))
    s = STEP.get(key)
    if s is None:
        raise Refused(f"unknown step {name!r}; steps: {', '.join(x.key for x in STEPS)}", "bad_step")
    return s


def allowed_steps(stage: str) -> list[str]:
    return [s.key for s in STEPS if stage in s.after]


def check_step(stage: str, step: Step) -> None:
    if stage in step.after:
        return
    allowed = allowed_steps(stage)
    raise Refused(
        f"{step.key} ({step.zh}) cannot be recorded at stage {stage} ({STAGE_NAMES[stage][0]}); "
        f"allowed now: {', '.join(allowed) if allowed else 'nothing (final)'}",
        "illegal_step",
    )


def parse_party_type(value: str) -> str:
    key = str(value).strip().lower()
    key = {"organization": "organisation", "org": "organisation", "individual": "person", "个人": "person",
           "公民": "person", "单位": "organisation", "法人": "organisation"}.get(key, key)
    if key not in PARTY_TYPES:
        raise Refused(f"unknown party type {value!r}; one of person, organisation", "bad_party_type")
    return key


def parse_circumstance(value: str) -> str:
    key = str(value).strip().lower()
    key = {"轻微": "minor", "一般": "ordinary", "严重": "serious"}.get(key, key)
    if key not in CIRCUMSTANCES:
        raise Refused(f"unknown circumstance {value!r}; one of {', '.join(CIRCUMSTANCES)}", "bad_circumstance")
    return key


# ------------------------------------------------------------------------------------------- days


def local_date(ts: float) -> date:
    return datetime.fromtimestamp(ts, CST).date()


def end_of_day(d: date) -> float:
    """The last instant of day `d` in China Standard Time, as epoch seconds."""
    return datetime(d.year, d.month, d.day, tzinfo=CST).timestamp() + DAY - 0.001


def is_workday(d: date, holidays: frozenset[str] = frozenset(), workdays: frozenset[str] = frozenset()) -> bool:
    """Monday-Friday, less the statutory holidays, plus the weekend days made working days (调休)."""
    iso = d.isoformat()
    if iso in workdays:
        return True
    return d.weekday() < 5 and iso not in holidays


def add_workdays(ts: float, n: int, holidays: frozenset[str] = frozenset(),
                 workdays: frozenset[str] = frozenset()) -> float:
    """The end of the n-th working day after the day of `ts` (the day of the act itself does not count)."""
    d = local_date(ts)
    left = n
    while left > 0:
        d += timedelta(days=1)
        if is_workday(d, holidays, workdays):
            left -= 1
    return end_of_day(d)


def add_days(ts: float, n: int) -> float:
    """The end of the n-th calendar day after the day of `ts`."""
    return end_of_day(local_date(ts) + timedelta(days=n))


def late_charge(fine: float, due: float, paid_at: float) -> float:
    """§72(1): 3 % of the fine for each day past the due date, capped at the fine itself."""
    if paid_at <= due or fine <= 0:
        return 0.0
    days = (local_date(paid_at) - local_date(due)).days
    return round(min(fine, fine * LATE_RATE * max(days, 0)), 2)


def iso_day(ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, CST).strftime("%Y-%m-%d")


def iso_utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
