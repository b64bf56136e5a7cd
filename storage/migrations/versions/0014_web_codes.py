"""Continuing a Telegram case on the web: a one-time code (`/web`), kept only as a keyed hash,
and the minute it expires.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("web_code_hash", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("web_code_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.create_index("ix_cases_web_code_hash", ["web_code_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_web_code_hash")
        batch.drop_column("web_code_expires_at")
        batch.drop_column("web_code_hash")
