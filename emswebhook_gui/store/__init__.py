"""Persistence: models, the database worker and Alembic migrations (Qt-free)."""

from .database import Database, DatabaseURLError, default_database_path, normalise_url, resolve_database_url
from .errors import DatabaseProblem, DatabaseUnavailable, explain
from .models import FAILED, IN_PROGRESS, STATUSES, SUCCESSFUL

__all__ = [
    "Database",
    "DatabaseURLError",
    "DatabaseProblem",
    "DatabaseUnavailable",
    "explain",
    "default_database_path",
    "normalise_url",
    "resolve_database_url",
    "IN_PROGRESS",
    "FAILED",
    "SUCCESSFUL",
    "STATUSES",
]
