"""Engine outcomes as template data for the web form: plain values, no tornado in sight.

The texts are the bot's (`locales/`), looked up by the same keys; where a text speaks of
Telegram (a chat, a command, a button the bot shows), the web form uses its own `web-<key>`
when the locale has one, so both doors keep one questionnaire and one set of answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from casework.answers import answer_line
from dialogs.events import Notice, Prompt
from dialogs.spec import TYPED_KINDS
from locales.translator import Translator

WEB_PREFIX = "web-"
MAX_CODE = 40
"""Characters of a typed `/web` code (14 with its dashes; spaces around it forgiven)."""


@dataclass(frozen=True)
class Choice:
    """One option of a question: its id (the form's value), its words, whether it is chosen."""

    id: str
    label: str
    selected: bool = False


@dataclass(frozen=True)
class ReviewRow:
    step: str
    line: str
    change: str
    """The words of its edit button."""


@dataclass(frozen=True)
class ThreadEntry:
    """One message of a web thread: the person's own (`mine`) or the volunteer's."""

    mine: bool
    text: str
    who: str = ""
    """Its words: "You" or "Volunteer", in the person's language."""
    earlier: bool = False
    """Sealed mode: not sealed to the person's key (written before this passphrase), so its
    text cannot be shown here; the page says so instead."""


@dataclass(frozen=True)
class Page:
    """Everything a template shows: texts already in the person's language."""

    language: str
    title: str
    notices: tuple[str, ...] = ()
    body: str = ""
    """The question, or the closing text of a finished page."""
    step: str = ""
    kind: str = ""
    """A step kind (choice, yesno, multi, text, secret), "review", "flag" (keep or remove a
    detail), or "" for a closing page."""
    choices: tuple[Choice, ...] = ()
    review: tuple[ReviewRow, ...] = ()
    optional: bool = False
    max_length: int = 0
    can_go_back: bool = False
    can_send_now: bool = False
    text: str = ""
    """What the person typed, shown again when it was refused or flagged (never a codeword)."""
    come_back: str = ""
    """The footer: a link to `/login` for someone who sent a request here before ("" on the
    pages of someone logged in already)."""
    labels: dict[str, str] = field(default_factory=dict)
    languages: tuple[Choice, ...] = ()
    """The language switch (empty before a questionnaire exists)."""
    link: str = ""
    """A closing page's way on (a link to the form): its words, or "" for none."""
    passphrase: str = ""
    """Shown once, on the page after Send (never again, never stored)."""
    thread: tuple[ThreadEntry, ...] = ()
    """kind "thread": the case's messages, oldest first."""
    note: str = ""
    """kind "thread": a line below the intro (sealed mode: why earlier messages are not shown)."""
    action: str = "/"
    """Where the page's form posts: the questionnaire, or `/login`, `/thread`, `/forget`,
    `/continue`."""


class Pages:
    def __init__(self, translator: Translator, languages: tuple[str, ...]) -> None:
        self.t = translator
        self.languages = languages

    def text(self, language: str, key: str, /, **args: object) -> str:
        """The web's own wording of `key` if there is one, else the bot's."""
        own = WEB_PREFIX + key
        chosen = own if self.t.has(language, own) else key
        return self.t.text(language, chosen, **args)

    def prompt(self, prompt: Prompt, *extra: Notice, typed: str = "", switch: bool = True) -> Page:
        """The page for a question or the review screen, with notices above it."""
        lang = prompt.language
        notices = tuple(self.text(lang, n.key, **n.args) for n in (*extra, *prompt.notices))
        base = Page(
            language=lang,
            title=self.t.text(lang, "web-title"),
            notices=notices,
            step=prompt.step,
            kind=prompt.kind,
            can_go_back=prompt.can_go_back,
            can_send_now=prompt.can_send_now,
            come_back=self.t.text(lang, "web-come-back"),
            labels=self._labels(lang),
            languages=self._languages(lang) if switch else (),
        )
        if prompt.kind == "review":
            rows = tuple(
                ReviewRow(
                    step=line.step,
                    line=answer_line(self.t, lang, line.step, line.answer, secret=line.secret),
                    change=self.t.text(
                        lang, "review-change", label=self.t.text(lang, f"{line.step}-label")
                    ),
                )
                for line in prompt.review
            )
            return replace(base, body=self.text(lang, "review-question"), review=rows)
        choices = tuple(
            Choice(o, self.t.text(lang, f"{prompt.step}-opt-{o}"), o in prompt.selected)
            for o in prompt.options
        )
        return replace(
            base,
            body=self.text(lang, f"{prompt.step}-question", max=prompt.max_length),
            choices=choices,
            optional=prompt.optional and prompt.kind in TYPED_KINDS,
            max_length=prompt.max_length,
            text=typed if prompt.kind == "text" else "",
        )

    def flagged(self, language: str, step: str, kind: str, text: str) -> Page:
        """Keep or remove an identifying detail (`dialogs.flagging`); `text` rides along."""
        return Page(
            language=language,
            title=self.t.text(language, "web-title"),
            body=self.text(language, f"flag-{kind}"),
            step=step,
            kind="flag",
            text=text,
            come_back=self.t.text(language, "web-come-back"),
            labels=self._labels(language),
        )

    def closing(
        self,
        language: str,
        key: str,
        *,
        link: str | None = "again",
        passphrase: str = "",
        **args: object,
    ) -> Page:
        """A page with one text and no question (sent, declined, refused); `link` names the
        label of its link back to the form ("again", "answer_rest"), None for no link;
        `passphrase`, shown below the text with the way to come back, once."""
        labels = self._labels(language)
        return Page(
            language=language,
            title=self.t.text(language, "web-title"),
            body=self.text(language, key, **args),
            come_back=self.t.text(language, "web-come-back"),
            labels=labels,
            link=labels[link] if link is not None else "",
            passphrase=passphrase,
        )

    def login(self, language: str, notices: tuple[str, ...] = ()) -> Page:
        """The passphrase form; `notices` are keys (one for a wrong and an unknown phrase)."""
        return Page(
            language=language,
            title=self.t.text(language, "web-title"),
            notices=tuple(self.t.text(language, key) for key in notices),
            body=self.t.text(language, "web-login-question"),
            kind="login",
            action="/login",
            come_back=self.t.text(language, "web-come-back"),
            labels=self._labels(language),
        )

    def thread(
        self,
        language: str,
        reference: str,
        status: str,
        entries: list[ThreadEntry],
        notices: tuple[str, ...] = (),
        *,
        readable: bool = True,
    ) -> Page:
        """A case's thread and the form to write more (none once the case is closed);
        `readable` False: none of it can be shown here (sealed mode, no key of the person's)."""
        you = self.t.text(language, "web-thread-you")
        them = self.t.text(language, "web-thread-volunteer")
        earlier = self.t.text(language, "web-thread-earlier-entry")
        shown = tuple(
            replace(e, who=you if e.mine else them, text=earlier if e.earlier else e.text)
            for e in entries
        )
        note = ""
        if any(e.earlier for e in entries):
            note = self.t.text(language, "web-thread-earlier")
        if not readable:
            body = self.t.text(language, "web-thread-sealed", reference=reference)
        elif not shown:
            body = self.t.text(language, "web-thread-empty-thread", reference=reference)
        else:
            body = self.t.text(language, "web-thread-intro", reference=reference)
        return Page(
            language=language,
            title=self.t.text(language, "web-title"),
            notices=tuple(self.t.text(language, key) for key in notices),
            body=body,
            kind="thread" if status != "closed" else "thread-closed",
            thread=shown,
            note=note,
            action="/thread",
            max_length=4000,
            labels=self._labels(language),
        )

    def forget(self, language: str, reference: str) -> Page:
        """Are you sure? Erasing cannot be undone."""
        return Page(
            language=language,
            title=self.t.text(language, "web-title"),
            body=self.t.text(language, "web-forget-question", reference=reference),
            kind="forget",
            action="/forget",
            labels=self._labels(language),
        )

    def continue_form(self, language: str, notices: tuple[str, ...] = ()) -> Page:
        """The `/web` code form (a Telegram request continued here); `notices` are keys."""
        return Page(
            language=language,
            title=self.t.text(language, "web-title"),
            notices=tuple(self.t.text(language, key) for key in notices),
            body=self.t.text(language, "web-continue-question"),
            kind="continue",
            action="/continue",
            max_length=MAX_CODE,
            come_back=self.t.text(language, "web-come-back"),
            labels=self._labels(language),
        )

    def _labels(self, lang: str) -> dict[str, str]:
        keys = {
            "back": "button-back",
            "done": "button-done",
            "skip": "button-skip",
            "submit": "review-submit",
            "send_now": "button-send-now",
            "answer": "web-answer",
            "language": "web-language",
            "again": "web-again",
            "answer_rest": "button-answer-rest",
            "keep": "flag-keep",
            "remove": "flag-remove",
            "passphrase": "web-passphrase",
            "login": "web-login",
            "write": "web-thread-send",
            "forget": "web-forget",
            "forget_confirm": "web-forget-confirm",
            "back_to_thread": "web-back-to-thread",
            "continue": "web-continue",
            "continue_link": "web-continue-link",
        }
        return {name: self.t.text(lang, key) for name, key in keys.items()}

    def _languages(self, current: str) -> tuple[Choice, ...]:
        return tuple(
            Choice(code, self.t.text(code, f"language-opt-{code}"), code == current)
            for code in self.languages
        )
