"""The public face of the incident workflow: services (categories), their attributes, and status texts.

Pure tables, zh_CN and en side by side. A service is an incident category (dispatch/incidents/workflow.py);
its group says which part of the bureau answers it; attributes are the extra questions a citizen may answer
(Open311 ``attribute[code]=key``), each a single-value list so every answer is checked against a table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dispatch.bureautime import bureau_tz
from dispatch.incidents.workflow import Category
from dispatch.incidents.workflow import State as IState

BUREAU_TZ = bureau_tz()  # Asia/Shanghai (dispatch/bureautime.py)
LANGS = ("zh_CN", "en")

AGENCIES = {
    "city": {"zh_CN": "柳州市城市管理执法局", "en": "Liuzhou Urban Management Enforcement Bureau"},
    "water": {"zh_CN": "柳州市城市管理执法局水上执法支队", "en": "Liuzhou Waterway Enforcement Detachment"},
}
GROUPS = {"city": {"zh_CN": "市容环境", "en": "City and streets"},
          "water": {"zh_CN": "水上与河道", "en": "River and waterways"},
          "other": {"zh_CN": "其他", "en": "Other"}}


@dataclass(frozen=True)
class Attribute:
    code: str
    names: dict[str, str]
    values: tuple[tuple[str, dict[str, str]], ...]
    required: bool = False


@dataclass(frozen=True)
class Service:
    code: str
    names: dict[str, str]
    descriptions: dict[str, str]
    group: str
    priority: str
    keywords: tuple[str, ...] = ()
    attributes: tuple[Attribute, ...] = field(default_factory=tuple)


SHARE_LOCATION = Attribute("photo_location", {"zh_CN": "照片中的位置信息", "en": "Location inside the photo"},
                           (("remove", {"zh_CN": "删除（默认）", "en": "Remove it (default)"}),
                            ("share", {"zh_CN": "保留并分享", "en": "Keep and share it"})))
WATER_BODY = Attribute("water_body", {"zh_CN": "水域", "en": "Water body"},
                       (("liujiang", {"zh_CN": "柳江干流", "en": "Liujiang main river"}),
                        ("tributary", {"zh_CN": "支流或河汊", "en": "Tributary or creek"}),
                        ("lake", {"zh_CN": "湖泊或池塘", "en": "Lake or pond"})))
FACILITY = Attribute("facility_type", {"zh_CN": "设施类型", "en": "Facility"},
                     (("manhole", {"zh_CN": "井盖", "en": "Manhole cover"}),
                      ("street_light", {"zh_CN": "路灯", "en": "Street light"}),
                      ("railing", {"zh_CN": "护栏", "en": "Railing"}),
                      ("bench", {"zh_CN": "座椅", "en": "Bench"}),
                      ("other", {"zh_CN": "其他", "en": "Other"})))


def _svc(cat: Category, zh: str, en: str, zh_d: str, en_d: str, group: str, prio: str,
         keywords: tuple[str, ...], *extra: Attribute) -> Service:
    return Service(cat.value, {"zh_CN": zh, "en": en}, {"zh_CN": zh_d, "en": en_d}, group, prio, keywords,
                   (*extra, SHARE_LOCATION))


SERVICES: dict[str, Service] = {s.code: s for s in (
    _svc(Category.ILLEGAL_DUMPING, "乱倒垃圾", "Illegal dumping", "在街道、空地随意倾倒垃圾",
         "Rubbish dumped in a street or on open ground", "city", "P3", ("garbage", "rubbish", "垃圾")),
    _svc(Category.CONSTRUCTION_WASTE_SPILL, "渣土撒漏", "Construction waste spill", "运输车辆撒漏渣土、泥浆",
         "Spoil or mud spilled by a truck", "city", "P3", ("truck", "mud", "渣土")),
    _svc(Category.FLOATING_GARBAGE, "水面漂浮物", "Floating garbage", "河面、湖面漂浮垃圾",
         "Rubbish floating on the river or a lake", "water", "P3", ("river", "漂浮物"), WATER_BODY),
    _svc(Category.WATER_POLLUTION, "水体污染", "Water pollution", "排污、油污、水体异色异味",
         "Discharge, oil, water of odd colour or smell", "water", "P2", ("oil", "sewage", "排污"), WATER_BODY),
    _svc(Category.ILLEGAL_FISHING, "非法捕捞", "Illegal fishing", "禁渔期捕鱼、电鱼、网箱",
         "Fishing in the closed season, electric fishing, nets", "water", "P3", ("fishing", "捕鱼"), WATER_BODY),
    _svc(Category.ILLEGAL_SAND_MINING, "非法采砂", "Illegal sand mining", "河道内无证采砂",
         "Sand dredged from the river without a permit", "water", "P2", ("sand", "采砂"), WATER_BODY),
    _svc(Category.STREET_VENDING, "占道经营", "Street vending", "占用道路、人行道经营",
         "Trading on the road or the pavement", "city", "P4", ("vendor", "摆摊")),
    _svc(Category.ILLEGAL_CONSTRUCTION, "违法建设", "Illegal construction", "未经许可的搭建、改建",
         "Building or extending without a permit", "city", "P3", ("building", "违建")),
    _svc(Category.DAMAGED_FACILITY, "公共设施损坏", "Damaged public facility", "井盖、路灯、护栏等损坏",
         "Broken manhole cover, street light, railing...", "city", "P2", ("manhole", "light", "井盖"), FACILITY),
    _svc(Category.OTHER, "其他问题", "Other problem", "其他城市管理问题", "Any other city-management problem",
         "other", "P3", ()),
)}


def lang_of(value: str | None) -> str:
    """'en', 'en-US', 'en_GB,zh;q=0.8' -> 'en'; anything else (or nothing) -> 'zh_CN', the bureau's language."""
    v = (value or "").strip().lower()
    return "en" if v.startswith("en") else "zh_CN"


def agency(service: Service, lang: str) -> str:
    return AGENCIES["water" if service.group == "water" else "city"][lang]


# ------------------------------------------------------------------------- status, as the citizen sees it

CLOSED_FOR_CITIZEN = (IState.RESOLVED, IState.CLOSED, IState.EVALUATED, IState.REJECTED)

STATE_TEXT: dict[str, dict[str, str]] = {
    "reported": {"zh_CN": "已受理，等待核实", "en": "Received, waiting to be verified"},
    "verified": {"zh_CN": "已核实，正在派遣", "en": "Verified, being dispatched"},
    "dispatched": {"zh_CN": "已派遣处置人员", "en": "A crew has been dispatched"},
    "accepted": {"zh_CN": "处置人员已接单", "en": "The crew has taken the case"},
    "en_route": {"zh_CN": "处置人员正在赶往现场", "en": "The crew is on the way"},
    "on_scene": {"zh_CN": "处置人员已到达现场", "en": "The crew is on site"},
    "resolved": {"zh_CN": "已处置完毕，等待核查", "en": "Dealt with, being checked"},
    "closed": {"zh_CN": "已办结，欢迎评价", "en": "Closed: please rate the result"},
    "evaluated": {"zh_CN": "已办结并评价，感谢您的反馈", "en": "Closed and rated: thank you"},
    "reopened": {"zh_CN": "已重新办理", "en": "Reopened for further work"},
    "rejected": {"zh_CN": "经核实不予立案", "en": "Not taken up after verification"},
    "duplicate": {"zh_CN": "与编号 %s 的诉求为同一问题，已合并办理；进展同步更新",
                  "en": "The same problem as request %s: handled together, and you are kept informed"},
    "low_rating": {"zh_CN": "您的评价已收到，案件已交值班长复核",
                   "en": "Your rating was received; the case goes back to the shift lead for review"},
    "rated": {"zh_CN": "您的评价已收到，谢谢", "en": "Your rating was received, thank you"},
}


# servicerequestupdates is FixMyStreet's extension, and FixMyStreet reads its ``status`` in its own extended
# vocabulary (lower-cased, "_" for " "): a bare "closed" is taken there for "fixed", which a report not taken up
# is not. Keys: the workflow states as the citizen sees them (``duplicate``: joined to another incident).
FMS_STATUS: dict[str, str] = {
    "reported": "open", "verified": "action_scheduled", "dispatched": "in_progress", "accepted": "in_progress",
    "en_route": "in_progress", "on_scene": "in_progress", "reopened": "open", "duplicate": "open",
    "resolved": "fixed", "closed": "fixed", "evaluated": "fixed", "rejected": "no_further_action",
}


def state_text(key: str, lang: str, *args: Any) -> str:
    t = STATE_TEXT[key][lang]
    return t % args if args else t


def w3c(ts: float | None) -> str | None:
    """Epoch seconds -> '2026-04-14T06:37:38+08:00' (the spec's W3C datetime, in the bureau's zone)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, BUREAU_TZ).isoformat(timespec="seconds")


def parse_w3c(value: str, name: str) -> float:
    """A W3C / ISO 8601 datetime -> epoch seconds; without a zone, the bureau's. Raises ValueError naming it."""
    v = value.strip()
    try:
        dt = datetime.fromisoformat(v.replace("Z", "+00:00") if v.endswith("Z") else v)
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a W3C datetime such as 2026-04-14T06:37:38+08:00") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=BUREAU_TZ)
    return dt.astimezone(UTC).timestamp()
