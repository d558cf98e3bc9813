"""The spec's discovery, services and service definition documents, from the service tables."""

from __future__ import annotations

from typing import Any

from dispatch.citizens.services import GROUPS, LANGS, SERVICES


def discovery(base: str) -> dict[str, Any]:
    return {
        "changeset": "2026-01-01T00:00:00+08:00",
        "contact": "柳州市城市管理执法局 / Liuzhou Urban Management Enforcement Bureau, 12319",
        "key_service": "API keys are issued by the bureau (python main.py ctl apikey new NAME)",
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": f"{base}/open311/v2",
                       "changeset": "2026-01-01T00:00:00+08:00", "type": "production",
                       "formats": ["application/json", "text/xml"]}],
    }


def service_list(lang: str) -> list[dict[str, Any]]:
    other = "en" if lang == "zh_CN" else "zh_CN"
    return [{"service_code": s.code, "service_name": s.names[lang], "description": s.descriptions[lang],
             "metadata": bool(s.attributes), "type": "realtime", "keywords": ",".join(s.keywords),
             "group": GROUPS[s.group][lang],
             # extensions: both languages, so a client can show either without a second call
             "service_name_zh_CN": s.names["zh_CN"], "service_name_en": s.names["en"],
             "group_code": s.group, "description_" + other: s.descriptions[other]}
            for s in SERVICES.values()]


def service_definition(code: str, lang: str) -> dict[str, Any]:
    s = SERVICES[code]
    attrs = []
    for order, a in enumerate(s.attributes, 1):
        attrs.append({"variable": True, "code": a.code, "datatype": "singlevaluelist", "required": a.required,
                      "datatype_description": None, "order": order, "description": a.names[lang],
                      "values": [{"key": k, "name": names[lang]} for k, names in a.values]})
    return {"service_code": s.code, "attributes": attrs}


assert set(LANGS) == {"zh_CN", "en"}
