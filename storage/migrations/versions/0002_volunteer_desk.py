"""The volunteer desk: volunteers, invites, case holders, conversations, relay links, audit.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "volunteers",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("handle", sa.String(32), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("key_blob", sa.LargeBinary(), nullable=False),
        sa.Column("chat_enc", sa.LargeBinary(), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        _when("created_at"),
        _when("last_active_at"),
        _when("revoked_at", nullable=True),
        sa.CheckConstraint("role IN ('admin', 'volunteer')", name=op.f("ck_volunteers_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteers")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_volunteers_pseudonym")),
        sa.UniqueConstraint("handle", name=op.f("uq_volunteers_handle")),
    )
    op.create_table(
        "invites",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=False),
        _when("created_at"),
        _when("expires_at"),
        _when("used_at", nullable=True),
        sa.Column("used_by", sa.String(36), nullable=True),
        sa.CheckConstraint("role IN ('admin', 'volunteer')", name=op.f("ck_invites_role")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["volunteers.id"],
            name=op.f("fk_invites_created_by_volunteers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["used_by"],
            ["volunteers.id"],
            name=op.f("fk_invites_used_by_volunteers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invites")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_invites_code_hash")),
    )
    op.create_index(op.f("ix_invites_created_by"), "invites", ["created_by"])
    op.create_index(op.f("ix_invites_used_by"), "invites", ["used_by"])

    # SQLite cannot add a foreign key to an existing table: batch mode rebuilds it there.
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("volunteer_id", sa.String(36), nullable=True))
        batch.add_column(_when("taken_at", nullable=True))
        batch.add_column(_when("first_reply_at", nullable=True))
        batch.add_column(_when("closed_at", nullable=True))
        batch.add_column(sa.Column("close_reason_enc", sa.LargeBinary(), nullable=True))
        batch.add_column(_when("announced_at", nullable=True))
        batch.add_column(
            sa.Column("erased_by_person", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_foreign_key(
            op.f("fk_cases_volunteer_id_volunteers"),
            "volunteers",
            ["volunteer_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(op.f("ix_cases_volunteer_id_status"), ["volunteer_id", "status"])

    op.create_table(
        "case_entries",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("author_id", sa.String(36), nullable=True),
        sa.Column("body_enc", sa.LargeBinary(), nullable=False),
        _when("created_at"),
        sa.Column("delivered", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.CheckConstraint(
            "kind IN ('person', 'volunteer', 'note')", name=op.f("ck_case_entries_kind")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_entries_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["volunteers.id"],
            name=op.f("fk_case_entries_author_id_volunteers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_entries")),
    )
    op.create_index(
        op.f("ix_case_entries_case_id_created_at"), "case_entries", ["case_id", "created_at"]
    )
    op.create_index(op.f("ix_case_entries_author_id"), "case_entries", ["author_id"])
    op.create_table(
        "relay_links",
        sa.Column("volunteer_id", sa.String(36), nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_relay_links_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_relay_links_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("volunteer_id", "message_id", name=op.f("pk_relay_links")),
    )
    op.create_index(op.f("ix_relay_links_case_id"), "relay_links", ["case_id"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _when("at"),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor_handle", sa.String(32), nullable=True),
        sa.Column("case_reference", sa.String(9), nullable=True),
        sa.Column("detail", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_case_reference"), "audit_events", ["case_reference"])


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_events_case_reference"), table_name=op.f("audit_events"))
    op.drop_table("audit_events")
    op.drop_index(op.f("ix_relay_links_case_id"), table_name=op.f("relay_links"))
    op.drop_table("relay_links")
    op.drop_index(op.f("ix_case_entries_author_id"), table_name=op.f("case_entries"))
    op.drop_index(op.f("ix_case_entries_case_id_created_at"), table_name=op.f("case_entries"))
    op.drop_table("case_entries")
    with op.batch_alter_table("cases") as batch:
        batch.drop_index(op.f("ix_cases_volunteer_id_status"))
        batch.drop_constraint(op.f("fk_cases_volunteer_id_volunteers"), type_="foreignkey")
        batch.drop_column("erased_by_person")
        batch.drop_column("announced_at")
        batch.drop_column("close_reason_enc")
        batch.drop_column("closed_at")
        batch.drop_column("first_reply_at")
        batch.drop_column("taken_at")
        batch.drop_column("volunteer_id")
    op.drop_index(op.f("ix_invites_used_by"), table_name=op.f("invites"))
    op.drop_index(op.f("ix_invites_created_by"), table_name=op.f("invites"))
    op.drop_table("invites")
    op.drop_table("volunteers")
