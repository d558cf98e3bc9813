"""The evaluation table leaves the console: CSV (UTF-8 with a BOM, so Excel reads the Chinese) or XLSX."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dispatch.errors import Refused

COLUMNS = (  # (key, English header, Chinese header)
    ("filed", "Filed", "立案数"), ("closed", "Closed", "结案数"), ("closed_on_time", "Closed on time", "按期结案数"),
    ("reworked", "Reworked", "返工数"), ("extended", "Extended", "延期数"), ("closure_rate", "Closure rate", "结案率"),
    ("on_time_rate", "On-time rate", "按期结案率"), ("rework_rate", "Rework rate", "返工率"),
    ("extension_rate", "Extension rate", "延期率"), ("satisfaction_mean", "Satisfaction", "满意度"),
    ("dispatch_s_median", "Dispatch median (min)", "派遣用时中位数（分钟）"),
    ("close_s_median", "Closing median (min)", "结案用时中位数（分钟）"),
    ("score", "Score", "综合评分"),
)


# what a table grouped by each of analytics' groups calls its first column: (English, Chinese)
GROUP_HEADS = {"unit": ("Unit", "单位"), "team": ("Team", "队伍"), "district": ("District", "城区"),
               "category": ("Category", "类别"), "source": ("Source", "来源"), "priority": ("Priority", "优先级"),
               "segment": ("River segment", "河段"), "road": ("Road", "道路")}
WORDS = ("category", "team", "source")  # groups whose values are domain words (floating_garbage, patrol_boat, app)


def table(result: dict[str, Any], *, lang: str = "zh_CN",
          word: Callable[[str], str] | None = None) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of a `stats` result grouped by something (the total last), in `lang`. `word`: the display
    name of a domain word in that language (the console's catalogue: a category, a kind of unit, a source);
    without it those stay as the core names them."""
    by = result.get("by") or ""
    zh = lang == "zh_CN"
    head = [GROUP_HEADS[by][zh] if by in GROUP_HEADS else (by or ("合计" if zh else "Total"))] \
        + [c[2] if zh else c[1] for c in COLUMNS]
    label = "unit_name" if by == "unit" else by  # a unit by its name (`analytics.stats` adds it), else its id
    unsent = "（未派遣）" if zh else "(not dispatched)"  # the reports no unit was sent to: rejected, or waiting
    named = word if word is not None and by in WORDS else (lambda v: v)

    def first(r: dict[str, Any]) -> Any:
        v = r.get(label) or r.get(by)
        return named(v) if v else (unsent if by == "unit" else None)

    rows = [[first(r)] + _figures(r) for r in result.get("rows", [])]
    rows.append(["合计" if zh else "Total"] + _figures(result["total"]))
    return head, rows


def _figures(r: dict[str, Any]) -> list[Any]:
    """One row's figures in COLUMNS' order; the median times in minutes (one decimal), as the dashboard and the
    shift report give them."""
    out = []
    for key, *_ in COLUMNS:
        v = r.get(key)
        out.append(round(v / 60, 1) if key.endswith("_s_median") and v is not None else v)
    return out


def write(result: dict[str, Any], out: str | Path, *, lang: str = "zh_CN",
          word: Callable[[str], str] | None = None) -> Path:
    """Write a `stats` result to `out` (.csv or .xlsx), as `table` lays it out. Raises Refused for another ending."""
    path = Path(out)
    head, rows = table(result, lang=lang, word=word)
    if path.suffix.lower() == ".csv":
        with path.open("w", newline="", encoding="utf-8-sig") as fh:
            w = csv.writer(fh)
            w.writerow(head)
            w.writerows([["" if v is None else v for v in r] for r in rows])
        return path
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        wb = Workbook()
        ws = wb.active
        ws.title = "evaluation"
        ws.append(head)
        for r in rows:
            ws.append(r)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for i, (key, *_h) in enumerate(COLUMNS, start=2):
            if key.endswith("_rate"):
                for (c,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    c.number_format = "0.0%"
        ws.freeze_panes = "B2"
        wb.save(path)
        return path
    raise Refused(f"cannot write {path.name}: give a file ending in .csv or .xlsx", "bad_arguments")
