"""NMEA 0183: gpsd's reporting cycles (cycle, rules, sky, receiver), the pynmea2-based decoder and a fast
path for RMC/GGA (the feeds), an encoder. Import the module you need: the package imports none of them, so
that `decode` does not load pynmea2 or numpy."""
