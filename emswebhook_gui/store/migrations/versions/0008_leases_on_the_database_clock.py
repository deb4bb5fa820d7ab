"""Several services under real-world faults: fencing tokens on leases, where a service's PID
means something (boot, PID namespace), its clock offset, and pauses subscribers asked for.

Revision ID: 0008
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a constant default: PostgreSQL 11+ adds it without rewriting the table
    op.add_column("notifications", sa.Column("lease_version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("service_instances") as batch_op:
        batch_op.add_column(sa.Column("boot_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("pid_namespace", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("clock_offset", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("lease_seconds", sa.Float(), nullable=True))
    op.create_table(
        "endpoint_pauses",
        sa.Column("webhook_id", sa.String(length=36), nullable=False),
        sa.Column("paused_until", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("webhook_id"),
    )


def downgrade() -> None:
    op.drop_table("endpoint_pauses")
    with op.batch_alter_table("service_instances") as batch_op:
        for column in ("lease_seconds", "clock_offset", "pid_namespace", "boot_id"):
            batch_op.drop_column(column)
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_column("lease_version")
