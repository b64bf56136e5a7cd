"""The webhook: setWebhook, deleteWebhook, getWebhookInfo, delivering the queue to it, and the
methods the bot's webhook answers carried (Telegram runs one given as the answer's body)."""

from __future__ import annotations

import copy
import re
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

from localapi.models import ApiCall, bad_request
from localapi.params import Params
from localapi.updates import Updates

_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@dataclass
class WebhookSettings:
    url: str
    secret_token: str | None
    max_connections: int
    ip_address: str | None
    last_error_date: int | None = None
    last_error_message: str | None = None


class Webhook(Updates):
    """While a webhook is set the server POSTs the oldest update to it instead of getUpdates."""

    _webhook: WebhookSettings | None
    # Updates a webhook accepted, newest last, so that a test can have one re-delivered.
    _delivered: deque[tuple[int, str, dict[str, Any]]]
    # Methods run from webhook answers, oldest first: not HTTP calls, so not in ``calls()``.
    _webhook_replies: deque[ApiCall]

    @property
    def webhook_active(self) -> bool:
        with self.cond:
            return self._webhook is not None

    def webhook_next(
        self, busy: Collection[int] = ()
    ) -> tuple[int, dict[str, Any], str, str | None, int] | None:
        """The oldest pending update not `busy` (being posted already), where to POST it and the
        webhook's max_connections, or None when there is nothing to do."""
        with self.cond:
            if self._webhook is None:
                return None
            for update_id, kind, payload in self._updates:
                if update_id in busy:
                    continue
                body = {"update_id": update_id, kind: copy.deepcopy(payload)}
                hook = self._webhook
                return update_id, body, hook.url, hook.secret_token, hook.max_connections
            return None

    def webhook_delivered(self, update_id: int, url: str) -> None:
        with self.cond:
            if self._webhook is None or self._webhook.url != url:
                return
            for entry in self._updates:
                if entry[0] == update_id:
                    self._updates.remove(entry)
                    self._delivered.append(entry)
                    self._webhook.last_error_date = None
                    self._webhook.last_error_message = None
                    self._touch()
                    return

    def delivered_updates(self) -> list[dict[str, Any]]:
        """Updates the webhook accepted, oldest first, as they were posted."""
        with self.cond:
            return [{"update_id": u, kind: copy.deepcopy(p)} for u, kind, p in self._delivered]

    def record_webhook_reply(self, call: ApiCall) -> None:
        with self.cond:
            self._webhook_replies.append(call)
            self._touch()

    def webhook_replies(self, method: str | None = None) -> list[ApiCall]:
        wanted = method.lower() if method else None
        with self.cond:
            return [
                replace(call, params=copy.deepcopy(call.params))
                for call in self._webhook_replies
                if wanted is None or call.method.lower() == wanted
            ]

    def redeliver(self, update_id: int) -> None:
        """Deliver an accepted update again, with the same update_id, as Telegram does when
        it did not see the answer (a timeout, a dropped connection)."""
        with self.cond:
            for entry in self._delivered:
                if entry[0] == update_id:
                    self._updates.appendleft(entry)
                    self._touch()
                    self._notify()
                    return
            raise AssertionError(f"update {update_id} was never delivered")

    def webhook_failed(self, url: str, message: str) -> None:
        with self.cond:
            if self._webhook is not None and self._webhook.url == url:
                self._webhook.last_error_date = int(self.now())
                self._webhook.last_error_message = message
                self._touch()

    def _m_set_webhook(self, params: Params) -> tuple[Any, str | None]:
        url = (params.str("url") or "").strip()
        if not url:
            return self._m_delete_webhook(params)
        if not re.match(r"^https?://[^/\s]+", url):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.str("secret_token")
        if secret is not None and secret != "" and not _SECRET_RE.match(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = max(1, min(params.int("max_connections", 40) or 40, 100))
        self.set_allowed_updates(params)
        if params.bool("drop_pending_updates"):
            self._updates.clear()
        same = self._webhook is not None and self._webhook.url == url
        self._webhook = WebhookSettings(
            url, secret or None, max_connections, params.str("ip_address")
        )
        self._touch()
        self._notify()
        return True, "Webhook is already set" if same else "Webhook was set"

    def _m_delete_webhook(self, params: Params) -> tuple[Any, str | None]:
        if params.bool("drop_pending_updates"):
            self._updates.clear()
        existed = self._webhook is not None
        self._webhook = None
        self._touch()
        self._notify()
        return True, "Webhook was deleted" if existed else "Webhook is already deleted"

    def _m_get_webhook_info(self, params: Params) -> tuple[Any, str | None]:
        info: dict[str, Any] = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        hook = self._webhook
        if hook is not None:
            info["url"] = hook.url
            info["max_connections"] = hook.max_connections
            if hook.ip_address:
                info["ip_address"] = hook.ip_address
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
            if self._allowed_updates is not None:
                info["allowed_updates"] = sorted(self._allowed_updates)
        return info, None
