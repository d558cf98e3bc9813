"""A TCP relay in front of the machine's PostgreSQL: a test cuts it to make "the database went away" for one
store only (every connection dropped, new ones refused), then restores it, without touching the server
that other tests share."""

from __future__ import annotations

import socket
import threading
from typing import Any


class PgProxy:
    def __init__(self, host: str = "127.0.0.1", port: int = 5432) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.cut_count = 0
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._closed = False
        threading.Thread(target=self._accept, name="pg-proxy", daemon=True).start()

    def url(self, pg_url: str) -> str:
        """`pg_url` (postgresql://user@127.0.0.1:5432/db) through this relay."""
        head, _, db = pg_url.rpartition("/")
        user_host = head.rsplit(":", 1)[0]
        return f"{user_host}:{self.port}/{db}"

    def cut(self) -> None:
        """The database is gone: every open connection dropped, new ones closed at once."""
        with self._lock:
            self.up = False
            pairs, self._pairs = self._pairs, []
            self.cut_count += 1
        for a, b in pairs:
            for s in (a, b):
                _kill(s)

    def restore(self) -> None:
        with self._lock:
            self.up = True

    def close(self) -> None:
        self._closed = True
        self.cut()
        self.listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                up = self.up
            if not up:
                _kill(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                _kill(client)
                continue
            with self._lock:
                self._pairs.append((client, server))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(a, b), daemon=True).start()


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        _kill(src)
        _kill(dst)


def _kill(s: Any) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass
