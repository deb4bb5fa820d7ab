"""An index for "notifications of this webhook in this state, newest first".

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notifications_webhook_status_seq", "notifications", ["webhook_id", "status", "seq"])


def downgrade() -> None:
    op.drop_index("ix_notifications_webhook_status_seq", table_name="notifications")
