"""AIS (!AIVDM/!AIVDO) reported in gpsd's AIS JSON vocabulary: the decoder, its fast path, the fragment
assembler, gpsd's rendering and application payloads. Import the module you need: the package imports none."""
