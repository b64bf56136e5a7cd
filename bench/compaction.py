"""What one compaction after an erasure costs (`storage.compaction`), at a realistic size.

    .venv/bin/python bench/compaction.py [--drafts 10000] [--cases 10000]

Redis: a throwaway redis-server with the append-only file on and Redis's default snapshots (as
docker-compose.yml runs it) holding N sealed drafts, each saved three times; one compaction
(SCAN, BGREWRITEAOF, BGSAVE) timed, with the slowest GET another client saw meanwhile.
PostgreSQL: N cases (2 kB answers, one entry each) for N/2 people, 100 of them erased; one
`VACUUM (FULL)` of the erased tables timed, with the slowest lookup another connection saw
meanwhile. SQLite: the same rows, the checkpoint after the erasure. Everything is started here
and stopped again by pid; nothing is kept.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path

import redis
import sqlalchemy as sa
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage.compaction import ERASED_TABLES, LOCK_TIMEOUT_SECONDS, Compactor  # noqa: E402
from storage.crypto import Cipher, MasterKeyWrapper, generate_master_key, parse_master_keys  # noqa: E402
from storage.db import create_schema, make_engine, make_sessionmaker, vacuum_full  # noqa: E402
from storage.desk import add_entry  # noqa: E402
from storage.erasure import checkpoint, erase_person  # noqa: E402
from storage.repositories import create_case, upsert_person  # noqa: E402
from storage.state import RedisDraftStore  # noqa: E402
from tests.support.redisfiles import start_aof_redis  # noqa: E402
from tests.support.servers import PostgresServer, postgres_bindir  # noqa: E402

DRAFT = {
    "session": {
        "language": "ru",
        "answers": {
            "who": "self", "situation": "contract", "where": "russia", "urgency": "week",
            "needs": ["legal", "route"], "documents": ["military-id"],
            "story": "Подписал контракт под давлением, паспорт забрали в части. " * 12,
        },
        "history": ["who", "situation", "where", "urgency", "needs", "documents", "story"],
    },
    "last_prompt": 123456,
    "started": 1796000000.0,
}  # fmt: skip


async def _slowest(probe: object, done: asyncio.Event) -> float:
    worst = 0.0
    while not done.is_set():
        start = time.perf_counter()
        await probe()  # type: ignore[operator]
        worst = max(worst, time.perf_counter() - start)
        await asyncio.sleep(0.001)
    return worst


async def bench_redis(drafts: int, cipher: Cipher) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, start_aof_redis(Path(tmp) / "redis") as server:
        client = Redis.from_url(server.url)
        try:
            store = RedisDraftStore(client, cipher, 72 * 3600)
            owners = [secrets.token_hex(32) for _ in range(drafts)]
            for _ in range(3):
                for owner in owners:
                    await store.save(owner, DRAFT)
            for owner in owners[: drafts // 100]:  # 1 % of them forget
                await store.delete(owner)
            size_before = sum(p.stat().st_size for p in server.directory.rglob("*") if p.is_file())
            # Another client, in a thread of its own (so this event loop's work is not counted).
            stop = threading.Event()
            slowest = [0.0]

            def watch() -> None:
                other = redis.Redis(port=server.port)
                while not stop.is_set():
                    begun = time.perf_counter()
                    other.get("intake:draft:x")
                    slowest[0] = max(slowest[0], time.perf_counter() - begun)
                    time.sleep(0.001)
                other.close()

            watcher = threading.Thread(target=watch)
            watcher.start()
            start = time.perf_counter()
            failed = await Compactor(None, client, interval=60).run()
            elapsed = time.perf_counter() - start
            stop.set()
            await asyncio.to_thread(watcher.join)
            worst = slowest[0]
            assert not failed, failed
            info = await client.info("persistence")
            stats = await client.info("stats")
            size_after = sum(p.stat().st_size for p in server.directory.rglob("*") if p.is_file())
            memory = (await client.info("memory"))["used_memory"]
        finally:
            await client.aclose()
    return {
        "drafts": drafts,
        "files_before_mb": size_before / 1e6,
        "files_after_mb": size_after / 1e6,
        "used_memory_mb": memory / 1e6,
        "compaction_s": elapsed,
        "last_aof_rewrite_s": float(info["aof_last_rewrite_time_sec"]),
        "last_bgsave_s": float(info["rdb_last_bgsave_time_sec"]),
        "last_fork_ms": int(stats["latest_fork_usec"]) / 1000,
        "slowest_get_during_ms": worst * 1000,
    }


async def _fill(url: str, cipher: Cipher, cases: int) -> tuple[object, list[str]]:
    engine = make_engine(url)
    await create_schema(engine)
    sessions = make_sessionmaker(engine)
    pseudonyms = []
    for n in range(cases // 2):
        pseudonym = secrets.token_hex(32)
        pseudonyms.append(pseudonym)
        async with sessions.begin() as db:
            person = await upsert_person(db, cipher, pseudonym=pseudonym, chat_id=10_000 + n,
                                         language="ru")  # fmt: skip
            for _ in range(2):
                case = await create_case(db, cipher, person=person, answers=DRAFT["session"],
                                         priority=1, category="c", language="ru")  # fmt: skip
                await add_entry(db, cipher, case, kind="person", body="где вы? " * 30,
                                author=None)  # fmt: skip
    for pseudonym in pseudonyms[:100]:
        async with sessions.begin() as db:
            await erase_person(db, pseudonym)
    return engine, pseudonyms


async def bench_postgres(cases: int, cipher: Cipher) -> dict[str, float]:
    bindir = postgres_bindir()
    assert bindir is not None, "PostgreSQL binaries not found"
    server = PostgresServer(bindir)
    server.start()
    try:
        engine, _ = await _fill(server.url_for(server.create_database()), cipher, cases)
        async with engine.connect() as connection:  # type: ignore[attr-defined]
            size = await connection.scalar(sa.text(
                "SELECT sum(pg_total_relation_size(c::regclass))"
                " FROM unnest(CAST(:t AS text[])) AS c"
            ).bindparams(t=list(ERASED_TABLES)))  # fmt: skip
        done = asyncio.Event()

        async def lookup() -> None:
            async with engine.connect() as c:  # type: ignore[attr-defined]
                await c.execute(sa.text("SELECT count(*) FROM cases WHERE status = 'waiting'"))

        watcher = asyncio.create_task(_slowest(lookup, done))
        await asyncio.sleep(0.05)
        start = time.perf_counter()
        await vacuum_full(engine, ERASED_TABLES, lock_timeout=LOCK_TIMEOUT_SECONDS)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - start
        done.set()
        worst = await watcher
        await engine.dispose()  # type: ignore[attr-defined]
    finally:
        server.stop()
    return {"cases": cases, "tables_mb": int(size) / 1e6, "vacuum_full_s": elapsed,
            "slowest_lookup_during_ms": worst * 1000}  # fmt: skip


async def bench_sqlite(cases: int, cipher: Cipher) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "intake.db"
        engine, _ = await _fill(f"sqlite:///{path}", cipher, cases)
        wal = await asyncio.to_thread(lambda: Path(str(path) + "-wal").stat().st_size)
        start = time.perf_counter()
        assert await checkpoint(engine)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - start
        await engine.dispose()  # type: ignore[attr-defined]
    return {"cases": cases, "wal_mb": wal / 1e6, "checkpoint_s": elapsed}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--only", choices=("redis", "postgresql", "sqlite"))
    args = parser.parse_args()
    cipher = Cipher(MasterKeyWrapper(parse_master_keys(generate_master_key())))
    parts = {
        "redis": lambda: bench_redis(args.drafts, cipher),
        "postgresql": lambda: bench_postgres(args.cases, cipher),
        "sqlite": lambda: bench_sqlite(args.cases, cipher),
    }
    for name, run in parts.items():
        if args.only not in (None, name):
            continue
        result = await run()
        figures = (
            f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()
        )
        print(name, ", ".join(figures))  # noqa: T201


if __name__ == "__main__":
    asyncio.run(main())
