"""Alembic environment: migrations always run on the connection that migrate.py hands in.

That connection already holds the migration lock and an open transaction, so concurrent openers
serialise and a crash mid-migration rolls the whole upgrade back.
"""

from alembic import context

context.configure(connection=context.config.attributes["connection"])
with context.begin_transaction():
    context.run_migrations()
