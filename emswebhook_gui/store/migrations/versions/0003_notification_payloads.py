"""Notification bodies move to their own table, so state updates stop rewriting them.

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_payloads",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["notifications.event_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.execute("INSERT INTO notification_payloads (event_id, payload) SELECT event_id, payload FROM notifications")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("payload")


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload", sa.Text(), nullable=False, server_default=""))
    op.execute(
        "UPDATE notifications SET payload = (SELECT p.payload FROM notification_payloads p "
        "WHERE p.event_id = notifications.event_id)"
    )
    op.drop_table("notification_payloads")
