"""Rules on every fix and the alerts they raise (construction-waste supervision, patrol areas, protected
waters): the spatial index over the zones, the rule checks with their thresholds, debounced entry and exit,
alerts as events and their operations (acknowledge, turn into an incident with the track as evidence)."""
