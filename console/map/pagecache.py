"""The map page kept on disk between runs, so that folium composes it (console/map/page.py) only when something
it is made of has changed: importing folium and composing the page is ~0.6 s of every start on the bench machine.

The file is named by a digest of everything the page is made of: the city, the language, the day or night
palette, the unit card's words, the sources of page.py and scheme.py (the app:// addresses) and the versions
of folium and branca. A page with online tiles or an offline base map is composed every time (rare, and the
base map is a file that may change under the same name). Anything wrong with the cache (unreadable, no room,
a damaged file) costs only the composing: the page is made as without it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

KEEP = 8  # cached pages kept (other languages, themes, cities); older ones are deleted
_HERE = Path(__file__).resolve().parent


def default_folder() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("liuzhou-console", appauthor=False)) / "map"


def digest(city_geojson: dict[str, Any], lang: str, theme: dict[str, Any]) -> str:
    """The name of the page made of these (see the module's docstring)."""
    from console.map.page import label_words

    h = hashlib.sha256()
    for name in ("page.py", "scheme.py"):
        h.update((_HERE / name).read_bytes())
    versions = []
    for dist in ("folium", "branca"):
        try:
            versions.append(metadata.version(dist))
        except metadata.PackageNotFoundError:
            versions.append(None)
    h.update(json.dumps({"lang": lang, "theme": theme, "words": label_words(lang), "versions": versions,
                         "city": city_geojson}, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8"))
    return h.hexdigest()[:32]


def map_html(city_geojson: dict[str, Any], *, lang: str = "zh_CN", tiles_url: str | None = None,
             basemap: Any = None, theme: dict[str, Any] | None = None, folder: Path | None = None) -> str:
    """`page.build_map_html`'s page, from the cache when it holds this one (see the module's docstring)."""
    from console.map.page import build_map_html

    if tiles_url or basemap is not None:
        return build_map_html(city_geojson, lang=lang, tiles_url=tiles_url, basemap=basemap, theme=theme)
    if theme is None:
        from console.theme import map_palette

        theme = map_palette()
    folder = folder or default_folder()
    try:
        path = folder / f"map-{digest(city_geojson, lang, theme)}.html"
    except (OSError, TypeError, ValueError) as exc:  # a source unreadable, a palette not JSON
        log.debug("map page: not cached (%s)", exc)
        return build_map_html(city_geojson, lang=lang, theme=theme)
    try:
        text = path.read_text(encoding="utf-8")
        if text.rstrip().endswith("</html>"):  # written whole (os.replace), but a disk can still damage it
            return text
    except (OSError, UnicodeDecodeError):
        pass
    text = build_map_html(city_geojson, lang=lang, theme=theme)
    _store(folder, path, text)
    return text


def _store(folder: Path, path: Path, text: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".map-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
        pages = sorted(folder.glob("map-*.html"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in pages[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError as exc:
        log.debug("map page: not cached in %s (%s)", folder, exc)
