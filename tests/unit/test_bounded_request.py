"""Bot API calls beyond INTAKE_BOT_API_CONNECTIONS wait their turn, and every one is made."""

from __future__ import annotations

import asyncio

from bot.bounded_request import BoundedHTTPXRequest


class SlowServer:
    """A local HTTP/1.1 server that answers each request after a pause, counting how many it
    holds at the same moment."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most_in_flight = 0
        self.answered = 0
        self.finished = asyncio.Event()
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                await reader.readexactly(length)
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
                await asyncio.sleep(0.1)
                self.in_flight -= 1
                self.answered += 1
                body = b'{"ok":true,"result":true}'
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + b"Content-Length: %d\r\n\r\n" % len(body)
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
        self.connections -= 1
        if not self.connections:
            self.finished.set()


async def test_calls_beyond_the_limit_wait_longer_than_the_pool_timeout_and_all_are_made() -> None:
    server = SlowServer()
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    request = BoundedHTTPXRequest(2)
    await request.initialize()
    try:
        url = f"http://127.0.0.1:{port}/botTOKEN/sendMessage"
        results = await asyncio.gather(*(request.do_request(url, "POST") for _ in range(40)))
    finally:
        await request.shutdown()  # closes the client's connections: the handlers end
        await asyncio.wait_for(server.finished.wait(), 10)
        listener.close()
        await listener.wait_closed()
    assert [status for status, _ in results] == [200] * 40
    assert server.answered == 40
    assert server.most_in_flight == 2  # never more than the limit, and the limit was used
