"""Transports: where a feed's bytes come from. Each one is a `Transport` thread yielding `RawLine`s."""

from devices.transports.base import RawLine, Transport, TransportStats
from devices.transports.gpsd import GpsdClient
from devices.transports.replay import FileReplay
from devices.transports.serial import SerialTransport
from devices.transports.tcp import TcpClient, TcpServer
from devices.transports.udp import UdpListener

__all__ = ["FileReplay", "GpsdClient", "RawLine", "SerialTransport", "TcpClient", "TcpServer", "Transport",
           "TransportStats", "UdpListener"]
