"""Turns engine prompts into Telegram text and inline keyboards, in the person's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callback_data as cb
from bot.telegram_limits import truncate
from casework.answers import answer_line
from dialogs.events import Notice, Prompt
from dialogs.spec import TYPED_KINDS
from locales.translator import Translator


@dataclass(frozen=True)
class Screen:
    text: str
    keyboard: InlineKeyboardMarkup | None = None


class Renderer:
    def __init__(self, translator: Translator) -> None:
        self.t = translator

    def text(self, language: str, key: str, /, **args: Any) -> str:
        return self.t.text(language, key, **args)

    def prompt(self, prompt: Prompt, *extra: Notice) -> Screen:
        lang = prompt.language
        parts = [self._notice(lang, n) for n in (*extra, *prompt.notices)]
        if prompt.kind == "review":
            parts.append(self.t.text(lang, "review-question"))
            lines = [
                answer_line(self.t, lang, line.step, line.answer, secret=line.secret)
                for line in prompt.review
            ]
            parts.append("\n".join(lines))
            rows = [
                [
                    self._button(
                        self.t.text(
                            lang, "review-change", label=self.t.text(lang, f"{line.step}-label")
                        ),
                        cb.EDIT,
                        line.step,
                    )
                ]
                for line in prompt.review
            ]
            rows.append([self._button(self.t.text(lang, "review-submit"), cb.SUBMIT)])
            rows.extend(self._send_now_row(prompt))
            rows.append([self._button(self.t.text(lang, "button-back"), cb.BACK)])
            return Screen(truncate("\n\n".join(parts)), InlineKeyboardMarkup(rows))
        parts.append(self.t.text(lang, f"{prompt.step}-question", max=prompt.max_length))
        rows = self._option_rows(prompt)
        if prompt.kind == "multi":
            rows.append([self._button(self.t.text(lang, "button-done"), cb.DONE, prompt.step)])
        if prompt.kind in TYPED_KINDS and prompt.optional:
            rows.append([self._button(self.t.text(lang, "button-skip"), cb.SKIP, prompt.step)])
        rows.extend(self._send_now_row(prompt))
        if prompt.can_go_back:
            rows.append([self._button(self.t.text(lang, "button-back"), cb.BACK)])
        keyboard = InlineKeyboardMarkup(rows) if rows else None
        return Screen(truncate("\n\n".join(parts)), keyboard)

    def sent_now(self, language: str, reference: str) -> Screen:
        """A request sent with "Send now": its reference, and the way back to the questions."""
        button = self._button(self.t.text(language, "button-answer-rest"), cb.ANSWER_REST)
        text = self.t.text(language, "sent-now", reference=reference)
        return Screen(text, InlineKeyboardMarkup([[button]]))

    def notice(self, language: str, key: str, **args: Any) -> str:
        return self.t.text(language, key, **args)

    def choice(
        self, language: str, key: str, buttons: list[tuple[str, str]], **args: Any
    ) -> Screen:
        """A question of the bot's own (cancel? forget?), with one button per row."""
        rows = [
            [InlineKeyboardButton(self.t.text(language, label), callback_data=data)]
            for label, data in buttons
        ]
        return Screen(self.t.text(language, key, **args), InlineKeyboardMarkup(rows))

    def language_choice(self, language: str, languages: tuple[str, ...]) -> Screen:
        rows = [
            [
                InlineKeyboardButton(
                    self.t.text(language, f"language-opt-{code}"),
                    callback_data=cb.encode(cb.LANGUAGE, code),
                )
            ]
            for code in languages
        ]
        return Screen(self.t.text(language, "language-choose"), InlineKeyboardMarkup(rows))

    # -- pieces --------------------------------------------------------------------------------

    def _option_rows(self, prompt: Prompt) -> list[list[InlineKeyboardButton]]:
        action = cb.TOGGLE if prompt.kind == "multi" else cb.CHOOSE
        buttons = []
        for option in prompt.options:
            label = self.t.text(prompt.language, f"{prompt.step}-opt-{option}")
            if option in prompt.selected:
                label = self.t.text(prompt.language, "selected-mark", option=label)
            buttons.append(self._button(label, action, prompt.step, option))
        if prompt.kind == "yesno":
            return [buttons]  # side by side, as people expect of yes and no
        return [[button] for button in buttons]

    def _send_now_row(self, prompt: Prompt) -> list[list[InlineKeyboardButton]]:
        if not prompt.can_send_now:
            return []
        return [[self._button(self.t.text(prompt.language, "button-send-now"), cb.SEND_NOW)]]

    def _notice(self, lang: str, notice: Notice) -> str:
        return self.t.text(lang, notice.key, **notice.args)

    @staticmethod
    def _button(label: str, kind: str, *args: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=cb.encode(kind, *args))
