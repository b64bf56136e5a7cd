"""Bot API methods on messages: send, copy, edit, delete, chat actions, button answers, files."""

from __future__ import annotations

import copy
from typing import Any

from localapi.models import ApiError, bad_request
from localapi.params import (
    MAX_CAPTION_LENGTH,
    Params,
    formatted_text,
    message_text,
    reply_markup,
    to_int,
)
from localapi.world import World


def _not_modified() -> ApiError:
    return bad_request(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )


class MessageMethods(World):
    """What the bot does to messages, with Telegram's rules for each."""

    def _m_send_message(self, params: Params) -> tuple[Any, str | None]:
        text, entities = message_text(params)
        inline, keyboard = reply_markup(params)
        chat = self._chat(params)
        self._writable(chat)
        reply_to = self._reply_to(chat, params)
        message = self._add_message(
            chat,
            from_bot=True,
            kind="text",
            text=text,
            entities=entities,
            reply_markup=inline,
            reply_keyboard=keyboard,
            protect_content=params.bool("protect_content"),
            reply_to=reply_to,
        )
        return self.message_json(message), None

    def _m_copy_message(self, params: Params) -> tuple[Any, str | None]:
        caption, caption_entities = formatted_text(params, "caption", "caption_entities")
        if caption is not None and len(caption) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        inline, keyboard = reply_markup(params)
        source_chat = self._chat(params, "from_chat_id")
        message_id = self._message_id(params)
        chat = self._chat(params)
        self._writable(chat)
        source = self._message(source_chat, message_id, "message to copy")
        if source.kind == "auto_delete_timer_changed":
            raise bad_request("message can't be copied")
        if source.protect_content:
            raise bad_request("message has protected content and can't be forwarded")
        reply_to = self._reply_to(chat, params)
        fields: dict[str, Any] = {
            "text": source.text,
            "entities": copy.deepcopy(source.entities),
            "content": copy.deepcopy(source.content),
            "caption": source.caption,
            "caption_entities": copy.deepcopy(source.caption_entities),
        }
        if caption is not None and source.text is None:
            fields["caption"] = caption or None
            fields["caption_entities"] = caption_entities
        copied = self._add_message(
            chat,
            from_bot=True,
            kind=source.kind,
            reply_markup=inline,
            reply_keyboard=keyboard,
            protect_content=params.bool("protect_content"),
            reply_to=reply_to,
            **fields,
        )
        return {"message_id": copied.message_id}, None

    def _m_send_chat_action(self, params: Params) -> tuple[Any, str | None]:
        chat = self._chat(params)
        self._writable(chat)
        if not params.str("action"):
            raise bad_request("wrong parameter action in request")
        return True, None

    def _m_edit_message_text(self, params: Params) -> tuple[Any, str | None]:
        if params.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        text, entities = message_text(params)
        inline, _ = reply_markup(params, inline_only=True)
        chat = self._chat(params)
        message = self._message(chat, self._message_id(params), "message to edit")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        if message.text == text and message.entities == entities and message.reply_markup == inline:
            raise _not_modified()
        message.text = text
        message.entities = entities
        message.reply_markup = inline
        message.edit_date = int(self.now())
        self._touch(message)
        return self.message_json(message), None

    def _m_edit_message_reply_markup(self, params: Params) -> tuple[Any, str | None]:
        if params.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        inline, _ = reply_markup(params, inline_only=True)
        chat = self._chat(params)
        message = self._message(chat, self._message_id(params), "message to edit")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        if message.reply_markup == inline:
            raise _not_modified()
        message.reply_markup = inline
        message.edit_date = int(self.now())
        self._touch(message)
        return self.message_json(message), None

    def _m_delete_message(self, params: Params) -> tuple[Any, str | None]:
        chat = self._chat(params)
        message = self._message(chat, self._message_id(params), "message to delete")
        self._check_deletable(message)
        message.deleted = True
        self._touch(message)
        return True, None

    def _m_delete_messages(self, params: Params) -> tuple[Any, str | None]:
        ids = params.json("message_ids", "message identifiers")
        if ids is not None and not isinstance(ids, list):
            raise bad_request("can't parse message identifiers JSON object")
        if not ids:
            raise bad_request("message identifiers are not specified")
        if len(ids) > 100:
            raise bad_request("too many message identifiers specified")
        chat = self._chat(params)
        deleted = 0
        # Telegram skips messages that can't be found; we also skip ones that can't be deleted.
        for raw_id in ids:
            message = chat.messages.get(to_int(raw_id) or 0)
            if message is None or message.deleted:
                continue
            try:
                self._check_deletable(message)
            except ApiError:
                continue
            message.deleted = True
            self._touch(message)
            deleted += 1
        if not deleted:
            raise bad_request("message to delete not found")
        return True, None

    def _m_answer_callback_query(self, params: Params) -> tuple[Any, str | None]:
        query_id = params.str("callback_query_id") or ""
        query = self._queries.get(query_id)
        if query is None or query.answered or self.now() - query.created > self.callback_query_ttl:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        query.answered = True
        self.chats[query.chat_id].callback_answers.append(
            {
                "callback_query_id": query_id,
                "text": params.str("text"),
                "show_alert": params.bool("show_alert"),
                "url": params.str("url"),
                "cache_time": params.int("cache_time", 0),
            }
        )
        self._touch()
        return True, None

    def _m_get_file(self, params: Params) -> tuple[Any, str | None]:
        info = self._files.get(params.str("file_id") or "")
        if info is None:
            raise bad_request("invalid file_id")
        return dict(info), None

    def file_content(self, file_path: str) -> bytes | None:
        """Bytes served under base_file_url for a file users sent (placeholder content)."""
        with self.cond:
            known = any(info["file_path"] == file_path for info in self._files.values())
        return f"local bot api placeholder for {file_path}\n".encode() if known else None
