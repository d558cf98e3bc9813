"""The shift report laid out: charts drawn with pyqtgraph, an HTML page with everything inline, a PDF by Qt."""
