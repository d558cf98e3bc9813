"""Small operations the widgets run against the core, off the GUI thread (after Anki's CollectionOp).

    DispatchOp(parent=self, op=lambda core: core.assign(...)).success(on_done).run_in_background()

`op` runs on the single core worker (so core work is serialised and never blocks painting);
`success`/`failure` run on the GUI thread. A `Refused` goes to `failure` (or a message box)
with the core's own message. Every finished op that returned `Changes` is announced on
`bus.operation_did_execute(changes, initiator)` so every view can refresh what changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from dispatch.changes import Changes
from dispatch.errors import Refused

log = logging.getLogger(__name__)


class _Bus(QObject):
    operation_did_execute = Signal(object, object)  # Changes, initiator
    _deliver = Signal(object)  # internal: a callable to run on the GUI thread

    def __init__(self) -> None:
        super().__init__()
        self._deliver.connect(lambda fn: fn())


bus: _Bus | None = None
_core_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="core")
_core: Any = None


_operator: str | None = None


def set_operator(name: str | None) -> None:
    """The dispatcher at this seat (--operator, else the OS login)."""
    global _operator
    _operator = name


def seat_operator() -> str:
    """The operator of this console seat: --operator, else the OS login."""
    from console.session import login_name

    # no login name (service account, container): still attributable to the seat
    return _operator or login_name("console")


def seat_actor(core: Any = None) -> str:
    """Who this console seat records as the actor of its events: the operator's account by its role
    ("engineer:li") when the store has one of that name, else "dispatcher:<name>" (the store's owner)."""
    from dispatch.accounts.guard import seat_account

    name = seat_operator()
    account = seat_account(core if core is not None else _core, name)
    return account.actor if account is not None else f"dispatcher:{name}"


def authorize(core: Any, operation: str, args: dict[str, Any] | None = None) -> None:
    """The permission table for this seat's operator (dispatch/accounts/guard.py): raises Refused, recorded."""
    import platform

    from dispatch.accounts.guard import authorize as check

    check(core, seat_operator(), operation, args, seat=f"console@{platform.node()}")


_read_only = False


def set_read_only(on: bool) -> None:
    """The wall (--wall): from now on every operation a viewer may not run is refused here, before the core."""
    global _read_only
    _read_only = bool(on)


def read_only() -> bool:
    return _read_only


class ReadOnlyCore:
    """The core as a viewer's seat sees it: reads go through, any change is refused (`Refused`, code read_only).

    Operations reach it through `dispatch.ops.call`, which hands them to `remote_call` (as for a seat attached
    to a hub); the permission table (docs/permissions.md) decides what a viewer may run."""

    WRITES = frozenset({"command", "record", "ingest"})

    def __init__(self, core: Any) -> None:
        self._core = core

    def remote_call(self, name: str, args: dict[str, Any]) -> Any:
        from dispatch import ops
        from dispatch.accounts.permissions import allowed

        ok, why = allowed("viewer", name, args, "")
        if not ok:
            raise Refused(f"this seat is read-only (the wall): {why}", "read_only")
        return ops.call(self._core, name, args, actor=seat_actor())

    def __getattr__(self, name: str) -> Any:
        if name in self.WRITES:
            raise Refused(f"this seat is read-only (the wall): {name} refused", "read_only")
        return getattr(self._core, name)


def set_core(core: Any) -> None:
    """Called once at start-up by the console with the Dispatch core (or a hub client)."""
    global _core, bus
    _core = core
    if bus is None:
        bus = _Bus()


def has_core() -> bool:
    """Whether this process has a core to run operations on (a replay file opened alone has none)."""
    return _core is not None


def is_remote() -> bool:
    """Whether operations go to a hub (a seat attached to one): files it stores are not on this machine."""
    return getattr(_core, "remote_call", None) is not None


def may(operation: str, args: dict[str, Any] | None = None) -> tuple[bool, str]:
    """(whether the operator at this seat may run `operation`, why not in words), from the permission table the
    hub checks (dispatch/accounts/permissions.py). A single-seat console is its owner's: everything is allowed.
    Only to grey out what the hub would refuse; the hub still decides."""
    op = getattr(_core, "operator", None)
    if not isinstance(op, dict) or not op.get("role"):
        return True, ""
    from dispatch.accounts.permissions import allowed

    return allowed(str(op["role"]), operation, dict(args or {}), str(op.get("name") or ""))


def get_bus() -> _Bus:
    global bus
    if bus is None:
        bus = _Bus()
        app = QCoreApplication.instance()
        if app is not None and bus.thread() is not app.thread():
            # first asked for on a worker thread (a hub link's listener): the bus delivers on the GUI thread
            # all the same, not on a thread that has no event loop
            bus.moveToThread(app.thread())
    return bus


def run_on_main(fn: Callable[[], None]) -> None:
    get_bus()._deliver.emit(fn)


class DispatchOp[T]:
    def __init__(self, *, parent: QWidget | None, op: Callable[[Any], T]) -> None:
        self.parent = parent
        self.op = op
        self._success: Callable[[T], None] | None = None
        self._failure: Callable[[BaseException], None] | None = None

    def success(self, fn: Callable[[T], None]) -> DispatchOp[T]:
        self._success = fn
        return self

    def failure(self, fn: Callable[[BaseException], None]) -> DispatchOp[T]:
        self._failure = fn
        return self

    def run_in_background(self) -> Future[T]:
        fut = _core_pool.submit(self.op, ReadOnlyCore(_core) if _read_only else _core)
        fut.add_done_callback(lambda f: run_on_main(lambda: self._finish(f)))
        return fut

    def _finish(self, fut: Future[T]) -> None:
        exc = fut.exception()
        if exc is not None:
            if self._failure is not None:
                self._failure(exc)
            else:
                show_error(self.parent, exc)
            return
        result = fut.result()
        if isinstance(result, Changes):
            get_bus().operation_did_execute.emit(result, self.parent)
        if self._success is not None:
            self._success(result)


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    if isinstance(exc, Refused):
        QMessageBox.warning(parent, QObject.tr("Refused"), str(exc))
    else:
        log.error("operation failed", exc_info=exc)
        QMessageBox.critical(parent, QObject.tr("Error"), f"{type(exc).__name__}: {exc}")


def core_pool() -> ThreadPoolExecutor:
    return _core_pool
