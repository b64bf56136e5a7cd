"""The web thread: when the person last read it, and in sealed mode the person's own key pair
(private half wrapped under their passphrase) with each entry sealed to it again.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("web_read_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("person_public_key", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("person_key_blob", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("case_entries") as batch:
        batch.add_column(sa.Column("person_blob", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_entries") as batch:
        batch.drop_column("person_blob")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("person_key_blob")
        batch.drop_column("person_public_key")
        batch.drop_column("web_read_at")
