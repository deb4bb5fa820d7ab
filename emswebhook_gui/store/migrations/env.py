"""Alembic environment: the engine comes from the app (config.attributes), never from an ini file.

On SQLite, ALTERs are done by rebuilding tables ("batch" mode: copy, drop, rename). With foreign
keys enforced, dropping the old table would cascade-delete dependent rows (a notification's
attempts and body), so enforcement is off for the migration's connection and back on after;
``PRAGMA foreign_keys`` only takes effect outside a transaction, hence the order below.
"""

from alembic import context

from emswebhook_gui.store.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        with connection.begin():
            context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=sqlite)
            context.run_migrations()
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
