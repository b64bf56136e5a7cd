"""Alembic environment for the intake bot's database.

`storage.schema` runs migrations on a connection it opens (passed in `config.attributes`), so
the application's engine settings apply and nothing here configures logging: alembic's
`fileConfig` would replace the application's redacting log set-up. Run by hand (alembic's own
command line, with `sqlalchemy.url` set) it opens an async engine itself.

SQLite: foreign keys are switched off while tables are rebuilt by batch operations (a rebuilt
table is dropped, and with foreign keys on that would cascade into its children), then checked
and switched back on. PostgreSQL: an advisory lock makes concurrent upgrades (two instances
starting at once) run one after the other; the second then finds nothing to do.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage.db import make_engine, run_pragma
from storage.models import Base

# Any constant shared by every process that migrates this database.
_MIGRATION_LOCK = 0x1A7A_4B07


def _migrate(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        run_pragma(connection, "PRAGMA foreign_keys=OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                )
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
                if broken is not None:
                    raise RuntimeError(f"migration left a broken reference in {broken[0]!r}")
        if connection.in_transaction():
            connection.commit()
    finally:
        if sqlite:
            if connection.in_transaction():
                connection.rollback()
            run_pragma(connection, "PRAGMA foreign_keys=ON")


async def _migrate_from_url(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate)
    finally:
        await engine.dispose()


def _main() -> None:
    if context.is_offline_mode():
        raise RuntimeError("offline (--sql) migrations are not supported")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given and no sqlalchemy.url configured")
    asyncio.run(_migrate_from_url(url))


_main()
