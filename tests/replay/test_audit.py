"""audit verify names the first event altered, removed or inserted behind the store's back."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from console.cli import main as cli_main
from dispatch.record.audit import verify_chain, verify_files
from dispatch.store import event_hash, make_engine


def _verify(shift, capsys) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    code = cli_main(["audit", "verify", "--db", shift.url])
    cap = capsys.readouterr()
    return code, cap.out + cap.err


def _n(path: str) -> int:
    with sqlite3.connect(path) as con:
        return con.execute("select count(*) from events").fetchone()[0]


def test_untouched_store_verifies(shift, capsys) -> None:  # type: ignore[no-untyped-def]
    shift.core.close()
    code, out = _verify(shift, capsys)
    assert code == 0, out
    assert f"chain ok: {_n(shift.path)} events" in out


@pytest.mark.parametrize("column,value", [("payload", '{"id":"boat-00","status":"busy"}'), ("actor", "dispatcher:li"),
                                          ("ts", 1.0), ("kind", "unit.retired")])
def test_an_edited_row_is_named(shift, capsys, column, value) -> None:  # type: ignore[no-untyped-def]
    shift.core.close()
    seq = _n(shift.path) // 2
    with sqlite3.connect(shift.path) as con:
        con.execute(f"update events set {column} = ? where seq = ?", (value, seq))
    code, out = _verify(shift, capsys)
    assert code == 1
    assert f"event {seq} altered" in out


def test_an_edit_with_its_hash_recomputed_is_still_named(shift, capsys) -> None:  # type: ignore[no-untyped-def]
    shift.core.close()
    seq = _n(shift.path) // 3
    with sqlite3.connect(shift.path) as con:
        r = con.execute("select seq, ts, actor, kind, entity, payload, prev_hash from events where seq=?", (seq,)).fetchone()
        payload = r[5][:-1] + ',"edited":true}'
        h = event_hash(r[6], r[0], r[1], r[2], r[3], r[4], payload)
        con.execute("update events set payload=?, hash=? where seq=?", (payload, h, seq))
    code, out = _verify(shift, capsys)
    assert code == 1
    assert f"event {seq} altered and re-hashed" in out


def test_a_deleted_row_is_named(shift, capsys) -> None:  # type: ignore[no-untyped-def]
    shift.core.close()
    seq = _n(shift.path) // 2
    with sqlite3.connect(shift.path) as con:
        con.execute("delete from events where seq = ?", (seq,))
    code, out = _verify(shift, capsys)
    assert code == 1
    assert f"event {seq} removed" in out


def test_inserted_rows_are_named(shift, capsys) -> None:  # type: ignore[no-untyped-def]
    shift.core.close()
    n = _n(shift.path)
    k = n // 2
    with sqlite3.connect(shift.path) as con:
        # make room in the middle and slip a forged event in, chained to nothing in particular
        con.execute("update events set seq = seq + 1000 where seq > ?", (k,))
        con.execute("update events set seq = seq - 999 where seq > ?", (k + 1000,))
        con.execute("insert into events (seq, ts, actor, kind, entity, payload, prev_hash, hash) "
                    "values (?, 1790000300.0, 'dispatcher:x', 'unit.status_set', 'unit:boat-00', '{}', ?, ?)",
                    (k + 1, "1" * 64, "2" * 64))
    code, out = _verify(shift, capsys)
    assert code == 1
    # the forged row is named first (the renumbered rows after it are then reported too)
    assert f"event {k + 1} inserted" in out.splitlines()[0], out


def test_a_row_appended_behind_the_store_is_named(shift, capsys) -> None:  # type: ignore[no-untyped-def]
    shift.core.close()
    n = _n(shift.path)
    with sqlite3.connect(shift.path) as con:
        con.execute("insert into events (ts, actor, kind, entity, payload, prev_hash, hash) "
                    "values (1790000300.0, 'dispatcher:x', 'unit.status_set', 'unit:boat-00', '{}', 'x', 'y')")
    code, out = _verify(shift, capsys)
    assert code == 1
    assert f"event {n + 1}" in out and "inserted" in out


def test_expected_head_catches_a_cut_off_end(shift) -> None:  # type: ignore[no-untyped-def]
    shift.core.close()
    engine = make_engine(shift.url)
    head = verify_chain(engine).head
    with sqlite3.connect(shift.path) as con:
        con.execute("delete from events where seq = (select max(seq) from events)")
    rep = verify_chain(engine, expected_head=head)
    assert not rep.ok and rep.first.kind == "head"
    engine.dispose()


def test_attachment_files_against_their_sha256(tmp_path) -> None:  # type: ignore[no-untyped-def]
    a, b = tmp_path / "a.jpg", tmp_path / "b.jpg"
    a.write_bytes(b"photo one")
    b.write_bytes(b"photo two")
    rows = [(1, "a.jpg", hashlib.sha256(b"photo one").hexdigest()), (2, str(b), hashlib.sha256(b"photo two").hexdigest())]
    assert verify_files(rows, base=tmp_path) == []
    b.write_bytes(b"photo two, retouched")
    (tmp_path / "a.jpg").unlink()
    problems = verify_files(rows, base=tmp_path)
    assert [p.message.split(":")[0] for p in problems] == ["attachment 1 missing", "attachment 2 altered"]


def test_attachments_table_is_checked_by_audit_verify(shift, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    shift.core.close()
    f = tmp_path / "evidence.jpg"
    f.write_bytes(b"evidence")
    with sqlite3.connect(shift.path) as con:
        con.execute("create table if not exists test_attachments (id integer primary key, path text, sha256 text)")
        con.execute("insert into test_attachments (path, sha256) values (?, ?)",
                    (str(f), hashlib.sha256(b"evidence").hexdigest()))
    code, out = _verify(shift, capsys)
    assert code == 0, out
    f.write_bytes(b"evidence, edited")
    code, out = _verify(shift, capsys)
    assert code == 1 and "altered" in out and "evidence.jpg" in out


def test_attachments_recorded_in_events_are_checked(shift, capsys) -> None:  # type: ignore[no-untyped-def]
    import os
    from pathlib import Path

    from dispatch.blobs import store_blob
    from dispatch.store import NewEvent

    folder = Path(shift.path).parent / (Path(shift.path).stem + ".attachments")  # where attachments.py keeps them
    sha, size = store_blob(folder, [b"body camera clip"])
    shift.store.append("dispatcher:wang", [NewEvent("incident.attached", {"id": 1, "sha256": sha, "size": size,
                                                                          "name": "clip.mp4"}, "incident:1")])
    shift.core.close()
    code, out = _verify(shift, capsys)
    assert code == 0, out
    assert "attachments: 1 checked, 0 bad" in out
    blob = folder / sha[:2] / sha
    os.chmod(blob, 0o644)
    blob.write_bytes(b"body camera clip, cut")
    code, out = _verify(shift, capsys)
    assert code == 1 and "clip.mp4 of incident:1" in out and "altered" in out
    blob.unlink()
    code, out = _verify(shift, capsys)
    assert code == 1 and "missing" in out
