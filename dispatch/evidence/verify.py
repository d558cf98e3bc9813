"""Verifying stored clips: the file is there, hashes to the SHA-256 recorded when it was kept, and every frame
still decodes (media.check names the first one that does not, by its time). ``evidence.verify`` for the
console and ctl; ``decode_problems`` for ``audit verify``, which reads the log without a core.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from dispatch.blobs import attachments_dir, blob_path, sha256_file
from dispatch.evidence.book import book, get_clip
from dispatch.evidence.media import check
from dispatch.ops import op
from dispatch.record.audit import Problem
from dispatch.record.replay import iso_z


def clip_problem(path: Path, sha256: str, label: str, start: float | None = None) -> str | None:
    """What is wrong with one stored clip (missing, altered, a frame that does not decode), or None."""
    if not path.is_file():
        return f"{label} missing: {path}"
    got = sha256_file(path)
    if got != sha256:
        return f"{label} altered: {path} has SHA-256 {got[:12]}…, recorded {sha256[:12]}…"
    return check(path, label, start)


@op("evidence.verify")
def verify(core: Any, actor: str, clip_id: Any = None) -> dict[str, Any]:
    """Check every stored clip (or one): there, unaltered, every frame decoding.
    Returns {"checked", "bad": [{"id", "name", "problem"}], "seconds", "video_s"}."""
    core.refresh()
    folder = attachments_dir(core)
    with core.lock:
        clips = [get_clip(core.state, clip_id)] if clip_id not in (None, "") else \
            sorted(book(core.state).clips.values(), key=lambda c: c.id)
    started = time.monotonic()
    bad = []
    seen: set[str] = set()
    for c in clips:
        if c.sha256 in seen:
            continue  # the same file kept twice (two starts): checked once
        seen.add(c.sha256)
        why = clip_problem(blob_path(folder, c.sha256), c.sha256, f"clip {c.id} ({c.name})", c.start)
        if why:
            bad.append({"id": c.id, "name": c.name, "sha256": c.sha256, "problem": why})
    return {"checked": len(seen), "bad": bad, "seconds": round(time.monotonic() - started, 3),
            "video_s": round(sum(c.duration_s for c in clips), 3)}


def stored_clips(engine: Engine) -> list[tuple[int, str, str, float]]:
    """(event seq, label, sha256, start) of every clip the log says was kept, once per file."""
    out: dict[str, tuple[int, str, str, float]] = {}
    q = text("SELECT seq, payload FROM events WHERE kind = 'evidence.clip_added' ORDER BY seq")
    with engine.connect() as conn:
        for seq, payload in conn.execute(q):
            try:
                p = json.loads(payload)
            except (TypeError, ValueError):
                continue
            sha = p.get("sha256") if isinstance(p, dict) else None
            if isinstance(sha, str) and len(sha) == 64 and sha not in out:
                label = f"clip {p.get('id')} ({p.get('name') or sha[:12]}, from {iso_z(float(p.get('start') or 0))})"
                out[sha] = (int(seq), label, sha, float(p.get("start") or 0.0))
    return list(out.values())


def decode_problems(engine: Engine, folder: Path, skip: set[str] = frozenset()) -> tuple[int, list[Problem]]:  # type: ignore[assignment]
    """Decode every frame of every stored clip that is there and unaltered (those hash checks already named
    are in ``skip``, by SHA-256). Returns (clips decoded, problems)."""
    n = 0
    problems = []
    for seq, label, sha, start in stored_clips(engine):
        path = blob_path(folder, sha)
        if sha in skip or not path.is_file():
            continue
        n += 1
        why = check(path, label, start)
        if why:
            problems.append(Problem(seq, "attachment", f"{why} (event {seq})"))
    return n, problems
