"""The HTML page ``fleet status --html`` writes for a real fleet, read in a real browser: its numbers are the
JSON report's, and a hostile repository's name is text, not markup."""

from __future__ import annotations

import json
from pathlib import Path

from selenium.webdriver.remote.webdriver import WebDriver

from tests.fleet.browser import chromium, console_problems, page_numbers, report_numbers, row_order, save_screenshot
from tests.fleet.repos import commit_edit, kit_repo, plain_repo, scaffold

__all__ = ["chromium"]


def test_the_page_of_a_real_fleet_run_shows_the_json_numbers(
    tmp_path: Path, template_root: Path, chromium: WebDriver
) -> None:
    fleet = tmp_path / "clones"
    kit_repo(fleet / "payments", template_root=template_root)
    weak = kit_repo(fleet / "ledger", template_root=template_root)
    commit_edit(weak, ".github/workflows/ci.yml", "permissions: {}", "permissions: write-all")
    plain_repo(fleet / "<img src=x onerror=window.__pwned=1>", {"Dockerfile": "FROM python:3.12\nRUN pip install x\n"})
    page, data = tmp_path / "fleet.html", tmp_path / "fleet.json"
    common = ["--db", str(tmp_path / "f.sqlite3"), "--cache", str(tmp_path / "cache")]
    first = scaffold("fleet", "status", str(fleet), *common)
    assert first.returncode == 1, first.stderr
    commit_edit(weak, ".github/workflows/ci.yml", "permissions: write-all", "permissions: {}")
    done = scaffold("fleet", "status", str(fleet), "--html", str(page), "--output", str(data), *common)
    assert done.returncode == 1, done.stderr
    report = json.loads(data.read_text(encoding="utf-8"))
    assert len(report["history"]) == 2 and report["trend"]["states"]["drift"] == -1
    chromium.get(page.as_uri())
    assert page_numbers(chromium) == report_numbers(report)
    assert sorted(row_order(chromium)) == list(range(1, len(report["repositories"]) + 1))
    assert chromium.execute_script("return window.__pwned") is None
    assert console_problems(chromium) == []
    shot = save_screenshot(chromium, "fleet-report-real-run.png")
    assert shot.read_bytes().startswith(b"\x89PNG")
