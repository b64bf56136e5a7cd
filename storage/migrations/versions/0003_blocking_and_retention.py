"""Blocking people who abuse the bot; indexes for the new-case cap and for retention.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column needs no table rebuild, even on SQLite.
    op.add_column("persons", sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_cases_created_at"), "cases", ["created_at"])
    op.create_index(op.f("ix_cases_closed_at"), "cases", ["closed_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_cases_closed_at"), table_name="cases")
    op.drop_index(op.f("ix_cases_created_at"), table_name="cases")
    with op.batch_alter_table("persons") as batch:
        batch.drop_column("blocked_at")
