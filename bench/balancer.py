"""A round-robin load balancer for webhook requests: the surge's two-process phase.

    python bench/balancer.py --port P --backend URL --backend URL [--counts FILE]

Listens on 127.0.0.1:P; every POST goes to the next backend in turn (the body, its
Content-Type and the ``X-Telegram-Bot-Api-*`` headers passed on), and the backend's answer comes
back as it was: its status, its Content-Type and its body, which may carry a method for the
Bot API server to run (the intake bot answers a press that way). A backend that cannot be
reached or does not answer in time gets a 502 back, so the server delivers the update again,
as Telegram does. It is what tests/e2e/test_two_processes.py's ``RoundRobin`` does, on aiohttp
and in a process of its own, so that its CPU time is measured apart from the benchmark's.

On SIGTERM or SIGINT it stops and writes how many requests each backend got to ``--counts``
(JSON, in ``--backend`` order). It logs no request: requests carry updates.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import signal
from pathlib import Path

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web

FORWARDED = ("content-type", "x-telegram-bot-api-")
ANSWER_TIMEOUT = 60.0  # longer than the local server waits for an answer (10 s)


class RoundRobin:
    """Each request to the next backend, and its answer back; counts what each got."""

    def __init__(self, backends: list[str], session: ClientSession) -> None:
        self.backends = backends
        self.served = [0] * len(backends)
        self._next = itertools.cycle(range(len(backends)))
        self._session = session

    async def handle(self, request: web.BaseRequest) -> web.Response:
        if request.method != "POST":
            return web.Response(status=405)
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith(FORWARDED)}
        index = next(self._next)
        self.served[index] += 1
        try:
            async with self._session.post(
                self.backends[index], data=body, headers=headers
            ) as answer:
                content = await answer.read()
                content_type = answer.headers.get("Content-Type")
                status = answer.status
        except (ClientError, TimeoutError):
            return web.Response(status=502)
        response = web.Response(status=status, body=content)
        if content_type:
            response.headers["Content-Type"] = content_type
        return response


async def serve(port: int, backends: list[str]) -> list[int]:
    """Until SIGTERM or SIGINT; returns how many requests each backend got."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    connector = TCPConnector(limit=0, limit_per_host=0)
    async with ClientSession(
        connector=connector, timeout=ClientTimeout(total=ANSWER_TIMEOUT)
    ) as session:
        balancer = RoundRobin(backends, session)
        server = web.Server(balancer.handle, access_log=None)
        listener = await loop.create_server(server, "127.0.0.1", port, backlog=256)
        try:
            await stop.wait()
        finally:
            listener.close()
            await server.shutdown(timeout=5)
            await listener.wait_closed()
    return balancer.served


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", action="append", required=True, help="a backend's URL")
    parser.add_argument("--counts", type=Path, help="where to write the requests per backend")
    args = parser.parse_args()
    served = asyncio.run(serve(args.port, args.backend))
    if args.counts is not None:
        args.counts.write_text(json.dumps(served))


if __name__ == "__main__":
    main()
