"""The city: the schematic Liuzhou (rivers, roads, bridges, districts, sites) and the graphs built from it.
Owns the city data and the waterway and road graphs (the demo fleet is dispatch/demo/)."""
