"""The local Bot API server over raw HTTP: Telegram's wire format, rules and error texts."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from localapi import LocalBotApi
from tests.localapi.conftest import BotClient

KEYBOARD = {
    "inline_keyboard": [
        [{"text": "Yes, continue", "callback_data": "yes"}, {"text": "No", "callback_data": "no"}],
        [{"text": "Read more", "url": "https://example.org"}],
    ]
}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


def started_user(api: LocalBotApi, **kwargs: Any):
    """A user who has written to the bot, so the bot may answer."""
    user = api.user(**kwargs)
    user.send_command("/start")
    return user


# ------------------------------------------------------------------------------ basics


def test_get_me_with_any_encoding_and_method_case(api: LocalBotApi, bot: BotClient) -> None:
    me = bot.ok("getMe")
    assert me["id"] == 123456
    assert me["is_bot"] is True
    assert me["username"] == "intake_test_bot"
    assert bot.http.get(bot.url("GETME")).json()["result"] == me
    response = bot.http.post(bot.url("getme"), json={})
    assert response.json() == {"ok": True, "result": me}
    assert response.headers["Content-Type"].startswith("application/json")


def test_wrong_token_and_unknown_method(api: LocalBotApi, bot: BotClient) -> None:
    response = bot.http.post(bot.url("getMe", token="123456:WRONG"))
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    response = bot.http.post(bot.url("sendTelepathy"))
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert bot.http.get(f"{api.url}/elsewhere").status_code == 404
    assert [call.status for call in api.calls()] == [401, 404]


def test_parameters_from_query_string_json_and_multipart(api: LocalBotApi, bot: BotClient) -> None:
    user = started_user(api)
    bot.http.get(bot.url("sendMessage"), params={"chat_id": user.id, "text": "from query"})
    bot.http.post(bot.url("sendMessage"), json={"chat_id": user.id, "text": "from json"})
    bot.http.post(
        bot.url("sendMessage"),
        data={"chat_id": str(user.id), "text": "from multipart"},
        files={"thumbnail": ("thumb.jpg", b"\xff\xd8", "image/jpeg")},
    )
    assert [m.text for m in user.bot_messages()] == ["from query", "from json", "from multipart"]
    assert api.calls("sendMessage")[-1].files == {"thumbnail": "thumb.jpg"}


# ---------------------------------------------------------------------------- updates


def test_get_updates_offset_and_limit(api: LocalBotApi, bot: BotClient) -> None:
    user = api.user()
    for text in ("one", "two", "three"):
        user.send_text(text)
    assert api.pending_updates() == 3
    first_two = bot.ok("getUpdates", limit=2)
    assert [u["message"]["text"] for u in first_two] == ["one", "two"]
    assert first_two[1]["update_id"] == first_two[0]["update_id"] + 1
    # Without a higher offset nothing is confirmed.
    assert len(bot.ok("getUpdates")) == 3
    rest = bot.ok("getUpdates", offset=first_two[1]["update_id"] + 1)
    assert [u["message"]["text"] for u in rest] == ["three"]
    assert api.pending_updates() == 1
    assert bot.ok("getUpdates", offset=rest[0]["update_id"] + 1) == []
    assert api.pending_updates() == 0


def test_negative_offset_keeps_only_the_newest(api: LocalBotApi, bot: BotClient) -> None:
    user = api.user()
    for text in ("a", "b", "c"):
        user.send_text(text)
    assert [u["message"]["text"] for u in bot.ok("getUpdates", offset=-1)] == ["c"]
    assert api.pending_updates() == 1


def test_message_update_shape(api: LocalBotApi, bot: BotClient) -> None:
    user = api.user(777, first_name="Anna", username="anna", language_code="en")
    user.send_command("/start", "ref42")
    (update,) = bot.ok("getUpdates")
    message = update["message"]
    assert message["message_id"] == 1
    assert message["text"] == "/start ref42"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert message["from"] == {
        "id": 777,
        "is_bot": False,
        "first_name": "Anna",
        "username": "anna",
        "language_code": "en",
    }
    assert message["chat"] == {
        "id": 777,
        "type": "private",
        "first_name": "Anna",
        "username": "anna",
    }
    assert abs(message["date"] - api.now()) < 5
    assert api.user(777) is user


def test_long_poll_returns_as_soon_as_an_update_arrives(api: LocalBotApi, bot: BotClient) -> None:
    user = api.user()
    timer = threading.Timer(0.2, user.send_text, args=("wake up",))
    timer.start()
    started = time.monotonic()
    try:
        updates = bot.ok("getUpdates", timeout=10)
    finally:
        timer.join()
    assert 0.1 < time.monotonic() - started < 3
    assert updates[0]["message"]["text"] == "wake up"


def test_long_poll_times_out_empty(api: LocalBotApi, bot: BotClient) -> None:
    started = time.monotonic()
    assert bot.ok("getUpdates", timeout=0.3) == []
    assert 0.25 < time.monotonic() - started < 2


async def test_second_long_poll_terminates_the_first(api: LocalBotApi) -> None:
    url = f"{api.base_url}{api.token}/getUpdates"
    async with httpx.AsyncClient(timeout=10) as http:
        first = asyncio.create_task(http.post(url, data={"timeout": "5"}))
        await asyncio.sleep(0.2)
        second = await http.post(url, data={"timeout": "0"})
        first_response = await first
    assert second.json() == {"ok": True, "result": []}
    assert first_response.status_code == 409
    assert first_response.json()["description"].startswith(
        "Conflict: terminated by other getUpdates request"
    )


def test_allowed_updates_filters_new_updates(api: LocalBotApi, bot: BotClient) -> None:
    user = started_user(api)
    sent = bot.ok("sendMessage", chat_id=user.id, text="Pick", reply_markup=KEYBOARD)
    bot.ok("getUpdates", offset=-1, allowed_updates=["message"])
    bot.ok("getUpdates", offset=bot.ok("getUpdates")[-1]["update_id"] + 1)
    user.press("No", message_id=sent["message_id"])
    user.send_text("text still arrives")
    updates = bot.ok("getUpdates")
    assert [list(u)[1] for u in updates] == ["message"]
    # An empty list restores the default set, which includes callback queries.
    bot.ok("getUpdates", offset=updates[-1]["update_id"] + 1, allowed_updates=[])
    user.press("No", message_id=sent["message_id"])
    assert "callback_query" in bot.ok("getUpdates")[0]


# ----------------------------------------------------------------------------- sending


def test_bot_cannot_write_first_or_to_unknown_chats(api: LocalBotApi, bot: BotClient) -> None:
    user = api.user()
    assert bot.error("sendMessage", chat_id=user.id, text="hi") == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
    )
    assert bot.error("sendMessage", chat_id=42, text="hi") == (400, "Bad Request: chat not found")
    assert (
        bot.error("sendMessage", chat_id="@someone", text="hi")[1] == "Bad Request: chat not found"
    )
    assert bot.error("sendMessage", text="hi")[1] == "Bad Request: chat_id is empty"
    user.send_text("hello")
    assert bot.ok("sendMessage", chat_id=user.id, text="hi")["message_id"] == 2


def test_blocked_user(api: LocalBotApi, bot: BotClient) -> None:
    user = started_user(api)
    bot.ok("getUpdates", offset=-1)
    user.block()
    assert user.blocked
    assert bot.error("sendMessage", chat_id=user.id, text="hi") == (
        403,
        "Forbidden: bot was blocked by the user",
    )
    member_update = bot.ok("getUpdates", offset=-1)[0]["my_chat_member"]
    assert member_update["new_chat_member"]["status"] == "kicked"
    with pytest.raises(AssertionError, match="blocked"):
        user.send_text("let me in")
    user.unblock()
    assert bot.ok("sendMessage", chat_id=user.id, text="welcome back")["text"] == "welcome back"


def test_send_message_validation(api: LocalBotApi, bot: BotClient) -> None:
    user = started_user(api)
    assert (
        bot.error("sendMessage", chat_id=user.id, text="")[1]
        == "Bad Request: message text is empty"
    )
    assert bot.error("sendMessage", chat_id=user.id, text="   ")[1] == (
        "Bad Request: message text is empty"
    )
    assert bot.ok("sendMessage", chat_id=user.id, text="x" * 4096)
    assert bot.error("sendMessage", chat_id=user.id, text="x" * 4097)[1] == (
        "Bad Request: message is too long"
    )
    # The limit applies after markup is parsed.
    assert bot.ok("sendMessage", chat_id=user.id, text=f"<b>{'x' * 4096}</b>", parse_mode="HTML")
    _, description = bot.error(
        "sendMessage", chat_id=user.id, text="Done.", parse_mode="MarkdownV2"
    )
    assert description.startswith("Bad Request: can't parse entities: Character '.' is reserved")
    long_data = {"inline_keyboard": [[{"text": "x", "callback_data": "d" * 65}]]}
    assert bot.error("sendMessage", chat_id=user.id, text="x", reply_markup=long_data)[1] == (
        "Bad Request: BUTTON_DATA_INVALID"
    )
    no_action = {"inline_keyboard": [[{"text": "x"}]]}
    assert bot.error("sendMessage", chat_id=user.id, text="x", reply_markup=no_action)[1] == (
        "Bad Request: text buttons are unallowed in the inline keyboard"
    )
    assert bot.error("sendMessage", chat_id=user.id, text="x", reply_markup="{oops")[1] == (
        "Bad Request: can't parse reply keyboard markup JSON object"
    )


def test_sent_message_as_the_user_sees_it(api: LocalBotApi, bot: BotClient) -> None:
    user = started_user(api)
    question = user.send_text("Can I ask?")
    sent = bot.ok(
        "sendMessage",
        chat_id=user.id,
        text="<b>Sure</b>, pick one",
        parse_mode="HTML",
        reply_markup=KEYBOARD,
        protect_content=True,
        disable_notification=True,
        reply_parameters={"message_id": question},
        link_preview_options={"is_disabled": True},
    )
    assert sent["text"] == "Sure, pick one"
    assert sent["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    assert sent["has_protected_content"] is True
    assert sent["reply_to_message"]["text"] == "Can I ask?"
    assert sent["reply_markup"] == KEYBOARD
    seen = user.last_bot_message()
    assert seen is not None
    assert seen.text == "Sure, pick one"
    assert seen.protect_content is True
    assert seen.reply_to == question
    assert seen.button_texts == ["Yes, continue", "No", "Read more"]
    assert seen.buttons[1][0].url == "https://example.org"
    assert [m.message_id for m in user.messages()] == [1, 2, 3]
    (call,) = api.calls("sendmessage")
    assert call.params["protect_content"] is True
    assert call.params["chat_id"] == user.id
    assert call.params["reply_markup"] == KEYBOARD
    assert call.applied


def test_reply_to_missing_message(api: LocalBotApi, bot: BotClient) -> None:
    user = started_user(api)
    assert bot.error("sendMessage", chat_id=user.id, text="x", reply_to_message_id=99)[1] == (
        "Bad Request: message to be replied not found"
    )
    sent = bot.ok(
        "sendMessage",
        chat_id=user.id,
        text="x",
        reply_parameters={"message_id": 99, "allow_sending_without_reply": True},
    )
    assert "reply_to_message" not in sent


def test_message_ids_are_per_chat_and_shared_by_both_sides(
    api: LocalBotApi, bot: BotClient
) -> None:
    alice, bob = started_user(api), started_user(api)
    assert bot.ok("sendMessage", chat_id=alice.id, text="hi")["message_id"] == 2
    assert alice.send_text("again") == 3
    assert bot.ok("sendMessage", chat_id=bob.id, text="hi")["message_id"] == 2
    assert alice.mark() == 3
    assert bob.mark() == 2


def test_reply_keyboard_and_removal(api: LocalBotApi, bot: BotClient) -> None:
    user = started_user(api)
    keyboard = {"keyboard": [[{"text": "Share"}, "Skip"]], "resize_keyboard": True}
    sent = bot.ok("sendMessage", chat_id=user.id, text="Choose", reply_markup=keyboard)
    assert "reply_markup" not in sent  # only inline keyboards are part of a Message
    assert user.last_bot_message().reply_keyboard == [["Share", "Skip"]]
    bot.ok("sendMessage", chat_id=user.id, text="ok", reply_markup={"remove_keyboard": True})
    bot.ok("sendMessage", chat_id=user.id, text="?", reply_markup={"force_reply": True})


# ----------------------------------------------------------------------------- editing


def test_edit_message_text_rules(api: LocalBotApi, bot: BotClient) -> None:
    user = started_user(api)
    sent = bot.ok("sendMessage", chat_id=user.id, text="Question", reply_markup=KEYBOARD)
    message_id = sent["message_id"]
    same = {"chat_id": user.id, "message_id": message_id, "reply_markup": KEYBOARD}
    assert bot.error("editMessageText", text="Question", **same) == (400, NOT_MODIFIED)
    # Formatting is content too: making the text bold is a modification.
    edited = bot.ok("editMessageText", text="<b>Question</b>", parse_mode="HTML", **same)
    assert "edit_date" not in sent
    assert edited["edit_date"] >= sent["date"]
    assert edited["entities"] == [{"type": "bold", "offset": 0, "length": 8}]
    assert bot.error("editMessageText", text="<b>Question</b>", parse_mode="HTML", **same) == (
        400,
        NOT_MODIFIED,
    )
    # Editing the text without reply_markup removes the keyboard, as on Telegram.
    bot.ok("editMessageText", chat_id=user.id, message_id=message_id, text="Answered")
    seen = user.last_bot_message()
    assert (seen.text, seen.buttons, seen.edited) == ("Answered", [], True)
    assert bot.error("editMessageText", chat_id=user.id, message_id=99, text="x")[1] == (
        "Bad Request: message to edit not found"
    )
    assert bot.error("editMessageText", chat_id=user.id, message_id=1, text="x")[1] == (
        "Bad Request: message can't be edited"
    )
    assert bot.error("editMessageText", chat_id=user.id, message_id=message_id, text="")[1] == (
        "Bad Request: message text is empty"
    )


def test_edit_reply_markup(api: LocalBotApi, bot: BotClient) -> None:
    user = started_user(api)
    message_id = bot.ok("sendMessage", chat_id=user.id, text="Q", reply_markup=KEYBOARD)[
        "message_id"
    ]
    smaller = {"inline_keyboard": [[{"text": "Only", "callback_data": "only"}]]}
    result = bot.ok(
        "editMessageReplyMarkup", chat_id=user.id, message_id=message_id, reply_markup=smaller
    )
    assert result["reply_markup"] == smaller
    assert bot.error(
        "editMessageReplyMarkup", chat_id=user.id, message_id=message_id, reply_markup=smaller
    ) == (400, NOT_MODIFIED)
    bot.ok("editMessageReplyMarkup", chat_id=user.id, message_id=message_id)
    assert user.last_bot_message().buttons == []


# ---------------------------------------------------------------------------- deleting


def test_delete_message_and_the_48_hour_window(api: LocalBotApi, bot: BotClient) -> None:
    user = started_user(api)
    first = bot.ok("sendMessage", chat_id=user.id, text="old")["message_id"]
    assert bot.ok("deleteMessage", chat_id=user.id, message_id=1) is True  # the user's /start
    assert bot.error("deleteMessage", chat_id=user.id, message_id=1)[1] == (
        "Bad Request: message to delete not found"
    )
    api.advance_clock(48 * 3600)
    fresh = bot.ok("sendMessage", chat_id=user.id, text="new")
    assert fresh["date"] - 48 * 3600 >= int(time.time()) - 5
    assert bot.error("deleteMessage", chat_id=user.id, message_id=first)[1] == (
        "Bad Request: message can't be deleted"
    )
    assert bot.ok("deleteMessage", chat_id=user.id, message_id=fresh["message_id"])
    assert user.deleted_message_ids() == {1, fresh["message_id"]}
    assert [m.text for m in user.messages()] == ["old"]


def test_delete_messages(api: LocalBotApi, bot: BotClient) -> None:
    user = started_user(api)
    ids = [bot.ok("sendMessage", chat_id=user.id, text=str(n))["message_id"] for n in range(3)]
    api.advance_clock(47 * 3600)
    late = bot.ok("sendMessage", chat_id=user.id, text="late")["message_id"]
    api.advance_clock(2 * 3600)  # the first three are now older than 48 hours
    # Missing and undeletable messages are skipped; one deletion is enough for success.
    assert bot.ok("deleteMessages", chat_id=user.id, message_ids=[*ids, late, 500]) is True
    assert user.deleted_message_ids() == {late}
    assert bot.error("deleteMessages", chat_id=user.id, message_ids=[500, late])[1] == (
        "Bad Request: message to delete not found"
    )
    assert bot.error("deleteMessages", chat_id=user.id, message_ids=[])[1] == (
        "Bad Request: message identifiers are not specified"
    )
    assert bot.error("deleteMessages", chat_id=user.id, message_ids=list(range(1, 102)))[0] == 400
    assert (
        bot.error("deleteMessages", chat_id=999, message_ids=[1])[1]
        == "Bad Request: chat not found"
    )


# ----------------------------------------------------------------------------- buttons


def test_press_finds_buttons_and_sends_the_full_message(api: LocalBotApi, bot: BotClient) -> None:
    user = started_user(api)
    sent = bot.ok("sendMessage", chat_id=user.id, text="Pick", reply_markup=KEYBOARD)
    bot.ok("getUpdates", offset=-1)
    bot.ok("getUpdates", offset=bot.ok("getUpdates")[0]["update_id"] + 1)
    query_id = user.press("Yes, continue")
    assert user.press("contin") != query_id  # a unique substring
    user.press("no")  # callback_data
    updates = bot.ok("getUpdates")
    queries = [u["callback_query"] for u in updates]
    assert [q["data"] for q in queries] == ["yes", "yes", "no"]
    assert queries[0]["id"] == query_id
    assert queries[0]["from"]["id"] == user.id
    assert queries[0]["message"] == sent
    assert queries[0]["chat_instance"]
    with pytest.raises(AssertionError, match=r"no button 'Maybe'.*'Yes, continue' \(data='yes'\)"):
        user.press("Maybe")
    with pytest.raises(AssertionError, match="not a callback button"):
        user.press("Read more")


def test_press_without_keyboard_shows_the_chat(api: LocalBotApi) -> None:
    user = started_user(api)
    with pytest.raises(
        AssertionError, match=r"no bot message with inline buttons(.|\n)*#1 user: /start"
    ):
        user.press("Anything")


def test_answer_callback_query(api: LocalBotApi, bot: BotClient) -> None:
    user = started_user(api)
    message_id = bot.ok("sendMessage", chat_id=user.id, text="Pick", reply_markup=KEYBOARD)[
        "message_id"
    ]
    forged = user.press_data(message_id, "forged-data")
    assert bot.ok("answerCallbackQuery", callback_query_id=forged, text="Outdated", show_alert=True)
    assert user.callback_answers() == [
        {
            "callback_query_id": forged,
            "text": "Outdated",
            "show_alert": True,
            "url": None,
            "cache_time": 0,
        }
    ]
    too_old = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    assert bot.error("answerCallbackQuery", callback_query_id=forged)[1] == too_old
    assert bot.error("answerCallbackQuery", callback_query_id="123")[1] == too_old
    late = user.press("No")
    api.advance_clock(3600)
    assert bot.error("answerCallbackQuery", callback_query_id=late)[1] == too_old


# ------------------------------------------------------------------------------ faults


def test_injected_429_and_500(api: LocalBotApi, bot: BotClient) -> None:
    user = started_user(api)
    api.inject_fault("sendMessage", "429", times=2, retry_after=7)
    api.inject_fault("SENDMESSAGE", "500")
    for _ in range(2):
        response = bot.raw("sendMessage", chat_id=user.id, text="hi")
        assert response.status_code == 429
        assert response.json() == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        }
    assert bot.error("sendMessage", chat_id=user.id, text="hi") == (500, "Internal Server Error")
    assert bot.ok("sendMessage", chat_id=user.id, text="hi")
    calls = api.calls("sendMessage")
    assert [(c.status, c.fault, c.applied) for c in calls] == [
        (429, "429", False),
        (429, "429", False),
        (500, "500", False),
        (200, None, True),
    ]
    assert [m.text for m in user.bot_messages()] == ["hi"]
    with pytest.raises(ValueError, match="unknown Bot API method"):
        api.inject_fault("sendPigeon", "500")


def test_injected_timeout_is_not_applied(api: LocalBotApi, bot: BotClient) -> None:
    user = started_user(api)
    api.inject_fault("sendMessage", "timeout")
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        bot.http.post(
            bot.url("sendMessage"), data={"chat_id": user.id, "text": "lost"}, timeout=0.3
        )
    assert time.monotonic() - started < 2
    (call,) = api.calls("sendMessage")
    assert (call.fault, call.applied) == ("timeout", False)
    assert user.bot_messages() == []
    assert bot.ok("sendMessage", chat_id=user.id, text="retried")


def test_injected_timeout_after_apply(api: LocalBotApi, bot: BotClient) -> None:
    user = started_user(api)
    api.inject_fault("sendMessage", "timeout_after_apply", hold=0.2)
    response = bot.raw("sendMessage", chat_id=user.id, text="delivered anyway")
    assert response.status_code == 502
    (call,) = api.calls("sendMessage")
    assert (call.fault, call.applied, call.status) == ("timeout_after_apply", True, 502)
    assert [m.text for m in user.bot_messages()] == ["delivered anyway"]


# ---------------------------------------------------------------------------- webhooks


Reply = tuple[str, bytes]  # a webhook answer's Content-Type and body


class _Receiver:
    """A tiny webhook endpoint on 127.0.0.1 that records what it got; `reply` may give an
    update's answer a body (a method for the server to run)."""

    def __init__(self) -> None:
        self.received: queue.Queue[tuple[dict[str, str], dict[str, Any]]] = queue.Queue()
        self.status = 200
        self.reply: Callable[[dict[str, Any]], Reply | None] = lambda update: None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                update = json.loads(body)
                receiver.received.put((dict(self.headers), update))
                content_type, answer = receiver.reply(update) or ("", b"")
                self.send_response(receiver.status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                """Keep the test output clean."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    endpoint = _Receiver()
    try:
        yield endpoint
    finally:
        endpoint.close()


def test_webhook_delivery_with_secret(
    api: LocalBotApi, bot: BotClient, receiver: _Receiver
) -> None:
    user = api.user()
    user.send_text("queued before the webhook")
    result = bot("setWebhook", url=receiver.url, secret_token="s3cr3t-token")
    assert result == {"ok": True, "result": True, "description": "Webhook was set"}
    headers, update = receiver.received.get(timeout=5)
    assert headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cr3t-token"
    assert headers["Content-Type"] == "application/json"
    assert update["message"]["text"] == "queued before the webhook"
    user.send_text("after")
    assert receiver.received.get(timeout=5)[1]["message"]["text"] == "after"
    code, description = bot.error("getUpdates")
    assert code == 409
    assert description == (
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
        "delete the webhook first"
    )
    deadline = time.monotonic() + 5
    while api.pending_updates() and time.monotonic() < deadline:
        time.sleep(0.01)
    info = bot.ok("getWebhookInfo")
    assert (info["url"], info["pending_update_count"]) == (receiver.url, 0)


def test_webhook_failure_is_retried_and_reported(
    api: LocalBotApi, bot: BotClient, receiver: _Receiver
) -> None:
    receiver.status = 500
    bot.ok("setWebhook", url=receiver.url)
    api.user().send_text("retry me")
    first = receiver.received.get(timeout=5)[1]
    deadline = time.monotonic() + 5
    while "last_error_message" not in bot.ok("getWebhookInfo") and time.monotonic() < deadline:
        time.sleep(0.01)
    info = bot.ok("getWebhookInfo")
    assert (
        info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    )
    assert info["pending_update_count"] == 1
    receiver.status = 200
    again = receiver.received.get(timeout=5)[1]
    assert again["update_id"] == first["update_id"]


def test_a_webhook_is_posted_as_many_updates_at_once_as_its_max_connections(
    receiver: _Receiver,
) -> None:
    """With ``webhook_connections`` above 1 (the surge benchmark's webhook mode), updates are
    posted side by side as Telegram does, never more at once than setWebhook's max_connections;
    each is accepted once."""
    server = LocalBotApi(webhook_retry_delay=0.05, webhook_connections=10)
    server.start()
    lock, full = threading.Lock(), threading.Event()
    inside = most = 0

    def hold(update: dict[str, Any]) -> None:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
            if inside == 3:
                full.set()
        full.wait(10)  # the first three wait for each other: they are posted at once
        with lock:
            inside -= 1

    receiver.reply = hold
    try:
        with httpx.Client(timeout=10) as http:
            BotClient(server, http).ok("setWebhook", url=receiver.url, max_connections=3)
        user = server.user()
        for n in range(7):
            user.send_text(f"update {n}")
        texts = sorted(receiver.received.get(timeout=10)[1]["message"]["text"] for _ in range(7))
        assert texts == [f"update {n}" for n in range(7)]
        _settled(server)
        assert full.is_set()
        assert most == 3
        assert len(server.delivered_updates()) == 7
    finally:
        server.stop()


def _json_reply(**fields: Any) -> Reply:
    return "application/json", json.dumps(fields).encode()


def _settled(api: LocalBotApi) -> None:
    """Every pending update accepted; a method an answer carried has run by then."""
    deadline = time.monotonic() + 5
    while api.pending_updates() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert api.pending_updates() == 0


def test_a_webhook_answer_runs_the_method_it_carries(
    api: LocalBotApi, bot: BotClient, receiver: _Receiver
) -> None:
    """As on Telegram: one method as the answer's body (JSON or form), run after the update is
    accepted; its result goes to no one, it is not an HTTP call of the bot's."""
    user = started_user(api)
    sent = bot.ok("sendMessage", chat_id=user.id, text="Continue?", reply_markup=KEYBOARD)

    def reply(update: dict[str, Any]) -> Reply | None:
        if "callback_query" in update:
            query = update["callback_query"]["id"]
            return _json_reply(method="answerCallbackQuery", callback_query_id=query, text="Ok")
        if update["message"]["text"] == "form, please":
            form = f"method=sendMessage&chat_id={user.id}&text=Sent+from+the+answer"
            return "application/x-www-form-urlencoded", form.encode()
        return None

    receiver.reply = reply
    bot.ok("setWebhook", url=receiver.url)
    query_id = user.press("No", message_id=sent["message_id"])
    _settled(api)
    assert user.callback_answers() == [
        {"callback_query_id": query_id, "text": "Ok", "show_alert": False, "url": None,
         "cache_time": 0}
    ]  # fmt: skip
    assert api.calls("answerCallbackQuery") == []
    (ran,) = api.webhook_replies()
    assert (ran.method, ran.params["callback_query_id"], ran.status, ran.applied) == (
        "answerCallbackQuery", query_id, 200, True,
    )  # fmt: skip
    user.send_text("form, please")
    _settled(api)
    assert user.last_bot_message().text == "Sent from the answer"
    assert [call.method for call in api.calls()] == ["sendMessage", "setWebhook"]
    # Only the updates reached the webhook: a method's result is returned to no one.
    kinds = []
    while not receiver.received.empty():
        kinds.append(sorted(receiver.received.get()[1]))
    assert kinds == [["message", "update_id"], ["callback_query", "update_id"],
                     ["message", "update_id"]]  # fmt: skip


def test_a_failing_or_refused_webhook_answer_is_dropped(
    api: LocalBotApi, bot: BotClient, receiver: _Receiver
) -> None:
    """Errors of the carried method are ignored (the update still counts as delivered); an
    answer that is not a success runs nothing; a body without a method is no method."""
    user = started_user(api)
    sent = bot.ok("sendMessage", chat_id=user.id, text="Continue?", reply_markup=KEYBOARD)
    bot.ok("setWebhook", url=receiver.url)
    _settled(api)
    receiver.received.get(timeout=5)  # /start
    answers = iter(
        [
            _json_reply(method="answerCallbackQuery", callback_query_id="no-such-query"),
            _json_reply(method="sendTelepathy", chat_id=user.id),
            _json_reply(ok=True),
            ("text/plain", b"method=sendMessage"),
        ]
    )
    receiver.reply = lambda update: next(answers)
    user.press("No", message_id=sent["message_id"])
    user.send_text("two")
    user.send_text("three")
    user.send_text("four")
    _settled(api)
    assert [(c.method, c.status, c.applied, c.error) for c in api.webhook_replies()] == [
        ("answerCallbackQuery", 400, False,
         "Bad Request: query is too old and response timeout expired or query ID is invalid"),
        ("sendTelepathy", 404, False, "Not Found"),
    ]  # fmt: skip
    assert "last_error_message" not in bot.ok("getWebhookInfo")
    while not receiver.received.empty():
        receiver.received.get()
    receiver.status = 500
    receiver.reply = lambda update: _json_reply(method="sendMessage", chat_id=user.id, text="x")
    user.send_text("five")
    first = receiver.received.get(timeout=5)[1]
    assert receiver.received.get(timeout=5)[1] == first  # again: the answer was not a success
    receiver.status = 200
    receiver.reply = lambda update: None
    _settled(api)
    assert [m.text for m in user.bot_messages()] == ["Continue?"]
    assert len(api.webhook_replies()) == 2


def test_delete_webhook_returns_to_polling(api: LocalBotApi, bot: BotClient) -> None:
    assert bot("deleteWebhook")["description"] == "Webhook is already deleted"
    bot.ok("setWebhook", url="http://127.0.0.1:9/unreachable")
    assert bot.error("setWebhook", url="ftp://example.org")[0] == 400
    assert bot.error("setWebhook", url="http://127.0.0.1:9/x", secret_token="bad token!")[1] == (
        "Bad Request: secret token contains unallowed characters"
    )
    api.user().send_text("pending")
    assert bot("deleteWebhook", drop_pending_updates=True)["description"] == "Webhook was deleted"
    assert api.pending_updates() == 0
    assert bot.ok("getUpdates") == []


# ------------------------------------------------------------------------ other methods


def test_copy_message_into_a_group(api: LocalBotApi, bot: BotClient) -> None:
    user = started_user(api)
    volunteers = api.group(title="Volunteers")
    photo_id = user.send_photo(caption="my papers")
    copied = bot.ok("copyMessage", chat_id=volunteers.id, from_chat_id=user.id, message_id=photo_id)
    assert copied == {"message_id": 1}
    (seen,) = volunteers.messages()
    assert (seen.kind, seen.caption, seen.from_bot) == ("photo", "my papers", True)
    text_id = user.send_text("plain")
    bot.ok(
        "copyMessage",
        chat_id=volunteers.id,
        from_chat_id=user.id,
        message_id=text_id,
        protect_content=True,
    )
    assert volunteers.last_bot_message().text == "plain"
    assert volunteers.last_bot_message().protect_content
    assert bot.error("copyMessage", chat_id=volunteers.id, from_chat_id=user.id, message_id=99)[
        1
    ] == ("Bad Request: message to copy not found")


def test_media_and_service_messages(api: LocalBotApi, bot: BotClient) -> None:
    user = api.user()
    user.send_sticker()
    user.send_voice()
    user.send_document("report.pdf")
    user.send_location()
    timer_message = user.set_auto_delete(60)
    messages = [u["message"] for u in bot.ok("getUpdates")]
    assert messages[0]["sticker"]["is_animated"] is False
    assert messages[1]["voice"]["duration"] == 3
    assert messages[2]["document"]["file_name"] == "report.pdf"
    assert set(messages[3]["location"]) == {"latitude", "longitude"}
    assert messages[4]["message_auto_delete_timer_changed"] == {"message_auto_delete_time": 60}
    assert [m.kind for m in user.messages()] == [
        "sticker",
        "voice",
        "document",
        "location",
        "auto_delete_timer_changed",
    ]
    file_info = bot.ok("getFile", file_id=messages[2]["document"]["file_id"])
    content = bot.http.get(f"{api.base_file_url}{api.token}/{file_info['file_path']}")
    assert content.status_code == 200
    # Messages after the timer was set disappear once it runs out on the server clock.
    later = user.send_text("short-lived")
    api.advance_clock(61)
    assert later in user.deleted_message_ids()
    assert timer_message not in user.deleted_message_ids()


def test_commands_menu_button_and_misc(api: LocalBotApi, bot: BotClient) -> None:
    commands = [
        {"command": "start", "description": "Begin"},
        {"command": "help", "description": "?"},
    ]
    assert bot.ok("setMyCommands", commands=commands, language_code="en")
    assert bot.ok("getMyCommands", language_code="en") == commands
    assert bot.ok("getMyCommands") == []
    assert api.commands(language_code="en") == commands
    assert bot.error("setMyCommands", commands=[{"command": "Bad Command", "description": "x"}])[
        1
    ] == ("Bad Request: BOT_COMMAND_INVALID")
    assert bot.ok("deleteMyCommands", language_code="en")
    assert api.commands(language_code="en") == []
    assert bot.ok("setChatMenuButton", menu_button={"type": "commands"})
    assert api.menu_button() == {"type": "commands"}
    assert bot.ok("setMyDescription", description="Anonymous intake")
    assert bot.ok("getMyDescription") == {"description": "Anonymous intake"}
    assert bot.ok("logOut") is True
    assert bot.ok("close") is True


# ------------------------------------------------------------------ the user-side API


def test_wait_for_reports_the_transcript_on_timeout(api: LocalBotApi, bot: BotClient) -> None:
    user = started_user(api)
    bot.ok("sendMessage", chat_id=user.id, text="Hello")
    assert user.wait_for_text("Hell", timeout=1).message_id == 2
    with pytest.raises(AssertionError) as failure:
        user.wait_for_text("Bye", timeout=0.2, after=user.mark())
    message = str(failure.value)
    assert "text containing 'Bye'" in message
    assert "#1 user: /start" in message
    assert "#2 bot: Hello" in message


def test_wait_for_sees_edits_from_another_thread(api: LocalBotApi, bot: BotClient) -> None:
    user = started_user(api)
    message_id = bot.ok("sendMessage", chat_id=user.id, text="Working...")["message_id"]
    timer = threading.Timer(
        0.1,
        bot.http.post,
        args=(bot.url("editMessageText"),),
        kwargs={"data": {"chat_id": user.id, "message_id": message_id, "text": "Done"}},
    )
    timer.start()
    try:
        edited = user.wait_for(lambda m: m.text == "Done", timeout=5)
    finally:
        timer.join()
    assert edited.edited
    assert edited.message_id == message_id


async def test_async_wrappers_do_not_block_the_loop(api: LocalBotApi, bot: BotClient) -> None:
    user = started_user(api)
    waiting = asyncio.create_task(user.wait_for_text_async("later", timeout=5))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    async with httpx.AsyncClient() as http:
        await http.post(bot.url("sendMessage"), data={"chat_id": user.id, "text": "later"})
    assert (await waiting).text == "later"


def test_user_edits_and_deletes(api: LocalBotApi, bot: BotClient) -> None:
    user = started_user(api)
    typo = user.send_text("helo")
    user.edit_text(typo, "hello")
    edited = bot.ok("getUpdates")[-1]["edited_message"]
    assert (edited["text"], edited["message_id"]) == ("hello", typo)
    user.delete_messages(typo)
    assert [m.text for m in user.messages()] == ["/start"]


def test_restart_keeps_state(api: LocalBotApi) -> None:
    user = started_user(api)
    api.start()  # already running: harmless
    api.stop()
    api.stop()
    assert not api.running
    api.start()
    with httpx.Client() as http:
        response = http.post(f"{api.base_url}{api.token}/getUpdates")
    assert response.json()["result"][0]["message"]["chat"]["id"] == user.id


def test_many_threads_at_once(api: LocalBotApi, bot: BotClient) -> None:
    users = [api.user() for _ in range(5)]

    def chatter(user: Any) -> None:
        for n in range(20):
            user.send_text(f"message {n}")

    threads = [threading.Thread(target=chatter, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    updates = bot.ok("getUpdates")
    assert len(updates) == 100
    ids = [u["update_id"] for u in updates]
    assert ids == sorted(ids)
    assert len(set(ids)) == 100
    for user in users:
        mine = [u["message"] for u in updates if u["message"]["chat"]["id"] == user.id]
        assert [m["message_id"] for m in mine] == list(range(1, 21))
        assert [m["text"] for m in mine] == [f"message {n}" for n in range(20)]


def test_start_fails_clearly_on_a_busy_port(api: LocalBotApi) -> None:
    clash = LocalBotApi(port=api.port)
    with pytest.raises(RuntimeError, match="failed to start"):
        clash.start()
    assert not clash.running
    clash.stop()


def test_logs_carry_no_text_ids_or_names(
    api: LocalBotApi, bot: BotClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    user = api.user(987654321, first_name="Zinaida", username="zina_secret")
    user.send_text("my secret story")
    bot.ok("getUpdates")
    bot.ok("sendMessage", chat_id=user.id, text="reply about the secret story")
    bot.error("sendMessage", chat_id=5550001, text="to nobody")
    bot.http.get(bot.url("sendMessage"), params={"chat_id": user.id, "text": "query secret"})
    server_logs = "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(("localapi.", "tornado"))
    )
    assert "sendMessage" in server_logs
    for secret in ("secret", "987654321", "5550001", "Zinaida", "zina", api.token):
        assert secret not in server_logs
