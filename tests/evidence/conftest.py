"""The evidence tests' fixtures: the store, and a clip served over HTTP on 127.0.0.1 as a camera's stream."""

import functools
import http.server
import threading

import pytest

from tests.evidence.clipmaker import make_clip
from tests.evidence.helpers import db  # noqa: F401  (the store fixture)


@pytest.fixture
def served(tmp_path):
    make_clip(tmp_path / "live.mp4", frames=30, fps=10, faststart=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    th = threading.Thread(target=httpd.serve_forever, daemon=True)
    th.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/live.mp4"
    httpd.shutdown()
    httpd.server_close()
