"""Silent blocks: a blocked person who is not told, and whose requests are held back.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A column with a constant default needs no table rebuild, even on SQLite.
    op.add_column(
        "persons",
        sa.Column("blocked_silently", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.drop_column("blocked_silently")
