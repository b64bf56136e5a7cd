"""Case copies: which messages in volunteers' chats showed a case, so they can be deleted.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_copies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("reference", sa.String(length=9), nullable=False),
        sa.Column("volunteer_id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_case_copies_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_copies")),
    )
    op.create_index(op.f("ix_case_copies_case_id"), "case_copies", ["case_id"])
    op.create_index(op.f("ix_case_copies_volunteer_id"), "case_copies", ["volunteer_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_case_copies_volunteer_id"), table_name="case_copies")
    op.drop_index(op.f("ix_case_copies_case_id"), table_name="case_copies")
    op.drop_table("case_copies")
