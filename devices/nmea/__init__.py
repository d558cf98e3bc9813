"""NMEA 0183: the pynmea2-based decoder, a fast path for RMC/GGA, and an encoder."""

from devices.nmea.decoder import NmeaCounters, NmeaDecoder
from devices.nmea.fast import fast_position
from devices.nmea.state import StreamState

__all__ = ["NmeaCounters", "NmeaDecoder", "StreamState", "fast_position"]
