"""Database models: only ciphertext, keyed pseudonyms and coarse metadata.

No usernames, display names or plaintext ids anywhere: a copied database must tell an adversary
as little as possible. Constraint names come from a naming convention so migrations can refer
to them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CASE_STATUSES = ("waiting", "taken", "closed")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> datetime:
    """Midnight UTC of the current day: the only precision kept for when people were seen."""
    return utcnow().replace(hour=0, minute=0, second=0, microsecond=0)


def new_id() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite drops the offset, so it is restored here)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class KeyringEntry(Base):
    """Secrets the application derives at run time (the pseudonym key), wrapped by a master key."""

    __tablename__ = "keyring"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Person(Base):
    """Someone who wrote to the bot, known only by a keyed pseudonym."""

    __tablename__ = "persons"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    key_blob: Mapped[bytes] = mapped_column(LargeBinary)
    chat_enc: Mapped[bytes] = mapped_column(LargeBinary)
    language: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=today)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=today)


class Case(Base):
    """One request for help; its answers are encrypted under the case's own data key."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(f"'{status}'" for status in CASE_STATUSES) + ")",
            name="status",
        ),
        CheckConstraint("priority >= 1", name="priority_positive"),
        Index("ix_cases_queue", "status", "priority", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(9), unique=True)
    person_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    priority: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    key_blob: Mapped[bytes] = mapped_column(LargeBinary)
    answers_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
