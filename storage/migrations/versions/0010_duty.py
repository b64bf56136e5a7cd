"""Duty and escalation: which volunteers are on duty, and what the desk was already told about
an urgent case (admins of it unclaimed, the holder then the team of no reply, the team of the
person writing while nobody holds it), so that a restart repeats none of it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("volunteers") as batch:
        batch.add_column(
            sa.Column("on_duty", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("admins_alerted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("reply_escalation", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("realerted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("realerted_at")
        batch.drop_column("reply_escalation")
        batch.drop_column("admins_alerted")
    with op.batch_alter_table("volunteers") as batch:
        batch.drop_column("on_duty")
