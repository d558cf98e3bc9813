"""Places of the gazetteer as the console shows them: the kind in words, the name in the seat's language first.

The search itself is the core's (`places.search`, dispatch/gazetteer); widgets only show its answer.
"""

from __future__ import annotations

from typing import Any

from console.i18n import current_language, t, word

PLACE_KINDS = {  # English display names (Chinese in resources/i18n/zh_CN.json)
    "road": "Road",
    "intersection": "Intersection",
    "bridge": "Bridge",
    "dock": "Pier",
    "district": "District",
    "site": "Site",
    "segment": "River segment",
    "patrol_zone": "Patrol zone",
    "place": "Place",
}


def place_kind_label(kind: str | None) -> str:
    if not kind:
        return ""
    return t(PLACE_KINDS[kind]) if kind in PLACE_KINDS else word(kind)


def place_text(p: dict[str, Any]) -> str:
    """'文惠桥 · Wenhui Bridge (Bridge)': the name in the seat's language first, the other beside it."""
    name, en = str(p.get("name") or ""), str(p.get("name_en") or "")
    first, second = (en, name) if current_language() == "en" and en else (name, en)
    names = f"{first} · {second}" if second and second != first else first
    kind = place_kind_label(p.get("kind"))
    return f"{names} ({kind})" if kind else names
