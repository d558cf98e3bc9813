"""The engineer's device bench (the Devices tab): feeds with their live figures, the raw monitor, adding and
editing feeds and binding what they hear to units. Qt only; what a valid feed or binding is, is dispatch's."""
