"""A real browser at the web door: Debian's headless Chromium, driven by Selenium through
Debian's chromium-driver, with JavaScript off as Tor Browser's "Safest" level has it.

The whole scenario of a person cut off from Telegram, in one test: they answer in Russian, go
Back once, edit an answer from the review screen and send; the page shows the reference and the
passphrase, read from the page. A volunteer (an admin of the desk, in Telegram through the local
Bot API server) hears of the case, takes it and replies with `/take` and `/reply`, as in the
bot. The person logs in again on /login with the passphrase, reads the reply on /thread and
answers; the volunteer gets the answer in Telegram.

The bot (`bot.inprocess.BotThread`) and the web door (`intake-bot web`, a process of its own:
`tests.support.webdoor`) run on the same settings: one SQLite database, one Redis, one Bot API
server, which the door's notices to the desk go through too.

Screenshots of the first question, the review screen and the thread with the reply are written
to the test's tmp folder, and also to the folder named by INTAKE_WEB_SCREENSHOTS:
`scripts/web-screenshots` points it at docs/ to regenerate the committed
docs/web-first-question.png, docs/web-review.png and docs/web-thread.png.

The browser never starts in CI without chromium: the test fails with one line that says why, it
does not skip.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait
from sqlalchemy import select

from bot.inprocess import BotThread
from bot.services import Services
from bot.settings import Settings
from casework.answers import answer_line
from localapi import FakeUser, LocalBotApi
from locales.translator import Translator
from storage import schema
from storage.cases import case_answers
from storage.crypto import generate_master_key
from storage.models import Case
from tests.support.people import command
from tests.support.webdoor import WebDoor, web_door

T = Translator.load()

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",  # this machine's network is closed: no calls home
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--window-size=412,915",  # a phone's screen
    "--lang=ru",
)
JAVASCRIPT_OFF = {"profile.managed_default_content_settings.javascript": 2}
SHOTS_TO = "INTAKE_WEB_SCREENSHOTS"
"""A folder that gets the screenshots too (docs/ to regenerate the committed ones)."""

DETAILS = "Нужен совет юриста: контракт продлили без моего согласия."
CODEWORD = "синяя цапля"
REPLY = (
    "Здравствуйте, мы поможем. С осени 2022 года контракт сам не заканчивается, но вы отметили "
    "проблемы со здоровьем: это может быть основанием. Есть ли у вас медицинские документы?"
)
ANSWER = "Спасибо. Выписка из больницы есть, напишу, что в ней."
ADMIN = 5550001
SHOTS = ("web-first-question.png", "web-review.png", "web-thread.png")
FORM = "form:not(.languages)"


def start_chromium(profile: Path) -> WebDriver:
    """Chromium with a fresh profile, no network of its own, JavaScript off, Russian first."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        pytest.fail(
            f"headless Chromium cannot start: {', '.join(missing)} missing "
            "(apt-get install chromium chromium-driver; scripts/test does)",
            pytrace=False,
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {**JAVASCRIPT_OFF, "intl.accept_languages": "ru"})
    try:
        return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    except WebDriverException as error:  # failed outside the handler: one line, no chain
        reason = (error.msg or str(error)).strip().splitlines()[0].split("; For documentation")[0]
    pytest.fail(f"headless Chromium did not start ({CHROMIUM}): {reason}", pytrace=False)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    driver = start_chromium(tmp_path / "profile")
    try:
        yield driver
    finally:
        driver.quit()


@dataclass
class Desk:
    """The bot and its web door on the same settings, and the volunteer who answers."""

    bot: BotThread
    web: WebDoor
    volunteer: FakeUser

    def case(self) -> tuple[Case, dict[str, str]]:
        """The one case stored, and its answers opened."""

        async def read(services: Services) -> tuple[Case, dict[str, str]]:
            async with services.sessions() as db:
                case = (await db.scalars(select(Case))).one()
            return case, case_answers(services.cipher, case)

        return self.bot.run(read)  # type: ignore[no-any-return]


@pytest.fixture
def desk(tmp_path: Path, redis_url: str) -> Iterator[Desk]:
    """The bot on SQLite and Redis with one admin, and `intake-bot web` on the same settings.
    The schema is made first, as `intake-bot migrate` does before both start in
    docker-compose.yml, so the two start at once; the door is only started here (its imports
    take seconds): the test waits for it after the browser has started too."""
    with LocalBotApi() as api:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token=api.token,
            api_url=api.base_url,
            data_dir=tmp_path / "data",
            database_url=f"sqlite:///{tmp_path / 'intake.db'}",
            redis_url=redis_url,
            master_keys=generate_master_key(),
            admin_ids=[ADMIN],
            poll_timeout=1,
            health_port=0,
        )
        asyncio.run(schema.upgrade(settings.database))
        with (
            web_door(settings, tmp_path / "web.log", wait=False) as web,
            BotThread(settings) as bot,
        ):
            volunteer = api.user(ADMIN, language_code="en")
            command(volunteer, "/queue", expect="The queue is empty")  # known to the desk now
            yield Desk(bot, web, volunteer)
            assert web.stop() == 0, web.log_text()[-2000:]


def assert_javascript_is_off(driver: WebDriver) -> None:
    """The browser's own report of its prefs says JavaScript is blocked, and a page's script
    does not run while its <noscript> shows."""
    driver.get("chrome://prefs-internals")
    prefs = json.loads(driver.find_element(By.TAG_NAME, "body").text)
    javascript = prefs["profile"]["managed_default_content_settings"]["javascript"]
    assert javascript["value"] == 2, javascript  # CONTENT_SETTING_BLOCK
    driver.get(
        "data:text/html,<noscript><p id=off>off</p></noscript><script>document.title='on'</script>"
    )
    assert driver.title == ""
    assert driver.find_element(By.ID, "off").is_displayed()


def shown(driver: WebDriver) -> str:
    """The page's question or closing text as the browser renders it, spaces collapsed (as
    `words` does to the translator's text it is compared with)."""
    return " ".join(driver.find_element(By.CSS_SELECTOR, f"{FORM} p.text").text.split())


def words(text: str) -> str:
    return " ".join(text.split())


def step(driver: WebDriver) -> str:
    """The step the page is for; every page the person sees is checked for scripts here."""
    assert "<script" not in driver.page_source.lower()
    field = driver.find_element(By.CSS_SELECTOR, f"{FORM} input[name=step]")
    return field.get_attribute("value") or ""


def token(driver: WebDriver) -> str | None:
    """The page's CSRF token (tornado masks it anew for every page), or None mid-navigation."""
    try:
        if driver.execute_script("return document.readyState") != "complete":
            return None
        field = driver.find_element(By.CSS_SELECTOR, f"{FORM} input[name=_xsrf]")
        return field.get_attribute("value")
    except WebDriverException:  # the old document is going: chromedriver's words vary
        return None


def press(driver: WebDriver, name: str, value: str | None = None) -> str:
    """Click a button of the page's form and wait for the next page; returns its step."""
    selector = f'{FORM} button[name="{name}"]' + (f'[value="{value}"]' if value else "")
    shown_before = token(driver)
    driver.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(driver, 15).until(lambda d: token(d) not in (None, shown_before))
    return step(driver)


def tick(driver: WebDriver, *options: str) -> str:
    for option in options:
        driver.find_element(By.CSS_SELECTOR, f'{FORM} input[name=option][value="{option}"]').click()
    return press(driver, "done")


def type_in(driver: WebDriver, tag: str, text: str) -> str:
    driver.find_element(By.CSS_SELECTOR, f"{FORM} {tag}[name=text]").send_keys(text)
    return press(driver, "answer")


def screenshot(driver: WebDriver, to: Path) -> None:
    """The whole page, not only the window (the review screen is longer than a phone's)."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    to.write_bytes(base64.b64decode(shot["data"]))


def send(driver: WebDriver, url: str, shots: Path) -> tuple[str, str]:
    """A person's first visit, in Russian: the text of the last page, and the passphrase on it
    (as a person would copy it down)."""
    driver.get(url)
    assert step(driver) == "language"
    assert shown(driver) == words(T.text("ru", "language-question"))
    screenshot(driver, shots / "web-first-question.png")
    assert press(driver, "choose", "ru") == "consent"
    assert shown(driver) == words(T.text("ru", "web-consent-question"))
    assert press(driver, "choose", "agree") == "who"
    assert press(driver, "choose", "other_person") == "other_knows"
    assert press(driver, "back") == "who"  # Back once: a wrong tap undone
    assert press(driver, "choose", "self") == "status"
    assert press(driver, "choose", "contract") == "location"
    assert press(driver, "choose", "abroad") == "movement"
    assert press(driver, "choose", "on_leave") == "abroad_region"
    assert press(driver, "choose", "armenia") == "return_risk"
    assert press(driver, "choose", "worried") == "criminal_case"
    assert press(driver, "choose", "no") == "health"
    assert press(driver, "choose", "no") == "urgency"
    assert press(driver, "choose", "days") == "help"
    assert tick(driver, "legal") == "documents"
    assert tick(driver, "military_id") == "phone_checked"
    assert press(driver, "choose", "no") == "codeword"
    assert type_in(driver, "input", CODEWORD) == "details"
    assert type_in(driver, "textarea", DETAILS) == "review"

    review = driver.find_element(By.CSS_SELECTOR, f"{FORM} ul.review").text
    assert answer_line(T, "ru", "health", "no") in review
    assert answer_line(T, "ru", "who", "self") in review
    assert CODEWORD not in driver.page_source
    screenshot(driver, shots / "web-review.png")
    assert press(driver, "edit", "health") == "health"
    assert press(driver, "choose", "yes") == "review"  # back to review, nothing asked again
    assert (
        answer_line(T, "ru", "health", "yes")
        in driver.find_element(By.CSS_SELECTOR, "ul.review").text
    )

    assert press(driver, "submit") == ""
    assert words(driver.find_element(By.CSS_SELECTOR, "p.passphrase-intro").text) == words(
        T.text("ru", "web-passphrase")
    )
    return shown(driver), driver.find_element(By.CSS_SELECTOR, "p.passphrase").text


def thread(driver: WebDriver) -> list[str]:
    """The thread as shown: "Who text" for each message, oldest first."""
    return [words(item.text) for item in driver.find_elements(By.CSS_SELECTOR, "ul.thread li")]


def come_back(driver: WebDriver, url: str, passphrase: str, shots: Path) -> list[str]:
    """The person comes back another day: the link on the page to /login, the passphrase typed,
    the thread read, an answer written; the thread as it then shows."""
    driver.get(url)
    driver.find_element(By.CSS_SELECTOR, "p.come-back a[href='/login']").click()
    WebDriverWait(driver, 15).until(lambda d: token(d) is not None and "/login" in d.current_url)
    assert shown(driver) == words(T.text("ru", "web-login-question"))
    login = driver.find_element(By.CSS_SELECTOR, f"{FORM} input[name=passphrase]")
    assert login.get_attribute("type") == "password"
    login.send_keys(passphrase)
    press(driver, "login")
    assert driver.current_url == f"{url}/thread"
    assert thread(driver) == [f"{T.text('ru', 'web-thread-volunteer')} {words(REPLY)}"]
    driver.find_element(By.CSS_SELECTOR, f"{FORM} textarea[name=text]").send_keys(ANSWER)
    press(driver, "write")
    assert driver.current_url == f"{url}/thread"  # the post answered 303 to the thread
    screenshot(driver, shots / "web-thread.png")
    return thread(driver)


def test_a_person_asks_in_russian_reads_the_reply_and_answers_from_a_browser_without_javascript(
    desk: Desk, browser: WebDriver, tmp_path: Path
) -> None:
    assert_javascript_is_off(browser)
    desk.web.wait_until_up()
    shots = tmp_path / "shots"
    shots.mkdir()
    confirmation, passphrase = send(browser, desk.web.url, shots)

    case, answers = desk.case()
    assert case.channel == "web"
    assert case.reference in confirmation
    assert confirmation == words(T.text("ru", "web-submitted", reference=case.reference))
    assert answers["health"] == "yes"
    assert answers["who"] == "self"
    assert answers["details"] == DETAILS
    assert "codeword" not in answers
    assert len(passphrase.split(" ")) == 6
    assert case.passphrase_hash is not None
    assert passphrase not in case.passphrase_hash

    # The desk: the door's notice through the Bot API server, then the bot's own commands.
    volunteer = desk.volunteer
    notice = volunteer.wait_for_text(f"New case {case.reference}", timeout=20)
    assert DETAILS not in notice.visible_text
    taken = command(volunteer, "/take", args=case.reference, expect=f"Case {case.reference}")
    assert DETAILS in taken.visible_text
    command(volunteer, "/reply", args=f"{case.reference} {REPLY}",
            expect=T.text("en", "desk-reply-web-waiting", reference=case.reference))  # fmt: skip

    shown_thread = come_back(browser, desk.web.url, passphrase, shots)
    volunteer_word, you = (T.text("ru", k) for k in ("web-thread-volunteer", "web-thread-you"))
    assert shown_thread == [f"{volunteer_word} {words(REPLY)}", f"{you} {words(ANSWER)}"]
    relayed = T.text("en", "desk-relayed", reference=case.reference, text=ANSWER)
    volunteer.wait_for_text(relayed, timeout=20)

    for name in SHOTS:
        assert (shots / name).read_bytes().startswith(b"\x89PNG")
    if folder := os.environ.get(SHOTS_TO):
        for name in SHOTS:
            shutil.copyfile(shots / name, Path(folder) / name)
