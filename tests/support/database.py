"""Reading a database the way an attacker with a copy of it would: every cell of every table."""

from __future__ import annotations

import asyncio

from sqlalchemy import MetaData, select

from storage.db import make_engine


def dump_rows(url: str) -> list[str]:
    """Every cell of every table as text (bytes read as latin-1, so any byte sequence shows)."""

    async def read() -> list[str]:
        engine = make_engine(url)
        cells: list[str] = []
        try:
            async with engine.connect() as connection:
                metadata = MetaData()
                await connection.run_sync(metadata.reflect)
                for table in metadata.sorted_tables:
                    for row in await connection.execute(select(table)):
                        cells.extend(
                            cell.decode("latin-1") if isinstance(cell, bytes) else str(cell)
                            for cell in row
                        )
        finally:
            await engine.dispose()
        assert cells, "the database should not be empty"
        return cells

    return asyncio.run(read())
