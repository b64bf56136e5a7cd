"""Operations: webhook mode with its secret, health and metrics, SIGTERM with nothing lost."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from bot.inprocess import BotThread
from localapi import LocalBotApi
from tests.e2e.conftest import SettingsFactory
from tests.e2e.flows import submit_request
from tests.support.people import command
from tests.support.servers import free_port

SECRET = "a-webhook-secret-of-sufficient-length"


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - local
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()


def a_text_update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    person = {"id": user_id, "is_bot": False, "first_name": "X", "language_code": "en"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1, "date": 1_700_000_000, "text": text,
            "chat": {"id": user_id, "type": "private", "first_name": "X"}, "from": person,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }  # fmt: skip


def test_webhook_mode_serves_people_and_refuses_requests_without_the_secret(
    api: LocalBotApi, make_settings: SettingsFactory
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    settings = make_settings(webhook_url=url, webhook_secret=SECRET, webhook_port=port,
                             webhook_listen="127.0.0.1")  # fmt: skip
    with BotThread(settings):
        assert api.webhook_info()["url"] == url
        person = api.user(6880101, language_code="en")
        reference = submit_request(person)  # delivered by the local API to our webhook
        assert reference
        other = api.user(6880102, language_code="en")
        command(other, "/help", expect="Commands:")  # Telegram lets bots answer once written to
        seen = len(other.bot_messages())
        body = json.dumps(a_text_update(900001, 6880102, "/start")).encode()
        assert post(url, body, {"Content-Type": "application/json"}) == 403
        wrong = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "nope"}
        assert post(url, body, wrong) == 403
        assert len(other.bot_messages()) == seen  # nothing was processed
        right = {**wrong, "X-Telegram-Bot-Api-Secret-Token": SECRET}
        assert post(url, b"{not json", right) == 400
        assert post(url, body, right) == 200
        # answered only after handling: the reply is already there
        assert any("Choose your language" in m.visible_text for m in other.bot_messages())


def test_webhook_needs_a_proper_secret(make_settings: SettingsFactory) -> None:
    settings = make_settings(webhook_url="https://example.invalid/telegram", webhook_secret="x")
    with pytest.raises(Exception, match="INTAKE_WEBHOOK_SECRET"):
        BotThread(settings).start()


def test_health_and_metrics_carry_no_personal_data(
    api: LocalBotApi, make_settings: SettingsFactory, redis_url: str
) -> None:
    port = free_port()
    admin_id = 6880201
    settings = make_settings(health_port=port, redis_url=redis_url, admin_ids=[admin_id])
    with BotThread(settings):
        admin = api.user(admin_id, language_code="en")
        command(admin, "/queue", expect="The queue is empty")
        person = api.user(6880202, language_code="en")
        reference = submit_request(person, details="metrics-canary-text")
        status, body = get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200
        assert json.loads(body) == {"status": "ok", "database": "ok", "redis": "ok",
                                    "bot_api": "ok"}  # fmt: skip
        status, metrics = get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200
        assert 'intake_cases{status="waiting"} 1.0' in metrics
        assert "intake_queue_length 1.0" in metrics
        assert "intake_updates_handled_total" in metrics
        assert "intake_updates_in_flight " in metrics
        for private in (reference, "metrics-canary-text", str(admin_id), "6880202"):
            assert private not in metrics
        command(admin, "/take", expect=f"You took case {reference}")
        command(admin, "/reply", args=f"{reference} hi", expect="Sent to the person")
        _, metrics = get(f"http://127.0.0.1:{port}/metrics")
        assert "intake_queue_length 0.0" in metrics
        assert 'intake_cases{status="taken"} 1.0' in metrics
        api.stop()  # the Bot API goes away
        status, body = get(f"http://127.0.0.1:{port}/healthz")
        assert status == 503
        assert json.loads(body)["bot_api"] != "ok"
