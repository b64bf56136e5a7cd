"""A broken questionnaire stops start-up with a message that names the problem."""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from dialogs.spec import SpecError, load, missing_texts, parse
from locales.translator import Translator


@pytest.fixture
def data() -> dict[str, Any]:
    text = resources.files("dialogs").joinpath("intake.yaml").read_text(encoding="utf-8")
    return copy.deepcopy(yaml.safe_load(text))


def test_the_shipped_questionnaire_is_valid_and_fully_translated() -> None:
    spec = load()
    translator = Translator.load()
    assert set(translator.languages) == set(spec.languages) == {"ru", "en"}
    assert missing_texts(spec, {lang: translator.keys(lang) for lang in spec.languages}) == []


def test_unknown_target_is_reported(data: dict[str, Any]) -> None:
    data["steps"]["who"]["next"] = "statsu"
    with pytest.raises(SpecError, match=r"step 'who': unknown target 'statsu'"):
        parse(data)


def test_unreachable_step_is_reported(data: dict[str, Any]) -> None:
    data["steps"]["orphan"] = {"kind": "choice", "options": ["a"], "next": "review"}
    with pytest.raises(SpecError, match=r"step 'orphan' is unreachable"):
        parse(data)


def test_step_without_next_is_a_dead_end(data: dict[str, Any]) -> None:
    del data["steps"]["safe_time"]["next"]
    with pytest.raises(SpecError, match=r"step 'safe_time': dead end"):
        parse(data)


def test_conditional_last_route_is_a_dead_end(data: dict[str, Any]) -> None:
    data["steps"]["status"]["next"] = [{"to": "location", "when": {"status": "abroad"}}]
    with pytest.raises(SpecError, match=r"step 'status': dead end when no route matches"):
        parse(data)


def test_loop_that_never_reaches_review_is_a_dead_end(data: dict[str, Any]) -> None:
    data["steps"]["details"]["next"] = "safe_time"
    data["steps"]["safe_time"]["next"] = "details"
    with pytest.raises(SpecError, match=r"step 'safe_time' is a dead end"):
        parse(data)


def test_condition_on_an_unknown_step_is_reported(data: dict[str, Any]) -> None:
    data["steps"]["help"]["options"][0]["unless"] = [{"locaton": "abroad"}]
    with pytest.raises(SpecError, match=r"unknown step 'locaton'"):
        parse(data)


def test_missing_text_in_one_language_is_reported(tmp_path: Path) -> None:
    for lang in ("ru", "en"):
        source = resources.files("locales").joinpath(lang)
        (tmp_path / lang).mkdir()
        for file in source.iterdir():
            if file.name.endswith(".ftl"):
                text = file.read_text(encoding="utf-8")
                if lang == "en":
                    text = text.replace("urgency-opt-days = Within a few days\n", "")
                (tmp_path / lang / file.name).write_text(text, encoding="utf-8")
    with pytest.raises(Exception, match=r"en: urgency-opt-days"):
        Translator.load(tmp_path)  # type: ignore[arg-type]
    spec = load()
    available = {"ru": Translator.load().keys("ru"), "en": Translator.load().keys("en") - {"x"}}
    available["en"].discard("urgency-opt-days")
    assert missing_texts(spec, available) == ["en: urgency-opt-days"]


def test_a_category_without_a_name_for_volunteers_is_reported() -> None:
    spec = load()
    available = {lang: Translator.load().keys(lang) for lang in spec.languages}
    available["ru"].discard("category-summons")
    assert missing_texts(spec, available) == ["ru: category-summons"]
