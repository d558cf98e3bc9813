"""The shift report as one HTML file: figures, charts (PNG inline), cases, alerts, notes and a map (SVG
inline), so it opens offline in any browser. zh_CN or en."""

from __future__ import annotations

import base64
import html
from typing import Any

from console.i18n import load_catalogue, where_text
from console.report import charts

CATEGORY_COLOURS = ["#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#5d4037", "#ad1457",
                    "#455a64", "#9e9d24"]


class Words:
    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.cat = load_catalogue(lang)

    def __call__(self, text: str) -> str:
        return self.cat.get(text, text)

    def word(self, snake: str | None) -> str:
        if not snake:
            return "—"
        return self(snake.replace("_", " ").capitalize())


def _e(v: Any) -> str:
    return html.escape("" if v is None else str(v))


def _pct(v: Any) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def _min(v: Any) -> str:
    return "—" if v is None else f"{v / 60:.0f}"


def local(iso: str | None) -> str:
    """An ISO 8601 UTC time as the bureau reads it: Beijing time to the minute."""
    if not iso:
        return "—"
    from datetime import datetime, timedelta, timezone

    t = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(timezone(timedelta(hours=8)))
    return t.strftime("%Y-%m-%d %H:%M")


def _img(data: bytes, alt: str) -> str:
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'


def _table(head: list[str], rows: list[list[Any]]) -> str:
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _map_svg(city: dict[str, Any] | None, points: list[dict[str, Any]], colours: dict[str, str]) -> str:
    """The city's water, districts and roads with the period's incidents, as inline SVG (lon/lat, y flipped)."""
    feats = (city or {}).get("features", [])
    xs, ys = [], []

    def rings(g: dict[str, Any]) -> list[list[list[float]]]:
        t, c = g.get("type"), g.get("coordinates") or []
        if t == "Polygon":
            return list(c)
        if t == "MultiPolygon":
            return [r for poly in c for r in poly]
        if t == "LineString":
            return [c]
        if t == "MultiLineString":
            return list(c)
        return []

    for f in feats:
        for r in rings(f.get("geometry") or {}):
            xs += [p[0] for p in r]
            ys += [p[1] for p in r]
    xs += [p["lon"] for p in points]
    ys += [p["lat"] for p in points]
    if not xs:
        return ""
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    w, h = 900.0, 900.0 * (y1 - y0) / max(x1 - x0, 1e-9)

    def pt(lon: float, lat: float) -> str:
        return f"{(lon - x0) / (x1 - x0 or 1) * w:.1f},{(y1 - lat) / (y1 - y0 or 1) * h:.1f}"

    parts = []
    for f in feats:
        kind = (f.get("properties") or {}).get("layer", "")
        g = f.get("geometry") or {}
        style = {"river": 'fill="#bbdefb" stroke="#64b5f6"', "district": 'fill="none" stroke="#bdbdbd" stroke-dasharray="4 3"',
                 "road": 'fill="none" stroke="#d7ccc8" stroke-width="1.5"', "bridge": 'fill="none" stroke="#8d6e63" stroke-width="2"'}
        s = style.get(kind)
        if s is None:
            continue
        for r in rings(g):
            closed = "Z" if g.get("type", "").endswith("Polygon") else ""
            parts.append(f'<path d="M{" L".join(pt(p[0], p[1]) for p in r)}{closed}" {s}/>')
    for p in points:
        c = colours.get(p["category"], "#000")
        parts.append(f'<circle cx="{pt(p["lon"], p["lat"]).split(",")[0]}" cy="{pt(p["lon"], p["lat"]).split(",")[1]}" '
                     f'r="5" fill="{c}" fill-opacity="{0.9 if p["open"] else 0.45}" stroke="#fff"><title>#{p["id"]}</title></circle>')
    return f'<svg class="map" viewBox="0 0 {w:.0f} {h:.0f}" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'


def _enforcement(tr: Words, e: dict[str, Any] | None) -> list[str]:
    """The enforcement cases' section (dispatch/cases/shift.py): the shift's figures, then what waits."""
    if not e:
        return []
    zh = tr.lang == "zh_CN"
    out = [f"<h2>{_e(tr('Enforcement cases'))}</h2>",
           '<table class="figs">' + "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in (
               (tr("Cases opened"), e["opened"]), (tr("Steps recorded"), e["steps"]),
               (tr("Open at the end of the period"), e["open_total"]))) + "</table>"]

    def case(r: dict[str, Any]) -> list[Any]:
        name = r["violation_name"] if zh or not r.get("violation_name_en") else r["violation_name_en"]
        return [r["id"], f"{r['violation']} {name}", r["party"], ("、" if zh else ", ").join(r["officers"]) or "—"]

    head = ["#", tr("Violation"), tr("Party"), tr("Officers")]
    sections = (
        (tr("Penalties awaiting approval"), head + [tr("Penalty"), tr("Reason")],
         [case(r) + [tr("Warning") if r["kind"] == "warning" else f"{r['amount']:g} {tr('yuan')}", r["reason"] or "—"]
          for r in e["approval"]]),
        (tr("Legal deadlines passed"), head + [tr("Deadline"), tr("Due")],
         [case(r) + [f"{r['zh'] if zh else r['en']} ({r['article']})", r["due_day"]] for r in e["overdue"]]),
        (tr("Legal deadlines in the next 3 days"), head + [tr("Deadline"), tr("Due")],
         [case(r) + [f"{r['zh'] if zh else r['en']} ({r['article']})", r["due_day"]] for r in e["due_soon"]]),
    )
    for title, cols, rows in sections:
        out.append(f"<h3>{_e(title)} ({len(rows)})</h3>")
        out.append(_table(cols, rows) if rows else f"<p>{_e(tr('(none)'))}</p>")
    return out


CSS = """body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px;color:#212121}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ccc}h3{font-size:14px;margin:14px 0 4px}
table{border-collapse:collapse;font-size:12px;margin:6px 0}th,td{border:1px solid #ddd;padding:3px 6px;text-align:left}
th{background:#f0f4f8}.figs td:nth-child(2){font-weight:bold}img{max-width:100%;border:1px solid #eee}
.map{width:100%;max-width:900px;border:1px solid #ccc;background:#fafafa}.legend span{margin-right:12px}
@media print{h2{page-break-after:avoid}table,img,svg{page-break-inside:avoid}}"""


def render(data: dict[str, Any], *, lang: str = "zh_CN", city: dict[str, Any] | None = None) -> str:
    """The report page (a whole HTML document)."""
    tr = Words(lang)
    s = data["stats"]["total"]
    d = data["dashboard"]
    cats = sorted({p["category"] for p in data["points"]} | {r["category"] for r in data["by_category"]})
    colours = {c: CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)] for i, c in enumerate(cats)}
    out = [f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh_CN" else "en"}"><head><meta charset="utf-8">'
           f"<title>{_e(tr('Shift report'))}</title><style>{CSS}</style></head><body>",
           f"<h1>{_e(tr('Shift report'))}</h1>",
           f"<p>{_e(tr('Period'))}: {_e(local(data['from_iso']))} — {_e(local(data['to_iso']))} ({_e(tr('Beijing time'))})</p>",
           f"<h2>{_e(tr('Figures'))}</h2>"]
    figs = [(tr("Cases reported"), s["reported"]), (tr("Cases filed"), s["filed"]), (tr("Cases closed"), s["closed"]),
            (tr("Closed on time"), s["closed_on_time"]), (tr("Cases reworked"), s["reworked"]), (tr("Cases extended"), s["extended"]),
            (tr("Closure rate"), _pct(s["closure_rate"])), (tr("On-time rate"), _pct(s["on_time_rate"])),
            (tr("Rework rate"), _pct(s["rework_rate"])), (tr("Satisfaction"), s["satisfaction_mean"] or "—"),
            (tr("Dispatch (median, min)"), _min(s["dispatch_s_median"])),
            (tr("Arrival (median, min)"), _min(s["arrive_s_median"])),
            (tr("Closing (median, min)"), _min(s["close_s_median"])), (tr("Score"), s["score"] or "—")]
    out.append('<table class="figs">' + "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in figs) + "</table>")
    if d.get("count"):
        out.append(f"<h2>{_e(tr('Charts'))}</h2>")
        hours = d["by_hour"]
        out.append("<p>" + _e(tr("Incidents by hour of day")) + "</p>"
                   + _img(charts.png(lambda p: charts.bar_plot(p, [str(h) for h in range(24)], hours)), "by hour"))
        bc = d["by_category"]
        out.append("<p>" + _e(tr("Incidents by category")) + "</p>"
                   + _img(charts.png(lambda p: charts.bar_plot(p, [tr.word(r["key"]) for r in bc], [r["count"] for r in bc])),
                          "by category"))
        bd = [r for r in d["by_district"] if r["key"]]
        if bd:
            out.append("<p>" + _e(tr("Incidents by district")) + "</p>"
                       + _img(charts.png(lambda p: charts.bar_plot(p, [r["key"] for r in bd], [r["count"] for r in bd])),
                              "by district"))
        rc = d["response"]["close"]
        out.append("<p>" + _e(tr("Time to closing (minutes)")) + "</p>"
                   + _img(charts.png(lambda p: charts.bar_plot(p, [f"≤{b:g}" for b in rc["bins_min"][1:-1]] + [">"],
                                                               rc["counts"])), "closing"))
    out.append(f"<h2>{_e(tr('By category'))}</h2>")
    out.append(_table([tr("Category"), tr("Cases filed"), tr("Cases closed"), tr("Closed on time"), tr("Cases reworked"), tr("Satisfaction"), tr("Score")],
                      [[tr.word(r["category"]), r["filed"], r["closed"], r["closed_on_time"], r["reworked"],
                        r["satisfaction_mean"] or "—", r["score"] or "—"] for r in data["by_category"]]))
    out.append(f"<h2>{_e(tr('By unit'))}</h2>")
    out.append(_table([tr("Unit"), tr("Cases filed"), tr("Cases closed"), tr("Closed on time"), tr("Cases reworked"), tr("Satisfaction"), tr("Score")],
                      [[r.get("unit_name") or r["unit"] or tr("(not dispatched)"), r["filed"], r["closed"], r["closed_on_time"], r["reworked"],
                        r["satisfaction_mean"] or "—", r["score"] or "—"] for r in data["by_unit"]]))
    out.append(f"<h2>{_e(tr('Map of the period'))}</h2>")
    out.append(_map_svg(city, data["points"], colours))
    out.append('<p class="legend">' + "".join(f'<span style="color:{c}">● {_e(tr.word(k))}</span>' for k, c in colours.items()) + "</p>")
    for key, title in (("overdue", tr("Overdue cases")), ("open", tr("Open cases"))):
        out.append(f"<h2>{_e(title)} ({data[key + '_total']})</h2>")
        out.append(_table(["#", tr("Category"), tr("Priority"), tr("State"), tr("Unit"), tr("Address"), tr("Reported")],
                          [[r["id"], tr.word(r["category"]), r["priority"], tr.word(r["state"]), r["unit"] or "—",
                            where_text(r, lang) or "—", local(r["created"])] for r in data[key]]))
    out += _enforcement(tr, data.get("enforcement"))
    out.append(f"<h2>{_e(tr('Alerts'))} ({data['alerts_total']})</h2>")
    out.append(_table([tr("Time"), tr("Kind"), tr("Entity"), tr("Stage")],
                      [[local(a["time"]), a["kind"], a["entity"] or "—", a["stage"] or "—"] for a in data["alerts"]]))
    out.append(f"<h2>{_e(tr('Handover notes'))}</h2>")
    out.append("".join(f"<p><b>{_e(local(n['time']))} {_e(n['actor'])}</b>: {_e(n['text'])}</p>" for n in data["notes"])
               or f"<p>{_e(tr('(none)'))}</p>")
    out.append("</body></html>")
    return "\n".join(out)
