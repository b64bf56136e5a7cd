"""The schema before migrations existed: keyring, persons, cases.

Databases created by the earlier `create_all` have exactly these tables; `storage.schema`
recognises them and records this revision instead of creating them again.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "keyring",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_keyring")),
    )
    op.create_table(
        "persons",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("key_blob", sa.LargeBinary(), nullable=False),
        sa.Column("chat_enc", sa.LargeBinary(), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
    )
    op.create_index(op.f("ix_persons_pseudonym"), "persons", ["pseudonym"], unique=True)
    op.create_table(
        "cases",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("reference", sa.String(9), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("key_blob", sa.LargeBinary(), nullable=False),
        sa.Column("answers_enc", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('waiting', 'taken', 'closed')", name=op.f("ck_cases_status")
        ),
        sa.CheckConstraint("priority >= 1", name=op.f("ck_cases_priority_positive")),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_cases_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("reference", name=op.f("uq_cases_reference")),
    )
    op.create_index(op.f("ix_cases_person_id"), "cases", ["person_id"])
    op.create_index(op.f("ix_cases_queue"), "cases", ["status", "priority", "created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_cases_queue"), table_name=op.f("cases"))
    op.drop_index(op.f("ix_cases_person_id"), table_name=op.f("cases"))
    op.drop_table("cases")
    op.drop_index(op.f("ix_persons_pseudonym"), table_name=op.f("persons"))
    op.drop_table("persons")
    op.drop_table("keyring")
