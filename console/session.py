"""Opening a session: the store, the core, the demo city. Shared by the GUI, the hub and ctl."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from dispatch.core import Dispatch
from dispatch.store import EventStore, default_db_url

log = logging.getLogger(__name__)


@dataclass
class Session:
    core: Dispatch
    url: str
    pumps: list[Any] = field(default_factory=list)

    def start_demo(self, *, jt808: bool = False) -> None:
        """The demo city. With ``jt808`` (a JT/T 808 gateway runs) the trucks get no simulated NMEA
        receiver: they move when their terminals report (`python main.py simulate --jt808`)."""
        from dispatch.demo.cases import file_demo_cases
        from dispatch.demo.fleet import demo_simulator, file_demo_reports
        from dispatch.demo.supervision import file_demo_supervision
        from dispatch.demo.week import PastWeek, file_demo_week
        from dispatch.feeds.pump import demo_pump

        units, sim = demo_simulator(without=("truck",) if jt808 else ())
        registrations = [u.registration() for u in units]
        week = PastWeek()
        try:  # a new store: first the week the bureau handled before (dispatch/demo/week.py says why first)
            week = file_demo_week(self.core, registrations)
        except Exception:  # a demo nicety, as the rest
            log.exception("the demo's past week not filed")
        self.core.register_units("system:demo", registrations)
        try:
            file_demo_reports(self.core, after=week.last_id)
        except Exception:  # a demo nicety: the console runs without it
            log.exception("demo reports not filed")
        try:
            file_demo_supervision(self.core)
        except Exception:  # the same: the fleet runs without its papers
            log.exception("demo supervision zones and permits not filed")
        try:
            file_demo_cases(self.core)  # [] after a past week: it opened them
        except Exception:  # and the case file without its examples
            log.exception("demo cases not filed")
        pump = demo_pump(self.core, sim)
        pump.start()
        self.pumps.append(pump)
        log.info("demo city running: %d units", len(units))

    def close(self) -> None:
        for p in self.pumps:
            p.stop()
        self.core.close()


def open_session(url: str | None, *, stale_after: float = 60.0) -> Session:
    url = url or default_db_url()
    store = EventStore(url)
    return Session(Dispatch(store, stale_after=stale_after), url)


def login_name(default: str = "unknown") -> str:
    """The OS login of whoever runs this process (for actors such as "ctl:wang"); `default` if there is none."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name (service account, container)
        return default


def store_label(url: str) -> str:
    """The URL with any password hidden, for the status bar and logs."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url
