"""Hourly delivery rollups per webhook (the Overview and ``stats``), and what each attempt sent
and got back (the attempt inspector): masked request head, capped answer head, timings.

Revision ID: 0009
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

HISTOGRAM = [f"le_{i:02d}" for i in range(15)]


def upgrade() -> None:
    op.create_table(
        "delivery_rollups",
        sa.Column("webhook_id", sa.String(length=36), nullable=False),
        sa.Column("hour", sa.DateTime(), nullable=False),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("ended_failed", sa.Integer(), nullable=False),
        sa.Column("duration_ms_sum", sa.Float(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in HISTOGRAM),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("webhook_id", "hour"),
    )
    op.create_index("ix_delivery_rollups_hour", "delivery_rollups", ["hour"])
    op.create_table(
        "error_rollups",
        sa.Column("webhook_id", sa.String(length=36), nullable=False),
        sa.Column("hour", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("example", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("webhook_id", "hour", "reason"),
    )
    op.create_index("ix_error_rollups_hour", "error_rollups", ["hour"])
    # nullable columns without a default: neither SQLite nor PostgreSQL rewrites the table
    with op.batch_alter_table("delivery_attempts") as batch_op:
        batch_op.add_column(sa.Column("request_head", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("response_head", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("connect_ms", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("first_byte_ms", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("delivery_attempts") as batch_op:
        for column in ("first_byte_ms", "connect_ms", "response_head", "request_head"):
            batch_op.drop_column(column)
    op.drop_index("ix_error_rollups_hour", table_name="error_rollups")
    op.drop_table("error_rollups")
    op.drop_index("ix_delivery_rollups_hour", table_name="delivery_rollups")
    op.drop_table("delivery_rollups")
