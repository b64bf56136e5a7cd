"""A surge through the bot's own storage wiring: hundreds of people's turns at the same moment
share one Redis client (drafts, locks and their keep-alives) and none fails or hangs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.services import Services
from bot.settings import Settings
from casework.people import Person
from storage.crypto import generate_master_key

PEOPLE = 600  # more than redis-py's default pool allowed before it raised


async def test_hundreds_of_turns_at_once_all_complete_and_release_their_locks(
    redis_url: str, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'intake.db'}"
    settings = Settings(_env_file=None, bot_token="1:x", master_keys=generate_master_key(),  # type: ignore[call-arg]
                        database_url=database, redis_url=redis_url)  # fmt: skip
    services = await Services.start(settings)
    assert services.redis is not None

    async def one(n: int) -> None:
        person = Person(user_id=50_000 + n, chat_id=50_000 + n, client_language="en")
        async with services.turns.turn(person) as turn:
            turn.start()
            # Every tenth turn outlasts a third of the lock timeout, so its keep-alive renews
            # the lock while hundreds of other commands share the connection pool.
            await asyncio.sleep(2.5 if n % 10 == 0 else 0.01)

    try:
        await asyncio.wait_for(asyncio.gather(*(one(n) for n in range(PEOPLE))), 120)
        drafts = [key async for key in services.redis.scan_iter(match="*:draft:*")]
        locks = [key async for key in services.redis.scan_iter(match="*:lock:*")]
        assert len(drafts) == PEOPLE  # every turn saved its questionnaire
        assert locks == []  # and let go of its person
    finally:
        await services.aclose()
