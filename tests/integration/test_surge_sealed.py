"""The surge benchmark's sealed mode, run short: an intake process and a desk process (two bots,
one database) take a few people's whole questionnaire at once, and the volunteers close every
case from the desk bot. Only completeness is asserted, never a timing: the figures are for
bench/README.md, and this machine's load would make any bound flaky."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench import surge

PEOPLE = 4

# The same switch as tests/conftest.py's `database_url`: the fast lane runs SQLite only.
DATABASES = os.environ.get("INTAKE_TEST_DATABASES", "sqlite,postgresql").split(",")


# One database: the run covers both modes end to end (the sealed end-to-end tests run on
# PostgreSQL), and each database would add most of a minute to the suite.
@pytest.mark.parametrize("database", DATABASES[:1])
def test_sealed_surge_finishes_every_person_and_loses_or_doubles_no_case(
    tmp_path: Path, database: str
) -> None:
    argv = ["--people", str(PEOPLE), "--volunteers", "2", "--database", database, "--sealed",
            "--no-echo", "--mode", "polling", "--out", str(tmp_path), "--timeout", "300",
            "--step-timeout", "60", "--retries", "0", "--open-loop", "0"]  # fmt: skip
    status = surge.main(argv)
    report = json.loads((tmp_path / "latest.json").read_text())
    assert report["notes"] == [], report["notes"]
    assert status == 0
    sealed = report["sealed"]["surge"]
    assert sealed["people"] == sealed["completed"] == PEOPLE
    assert sealed["people_left_without_an_answer"] == 0
    assert sealed["people_told_something_went_wrong"] == 0
    assert sealed["references_received"] == sealed["cases_in_database"] == PEOPLE
    assert sealed["cases_lost"] == sealed["cases_duplicated"] == 0
    assert sealed["volunteer_closes"] == PEOPLE
    assert sealed["case_status"] == {"closed": PEOPLE}
    assert sealed["exit_status"] == 0
    assert sealed["desk_process"]["exit_status"] == 0
    # The first-message probe reached both modes (its figures are not checked).
    assert report["sealed"]["first_message"]["people"] == surge.PROBE_PEOPLE
    assert "first_unanswered" not in report["sealed"]["first_message"]
