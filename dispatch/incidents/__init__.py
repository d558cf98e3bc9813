"""Incidents: reports, their workflow and deadlines, assignment, duplicates, attachments and recommendation.
Owns the incident.* events, operations and appliers; the recommendation ranks units for incidents and tasks."""
