"""Codewords: a person's codeword as a slow salted hash sealed under the case's key, and the
check a volunteer (or a long silence) starts: who asked, whether the person was asked yet, the
wrong answers so far, a flag after three, and when a check last matched.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite cannot add a foreign key to an existing table: batch mode rebuilds it there.
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("codeword_enc", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("codeword_check", sa.String(16), nullable=True))
        batch.add_column(
            sa.Column("codeword_asked", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("codeword_asker_id", sa.String(36), nullable=True))
        batch.add_column(
            sa.Column("codeword_misses", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("codeword_failed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("codeword_checked_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.create_foreign_key(
            op.f("fk_cases_codeword_asker_id_volunteers"),
            "volunteers",
            ["codeword_asker_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint(op.f("fk_cases_codeword_asker_id_volunteers"), type_="foreignkey")
        batch.drop_column("codeword_checked_at")
        batch.drop_column("codeword_failed")
        batch.drop_column("codeword_misses")
        batch.drop_column("codeword_asker_id")
        batch.drop_column("codeword_asked")
        batch.drop_column("codeword_check")
        batch.drop_column("codeword_enc")
