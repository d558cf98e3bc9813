"""Non-site enforcement (非现场执法): cameras, video evidence, stills and finding footage. No Qt.

``book.py`` the state derived from the camera.* and evidence.* events (``state.ext["evidence"]``);
``cameras.py`` fixed and mobile cameras, their import from CSV/GeoJSON and their events;
``media.py`` what PyAV reads from a clip (duration, creation time, integrity, the frame at an offset);
``clips.py`` clips kept content-addressed (dispatch/blobs.py) with their camera, start, end and place;
``stills.py`` a frame grabbed as a still, annotations beside it; ``footage.py`` which cameras saw a place
at a time and their clips of those minutes.
"""
