"""Reassembly of multi-sentence AIS messages.

Fragments are buffered by (channel, sequence id, fragment count), so two type 5 messages
interleaved on channels A and B, or on one channel with different sequence ids, never mix.
Fragments must come in order, as a receiver sends them: fragment 1 starts a message,
fragment n extends one that has fragments 1..n-1. Anything else drops what it cannot
extend, and is counted as incomplete; that keeps a stray later fragment from being glued
to an unrelated message that reuses the sequence id (ids cycle through 0-9). So is a
buffer that does not complete within ``timeout`` seconds, or the oldest one when more
than ``max_pending`` wait. The assembler never raises: garbage in is counted, not thrown.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyais.messages import AISSentence

_Key = tuple[int, int | None, int]


class AisAssembler:
    """Owns the multipart buffer of one AIS stream."""

    def __init__(self, timeout: float = 10.0, max_pending: int = 256, clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout = timeout
        self.max_pending = max_pending
        self.clock = clock
        self.incomplete = 0  # partial messages dropped (out of order, timed out, replaced, or overflowed)
        self._pending: dict[_Key, tuple[float, list[AISSentence]]] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def push(self, sentence: AISSentence, channel: int = 0) -> AISSentence | None:
        """Add one fragment (``channel``: 0 = A, 1 = B); return the whole message once its last fragment is in.

        A single-sentence message comes straight back.
        """
        try:
            count = sentence.frag_cnt
            if count == 1:
                return sentence
            now = self.clock()
            self.expire(now)
            key = (channel, sentence.seq_id, count)
            entry = self._pending.get(key)
            number = sentence.frag_num
            if number == 1:
                if entry is not None:
                    self.incomplete += 1  # a new message reuses the id: the old one is lost
                    del self._pending[key]
                if len(self._pending) >= self.max_pending:
                    self._drop_oldest()
                self._pending[key] = (now, [sentence])
                return None
            if entry is None or len(entry[1]) != number - 1:
                if entry is not None:
                    del self._pending[key]
                self.incomplete += 1  # a fragment out of order or without its first part
                return None
            parts = entry[1]
            parts.append(sentence)
            if number < count:
                return None
            del self._pending[key]
            return type(parts[0]).assemble_from_iterable(parts)
        except Exception:  # noqa: BLE001 - garbage must never escape the buffer
            self.incomplete += 1
            return None

    def expire(self, now: float | None = None) -> int:
        """Drop partial messages older than the timeout; return how many."""
        if not self._pending:
            return 0
        now = self.clock() if now is None else now
        stale = [k for k, (t0, _) in self._pending.items() if now - t0 > self.timeout]
        for k in stale:
            del self._pending[k]
        self.incomplete += len(stale)
        return len(stale)

    def _drop_oldest(self) -> None:
        oldest = min(self._pending, key=lambda k: self._pending[k][0])
        del self._pending[oldest]
        self.incomplete += 1
