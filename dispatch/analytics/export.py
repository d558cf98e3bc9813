"""The evaluation table leaves the console: CSV (UTF-8 with a BOM, so Excel reads the Chinese) or XLSX."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from dispatch.errors import Refused

COLUMNS = (  # (key, English header, Chinese header)
    ("filed", "Filed", "立案数"), ("closed", "Closed", "结案数"), ("closed_on_time", "Closed on time", "按期结案数"),
    ("reworked", "Reworked", "返工数"), ("extended", "Extended", "延期数"), ("closure_rate", "Closure rate", "结案率"),
    ("on_time_rate", "On-time rate", "按期结案率"), ("rework_rate", "Rework rate", "返工率"),
    ("extension_rate", "Extension rate", "延期率"), ("satisfaction_mean", "Satisfaction", "满意度"),
    ("dispatch_s_median", "Dispatch median (s)", "派遣用时中位数（秒）"), ("close_s_median", "Closing median (s)", "结案用时中位数（秒）"),
    ("score", "Score", "综合评分"),
)


def table(result: dict[str, Any], *, lang: str = "zh_CN") -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of a `stats` result grouped by something (the total last)."""
    by = result.get("by") or ""
    zh = lang == "zh_CN"
    head = [by or ("合计" if zh else "Total")] + [c[2] if zh else c[1] for c in COLUMNS]
    label = "unit_name" if by == "unit" else by  # a unit by its name (`analytics.stats` adds it), else its id
    unsent = "（未派遣）" if zh else "(not dispatched)"  # the reports no unit was sent to: rejected, or waiting
    rows = [[r.get(label) or r.get(by) or (unsent if by == "unit" else None)] + [r.get(c[0]) for c in COLUMNS]
            for r in result.get("rows", [])]
    rows.append(["合计" if zh else "Total"] + [result["total"].get(c[0]) for c in COLUMNS])
    return head, rows


def write(result: dict[str, Any], out: str | Path, *, lang: str = "zh_CN") -> Path:
    """Write a `stats` result to `out` (.csv or .xlsx). Raises Refused for another ending."""
    path = Path(out)
    head, rows = table(result, lang=lang)
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
