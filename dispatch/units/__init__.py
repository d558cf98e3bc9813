"""Units: registering the fleet (boats, vessels, officers, trucks), listing them, setting a status.
Owns the unit.* operations; the unit model and its appliers are the kernel's (dispatch/model.py, state.py)."""
