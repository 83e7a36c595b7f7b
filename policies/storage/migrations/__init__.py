"""Alembic migrations for the store, run programmatically by :mod:`policies.storage.migrate`."""
