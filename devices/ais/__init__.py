"""AIS (!AIVDM/!AIVDO) through pyais, reported in gpsd's AIS JSON vocabulary."""

from devices.ais.assembler import AisAssembler
from devices.ais.decoder import AisCounters, AisDecoder, gpsd_fields

__all__ = ["AisAssembler", "AisCounters", "AisDecoder", "gpsd_fields"]
