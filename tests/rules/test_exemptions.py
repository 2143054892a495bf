"""Exceptions: each entry's fields checked with a one-line message, matched by rule and path, and applying to
nothing after its expiry date (judged on an injected day, never the clock)."""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Any

import pytest

from scaffold.rules.exemptions import Exemption, parse_exemptions, screen
from scaffold.rules.model import Confidence, Finding, Severity

TODAY = datetime.date(2027, 1, 15)
KNOWN = ["unpinned-uses", "missing-timeout", "kit-secret-scan"]
WHERE = ".scaffold.yml: audit.exceptions"
GOOD = {"rule": "unpinned-uses", "reason": "vendor action", "expires": datetime.date(2027, 3, 31)}


def _parse(raw: object) -> tuple[Exemption, ...]:
    return parse_exemptions(raw, KNOWN, WHERE, ValueError, today=TODAY)


def _finding(rule: str = "unpinned-uses", path: str = ".github/workflows/legacy.yml") -> Finding:
    return Finding(path, 3, 5, rule, Severity.HIGH, Confidence.HIGH, "job a: x/y@v1 is not pinned", "x/y@v1")


def test_an_entry_reads_with_or_without_a_path_and_with_a_quoted_date() -> None:
    entries = _parse([{**GOOD, "path": ".github/workflows/*.yml"}, {**GOOD, "expires": "2027-02-01"}])
    assert entries == (
        Exemption("unpinned-uses", "vendor action", datetime.date(2027, 2, 1)),
        Exemption("unpinned-uses", "vendor action", datetime.date(2027, 3, 31), ".github/workflows/*.yml"),
    )
    assert _parse([entry.to_record() for entry in entries]) == entries
    assert _parse(None) == ()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"rule": "x"}, f"{WHERE}: must be a list of exceptions"),
        (["unpinned-uses"], f"{WHERE}[0]: must be a mapping with rule, reason and expires"),
        ([{**GOOD, "owner": "me"}], f"{WHERE}[0].owner: is not a field of an exception (rule, path, reason, expires)"),
        ([GOOD, {**GOOD, "rule": "no-such-rule"}], f"{WHERE}[1].rule: 'no-such-rule' must be a rule id"),
        ([{**GOOD, "rule": 3}], f"{WHERE}[0].rule: must be a rule id"),
        ([{key: value for key, value in GOOD.items() if key != "rule"}], f"{WHERE}[0].rule: must be a rule id"),
        ([{**GOOD, "reason": "  "}], f"{WHERE}[0].reason: must say why"),
        ([{**GOOD, "reason": None}], f"{WHERE}[0].reason: must say why"),
        ([{**GOOD, "reason": "a\nb"}], f"{WHERE}[0].reason: must be one line of at most 500 characters"),
        ([{**GOOD, "reason": "a" * 501}], f"{WHERE}[0].reason: must be one line of at most 500 characters"),
        ([{key: value for key, value in GOOD.items() if key != "expires"}], f"{WHERE}[0].expires: must be a date"),
        ([{**GOOD, "expires": "31/03/2027"}], f"{WHERE}[0].expires: must be a date YYYY-MM-DD"),
        ([{**GOOD, "expires": "2027-02-30"}], f"{WHERE}[0].expires: must be a date YYYY-MM-DD"),
        ([{**GOOD, "expires": 20270331}], f"{WHERE}[0].expires: must be a date YYYY-MM-DD"),
        (
            [{**GOOD, "expires": datetime.datetime(2027, 3, 1, 12, 0)}],
            f"{WHERE}[0].expires: must be a date YYYY-MM-DD",
        ),
        ([{**GOOD, "expires": "2028-01-17"}], f"{WHERE}[0].expires: must be at most 366 days ahead (on or before"),
        ([{**GOOD, "path": ""}], f"{WHERE}[0].path: must not be empty"),
        ([{**GOOD, "path": None}], f"{WHERE}[0].path: must be a path from the repository's root"),
        ([{**GOOD, "path": "/etc/passwd"}], f"{WHERE}[0].path: '/etc/passwd' must be relative"),
        ([{**GOOD, "path": "a/../b"}], f"{WHERE}[0].path: 'a/../b' must be relative"),
        ([{**GOOD, "path": "a/**b"}], f"{WHERE}[0].path: 'a/**b': '**' must be a whole part"),
        ([{**GOOD, "path": "a/[bc]"}], f"{WHERE}[0].path: 'a/[bc]' must hold only letters"),
        ([{**GOOD, "path": "a" * 301}], f"{WHERE}[0].path: must be at most 300 characters"),
        ([GOOD] * 1001, f"{WHERE}: must list at most 1000 exceptions"),
    ],
)
def test_a_bad_entry_is_one_line_naming_its_field(raw: Any, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        _parse(raw)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_the_latest_expiry_is_366_days_after_the_day_it_is_read_and_a_past_date_is_valid() -> None:
    assert _parse([{**GOOD, "expires": TODAY + datetime.timedelta(days=366)}])
    assert _parse([{**GOOD, "expires": datetime.date(2020, 1, 1)}])


def test_an_entry_covers_its_rule_in_the_files_its_path_matches() -> None:
    one_file = Exemption("unpinned-uses", "why", datetime.date(2027, 3, 31), ".github/workflows/legacy.yml")
    every_file = Exemption("missing-timeout", "why", datetime.date(2027, 3, 31))
    findings = [
        _finding(),
        _finding(path=".github/workflows/ci.yml"),
        _finding("missing-timeout", ".github/workflows/ci.yml"),
        _finding("kit-secret-scan"),
    ]
    kept = screen(findings, [one_file, every_file], TODAY)
    assert [(item.rule, item.path) for item in kept] == [
        ("unpinned-uses", ".github/workflows/ci.yml"),
        ("kit-secret-scan", ".github/workflows/legacy.yml"),
    ]


def test_an_expired_entry_covers_nothing_and_the_finding_says_its_exception_expired() -> None:
    entry = Exemption("unpinned-uses", "why", datetime.date(2027, 1, 14))
    assert screen([_finding()], [entry], datetime.date(2027, 1, 14)) == []  # valid through its date
    (kept,) = screen([_finding()], [entry], TODAY)
    assert kept.message == "job a: x/y@v1 is not pinned (its exception expired 2027-01-14)"
    assert kept.subject == "x/y@v1"
    still = Exemption("unpinned-uses", "renewed", datetime.date(2027, 6, 1))
    assert screen([_finding()], [entry, still], TODAY) == []


def test_paths_named_from_the_working_folder_are_matched_from_the_repository_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = Exemption("unpinned-uses", "why", datetime.date(2027, 3, 31), ".github/workflows/legacy.yml")
    workflows = tmp_path / ".github/workflows"
    workflows.mkdir(parents=True)
    monkeypatch.chdir(workflows)
    root = str(tmp_path)
    assert screen([_finding(path="legacy.yml")], [entry], TODAY, root) == []
    assert screen([_finding(path=f"{tmp_path}/.github/workflows/legacy.yml")], [entry], TODAY, root) == []
    assert len(screen([_finding(path="ci.yml")], [entry], TODAY, root)) == 1
    outside = os.path.join(os.pardir, os.pardir, os.pardir, ".github/workflows/legacy.yml")  # noqa: PTH118
    assert len(screen([_finding(path=outside)], [entry], TODAY, root)) == 1
