"""Matching a typed place name: Chinese characters, full pinyin ("wenhuiqiao", "wen hui qiao"), pinyin
initials ("whq"), or the English name ("wenhui bridge"), scored exact > starts with > contains.

Pinyin comes from pypinyin (its dictionary, not ours). Every entry is indexed once as lowercase keys
without spaces; a query is normalised the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_SPACE = re.compile(r"[\s\-_·,，.。/()（）]+")


def norm(text: str) -> str:
    return _SPACE.sub("", str(text or "").lower())


def keys_of(name: str, name_en: str = "", aliases: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The search keys of one place: its names, full pinyin and pinyin initials."""
    from pypinyin import Style, lazy_pinyin  # here, not at the top: 0.3 s of start-up no snapshot load needs

    out = []
    for n in (name, *aliases):
        if not n:
            continue
        out.append(norm(n))
        out.append(norm("".join(lazy_pinyin(n))))
        out.append(norm("".join(lazy_pinyin(n, style=Style.FIRST_LETTER))))
    if name_en:
        out.append(norm(name_en))
    return tuple(dict.fromkeys(k for k in out if k))


@dataclass(frozen=True)
class Entry:
    id: str
    name: str
    kind: str  # road, intersection, bridge, dock, district, site, segment, patrol_zone, or the importer's kind
    lat: float
    lon: float
    name_en: str = ""
    source: str = "city"
    keys: tuple[str, ...] = field(default=(), compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "name_en": self.name_en, "kind": self.kind, "lat": round(self.lat, 6),
                "lon": round(self.lon, 6), "source": self.source}


def score(entry: Entry, q: str) -> int:
    """0 (no match) .. 100 (exact name)."""
    best = 0
    for i, k in enumerate(entry.keys):
        bonus = 2 if i == 0 else 0  # the name itself before its pinyin
        if k == q:
            best = max(best, 96 + bonus)
        elif k.startswith(q):
            best = max(best, 70 + bonus + min(len(q) * 2, 20))
        elif q in k:
            best = max(best, 40 + bonus + min(len(q) * 2, 20))
    return best


def search(entries: list[Entry], query: str, *, limit: int = 10, kind: str | None = None) -> list[dict[str, Any]]:
    q = norm(query)
    if not q:
        return []
    hits = []
    for e in entries:
        if kind and e.kind != kind:
            continue
        s = score(e, q)
        if s:
            hits.append((s, -len(e.name), e))
    hits.sort(key=lambda h: (-h[0], -h[1], h[2].name))
    return [{**e.as_dict(), "score": s} for s, _n, e in hits[:limit]]
