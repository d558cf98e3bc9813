"""Audible alarms, decided without audio: which stored event deserves which sound (`sounds.py`) and when a
seat's mute runs out, at the end of the shift (`shift.py`). Qt-free; the console plays what this decides."""
