"""TCP transports: a client that dials a forwarder (and redials), and a server that devices push to."""

from __future__ import annotations

import selectors
import socket
from typing import Any

from devices.transports.base import Transport


class TcpClient(Transport):
    """Connect to host:port and read lines; reconnect with backoff when the peer drops us.

    ``hello`` is sent after each connect (gpsd's ``?WATCH``, a forwarder's login line).
    """

    kind = "tcp"

    def __init__(self, name: str, host: str, port: int, *, hello: bytes | None = None,
                 connect_timeout: float = 5.0, **kw: Any) -> None:
        super().__init__(name, **kw)
        self.host = host
        self.port = int(port)
        self.hello = hello
        self.connect_timeout = connect_timeout
        self._sock: socket.socket | None = None

    def describe(self) -> str:
        return f"tcp {self.host}:{self.port}"

    def _open(self) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        self._sock = sock
        if self.hello:
            sock.sendall(self.hello)

    def _read(self, timeout: float) -> bytes | None:
        sock = self._sock
        assert sock is not None
        sock.settimeout(timeout)
        try:
            return sock.recv(65536)  # b"" = the peer closed: reconnect
        except TimeoutError:
            return None

    def _close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()


class TcpServer(Transport):
    """Listen on host:port; any number of peers (forwarders, trackers) push lines to us.

    Each peer has its own line framing, so one peer's half line never splices into another's;
    a peer's lines carry its address as `RawLine.peer`. A peer that goes away is just closed.
    """

    kind = "tcp-server"

    def __init__(self, name: str, host: str = "0.0.0.0", port: int = 10110, *, max_peers: int = 256,
                 **kw: Any) -> None:
        super().__init__(name, **kw)
        self.host = host
        self.port = int(port)
        self.max_peers = max_peers
        self._listener: socket.socket | None = None
        self._sel: selectors.DefaultSelector | None = None
        self._peers: dict[socket.socket, str] = {}

    def describe(self) -> str:
        return f"tcp listening on {self.host}:{self.port}"

    @property
    def address(self) -> tuple[str, int]:
        """The bound address (port 0 in the config means any free port)."""
        assert self._listener is not None
        host, port = self._listener.getsockname()[:2]
        return host, port

    def _open(self) -> None:
        lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lst.bind((self.host, self.port))
        lst.listen(16)
        lst.setblocking(False)
        self._listener = lst
        if self.port == 0:
            self.port = lst.getsockname()[1]
        self._sel = selectors.DefaultSelector()
        self._sel.register(lst, selectors.EVENT_READ)

    def _read(self, timeout: float) -> bytes | None:
        sel = self._sel
        assert sel is not None and self._listener is not None
        for key, _ in sel.select(timeout):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            if sock is self._listener:
                self._accept()
                continue
            peer = self._peers.get(sock, "")
            try:
                data = sock.recv(65536)
            except OSError as exc:
                self._fail(f"peer {peer}", exc)
                data = b""
            if data:
                self._ingest(data, peer)
            else:
                self._drop(sock)
        return None  # data went straight through _ingest, per peer

    def _accept(self) -> None:
        assert self._listener is not None and self._sel is not None
        try:
            sock, addr = self._listener.accept()
        except OSError:
            return
        if len(self._peers) >= self.max_peers:
            sock.close()
            self.stats.errors += 1
            self.stats.last_error = f"refused {addr[0]}:{addr[1]}: {self.max_peers} peers already"
            return
        sock.setblocking(False)
        peer = f"{addr[0]}:{addr[1]}"
        self._peers[sock] = peer
        self._sel.register(sock, selectors.EVENT_READ)
        self.stats.peers = len(self._peers)

    def _drop(self, sock: socket.socket) -> None:
        peer = self._peers.pop(sock, "")
        if self._sel is not None:
            try:
                self._sel.unregister(sock)
            except (KeyError, ValueError):
                pass
        sock.close()
        self._flush_framers(peer)
        self.stats.peers = len(self._peers)

    def _close(self) -> None:
        for sock in list(self._peers):
            self._drop(sock)
        if self._sel is not None:
            self._sel.close()
            self._sel = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
