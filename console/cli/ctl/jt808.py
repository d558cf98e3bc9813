"""ctl jt808 ...: JT/T 808 truck terminals (texts to a truck's display, commands to its terminal, photos from its
cameras, alarms, the gateway's terminals)."""

from __future__ import annotations

import argparse
import threading
import time
from typing import Any

from console.cli.ctl import iso, table

RESULTS = {0: "ok", 1: "failure", 2: "bad message", 3: "unsupported"}


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    j = sub.add_parser("jt808", parents=[common], help="JT/T 808 truck terminals: texts, alarms, terminals")
    js = j.add_subparsers(dest="jt808_command", required=True)

    s = js.add_parser("send-text", parents=[common], help="a text to a truck's display (0x8300); --tts reads it out")
    s.add_argument("unit_id")
    s.add_argument("text")
    s.add_argument("--tts", action="store_true", help="also read it out (text to speech)")
    s.add_argument("--emergency", action="store_true", help="mark it urgent")
    s.set_defaults(build=lambda a: ("jt808.send_text", {"unit_id": a.unit_id, "text": a.text, "tts": a.tts,
                                                         "emergency": a.emergency}), render=_render_sent)

    q = js.add_parser("query", parents=[common], help="ask a truck's terminal where it is (0x8201)")
    q.add_argument("unit_id")
    _wait_option(q)
    q.set_defaults(build=lambda a: ("jt808.query_position", {"unit_id": a.unit_id}), render=_render_command,
                   follow=_follow)

    tr = js.add_parser("track", parents=[common],
                       help="temporary tracking (0x8202): report every --interval s for --minutes")
    tr.add_argument("unit_id")
    tr.add_argument("--interval", type=int, default=10, help="seconds between reports (0 stops tracking; default 10)")
    tr.add_argument("--minutes", type=float, default=10.0, help="for how long (default 10)")
    _wait_option(tr)
    tr.set_defaults(build=lambda a: ("jt808.track", {"unit_id": a.unit_id, "interval_s": a.interval,
                                                     "minutes": a.minutes}), render=_render_command, follow=_follow)

    pa = js.add_parser("params", parents=[common],
                       help="set terminal parameters (0x8103): NAME=VALUE ..., e.g. heartbeat_interval_s=30 "
                            "report_interval_s=10, or an id with a typed value 0xF001=dword:5")
    pa.add_argument("unit_id")
    pa.add_argument("params", nargs="+", metavar="NAME=VALUE")
    _wait_option(pa)
    pa.set_defaults(build=lambda a: ("jt808.set_params", {"unit_id": a.unit_id, "params": _params(a.params)}),
                    render=_render_command, follow=_follow)

    pr = js.add_parser("params-get", parents=[common],
                       help="read a terminal's parameters (0x8104; with NAMEs only those, 0x8106)")
    pr.add_argument("unit_id")
    pr.add_argument("names", nargs="*", metavar="NAME", help="e.g. heartbeat_interval_s report_interval_s or 0x0055")
    _wait_option(pr)
    pr.set_defaults(build=lambda a: ("jt808.read_params", {"unit_id": a.unit_id, "names": a.names}),
                    render=_render_command, follow=_follow)

    at = js.add_parser("attributes", parents=[common],
                       help="read what a truck's terminal is (0x8107): maker, model, ICCID, hardware and firmware")
    at.add_argument("unit_id")
    _wait_option(at)
    at.set_defaults(build=lambda a: ("jt808.read_attributes", {"unit_id": a.unit_id}), render=_render_command,
                    follow=_follow)

    ar = js.add_parser("area-set", parents=[common],
                       help="give a truck's terminal one of the bureau's polygon zones (0x8604): it alarms on entering "
                            "or leaving it by itself")
    ar.add_argument("unit_id")
    ar.add_argument("zone_id", metavar="ZONE")
    ar.add_argument("--alarm", choices=["enter", "leave", "both"],
                    help="which crossing alarms (default: by the zone's kind, into a restricted area, out of a site)")
    _wait_option(ar)
    ar.set_defaults(build=lambda a: ("jt808.set_area", {"unit_id": a.unit_id, "zone_id": a.zone_id, "alarm": a.alarm}),
                    render=_render_command, follow=_follow)
    ad = js.add_parser("areas-delete", parents=[common],
                       help="have a truck's terminal forget these zones' areas (0x8605); no zone: every one")
    ad.add_argument("unit_id")
    ad.add_argument("zone_ids", nargs="*", metavar="ZONE")
    ad.add_argument("--routes", action="store_true", help="with no zone: every route (0x8607), not every area")
    _wait_option(ad)
    ad.set_defaults(build=lambda a: ("jt808.delete_areas", {"unit_id": a.unit_id, "zone_ids": a.zone_ids,
                                                            "routes": a.routes}),
                    render=_render_command, follow=_follow)

    cf = js.add_parser("confirm", parents=[common],
                       help="confirm alarms to a truck's terminal (0x8203), e.g. emergency: it may then clear them")
    cf.add_argument("unit_id")
    cf.add_argument("alarms", nargs="+", metavar="ALARM")
    _wait_option(cf)
    cf.set_defaults(build=lambda a: ("jt808.confirm_alarms", {"unit_id": a.unit_id, "alarms": a.alarms}),
                    render=_render_command, follow=_follow)

    ph = js.add_parser("photo", parents=[common],
                       help="have a truck's camera take photos now (0x8801); they arrive as uploads (ctl jt808 photos)")
    ph.add_argument("unit_id")
    ph.add_argument("--channel", type=int, default=1, help="the camera (default 1)")
    ph.add_argument("--count", type=int, default=1, help="how many photos (1-10, default 1)")
    _wait_option(ph)
    ph.set_defaults(build=lambda a: ("jt808.take_photo", {"unit_id": a.unit_id, "channel": a.channel,
                                                          "photos": a.count}), render=_render_command, follow=_follow)

    for name, operation, what in (
            ("photos-upload", "jt808.upload_photos",
             "have a truck upload the photos it kept from --from to --to (0x8803): a timer's, an alarm's"),
            ("photos-find", "jt808.find_photos",
             "list the photos a truck keeps from --from to --to (0x8802), uploading none")):
        sp = js.add_parser(name, parents=[common], help=what)
        sp.add_argument("unit_id")
        sp.add_argument("--from", dest="start", required=True,
                        help="ISO 8601 with its zone, e.g. 2026-12-05T10:00+08:00")
        sp.add_argument("--to", dest="end", required=True)
        sp.add_argument("--channel", type=int, default=0, help="the camera (default 0: every one)")
        _wait_option(sp)
        sp.set_defaults(build=lambda a, op=operation: (op, {"unit_id": a.unit_id, "start": a.start, "end": a.end,
                                                            "channel": a.channel}),
                        render=_render_command, follow=_follow)

    pl = js.add_parser("photos", parents=[common], help="photos trucks' cameras uploaded (newest last)")
    pl.add_argument("--unit", help="one truck's, from the whole log")
    pl.add_argument("--limit", type=int, default=100, help="the last N (default 100)")
    pl.set_defaults(build=lambda a: ("jt808.photos", {"unit_id": a.unit, "limit": a.limit}), render=_render_photos)

    pg = js.add_parser("photo-get", parents=[common],
                       help="copy one uploaded photo (its event number) to a file here, checked against its SHA-256")
    pg.add_argument("seq", type=int, help="the photo's event number (ctl jt808 photos)")
    pg.add_argument("--out", required=True, help="the file to write")
    pg.set_defaults(build=lambda a: ("jt808.photo", {"seq": a.seq}), render=_render_photo, follow=_download)

    c = js.add_parser("commands", parents=[common], help="commands sent to terminals and their outcomes")
    c.add_argument("--unit")
    c.set_defaults(build=lambda a: ("jt808.commands", {"unit_id": a.unit}), render=_render_commands)

    t = js.add_parser("texts", parents=[common], help="texts sent to terminals and their answers")
    t.add_argument("--unit")
    t.set_defaults(build=lambda a: ("jt808.texts", {"unit_id": a.unit}), render=_render_texts)

    al = js.add_parser("alarms", parents=[common], help="alarms terminals raised, and those still on")
    al.add_argument("--unit")
    al.set_defaults(build=lambda a: ("jt808.alarms", {"unit_id": a.unit}), render=_render_alarms)

    dr = js.add_parser("drivers", parents=[common], help="the drivers on duty: the card last put in each truck's terminal")
    dr.add_argument("--unit")
    dr.set_defaults(build=lambda a: ("jt808.drivers", {"unit_id": a.unit}), render=_render_drivers)

    wb = js.add_parser("waybills", parents=[common], help="electronic waybills trucks' terminals sent (newest last)")
    wb.add_argument("--unit", help="one truck's, from the whole log")
    wb.add_argument("--limit", type=int, default=100, help="the last N (default 100)")
    wb.set_defaults(build=lambda a: ("jt808.waybills", {"unit_id": a.unit, "limit": a.limit}), render=_render_waybills)

    tm = js.add_parser("terminals", parents=[common], help="the gateway's terminals (needs --hub: a running gateway)")
    tm.set_defaults(build=lambda a: ("jt808.terminals", {}), render=_render_terminals)

    u = js.add_parser("unknown", parents=[common],
                      help="terminals refused because no unit has their number (bind with ctl unit bind-terminal)")
    u.set_defaults(build=lambda a: ("jt808.unknown", {}), render=_render_unknown)


def _wait_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="wait up to this long for the terminal's answer and show the outcome (default: do not wait)")


def _params(items: list[str]) -> dict[str, str]:
    from dispatch.errors import Refused

    out = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            raise Refused(f"a parameter is NAME=VALUE, not {item!r}", "bad_params")
        out[name.strip()] = value.strip()
    return out


def _follow(client: Any, result: dict[str, Any], actor: str, args: Any) -> dict[str, Any]:
    """With --wait: ask for the command's outcome until the terminal answered (or the time is up)."""
    deadline = time.monotonic() + max(0.0, min(float(args.wait or 0.0), 300.0))
    pause = threading.Event()
    while time.monotonic() < deadline:
        rows = client.call("jt808.commands", {"event": result["event"]}, actor)
        if rows and rows[0]["outcome"] is not None:
            return {**result, **{k: rows[0].get(k) for k in ("outcome", "result", "position", "detail", "answered",
                                                              "media_ids", "values", "found")}}
        pause.wait(0.25)  # a poll of the outcome, on the hub's or the store's time
    return result


def _render_command(r: dict[str, Any], _a: Any) -> str:
    what = r["command"].replace("_", " ")
    if r.get("outcome") is not None:
        out = f"{what} for {r['unit_id']} (terminal {r['terminal']}, event {r['event']}): {r['outcome']}"
        p = r.get("position")
        if p:
            out += f" at {p['lat']:.6f}, {p['lon']:.6f} ({iso(p.get('time'))}, {p.get('speed_kmh')} km/h)"
        if r.get("media_ids"):
            out += f"; media ids {', '.join(str(m) for m in r['media_ids'])} to be uploaded (ctl jt808 photos)"
        if r.get("values") is not None:
            out += "".join(f"\n  {name} = {value}" for name, value in r["values"].items()) or "\n  (none)"
        if r.get("found") is not None:
            out += f"; {len(r['found'])} kept" + "".join(
                f"\n  media {f['media_id']}: camera {f['channel']}, {f['event']}, {iso(f['time']) if f.get('time') else '-'}"
                f", {_where(f)}" for f in r["found"])
        return out + (f" ({r['detail']})" if r.get("detail") else "")
    state = "sent to the terminal" if r["connected"] else "waiting for the terminal to come online"
    return f"{what} for {r['unit_id']} (terminal {r['terminal']}): event {r['event']}, {state}"


def _render_commands(rows: list[dict[str, Any]], _a: Any) -> str:
    from dispatch.jt808.commands import describe

    return table([[c["seq"], iso(c["ts"]), c["unit"], c["by"], describe(c), c["outcome"] or "waiting",
                   iso(c["answered"]), c.get("detail") or ""] for c in rows],
                 ["event", "sent", "unit", "by", "command", "outcome", "answered", "detail"])


def _download(client: Any, result: dict[str, Any], actor: str, args: Any) -> dict[str, Any]:
    """photo-get: the photo's bytes fetched a piece at a time (through the hub, or from the store here), checked
    against the SHA-256 the log recorded, then written whole to --out."""
    from console.cli.ctl import fetch_stored

    return {**result, "written": fetch_stored(client, actor, result["sha256"], args.out, "photo.jpg",
                                              f"the photo of event {result['seq']}")}


def _where(p: dict[str, Any]) -> str:
    return f"{p['lat']:.6f}, {p['lon']:.6f}" if p.get("lat") is not None else "no fix"


def _render_photos(rows: list[dict[str, Any]], _a: Any) -> str:
    return table([[p["seq"], iso(p.get("time")) if p.get("time") else "", p["unit"], p.get("channel"),
                   p.get("event"), p.get("request") or "", f"{p['size'] // 1024} KB", _where(p), p["sha256"][:12]]
                  for p in rows], ["event", "taken", "unit", "camera", "why", "asked by", "size", "where", "sha256"])


def _render_photo(r: dict[str, Any], _a: Any) -> str:
    out = (f"photo {r['seq']}: {r['unit']} camera {r.get('channel')}, taken {iso(r.get('time')) if r.get('time') else '-'}"
           f" at {_where(r)} ({r.get('event')}), {r['size']} bytes, sha256 {r['sha256']}")
    return out + (f"\nwritten to {r['written']}" if r.get("written") else "")


def _render_sent(r: dict[str, Any], _a: Any) -> str:
    state = "sent to the terminal" if r["connected"] else "waiting for the terminal to come online"
    return f"text {r['event']} for {r['unit_id']} (terminal {r['terminal']}): {state}"


def _render_texts(rows: list[dict[str, Any]], _a: Any) -> str:
    return table([[t["seq"], iso(t["ts"]), t["unit"], t["by"], t["text"],
                   "waiting" if t["result"] is None else RESULTS.get(t["result"], t["result"]), iso(t["answered"])]
                  for t in rows], ["event", "sent", "unit", "by", "text", "answer", "answered"])


def _render_alarms(r: dict[str, Any], _a: Any) -> str:
    recent = table([[a["seq"], iso(a["time"]), a["unit"], ", ".join(a["alarms"]), f"{a['lat']:.6f}",
                     f"{a['lon']:.6f}"] for a in r["recent"]], ["event", "time", "unit", "alarms", "lat", "lon"])
    active = "\n".join(f"  {u}: {', '.join(a)}" for u, a in sorted(r["active"].items())) or "  none"
    return f"{recent}\nstill on:\n{active}"


def _render_drivers(rows: list[dict[str, Any]], _a: Any) -> str:
    return table([[r["unit"], r.get("name", ""), r.get("certificate", ""), r.get("agency", ""),
                   r.get("valid_until") or "", iso(r["time"]) if r.get("time") else "", r["terminal"]] for r in rows],
                 ["unit", "driver", "certificate", "agency", "valid until", "card in", "terminal"])


def _render_waybills(rows: list[dict[str, Any]], _a: Any) -> str:
    return table([[r["seq"], iso(r.get("at") or r["ts"]), r["unit"], r["size"],
                   r["text"] if "text" in r else f"(bytes) {r['hex'][:48]}", r["sha256"][:12]] for r in rows],
                 ["event", "received", "unit", "bytes", "waybill", "sha256"])


def _render_terminals(rows: list[dict[str, Any]], _a: Any) -> str:
    def what(r: dict[str, Any]) -> str:  # its last 0x0107 (ctl jt808 attributes), else its registration's model
        a = r.get("attributes")
        return f"{a['manufacturer']} {a['model']} {a['firmware']}".strip() if a else r.get("model") or ""

    return table([[r["phone"], r["unit"] or "", r["edition"] or "", "yes" if r["connected"] else r["close_reason"],
                   "yes" if r["authenticated"] else "no", r["messages"], r["rate_per_s"], r["last_message"],
                   r["errors"], what(r), r["peer"]] for r in rows],
                 ["terminal", "unit", "edition", "connected", "auth", "messages", "msg/s", "last", "errors", "terminal is",
                  "peer"])


def _render_unknown(rows: list[dict[str, Any]], _a: Any) -> str:
    return table([[r["terminal"], r.get("plate", ""), r.get("manufacturer", ""), r.get("model", ""),
                   r["attempts"], f"{r['age']:.0f} s", r.get("peer", "")] for r in rows],
                 ["terminal", "plate", "maker", "model", "attempts", "last", "peer"])
