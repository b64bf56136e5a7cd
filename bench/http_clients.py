"""CPU per Bot API call of the bot's HTTP clients: python-telegram-bot's httpx request (as the
bot builds it, bot.bounded_request) against bot.aiohttp_request, each on asyncio and on uvloop.

For every run a fresh local Bot API server is started in a process of its own, then a client
process that, through `telegram.Bot`, makes `--calls` calls as `--people` people at once: each
person gets a screen with a two-row inline keyboard (sendMessage) and then has it edited into
the next one (editMessageText), again and again, the mix a questionnaire makes. The client
counts its own CPU time (user + system, all threads, `getrusage`) for those calls only, after a
warm-up; start-up, imports and the warm-up are not in the figure. The four configurations run
in turn, round after round (`--rounds`, 5), so a drift of the machine's speed touches each alike;
the report gives each one's median CPU ms per call, its spread (min-max) and its ratio to httpx
on asyncio, taken round by round (the median of those ratios).

    .venv/bin/python bench/http_clients.py                  # 5 rounds of 4000 calls, ~3 min
    .venv/bin/python bench/http_clients.py --rounds 7 --calls 6000 --json out.json

The bot's own settings are used: INTAKE_BOT_API_CONNECTIONS' default pool of 16 connections,
calls beyond it waiting their turn (bot.clients.bot_request).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = [("httpx", "asyncio"), ("aiohttp", "asyncio"), ("httpx", "uvloop"), ("aiohttp", "uvloop")]
FIRST_USER = 8800000


def serve(people: int) -> None:
    """The local Bot API server until standard input closes; its address on standard output."""
    from localapi import LocalBotApi

    api = LocalBotApi(token="123456:BENCH-HTTP-CLIENTS")  # noqa: S106 - a local test server
    api.start()
    try:
        for n in range(people):
            api.user(FIRST_USER + n, language_code="en").send_command("/start")
        print(json.dumps({"base_url": api.base_url, "token": api.token}), flush=True)  # noqa: T201
        sys.stdin.read()
    finally:
        api.stop()


async def drive(base_url: str, token: str, client: str, calls: int, people: int) -> dict[str, Any]:
    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

    from bot.clients import bot_request
    from bot.settings import Settings

    settings = Settings(http_client=client, bot_token=token, api_url=base_url)
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(f"Answer {n}", callback_data=f"s:{n}") for n in range(3)],
            [InlineKeyboardButton("Back", callback_data="back")],
        ]
    )
    text = "What is the situation right now? " * 4  # about a screen's length

    async def person(user_id: int, steps: int) -> None:
        screen = await bot.send_message(user_id, text, reply_markup=keyboard)
        for step in range(steps - 1):
            await bot.edit_message_text(
                f"{step}. {text}", chat_id=user_id, message_id=screen.message_id,
                reply_markup=keyboard,
            )  # fmt: skip

    async def wave(total: int) -> None:
        steps = max(2, total // people)
        await asyncio.gather(*(person(FIRST_USER + n, steps) for n in range(people)))

    bot = Bot(token, base_url=base_url, request=bot_request(settings))
    async with bot:
        await wave(people * 2)  # warm-up: connections made, code paths taken once
        steps = max(2, calls // people)
        before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        await wave(calls)
        after, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - started
    made = steps * people
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"calls": made, "cpu_ms_per_call": 1000 * cpu / made, "calls_per_s": made / wall}


def client_main(args: argparse.Namespace) -> None:
    coroutine = drive(args.base_url, args.token, args.client, args.calls, args.people)
    if args.loop == "uvloop":
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            result = runner.run(coroutine)
    else:
        result = asyncio.run(coroutine)
    print(json.dumps(result), flush=True)  # noqa: T201


def one_run(client: str, loop: str, calls: int, people: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    me = [sys.executable, str(Path(__file__).resolve())]
    server = subprocess.Popen(  # noqa: S603
        [*me, "--serve", "--people", str(people)], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        address = json.loads(server.stdout.readline())
        done = subprocess.run(  # noqa: S603
            [*me, "--client", client, "--loop", loop, "--calls", str(calls),
             "--people", str(people), "--base-url", address["base_url"],
             "--token", address["token"]],
            capture_output=True, text=True, env=env, timeout=600, check=True,
        )  # fmt: skip
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=4000)
    parser.add_argument("--people", type=int, default=500, help="calls at once (one per person)")
    parser.add_argument("--json", type=Path, help="also write every run's figures here")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--loop", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.people)
        return
    if args.client:
        client_main(args)
        return
    runs: dict[str, list[dict[str, Any]]] = {f"{c}/{lp}": [] for c, lp in CONFIGS}
    for round_ in range(args.rounds):
        order = CONFIGS if round_ % 2 == 0 else CONFIGS[::-1]  # no config always first
        for client, loop in order:
            result = one_run(client, loop, args.calls, args.people)
            runs[f"{client}/{loop}"].append(result)
            print(f"round {round_ + 1} {client:>7} on {loop:<7} "  # noqa: T201
                  f"{result['cpu_ms_per_call']:.3f} CPU ms/call, "
                  f"{result['calls_per_s']:.0f} calls/s", flush=True)  # fmt: skip
    base = [r["cpu_ms_per_call"] for r in runs["httpx/asyncio"]]
    summary = {}
    header = ("client/loop", "CPU ms/call median", "min-max", "vs httpx/asyncio")
    print("\n{:<16} {:>19} {:>15} {:>17}".format(*header))  # noqa: T201
    for name, results in runs.items():
        cpu = [r["cpu_ms_per_call"] for r in results]
        ratios = [c / b for c, b in zip(cpu, base, strict=True)]
        summary[name] = {
            "cpu_ms_per_call_median": statistics.median(cpu),
            "cpu_ms_per_call_min": min(cpu),
            "cpu_ms_per_call_max": max(cpu),
            "ratio_to_httpx_asyncio_median": statistics.median(ratios),
            "ratio_min": min(ratios),
            "ratio_max": max(ratios),
            "calls_per_s_median": statistics.median(r["calls_per_s"] for r in results),
        }
        print(f"{name:<16} {statistics.median(cpu):>19.3f} "  # noqa: T201
              f"{min(cpu):>7.3f}-{max(cpu):<7.3f} {statistics.median(ratios):>10.2f} "
              f"({min(ratios):.2f}-{max(ratios):.2f})")  # fmt: skip
    if args.json:
        args.json.write_text(
            json.dumps({"args": {"rounds": args.rounds, "calls": args.calls,
                                 "people": args.people}, "summary": summary, "runs": runs},
                       indent=2) + "\n", encoding="utf-8",
        )  # fmt: skip


if __name__ == "__main__":
    main()
