"""Address search in the incident form (issue 17): what a hotline caller says is found in the gazetteer by
the core and sets the form's location; typed coordinates still work."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication

from console import operations
from console.incidents.form import IncidentForm
from dispatch import ops
from dispatch.core import Dispatch
from dispatch.store import EventStore
from tests.conftest import Clock


@pytest.fixture
def form(qtbot, db_url):  # type: ignore[no-untyped-def]
    core = Dispatch(EventStore(db_url), clock=Clock())
    operations.set_core(core)
    f = IncidentForm(None, source="hotline")
    qtbot.addWidget(f)
    f.show()
    qtbot.waitExposed(f)
    f.activateWindow()
    f.address.setFocus()
    yield f, core
    f.close()
    core.close()


def type_into(qtbot, edit, text: str) -> None:  # type: ignore[no-untyped-def]
    """Typing as a dispatcher does: keys for Latin letters, the input method's committed text for Chinese."""
    if text.isascii():
        qtbot.keyClicks(edit, text)
        return
    ev = QInputMethodEvent()
    ev.setCommitString(text)
    QApplication.sendEvent(edit, ev)


def offered(f: IncidentForm) -> list[str]:
    return [p["name"] for p in f.address_search.places]


@pytest.mark.parametrize(("typed", "place"), [
    ("柳江第5段", "柳江第5段"),  # Chinese
    ("wenhui bridge", "文惠桥"),  # English
    ("wenhuiqiao", "文惠桥"),  # pinyin
    ("whq", "文惠桥"),  # pinyin initials
])
def test_a_typed_address_offers_gazetteer_matches_and_the_choice_sets_the_location(qtbot, form, typed, place) -> None:  # type: ignore[no-untyped-def]
    f, core = form
    type_into(qtbot, f.address, typed)  # as the dispatcher types, with the debounce, through the core worker
    qtbot.waitUntil(lambda: place in offered(f), timeout=10000)
    want = ops.call(core, "places.search", {"q": typed, "limit": 8}, actor="test")
    assert offered(f) == [p["name"] for p in want]  # the core's ranking, not the widget's
    assert f.address_search.model.rowCount() == len(want)
    assert f.lat.text() == "" and f.lon.text() == ""  # nothing chosen yet
    row = offered(f).index(place)
    popup = f.address_search.completer.popup()
    assert popup.isVisible()  # offered under the field as the answer came
    popup.setCurrentIndex(f.address_search.model.index(row, 0))  # the keyboard path: arrow to the match, Enter
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    chosen = want[row]
    qtbot.waitUntil(lambda: f.lat.text() != "", timeout=5000)
    assert float(f.lat.text()) == pytest.approx(chosen["lat"], abs=1e-6)
    assert float(f.lon.text()) == pytest.approx(chosen["lon"], abs=1e-6)
    assert f.address.text() == place
    assert f.values()["address"] == place


def test_the_chosen_place_is_filed_and_coordinates_can_still_be_typed(qtbot, form) -> None:  # type: ignore[no-untyped-def]
    f, core = form
    type_into(qtbot, f.address, "柳江第5段")
    qtbot.waitUntil(lambda: "柳江第5段" in offered(f), timeout=10000)
    f.address_search.choose(offered(f).index("柳江第5段"))
    qtbot.mouseClick(f.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: f.result_incident is not None, timeout=10000)
    shown = ops.call(core, "incident.show", {"incident_id": f.result_incident["id"]}, actor="test")
    seg = ops.call(core, "places.search", {"q": "柳江第5段", "limit": 1}, actor="test")[0]
    assert shown["address"] == "柳江第5段"
    assert (shown["lat"], shown["lon"]) == pytest.approx((seg["lat"], seg["lon"]), abs=1e-6)

    g = IncidentForm(None, source="hotline")  # no match needed: the coordinates typed as before
    qtbot.addWidget(g)
    g.address.setText("江边")
    g.lat.setText(f"{seg['lat']:.6f}")
    g.lon.setText(f"{seg['lon']:.6f}")
    assert g.values()["lat"] == f"{seg['lat']:.6f}" and g.values()["address"] == "江边"


def test_an_address_nobody_knows_offers_nothing_and_sets_nothing(qtbot, form) -> None:  # type: ignore[no-untyped-def]
    f, core = form
    qtbot.keyClicks(f.address, "zzqqxx")
    qtbot.waitUntil(lambda: f.address_search._asked >= 1 and not f.address_search.timer.isActive(), timeout=5000)
    shown: list[int] = []
    f.address_search.results_shown.connect(shown.append)
    f.address_search.search()
    qtbot.waitUntil(lambda: shown == [0], timeout=10000)
    assert f.address_search.model.rowCount() == 0 and f.lat.text() == ""
