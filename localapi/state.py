"""The simulated Telegram world behind the local Bot API server, free of any I/O.

:class:`BotState` holds users, chats, messages, the update queue and the webhook settings, and
implements the Bot API methods as plain synchronous functions that either return a result or
raise :class:`~localapi.models.ApiError` with Telegram's description. Keeping it free of
HTTP and asyncio makes the Telegram rules (who may write first, the 48-hour delete window,
"message is not modified"...) easy to read and to test, and lets the user side (tests, the
terminal demo) mutate it from any thread.

Thread safety: every public method takes ``cond`` (a :class:`threading.Condition` over an
``RLock``) and never blocks while holding it. Every change bumps ``revision`` and notifies the
condition, so threads can wait for "something changed"; update listeners (the server's event
loop) are called under the lock and must only schedule work, never block.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from localapi.faults import CallsAndFaults
from localapi.methods import CANONICAL_METHODS
from localapi.methods.messages import MessageMethods
from localapi.methods.profile import ProfileMethods
from localapi.models import ApiError
from localapi.params import Params
from localapi.users import UserSide
from localapi.webhook import Webhook

__all__ = ["BotState"]


class BotState(CallsAndFaults, Webhook, MessageMethods, ProfileMethods, UserSide):
    """Everything the fake Telegram knows; see the module docstring for the locking rules.

    Each concern lives in its own module (:mod:`localapi.world`, :mod:`localapi.updates`,
    :mod:`localapi.webhook`, :mod:`localapi.faults`, :mod:`localapi.users` and the Bot API
    methods in :mod:`localapi.methods`); this class joins them and owns their attributes.
    """

    _handlers: dict[str, Callable[[Params], tuple[Any, str | None]]]

    def __init__(
        self,
        *,
        bot_id: int,
        bot_username: str,
        bot_first_name: str,
        callback_query_ttl: float,
    ) -> None:
        self.cond = threading.Condition(threading.RLock())
        self.revision = 0
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.callback_query_ttl = callback_query_ttl
        self.clock_offset = 0.0
        self.users = {}
        self.chats = {}
        self._listeners = []
        self._updates = deque()
        self._delivered = deque(maxlen=1000)
        self._webhook_replies = deque(maxlen=20_000)
        self._in_flight = {}
        self._next_update_id = 1
        self._allowed_updates = None
        self._next_user_id = 100_000_001
        self._next_group_id = 1_000_000_001
        self._next_query_id = 4_000_000_000_000_000_001
        self._queries = {}
        self._files = {}
        self._commands = {}
        self._menu_buttons = {}
        self._texts = {}
        self._webhook = None
        self._faults = {}
        self._calls = deque(maxlen=20_000)
        self.observer = None
        self._handlers = {
            name: getattr(self, "_m_" + re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower())
            for name in CANONICAL_METHODS
            if name != "getUpdates"
        }

    def execute(self, method: str, params: Params) -> tuple[Any, str | None]:
        """Run a Bot API method (not getUpdates): ``(result, description)`` or ApiError."""
        handler = self._handlers[method]
        observer = self.observer
        if observer is None:
            with self.cond:
                return handler(params)
        at = self.now()
        try:
            with self.cond:
                outcome = handler(params)
        except ApiError as error:
            observer.bot_called(method, params, at, None, error.description)
            raise
        observer.bot_called(method, params, at, outcome[0], None)
        return outcome
