"""Run Alembic programmatically, so every entry point upgrades the schema before use.

Only the processes that own the schema upgrade it: ``serve``, the app and ``emswebhook db
upgrade`` (``upgrade_to_head``). Read-only commands (``status``, ``events search``, ``webhook
list``, ...) call ``require_current_schema`` instead, so pointing one at the wrong database (an
empty one, another application's) changes nothing in it, and the user is told what to run.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from .errors import NO_SCHEMA, DatabaseProblem, DatabaseUnavailable

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

CREATE_IT = "run `emswebhook db upgrade` or start `serve` to create it"
NO_SCHEMA_MESSAGE = f"no emswebhook schema in this database; {CREATE_IT}"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def upgrade_to_head(engine: Engine, revision: str = "head") -> None:
    try:
        command.upgrade(alembic_config(engine), revision)
    except CommandError as exc:
        if "Can't locate revision" in str(exc):  # written by a newer version of this app
            raise DatabaseUnavailable(_newer(current_revision(engine))) from None
        raise


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current_schema(engine: Engine) -> None:
    """Raise ``DatabaseUnavailable`` unless the schema exists at this version's revision; writes
    nothing (it only reads the catalogue and ``alembic_version``)."""
    if not inspect(engine).has_table("alembic_version"):
        raise DatabaseUnavailable(DatabaseProblem(NO_SCHEMA, NO_SCHEMA_MESSAGE))
    revision = current_revision(engine)
    if revision is None:
        raise DatabaseUnavailable(DatabaseProblem(NO_SCHEMA, NO_SCHEMA_MESSAGE))
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    if revision == script.get_current_head():
        return
    try:
        script.get_revision(revision)
    except CommandError:
        raise DatabaseUnavailable(_newer(revision)) from None
    raise DatabaseUnavailable(DatabaseProblem(
        NO_SCHEMA, f"the emswebhook schema in this database is from an older version (revision {revision}); "
                   "run `emswebhook db upgrade` or start `serve` to upgrade it"))


def _newer(revision: str | None) -> DatabaseProblem:
    return DatabaseProblem(
        NO_SCHEMA, f"this database was written by a newer version of emswebhook (schema revision {revision}); "
                   "upgrade emswebhook-gui to use it")
