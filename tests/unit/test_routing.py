"""Teams and routing (dialogs/routing.yaml): each default rule, the tags, and every check."""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any

import pytest
import yaml

from dialogs import routing, spec
from dialogs.routing import Routing, RoutingError
from locales.translator import Translator

QUESTIONNAIRE = spec.load()
TRANSLATOR = Translator.load()
TEXTS = {lang: TRANSLATOR.keys(lang) for lang in TRANSLATOR.languages}
SHIPPED: dict[str, Any] = yaml.safe_load(
    resources.files("dialogs").joinpath("routing.yaml").read_text(encoding="utf-8")
)


def shipped() -> Routing:
    return routing.load(questionnaire=QUESTIONNAIRE, available=TEXTS)


def team_of(**answers: Any) -> str:
    return shipped().route(answers).team


def test_the_shipped_routing_loads_with_its_texts() -> None:
    loaded = shipped()
    assert loaded.teams == ("duty", "evacuation", "asylum", "legal", "psych")
    assert loaded.default_team == "legal"
    for lang in QUESTIONNAIRE.languages:
        assert loaded.text_keys() <= TEXTS[lang]


@pytest.mark.parametrize(
    "answers",
    [
        {"urgency": "now"},
        {"status": "abroad", "return_risk": "detained"},
        {"status": "contract", "movement": "in_custody"},
        {"status": "refuser_held"},
        {"status": "left_unit", "location": "russia"},
        {"status": "summons", "summons_date": "today_or_past"},
    ],
)
def test_danger_now_goes_to_duty(answers: dict[str, Any]) -> None:
    """Urgency now, detained, in custody, refuser held, left the unit in Russia, a summons for
    today: the duty team, whatever help is asked for."""
    assert team_of(**answers, help=["psychological", "legal"]) == "duty"


def test_every_priority_one_answer_goes_to_duty() -> None:
    """The duty rule follows the questionnaire's most urgent priority: each of its clauses."""
    first = QUESTIONNAIRE.priority[0]
    assert first.value == 1
    for clause in first.when.clauses:
        answers = {step: sorted(values)[0] for step, values in clause}
        assert team_of(**answers) == "duty", answers


@pytest.mark.parametrize(
    "answers",
    [
        {"status": "left_unit", "location": "front_zone"},
        {"status": "mobilized", "location": "russia", "help": ["leave_russia"]},
        {"status": "not_called", "location": "russia", "help": ["safe_place", "legal"]},
    ],
)
def test_leaving_goes_to_evacuation(answers: dict[str, Any]) -> None:
    assert team_of(**answers, urgency="days") == "evacuation"


@pytest.mark.parametrize(
    "answers", [{"status": "abroad"}, {"status": "contract", "location": "abroad"}]
)
def test_abroad_goes_to_asylum(answers: dict[str, Any]) -> None:
    assert team_of(**answers, help=["asylum", "legal"], return_risk="worried") == "asylum"


def test_legal_help_goes_to_legal_and_psychological_alone_to_psych() -> None:
    base = {"status": "summons", "summons_date": "later", "location": "russia"}
    assert team_of(**base, help=["legal"]) == "legal"
    assert team_of(**base, help=["legal", "psychological"]) == "legal"
    assert team_of(**base, help=["psychological"]) == "psych"


def test_whatever_no_rule_catches_goes_to_the_default_team() -> None:
    assert team_of(status="other", location="russia", help=["other"]) == "legal"
    assert team_of() == "legal"


def test_tags_say_what_kind_of_case_it_is() -> None:
    route = shipped().route(
        {
            "who": "other_person",
            "status": "foreign_contract",
            "criminal_case": "yes",
            "health": "tell_volunteer",
            "phone_checked": "not_sure",
            "documents": ["taken_by_unit", "military_id"],
        }
    )
    assert route.tags == (
        "criminal_case",
        "health",
        "checked_phone",
        "foreign",
        "relative",
        "documents_taken",
    )
    assert shipped().route({"criminal_case": "no", "phone_checked": "no"}).tags == ()


def parse(data: dict[str, Any], texts: dict[str, set[str]] | None = None) -> Routing:
    return routing.parse(data, questionnaire=QUESTIONNAIRE, available=texts or TEXTS)


def broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(SHIPPED)
    change(data)
    return data


def test_an_unknown_team_in_a_rule_is_named() -> None:
    data = broken(lambda d: d["rules"][1].update(team="lawyers"))
    with pytest.raises(RoutingError, match=r"^rule 2: unknown team 'lawyers'$"):
        parse(data)


def test_an_unknown_step_in_a_condition_is_named() -> None:
    data = broken(lambda d: d["rules"][0].update(when={"urgent": "now"}))
    with pytest.raises(RoutingError, match=r"^rule 1: unknown step 'urgent'$"):
        parse(data)


def test_an_unknown_option_in_a_condition_is_named() -> None:
    data = broken(lambda d: d["tags"]["health"].update(when={"health": "sick"}))
    with pytest.raises(RoutingError, match=r"^tag 'health': step 'health' has no option 'sick'$"):
        parse(data)


def test_a_missing_team_name_is_named() -> None:
    texts = {lang: keys - {"team-psych"} for lang, keys in TEXTS.items()}
    with pytest.raises(
        RoutingError, match=r"^ru: missing text team-psych; en: missing text team-psych$"
    ):
        parse(copy.deepcopy(SHIPPED), texts)


def test_a_missing_tag_name_is_named() -> None:
    texts = {**TEXTS, "en": TEXTS["en"] - {"tag-health"}}
    with pytest.raises(RoutingError, match=r"^en: missing text tag-health$"):
        parse(copy.deepcopy(SHIPPED), texts)


def test_no_default_team_is_refused() -> None:
    data = broken(lambda d: d["rules"][-1].update(when={"help": "legal"}))
    with pytest.raises(RoutingError, match=r"^no default team: the last rule must have a team"):
        parse(data)
    with pytest.raises(RoutingError, match=r"^no default team"):
        parse(broken(lambda d: d.update(rules=[])))


def test_an_unknown_tag_in_a_rule_is_named() -> None:
    data = broken(lambda d: d["rules"][0].update(tags=["danger"]))
    with pytest.raises(RoutingError, match=r"^rule 1: unknown tag 'danger'$"):
        parse(data)


def test_a_file_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(RoutingError, match="must be a mapping"):
        parse([])  # type: ignore[arg-type]


def test_a_team_listed_twice_is_named() -> None:
    data = broken(lambda d: d["teams"].append("legal"))
    with pytest.raises(RoutingError, match=r"^team 'legal' is listed twice$"):
        parse(data)


def test_the_shipped_outcomes_and_canned_replies_load_with_their_texts() -> None:
    loaded = shipped()
    for outcome in ("left_russia", "legal_consultation", "referred_partner", "no_contact",
                    "not_our_profile", "suspected_provocation"):  # fmt: skip
        assert outcome in loaded.outcomes
    # A team's own reply first, then the shared one; a key nobody has: none.
    assert loaded.canned_for("legal", "legal") == "canned-legal-legal"
    assert loaded.canned_for("duty", "legal") == "canned-legal"
    assert loaded.canned_for(None, "safety") == "canned-safety"
    assert loaded.canned_for("legal", "route") is None
    assert loaded.canned_for("evacuation", "route") == "canned-evacuation-route"


def test_a_missing_outcome_name_is_named() -> None:
    texts = {**TEXTS, "ru": TEXTS["ru"] - {"outcome-no_contact"}}
    with pytest.raises(RoutingError, match=r"^ru: missing text outcome-no_contact$"):
        parse(copy.deepcopy(SHIPPED), texts)


def test_an_outcome_listed_twice_or_malformed_is_named() -> None:
    with pytest.raises(RoutingError, match=r"^outcome 'no_contact' is listed twice$"):
        parse(broken(lambda d: d["outcomes"].append("no_contact")))
    with pytest.raises(RoutingError, match=r"outcome id 'No Contact' is not a short lower-case"):
        parse(broken(lambda d: d["outcomes"].append("No Contact")))


def test_a_canned_reply_of_an_unknown_team_or_without_its_text_is_named() -> None:
    with pytest.raises(RoutingError, match=r"^canned: unknown team 'lawyers'; "):
        parse(broken(lambda d: d["canned"].update(lawyers=["legal"])))
    data = broken(lambda d: d["canned"].update(asylum=["papers"]))
    with pytest.raises(
        RoutingError,
        match=r"^ru: missing text canned-asylum-papers; en: missing text canned-asylum-papers$",
    ):
        parse(data)
