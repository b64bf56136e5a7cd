"""Binding a tornado HTTP server (the webhook, health and metrics) and learning its port."""

from __future__ import annotations

import tornado.httpserver


def listen(server: tornado.httpserver.HTTPServer, port: int, address: str) -> int:
    """Bind `server` to `address:port` and return the port it got (port 0 asks for a free one,
    as the tests and the bench do). A port in use raises tornado's OSError unchanged."""
    server.listen(port, address)
    sockets = list(server._sockets.values())
    return int(sockets[0].getsockname()[1]) if sockets else port
