"""The record: replay of any past instant, export of a window, and the audit of the hash-chained log.
Owns the replay.* operations; reads the store, writes nothing to it."""
