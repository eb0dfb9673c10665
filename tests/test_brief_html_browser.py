"""The HTML briefing in a real headless browser: Debian's chromium driven by Selenium through
Debian's chromedriver. A click on `[n]` reveals the passage under its sentence with the cited span
in `<mark>`, a second click hides it, and the page fetches nothing. Without chromium these tests
skip, except under CI=true where they fail: .ci/run installs it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from test_brief_output import ECB_SPAN, HOSTILE, sample_briefing

from qa.brief.output import briefing_html

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Without the background-networking flags chromium keeps trying to reach Google's services, and
# on a machine without a network every attempt waits for its timeout.
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--window-size=1024,768")


def _missing(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (.ci/run installs Debian's chromium and chromium-driver)")
    pytest.skip(reason)


def start_browser(tmp: Path, *, javascript: bool = True) -> Any:
    """A headless chromium with its own profile folder; the caller quits it."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    if missing:
        _missing(f"no {' or '.join(missing)}: apt-get install chromium chromium-driver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium is not installed (pip install -e '.[test]')")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)  # with both paths given, Selenium Manager stays out
    for flag in (*FLAGS, f"--user-data-dir={tmp / 'profile'}"):
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    log = tmp / "chromedriver.log"
    service = Service(str(CHROMEDRIVER), log_output=str(log))
    try:
        driver = webdriver.Chrome(service=service, options=options)
    except Exception as exc:  # a browser that is installed but cannot start is a failure
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        pytest.fail(f"chromium did not start: {exc}\n{tail}")
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("brief-html") / "brief.html"
    path.write_text(briefing_html(sample_briefing()), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    driver = start_browser(tmp_path_factory.mktemp("chromium"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def opened(browser: Any, page: Path) -> Any:
    browser.set_window_size(1024, 768)
    browser.get(page.as_uri())
    return browser


def first_cite(driver: Any, number: int) -> Any:
    from selenium.webdriver.common.by import By

    return next(a for a in driver.find_elements(By.CSS_SELECTOR, "a.cite")
                if a.text == f"[{number}]")


def test_a_click_on_a_citation_reveals_its_passage_and_a_second_hides_it(opened: Any) -> None:
    from selenium.webdriver.common.by import By

    reveals = opened.find_elements(By.CSS_SELECTOR, ".reveal")
    assert reveals and not any(r.is_displayed() for r in reveals), "a passage shows unasked"
    cite = first_cite(opened, 1)
    box = opened.find_element(By.ID, cite.get_attribute("aria-controls"))
    assert not box.is_displayed()

    cite.click()
    assert box.is_displayed()
    assert cite.get_attribute("aria-expanded") == "true"
    assert box.find_element(By.TAG_NAME, "mark").text == ECB_SPAN
    assert "Markets had expected the decision." in box.text  # the passage around the span
    # in place: in the cited sentence's own block, below the sentence
    assert opened.execute_script(
        "return arguments[0].closest('.sentence') === arguments[1].closest('.sentence')",
        cite, box)
    assert box.location["y"] > cite.location["y"]
    others = [r for r in opened.find_elements(By.CSS_SELECTOR, ".reveal") if r != box]
    assert not any(r.is_displayed() for r in others), "one click opened more than its passage"

    cite.click()
    assert not box.is_displayed()
    assert cite.get_attribute("aria-expanded") == "false"


def test_the_page_fetches_nothing_and_logs_no_error(opened: Any) -> None:
    first_cite(opened, 2).click()
    assert opened.execute_script("return performance.getEntriesByType('resource').length") == 0
    errors = [e for e in opened.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors  # a blocked fetch or a refused script would show up here


def test_a_hostile_title_shows_as_text(opened: Any) -> None:
    from selenium.webdriver.common.by import By

    headlines = [h.text for h in opened.find_elements(By.CSS_SELECTOR, "article h2")]
    assert HOSTILE in headlines
    assert opened.execute_script("return document.scripts.length") == 1


def test_the_page_fits_a_phone(opened: Any) -> None:
    opened.set_window_size(390, 844)
    wide = opened.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert wide <= 0, f"the page scrolls sideways by {wide}px on a phone-sized window"


def test_without_javascript_the_passages_are_listed_at_the_bottom(
        page: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    driver = start_browser(tmp_path, javascript=False)
    try:
        driver.get(page.as_uri())
        listed = driver.find_element(By.ID, "p1")
        assert listed.is_displayed()
        assert ECB_SPAN in [m.text for m in listed.find_elements(By.TAG_NAME, "mark")]
        first_cite(driver, 1).click()  # a plain link to the list entry
        deadline = time.monotonic() + 5
        while not driver.current_url.endswith("#p1") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert driver.current_url.endswith("#p1")
    finally:
        driver.quit()
