"""The open-drafts benchmark, run short: 50 people start the questionnaire, answer its first
steps and pause, and every one of them has a draft the report accounts for. Only completeness
and the presence of the figures are asserted, never a timing or a memory bound: the figures are
for bench/README.md, and this machine's load would make any bound flaky."""

from __future__ import annotations

import json
from pathlib import Path

from bench import drafts

PEOPLE = 50


def test_every_person_who_paused_has_an_open_draft_and_the_report_has_its_figures(
    tmp_path: Path,
) -> None:
    argv = ["--drafts", str(PEOPLE), "--out", str(tmp_path), "--timeout", "300",
            "--step-timeout", "120", "--idle", "1", "--settle", "1"]  # fmt: skip
    status = drafts.main(argv)
    report = json.loads((tmp_path / f"drafts-{PEOPLE}.json").read_text())
    assert report["failure"] is None
    assert report["notes"] == [], report["notes"]
    assert status == 0
    assert report["opened"] == PEOPLE
    assert report["failed"] == {}
    # Paused, not finished: every person's draft is still in Redis.
    assert report["redis_after"]["draft_keys"] == PEOPLE
    assert "sendMessage" in report["bot_api_calls"]
    for phase in ("idle", "all_open", "settled"):
        assert report[phase]["rss_mib"] > 0
        assert report[phase]["peak_mib"] > 0
    assert report["peak_memory_mib"] > 0
    assert report["redis_bytes_per_draft_memory_usage"] > 0
    assert report["redis_bytes_per_draft_used_memory"] is not None
    assert report["seconds_to_open_all"] > 0
    assert report["exit_status"] == 0
