"""The feed's whole-batch path (Feed.decode_split, FeedManager._bind_groups) against the per-peer path it stands for.

The reference is what a feed did before: one `Decoder.decode_batch` per peer over that peer's lines
(the checksum flags of the whole batch handed in when several peers share it), every Fix bound one
by one (`FeedManager._bind_group`). Records, errors and their monitor statuses, decoder counters,
stream states, rows stored, live positions, the selector and the feed's figures must all be equal.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.framing import Decoder
from devices.nmea import encode
from devices.nmea.fast import checksum_flags
from devices.nmea.pairs import MIN_LINES, scan_pairs
from devices.records import Fix
from devices.transports.base import RawLine, Transport
from dispatch.core import Dispatch, FixRows
from dispatch.feeds.config import FeedSpec
from dispatch.feeds.feed import Feed
from dispatch.feeds.manager import FeedManager
from dispatch.store import EventStore
from tests.devices.test_nmea_batch import ODD, epoch, pair_lines

T0 = 1764158400.0  # 2025-11-26 12:00 UTC


class Held(Transport):
    """A transport whose lines the test pushes (never started)."""

    kind = "test"


def fleet(units: int, seconds: int, t0: float = T0, talker: str = "GN") -> list[RawLine]:
    out = []
    for s in range(seconds):
        t = t0 + s
        for u in range(units):
            lat, lon = 24.3 + u * 1e-3 + s * 1e-5, 109.4 + u * 1e-3
            out.append(RawLine(t, encode.rmc(talker, t, lat, lon, 3.0 + u % 3, 45.0), f"dev{u}"))
            out.append(RawLine(t, encode.gga(talker, t, lat, lon, 80.0 - u, sats=4 + u % 9, hdop=0.5 + u % 4),
                               f"dev{u}"))
    return out


def reference(feed: Feed, raws: list[RawLine], full: bool) -> tuple[list[tuple[str, list[Any]]], dict[int, str]]:
    """The per-peer path: (groups, {line number in the batch: status} of the bad lines)."""
    lines = [r.line for r in raws]
    ok = checksum_flags(lines)
    by_peer: dict[str, tuple[list[str], list[bool], list[int]]] = {}
    for i, r in enumerate(raws):
        g = by_peer.setdefault(r.peer, ([], [], []))
        g[0].append(r.line)
        g[1].append(ok[i])
        g[2].append(i)
    groups, status = [], {}
    for p, (ls, oks, index) in by_peer.items():
        d = feed.decoders.get(p) or feed.decoders.setdefault(p, Decoder(feed.base_source(p), errors="yield"))
        records, errors = d.decode_batch(ls, full=full, merge=True, ok=oks if len(by_peer) > 1 else None)
        groups.append((p, records))
        status.update({index[i]: type(e).__name__ for i, e in errors})
    return groups, status


def decoders_state(feed: Feed) -> dict[str, Any]:
    return {p: (d.counters.as_dict(), dict(d.counters.by_kind), dict(d.nmea.counters.by_type),
                d.nmea.counters.as_dict() if hasattr(d.nmea.counters, "as_dict") else d.nmea.counters.sentences,
                d.nmea.state.day_s, d.nmea.state.last_tod_us, d.nmea.state.last_time, dict(d.nmea.state.dates))
            for p, d in feed.decoders.items()}


def check_batches(batches: list[list[RawLine]], full: bool = False) -> int:
    """Decode ``batches`` both ways; returns how many fixes the whole-batch parse took."""
    spec = FeedSpec("f", "tcp-server", tcp_port=0)
    a, b = Feed(spec, Held("a")), Feed(spec, Held("b"))
    taken = seq = 0
    for raws in batches:
        split = a.decode_split(raws, full=full)
        taken += sum(len(fast) for _p, fast, _r in split if fast is not None)
        got = [(p, (fast.fixes() if fast is not None else []) + records) for p, fast, records in split]
        want, status = reference(b, raws, full)
        assert got == want
        assert {k - seq - 1: v for k, v in a._status.items() if k > seq} == {
            k: {"ChecksumError": "checksum", "UnknownSentenceError": "unknown"}.get(v, "malformed")
            for k, v in status.items()}
        seq += len(raws)
        assert decoders_state(a) == decoders_state(b)
    return taken


def test_a_fleets_epochs_are_taken_whole_and_equal_the_per_peer_path() -> None:
    raws = fleet(40, 6)
    taken = check_batches([raws[:80], raws[80:300], raws[300:]])
    assert taken == 200  # every epoch after each receiver's first (whose date the stream does not know yet)
    one = fleet(1, 40)
    assert check_batches([one[:2], one[2:]]) == 39  # one peer (a serial receiver) too
    assert check_batches([one]) == 0  # its first epoch teaches the date: from there, the decoder decodes


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(epoch(), min_size=1, max_size=6), min_size=1, max_size=6), st.randoms(use_true_random=False),
       st.booleans())
def test_peers_with_unusual_epochs_interleaved_give_what_each_peer_gives_alone(peers, rnd, full):
    # each peer's lines in order, the peers interleaved at random, every batch twice (dates known the second time)
    queues = [[(f"p{k}", line) for e in epochs for line in e] for k, epochs in enumerate(peers)]
    queues = [q + q for q in queues]
    merged: list[RawLine] = []
    while any(queues):
        q = rnd.choice([q for q in queues if q])
        for _ in range(rnd.randint(1, 4)):
            if q:
                peer, line = q.pop(0)
                merged.append(RawLine(T0, line, peer))
    cut = rnd.randint(0, len(merged))
    check_batches([merged[:cut], merged[cut:], merged], full)


@pytest.mark.parametrize("odd", ODD)
def test_each_unusual_field_in_a_fleet_batch_gives_what_the_peer_gives_alone(odd) -> None:
    base = fleet(12, 3)
    odd_peer = [RawLine(T0, line, "odd") for t in ("112000.00", "112001.00") for line in pair_lines(t)
                if line[3:6] != "GSV"]
    bad = [RawLine(T0, line, "odd") for line in pair_lines("112002.00", odd) if line[3:6] != "GSV"]
    later = [RawLine(T0, line, "odd") for line in pair_lines("112003.00") if line[3:6] != "GSV"]
    batch = base[:24] + odd_peer + base[24:48] + bad + later + base[48:]
    assert len(batch) >= MIN_LINES
    assert check_batches([batch, batch]) >= 12 * 3  # the fleet's epochs, the second time round


def test_scan_pairs_leaves_short_or_non_ascii_batches_to_the_decoder() -> None:
    lines = [r.line for r in fleet(2, 10)]
    assert scan_pairs(lines[: MIN_LINES - 1], [0] * (MIN_LINES - 1), lambda ks, ts: [0] * len(ks)) is None
    assert scan_pairs([*lines, "$GPTXT,ü*00"], [0] * (len(lines) + 1), lambda ks, ts: [0] * len(ks)) is None


# ------------------------------------------------------------------ binding and ingest
def run_manager(tmp_path, name: str, batches: list[list[tuple[str, RawLine]]], specs: list[FeedSpec],
                whole: bool) -> dict[str, Any]:
    core = Dispatch(EventStore(f"sqlite:///{tmp_path / name}.db"), clock=lambda: T0 + 30, snapshots=False)
    try:
        core.register_units("t", [{"id": f"u{u}", "name": f"u{u}", "kind": "truck"} for u in range(8)])
        mgr = FeedManager(core)
        by_group: list[int] = []  # rows bound Fix by Fix
        bind_group = mgr._bind_group

        def counted(feed, peer, records, now, rows, last=None):  # type: ignore[no-untyped-def]
            n = len(rows)
            bind_group(feed, peer, records, now, rows, last)
            by_group.append(len(rows) - n)

        mgr._bind_group = counted  # type: ignore[method-assign]
        if not whole:  # the reference: every pair made a Fix record and bound one by one
            def by_fix(feed, groups, now, rows):  # type: ignore[no-untyped-def]
                for peer, fast, records in groups:
                    if fast is not None or records:
                        mgr._bind_group(feed, peer, (fast.fixes() if fast is not None else []) + records, now, rows)

            mgr._bind_groups = by_fix  # type: ignore[method-assign]
        feeds = {s.name: mgr.add(s, start=False, transport=Held(s.name)) for s in specs}
        for batch in batches:
            for feed_name, raw in batch:
                feeds[feed_name].transport._push([raw])
            mgr.pump_once()
        core.flush()
        with core.store.read() as conn:
            stored = [tuple(r) for r in conn.exec_driver_sql(
                "SELECT unit_id, ts, lat, lon, speed, course, source FROM fixes ORDER BY id")]
        return {
            "stored": stored,
            "positions": {u: (x.position.lat, x.position.lon, x.position.ts, x.position.speed, x.position.source)
                          for u, x in core.state.units.items() if x.position is not None},
            "selector": (dict(mgr.selector.current), dict(mgr.selector.seen), mgr.selector.switches),
            "feeds": [(f.fixes, f.unbound, f.quality, f.sats, f.hdop, f.last_fix_at, f.week_rollover,
                       sorted((k, s.count, s.last) for k, s in f.seen.items())) for f in feeds.values()],
            "ingested": core.fixes_ingested,
            "rows_bound_whole": core.fixes_ingested - sum(by_group),
        }
    finally:
        core.close()


def test_the_whole_batch_binding_equals_binding_fix_by_fix(tmp_path) -> None:
    rng = random.Random(7)
    a = fleet(6, 8)
    b = fleet(6, 8, talker="GP")  # the same units heard by a second feed, with another talker
    c = [r._replace(peer="loose") for r in fleet(1, 8)]  # bound to nothing
    old = [r._replace(ts=T0 - 1024 * 7 * 86400, line=encode.rmc("GN", T0 - 1024 * 7 * 86400 + k, 24.3, 109.4, 1, 2)
                      if r.line[3:6] == "RMC" else r.line, peer="dev5") for k, r in enumerate(fleet(1, 8))]
    specs = [FeedSpec("a", "tcp-server", tcp_port=0, bind={f"dev{u}": f"u{u}" for u in range(5)}),
             FeedSpec("b", "tcp-server", tcp_port=0, priority=3, bind={f"dev{u}": f"u{u}" for u in range(6)}),
             FeedSpec("c", "tcp-server", tcp_port=0, bind={"GN": "u7"})]
    everything = [("a", r) for r in a] + [("b", r) for r in b] + [("c", r) for r in c + old]
    batches = []
    i = 0
    while i < len(everything):  # the feeds' lines interleaved, in batches of varying size
        n = rng.randint(10, 90)
        batches.append(everything[i:i + n])
        i += n
    rng.shuffle(batches)
    whole = run_manager(tmp_path, "whole", batches, specs, True)
    by_fix = run_manager(tmp_path, "by_fix", batches, specs, False)
    assert whole.pop("rows_bound_whole") > 20 and by_fix.pop("rows_bound_whole") == 0
    assert whole == by_fix
    assert whole["ingested"] > 50 and whole["feeds"][0][0] > 0 and whole["feeds"][1][0] > 0


def test_fast_fixes_are_the_records_of_pair_fix() -> None:
    spec = FeedSpec("f", "tcp-server", tcp_port=0)
    feed = Feed(spec, Held("f"))
    raws = fleet(20, 3)
    feed.decode_split(raws[:40])
    split = feed.decode_split(raws[40:])
    fixes = [r for _p, fast, _r in split if fast is not None for r in fast.fixes()]
    assert len(fixes) == 40 and all(isinstance(f, Fix) and f.sentence == "RMC+GGA" and f.mode == 3 for f in fixes)
    assert fixes[0].source == "f@dev0" and fixes[0].time == T0 + 1 and fixes[0].talker == "GN"


def test_a_batch_taken_whole_reaches_the_fix_handlers_with_its_columns(tmp_path) -> None:
    """A batch whose every pair was taken whole reaches the fix handlers (the rules) with the columns it was zipped
    from, equal to its rows; a batch with a row the core refuses (a unit it does not know) reaches them as rows."""
    core = Dispatch(EventStore(f"sqlite:///{tmp_path / 'c.db'}"), clock=lambda: T0 + 30, snapshots=False)
    try:
        core.register_units("t", [{"id": f"u{u}", "name": f"u{u}", "kind": "truck"} for u in range(12)])
        seen: list[Any] = []
        core.fix_handlers.append(lambda rows, contacts: seen.append(rows))
        mgr = FeedManager(core)
        bind = {f"dev{u}": f"u{u}" for u in range(6)}
        feed = mgr.add(FeedSpec("a", "tcp-server", tcp_port=0, bind=bind), start=False, transport=Held("a"))
        raws = fleet(6, 8)
        feed.transport._push(raws[:12])  # the first epoch teaches each stream its date: decoded line by line
        mgr.pump_once()
        assert getattr(seen[-1], "cols", None) is None
        feed.transport._push(raws[12:])
        mgr.pump_once()
        rows = seen[-1]
        assert rows.cols is not None and len(rows) == 6 * 7
        assert list(zip(*rows.cols, strict=True)) == list(rows)
        other = mgr.add(FeedSpec("b", "tcp-server", tcp_port=0, bind={f"dev{u}": f"u{u + 6}" for u in range(6)}),
                        start=False, transport=Held("b"))
        feed.transport._push(fleet(6, 2, t0=T0 + 8))
        other.transport._push(fleet(6, 2, t0=T0 + 8, talker="GP"))
        mgr.pump_once()  # two feeds' rows in one batch: rows only
        assert getattr(seen[-1], "cols", None) is None and {r[0] for r in seen[-1]} == {f"u{u}" for u in range(12)}
        n = len(seen)
        again = [("u0", T0 + 20, 24.3, 109.4, 1.0, 2.0, "s"), ("nobody", T0 + 20, 24.3, 109.4, 1.0, 2.0, "s")]
        core.ingest(FixRows(again, tuple(map(list, zip(*again, strict=True)))))  # one row refused: rows only
        assert len(seen) == n + 1 and getattr(seen[-1], "cols", None) is None and len(seen[-1]) == 1
    finally:
        core.close()
