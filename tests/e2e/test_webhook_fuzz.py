"""The webhook under fuzzing: random and malformed requests never make it answer 500.

The real bot runs in webhook mode against the local Bot API. With the right secret, anything
(random JSON, truncated JSON, bodies up to the 1 MiB limit and above it, odd content types,
updates with missing fields or fields of the wrong type, random button data, unknown update
kinds) gets 200 or 400, or for a body above the limit 400 or a closed connection, and the bot
keeps serving: a real person still gets the language question after /start. Without the secret
the same requests get 403 and nothing reaches the bot. Three known bugs are kept out of the
inputs until bot/webhook.py is fixed (each is marked where it is left out): dates beyond what a
datetime holds and JSON nested about 1000 levels deep get 500; a malformed multipart body
without the secret gets 400, not 403.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.inprocess import BotThread
from bot.webhook import MAX_BODY, SECRET_HEADER
from localapi import LocalBotApi
from tests.e2e.conftest import SettingsFactory
from tests.support.people import command
from tests.support.servers import free_port

SECRET = "a-webhook-secret-of-sufficient-length"
FUZZ_EXAMPLES = 150
# People the fuzzed updates pretend to come from; they wrote to the bot once, so it may answer.
PEOPLE = (7100101, 7100102, 7100103)
REAL_PERSON = 7100199
FORGED_IDS = 10**9  # update ids of the updates posted here start at this
ANSWERING = {"sendmessage", "editmessagetext", "editmessagereplymarkup", "answercallbackquery",
             "deletemessage", "deletemessages"}  # fmt: skip


@dataclass(frozen=True)
class Request:
    body: bytes
    content_type: str | None
    oversized: bool = False

    def __repr__(self) -> str:  # a 1 MiB body would flood the failure report
        shown = self.body if len(self.body) <= 300 else self.body[:300] + b"..."
        return f"Request({shown!r}, {len(self.body)} bytes, {self.content_type!r})"


@dataclass(frozen=True)
class Webhook:
    api: LocalBotApi
    port: int

    def post(self, request: Request, secret: str | None) -> int | None:
        """The HTTP status, or None when the server closed the connection instead."""
        headers = {"Content-Length": str(len(request.body))}
        if request.content_type is not None:
            headers["Content-Type"] = request.content_type
        if secret is not None:
            headers[SECRET_HEADER] = secret
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("POST", "/telegram", body=request.body, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status
        except (ConnectionError, http.client.RemoteDisconnected):
            return None
        finally:
            connection.close()

    def answers(self) -> int:
        """How many times the bot has written, edited or answered a button so far."""
        return sum(1 for call in self.api.calls() if call.method.lower() in ANSWERING)


@pytest.fixture
def webhook(api: LocalBotApi, make_settings: SettingsFactory) -> Iterator[Webhook]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    settings_ = make_settings(webhook_url=url, webhook_secret=SECRET, webhook_port=port,
                              webhook_listen="127.0.0.1")  # fmt: skip
    with BotThread(settings_):
        for person_id in PEOPLE:
            command(api.user(person_id, language_code="en"), "/help", expect="Commands:")
        yield Webhook(api, port)


# -- what is posted ---------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
# Mostly the people who wrote to the bot (it can answer them), sometimes strangers it cannot.
person_ids = st.one_of(st.sampled_from(PEOPLE), st.integers(1, 2**52))
COMMANDS = ["/start", "/back", "/cancel", "/language", "/status", "/help", "/forget", "/take",
            "/queue", "/reply", "/nonsense", "/start@somebot x"]  # fmt: skip
texts = st.one_of(st.sampled_from(COMMANDS), st.text(max_size=60), st.text(min_size=1000,
                  max_size=1100))  # fmt: skip
WORDS = ["c", "t", "d", "s", "e", "S", "b", "l", "x", "f", "n", "language", "consent", "who",
         "status", "help", "details", "review", "en", "ru", "de", "agree", "decline", "legal",
         "y", "", "self"]  # fmt: skip
callback_data = st.one_of(
    st.lists(st.sampled_from(WORDS), max_size=4).map("|".join),
    st.text(max_size=80),
)
MEDIA: dict[str, Any] = {
    "sticker": {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1,
                "height": 1, "is_animated": False, "is_video": False},
    "photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}],
    "voice": {"file_id": "v", "file_unique_id": "v", "duration": 1},
    "location": {"latitude": 1.0, "longitude": 2.0},
    "new_chat_title": "t",
}  # fmt: skip


@st.composite
def messages(draw: st.DrawFn, from_bot: bool = False) -> dict[str, Any]:
    """A well-formed message in a private chat (or a group), from a person or from the bot."""
    person = draw(person_ids)
    chat_type = draw(st.sampled_from(["private", "private", "private", "group", "supergroup"]))
    message: dict[str, Any] = {
        "message_id": draw(st.integers(1, 10_000)),
        "date": 1_700_000_000 + draw(st.integers(0, 10**8)),
        "chat": {"id": person if chat_type == "private" else -person, "type": chat_type},
        "from": {"id": 1 if from_bot else person, "is_bot": from_bot, "first_name": "X",
                 "language_code": draw(st.sampled_from(["en", "ru", "de", "en-GB"]))},
    }  # fmt: skip
    if from_bot:
        message["text"] = draw(st.text(max_size=20))
    elif draw(st.booleans()):
        text = draw(texts)
        message["text"] = text
        if text.startswith("/") and draw(st.booleans()):
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(text.split()[0])}]  # fmt: skip
    else:
        kind = draw(st.sampled_from(sorted(MEDIA)))
        message[kind] = MEDIA[kind]
    if draw(st.integers(0, 4)) == 0:
        message["reply_to_message"] = draw(messages(from_bot=True))
    return message


@st.composite
def callback_queries(draw: st.DrawFn) -> dict[str, Any]:
    message = draw(messages(from_bot=True))
    person = message["chat"]["id"] if message["chat"]["type"] == "private" else draw(person_ids)
    query: dict[str, Any] = {
        "id": str(draw(st.integers(0, 10**12))),
        "from": {"id": person, "is_bot": False, "first_name": "X", "language_code": "en"},
        "chat_instance": "ci",
    }
    if draw(st.integers(0, 5)):
        query["data"] = draw(callback_data)
    if draw(st.integers(0, 5)):
        query["message"] = message
    return query


@st.composite
def updates(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed update of a kind the bot handles, or of a kind it never asked for."""
    # Ids far above the local Bot API's own (from 1 up): a re-used update_id is now handled
    # only once, and a forged one must not swallow a real person's later update.
    update: dict[str, Any] = {"update_id": draw(st.integers(FORGED_IDS, 2**31))}
    kind = draw(st.sampled_from(["message", "message", "callback_query", "callback_query",
                                 "edited_message", "channel_post", "poll", "my_chat_member",
                                 "business_message", "something_new"]))  # fmt: skip
    if kind in ("message", "edited_message", "channel_post", "business_message"):
        update[kind] = draw(messages())
    elif kind == "callback_query":
        update[kind] = draw(callback_queries())
    else:
        update[kind] = draw(json_values)
    return update


# Fields whose type a forged update may get wrong: replaced by any JSON value, or left out.
# Not "date" (yet): a date beyond what a datetime holds (1e999, 10**20) gets a 500, a known bug
# in bot/webhook.py (OverflowError is not refused); add ("message", "date") once it is fixed.
RETYPED = [("update_id",), ("message",), ("message", "chat"), ("message", "from"),
           ("message", "chat", "id"), ("message", "from", "id"), ("message", "text"),
           ("message", "message_id"), ("message", "entities"), ("message", "chat", "type"),
           ("callback_query",), ("callback_query", "from"), ("callback_query", "data"),
           ("callback_query", "message"), ("callback_query", "id"),
           ("callback_query", "message", "chat")]  # fmt: skip


@st.composite
def retyped(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed update with one to three fields removed or given a value of any type."""
    update = draw(updates())
    for _ in range(draw(st.integers(1, 3))):
        paths = [path for path in RETYPED if _holder(update, path) is not None]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        holder = _holder(update, path)
        assert holder is not None
        if draw(st.booleans()):
            del holder[path[-1]]
        else:
            holder[path[-1]] = draw(json_values)
    return update


def _holder(update: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any] | None:
    """The dict holding the last key of `path`, if the update has that field."""
    current: Any = update
    for key in path[:-1]:
        current = current.get(key) if isinstance(current, dict) else None
    return current if isinstance(current, dict) and path[-1] in current else None


def encoded(value: Any) -> bytes:
    return json.dumps(value).encode()


@st.composite
def truncated(draw: st.DrawFn) -> bytes:
    body = encoded(draw(updates()))
    return body[: draw(st.integers(0, len(body) - 1))]


# Nesting stays below ~1000 levels: deeper JSON gets a 500 (RecursionError), a known bug in
# bot/webhook.py; add b"[" * 100_000 + b"]" * 100_000 here once it is fixed.
ODD_BODIES = [b"", b"null", b"[]", b"{}", b'{"update_id": null}', b'{"update_id": 1}',
              b'{"update_id": "1"}', b'{"update_id": 1.5}', b'{"update_id": true}',
              b'{"update_id": -1}', b'{"update_id": 1, "message": null}', b"\xff\xfe{",
              b'"\\ud800"', b'{"update_id": NaN}', b'{"update_id": 1e999}',
              b"[" * 200 + b"]" * 200, "{\"update_id\": 1}".encode("utf-16")]  # fmt: skip


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """Mostly updates the bot handles (well-formed or with fields of the wrong type), then
    random JSON, truncated JSON, bytes that are not JSON at all, and some odd cases."""
    kind = draw(st.integers(0, 9))
    if kind <= 3:
        return encoded(draw(updates()))
    if kind <= 5:
        return encoded(draw(retyped()))
    if kind == 6:
        return draw(truncated())
    if kind == 7:
        return encoded(draw(json_values))
    if kind == 8:
        return draw(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
    return draw(st.sampled_from(ODD_BODIES))


def text_update(size: int) -> bytes:
    """A well-formed text update from one of PEOPLE whose body is exactly `size` bytes."""

    def build(text: str) -> bytes:
        person = {"id": PEOPLE[0], "is_bot": False, "first_name": "X", "language_code": "en"}
        chat = {"id": PEOPLE[0], "type": "private", "first_name": "X"}
        message = {"message_id": 1, "date": 1_700_000_000, "text": text, "chat": chat,
                   "from": person}  # fmt: skip
        return encoded({"update_id": FORGED_IDS, "message": message})

    body = build("")
    return build("x" * (size - len(body)))


def huge(size: int) -> Request:
    return Request(text_update(size), "application/json", oversized=size > MAX_BODY)


content_types = st.one_of(
    st.just("application/json"),
    st.sampled_from([
        "application/json; charset=utf-8", "text/plain", None, "", "application/octet-stream",
        "application/x-www-form-urlencoded", "text/html", "application/json; charset=latin-1",
        "multipart/form-data; boundary=xyz", "multipart/form-data",
    ]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30),
)  # fmt: skip
requests = st.one_of(
    st.builds(Request, bodies(), content_types),
    st.sampled_from([MAX_BODY - 1, MAX_BODY, MAX_BODY + 1, 2 * MAX_BODY]).map(huge),
)


# -- the tests --------------------------------------------------------------------------------


def assert_refused_or_handled(webhook: Webhook, request: Request) -> None:
    status = webhook.post(request, SECRET)
    if request.oversized:
        assert status in (400, 413, None), (status, request)
    else:
        assert status in (200, 400), (status, request)


def test_fuzzed_requests_never_fail_the_server_and_it_keeps_serving(webhook: Webhook) -> None:
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
    @given(request=requests)
    def fuzz(request: Request) -> None:
        assert_refused_or_handled(webhook, request)

    fuzz()
    for size in (MAX_BODY, MAX_BODY + 1):
        assert_refused_or_handled(webhook, huge(size))
    person = webhook.api.user(REAL_PERSON, language_code="en")
    command(person, "/start", expect="Choose your language")


REFUSED = (403, None)  # None: the connection was closed before the whole body was sent


def test_requests_without_the_secret_are_refused_and_never_reach_the_bot(
    webhook: Webhook,
) -> None:
    wrong_secrets = st.one_of(
        st.none(),
        st.sampled_from(["", SECRET[:-1], SECRET + "x", SECRET.upper(), SECRET[1:] + "a"]),
        # What HTTP allows in a header value (DEL and controls make the request malformed: 400).
        st.text(
            st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
            max_size=60,
        ),
    ).filter(lambda secret: secret is None or secret.strip() != SECRET)  # HTTP strips spaces
    # Not multipart/form-data: tornado parses such a body before the handler checks the secret,
    before = webhook.answers()

    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
    @given(request=st.builds(Request, bodies(), content_types), secret=wrong_secrets)
    def fuzz(request: Request, secret: str | None) -> None:
        # Refused before the body is read: a big body may see the connection close first.
        assert webhook.post(request, secret) in REFUSED, request

    fuzz()
    assert webhook.post(huge(MAX_BODY), None) in REFUSED
    assert webhook.answers() == before, "a request without the secret reached the bot"
    person = webhook.api.user(REAL_PERSON, language_code="en")
    command(person, "/start", expect="Choose your language")


def _a_text_update(date: str) -> bytes:
    return (
        b'{"update_id": 1, "message": {"message_id": 1, "date": ' + date.encode()
        + b', "text": "hi", "chat": {"id": 7100101, "type": "private"},'
        b' "from": {"id": 7100101, "is_bot": false, "first_name": "X"}}}'
    )  # fmt: skip


def test_a_date_beyond_datetime_is_refused_not_a_500(webhook: Webhook) -> None:
    for date in ("1e999", "100000000000000000000"):
        status = webhook.post(Request(_a_text_update(date), "application/json"), SECRET)
        assert status == 400, (date, status)


def test_deeply_nested_json_is_refused_not_a_500(webhook: Webhook) -> None:
    for body in (
        b"[" * 1000 + b"]" * 1000,
        b'{"update_id": 1, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    ):
        assert webhook.post(Request(body, "application/json"), SECRET) == 400
    command(webhook.api.user(REAL_PERSON, language_code="en"), "/start",
            expect="Choose your language")  # fmt: skip


def test_a_multipart_body_without_the_secret_gets_403(webhook: Webhook) -> None:
    for content_type in ("multipart/form-data; boundary=xyz", "multipart/form-data"):
        status = webhook.post(Request(b"{}", content_type), None)
        assert status == 403, (content_type, status)
