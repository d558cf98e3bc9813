"""`ctl field ...` on a store: what the hub will deliver, from the command line."""

from __future__ import annotations

import json

import pytest

from console.cli import main
from dispatch.core import Dispatch
from dispatch.store import EventStore
from tests.conftest import wait_for


def test_ctl_field_send_waits_for_the_hub_in_the_outbox(db_url, capsys) -> None:  # type: ignore[no-untyped-def]
    """A message sent with ctl --db while the hub is down is queued when the hub comes back."""
    from dispatch.hub import start_hub

    core = Dispatch(EventStore(db_url))
    core.register_units("t", [{"id": "boat-01", "name": "巡逻艇01", "kind": "patrol_boat"}])
    start_hub(core, "tcp://127.0.0.1:0", None).stop()  # the console ran once, queued nothing
    core.close()
    assert main(["ctl", "--db", db_url, "field", "send", "boat-01", "请回码头加油"]) == 0
    core = Dispatch(EventStore(db_url))
    hub = start_hub(core, "tcp://127.0.0.1:0", None)
    try:
        capsys.readouterr()

        def queued() -> list:  # type: ignore[type-arg]
            assert main(["ctl", "--db", db_url, "field", "outbox", "--unit", "boat-01", "--json"]) == 0
            return json.loads(capsys.readouterr().out)

        wait_for(queued, 10, what="the message in the outbox")
        out = queued()
        assert out[0]["unit_id"] == "boat-01" and out[0]["acked"] is None
    finally:
        hub.stop()
        core.close()
    assert main(["ctl", "--db", db_url, "field", "messages", "--unit", "boat-01", "--json"]) == 0
    assert "请回码头加油" in capsys.readouterr().out
    assert main(["ctl", "--db", db_url, "field", "send", "nobody", "x"]) == 1
    assert "nobody" in capsys.readouterr().err


def test_ctl_field_send_and_broadcast_say_who_gets_it(db_url, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from dispatch.hub.keys import new_unit_key

    core = Dispatch(EventStore(db_url))
    core.register_units("t", [{"id": "boat-01", "name": "巡逻艇01", "kind": "patrol_boat"},
                              {"id": "boat-02", "name": "巡逻艇02", "kind": "patrol_boat"}])
    new_unit_key(core, "t", "boat-01", tmp_path / "keys")
    core.close()
    capsys.readouterr()
    assert main(["ctl", "--db", db_url, "field", "send", "boat-01", "回码头"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("sent to boat-01 (event ") and "no enrolled key" not in out
    assert main(["ctl", "--db", db_url, "field", "send", "boat-02", "回码头"]) == 0
    assert "boat-02 has no enrolled key" in capsys.readouterr().out
    assert main(["ctl", "--db", db_url, "field", "broadcast", "all hands"]) == 0
    assert capsys.readouterr().out.startswith("broadcast to 1 enrolled units (event ")
    assert main(["ctl", "--db", db_url, "field", "broadcast", "--kind", "truck", "trucks"]) == 0
    assert "0 enrolled truck units" in (out := capsys.readouterr().out) and "nobody will receive it" in out
    assert main(["ctl", "--db", db_url, "--json", "field", "send", "boat-02", "x"]) == 0
    assert json.loads(capsys.readouterr().out)["enrolled"] is False


def test_ctl_field_messages_without_unit_lists_every_conversation(db_url, capsys) -> None:  # type: ignore[no-untyped-def]
    """Issue 19, item 19: `ctl field messages` without --unit printed "(none)" while a unit had sent a message."""
    from dispatch.store import NewEvent

    core = Dispatch(EventStore(db_url))
    core.register_units("t", [{"id": "boat-01", "name": "巡逻艇01", "kind": "patrol_boat"}])
    core.record("unit:boat-01", [NewEvent("field.message_received", {"unit_id": "boat-01", "text": "船已到码头"},
                                          "unit:boat-01")])
    core.close()
    assert main(["ctl", "--db", db_url, "field", "broadcast", "--kind", "patrol_boat", "收队"]) == 0
    capsys.readouterr()
    assert main(["ctl", "--db", db_url, "field", "messages"]) == 0
    out = capsys.readouterr().out
    assert "船已到码头" in out and "boat-01" in out and "from" in out
    assert "收队" in out and "all patrol_boat units" in out
    assert main(["ctl", "--db", db_url, "field", "messages", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["unit_id"], r["text"]) for r in rows] == [("boat-01", "船已到码头"), (None, "收队")]
    assert main(["ctl", "--db", db_url, "field", "messages", "--broadcasts"]) == 0
    out = capsys.readouterr().out
    assert "收队" in out and "船已到码头" not in out
    assert main(["ctl", "--db", db_url, "field", "messages", "--unit", "boat-02"]) == 0
    assert capsys.readouterr().out.strip() == "no messages"


def test_unread_messages_are_state_that_survives_a_restart_until_read(db_url) -> None:  # type: ignore[no-untyped-def]
    """Issue 19, item 5: what the dispatcher has not read is derived from the log (field.messages_read)."""
    from dispatch import ops
    from dispatch.errors import NotFound
    from dispatch.hub.state import field_state
    from dispatch.store import NewEvent

    core = Dispatch(EventStore(db_url))
    core.register_units("t", [{"id": "boat-01", "name": "巡逻艇01", "kind": "patrol_boat"},
                              {"id": "boat-02", "name": "巡逻艇02", "kind": "patrol_boat"}])
    for unit, text in (("boat-01", "a"), ("boat-01", "b"), ("boat-02", "c")):
        core.record(f"unit:{unit}", [NewEvent("field.message_received", {"unit_id": unit, "text": text},
                                              f"unit:{unit}")])
    ops.call(core, "field.send", {"unit_id": "boat-01", "text": "noted"}, actor="dispatcher:wang")  # not "unread"
    assert ops.call(core, "field.unread", {}, actor="t") == {"boat-01": 2, "boat-02": 1}
    core.close()
    core = Dispatch(EventStore(db_url))
    try:
        assert ops.call(core, "field.unread", {}, actor="t") == {"boat-01": 2, "boat-02": 1}
        assert ops.call(core, "field.read", {"unit_id": "boat-01"}, actor="dispatcher:li") == {"unit_id": "boat-01",
                                                                                             "read": 2}
        assert ops.call(core, "field.read", {"unit_id": "boat-01"}, actor="dispatcher:li")["read"] == 0
        with core.lock:  # the op looks only at units whose last message in is after what was read
            assert field_state(core.state).with_unread() == ["boat-02"]
        with pytest.raises(NotFound):
            ops.call(core, "field.read", {"unit_id": "nobody"}, actor="t")
        core.record("unit:boat-01", [NewEvent("field.message_received", {"unit_id": "boat-01", "text": "d"},
                                              "unit:boat-01")])
        assert ops.call(core, "field.unread", {}, actor="t") == {"boat-01": 1, "boat-02": 1}
    finally:
        core.close()
    core = Dispatch(EventStore(db_url))
    try:
        assert ops.call(core, "field.unread", {}, actor="t") == {"boat-01": 1, "boat-02": 1}
    finally:
        core.close()
