"""The alarm sounds, made here from sine tones (nothing downloaded, nothing recorded): short, distinct by
pitch, rhythm and direction, with soft edges so they do not click. `python -m console.sound.tones` writes
them to resources/sounds/ (committed; a test checks that the files are what this makes).

  p1_incident   four fast alternating high notes (hi-lo-hi-lo): the most insistent, 0.72 s
  severe_alert  two rising sweeps: 0.8 s
  overdue       two middle beeps: 0.56 s
  unit_offline  one falling tone: 0.5 s
"""

from __future__ import annotations

import io
import math
import struct
import wave
from pathlib import Path

RATE = 22050
SOUNDS_DIR = Path(__file__).resolve().parents[2] / "resources" / "sounds"

# each sound: notes of (start Hz, end Hz, seconds), a silence of `gap` seconds after each
PATTERNS: dict[str, tuple[tuple[tuple[float, float, float], ...], float]] = {
    "p1_incident": (((1318.5, 1318.5, 0.14), (987.8, 987.8, 0.14), (1318.5, 1318.5, 0.14), (987.8, 987.8, 0.14)), 0.04),
    "severe_alert": (((660.0, 990.0, 0.34), (660.0, 990.0, 0.34)), 0.06),
    "overdue": (((587.3, 587.3, 0.22), (587.3, 587.3, 0.22)), 0.06),
    "unit_offline": (((523.3, 329.6, 0.5),), 0.0),
}
VOLUME = 0.6
EDGE_S = 0.012  # fade in and out of each note


def samples(name: str) -> list[int]:
    notes, gap = PATTERNS[name]
    out: list[int] = []
    for f0, f1, dur in notes:
        n = int(dur * RATE)
        edge = int(EDGE_S * RATE)
        phase = 0.0
        for i in range(n):
            f = f0 + (f1 - f0) * i / max(1, n - 1)
            phase += 2 * math.pi * f / RATE
            env = min(1.0, i / edge, (n - 1 - i) / edge)
            # a little of the octave above gives the tone an edge a small speaker carries
            v = VOLUME * env * (0.8 * math.sin(phase) + 0.2 * math.sin(2 * phase))
            out.append(int(round(v * 32767)))
        out.extend([0] * int(gap * RATE))
    return out


def wav_bytes(name: str) -> bytes:
    """The sound as a 16-bit mono PCM WAV file."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        data = samples(name)
        w.writeframes(struct.pack(f"<{len(data)}h", *data))
    return buf.getvalue()


def write_all(folder: Path = SOUNDS_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in PATTERNS:
        p = folder / f"{name}.wav"
        p.write_bytes(wav_bytes(name))
        paths.append(p)
    return paths


if __name__ == "__main__":
    import sys

    for p in write_all():
        sys.stdout.write(f"{p}\n")
