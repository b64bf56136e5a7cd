"""Database models: only ciphertext, keyed pseudonyms and coarse metadata.

No usernames, display names or plaintext ids anywhere: a copied database must tell an adversary
as little as possible. Constraint names come from a naming convention so migrations can refer
to them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    TypeDecorator,
    false,
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
VOLUNTEER_ROLES = ("admin", "volunteer")
ENTRY_KINDS = ("person", "volunteer", "note")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_minute(moment: datetime) -> datetime:
    """The start of the minute: the finest precision any stored time has (see UTCDateTime)."""
    return moment.replace(second=0, microsecond=0)


def to_day(moment: datetime) -> datetime:
    """Midnight UTC of the moment's day: the precision kept for people and for closed cases."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def this_minute() -> datetime:
    return to_minute(utcnow())


def today() -> datetime:
    """Midnight UTC of the current day: the only precision kept for when people were seen."""
    return to_day(utcnow())


def this_hour() -> datetime:
    """The current hour, UTC: the precision kept for when volunteers were last active."""
    return utcnow().replace(minute=0, second=0, microsecond=0)


def new_id() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite drops the offset, so it is restored here).

    Every value is cut to the start of its minute on the way in: times to the second could be
    matched against a copy of Telegram's or a provider's traffic logs. Values compared with a
    column are cut the same way, so comparisons stay consistent.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
        value = to_minute(value.astimezone(UTC))
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """The model's Table: SQLAlchemy types `__table__` as a FromClause."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class KeyringEntry(Base):
    """Secrets the application derives at run time (the pseudonym key), wrapped by a master key."""

    __tablename__ = "keyring"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=this_minute, onupdate=this_minute
    )


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
    # Set by the desk for someone abusing the bot; kept to the day, like last_seen_at.
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A silent block (/block REF silent): they are not told, their requests are held back.
    blocked_silently: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Case(Base):
    """One request for help; its answers are encrypted under the case's own data key."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(_one_of("status", CASE_STATUSES), name="status"),
        CheckConstraint("priority >= 1", name="priority_positive"),
        Index("ix_cases_queue", "status", "priority", "created_at"),
        Index("ix_cases_volunteer_id_status", "volunteer_id", "status"),
        # Counting new cases (the global cap) and finding expired ones (retention).
        Index("ix_cases_created_at", "created_at"),
        Index("ix_cases_closed_at", "closed_at"),
        # A team's queue and its counts (/queue, /teams).
        Index("ix_cases_team_status", "team", "status"),
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
    # Sealed mode: the answers (and the codeword's hash) under a data key of their own, wrapped
    # to the desk by the intake side, which cannot open `key_blob` to re-seal them (Send now,
    # then the rest). NULL: under `key_blob`, as always outside sealed mode.
    answers_key_blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=this_minute)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=this_minute, onupdate=this_minute
    )
    # The volunteer desk: who holds the case, and when it moved.
    volunteer_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("volunteers.id", ondelete="SET NULL")
    )
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erased_by_person: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Times are kept to the minute (to the day once closed), so the queue needs its own order
    # among cases created in the same minute: 1, 2, ... within that minute (0 once closed).
    minute_order: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The person's cases in the order they were made (1, 2, ...): "the newest" outlives the day.
    person_order: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Minutes from the case's creation to the first reply, kept when closing coarsens the times.
    first_reply_minutes: Mapped[int | None] = mapped_column(Integer)
    # The person's codeword, as a slow salted hash sealed under the case's key (never the word),
    # and the check in progress (`storage.codewords`): who asked, whether the person has been
    # asked yet, the wrong answers so far; `codeword_failed` flags three wrong answers.
    codeword_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    codeword_check: Mapped[str | None] = mapped_column(String(16))
    codeword_asked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    codeword_asker_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("volunteers.id", ondelete="SET NULL")
    )
    codeword_misses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    codeword_failed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    codeword_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Its team's queue and its tags (dialogs/routing.yaml), set when it is submitted. Plain like
    # `category`: they say what kind of situation it is, never what the person wrote. No team:
    # stored before teams existed, in every team's queue. Tags: ids separated by spaces (none:
    # "", or NULL when stored before teams existed).
    team: Mapped[str | None] = mapped_column(String(32))
    tags: Mapped[str | None] = mapped_column(String(255))
    # How it ended (an outcome id of dialogs/routing.yaml, set by /close REF OUTCOME), for the
    # group's counts: plain like `category`; None: closed without one, or not closed.
    outcome: Mapped[str | None] = mapped_column(String(32))
    # What the desk was already told about an urgent case (`casework.notices`), each once per
    # case: admins, that nobody took it; the holder (1) then the team (2), that the person has
    # had no reply; and when its team last heard the person wrote while nobody held it.
    admins_alerted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reply_escalation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    realerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which door the request came through ("telegram", or "web": its person has no chat, a
    # reply waits in the web thread). A web case's passphrase as a slow salted hash (never the
    # words) and a short keyed lookup value, so a login hashes against a few cases, not all.
    channel: Mapped[str] = mapped_column(String(16), default="telegram", server_default="telegram")
    passphrase_hash: Mapped[str | None] = mapped_column(String(160))
    passphrase_lookup: Mapped[str | None] = mapped_column(String(8), index=True)
    # A Telegram case to be continued on the web (`/web`): a one-time code as a keyed hash
    # (never the code) and the minute it stops working; both cleared once it is used.
    web_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    web_code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The web thread: the day the person last opened it (the holder is told a reply was
    # read); in sealed mode the person's own X25519 key, its private half wrapped under a key
    # derived from the passphrase (never stored), so the intake side can show the person their
    # thread without being able to read it (`case_entries.person_blob`).
    web_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    person_public_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    person_key_blob: Mapped[bytes | None] = mapped_column(LargeBinary)


class Volunteer(Base):
    """Someone who answers cases; known to the database by a keyed pseudonym and a handle.

    The handle is random (never derived from the Telegram id): it is what colleagues and the
    audit log see. The chat id is encrypted under the volunteer's own data key.
    """

    __tablename__ = "volunteers"
    __table_args__ = (CheckConstraint(_one_of("role", VOLUNTEER_ROLES), name="role"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    handle: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    key_blob: Mapped[bytes] = mapped_column(LargeBinary)
    chat_enc: Mapped[bytes] = mapped_column(LargeBinary)
    language: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=this_minute)
    last_active_at: Mapped[datetime] = mapped_column(UTCDateTime, default=this_hour)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # /duty on: urgent new cases of their teams come to them first (`Desk.recipients`).
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class VolunteerTeam(Base):
    """A volunteer's membership of a team (dialogs/routing.yaml); one row per team.

    A volunteer with no row is in no team and works every team's queue (see
    `casework.desk.teams`). Rows of a team the routing file no longer names are ignored.
    """

    __tablename__ = "volunteer_teams"

    volunteer_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True
    )
    team: Mapped[str] = mapped_column(String(32), primary_key=True)


class Reminder(Base):
    """A volunteer's reminder about a case they hold (`/remind REF 2d text`), sent once.

    The text is sealed under the case's own data key, so shredding the case (/forget, the
    retention purge) makes it unreadable, and the row goes with the case. When it is due is
    kept to the minute, like every stored time; nothing else is kept.
    """

    __tablename__ = "reminders"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    volunteer_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("volunteers.id", ondelete="CASCADE"), index=True
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    text_enc: Mapped[bytes] = mapped_column(LargeBinary)


class Invite(Base):
    """A one-time code that makes someone a volunteer; only a keyed hash of the code is kept."""

    __tablename__ = "invites"
    __table_args__ = (CheckConstraint(_one_of("role", VOLUNTEER_ROLES), name="role"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(
        String(36), ForeignKey("volunteers.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=this_minute)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("volunteers.id", ondelete="SET NULL"), index=True
    )


class CaseEntry(Base):
    """One message in a case's conversation, encrypted under the case's data key.

    Deleting the case deletes its entries, and with them nothing else can decrypt them anyway.
    """

    __tablename__ = "case_entries"
    __table_args__ = (
        CheckConstraint(_one_of("kind", ENTRY_KINDS), name="kind"),
        Index("ix_case_entries_case_id_created_at", "case_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(String(36), ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("volunteers.id", ondelete="SET NULL"), index=True
    )
    body_enc: Mapped[bytes] = mapped_column(LargeBinary)
    # Sealed mode: an entry the intake side added has a data key of its own, wrapped to the
    # desk (the intake cannot open the case's). NULL: under the case's key.
    key_blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Sealed mode, a web case: the entry's text again, sealed to the person's public key
    # (`cases.person_public_key`): what the web thread shows after a login.
    person_blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=this_minute)
    delivered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A volunteer's reply not yet sent to its person: they are written to only when they write.
    held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The entry's place in its case's conversation (1, 2, ...): times alone are too coarse.
    seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class RelayLink(Base):
    """Which case a message the bot relayed into a volunteer's chat belongs to (for replies)."""

    __tablename__ = "relay_links"

    volunteer_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True
    )
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    case_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=this_minute)


class AuditEvent(Base):
    """Who did what to which case, by handle and reference only.

    No foreign keys: the trail outlives an erased case (only its random reference remains) and
    a revoked volunteer.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=this_minute)
    action: Mapped[str] = mapped_column(String(32))
    actor_handle: Mapped[str | None] = mapped_column(String(32))
    case_reference: Mapped[str | None] = mapped_column(String(9), index=True)
    detail: Mapped[str | None] = mapped_column(String(100))


class CaseCopy(Base):
    """A message in a volunteer's (or admin's) chat that showed a case's content.

    Only where it is (the volunteer, whose chat id is encrypted in their row) and its message id,
    so the bot can delete it when the case is erased or purged or the volunteer revoked. The
    message id and the time (to the minute) are kept only while Telegram lets a bot delete the
    message (48 hours); after that the row only says that a copy may remain, so it can be
    reported. No foreign key to the case: the row outlives its case for the moment it takes to
    delete the copies after an erasure (`reference` names the case in that report).
    """

    __tablename__ = "case_copies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    reference: Mapped[str] = mapped_column(String(9))
    volunteer_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("volunteers.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeskSignal(Base):
    """Sealed mode: something the intake side did that the desk must act on (a new case, a
    person's message, an erasure), with no content: the desk reads the rest itself, with its
    key. Deleted once the desk has acted on it. No foreign keys: an erased case's signal must
    still reach the desk (its copies in volunteers' chats are deleted from it)."""

    __tablename__ = "desk_signals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[str | None] = mapped_column(String(36))
    entry_id: Mapped[str | None] = mapped_column(String(36))
    reference: Mapped[str | None] = mapped_column(String(9))
    volunteer_id: Mapped[str | None] = mapped_column(String(36))
    # A number the desk's notice needs (the hourly cap that was reached), never content.
    detail: Mapped[str | None] = mapped_column(String(32))
    # What only the desk may read (a codeword typed for a check), sealed to the desk's key.
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=this_minute)


class Delivery(Base):
    """Sealed mode: a message from the desk to a person, waiting for the intake side to send
    it. The chat id and the text are sealed to the intake's delivery key (the desk cannot keep
    them readable for itself there, and the intake holds no chat id at rest otherwise); the
    row is deleted once sent. A failed one keeps only who to tell (`failed`, no blob)."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    reference: Mapped[str] = mapped_column(String(9))
    volunteer_id: Mapped[str | None] = mapped_column(String(36))
    failed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=this_minute)


class PublicKey(Base):
    """A public key one side publishes for the other (sealed mode: the intake's delivery key,
    which the desk seals its messages to people to). Not secret; kept apart from the keyring,
    whose rows are all wrapped secrets."""

    __tablename__ = "public_keys"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=this_minute, onupdate=this_minute
    )
