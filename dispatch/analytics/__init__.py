"""Analytics: the indicators of digital urban management, hotspots and response plans, and supervision.
Owns the figures computed from the incident records (never stored), the score weights, plans and notices."""
