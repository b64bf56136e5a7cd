"""The surge benchmark's open loop, run short: after a small closed-loop surge, a few people who
pause before every step fill in the whole questionnaire against a bot of their own. Only
completeness is asserted, never a timing: the figures are for bench/README.md, and this
machine's load would make any bound flaky."""

from __future__ import annotations

import json
from pathlib import Path

from bench import surge
from bench.people import INTAKE_STEPS

PEOPLE = 5


def test_open_loop_finishes_every_person_and_loses_or_doubles_no_case(tmp_path: Path) -> None:
    argv = ["--people", str(PEOPLE), "--volunteers", "2", "--no-echo", "--mode", "polling",
            "--open-loop", str(PEOPLE),
            "--pause", "0.1,0.3", "--out", str(tmp_path), "--timeout", "300",
            "--step-timeout", "60", "--retries", "0"]  # fmt: skip
    status = surge.main(argv)
    report = json.loads((tmp_path / "latest.json").read_text())
    assert report["notes"] == [], report["notes"]
    assert status == 0
    run = report["open_loop"][str(PEOPLE)]
    assert run["people"] == run["completed"] == PEOPLE
    assert run["people_left_without_an_answer"] == 0
    assert run["people_told_something_went_wrong"] == 0
    assert run["references_received"] == run["cases_in_database"] == PEOPLE
    assert run["cases_lost"] == run["cases_duplicated"] == 0
    # Nobody closes them at this pace: every case is still in the queue, none refused or lost.
    assert run["cases_waiting_in_the_queue"] == PEOPLE
    # Every step of every person was shown its next question, once.
    assert run["next_screen_ms"]["count"] == PEOPLE * len(INTAKE_STEPS)
    assert run["exit_status"] == 0
