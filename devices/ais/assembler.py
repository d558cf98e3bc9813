"""Reassembly of multi-sentence AIS messages.

Fragments are buffered by (sequence id, channel, fragment count), so two type 5 messages
interleaved on channels A and B, or with different sequence ids, never mix. A buffer that
does not complete within ``timeout`` seconds is dropped and counted as incomplete; so is
one replaced by a new first fragment. The assembler never raises: garbage in is counted,
not thrown.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pyais.messages import AISSentence

_Key = tuple[int | None, str, int]


class AisAssembler:
    """Owns the multipart buffer of one AIS stream."""

    def __init__(self, timeout: float = 10.0, max_pending: int = 256, clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout = timeout
        self.max_pending = max_pending
        self.clock = clock
        self.incomplete = 0  # partial messages dropped (timed out, replaced, or overflowed)
        self._pending: dict[_Key, tuple[float, dict[int, AISSentence]]] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def push(self, sentence: AISSentence) -> AISSentence | None:
        """Add one fragment; return the whole message once its last fragment is in.

        A single-sentence message comes straight back.
        """
        try:
            if sentence.frag_cnt == 1:
                return sentence
            now = self.clock()
            self.expire(now)
            key = (sentence.seq_id, sentence.channel, sentence.frag_cnt)
            entry = self._pending.get(key)
            if entry is None or sentence.frag_num in entry[1]:
                if entry is not None:
                    self.incomplete += 1  # a fragment repeats: the old message is lost
                if len(self._pending) >= self.max_pending:
                    self._drop_oldest()
                entry = (now, {})
                self._pending[key] = entry
            parts = entry[1]
            parts[sentence.frag_num] = sentence
            if len(parts) < sentence.frag_cnt:
                return None
            del self._pending[key]
            return AISSentence.assemble_from_iterable([parts[n] for n in sorted(parts)])
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
