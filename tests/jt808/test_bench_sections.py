"""The benchmark's sections: the protocol's (devices/jt808/bench.py) and the gateway's (dispatch/jt808)."""

from __future__ import annotations


def test_the_jt808_sections():
    from console.bench import modules

    found = modules()
    assert found["jt808"] == "devices.jt808.bench"
    assert found["jt808_gateway"] == "dispatch.jt808.bench_jt808_gateway"


def test_every_section_runs_as_the_bench_calls_it():
    """`main.py bench` calls each section's run(quick) alone: a module named like a section (bench.py,
    bench_NAME.py) whose run wants more is a section that fails every bench (as a helper of the gateway's once did)."""
    import importlib
    import inspect

    from console.bench import modules

    for name, path in modules().items():
        run = importlib.import_module(path).run
        params = list(inspect.signature(run).parameters.values())
        required = [p for p in params if p.default is inspect.Parameter.empty
                    and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        assert len(required) <= 1, (name, path, [p.name for p in required])
