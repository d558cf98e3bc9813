"""Editing the camera register one camera at a time (camera.save, camera.remove), as the console's camera editor
does: the same checks as an import, events with the operator; a camera moved keeps its earlier placement for the
footage it recorded there, a removed one leaves the map and the lists but its past footage is still found; only
engineers and administrators may (the permission table)."""

from __future__ import annotations

import pytest

from dispatch import ops
from dispatch.accounts.permissions import allowed
from dispatch.errors import NotFound, Refused
from tests.dispatch.incident_helpers import Clock, make_core
from tests.evidence.clipmaker import make_clip

T0 = 1_796_292_000.0
EAST = {"id": "cam-east", "name": "East bank", "kind": "fixed", "lat": 24.3301, "lon": 109.4102, "direction": 90,
        "fov": 60, "range_m": 150, "stream": ""}


@pytest.fixture
def core(tmp_path):  # type: ignore[no-untyped-def]
    clock = Clock(T0)
    c = make_core(tmp_path, clock)
    c.test_clock = clock
    yield c
    c.close()


def test_add_edit_move_remove(core, tmp_path):
    r = ops.call(core, "camera.save", {"camera": EAST, "new": True}, actor="engineer:li")
    assert r["action"] == "registered" and r["registered_by"] == "engineer:li"
    with pytest.raises(Refused, match="camera cam-east exists already"):
        ops.call(core, "camera.save", {"camera": EAST, "new": True}, actor="engineer:li")
    with pytest.raises(Refused, match=r"the camera \(camera cam-east\): fov '400' out of range"):
        ops.call(core, "camera.save", {"camera": {**EAST, "fov": "400"}}, actor="engineer:li")
    with pytest.raises(NotFound):
        ops.call(core, "camera.save", {"camera": {**EAST, "id": "cam-none"}}, actor="engineer:li")
    assert ops.call(core, "camera.save", {"camera": EAST}, actor="engineer:li")["action"] == "unchanged"
    inc = ops.call(core, "incident.create", {"category": "illegal_dumping", "priority": "P2", "lat": 24.3301,
                                            "lon": 109.4110, "source": "video"}, actor="t")
    clip = make_clip(tmp_path / "c.mp4", frames=10, fps=10)
    ops.call(core, "evidence.add", {"path": str(clip), "incident_id": inc["id"], "camera_id": "cam-east",
                                   "start": T0 - 30}, actor="t")
    # moved across the river, looking away: its clip of before is still found from where it was
    core.test_clock.t = T0 + 600
    moved = ops.call(core, "camera.save", {"camera": {**EAST, "lat": 24.3250, "direction": 270}}, actor="engineer:li")
    assert moved["action"] == "changed" and moved["lat"] == 24.3250 and moved["past"][0]["until"] == T0 + 600
    before = ops.call(core, "evidence.footage", {"incident_id": inc["id"], "at": T0}, actor="t")
    assert [s["camera"]["id"] for s in before["cameras"]] == ["cam-east"] and before["cameras"][0]["lat"] == 24.3301
    after = ops.call(core, "evidence.footage", {"incident_id": inc["id"], "at": T0 + 700}, actor="t")
    assert after["cameras"] == []
    # removed: off the lists and the map, its past footage still found; a clip can no longer name it
    core.test_clock.t = T0 + 1200
    gone = ops.call(core, "camera.remove", {"camera_id": "cam-east", "reason": "pole replaced"}, actor="engineer:li")
    assert gone["removed_at"] == T0 + 1200 and gone["removed_by"] == "engineer:li"
    assert ops.call(core, "cameras", {}, actor="t") == [] and ops.call(core, "cameras.map", {}, actor="t") == []
    assert [c["id"] for c in ops.call(core, "cameras", {"removed": True}, actor="t")] == ["cam-east"]
    assert ops.call(core, "evidence.footage", {"incident_id": inc["id"], "at": T0}, actor="t")["cameras"]
    with pytest.raises(NotFound, match="camera cam-east was removed"):
        ops.call(core, "evidence.add", {"path": str(clip), "incident_id": inc["id"], "camera_id": "cam-east",
                                       "start": T0}, actor="t")
    with pytest.raises(NotFound, match="was removed"):
        ops.call(core, "camera.remove", {"camera_id": "cam-east"}, actor="engineer:li")
    # back in service: registered again, what it saw before still its own
    back = ops.call(core, "camera.save", {"camera": EAST, "new": True}, actor="engineer:li")
    assert back["action"] == "registered" and back["removed_at"] is None and len(back["past"]) == 2
    cams = [(e.kind, e.actor) for e in core.store.events() if e.kind.startswith("camera.")]
    assert cams == [("camera.registered", "engineer:li"), ("camera.changed", "engineer:li"),
                    ("camera.removed", "engineer:li"), ("camera.registered", "engineer:li")]


def test_only_engineers_and_administrators_edit_cameras():
    for opname in ("camera.save", "camera.remove"):
        for role in ("engineer", "administrator"):
            assert allowed(role, opname, {}, "x")[0]
        for role in ("dispatcher", "shift_lead", "viewer"):
            ok, why = allowed(role, opname, {}, "x")
            assert not ok and "allowed: engineer, administrator" in why


def test_ctl_cameras_remove(capsys, tmp_path):
    from tests.evidence.helpers import ctl

    db = f"sqlite:///{tmp_path / 'ctl.db'}"
    f = tmp_path / "cams.csv"
    f.write_text("id,lat,lon,direction,fov,range_m\ncam-a,24.33,109.41,90,60,150\ncam-b,24.33,109.41,0,60,150\n",
                 encoding="utf-8")
    ctl(capsys, db, "cameras", "import", str(f))
    out, _ = ctl(capsys, db, "cameras", "remove", "cam-a", "--reason", "pole down")
    assert out.strip() == "camera cam-a removed"
    out, _ = ctl(capsys, db, "cameras")
    assert "cam-a" not in out and "cam-b" in out
    out, _ = ctl(capsys, db, "cameras", "--removed")
    assert "cam-a" in out and "removed" in out
    _o, err = ctl(capsys, db, "cameras", "remove", "cam-a", rc=1)
    assert "camera cam-a was removed" in err
