"""Field link → Enrol a unit…: an administrator at a seat attached to the hub gives a unit its field key. The pair is
made at the seat, the key file written there, only the public key enrolled at the hub (`field.enrol`); the unit's
field client logs in with that file. A dispatcher's seat is refused and nothing is written or enrolled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from console import operations
from console.field_link.enrol import EnrolDialog
from console.field_link.panel import HubPanel
from dispatch.errors import Refused
from dispatch.hub.keys import load_key_file
from dispatch.hub.state import field_state
from dispatch.ops import call
from tests.hub.conftest import add_operator
from tests.hub.test_attached import attach

pytestmark = pytest.mark.usefixtures("qapp")


def _answer(fill: Any) -> None:
    """Fill in and accept the Enrol dialog once it is up (it is modal)."""
    d = QApplication.activeModalWidget()
    if not isinstance(d, EnrolDialog):
        QTimer.singleShot(20, lambda: _answer(fill))
        return
    fill(d)
    d.ok.click()


def test_an_administrator_enrols_a_unit_from_an_attached_seat_and_its_client_logs_in(link, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    link.core.register_units("test", [{"id": "boat-03", "name": "Boat 3", "kind": "patrol_boat"}])
    admin = attach(link.hub.control_endpoint, add_operator(link.core, link.keys, "ma", "administrator"), "ma")
    operations.set_core(admin)
    panel = HubPanel(admin, refresh_ms=200)
    qtbot.addWidget(panel)
    panel.show()
    folder = tmp_path / "seat-keys"
    try:
        qtbot.waitUntil(lambda: any(u[0] == "boat-03" for u in panel.data.get("registered", [])), timeout=10000)
        assert panel.enrol_button.isEnabled()

        def fill(d: EnrolDialog) -> None:
            assert d.unit.itemData(0) == "boat-03"  # the unit without a key comes first
            d.folder.setText(str(folder))
            assert "boat-03.key.json" in d.file_label.text() and not d.warning.text()

        QTimer.singleShot(0, lambda: _answer(fill))
        panel.enrol_button.click()
        qtbot.waitUntil(lambda: "Enrolled boat-03" in panel.feedback.text(), timeout=10000)
        doc = load_key_file(folder, "boat-03")
        assert (folder / "boat-03.key.json").stat().st_mode & 0o777 == 0o600
        assert doc["hub_public_key"] == link.hub.public_key
        assert not list(folder.glob("*.tmp"))
        with link.core.lock:
            assert field_state(link.core.state).keys["boat-03"] == doc["public_key"]
        enrolled = [e for e in link.core.store.events() if e.kind == "field.key_enrolled"][-1]
        assert enrolled.actor == "administrator:ma" and "secret" not in str(enrolled.payload)

        # the unit's field client starts with that file and is on the link
        import shutil

        shutil.copy(folder / "boat-03.key.json", link.keys / "boat-03.key.json")
        client, _ = link.client("boat-03")
        qtbot.waitUntil(lambda: "boat-03" in link.hub.routes, timeout=10000)

        # enrolling it again says the old key stops working, and cuts the client off
        def again(d: EnrolDialog) -> None:
            d.unit.setCurrentIndex(d.unit.findData("boat-03"))
            d.folder.setText(str(folder))
            assert "stops working" in d.warning.text()

        QTimer.singleShot(0, lambda: _answer(again))
        panel.enrol_button.click()
        qtbot.waitUntil(lambda: load_key_file(folder, "boat-03")["public_key"] != doc["public_key"], timeout=10000)
        qtbot.waitUntil(lambda: "boat-03" not in link.hub.routes, timeout=10000)
    finally:
        panel.cleanup()
        operations.set_core(None)
        admin.logout()
        admin.close()


def test_a_dispatcher_may_not_enrol_and_nothing_is_written(link, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from console.field_link.enrol import enrol

    link.core.register_units("test", [{"id": "boat-03", "name": "Boat 3", "kind": "patrol_boat"}])
    seat = attach(link.hub.control_endpoint, add_operator(link.core, link.keys, "wang", "dispatcher"), "wang")
    try:
        with pytest.raises(Refused):
            enrol(seat, "administrator:forged", "boat-03", tmp_path / "k" / "boat-03.key.json")
        assert not any((tmp_path / "k").iterdir())  # neither the file nor its temporary
        with link.core.lock:
            assert "boat-03" not in field_state(link.core.state).keys
        with pytest.raises(Refused):  # a public key that is not one
            call(link.core, "field.enrol", {"unit_id": "boat-03", "public_key": "not a key"}, actor="administrator:x")
    finally:
        seat.logout()
        seat.close()


def test_every_string_of_the_field_link_tab_has_a_chinese_translation() -> None:
    import json

    from tests.feeds.test_feed_bindings_ui import _strings

    root = Path(__file__).resolve().parents[2]
    zh = json.loads((root / "resources/i18n/zh_CN.json").read_text(encoding="utf-8"))
    wanted = set().union(*(_strings(p) for p in (root / "console/field_link").glob("*.py")))
    missing = sorted(s for s in wanted if not zh.get(s))
    assert not missing, missing
    assert all(s.count("%") == zh[s].count("%") for s in wanted)


def test_ctl_field_enrol_through_the_hub_as_an_administrator(link, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    from tests.conftest import wait_for
    from tests.hub.conftest import PASSWORD

    root = Path(__file__).resolve().parents[2]
    link.core.register_units("test", [{"id": "boat-03", "name": "Boat 3", "kind": "patrol_boat"}])
    add_operator(link.core, link.keys, "ma", "administrator")
    add_operator(link.core, link.keys, "wang", "dispatcher")

    def ctl(user: str, *cmd: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(root / "main.py"), "ctl", "--hub", link.hub.control_endpoint, "--key",
                               str(link.keys / f"seat-{user}.seat.json"), "--user", user, "--login-stdin", *cmd],
                              cwd=root, input=PASSWORD + "\n", capture_output=True, text=True, timeout=120)

    out = tmp_path / "issued"
    refused = ctl("wang", "field", "enrol", "boat-03", "--out", str(out))
    assert refused.returncode == 1 and "administrator" in refused.stderr.lower()
    assert not list(out.glob("*.json"))
    done = ctl("ma", "field", "enrol", "boat-03", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "enrolled boat-03" and "boat-03.key.json" in done.stderr
    doc = load_key_file(out, "boat-03")
    assert doc["hub_public_key"] == link.hub.public_key and (out / "boat-03.key.json").stat().st_mode & 0o777 == 0o600
    enrolled = [e for e in link.core.store.events() if e.kind == "field.key_enrolled"][-1]
    assert enrolled.actor == "administrator:ma" and enrolled.payload["public_key"] == doc["public_key"]
    import shutil

    shutil.copy(out / "boat-03.key.json", link.keys / "boat-03.key.json")
    link.client("boat-03")
    wait_for(lambda: "boat-03" in link.hub.routes, what="boat-03 on the link with the key ctl wrote")
    again = ctl("ma", "field", "enrol", "boat-03", "--out", str(out))
    assert again.returncode == 0 and "previous key no longer works" in again.stdout
