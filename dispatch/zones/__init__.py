"""Zones (construction and disposal sites, routes with corridors, restricted areas, patrol areas, protection
zones), transport companies and truck permits: model, checks, events and operations. Depends only on the kernel."""
