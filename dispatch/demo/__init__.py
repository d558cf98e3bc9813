"""The demo city: the bureau's fleet moving on the schematic Liuzhou through real NMEA and AIS, and its first reports.
Owns nothing in the log of its own; it drives the simulators and files its reports through the ordinary operations."""
