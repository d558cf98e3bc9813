"""The hub bench splits each assignment's wire time into legs by joining its own marks with the swarm's
timestamps of the same (unit, seq); a sample that does not line up is left out, not miscounted."""

from __future__ import annotations

import pytest

from dispatch.hub.bench import _legs


def test_legs_join_the_hub_marks_with_the_swarm_times() -> None:
    on_wire = {("u0001", 3): (10.000, 10.0004), ("u0002", 1): (20.000, 20.0010)}
    times = [
        ["u0001", 3, 10.0001, 10.00015],  # read 0.1 ms after sent, acked 0.05 ms later, drained 0.25 ms after
        ["u0002", 1, 20.0002, 20.0003],
        ["u0003", 7, 30.0, 30.1],  # a text or a broadcast: the hub did not time it
        ["u0001", 2, 9.0, 9.1],  # an earlier message of the same unit
    ]
    legs = _legs(on_wire, times)
    assert legs["out"] == pytest.approx([0.1, 0.2])
    assert legs["unit"] == pytest.approx([0.05, 0.1])
    assert legs["back"] == pytest.approx([0.25, 0.7])


def test_a_sample_out_of_order_is_left_out() -> None:
    on_wire = {("u0001", 1): (10.000, 10.0004)}
    assert _legs(on_wire, [["u0001", 1, 9.9999, 10.0001]]) == {"out": [], "unit": [], "back": []}  # read before sent
    assert _legs(on_wire, [["u0001", 1, 10.0001, 10.0005]]) == {"out": [], "unit": [], "back": []}  # acked after drain
