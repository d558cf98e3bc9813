"""What the device bench says in words, shared by its panel and dialogs: refusals, binding kinds, and
what else is known of a source heard on a feed."""

from __future__ import annotations

from console.i18n import t
from dispatch.errors import Refused
from dispatch.feeds import config as feed_config
from dispatch.feeds.config import FeedRefused
from dispatch.feeds.feed import UnboundSource

ERROR_STYLE = "color: #b3261e;"


def refusal_text(exc: BaseException) -> str:
    """A refusal for display: a feed refusal in the UI language, any other as the core said it."""
    if isinstance(exc, FeedRefused):
        row = "" if exc.row is None else feed_config.fill(t(feed_config.ROW_PREFIX), (exc.row + 1,))
        return row + feed_config.fill(t(exc.template), exc.params)
    if isinstance(exc, Refused):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def match_label(kind: str) -> str:
    return t({"talker": "Talker", "mmsi": "MMSI", "peer": "Peer address", "device": "Device id",
              "terminal": "Terminal"}.get(kind, kind))


def source_detail(u: UnboundSource) -> str:
    """What else is known of a heard source: the peer a talker came from, a vessel's name..."""
    if not u.detail:
        return ""
    if u.kind == "talker":
        return t("from %1").replace("%1", u.detail)
    if u.kind == "mmsi":
        return t("vessel %1").replace("%1", u.detail)
    if u.kind == "terminal":
        return u.detail  # plate, maker, model as the terminal registered
    return t("talker %1").replace("%1", u.detail)

