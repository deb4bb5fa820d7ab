"""Data lifecycle: lookups by entity, retention by status and age, the last purge.

Revision ID: 0007
Revises: 0005_url_userinfo

SQLite's ``auto_vacuum=INCREMENTAL`` is not set here: it takes effect only before the first
table exists, so ``store.database`` sets it on every connection (a no-op on existing files);
``emswebhook db compact`` converts an existing file with VACUUM.
"""

from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0005_url_userinfo"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notifications_entity_seq", "notifications", ["entity_id", "seq"])
    op.create_index("ix_notifications_status_created", "notifications", ["status", "created_at"])
    op.create_table(
        "maintenance_runs",
        sa.Column("task", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("task"),
    )


def downgrade() -> None:
    op.drop_table("maintenance_runs")
    op.drop_index("ix_notifications_status_created", table_name="notifications")
    op.drop_index("ix_notifications_entity_seq", table_name="notifications")
