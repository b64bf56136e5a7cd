"""A real browser at the web door: Debian's headless Chromium, driven by Selenium through
Debian's chromium-driver, with JavaScript off as Tor Browser's "Safest" level has it.

A person answers in Russian, goes Back once, edits an answer from the review screen and sends;
the page shows the reference of the one case stored. Screenshots of the first question and of
the review screen are written to the test's tmp folder, and also to the folder named by
INTAKE_WEB_SCREENSHOTS: `scripts/web-screenshots` points it at docs/ to regenerate the
committed docs/web-first-question.png and docs/web-review.png.

Selenium blocks, and the door runs on the test's event loop, so the person's whole visit runs
in a thread (`asyncio.to_thread`). The browser never starts in CI without chromium: the test
fails with one line that says why, it does not skip.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait
from sqlalchemy import select

from casework.answers import answer_line
from locales.translator import Translator
from storage.cases import case_answers
from storage.models import Case
from tests.web.conftest import Door

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


def visit(driver: WebDriver, url: str, shots: Path) -> str:
    """A person's whole visit, in Russian; returns the text of the last page."""
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
    return shown(driver)


async def test_a_person_sends_a_request_in_russian_from_a_browser_without_javascript(
    door: Door, browser: WebDriver, tmp_path: Path
) -> None:
    await asyncio.to_thread(assert_javascript_is_off, browser)
    shots = tmp_path / "shots"
    shots.mkdir()
    confirmation = await asyncio.to_thread(visit, browser, door.url, shots)

    async with door.services.sessions() as db:
        stored = list(await db.scalars(select(Case)))
    assert len(stored) == 1
    case = stored[0]
    assert case.reference in confirmation
    assert confirmation == words(T.text("ru", "web-submitted", reference=case.reference))
    answers = case_answers(door.services.cipher, case)
    assert answers["health"] == "yes"
    assert answers["who"] == "self"
    assert answers["details"] == DETAILS
    assert "codeword" not in answers
    for name in ("web-first-question.png", "web-review.png"):
        assert (shots / name).read_bytes().startswith(b"\x89PNG")
    if folder := os.environ.get(SHOTS_TO):
        for name in ("web-first-question.png", "web-review.png"):
            shutil.copyfile(shots / name, Path(folder) / name)
