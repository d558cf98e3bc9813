"""The soak: a hub and its core under a city's steady load for a while, watched for growth.

`python main.py bench --soak SECONDS` runs this section alone, measuring SECONDS after its warm-up; the
full bench measures SOAK_S (ten minutes; about 19 with the warm-up); --quick and the test suite never
run it. For the whole run:
- 2,000 units report at 1 Hz through the feed path (an RMC and a GGA a second each, decoded, bound,
  selected, ingested into the live state and stored), pumped every 100 ms as the console's feed timer does;
- 200 field units (CURVE, another process: dispatch/hub/bench.py's swarm) connected to the hub, one text
  message to a random one every second, acknowledged; the core's snapshot thread runs as in production.

The load runs a warm-up (`warmup_s`: 542 s) before the measured SECONDS, with nothing measured. It
covers memory that is bounded but reaches its level only after some minutes of this load. Each part was
found by runs of up to 20 minutes sampling the process's mappings, glibc's arenas and Python's
allocator (2026-12-04):
- libzmq's pipes. Each connection's queue, in each direction, keeps its messages in chunks of 256
  (ZMQ_PIPE_CHUNK, libzmq's message_pipe_granularity; 64 bytes a message, 16 KiB a chunk), two used in
  turn. At one heartbeat a second each way, the hub's I/O thread writes into a new page of them about
  once a minute, until every page of both chunks has been used after 512 messages: 200 units x 2
  directions x 32 KiB = 12.8 MB, allocated at the start and resident over 8.5 minutes. A raw pyzmq CURVE
  ROUTER answering the same swarm's heartbeats grows the same way, then stays flat.
- The fix sealer (dispatch/fixseal.py): its first round comes SEAL_AFTER_S + SEAL_STEP_S after the first
  fixes, and its batches and its connection's page cache then take their place once (about 8 MB).
- SQLite's page caches, per connection, fill up to their cap as the tables grow.
- Each field unit's message log (the last MAX_MESSAGES_PER_UNIT, dispatch/hub/state.py) fills at the soak's
  one text a second for eleven hours (200 units x 200): 123 bytes a text kept (tracemalloc, 2,000 texts),
  0.44 MB/h, bounded but beyond any warm-up. So the store starts with every log full, as a hub that has run
  for a day has it: 200 earlier texts per field unit, recorded before the hub starts (it never sends them).
Measured over the whole run, those look like a leak of 100-200 MB/h. After them, 1-4 MB still came in the
measured ten minutes of three runs (4.3, 21 and 12 MB/h, 2026-12-04). Sampling malloc's own account beside
it (2026-12-05, glibc's mallinfo2, every arena), the runs differed:
- one: malloc's memory in use stayed at 96.0-96.1 MB over the measured ten minutes while the free memory it
  keeps rose from 6.7 to 7.3 MB, the arenas growing with it (RSS 152.7 -> 153.9 MB, 8.1 MB/h, flat over
  its last four minutes): the allocator's high-water mark, reached now and then as a burst of work (a
  pump batch, a sealer round, a store flush) meets free chunks that do not fit it;
- the next: memory in use rose 97.3 -> 99.8 MB and free grew at 5.6 MB/h (RSS 152.7 -> 157.2, 33 MB/h):
  something held 2.5 MB more after ten minutes. Not yet attributed; soak_sqlite_* says SQLite's part;
- two more, with it: in use flat (0.5 and 0.4 MB/h), SQLite flat (0.3 and 0.1 MB/h); RSS 9.4 MB/h with
  free growing 6.4 MB/h (CI running beside it), and 3.35 MB/h with free flat.
Two changes tried against the first kind, one run each, did not help enough to keep: malloc_trim(0) every
30 s (10.8 MB/h, RSS swinging by 4 MB between trims, field round trip p99 2.8 ms) and MALLOC_ARENA_MAX=2
(4.25 MB/h, but 26 MB more resident from the start and a field round trip p99 of 4.3 ms).
Since (2026-12-05):
- heaptrack over a whole run (every malloc with its backtrace; live allocations at 340 s against the end)
  found nothing held beyond a sampler's own leak: the in-use growth seen once came from no call site there;
- with the logs full (above) and nothing else changed: 20.35 MB/h, in use flat (0.73 MB/h), free 20 MB/h;
- dispatch/runtime.py's tune_malloc (glibc's mmap and trim thresholds fixed at 64 and 128 KiB: SQLite's
  page-cache blocks and the scanner's columns mapped alone) then: -3.35 MB/h (set by GLIBC_TUNABLES), 2.07
  and -0.16 MB/h (by tune_malloc), free flat; at 96 KiB, 30.9 MB/h, mostly SQLite's heap rising 4.8 -> 7.8 MB.
  SQLite's heap moves within its page caches' caps (4.7 to 7.9 MB at the start of six runs), so a run that
  begins with the caches just emptied can still miss on it.
- Each SQLite connection's page cache sampled through three runs (sqlite3_db_status every 15 s, 2026-12-05):
  one pooled connection does the store's serial work and keeps its cache at its 2 MB cap from the first
  minute; the outbox's, the hub's probe and the checkpointer's hold under 0.1 MB each. The rest of SQLite's
  heap jumped by 3.6 MB at the first snapshot of the state (a minute in) and stayed up in no connection's
  cache: the snapshot's bytes, bound to the insert, stay copied in the cached statement (sqlite3_reset keeps
  the bindings) until that statement runs again or the statement cache drops it. In the three runs sampled so
  it went within two and a half minutes (SQLite's heap 4.8 MB from then on); the run of the command between
  them (2.87 MB/h) kept 8.9 -> 9.3 MB throughout, like the runs that began at 7.1-7.9 MB: most likely the same
  copy, kept. Snapshots are now written into their row through SQLite's blob I/O (dispatch/snapshot.py). The pool also hands out the connection returned last now
  (dispatch/store.py): serial work keeps to one warm cache, and a connection opened once for a read during a
  write no longer takes every other turn (each would drop its cache at each turn and fill its own 2 MB).
- The next run (snapshots written by blob I/O) had no jump at the snapshot, but one at 183 s (3.1 -> 7.3 MB):
  the fix sealer's read of what is due, made on a connection of its own while the fixes' flush held the
  writer's, opened a second pooled connection, whose cache and statements stayed. The connection left idle
  dropped its 2 MB cache inside the measured ten minutes (used once more, its pages stale), which malloc kept
  as free memory: 15.45 MB/h (in use -17, free +33 MB/h; a test run beside it for 9 s). The sealer now reads
  that in its first write transaction (dispatch/fixseal.py): in the soak nothing reads beside a write. The
  run after: -0.85 MB/h, in use and free flat, SQLite's heap 4.8 MB throughout the measurement, no
  connection opened after the first two seconds.
With the logs full the process starts about 35 MB larger (187-202 MB).

Figures:
  soak_rss_growth_mb_per_h: the process's resident memory, sampled every 5 s over the measured SECONDS,
    its least-squares slope. Target < 5.
  soak_rss_mb_start, soak_rss_mb_end: where memory was when the measurement began and ended;
    soak_warmup_s: the warm-up run before it.
  soak_heap_inuse_growth_mb_per_h, soak_heap_free_growth_mb_per_h: the same slope of what malloc has in use
    (its arenas' chunks and the ones it mapped alone) and of the free memory it keeps, from mallinfo2 at the
    same samples (glibc only; absent elsewhere). Growth in use would be memory held; growth in free is the
    allocator's high-water mark rising. soak_heap_inuse_mb_start, soak_heap_inuse_mb_end beside them.
  soak_sqlite_growth_mb_per_h (soak_sqlite_mb_start, _end): the same of SQLite's own heap
    (sqlite3_memory_used: every connection's page cache, statements, schema), part of malloc's in use.
  soak_ingest_lag_s_p99: for each second of fixes, from the fixes' time to the pump having them in the
    live state (their store write follows within the store's flush interval, 1 s).
  soak_field_rtt_ms_p99 (p50): a text message's round trip, from its event committed to the unit's
    acknowledgement committed (the hub bench's field_text_rtt, under this load).
  soak_field_log_messages: the texts the units' message logs hold at the end (40,000: every log full).
  soak_fixes, soak_seconds: what ran.
"""

from __future__ import annotations

import os
import random
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from dispatch.bench import percentile

SOAK_S = 600
ZMQ_PIPE_CHUNK = 256  # messages in one chunk of a libzmq pipe's queue (message_pipe_granularity)
N_POSITION_UNITS = 2000
N_FIELD_UNITS = 200


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _heap_mb(accounts: Any) -> tuple[float, float]:
    """(malloc's memory in use, free memory it keeps), MB, from mallinfo2: its arenas' chunks, and the chunks it
    mapped alone."""
    m = accounts()
    return (m.uordblks + m.hblkhd) / 1e6, m.fordblks / 1e6


def _slope_per_h(samples: list[tuple[float, float]]) -> float:
    if len(samples) < 3:
        return float("nan")
    n = len(samples)
    mt = sum(t for t, _ in samples) / n
    mv = sum(v for _, v in samples) / n
    var = sum((t - mt) ** 2 for t, _ in samples)
    return 0.0 if var == 0 else sum((t - mt) * (v - mv) for t, v in samples) / var * 3600


def warmup_s() -> float:
    """The warm-up (module doc): both chunks of every pipe used at the field units' heartbeat rate, and the
    sealer's first full round done; BENCH_SOAK_WARMUP_S overrides it (a short look by hand)."""
    from dispatch.fixseal import SEAL_AFTER_S, SEAL_EVERY_S, SEAL_STEP_S
    from dispatch.hub.protocol import HEARTBEAT_S

    given = os.environ.get("BENCH_SOAK_WARMUP_S")
    if given:
        return float(given)
    return max(2 * ZMQ_PIPE_CHUNK * HEARTBEAT_S, SEAL_AFTER_S + SEAL_STEP_S + 2 * SEAL_EVERY_S) + 30.0


def run(quick: bool, seconds: float | None = None) -> dict[str, Any]:
    import zmq

    from devices.nmea import encode
    from devices.transports.base import RawLine, Transport
    from dispatch import ops
    from dispatch.core import Dispatch
    from dispatch.feeds.config import FeedSpec
    from dispatch.feeds.manager import FeedManager
    from dispatch.hub.bench import _raise_fd_limit, _read_line, _start_swarm
    from dispatch.hub.server import Hub
    from dispatch.hub.state import MAX_MESSAGES_PER_UNIT, field_state
    from dispatch.runtime import mallinfo2, sqlite_memory_used, tune_runtime
    from dispatch.store import EventStore, NewEvent

    if seconds is None:
        seconds = float(os.environ.get("BENCH_SOAK_S") or 0) or (0 if quick else SOAK_S)
    if not seconds:
        return {"soak_seconds": 0}
    _raise_fd_limit()

    class _Pushed(Transport):
        kind = "soak"

    tmp = tempfile.TemporaryDirectory()
    core = Dispatch(EventStore(f"sqlite:///{Path(tmp.name) / 'soak.db'}"))
    pos_units = [{"id": f"p{i:04d}", "name": f"p{i}", "kind": "truck"} for i in range(N_POSITION_UNITS)]
    field_units = [{"id": f"f{i:03d}", "name": f"f{i}", "kind": "patrol_boat"} for i in range(N_FIELD_UNITS)]
    core.register_units("bench", pos_units + field_units)
    pairs = [tuple(k.decode() for k in zmq.curve_keypair()) for _ in field_units]
    core.record("bench", [NewEvent("field.key_enrolled", {"unit_id": u["id"], "public_key": p[0]}, f"unit:{u['id']}")
                          for u, p in zip(field_units, pairs, strict=True)])
    history = [NewEvent("field.message_sent", {"unit_id": u["id"], "text": f"earlier message {k}"}, f"unit:{u['id']}")
               for k in range(MAX_MESSAGES_PER_UNIT) for u in field_units]  # each log full (module doc)
    for i in range(0, len(history), 5000):
        core.record("bench", history[i:i + 5000])
    spec = FeedSpec("soak", "tcp-server", tcp_port=0, bind={f"dev{i}": u["id"] for i, u in enumerate(pos_units)})
    mgr = FeedManager(core)
    feed = mgr.add(spec, start=False, transport=_Pushed("soak", queue_size=10_000_000))
    hub = Hub(core, "tcp://127.0.0.1:0", None).start()
    marks: dict[str, float] = {}
    acked = threading.Event()
    waiting: dict[str, int] = {}

    def on_commit(changes: Any) -> None:
        if "commit" not in marks and any(ev.kind == "field.message_sent" for ev in changes.events):
            marks["commit"] = time.perf_counter()

    def on_ack(acks: dict[str, int]) -> None:
        for u, seq in acks.items():
            if waiting.get(u, 1 << 62) <= seq:
                del waiting[u]
        if not waiting and not acked.is_set():
            marks["acked"] = time.perf_counter()
            acked.set()

    core.subscribe(on_commit, first=True)  # before the hub's, which sends on the committing thread
    hub.ack_listeners.append(on_ack)
    child = _start_swarm(hub.field_endpoint, hub.public_key,
                         [(u["id"], p[0], p[1]) for u, p in zip(field_units, pairs, strict=True)])
    stop = threading.Event()
    sent_at: list[tuple[float, int]] = []  # (fix time, fixes ingested once that second is in)
    lags: list[float] = []
    rss: list[tuple[float, float]] = []
    heap: list[tuple[float, float, float]] = []  # (time, malloc's in use, its free), when glibc tells
    malloc_accounts = mallinfo2()
    sqlite_mb: list[tuple[float, float]] = []  # (time, SQLite's own heap), when it tells
    sqlite_used = sqlite_memory_used()

    def sample(at: float) -> None:
        """Resident memory, and malloc's and SQLite's accounts where they tell, at `at` s into the measurement."""
        rss.append((at, _rss_mb()))
        if malloc_accounts is not None:
            heap.append((at, *_heap_mb(malloc_accounts)))
        if sqlite_used is not None:
            sqlite_mb.append((at, sqlite_used() / 1e6))
    rtts: list[float] = []
    lock = threading.Lock()

    def feeder() -> None:
        """Each second, every position unit's RMC and GGA for that second."""
        t = float(int(time.time()) + 1)
        total = 0
        while not stop.is_set():
            stop.wait(max(0.0, t - time.time()))
            lines = []
            for i in range(N_POSITION_UNITS):
                lat, lon = 24.30 + i * 5e-5 + (t % 600) * 1e-6, 109.40 + i * 5e-5
                lines.append(RawLine(t, encode.rmc("GN", t, lat, lon, 3.0, 45.0), f"dev{i}"))
                lines.append(RawLine(t, encode.gga("GN", t, lat, lon, 80.0, sats=10, hdop=0.9), f"dev{i}"))
            total += N_POSITION_UNITS
            with lock:
                sent_at.append((t, total))
            feed.transport._push(lines)
            t += 1.0

    def pump() -> None:
        base = core.fixes_ingested
        while not stop.is_set():
            mgr.pump_once()
            done = core.fixes_ingested - base
            now = time.time()
            with lock:
                while sent_at and sent_at[0][1] <= done:
                    lags.append(now - sent_at.pop(0)[0])
            stop.wait(0.1)

    threads = [threading.Thread(target=feeder, daemon=True), threading.Thread(target=pump, daemon=True)]
    try:
        _read_line(child, 60)
        _read_line(child, 60)
        deadline = time.monotonic() + 60
        while len(hub.routes) < N_FIELD_UNITS and time.monotonic() < deadline:
            time.sleep(0.01)
        _read_line(child, 60)  # every unit welcomed
        tune_runtime()
        for th in threads:
            th.start()
        rng = random.Random(21)
        warm = warmup_s()
        t_start = time.monotonic() + warm  # the measurement's start
        next_rss = t_start
        while time.monotonic() - t_start < seconds:
            now = time.monotonic()
            if now >= next_rss:
                sample(now - t_start)
                next_rss += 5.0
            u = field_units[rng.randrange(N_FIELD_UNITS)]["id"]
            waiting.clear()
            waiting[u] = hub.outbox.last_seq.get(u, 0) + 1
            acked.clear()
            marks.clear()
            ops.call(core, "field.send", {"unit_id": u, "text": "soak"}, actor="dispatcher:soak")
            if acked.wait(5) and "commit" in marks:
                rtts.append((marks["acked"] - marks["commit"]) * 1000)
            time.sleep(max(0.0, 1.0 - (time.monotonic() - now)))
        sample(time.monotonic() - t_start)
    finally:
        stop.set()
        for th in threads:
            th.join(5)
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(10)
        except Exception:
            child.kill()
        fixes = core.fixes_ingested
        with core.lock:
            logged = sum(len(log) for log in field_state(core.state).messages.values())
        hub.stop()
        core.close()
        tmp.cleanup()
    out = {
        "soak_rss_growth_mb_per_h": round(_slope_per_h(rss), 2),
        "soak_ingest_lag_s_p99": round(percentile(lags, 99), 3),
        "soak_ingest_lag_s_p50": round(percentile(lags, 50), 3),
        "soak_field_rtt_ms_p99": round(percentile(rtts, 99), 3),
        "soak_field_rtt_ms_p50": round(percentile(rtts, 50), 3),
        "soak_field_messages": len(rtts),
        "soak_field_log_messages": logged,
        "soak_fixes": fixes,
        "soak_seconds": round(seconds),
        "soak_warmup_s": round(warm),
        "soak_rss_mb_start": round(rss[0][1], 1) if rss else 0,
        "soak_rss_mb_end": round(rss[-1][1], 1) if rss else 0,
    }
    if heap:
        out.update({
            "soak_heap_inuse_growth_mb_per_h": round(_slope_per_h([(t, used) for t, used, _ in heap]), 2),
            "soak_heap_free_growth_mb_per_h": round(_slope_per_h([(t, free) for t, _, free in heap]), 2),
            "soak_heap_inuse_mb_start": round(heap[0][1], 1),
            "soak_heap_inuse_mb_end": round(heap[-1][1], 1),
        })
    if sqlite_mb:
        out.update({"soak_sqlite_growth_mb_per_h": round(_slope_per_h(sqlite_mb), 2),
                    "soak_sqlite_mb_start": round(sqlite_mb[0][1], 1), "soak_sqlite_mb_end": round(sqlite_mb[-1][1], 1)})
    return out
