"""A real headless browser for the fleet report tests: Debian's chromium, driven by selenium through
/usr/bin/chromedriver (never Selenium Manager, which would download a browser).

A test module takes the fixture by importing it (``from tests.fleet.browser import chromium``) and names it as an
argument. The fixture has module scope: one browser per test module, quit when the module's tests end, so chromium
never outlives them. Without chromium, chromedriver or selenium the tests skip with the reason, except with CI=true,
where they fail.

Readers for the page, shared with any test that renders a report: ``open_report``, ``page_numbers`` (the summary
numbers as the page shows them) against ``report_numbers`` (the same numbers from the JSON), ``row_order``,
``repository_numbers``, ``console_problems`` and ``save_screenshot``.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from scaffold.fleet.html import SEVERITIES, STATUS_STATES, UPGRADE_STATES, render_html

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
REPO = Path(__file__).resolve().parents[2]
PAGE_TIMEOUT = 30  # seconds for a page load or a script; a stuck browser fails the test instead of hanging it


def artifacts() -> Path:
    """The folder for test artifacts (screenshots): $SCAFFOLD_TEST_ARTIFACTS, else build/test-artifacts."""
    folder = Path(os.environ.get("SCAFFOLD_TEST_ARTIFACTS", str(REPO / "build" / "test-artifacts")))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _unavailable(reason: str) -> NoReturn:
    message = f"{reason}: the HTML report tests need Debian chromium and chromium-driver (see scripts/test.sh)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _start() -> WebDriver:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).is_file() and os.access(path, os.X_OK)):
            _unavailable(f"{path} is not installed")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed (pip install -e '.[test]')")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-extensions",
        "--no-first-run",
        "--window-size=1360,900",
        "--force-device-scale-factor=1",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    if os.geteuid() == 0:
        # Chromium refuses to start its sandbox as root (containers); the page is local and its CSP allows no network.
        options.add_argument("--no-sandbox")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    driver.set_script_timeout(PAGE_TIMEOUT)
    return driver


@pytest.fixture(scope="module")
def chromium() -> Iterator[WebDriver]:
    """A headless chromium for this test module, quit after its last test."""
    driver = _start()
    try:
        yield driver
    finally:
        driver.quit()


def open_report(driver: WebDriver, report: Mapping[str, Any], folder: Path, fragment: str = "") -> Path:
    """Render REPORT into FOLDER/fleet-report.html and load it (at #FRAGMENT if given); the browser log is emptied
    first, so ``console_problems`` afterwards tells about this page only."""
    page = folder / "fleet-report.html"
    page.write_text(render_html(report), encoding="utf-8")
    driver.get_log("browser")
    driver.get("about:blank")
    driver.get(page.as_uri() + (f"#{fragment}" if fragment else ""))
    return page


def console_problems(driver: WebDriver) -> list[str]:
    """Browser log entries at WARNING or SEVERE (script errors, CSP refusals, failed loads) since the last call."""
    return [f"{e['level']}: {e['message']}" for e in driver.get_log("browser") if e["level"] in ("WARNING", "SEVERE")]


def _number(text: str) -> int:
    return int(text.strip().replace(",", ""))


def page_numbers(driver: WebDriver) -> dict[str, int]:
    """The summary numbers the overview shows, by metric: repositories, state-<state>, findings-<severity>, weaker."""
    overview = driver.find_element("css selector", "#overview")
    assert overview.is_displayed(), "the overview is not shown (a repository page is open)"
    elements = overview.find_elements("css selector", "[data-metric]")
    return {element.get_attribute("data-metric") or "": _number(element.text) for element in elements}


def report_numbers(report: Mapping[str, Any]) -> dict[str, int]:
    """The numbers ``page_numbers`` should read, taken from the report JSON."""
    summary = report["summary"]
    states = STATUS_STATES if report["command"] == "status" else UPGRADE_STATES
    return {
        "repositories": summary["repositories"],
        **{f"state-{state}": summary["states"][state] for state in states},
        **{f"findings-{severity}": summary["findings"][severity] for severity in SEVERITIES},
        "weaker": summary["weaker"],
    }


def row_order(driver: WebDriver) -> list[int]:
    """The table's rows as shown, top to bottom, each as its 1-based position in the report's repositories."""
    rows = driver.find_elements("css selector", "#repositories-table tbody tr[data-index]")
    return [int(row.get_attribute("data-index") or 0) for row in rows]


def cell(driver: WebDriver, index: int, column: str) -> str:
    """The text of one table cell: row INDEX (1-based, as in the report), column by its data-col."""
    return str(
        driver.find_element(
            "css selector", f'#repositories-table tr[data-index="{index}"] td[data-col="{column}"]'
        ).text
    )


def shown_repository(driver: WebDriver) -> int | None:
    """The repository page on show (its 1-based index), or None when the overview is shown."""
    shown = [
        int(section.get_attribute("data-index") or 0)
        for section in driver.find_elements("css selector", "section.repo-page")
        if section.is_displayed()
    ]
    assert len(shown) <= 1, f"more than one repository page shown: {shown}"
    return shown[0] if shown else None


def repository_numbers(driver: WebDriver, index: int) -> dict[str, int]:
    """The numbers repository page INDEX shows: findings-<severity>, weaker, findings-listed (rows of its table)."""
    section = driver.find_element("css selector", f"#repo-{index}")
    assert section.is_displayed(), f"repository page {index} is not shown"
    numbers = {
        element.get_attribute("data-repo-metric") or "": _number(element.text)
        for element in section.find_elements("css selector", "[data-repo-metric]")
    }
    numbers["findings-listed"] = len(section.find_elements("css selector", "table.findings tbody tr"))
    return numbers


def save_screenshot(driver: WebDriver, name: str) -> Path:
    """A PNG of the whole page (not only the window) in the artifacts folder."""
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics["cssContentSize"]
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        },
    )
    path = artifacts() / name
    path.write_bytes(base64.b64decode(shot["data"]))
    return path
