"""Every kind of event the log can hold reads as words in the replay's event log, in English and
in Chinese: none is shown as the raw kind (`truck.permit_saved`) to a shift lead."""

from __future__ import annotations

import json
from pathlib import Path

from console.event_kinds import OTHER_EVENT_KINDS
from console.incidents.common import EVENT_KINDS, event_kind_label
from dispatch import ops
from dispatch.state import APPLIERS

ZH = json.loads((Path(__file__).parents[2] / "resources" / "i18n" / "zh_CN.json").read_text(encoding="utf-8"))


def test_every_kind_an_applier_takes_has_words_in_both_languages() -> None:
    ops.load_features()
    kinds = set(APPLIERS)
    assert len(kinds) > 90
    unworded = sorted(k for k in kinds if k not in OTHER_EVENT_KINDS and k not in EVENT_KINDS)
    assert unworded == []
    untranslated = sorted(v for v in OTHER_EVENT_KINDS.values() if v not in ZH)
    assert untranslated == []


def test_a_kind_reads_as_its_words() -> None:
    assert event_kind_label("truck.permit_saved") == "Truck permit saved"
    assert event_kind_label("some.future_kind") == "some.future_kind"  # unknown: as stored
