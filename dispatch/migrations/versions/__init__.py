"""Alembic revisions of the store's schema, oldest first (see dispatch/migrations/__init__.py)."""
