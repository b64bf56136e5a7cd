"""The web door: a case's channel ("telegram" or "web") and a web case's passphrase, as a slow
salted hash and a short keyed lookup value (indexed: a login looks up by it).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("channel", sa.String(length=16), nullable=False, server_default="telegram")
        )
        batch.add_column(sa.Column("passphrase_hash", sa.String(length=160), nullable=True))
        batch.add_column(sa.Column("passphrase_lookup", sa.String(length=8), nullable=True))
        batch.create_index("ix_cases_passphrase_lookup", ["passphrase_lookup"])


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_passphrase_lookup")
        batch.drop_column("passphrase_lookup")
        batch.drop_column("passphrase_hash")
        batch.drop_column("channel")
