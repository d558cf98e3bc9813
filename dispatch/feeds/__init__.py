"""Feeds: real and simulated receivers into the core (decode, bind to units, pick the better source, ingest).
Owns the feeds file (config), the feed.* events and operations, and the live figures of the device bench."""
