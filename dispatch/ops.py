"""The operations every front end shares: console, `ctl --db`, and `ctl --hub` through the hub.

An operation is a function `(core, actor, **args) -> JSON-able result` registered by name
with `@op("incident.create")`. `call(core, name, args, actor=...)` runs one; the hub's control
endpoint runs the same function table, so there is no second implementation anywhere.
Feature modules (incidents, tasks, replay...) register their operations and state appliers
when imported: list them in FEATURE_MODULES.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from typing import Any

from dispatch.errors import Refused

FEATURE_MODULES: tuple[str, ...] = (  # each capability's operations and state appliers, by name (no import upward)
    "dispatch.units.ops",
    "dispatch.accounts.model",
    "dispatch.accounts.ops",
    "dispatch.feeds.events",
    "dispatch.hub.ops",
    "dispatch.hub.seats",
    "dispatch.record.ops",
    "dispatch.record.retention",
    "dispatch.incidents.ops",
    "dispatch.incidents.appliers",
    "dispatch.incidents.attachments",
    "dispatch.uploads",
    "dispatch.incidents.recommend",
    "dispatch.tasks.ops",
    "dispatch.tasks.appliers",
    "dispatch.citizens.book",
    "dispatch.citizens.keys",
    "dispatch.citizens.ops",
    "dispatch.citizens.query",
    "dispatch.citizens.layers",
    "dispatch.cases.ops",
    "dispatch.cases.appliers",
    "dispatch.cases.evidence",
    "dispatch.cases.documents",
    "dispatch.cases.archive",
    "dispatch.cases.supervision",
    "dispatch.cases.review",
    "dispatch.zones.book",
    "dispatch.zones.ops",
    "dispatch.rules.config",
    "dispatch.rules.alerts",
    "dispatch.rules.ops",
    "dispatch.rules.cards",
    "dispatch.rules.terminal",
    "dispatch.analytics.ops",
    "dispatch.analytics.report",
    "dispatch.analytics.live",
    "dispatch.evidence.cameras",
    "dispatch.evidence.clips",
    "dispatch.evidence.stills",
    "dispatch.evidence.footage",
    "dispatch.evidence.record",
    "dispatch.evidence.tocase",
    "dispatch.evidence.verify",
    "dispatch.evidence.fetch",
    "dispatch.gazetteer.ops",
    "dispatch.jt808.ops",
    "dispatch.alarms.ops",
)

Operation = Callable[..., Any]
OPERATIONS: dict[str, Operation] = {}
Installer = Callable[[Any], None]
INSTALLERS: list[Installer] = []  # run on every new core once its state is loaded (`@installs`)
_loaded = False


def op(name: str) -> Callable[[Operation], Operation]:
    def register(fn: Operation) -> Operation:
        if name in OPERATIONS and OPERATIONS[name] is not fn:
            raise ValueError(f"operation {name} registered twice")
        OPERATIONS[name] = fn
        return fn

    return register


def installs(fn: Installer) -> Installer:
    """Register a function that attaches a feature to each new core (e.g. a fix handler)."""
    if fn not in INSTALLERS:
        INSTALLERS.append(fn)
    return fn


def install_features(core: Any) -> None:
    for fn in INSTALLERS:
        fn(core)


def load_features() -> None:
    """Import every feature module once, so its appliers and operations are registered."""
    global _loaded
    if _loaded:
        return
    for mod in FEATURE_MODULES:
        importlib.import_module(mod)
    _loaded = True


@functools.cache
def _signature(fn: Any) -> inspect.Signature:
    return inspect.signature(fn)  # ~50 us a call, on every operation: the console's and the hub's hot path


def call(core: Any, name: str, args: dict[str, Any] | None = None, *, actor: str) -> Any:
    """Run one operation by name. Raises Refused for an unknown operation or bad arguments.

    On a console attached to a hub (`dispatch.hub.attach.RemoteCore`) the hub runs it, as the operator
    logged in at that seat (`actor` is not sent: the hub takes it from the session)."""
    remote = getattr(core, "remote_call", None)
    if remote is not None:
        return remote(name, args or {})
    load_features()
    fn = OPERATIONS.get(name)
    if fn is None:
        raise Refused(f"unknown operation {name!r}; known: {', '.join(sorted(OPERATIONS))}", "unknown_operation")
    args = dict(args or {})
    sig = _signature(fn)
    params = list(sig.parameters)[2:]  # after (core, actor)
    unknown = [k for k in args if k not in params]
    if unknown and not any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        raise Refused(f"operation {name} takes no argument {', '.join(unknown)}", "bad_arguments")
    try:
        sig.bind(core, actor, **args)
    except TypeError as exc:
        raise Refused(f"operation {name}: {exc}", "bad_arguments") from None
    return fn(core, actor, **args)
