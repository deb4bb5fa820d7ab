"""Report webhook and token URLs that hold user info (user:password@host), without changing them.

Endpoint URLs with user info are refused from now on (DESIGN section 8): such credentials were
stored and shown like any other part of the URL, but never sent. Stored ones keep working as they
did (the sender drops the user info); this revision names each webhook or authentication profile
concerned in a warning, with the user info masked, so the administrator can move the credentials
into an authentication profile. Nothing is rewritten: changing an administrator's URL silently
is worse than reporting it.

Revision ID: 0005_url_userinfo
Revises: 0004
"""

import logging
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

revision = "0005_url_userinfo"
down_revision = "0004"
branch_labels = None
depends_on = None

log = logging.getLogger("emswebhook_gui.store.migrations")


def _masked(url: str) -> str | None:
    """The URL with its user info replaced by ``***``, or None when it holds none."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if "@" not in parts.netloc:
        return None
    return parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]).geturl()


def upgrade() -> None:
    connection = op.get_bind()
    queries = (
        ("webhook", "endpointUrl", "SELECT name, endpoint_url FROM webhooks"),
        ("authentication profile", "tokenUrl", "SELECT name, token_url FROM auth_profiles WHERE token_url IS NOT NULL"),
    )
    for kind, field, query in queries:
        for name, url in connection.execute(sa.text(query)):
            masked = _masked(url or "")
            if masked is not None:
                log.warning(
                    "%s '%s': its %s %s holds a user name or password; it is not sent and is refused for new "
                    "URLs. Put the credentials in an authentication profile and remove them from the URL.",
                    kind, name, field, masked)


def downgrade() -> None:
    pass
