"""dispatch/runtime.py's tune_malloc: on glibc a buffer of MMAP_THRESHOLD or more is mapped on its own (and
unmapped when freed), whatever the largest buffer freed before it, so such buffers do not grow malloc's arenas.
Each case runs in a fresh interpreter: the allocator's state is the process's own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import ctypes, sys
from dispatch.runtime import MMAP_THRESHOLD, mallinfo2, tune_malloc

libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
accounts = mallinfo2()

def mapped_alone(size, n=50):
    before = accounts().hblks
    held = [libc.malloc(size) for _ in range(n)]
    mapped = accounts().hblks - before
    for p in held:
        libc.free(p)
    return mapped

libc.free(libc.malloc(8 << 20))  # glibc's own rule: the thresholds rise with the 8 MiB chunk just freed
if sys.argv[1] == "tuned":
    assert tune_malloc()
    libc.free(libc.malloc(8 << 20))  # ... but no longer once they are set
print(mapped_alone(MMAP_THRESHOLD + 4096), mapped_alone(MMAP_THRESHOLD // 2))
"""


def probe(mode: str) -> tuple[int, int]:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    big, small = done.stdout.split()
    return int(big), int(small)


def test_large_buffers_are_mapped_alone_once_tuned():
    assert probe("default") == (0, 0)  # fifty 68 KiB buffers from the arena
    big, small = probe("tuned")
    assert big >= 45 and small == 0  # each mapped alone (a free chunk left in the arena may serve a few)
