"""Sealed mode: keys of their own for what the intake side seals, the intake's signals to the
desk and the desk's deliveries to people.

In sealed mode the intake side holds only the desk's public key, so it cannot open a case's
data key to add to it: the answers it seals (`cases.answers_key_blob`) and every entry it adds
(`case_entries.key_blob`) get a data key of their own, wrapped to the desk. NULL in both means
what it meant before: under the case's own key. `desk_signals` tell the desk, without content,
what the intake did; `deliveries` carry the desk's messages to people, chat id and text sealed
to the intake's delivery key, until they are sent; `public_keys` holds that key's public half.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("answers_key_blob", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("case_entries") as batch:
        batch.add_column(sa.Column("key_blob", sa.LargeBinary(), nullable=True))
    op.create_table(
        "desk_signals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("entry_id", sa.String(length=36), nullable=True),
        sa.Column("reference", sa.String(length=9), nullable=True),
        sa.Column("volunteer_id", sa.String(length=36), nullable=True),
        sa.Column("detail", sa.String(length=32), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_desk_signals"),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=True),
        sa.Column("reference", sa.String(length=9), nullable=False),
        sa.Column("volunteer_id", sa.String(length=36), nullable=True),
        sa.Column("failed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
    )
    op.create_table(
        "public_keys",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_public_keys"),
    )


def downgrade() -> None:
    op.drop_table("public_keys")
    op.drop_table("deliveries")
    op.drop_table("desk_signals")
    with op.batch_alter_table("case_entries") as batch:
        batch.drop_column("key_blob")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("answers_key_blob")
