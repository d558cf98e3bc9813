"""TCP client/server, UDP and gpsd feeds over real sockets on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time

from devices.nmea import encode
from devices.transports import GpsdClient, TcpClient, TcpServer, UdpListener
from dispatch.feeds.config import FeedSpec
from dispatch.feeds.manager import FeedManager
from tests.conftest import wait_for

T0 = 1764158400.0


def _listener() -> socket.socket:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    s.settimeout(10)
    return s


def test_tcp_client_reconnects_after_the_peer_drops() -> None:
    srv = _listener()
    port = srv.getsockname()[1]
    t = TcpClient("fwd", "127.0.0.1", port, backoff=(0.05, 0.2)).start()
    try:
        conn, _ = srv.accept()
        conn.sendall((encode.rmc("GP", T0, 24.3, 109.4, 1.0, 10.0) + "\r\n$GPG").encode())
        wait_for(lambda: t.stats.lines >= 1, 5)
        conn.close()  # the forwarder restarts: a half sentence is lost, the link comes back
        wait_for(lambda: t.stats.disconnects >= 1, 5)
        conn2, _ = srv.accept()
        conn2.sendall((encode.gga("GP", T0 + 1, 24.3, 109.4) + "\r\n").encode())
        wait_for(lambda: t.stats.lines >= 2, 5)
        lines = [r.line for r in t.drain()]
        assert [ln[3:6] for ln in lines] == ["RMC", "GGA"]
        assert t.stats.connects == 2 and t.stats.garbage == 1
        conn2.close()
    finally:
        t.stop()
        srv.close()


def test_tcp_server_many_peers_and_a_10_mb_line(core) -> None:  # type: ignore[no-untyped-def]
    spec = FeedSpec("push", "tcp-server", host="127.0.0.1", tcp_port=0, bind={"GP": "boat-01", "GN": "truck-01"})
    mgr = FeedManager(core, [spec]).start()
    t = mgr.feeds["push"].transport
    try:
        wait_for(lambda: t.stats.connected, 5)
        addr = t.address  # type: ignore[attr-defined]
        a, b = socket.create_connection(addr), socket.create_connection(addr)
        # a sends a 10 MB line in pieces; b's sentences must come through meanwhile
        junk = b"$" + b"X" * (10 * 1024 * 1024)
        sender = threading.Thread(target=lambda: (a.sendall(junk[:5_000_000]), a.sendall(junk[5_000_000:] + b"\r\n"),
                                                  a.sendall((encode.rmc("GN", T0, 24.31, 109.41, 2.0, 5.0) + "\r\n").encode())))
        sender.start()
        b.sendall((encode.rmc("GP", T0, 24.32, 109.42, 2.0, 5.0) + "\r\n").encode())
        sender.join(20)
        wait_for(lambda: core.state.units["truck-01"].position is not None, 10, what="a's sentence after the 10 MB line")
        wait_for(lambda: core.state.units["boat-01"].position is not None, 5)
        assert t.stats.too_long == 1 and t.stats.peers == 2
        assert max(f.pending for f in t._framers.values()) <= t.max_line
        a.close()
        b.close()
        wait_for(lambda: t.stats.peers == 0, 5)
        assert t.stats.connected  # peers going away does not close the server
    finally:
        mgr.stop()


def test_udp_datagrams_from_an_ais_receiver(core) -> None:  # type: ignore[no-untyped-def]
    from devices.ais import encode as ais

    mgr = FeedManager(core, [FeedSpec("ais", "udp", host="127.0.0.1", tcp_port=0)]).start()
    t = mgr.feeds["ais"].transport
    try:
        wait_for(lambda: t.stats.connected, 5)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        lines = ais.type1(413801002, 24.33, 109.43, 6.0, 45.0, 44) + ais.type1(412000111, 24.34, 109.44, 3.0, 90.0, 90)
        lines += ais.type5(412000111, "XI JIANG 7")
        for ln in lines:
            s.sendto(ln.encode(), ("127.0.0.1", t.port))  # type: ignore[attr-defined]
        s.sendto(b"\x00\x01 noise", ("127.0.0.1", t.port))  # type: ignore[attr-defined]
        wait_for(lambda: core.state.units["boat-02"].position is not None, 5, what="the bound MMSI moving boat-02")
        wait_for(lambda: (c := mgr.contacts.get(412000111)) and c["name"] and c["lat"], 5, what="an AIS contact")
        c = mgr.contacts[412000111]
        assert c["name"] == "XI JIANG 7" and abs(c["lat"] - 24.34) < 1e-3 and c["speed"] == 3.0
        _v, changed = mgr.contacts_since(0)
        assert [x["mmsi"] for x in changed] == [412000111]
        s.close()
    finally:
        mgr.stop()


def test_gpsd_client_against_a_fake_gpsd(core) -> None:  # type: ignore[no-untyped-def]
    srv = _listener()
    port = srv.getsockname()[1]
    got: list[bytes] = []

    def gpsd() -> None:
        conn, _ = srv.accept()
        conn.sendall(b'{"class":"VERSION","release":"3.25","proto_major":3,"proto_minor":15}\n')
        got.append(conn.recv(1024))
        tpv = {"class": "TPV", "device": "/dev/ttyUSB0", "mode": 3, "time": "2025-11-26T12:00:00.000Z",
               "lat": 24.3264, "lon": 109.4281, "altMSL": 85.0, "speed": 2.5, "track": 87.0}
        sky = {"class": "SKY", "device": "/dev/ttyUSB0", "hdop": 0.8, "uSat": 9, "nSat": 12}
        conn.sendall((json.dumps(tpv) + "\n" + json.dumps(sky) + "\n" + '{"class":"TPV","mode":1}\n').encode())
        conn.recv(1)  # until the client goes
        conn.close()

    th = threading.Thread(target=gpsd, daemon=True)
    th.start()
    mgr = FeedManager(core, [FeedSpec("gw", "gpsd", host="127.0.0.1", tcp_port=port, unit="boat-01")])
    assert isinstance(mgr.feeds["gw"].transport, GpsdClient)
    mgr.start()
    try:
        wait_for(lambda: core.state.units["boat-01"].position is not None, 5, what="a TPV fix")
        p = core.state.units["boat-01"].position
        assert p is not None and p.lat == 24.3264 and p.speed == 2.5 and p.ts == 1764158400.0
        assert got and got[0].startswith(b"?WATCH=") and b'"json":true' in got[0]
        wait_for(lambda: mgr.feeds["gw"].snapshot(time.time()).hdop == 0.8, 5)
    finally:
        mgr.stop()
        srv.close()


def test_udp_listener_alone_tags_the_sender() -> None:
    t = UdpListener("u", "127.0.0.1", 0).start()
    try:
        wait_for(lambda: t.stats.connected, 5)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"$GPHDT,1*00\r\n$GPHDT,2*00", ("127.0.0.1", t.port))
        wait_for(lambda: t.stats.lines >= 2, 5)
        raws = t.drain()
        assert [r.line for r in raws] == ["$GPHDT,1*00", "$GPHDT,2*00"]
        assert raws[0].peer.startswith("127.0.0.1:")
        s.close()
    finally:
        t.stop()


def test_tcp_server_alone() -> None:
    t = TcpServer("s", "127.0.0.1", 0).start()
    try:
        wait_for(lambda: t.stats.connected, 5)
        c = socket.create_connection(t.address)
        c.sendall(b"$GPHDT,1*00\n")
        wait_for(lambda: t.stats.lines >= 1, 5)
        c.close()
    finally:
        t.stop()
    assert t.stats.state == "stopped"


def test_stopping_a_feed_is_not_counted_as_a_disconnect() -> None:
    """`record --seconds N` and the bench's Disconnect stop a feed on purpose: its link did not drop
    (record said "1 disconnects" after every clean run, as if the cable had been pulled)."""
    srv = _listener()
    t = TcpClient("fwd", "127.0.0.1", srv.getsockname()[1], backoff=(0.05, 0.2)).start()
    try:
        conn, _ = srv.accept()
        wait_for(lambda: t.stats.connects == 1, 5)
        t.stop()
        assert not t.running and t.stats.disconnects == 0 and not t.stats.connected
        conn.close()
    finally:
        t.stop()
        srv.close()
