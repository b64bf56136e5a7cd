"""Fixtures for the local Bot API server tests: a running server and an HTTP helper."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from localapi import LocalBotApi


@pytest.fixture
def api() -> Iterator[LocalBotApi]:
    """A started server with short fault holds and webhook retries, so tests stay fast."""
    server = LocalBotApi(timeout_hold=3.0, webhook_retry_delay=0.05)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class BotClient:
    """Calls the server the way python-telegram-bot does: form fields, nested objects as JSON."""

    def __init__(self, api: LocalBotApi, http: httpx.Client) -> None:
        self.api = api
        self.http = http

    def url(self, method: str, token: str | None = None) -> str:
        return f"{self.api.base_url}{token or self.api.token}/{method}"

    def raw(self, method: str, **params: Any) -> httpx.Response:
        form = {
            key: value if isinstance(value, str) else json.dumps(value)
            for key, value in params.items()
            if value is not None
        }
        return self.http.post(self.url(method), data=form)

    def __call__(self, method: str, **params: Any) -> dict[str, Any]:
        """The decoded JSON answer, whatever its status."""
        return self.raw(method, **params).json()

    def ok(self, method: str, **params: Any) -> Any:
        """The result of a call that must succeed."""
        body = self(method, **params)
        assert body["ok"] is True, body
        return body["result"]

    def error(self, method: str, **params: Any) -> tuple[int, str]:
        """``(error_code, description)`` of a call that must fail."""
        response = self.raw(method, **params)
        body = response.json()
        assert body["ok"] is False, body
        assert response.status_code == body["error_code"]
        return body["error_code"], body["description"]


@pytest.fixture
def bot(api: LocalBotApi) -> Iterator[BotClient]:
    with httpx.Client(timeout=10) as http:
        yield BotClient(api, http)
