"""The surge benchmark with every peer, run short: the echo bot, the same-calls bots in
python-telegram-bot and in aiogram, then the intake bot, one after the other on one local
server, with long polling and then with a webhook. Only completeness is asserted (every person
finished, no answer lost or doubled, no case lost or doubled), never a timing: the figures are
for bench/README.md. And `--two-processes` (webhook mode only): the intake bot as two processes
behind a balancer, checked the same way."""

from __future__ import annotations

import json
from pathlib import Path

from bench import surge

PEOPLE = 20


def test_every_peer_and_the_intake_bot_in_both_modes_finish_everyone_and_lose_or_double_nothing(
    tmp_path: Path,
) -> None:
    # Generous bounds: each peer gets a sixth of its mode's share of --timeout, and under
    # `nice -n 19` on a busy machine a bot can be starved for many seconds; a run that goes
    # well takes about a minute whatever they are.
    argv = ["--people", str(PEOPLE), "--volunteers", "1", "--out", str(tmp_path),
            "--timeout", "1200", "--step-timeout", "120", "--retries", "0",
            "--open-loop", "0"]  # fmt: skip
    status = surge.main(argv)
    report = json.loads((tmp_path / "latest.json").read_text())
    assert report["notes"] == [], report["notes"]
    assert status == 0
    for mode, block in (("polling", report), ("webhook", report["webhook"])):
        for name in surge.PEERS:
            peer = block[name]
            assert peer["people"] == peer["completed"] == PEOPLE, (mode, name, peer["failures"])
            assert (peer["bot_calls_missing"], peer["bot_calls_extra"]) == (0, 0), (mode, name)
            assert peer["exit_status"] == 0, (mode, name)
        intake = block["intake"]
        assert intake["people"] == intake["completed"] == PEOPLE, (mode, intake["failures"])
        assert intake["people_left_without_an_answer"] == 0, mode
        assert intake["references_received"] == intake["cases_in_database"] == PEOPLE, mode
        assert intake["cases_lost"] == intake["cases_duplicated"] == 0, mode
        assert intake["exit_status"] == 0, mode
        assert set(block["ratio"]) == set(surge.PEERS), mode
    # In webhook mode the intake bot answers presses inside the webhook's answers.
    assert report["webhook"]["intake"]["bot_calls_in_webhook_answers"] > 0


def test_two_webhook_processes_behind_a_balancer_finish_everyone_and_lose_or_double_nothing(
    tmp_path: Path,
) -> None:
    """`--two-processes`: webhook mode's intake bot, then two of its processes behind the
    round-robin balancer (bench/balancer.py), each with its own people; no peer, no open loop."""
    argv = ["--people", str(PEOPLE), "--volunteers", "1", "--out", str(tmp_path),
            "--timeout", "600", "--step-timeout", "120", "--retries", "0", "--open-loop", "0",
            "--mode", "webhook", "--peers", "", "--two-processes"]  # fmt: skip
    status = surge.main(argv)
    report = json.loads((tmp_path / "latest.json").read_text())
    assert report["notes"] == [], report["notes"]
    assert status == 0
    for name, block in (("one", report["webhook"]["intake"]), ("two", report["two_processes"])):
        assert block["people"] == block["completed"] == PEOPLE, (name, block["failures"])
        assert block["people_left_without_an_answer"] == 0, name
        assert block["references_received"] == block["cases_in_database"] == PEOPLE, name
        assert block["cases_lost"] == block["cases_duplicated"] == 0, name
        assert block["exit_status"] == 0, name
    two = report["two_processes"]
    assert two["exit_status_each"] == [0, 0]
    assert all(count > 0 for count in two["updates_to_each_process"]), two
    assert "throughput" in two["ratio"]
