"""Every user-facing text, looked up by key in Fluent files (locales/<lang>/*.ftl).

Fluent gives Russian its plural forms (one/few/many) without code. Files are read once at start;
a syntax error or a key present in one language but not another is a start-up error.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from fluent.runtime import FluentBundle, FluentResource
from fluent.syntax import FluentParser
from fluent.syntax import ast as fluent_ast

log = logging.getLogger(__name__)

# fluent.runtime refuses a placeable longer than 2,500 characters (a guard against expanding
# messages) and shows "{???}" instead. What a person wrote may be longer (Telegram allows
# 4,096), so long arguments go in after formatting, in place of a random marker.
_LONG_ARGUMENT = 1000


class LocaleError(ValueError):
    """A locale file is broken or incomplete; the message names the file or key."""


class Translator:
    def __init__(self, bundles: dict[str, FluentBundle], keys: dict[str, set[str]]) -> None:
        self._bundles = bundles
        self._keys = keys

    @classmethod
    def load(cls, root: Traversable | None = None) -> Translator:
        """Load every language folder under `root` (default: the shipped `locales` package)."""
        base = root if root is not None else resources.files("locales")
        bundles: dict[str, FluentBundle] = {}
        keys: dict[str, set[str]] = {}
        for folder in sorted(base.iterdir(), key=lambda entry: entry.name):
            if not folder.is_dir() or folder.name.startswith(("_", ".")):
                continue
            files = sorted(
                (f for f in folder.iterdir() if f.name.endswith(".ftl")), key=lambda f: f.name
            )
            if not files:
                continue
            bundle = FluentBundle([folder.name], use_isolating=False)
            keys[folder.name] = set()
            for file in files:
                source = file.read_text(encoding="utf-8")
                keys[folder.name] |= _message_ids(source, f"{folder.name}/{file.name}")
                bundle.add_resource(FluentResource(source))
            bundles[folder.name] = bundle
        translator = cls(bundles, keys)
        translator.check_complete()
        return translator

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._bundles)

    def keys(self, language: str) -> set[str]:
        return set(self._keys.get(language, set()))

    def check_complete(self) -> None:
        """Every key must exist in every language, so nobody gets a half-translated bot."""
        if not self._keys:
            raise LocaleError("no locale folders with .ftl files were found")
        everything = set().union(*self._keys.values())
        missing = [
            f"{language}: {key}"
            for language, present in self._keys.items()
            for key in sorted(everything - present)
        ]
        if missing:
            raise LocaleError("texts missing in a language:\n  - " + "\n  - ".join(missing))

    def has(self, language: str, key: str) -> bool:
        return key in self._keys.get(language, ())

    def missing(self, language: str, needed: Iterable[str]) -> list[str]:
        return sorted(set(needed) - self._keys.get(language, set()))

    def text(self, language: str, key: str, /, **args: Any) -> str:
        bundle = self._bundles[language]
        if not bundle.has_message(key):
            raise KeyError(f"{language}: {key}")
        message = bundle.get_message(key)
        if message.value is None:
            raise KeyError(f"{language}: {key} has no value")
        long = {
            name: value
            for name, value in args.items()
            if isinstance(value, str) and len(value) > _LONG_ARGUMENT
        }
        markers = {name: f"\u2063{secrets.token_hex(8)}\u2063" for name in long}
        value, errors = bundle.format_pattern(message.value, {**args, **markers})
        if errors:
            # Names of keys only: arguments may hold what a person wrote.
            log.warning("locale %s/%s formatted with %d error(s)", language, key, len(errors))
        text = str(value)
        for name, marker in markers.items():
            text = text.replace(marker, long[name])
        return text


def _message_ids(source: str, where: str) -> set[str]:
    resource = FluentParser().parse(source)
    junk = [entry for entry in resource.body if isinstance(entry, fluent_ast.Junk)]
    if junk:
        content = (junk[0].content or "").strip()
        first = content.splitlines()[0] if content else ""
        raise LocaleError(f"{where}: syntax error near {first!r}")
    return {entry.id.name for entry in resource.body if isinstance(entry, fluent_ast.Message)}
