"""Coarse times: nothing finer than a minute; closed cases to the day; erased trails unlinked.

Adds the order the minute no longer gives (`cases.minute_order`, `cases.person_order`,
`case_entries.seq`) and the
first-reply delay that outlives a closed case's times (`cases.first_reply_minutes`), computed
from the exact times before they are cut. Then every stored time is cut to its minute, a
closed case's times and its entries' and audit events' to the day, and the audit events of a
case that was erased or purged lose its reference and keep only the day.

The downgrade drops the new columns; the times stay coarse (what was cut cannot be restored).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every time column of the schema at this revision, by table (the key column first).
_TIMES = {
    "keyring": ("name", ["updated_at"]),
    "persons": ("id", ["created_at", "last_seen_at", "blocked_at"]),
    "volunteers": ("id", ["created_at", "last_active_at", "revoked_at"]),
    "invites": ("id", ["created_at", "expires_at", "used_at"]),
    "relay_links": (None, ["created_at"]),  # keyed by (volunteer_id, message_id)
}
_CASE_TIMES = [
    "created_at",
    "updated_at",
    "taken_at",
    "first_reply_at",
    "closed_at",
    "announced_at",
]
_GONE = ("erased", "purged")
_BATCH = 500


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _minute(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value).replace(second=0, microsecond=0)


def _day(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value).replace(hour=0, minute=0, second=0, microsecond=0)


def _stored(value: datetime | None, dialect: str) -> datetime | None:
    """As the models store it: naive UTC on SQLite, aware elsewhere."""
    if value is None or dialect != "sqlite":
        return value
    return value.replace(tzinfo=None)


def _table(name: str, *columns: str, times: Sequence[str] = ()) -> sa.TableClause:
    return sa.table(
        name,
        *(sa.column(c) for c in columns),
        *(sa.column(c, sa.DateTime(timezone=True)) for c in times),
    )


def _update(
    connection: sa.Connection,
    table: sa.TableClause,
    keys: Sequence[str],
    rows: list[dict[str, Any]],
) -> None:
    if not rows:
        return
    condition = sa.and_(*(table.c[key] == sa.bindparam(f"k_{key}") for key in keys))
    names = [name for name in rows[0] if not name.startswith("k_")]
    statement = table.update().where(condition).values({n: sa.bindparam(n) for n in names})
    for start in range(0, len(rows), _BATCH):
        connection.execute(statement, rows[start : start + _BATCH])


def _coarsen_cases(connection: sa.Connection, dialect: str) -> tuple[set[str], set[str]]:
    """Cases: order within the minute, first-reply minutes, times cut. Returns the ids of the
    closed cases and the references of closed cases."""
    cases = _table(
        "cases",
        "id",
        "reference",
        "person_id",
        "status",
        "minute_order",
        "person_order",
        "first_reply_minutes",
        times=_CASE_TIMES,
    )
    rows = connection.execute(sa.select(cases).order_by(cases.c.created_at, cases.c.id)).mappings()
    changes: list[dict[str, Any]] = []
    closed_ids: set[str] = set()
    closed_references: set[str] = set()
    keyed = [dict(row) for row in rows]
    per_person: dict[str, int] = {}
    for _minute_key, group in groupby(keyed, key=lambda r: _minute(r["created_at"])):
        for position, row in enumerate(group, start=1):
            closed = row["status"] == "closed"
            cut = _day if closed else _minute
            change: dict[str, Any] = {"k_id": row["id"]}
            for name in _CASE_TIMES:
                change[name] = _stored(cut(row[name]), dialect)
            change["minute_order"] = 0 if closed else position
            per_person[row["person_id"]] = per_person.get(row["person_id"], 0) + 1
            change["person_order"] = per_person[row["person_id"]]
            created, replied = _minute(row["created_at"]), _minute(row["first_reply_at"])
            change["first_reply_minutes"] = (
                None
                if created is None or replied is None
                else max(0, int((replied - created).total_seconds()) // 60)
            )
            changes.append(change)
            if closed:
                closed_ids.add(row["id"])
                closed_references.add(row["reference"])
    _update(connection, cases, ["id"], changes)
    return closed_ids, closed_references


def _coarsen_entries(connection: sa.Connection, dialect: str, closed_ids: set[str]) -> None:
    entries = _table("case_entries", "id", "case_id", "seq", times=["created_at"])
    rows = [
        dict(row)
        for row in connection.execute(
            sa.select(entries).order_by(entries.c.case_id, entries.c.created_at, entries.c.id)
        ).mappings()
    ]
    changes: list[dict[str, Any]] = []
    for case_id, group in groupby(rows, key=lambda r: r["case_id"]):
        cut = _day if case_id in closed_ids else _minute
        for position, row in enumerate(group, start=1):
            changes.append(
                {
                    "k_id": row["id"],
                    "created_at": _stored(cut(row["created_at"]), dialect),
                    "seq": position,
                }
            )
    _update(connection, entries, ["id"], changes)


def _coarsen_audit(connection: sa.Connection, dialect: str, closed: set[str]) -> None:
    events = _table("audit_events", "id", "action", "case_reference", times=["at"])
    rows = [dict(row) for row in connection.execute(sa.select(events)).mappings()]
    gone = {r["case_reference"] for r in rows if r["action"] in _GONE and r["case_reference"]}
    changes: list[dict[str, Any]] = []
    for row in rows:
        reference = row["case_reference"]
        if reference is not None and reference in gone:
            change = {"at": _day(row["at"]), "case_reference": None}
        elif reference is not None and reference in closed:
            change = {"at": _day(row["at"]), "case_reference": reference}
        else:
            change = {"at": _minute(row["at"]), "case_reference": reference}
        changes.append(
            {
                "k_id": row["id"],
                "at": _stored(change["at"], dialect),
                "case_reference": change["case_reference"],
            }
        )
    _update(connection, events, ["id"], changes)


def _coarsen_others(connection: sa.Connection, dialect: str) -> None:
    for name, (key, times) in _TIMES.items():
        keys = [key] if key else ["volunteer_id", "message_id"]
        table = _table(name, *keys, times=times)
        changes = [
            {
                **{f"k_{k}": row[k] for k in keys},
                **{t: _stored(_minute(row[t]), dialect) for t in times},
            }
            for row in connection.execute(sa.select(table)).mappings()
        ]
        _update(connection, table, keys, changes)


def upgrade() -> None:
    op.add_column(
        "cases", sa.Column("minute_order", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "cases", sa.Column("person_order", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("cases", sa.Column("first_reply_minutes", sa.Integer(), nullable=True))
    op.add_column(
        "case_entries", sa.Column("seq", sa.Integer(), nullable=False, server_default="0")
    )
    connection = op.get_bind()
    dialect = connection.dialect.name
    closed_ids, closed_references = _coarsen_cases(connection, dialect)
    _coarsen_entries(connection, dialect, closed_ids)
    _coarsen_audit(connection, dialect, closed_references)
    _coarsen_others(connection, dialect)


def downgrade() -> None:
    with op.batch_alter_table("case_entries") as batch:
        batch.drop_column("seq")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("first_reply_minutes")
        batch.drop_column("person_order")
        batch.drop_column("minute_order")
