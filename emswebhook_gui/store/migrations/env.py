"""Alembic environment: the engine comes from the app (config.attributes), never from an ini file."""

from alembic import context

from emswebhook_gui.store.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
