"""The replay window (console/replay/window.py) over dispatch.replay.Recording."""
