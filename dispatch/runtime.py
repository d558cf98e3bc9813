"""Process tuning for the long-running commands (the console, the hub).

A console holds a large, long-lived heap (the city graph, the event state, Qt wrappers) and
allocates many short-lived objects per second on its feed path. CPython's collector would
re-walk the long-lived heap on every older-generation collection; freezing what exists once
start-up is done, and collecting the youngest generation less often, keeps that cost off the
feed path. Nothing is leaked: frozen objects are only exempt from cycle collection.
"""

from __future__ import annotations

import ctypes
import gc
import sys
import threading
import time
from collections.abc import Callable

GEN0_THRESHOLD = 50_000
# How long a thread holding the GIL may keep it while another waits for it. With CPython's 5 ms default
# the hub's loop thread, woken by an assignment or an acknowledgement, can wait up to 5 ms for a thread
# busy in Python: in the console the feed pump ingesting a batch, the GUI thread, an operation composing
# its answer. 0.5 ms bounds that wait; a hand-over costs microseconds, about 1% of a busy thread's time.
SWITCH_INTERVAL_S = 0.0005


# glibc's malloc serves a request of at least its mmap threshold with a mapping of its own, unmapped when freed;
# smaller ones come from its arenas, which keep what is freed as free chunks. The threshold starts at 128 KiB and
# rises to the size of the largest mapped chunk freed so far (up to 32 MiB), the trim threshold (free memory at
# an arena's top given back) to twice that: after start-up (a 300 KiB file read, a 1 MiB dict of interned
# names) they stand near 1 and 2 MiB. A long-running console or hub then takes its steady churn of large
# buffers from the arenas: SQLite's page-cache blocks (87 KiB, about 27 a second: a read transaction after
# another connection's write starts a new one) and pages (64 KiB), the NMEA scanner's columns (106 and 128
# KiB). Now and then such a buffer meets no free chunk it fits, an arena grows, and the free memory malloc keeps
# creeps up: 20 MB/h of resident memory in `main.py bench --soak` with the memory in use flat (heaptrack over a
# whole run found nothing held; 2026-12-05, console/bench/soak.py). Both thresholds fixed, at 64 and 128 KiB,
# map those buffers on their own: the same soak -3.35 MB/h (set by GLIBC_TUNABLES) and 2.07 MB/h (by this
# function), free memory flat or falling. At 96 KiB, leaving SQLite's blocks in the arenas, it missed (30.9
# MB/h, most of it SQLite's page caches filling). The hub's field round trip did not move: p99 0.97-1.69 ms in
# seven `bench --only hub` runs with it, 0.73-1.51 ms in six without, interleaved. (MALLOC_ARENA_MAX=2 and
# malloc_trim every 30 s were tried before: 26 MB more resident, or RSS swinging by 4 MB between trims.)
# Only a request the arena cannot serve from its free chunks or its top is mapped: hence the trim threshold too.
MMAP_THRESHOLD = 64 * 1024
TRIM_THRESHOLD = 128 * 1024
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)


def _glibc() -> ctypes.CDLL | None:
    """The process's C library if it is glibc (musl has no gnu_get_libc_version), else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def tune_malloc() -> bool:
    """glibc's mmap and trim thresholds fixed (see above); False elsewhere (another C library or
    system: their allocators are their own)."""
    libc = _glibc()
    if libc is None:
        return False
    mallopt = libc.mallopt
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def mallinfo2() -> Callable[[], MallInfo2] | None:
    """glibc's mallinfo2 (2.33 and later: every arena, sizes in bytes): what malloc has in use (`uordblks`,
    and `hblkhd` mapped alone in `hblks` chunks) and keeps free (`fordblks`); None elsewhere."""
    libc = _glibc()
    fn = getattr(libc, "mallinfo2", None) if libc is not None else None
    if fn is None:
        return None
    fn.argtypes = []
    fn.restype = MallInfo2
    return fn


def sqlite_memory_used() -> Callable[[], int] | None:
    """sqlite3_memory_used of the SQLite library the sqlite3 module uses (every connection's page caches,
    statements and schemas, in bytes), or None (a build that links SQLite in, or its memory statistics off)."""
    import sqlite3

    sqlite3.connect(":memory:").close()  # the library loaded
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "libsqlite3" in line}
        if len(paths) != 1:
            return None
        lib = ctypes.CDLL(paths.pop())
        fn, highwater = lib.sqlite3_memory_used, lib.sqlite3_memory_highwater
    except (OSError, AttributeError):
        return None
    fn.argtypes = []
    fn.restype = highwater.restype = ctypes.c_int64
    highwater.argtypes = [ctypes.c_int]
    return fn if highwater(0) > 0 else None  # the connection above counted: its statistics are on


def _young_generation_threshold() -> None:
    _, g1, g2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, g1, g2)


def tune_gc() -> None:
    """Call once start-up is done (stores opened, city loaded)."""
    gc.collect()
    gc.freeze()
    _young_generation_threshold()


def tune_startup() -> None:
    """What the long-running commands (console, hub) set first, before start-up: the GIL handed over promptly
    from the start, and the young generation collected less often while the start-up heap is built.

    Start-up starts threads before it is done (the demo city's feeds, the hub, the fix writer): with
    CPython's 5 ms switch interval the thread building the window waited behind them. And the start-up heap
    (modules, the state, the city) is made of objects that live as long as the program: collecting the young
    generation every 700 of them only walks it again and again. Measured with `main.py bench` (startup_s,
    the demo city on a fresh store, the 2-core bench machine, runs interleaved): median 4.96 s before,
    4.59 s after. `tune_runtime` still runs once start-up is done (it freezes that heap)."""
    _young_generation_threshold()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    tune_malloc()


def tune_runtime() -> None:
    """What the long-running commands (console, hub, the bench that stands for them) set once start-up is
    done: the collector tuned (`tune_gc`), the GIL handed over promptly to the thread that waits, and malloc's
    large buffers mapped on their own (`tune_malloc`)."""
    tune_gc()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    tune_malloc()


# Sharing the GIL with a latency-bound thread (the hub's field loop). CPython hands the GIL to a waiting
# thread only at the switch interval, and not reliably even then: measured on the 2-core bench machine
# (CPython 3.12 and 3.11 alike), a thread busy in Python for 5 ms, 100 times, kept a thread woken from a
# 0.1 ms sleep waiting more than 2.5 ms 25 to 46 times, whatever the switch interval (0.5 ms or 0.1 ms);
# with a `time.sleep(0)` every 0.2 ms in the busy loop no wait exceeded 0.4 ms. So background work that
# runs in Python for milliseconds (a feed's tick: the simulator, decoding, binding, ingest, the rules) calls `GilShare` between its items and `share_gil`
# between its stages; a thread that must never wait behind them (`priority_thread()`) does not yield there.
SHARE_EVERY_S = 0.0002
_priority: set[int] = set()  # threads that never yield in share_gil (the hub's loop): see priority_thread


def priority_thread() -> None:
    """The calling thread is latency-bound (the hub's field loop): `share_gil` and `GilShare` never yield on it."""
    _priority.add(threading.get_ident())


def end_priority_thread() -> None:
    _priority.discard(threading.get_ident())


def is_priority_thread() -> bool:
    return threading.get_ident() in _priority


def priority_threads() -> frozenset[int]:
    return frozenset(_priority)


def share_gil() -> None:
    """Between the stages of a long stretch in Python: let a thread waiting for the GIL run now (not on a
    priority thread: it is the one the others make way for)."""
    if threading.get_ident() not in _priority:
        time.sleep(0)


class GilShare:
    """Called between the items of a long stretch in Python on a background thread: every SHARE_EVERY_S it
    lets a thread waiting for the GIL run (`share_gil`). `now()` does it at once (between stages)."""

    __slots__ = ("_next", "_left")
    CHECK_EVERY = 8  # items between looks at the clock (an item is a few microseconds or more)

    def __init__(self) -> None:
        self._next = time.perf_counter() + SHARE_EVERY_S
        self._left = self.CHECK_EVERY

    def __call__(self) -> None:
        self._left -= 1
        if self._left <= 0:
            self._left = self.CHECK_EVERY
            if time.perf_counter() >= self._next:
                self.now()

    def now(self) -> None:
        share_gil()
        self._next = time.perf_counter() + SHARE_EVERY_S


class Background:
    """A daemon thread running `_loop` until `stop()` (the fix sealer, retention, the hub's duties): `_loop` waits
    on `self._stop` between its rounds. `JOIN_S`: how long `stop()` waits for a round under way to end."""

    NAME = "background"
    JOIN_S = 10.0

    def __init__(self) -> None:
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name=self.NAME, daemon=True)

    def start(self):  # type: ignore[no-untyped-def]  (returns self, the subclass)
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(self.JOIN_S)

    def _loop(self) -> None:
        raise NotImplementedError
