"""The bot's side of the wire: retries what Telegram lets us retry, and remembers sent ids.

- A 429 is waited out by python-telegram-bot's rate limiter (`retry_after`, as Telegram
  advises). Server errors (5xx) and timeouts are retried here, a few times with a growing pause,
  so a reply is not lost to a hiccup of Telegram's. A 400 or 403 is never retried: sending the
  same request again would fail the same way.
- Bots may delete messages in private chats for 48 hours; keeping the ids (for that long only)
  lets `/forget` and the clean-up after submission delete the bot's side of a chat.
  Recording failures never fail the send.
- Long polling fetches no more while `INTAKE_UPDATES_BACKLOG` updates wait (bot.backlog).
- In webhook mode a press's answer rides in the webhook's HTTP answer (bot.webhook_reply).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Message
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import ExtBot
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot import webhook_reply
from bot.logs import describe

log = logging.getLogger(__name__)

Recorder = Callable[[int, int], Awaitable[None]]


RETRY_PAUSES = (0.5, 1.0, 2.0)  # seconds before each new attempt


class RecordingBot(ExtBot[None]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._recorder: Recorder | None = None
        self._room: Callable[[], Awaitable[None]] | None = None

    def set_recorder(self, recorder: Recorder) -> None:
        self._recorder = recorder

    def set_backlog(self, room: Callable[[], Awaitable[None]]) -> None:
        """Wait for `room` before each getUpdates call (see bot.backlog)."""
        self._room = room

    async def _do_post(self, endpoint: str, data: Any, **kwargs: Any) -> Any:
        if endpoint == "getUpdates":  # the updater has its own retry loop
            if self._room is not None:
                await self._room()
            return await super()._do_post(endpoint, data, **kwargs)
        slot = webhook_reply.current()
        if slot is not None and slot.take(endpoint, lambda: _wire_params(self, data)):
            return True  # what Telegram would answer; it runs the method after our answer
        for pause in (*RETRY_PAUSES, None):
            try:
                return await super()._do_post(endpoint, data, **kwargs)
            except BadRequest as error:
                if endpoint == "answerCallbackQuery":
                    # Already answered (an update delivered again after a crash) or too old:
                    # the spinner is gone either way, and the answer itself must go on.
                    log.warning("callback query not answerable: %s", describe(error))
                    return True
                raise
            except (Forbidden, RetryAfter, InvalidToken):
                raise
            except NetworkError as error:  # 5xx, a dropped connection, a timeout
                if pause is None:
                    raise
                log.warning("%s failed (%s); retrying", endpoint, describe(error))
                await asyncio.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    async def send_message(self, *args: Any, **kwargs: Any) -> Message:
        message = await super().send_message(*args, **kwargs)
        await self._record(message)
        return message

    async def copy_message(self, *args: Any, **kwargs: Any) -> Any:
        message_id = await super().copy_message(*args, **kwargs)
        chat_id = kwargs.get("chat_id", args[0] if args else None)
        if isinstance(chat_id, int) and self._recorder is not None:
            await self._safely(chat_id, message_id.message_id)
        return message_id

    async def _record(self, message: Message) -> None:
        if self._recorder is not None and message.chat.type == "private":
            await self._safely(message.chat.id, message.message_id)

    async def _safely(self, chat_id: int, message_id: int) -> None:
        assert self._recorder is not None
        try:
            await self._recorder(chat_id, message_id)
        except Exception as error:
            log.warning("could not remember a sent message: %s", describe(error))


def _wire_params(bot: ExtBot[None], data: dict[str, Any]) -> dict[str, Any]:
    """The parameters as python-telegram-bot would send them (Bot._do_post's encoding), as
    JSON values: objects as dicts, dates as timestamps; absent ones left out."""
    bot._extract_rl_kwargs(data)  # not a Bot API parameter
    params = [RequestParameter.from_input(key, value) for key, value in data.items()]
    return RequestData(parameters=params).parameters
