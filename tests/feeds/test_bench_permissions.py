"""The device bench of the single-seat console checks the permission table for its operator (the OS login or
--operator, as every action of that console records): a viewer edits no feed, an engineer does and the log
names the engineer; a refusal is recorded. A login without an account is the store's owner (as ctl --db)."""

from __future__ import annotations

from dispatch.feeds.config import FeedSpec
from dispatch.feeds.manager import FeedManager
from dispatch.ops import call


def test_a_viewer_at_the_bench_edits_no_feed_an_engineer_does(qtbot, core, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from console import operations
    from console.device_bench.guard import may
    from console.device_bench.panel import DevicesPanel

    call(core, "account.add", {"name": "zhao", "role": "viewer", "password": "pw-zhao-12345"}, actor="ctl:test")
    call(core, "account.add", {"name": "li", "role": "engineer", "password": "pw-li-123456"}, actor="ctl:test")
    mgr = FeedManager(core, [FeedSpec("river", "udp", host="127.0.0.1", tcp_port=0)]).start()
    panel = DevicesPanel(mgr, config_path=tmp_path / "feeds.toml", interval_ms=100)
    qtbot.addWidget(panel)
    try:
        qtbot.waitUntil(lambda: panel.table.rowCount() == 1, timeout=5000)
        panel.select_feed("river")
        edited = FeedSpec("river", "udp", host="127.0.0.1", tcp_port=0, bind={"GP": "boat-01"})

        operations.set_operator("zhao")  # the video wall's account at this console
        panel.apply_edit("river", edited)
        qtbot.waitUntil(lambda: "a viewer may not run feed.edit" in panel.notice.text(), timeout=5000)
        assert mgr.feeds["river"].spec.bind == {} and not (tmp_path / "feeds.toml").exists()
        assert not may(panel) and "allowed: engineer, administrator" in panel.notice.text()  # before a dialog
        panel.apply_binding("river", "mmsi", "412000222", "boat-02", unit_wide=True)
        qtbot.waitUntil(lambda: "a viewer may not run unit.bind_mmsi" in panel.notice.text(), timeout=5000)
        refused = [e for e in core.store.events(kinds=["account.command_refused"])]
        assert [(e.actor, e.payload["op"]) for e in refused] == [
            ("viewer:zhao", "feed.edit"), ("viewer:zhao", "feed.edit"), ("viewer:zhao", "unit.bind_mmsi")]
        assert core.state.units["boat-02"].mmsi == 413801002

        operations.set_operator("li")
        assert may(panel)
        panel.apply_edit("river", edited)
        qtbot.waitUntil(lambda: mgr.feeds["river"].spec.bind == {"GP": "boat-01"}, timeout=5000)
        ev = list(core.store.events(kinds=["feed.bindings_changed"]))
        assert [e.actor for e in ev] == ["engineer:li"]

        operations.set_operator("owner-without-account")  # the store's owner, as ctl --db: not checked
        assert may(panel)
    finally:
        operations.set_operator(None)
        panel.shutdown()
        mgr.stop()
