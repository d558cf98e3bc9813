"""The violation catalogue (违法行为目录) and its discretion benchmark (自由裁量基准).

Each violation has a code, a name, the article it breaks (legal basis), the article that sets its penalty
(penalty basis) and the benchmark: for each party type and circumstance (minor, ordinary, serious), a fine
range [min, max] in yuan for a first and for a repeated offence, and whether a warning alone is allowed.
The default ships as resources/cases/violations.json; the bureau replaces it through ``case.catalogue_set``
(an event), after :func:`validate` accepted it whole.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dispatch.cases.law import CIRCUMSTANCES, PARTY_TYPES
from dispatch.errors import NotFound, Refused

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "resources" / "cases" / "violations.json"


@dataclass(frozen=True)
class Proposal:
    """The range the benchmark proposes for one case."""

    low: float
    high: float
    warning: bool  # a warning alone is within the benchmark

    def contains(self, kind: str, amount: float) -> bool:
        if kind == "warning":
            return self.warning
        return self.low <= amount <= self.high

    def as_dict(self) -> dict[str, Any]:
        return {"min": self.low, "max": self.high, "warning": self.warning}


def load_default() -> dict[str, Any]:
    return validate(json.loads(DEFAULT_FILE.read_text(encoding="utf-8")))


def validate(data: Any) -> dict[str, Any]:
    """Check a whole catalogue; returns it normalised. Refused naming the first bad entry."""

    def bad(msg: str) -> Refused:
        return Refused(f"bad violation catalogue: {msg}", "bad_catalogue")

    if not isinstance(data, Mapping) or not isinstance(data.get("violations"), list) or not data["violations"]:
        raise bad("an object with a non-empty list 'violations' is needed")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, v in enumerate(data["violations"]):
        where = f"entry {i + 1}"
        if not isinstance(v, Mapping):
            raise bad(f"{where} is not an object")
        code = str(v.get("code") or "").strip()
        if not code or len(code) > 40:
            raise bad(f"{where} has no code")
        where = f"{code}"
        if code in seen:
            raise bad(f"code {code} appears twice")
        seen.add(code)
        for key in ("name", "legal_basis", "penalty_basis"):
            if not isinstance(v.get(key), str) or not v[key].strip():
                raise bad(f"{where} has no {key}")
        bench = v.get("benchmark")
        if not isinstance(bench, Mapping):
            raise bad(f"{where} has no benchmark")
        norm: dict[str, Any] = {}
        for pt in PARTY_TYPES:
            per = bench.get(pt)
            if not isinstance(per, Mapping):
                raise bad(f"{where} has no benchmark for {pt}")
            norm[pt] = {}
            for c in CIRCUMSTANCES:
                cell = per.get(c)
                if not isinstance(cell, Mapping):
                    raise bad(f"{where}.{pt} has no {c} circumstance")
                row: dict[str, Any] = {"warning": bool(cell.get("warning", False))}
                for rep in ("first", "repeat"):
                    r = cell.get(rep)
                    try:
                        lo, hi = float(r[0]), float(r[1])  # type: ignore[index]
                    except (TypeError, ValueError, IndexError, KeyError):
                        raise bad(f"{where}.{pt}.{c}.{rep} must be [min, max] in yuan") from None
                    if lo < 0 or hi < lo:
                        raise bad(f"{where}.{pt}.{c}.{rep}: need 0 <= min <= max, got [{lo}, {hi}]")
                    row[rep] = [lo, hi]
                norm[pt][c] = row
        out.append({
            "code": code, "name": v["name"].strip(), "name_en": str(v.get("name_en") or "").strip(),
            "category": str(v.get("category") or ""), "legal_basis": v["legal_basis"].strip(),
            "penalty_basis": v["penalty_basis"].strip(), "benchmark": norm,
        })
    return {"version": str(data.get("version") or ""), "violations": out}


def find(catalogue: Mapping[str, Any], code: str) -> dict[str, Any]:
    key = str(code).strip()
    for v in catalogue["violations"]:
        if v["code"].lower() == key.lower():
            return v
    codes = ", ".join(v["code"] for v in catalogue["violations"])
    raise NotFound(f"unknown violation {code!r}; the catalogue has: {codes}")


def propose(violation: Mapping[str, Any], party_type: str, circumstance: str, repeat: bool) -> Proposal:
    cell = violation["benchmark"][party_type][circumstance]
    lo, hi = cell["repeat" if repeat else "first"]
    return Proposal(float(lo), float(hi), bool(cell.get("warning")))
