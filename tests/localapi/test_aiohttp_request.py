"""bot.aiohttp_request.AiohttpRequest against the local server: for the same calls it sends what
python-telegram-bot's HTTPXRequest sends and the bot gets the same results and exceptions."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest

from bot.aiohttp_request import AiohttpRequest
from localapi import LocalBotApi
from tests.support.certificates import LOCAL_NAMES, make_authority, make_server_certificate
from tests.support.servers import free_port

CLIENTS: dict[str, Callable[..., BaseRequest]] = {"httpx": HTTPXRequest, "aiohttp": AiohttpRequest}
USER_ID = 5550001
KEYBOARD = InlineKeyboardMarkup(
    [[InlineKeyboardButton("Yes", callback_data="a:yes"),
      InlineKeyboardButton("No", callback_data="a:no")]]
)  # fmt: skip


def _plain(value: Any) -> Any:
    """A result without what differs between two servers by design (the clock's dates)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in ("date", "edit_date")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


async def _outcome(call: Any) -> Any:
    try:
        result = await call
    except TelegramError as error:
        return (type(error).__name__, error.message)
    return _plain(result.to_dict() if hasattr(result, "to_dict") else result)


async def _transcript(make: Callable[..., BaseRequest]) -> tuple[list[Any], list[Any]]:
    """The same calls on a fresh server: what the bot got back, and what the server received."""
    with LocalBotApi(token="123456:SAME-TOKEN", timeout_hold=3.0) as api:
        user = api.user(USER_ID, language_code="en")
        user.send_command("/start")
        bot = Bot(api.token, base_url=api.base_url, request=make(), get_updates_request=make())
        got: list[Any] = []
        async with bot:
            got.append(await _outcome(bot.get_me()))
            updates = await bot.get_updates(timeout=1)
            got.append([_plain(update.to_dict()) for update in updates])
            screen = await bot.send_message(
                USER_ID, "<b>Who</b> needs help? — кто", parse_mode="HTML",
                reply_markup=KEYBOARD, protect_content=True,
            )  # fmt: skip
            got.append(_plain(screen.to_dict()))
            user.press_data(screen.message_id, "a:yes")
            (update,) = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=1)
            assert update.callback_query is not None
            got.append(await _outcome(bot.answer_callback_query(update.callback_query.id)))
            edit = bot.edit_message_text(
                "Next & last: 1+1=2?", chat_id=USER_ID, message_id=screen.message_id,
                reply_markup=KEYBOARD,
            )  # fmt: skip
            got.append(await _outcome(edit))
            same = bot.edit_message_text(
                "Next & last: 1+1=2?", chat_id=USER_ID, message_id=screen.message_id,
                reply_markup=KEYBOARD,
            )  # fmt: skip
            got.append(await _outcome(same))  # BadRequest: not modified
            got.append(await _outcome(bot.send_message(424242, "nobody")))  # BadRequest
            # A multipart upload: setWebhook's certificate is a file.
            hook = bot.set_webhook("https://example.invalid/hook", certificate=b"-----PEM-----")
            got.append(await _outcome(hook))
            got.append(await _outcome(bot.delete_webhook()))
            api.inject_fault("sendMessage", "429", retry_after=7)
            got.append(await _outcome(bot.send_message(USER_ID, "later")))  # RetryAfter
            api.inject_fault("sendMessage", "500")
            got.append(await _outcome(bot.send_message(USER_ID, "broken")))  # NetworkError
            user.block()
            got.append(await _outcome(bot.send_message(USER_ID, "gone")))  # Forbidden
            received = [
                (c.method, {k: v for k, v in c.params.items() if k != "callback_query_id"},
                 c.files, c.status)
                for c in api.calls()
            ]  # fmt: skip
    return got, received


async def test_the_same_calls_give_the_same_results_and_the_same_wire_traffic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # RetryAfter without PTB's deprecation warning
    got_httpx, received_httpx = await _transcript(HTTPXRequest)
    got_aiohttp, received_aiohttp = await _transcript(AiohttpRequest)
    assert got_aiohttp == got_httpx
    assert received_aiohttp == received_httpx
    # and the transcript is the one meant: errors where they were provoked, the upload a file
    assert [g for g in got_httpx if isinstance(g, tuple)] == [
        ("BadRequest", "Message is not modified: specified new message content and reply markup"
                       " are exactly the same as a current content and reply markup of the"
                       " message"),
        ("BadRequest", "Chat not found"),
        ("RetryAfter", "Flood control exceeded. Retry in 0:00:07"),
        ("NetworkError", "Internal Server Error"),
        ("Forbidden", "Forbidden: bot was blocked by the user"),
    ]  # fmt: skip
    (hook,) = [r for r in received_httpx if r[0] == "setWebhook"]
    assert set(hook[2]) == {"certificate"}, hook


@pytest.mark.parametrize("client", CLIENTS)
async def test_a_held_call_is_timed_out_and_not_applied(api: LocalBotApi, client: str) -> None:
    user = api.user(language_code="en")
    user.send_command("/start")
    api.inject_fault("sendMessage", "timeout")
    async with Bot(api.token, base_url=api.base_url, request=CLIENTS[client]()) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(user.id, "lost", read_timeout=0.3)
        assert (await bot.send_message(user.id, "next")).text == "next"
    assert [m.text for m in user.bot_messages()] == ["next"]
    assert [(c.fault, c.applied) for c in api.calls("sendMessage")] == [
        ("timeout", False),
        (None, True),
    ]


@pytest.mark.parametrize("client", CLIENTS)
async def test_no_server_is_a_network_error_naming_a_connect_failure(client: str) -> None:
    url = f"http://127.0.0.1:{free_port()}/bot"
    with pytest.raises(NetworkError) as raised:
        async with Bot("1:abc", base_url=url, request=CLIENTS[client]()):  # asks getMe
            pass
    assert not isinstance(raised.value, TimedOut)
    # bot.runner tells the operator "no connection" from the cause's class name
    assert "Connect" in type(raised.value.__cause__).__name__


@pytest.mark.parametrize("base_url", ["http://[::1/bot", "ftp://127.0.0.1/bot"])
async def test_an_invalid_url_is_a_network_error_that_does_not_quote_the_token(
    base_url: str,
) -> None:
    """aiohttp quotes a URL it cannot use whole, and a Bot API URL holds the token."""
    token = "123456:AAH-secret-part-of-the-token_0"
    with pytest.raises(NetworkError) as raised:
        async with Bot(token, base_url=base_url, request=AiohttpRequest()):  # asks getMe
            pass
    assert "secret-part" not in str(raised.value)
    assert "/bot<token>/getMe" in str(raised.value)  # what failed stays readable


@pytest.mark.parametrize("client", CLIENTS)
async def test_a_full_pool_past_the_pool_timeout_is_the_same_timed_out(
    api: LocalBotApi, client: str
) -> None:
    user = api.user(language_code="en")
    user.send_command("/start")
    api.inject_fault("sendMessage", "timeout", hold=1.0)
    request = CLIENTS[client](connection_pool_size=1, pool_timeout=0.2)
    async with Bot(api.token, base_url=api.base_url, request=request) as bot:
        held = asyncio.ensure_future(bot.send_message(user.id, "held", read_timeout=5))
        await asyncio.sleep(0.3)
        with pytest.raises(TimedOut, match="Pool timeout: All connections"):
            await bot.send_message(user.id, "no room")
        with pytest.raises(NetworkError):  # the server gives up on the held call
            await held
    assert [c.params["text"] for c in api.calls("sendMessage")] == ["held"]


async def test_without_a_pool_timeout_calls_beyond_the_pool_wait_and_all_are_made(
    api: LocalBotApi,
) -> None:
    user = api.user(language_code="en")
    user.send_command("/start")
    request = AiohttpRequest(connection_pool_size=2, pool_timeout=None)
    async with Bot(api.token, base_url=api.base_url, request=request) as bot:
        sent = await asyncio.gather(*(bot.send_message(user.id, f"m{i}") for i in range(40)))
    assert sorted(m.text for m in sent) == sorted(f"m{i}" for i in range(40))
    assert len(user.bot_messages()) == 40


async def test_it_must_be_initialized_and_can_be_again_after_shutdown(api: LocalBotApi) -> None:
    request = AiohttpRequest()
    url = f"{api.base_url}{api.token}/getMe"
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(url, "POST")
    for _ in range(2):
        await request.initialize()
        status, _ = await request.do_request(url, "POST")
        await request.shutdown()
        assert status == 200
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(url, "POST")


class RedirectingTlsServer:
    """An HTTPS server that answers every request with a redirect, counting the requests."""

    def __init__(self, directory: Path) -> None:
        authority = make_authority(directory, "throwaway-ca")
        self.ca_file = authority.file
        cert, key = make_server_certificate(directory, authority, LOCAL_NAMES, "server")
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.requests = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)  # fmt: skip
            await reader.readexactly(length)
            self.requests += 1
            writer.write(b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()


@pytest.mark.parametrize("client", CLIENTS)
async def test_tls_is_verified_with_httpx_authorities_and_no_redirect_is_followed(
    client: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unknown certificate authority is refused; trusted through SSL_CERT_FILE (which
    httpx reads), a redirect comes back as an error, not followed."""
    server = RedirectingTlsServer(tmp_path)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0, ssl=server.context)
    url = f"https://127.0.0.1:{listener.sockets[0].getsockname()[1]}/bot"
    outcomes = []
    try:
        for trusted in (False, True):
            if trusted:
                monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
            with pytest.raises(NetworkError) as raised:
                async with Bot("1:abc", base_url=url, request=CLIENTS[client]()):  # asks getMe
                    pass
            outcomes.append((type(raised.value), server.requests))
    finally:
        listener.close()
        await listener.wait_closed()
    assert outcomes == [(NetworkError, 0), (NetworkError, 1)]
    assert "302" in str(raised.value)
