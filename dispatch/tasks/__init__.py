"""Cleaning tasks: areas of water swept by vessels, their schedule, recurrence and coverage.
Owns the task.* events, operations and appliers; coverage is computed from the stored tracks."""
