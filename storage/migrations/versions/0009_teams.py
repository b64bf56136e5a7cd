"""Teams: each case's team and tags (dialogs/routing.yaml), and which teams volunteers are in.

Cases stored before have no team (they stay in every team's queue) and no tags; volunteers are
in no team (they work every team's queue) until an admin puts them in one.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("team", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("tags", sa.String(length=255), nullable=True))
        batch.create_index("ix_cases_team_status", ["team", "status"])
    op.create_table(
        "volunteer_teams",
        sa.Column("volunteer_id", sa.String(length=36), nullable=False),
        sa.Column("team", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name="fk_volunteer_teams_volunteer_id_volunteers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("volunteer_id", "team", name="pk_volunteer_teams"),
    )


def downgrade() -> None:
    op.drop_table("volunteer_teams")
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_team_status")
        batch.drop_column("tags")
        batch.drop_column("team")
