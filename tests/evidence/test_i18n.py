"""Every string the evidence views show has its Chinese, with the same placeholders."""

from __future__ import annotations

import ast
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _strings(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            fn = node.func
            if (fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")) == "tr":
                out.add(node.args[0].value)
    return out


def test_every_evidence_string_has_a_chinese_translation() -> None:
    zh = json.loads((ROOT / "resources/i18n/zh_CN.json").read_text(encoding="utf-8"))
    files = [*sorted((ROOT / "console/evidence").glob("*.py")), ROOT / "console/replay/footage.py"]
    wanted = set().union(*(_strings(p) for p in files))
    assert len(wanted) > 60
    missing = sorted(s for s in wanted if not zh.get(s))
    assert not missing, missing
    bad = sorted(s for s in wanted if s.count("%") != zh[s].count("%"))
    assert not bad, bad
