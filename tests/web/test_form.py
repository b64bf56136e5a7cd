"""The web form over real HTTP: every step, Back, review and edit, Send, CSRF, bad input,
headers and logs. The texts compared are the bot's own (the translator's), so a page that says
something else than the bot would is caught."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from casework.answers import answer_line
from locales.translator import Translator
from storage.cases import case_answers
from storage.crypto import (
    Cipher,
    DeskKeyWrapper,
    generate_desk_key_pair,
    generate_master_key,
    parse_desk_private_keys,
)
from storage.models import Case, DeskSignal, Person
from tests.web.conftest import Door, OpenDoor, Visitor
from web.app import CONTENT_SECURITY_POLICY

T = Translator.load()

# Answers for each step, by path: together they reach every step of dialogs/intake.yaml.
ANYONE = {
    "language": "en",
    "consent": "agree",
    "criminal_case": "no",
    "health": "no",
    "urgency": "days",
    "help": ["legal"],
    "documents": ["military_id"],
    "phone_checked": "no",
    "codeword": "",
    "details": "",
}
PATHS = [
    {
        **ANYONE,
        "who": "other_person",
        "other_knows": "yes",
        "status": "summons",
        "summons_date": "within_week",
        "location": "russia",
        "help": ["leave_russia", "legal"],
        "phone_checked": "yes",
        "safe_time": "evenings",
        "codeword": "blue heron",
        "details": "I need advice about the summons.",
    },
    {
        **ANYONE,
        "who": "self",
        "status": "contract",
        "location": "abroad",
        "movement": "on_leave",
        "abroad_region": "armenia",
        "return_risk": "worried",
    },
]


async def answer(visitor: Visitor, answers: dict[str, object]) -> None:
    """Answer the page's question from `answers` (an empty text is skipped)."""
    page = visitor.page
    given = answers[page.step]
    if page.checkboxes:
        await visitor.press("done", option=list(given))  # type: ignore[arg-type]
    elif page.textarea is not None or page.password:
        if given:
            await visitor.press("answer", text=str(given))
        else:
            await visitor.press("skip")
    else:
        await visitor.press("choose", str(given))


async def walk(visitor: Visitor, answers: dict[str, object], until: str = "review") -> None:
    await visitor.open()
    for _ in range(40):
        if visitor.page.step == until:
            return
        await answer(visitor, answers)
    raise AssertionError(f"never reached {until}: {visitor.steps}")


async def cases(door: Door) -> list[Case]:
    async with door.services.sessions() as db:
        return list(await db.scalars(select(Case)))


async def test_every_step_of_the_questionnaire_is_reachable(door: Door) -> None:
    seen: set[str] = set()
    for answers in PATHS:
        visitor = door.visitor()
        await walk(visitor, answers)
        seen.update(visitor.steps)
    declined = door.visitor()
    await declined.open()
    await declined.press("choose", "en")
    page = await declined.press("choose", "decline")
    assert page.body == T.text("en", "web-declined-question")
    seen.add("declined")
    assert seen == {*door.services.engine.spec.steps, "review"}


async def test_the_first_page_is_the_language_question_and_stores_nothing(door: Door) -> None:
    visitor = door.visitor("ru")
    page = await visitor.open()
    assert page.step == "language"
    assert page.body == T.text("ru", "language-question")
    assert "session" not in visitor.client.cookies


async def test_the_consent_page_speaks_of_the_web_not_of_telegram(door: Door) -> None:
    visitor = door.visitor()
    await visitor.open()
    page = await visitor.press("choose", "en")
    assert page.step == "consent"
    assert page.body == T.text("en", "web-consent-question")
    assert "/forget" not in page.body


async def test_back_returns_to_the_previous_question(door: Door) -> None:
    visitor = door.visitor()
    await walk(visitor, PATHS[0], until="status")
    page = await visitor.press("back")
    assert page.step == "other_knows"
    assert ("choose", "yes") in [(b.name, b.value) for b in page.buttons]
    page = await visitor.press("back")
    assert page.step == "who"


async def test_the_review_screen_shows_the_answers_and_an_edit_goes_back_to_it(
    door: Door,
) -> None:
    visitor = door.visitor()
    await walk(visitor, PATHS[1])
    page = visitor.page
    assert page.body == T.text("en", "review-question")
    line = answer_line(T, "en", "health", "no")
    assert line in page.html
    assert "health" in page.values("edit")
    page = await visitor.press("edit", "health")
    assert page.step == "health"
    page = await visitor.press("choose", "yes")
    assert page.step == "review"  # answered questions are skipped on the way back
    assert answer_line(T, "en", "health", "yes") in page.html


async def test_send_stores_one_encrypted_web_case_and_shows_a_passphrase_once(
    door: Door,
) -> None:
    visitor = door.visitor()
    await walk(visitor, PATHS[0])
    assert answer_line(T, "en", "codeword", "x", secret=True) in visitor.page.html
    page = await visitor.press("submit")
    stored = await cases(door)
    assert len(stored) == 1
    case = stored[0]
    assert page.body == T.text("en", "web-submitted", reference=case.reference)
    assert case.channel == "web"
    assert len(page.passphrase.split()) == 5  # 5 EFF words: 64.6 bits
    assert case.passphrase_hash is not None
    assert case.passphrase_hash.startswith("argon2id$")
    assert page.passphrase not in case.passphrase_hash
    answers = case_answers(door.services.cipher, case)
    assert answers["details"] == PATHS[0]["details"]
    assert "codeword" not in answers  # kept apart, as a slow hash
    for column in (case.answers_enc, case.key_blob):
        assert b"summons" not in column
        assert b"blue heron" not in column
    async with door.services.sessions() as db:
        person = (await db.scalars(select(Person))).one()
    session_id = visitor.client.cookies["session"]
    assert person.pseudonym == door.services.turns.web_owner(session_id)
    assert session_id not in person.pseudonym
    assert await door.services.drafts.load(person.pseudonym) is None  # the draft is gone
    # Sent again (a reload of the Send form): stale, no second case.
    page = await visitor.press("submit")
    assert T.text("en", "stale-button") in page.notices
    assert len(await cases(door)) == 1


async def test_a_form_without_or_with_a_wrong_xsrf_token_is_refused_and_changes_nothing(
    door: Door,
) -> None:
    visitor = door.visitor()
    await walk(visitor, PATHS[1])
    client = visitor.client
    missing = await client.post("/", data={"step": "review", "submit": "1"})
    wrong = await client.post("/", data={"_xsrf": "2|00|11|22", "step": "review", "submit": "1"})
    # Another site's form carries the victim's cookies but not a token their page showed.
    stranger = httpx.AsyncClient(base_url=door.url, cookies={"session": client.cookies["session"]})
    door.clients.append(stranger)
    foreign = await stranger.post(
        "/", data={"_xsrf": visitor.page.hidden["_xsrf"], "step": "review", "submit": "1"}
    )
    assert [r.status_code for r in (missing, wrong, foreign)] == [403, 403, 403]
    assert await cases(door) == []
    page = await visitor.open()
    assert page.step == "review"


async def test_an_oversized_text_gets_the_bots_answer_and_is_kept_on_the_page(
    door: Door,
) -> None:
    visitor = door.visitor()
    await walk(visitor, PATHS[1], until="details")
    long = "word " * 250
    page = await visitor.press("answer", text=long)
    assert page.step == "details"
    cleaned = long.strip()
    assert T.text("en", "text-too-long", max=1000, length=len(cleaned)) in page.notices
    assert page.textarea == long
    page = await visitor.press("answer", text="   ")
    assert T.text("en", "text-empty") in page.notices


async def test_a_browsers_line_breaks_count_as_the_bots_do(door: Door) -> None:
    visitor = door.visitor()
    await walk(visitor, PATHS[1], until="details")
    text = ("a" * 99 + "\r\n") * 10  # 999 characters with LF, 1,008 with CRLF
    page = await visitor.press("answer", text=text.rstrip())
    assert page.step == "review"


async def test_an_option_that_does_not_exist_gets_the_same_question_again(door: Door) -> None:
    visitor = door.visitor()
    await walk(visitor, PATHS[1], until="status")
    page = await visitor.press("choose", "general")
    assert page.step == "status"
    assert T.text("en", "stale-button") in page.notices
    await walk(visitor, PATHS[1], until="help")
    page = await visitor.press("done", option=["legal", "bribe"])
    assert page.step == "help"
    assert T.text("en", "stale-button") in page.notices
    page = await visitor.press("done")
    assert T.text("en", "choose-at-least-one") in page.notices
    page = await visitor.press("answer", text="I typed instead")
    assert page.step == "help"
    assert T.text("en", "expected-button") in page.notices


async def test_a_form_for_an_earlier_step_is_stale_and_moves_nothing(door: Door) -> None:
    visitor = door.visitor()
    await walk(visitor, PATHS[1], until="who")
    old = visitor.page
    await visitor.press("choose", "self")
    visitor.page = old  # the browser's Back button, then a press on the old page
    page = await visitor.press("choose", "other_person")
    assert page.step == "status"
    assert T.text("en", "stale-button") in page.notices


async def test_send_now_sends_at_once_and_the_rest_is_added_to_that_case(door: Door) -> None:
    visitor = door.visitor()
    answers = {**PATHS[1], "urgency": "now"}
    await walk(visitor, answers, until="help")
    assert T.text("en", "notice-danger-now") in visitor.page.notices
    page = await visitor.press("send_now")
    (case,) = await cases(door)
    assert page.body == T.text("en", "web-sent-now", reference=case.reference)
    assert case.priority == 1
    await walk(visitor, answers)
    page = await visitor.press("submit")
    assert page.body == T.text("en", "web-sent-rest-added", reference=case.reference)
    assert len(await cases(door)) == 1


async def test_the_language_can_be_switched_mid_way(door: Door) -> None:
    visitor = door.visitor()
    await walk(visitor, PATHS[1], until="who")
    page = await visitor.press("language", "ru")
    assert page.step == "who"
    assert page.body == T.text("ru", "who-question")


async def test_every_answer_has_the_strict_headers_and_a_session_cookie(door: Door) -> None:
    visitor = door.visitor()
    first = await visitor.client.get("/")
    await visitor.open()
    await visitor.press("choose", "en")
    posted = visitor.last
    assert posted is not None
    css = await visitor.client.get("/static/web.css")
    refused = await visitor.client.post("/", data={"step": "x"})
    missing = await visitor.client.get("/nothing-here")
    for response in (first, posted, css, refused, missing):
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Server" not in response.headers
    assert css.status_code == 200
    assert (refused.status_code, missing.status_code) == (403, 404)
    assert posted.headers["Cache-Control"] == "no-store"
    assert "Etag" not in first.headers
    assert "<script" not in posted.text
    cookies = posted.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("session="))
    for cookie in [session, *first.headers.get_list("set-cookie")]:
        lowered = cookie.lower()
        assert "httponly" in lowered
        assert "samesite=strict" in lowered
        assert "expires" not in lowered
        assert "max-age" not in lowered
        assert "secure" not in lowered  # plain HTTP here
    behind_https = await visitor.client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert all("secure" in c.lower() for c in behind_https.headers.get_list("set-cookie"))


async def test_no_address_or_user_agent_reaches_the_logs(
    door: Door, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    agent = "CanaryBrowser/9.9"
    forwarded = "203.0.113.77"
    visitor = door.visitor(**{"User-Agent": agent, "X-Forwarded-For": forwarded})
    await walk(visitor, PATHS[1])
    await visitor.press("submit")
    await visitor.client.post("/", data={"step": "review"})  # a 403
    await visitor.client.get("/nothing-here")  # a 404
    port = int(door.url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"NONSENSE\r\n\r\n")  # tornado logs a malformed request with its peer
    await writer.drain()
    await reader.read()
    writer.close()
    await asyncio.sleep(0.1)
    # The server's records only: httpx and httpcore are the visitor's side, naming the URL.
    records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert any(r.name.startswith("tornado") for r in records)  # the malformed request
    assert not [r for r in records if r.name == "tornado.access"]
    text = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in records)
    for trace in ("127.0.0.1", forwarded, agent):
        assert trace not in text


async def test_an_identifying_detail_is_kept_or_removed_first_as_in_the_bot(door: Door) -> None:
    visitor = door.visitor()
    await walk(visitor, PATHS[1], until="details")
    text = "Call me on +7 912 345 67 89 please"
    page = await visitor.press("answer", text=text)
    assert page.step == "details"
    assert page.body == T.text("en", "flag-phone")
    assert page.hidden["held"] == text
    removed = await visitor.press("flag_remove")
    assert removed.step == "details"
    assert T.text("en", "flag-write-again") in removed.notices
    await visitor.press("answer", text=text)
    kept = await visitor.press("flag_keep", held=text)
    assert kept.step == "review"
    assert answer_line(T, "en", "details", text) in kept.html


async def test_in_sealed_mode_the_case_is_sealed_to_the_desk_and_signalled(
    open_door: OpenDoor,
) -> None:
    private, public = generate_desk_key_pair()
    async with open_door(role="intake", desk_public_key=SecretStr(public)) as door:
        assert not door.services.cipher.can_open
        visitor = door.visitor()
        await walk(visitor, PATHS[1])
        page = await visitor.press("submit")
        (case,) = await cases(door)
        assert page.body == T.text("en", "web-submitted", reference=case.reference)
        desk = Cipher(DeskKeyWrapper(private=parse_desk_private_keys(private)))
        assert case_answers(desk, case)["return_risk"] == "worried"
        async with door.services.sessions() as db:
            kinds = [s.kind for s in await db.scalars(select(DeskSignal))]
        assert kinds == ["new-case"]
        assert door.announced == []  # the desk hears of it through the database


async def test_the_bots_limits_hold_a_request_back_and_the_answers_wait(
    open_door: OpenDoor,
) -> None:
    async with open_door(open_cases_per_person=1, cases_per_hour_cap=1) as door:
        visitor = door.visitor()
        await walk(visitor, PATHS[1])
        await visitor.press("submit")
        await walk(visitor, PATHS[0])
        page = await visitor.press("submit")
        assert page.step == "review"
        hours = door.services.settings.draft_ttl_hours
        assert T.text("en", "limit-open", count=1, hours=hours) in page.notices
        other = door.visitor()
        await walk(other, PATHS[1])
        page = await other.press("submit")
        assert page.step == "review"
        assert T.text("en", "busy-try-later") in page.notices
        assert len(await cases(door)) == 1
        assert (await other.open()).step == "review"  # nothing was lost


async def test_a_blocked_visitor_is_told_so_and_the_draft_is_gone(door: Door) -> None:
    visitor = door.visitor()
    await walk(visitor, PATHS[1])
    await visitor.press("submit")
    async with door.services.sessions() as db, db.begin():
        person = (await db.scalars(select(Person))).one()
        person.blocked_at = datetime.now(UTC)
    await walk(visitor, PATHS[1])
    page = await visitor.press("submit")
    assert page.body == T.text("en", "blocked")
    assert (await visitor.open()).step == "language"
    assert len(await cases(door)) == 1


async def test_with_the_database_away_the_answers_stay_for_another_try(
    door: Door, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def away(*args: object, **kwargs: object) -> None:
        raise OSError("connection refused")

    visitor = door.visitor()
    await walk(visitor, PATHS[1])
    monkeypatch.setattr(door.services.submission, "submit_as", away)
    page = await visitor.press("submit")
    assert page.step == "review"
    assert T.text("en", "web-try-again") in page.notices
    monkeypatch.undo()
    page = await visitor.press("submit")
    (case,) = await cases(door)
    assert page.body == T.text("en", "web-submitted", reference=case.reference)


async def test_a_person_can_send_a_request_in_russian(door: Door) -> None:
    visitor = door.visitor("ru")
    await walk(visitor, {**PATHS[1], "language": "ru"})
    assert visitor.page.body == T.text("ru", "review-question")
    page = await visitor.press("submit")
    (case,) = await cases(door)
    assert case.language == "ru"
    assert page.body == T.text("ru", "web-submitted", reference=case.reference)


async def test_an_unexpected_error_is_logged_without_its_message_or_the_request(
    door: Door, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret words from an answer")

    visitor = door.visitor(**{"User-Agent": "CanaryBrowser/9.9"})
    await walk(visitor, PATHS[1], until="who")
    monkeypatch.setattr(door.services.engine, "handle", broken)
    response = await visitor.client.post(
        "/", data={"_xsrf": visitor.page.hidden["_xsrf"], "step": "who", "choose": "self"}
    )
    assert response.status_code == 500
    assert "secret words" not in response.text
    server = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in server)
    assert "RuntimeError" in text
    for trace in ("secret words", "CanaryBrowser", "127.0.0.1"):
        assert trace not in text


async def test_a_draft_lives_in_redis_under_a_pseudonym_and_survives_a_restart(
    open_door: OpenDoor, redis_url: str
) -> None:
    key = generate_master_key()
    async with open_door(master_keys=key, redis_url=redis_url) as door:
        visitor = door.visitor()
        await walk(visitor, PATHS[0], until="details")
        session_id = visitor.client.cookies["session"]
        redis = door.services.redis
        assert redis is not None
        stored = {k: await redis.dump(k) async for k in redis.scan_iter()}
        assert stored
        for name, value in stored.items():
            for trace in (session_id.encode(), b"summons", b"blue heron"):
                assert trace not in name
                assert trace not in (value or b"")
    async with open_door(master_keys=key, redis_url=redis_url) as door:
        again = door.visitor()
        again.client.cookies.set("session", session_id)
        page = await again.open()
        assert page.step == "details"
        await again.press("answer", text="Still here")
        assert again.page.step == "review"


async def test_the_codeword_is_not_carried_into_the_next_text_question(door: Door) -> None:
    visitor = door.visitor()
    await walk(visitor, PATHS[0], until="details")  # the codeword was just typed and accepted
    page = visitor.page
    assert page.textarea == ""
    assert "blue heron" not in page.html
    await visitor.press("answer", text="x" * 1001)  # refused as too long: it comes back
    assert visitor.page.step == "details"
    assert visitor.page.textarea == "x" * 1001
