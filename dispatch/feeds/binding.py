"""Binding a feed's decoded batch to units: the feed manager's part that turns records into ingest rows.

Each record is bound to a unit (the feed's `bind` table by peer, host, source key, device id or talker; the
feed's unit; a unit naming the source), offered to the source selector (dispatch/feeds/select.py) and, if
taken, becomes a row. A peer's leading epochs parsed as columns by the pair scanner are bound as a whole
where that gives the same rows (`_bind_groups`). AIS vessels bound to no unit become contacts for the map.
Mixed into `FeedManager` (dispatch/feeds/manager.py), whose attributes it reads.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from devices.nmea.pairs import Pairs
from devices.records import AisReport, Fix, Record
from dispatch.feeds.config import FeedSpec
from dispatch.feeds.feed import ROLLOVER_LAG_S, FastFixes, Feed
from dispatch.feeds.pump import KNOT, Binder, IngestRow
from dispatch.feeds.select import fix_score


class BatchBinding:
    """The binding half of `FeedManager`."""

    selector: Any
    binder: Binder
    lock: threading.RLock
    contacts: dict[int, dict[str, Any]]
    contacts_version: int
    contact_ttl: float
    _contact_rows: list[IngestRow]
    _bound: dict[Feed, tuple[FeedSpec, dict[str, tuple[str, str | None, str]]]]

    def _bind_groups(self, feed: Feed, groups: list[tuple[str, FastFixes | None, list[Record]]], now: float,
                     rows: list[IngestRow]) -> tuple[list[Any], ...] | None:
        """Bind a decoded batch (`Feed.decode_split`) peer by peer, appending the accepted fixes to ``rows``.

        A peer's leading epochs (``fast``) are bound as a whole when that equals `_bind_group` on their Fix
        records: one talker, a unit whose current source this is (or none yet), no GPS week rollover. Every
        fix is then accepted, the selector keeps the last one's score, the rows are zipped from the columns.
        Otherwise the Fix records are made and bound with the peer's other records (`_bind_group`).
        Returns the rows' columns when the rows appended are exactly those zipped from them (every pair of the
        batch taken whole), else None."""
        cache = self._bound.get(feed)
        if cache is None or cache[0] is not feed.spec:
            cache = self._bound[feed] = (feed.spec, {})
        bound = cache[1]
        accept_run = self.selector.accept_run
        bonus = 0.01 * feed.spec.priority
        # rows in group order: (lo, hi) of the columns for a peer taken whole (made at the end, all at
        # once), else the rows `_bind_group` made
        parts: list[tuple[int, int] | list[IngestRow]] = []
        pairs: Pairs | None = None
        taken: dict[int, tuple[str, str]] = {}  # peer number -> (unit, source key) of the peers taken whole
        for peer, fast, records in groups:
            if fast is None:
                if records:
                    parts.append(self._bound_rows(feed, peer, records, now))
                continue
            p = pairs = fast.pairs
            lo, hi = fast.lo, fast.hi
            n = hi - lo
            talker = p.talker[lo]
            if not (p.one_talker or p.talker[lo:hi].count(talker) == n) or now - p.earliest > ROLLOVER_LAG_S:
                parts.append(self._bound_rows(feed, peer, fast.fixes() + records, now))
                continue
            b = bound.get(peer)
            if b is None or b[0] != talker:
                b = bound[peer] = (talker, self._unit_for(feed, peer, fast.source, talker),
                                   (f"{feed.name}:" + fast.source)[:64])
            _talker, uid, src = b
            i = hi - 1
            if uid is None:
                feed.unbound += n
                feed.see(peer, fast.source, talker, now).count += n
            else:
                # fix_score of the last (quality is never 0 here, mode never below 2)
                hdop = p.hdop[i]
                h = hdop if hdop is not None else 2.5
                score = 10.0 - (h if h < 9.0 else 9.0)
                if p.quality[i] in (2, 4, 5):
                    score += 1.0
                if not accept_run(uid, src, score + bonus, now):
                    parts.append(self._bound_rows(feed, peer, fast.fixes() + records, now))
                    continue
                feed.fixes += n
                taken[fast.peer] = (uid, src)
                parts.append((lo, hi))
            if records:
                parts.append(self._bound_rows(feed, peer, records, now, fast.fix(i)))
                continue
            feed.last_fix_at = now  # Feed.note of the last
            feed.quality = p.quality[i]
            sats, hdop = p.sats[i], p.hdop[i]
            if sats is not None:
                feed.sats = sats
            if hdop is not None:
                feed.hdop = hdop
        whole: list[IngestRow] = []
        cols = None
        if taken and pairs is not None and pairs.peer is not None:
            unit_of: list[Any] = [None] * len(pairs.lo)
            src_of: list[Any] = [None] * len(pairs.lo)
            for k, (uid, src) in taken.items():
                unit_of[k], src_of[k] = uid, src
            peer_of = pairs.peer
            cols = (np.array(unit_of, dtype=object)[peer_of].tolist(), pairs.time, pairs.lat, pairs.lon, pairs.speed,
                    pairs.course, np.array(src_of, dtype=object)[peer_of].tolist())
            whole = list(zip(*cols, strict=True))
        at = 0  # while the parts, in order, are the whole columns (each peer's pairs taken, one after the other)
        for part in parts:
            if type(part) is tuple:
                rows.extend(whole[part[0] : part[1]])
                at = part[1] if at == part[0] else -1
            else:
                rows.extend(part)
                at = -1
        return cols if at == len(whole) else None

    def _bound_rows(self, feed: Feed, peer: str, records: list[Record], now: float, last: Fix | None = None,
                    ) -> list[IngestRow]:
        out: list[IngestRow] = []
        self._bind_group(feed, peer, records, now, out, last)
        return out

    def _bind_group(self, feed: Feed, peer: str, records: list[Record], now: float, rows: list[IngestRow],
                    last: Fix | None = None) -> None:
        """Bind one peer's records of a batch and append the accepted fixes to ``rows`` (``last``: the
        last fix `_bind_groups` bound before them)."""
        key: tuple[str, str | None] | None = None
        uid: str | None = None
        last_fix: Fix | None = last
        last_q: Fix | None = last  # the last one with a fix quality (a GGA's or a merged one)
        accept = self.selector.accept
        bonus = 0.01 * feed.spec.priority
        prefix = f"{feed.name}:"
        for r in records:
            if type(r) is Fix:
                last_fix = r
                if r.quality is not None:
                    last_q = r
                k = (r.source, r.talker)
                if k != key:  # a peer's fixes share their source (and nearly always the talker)
                    key = k
                    uid = self._unit_for(feed, peer, r.source, r.talker)
                    src = (prefix + r.source)[:64]
                    seen = feed.see(peer, r.source, r.talker, now) if uid is None else None
                if uid is None:
                    feed.unbound += 1
                    seen.count += 1  # type: ignore[union-attr]
                    continue
                score = fix_score(r) + bonus if r.hdop is not None or r.quality is not None else None
                if accept(uid, src, score, now):
                    feed.fixes += 1
                    t = r.time
                    if t is not None and now - t > ROLLOVER_LAG_S:
                        t = feed.rollover(t, now)
                    rows.append((uid, t, r.lat, r.lon, r.speed, r.course, src))
            else:
                feed.note(r, now)
                row = self._bind(feed, peer, r, now)
                if row is not None:
                    rows.append(row)
        if last_q is not None and last_q is not last_fix:
            feed.note(last_q, now)
        if last_fix is not None:
            feed.note(last_fix, now)

    def _unit_for(self, feed: Feed, peer: str, source: str, talker: str | None) -> str | None:
        """The unit a fix belongs to: the feed's `bind` table by peer address, peer host, source key,
        device id or talker (the first that matches), else the feed's unit, else a unit whose
        "source" attribute names the source or the feed."""
        bind = feed.spec.bind
        if bind:
            for key in (peer, peer.rsplit(":", 1)[0] if peer else "", source, feed.device_of(peer, source) or "",
                        talker or ""):
                if key and key in bind:
                    return bind[key]
        if feed.spec.unit:
            return feed.spec.unit
        return self.binder.by_source.get(source) or self.binder.by_source.get(feed.name)

    def _bind(self, feed: Feed, peer: str, r: Record, now: float) -> IngestRow | None:
        if isinstance(r, Fix):
            uid = self._unit_for(feed, peer, r.source, r.talker)
            if uid is None:
                feed.unbound += 1
                feed.see(peer, r.source, r.talker, now).count += 1
                return None
            src = f"{feed.name}:{r.source}"
            score = fix_score(r) + 0.01 * feed.spec.priority if r.hdop is not None or r.quality is not None else None
            if not self.selector.accept(uid, src, score, now):
                return None
            feed.fixes += 1
            t = r.time
            if t is not None and now - t > ROLLOVER_LAG_S:
                t = feed.rollover(t, now)
            return (uid, t, r.lat, r.lon, r.speed, r.course, src[:64])
        if isinstance(r, AisReport):
            uid = feed.spec.bind.get(f"mmsi:{r.mmsi}") or self.binder.by_mmsi.get(r.mmsi)
            if uid is None:
                self._contact(r, now)
                feed.see(peer, r.source, None, now, mmsi=r.mmsi, name=r.shipname).count += 1
                return None
            if r.lat is None or r.lon is None:
                return None
            src = f"{feed.name}:mmsi:{r.mmsi}"
            if not self.selector.accept(uid, src, None, now):
                return None
            feed.fixes += 1
            speed = None if r.speed is None else r.speed * KNOT
            course = r.course if r.course is not None else r.heading
            return (uid, r.time, r.lat, r.lon, speed, course, src[:64])
        return None

    def _contact(self, r: AisReport, now: float) -> None:
        with self.lock:
            c = self.contacts.get(r.mmsi)
            if c is None:
                c = self.contacts[r.mmsi] = {"mmsi": r.mmsi, "name": None, "lat": None, "lon": None,
                                             "course": None, "speed": None, "heading": None, "time": None}
            if r.shipname:
                c["name"] = r.shipname.strip() or c["name"]
            if r.lat is not None and r.lon is not None:
                c.update(lat=r.lat, lon=r.lon, time=r.time, speed=r.speed,
                         course=r.course if r.course is not None else c["course"],
                         heading=r.heading if r.heading is not None else c["heading"])
            c["seen"] = now
            if r.lat is not None and r.lon is not None:
                speed = None if r.speed is None else r.speed * KNOT
                self._contact_rows.append((f"mmsi:{r.mmsi}", r.time, r.lat, r.lon, speed, r.course, r.source))
            c["version"] = self.contacts_version = self.contacts_version + 1
            if len(self.contacts) > 5000 or self.contacts_version % 1000 == 0:
                for m in [m for m, v in self.contacts.items() if now - v["seen"] > self.contact_ttl]:
                    del self.contacts[m]
