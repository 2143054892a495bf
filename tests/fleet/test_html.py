"""The fleet's HTML report: read as markup by Python's HTML parser (escaping, CSP, no URL leaving the page), then
opened in a real headless chromium (it renders without console problems, its numbers equal the JSON's, its table
sorts and filters, each repository has its page, hostile text runs nothing) with a screenshot kept as an artifact."""

from __future__ import annotations

import base64
import copy
import hashlib
import re
import struct
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from scaffold.fleet.html import FINDINGS_SHOWN, VERSIONS_SHOWN, render_html
from tests.fleet import reports
from tests.fleet.browser import (
    cell,
    chromium,
    console_problems,
    open_report,
    page_numbers,
    report_numbers,
    repository_numbers,
    row_order,
    save_screenshot,
    shown_repository,
)
from tests.fleet.reports import HOSTILE, HOSTILE_STRINGS, repository, upgrade_block

__all__ = ["chromium"]  # the browser fixture, taken by the browser tests below


class Parsed(HTMLParser):
    """A page as the HTML parser sees it: every element with its attributes, the text, the script and style bodies."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str]]]] = []
        self.text: list[str] = []
        self.bodies: dict[str, list[str]] = {"script": [], "style": []}
        self._inside: str | None = None
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, [(name, value or "") for name, value in attrs]))
        if tag in self.bodies:
            self._inside = tag
            self.bodies[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        self._inside = None

    def handle_data(self, data: str) -> None:
        if self._inside is not None:
            self.bodies[self._inside][-1] += data
        else:
            self.text.append(data)

    @property
    def tags(self) -> list[tuple[str, tuple[str, ...]]]:
        """Each element's tag and attribute names, in document order: the page's structure."""
        return [(tag, tuple(name for name, _ in attrs)) for tag, attrs in self.elements]

    @property
    def attributes(self) -> list[tuple[str, str, str]]:
        return [(tag, name, value) for tag, attrs in self.elements for name, value in attrs]

    def values(self, attribute: str) -> list[str]:
        return [value for _, name, value in self.attributes if name == attribute]

    def having(self, attribute: str) -> list[dict[str, str]]:
        """The attributes of every element that has ATTRIBUTE."""
        return [dict(attrs) for _, attrs in self.elements if attribute in dict(attrs)]

    def csp(self) -> dict[str, str]:
        (policy,) = [
            attrs["content"] for attrs in self.having("http-equiv") if attrs["http-equiv"] == "Content-Security-Policy"
        ]
        return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in (p.strip() for p in policy.split(";"))}


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def everywhere(text: str, *, command: str = "status") -> dict[str, Any]:
    """A report with TEXT in every string a repository controls: name, target, pack, paths, rules, messages, error,
    audit errors, upgrade branch, files, description and pull-request command."""
    state = "drift" if command == "status" else "upgraded"
    hostile = repository(
        text,
        state=state,
        target=f"/srv/a/{text}",  # before /srv/clones/plain, as the harmless one
        pack=(text, text, f"{text}-newer"),
        findings=(1, 1, 1),
        weaker=1,
        customised=(text,),
        pending=(text,),
        error=text,
        audit_errors=(text,),
        text=text,
        upgrade=upgrade_block("upgraded", text=text, conflicts=(text,)) if command == "upgrade" else None,
    )
    plain = repository("plain", state=state, upgrade=upgrade_block("current") if command == "upgrade" else None)
    earlier = reports.summary([plain], reports.STATUS_STATES if command == "status" else reports.UPGRADE_STATES)
    built = reports.report([hostile, plain], command=command, earlier=[earlier])
    built["history"][0]["finished"] = built["trend"]["finished"] = text
    return built


# The markup ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["status", "upgrade"])
@pytest.mark.parametrize("hostile", HOSTILE_STRINGS)
def test_hostile_text_is_shown_as_text_and_never_becomes_markup(hostile: str, command: str) -> None:
    page = Parsed(render_html(everywhere(hostile, command=command)))
    harmless = Parsed(render_html(everywhere("harmless", command=command)))

    # The same tags with the same attribute names as for harmless text: nothing the repository wrote became markup.
    assert page.tags == harmless.tags
    assert not [name for _, name, _ in page.attributes if name.startswith("on")]
    assert len(page.bodies["script"]) == 1
    assert hostile not in page.bodies["script"][0]
    # ... and it reads as the text it was, in the name, target, rules, messages, error, description and so on.
    text = "".join(page.text)
    assert text.count(hostile) >= 12
    assert all(value.startswith("#") or value == "data:," for value in page.values("href"))


def test_the_csp_admits_exactly_the_page_s_own_script_and_style() -> None:
    page = Parsed(render_html(reports.sample_status()))
    policy = page.csp()
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == _sha256(page.bodies["script"][0])
    assert policy["style-src"] == _sha256(page.bodies["style"][0])
    assert policy["img-src"] == "data:"
    assert policy["base-uri"] == "'none'"
    assert "unsafe" not in " ".join(policy.values())
    assert len(page.bodies["script"]) == len(page.bodies["style"]) == 1
    # The styles are in the one <style>: a style attribute would be refused by the policy.
    assert "style" not in {name for _, name, _ in page.attributes}


# Every attribute a browser follows or fetches as a URL.
URL_ATTRIBUTES = {"src", "href", "action", "formaction", "srcset", "poster", "data", "xlink:href", "background", "ping"}


def test_nothing_on_the_page_points_off_the_page() -> None:
    page = Parsed(render_html(everywhere("https://evil.invalid/x.js")))
    urls = [(name, value) for _, name, value in page.attributes if name in URL_ATTRIBUTES]
    assert urls
    for name, value in urls:
        assert name == "href"
        assert re.fullmatch(r"#overview|#repo-[0-9]+|data:,", value), value
    assert not re.search(r"https?:", page.bodies["script"][0] + page.bodies["style"][0])


def test_control_characters_and_undecodable_bytes_are_written_as_escapes() -> None:
    nasty = "pay\x1b[31mments\u202egnp.exe\x00\udcff\u2028"
    page = render_html(everywhere(nasty))
    page.encode("utf-8")  # surrogates from undecodable file names would make this fail
    for raw in ("\x1b", "\u202e", "\x00", "\udcff", "\u2028"):
        assert raw not in page
    assert "pay\\x1b[31mments\\u202egnp.exe\\x00" in page


def test_a_pull_request_description_keeps_its_lines() -> None:
    upgrade = reports.sample_upgrade()
    description = "## Upgrade\n\n- one <b>\n- two & three"
    upgrade["repositories"][0]["upgrade"]["description"] = description
    page = Parsed(render_html(upgrade))
    assert description in "".join(page.text)


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("summary", "findings", "high"), "3"),
        (("summary", "findings", "high"), True),
        (("summary", "findings", "high"), 2.5),
        (("summary", "findings", "high"), float("nan")),
        (("summary", "repositories"), None),
        (("summary", "weaker"), -1),
        (("summary", "states", "behind"), [1]),
        (("summary", "versions", "scaffold 1.4.0"), "5"),
        (("repositories", 0, "findings", "low"), "x"),
        (("repositories", 0, "seconds"), "fast"),
        (("repositories", 0, "behind"), "yes"),
        (("repositories", 0, "name"), 42),
        (("history", 0, "run"), "1"),
        (("trend", "weaker"), "-1"),
    ],
    ids=lambda value: repr(value),
)
def test_a_value_of_the_wrong_type_is_refused_naming_its_field(where: tuple[Any, ...], value: Any) -> None:
    report = reports.sample_status()
    holder: Any = report
    for key in where[:-1]:
        holder = holder[key]
    holder[where[-1]] = value
    with pytest.raises(ValueError, match=re.escape(str(where[-1]))):
        render_html(report)


def test_a_whole_number_written_as_a_float_is_accepted() -> None:
    report = reports.sample_status()
    report["summary"]["findings"]["high"] = 11.0
    assert 'data-metric="findings-high">11<' in render_html(report)


def test_a_missing_state_in_the_summary_is_refused() -> None:
    report = reports.sample_status()
    del report["summary"]["states"]["drift"]
    with pytest.raises(ValueError, match=r"report\.summary\.states\.drift: missing"):
        render_html(report)


def test_an_upgrade_report_speaks_of_upgrade_outcomes() -> None:
    page = render_html(reports.sample_upgrade())
    for state in reports.UPGRADE_STATES:
        assert f'data-metric="state-{state}"' in page
    assert "<h1>Fleet upgrade</h1>" in page
    assert "Already current" in page
    assert '<button type="button">Outcome</button>' in page
    assert 'data-col="conflicts"' in page
    assert "Not scaffold" not in page
    assert "<h3>Upgrade</h3>" in page
    assert "gh pr create --head scaffold/kit-1.4 --body-file pr.md" in page


def test_a_status_report_has_no_upgrade_column() -> None:
    page = render_html(reports.sample_status())
    assert 'data-col="conflicts"' not in page
    assert "<h1>Fleet status</h1>" in page


def test_posture_over_time_is_charted_from_two_runs_on() -> None:
    one = reports.report([repository("a"), repository("b", state="behind", findings=(2, 0, 0))])
    assert '<svg class="line-chart"' not in render_html(one)
    sample = reports.sample_status()
    page = Parsed(render_html(sample))
    runs = len(sample["history"])
    assert [series["data-series"] for series in page.having("data-series")] == [
        "sev-high",
        "sev-medium",
        "sev-low",
        "open",
    ]
    assert sum(1 for tag, _ in page.tags if tag == "circle") == 4 * runs
    not_current = [entry["repositories"] - entry["states"]["current"] for entry in sample["history"]]
    titles = [text for text in page.text if text.endswith("not current repositories")]
    assert [int(title.split(": ")[1].split(" ")[0]) for title in titles] == not_current
    highs = [text for text in page.text if text.endswith(" high findings") and text.startswith("Run ")]
    assert [int(title.split(": ")[1].split(" ")[0]) for title in highs] == [
        e["findings"]["high"] for e in sample["history"]
    ]


def test_the_trend_is_shown_beside_each_number() -> None:
    sample = reports.sample_status()
    page = Parsed(render_html(sample))
    trend = sample["trend"]
    expected = [
        *(trend["states"][s] for s in reports.STATUS_STATES),
        *(trend["findings"][s] for s in reports.SEVERITIES),
        trend["weaker"],
    ]
    assert [int(value) for value in page.values("data-trend")] == expected
    assert len(page.values("data-metric")) == len(expected) + 1  # the total has no trend
    assert "data-trend" not in render_html(reports.report([repository("a")]))


def test_a_repository_page_lists_a_bounded_number_of_findings_but_counts_them_all() -> None:
    many = repository("noisy", state="drift", findings=(FINDINGS_SHOWN + 50, 0, 7))
    page = render_html(reports.report([many]))
    assert page.count('<tr class="finding">') == FINDINGS_SHOWN
    assert f'data-repo-metric="findings-high">{FINDINGS_SHOWN + 50:,}<' in page
    assert f"The first {FINDINGS_SHOWN} of {FINDINGS_SHOWN + 57} listed findings" in page


def test_the_versions_chart_sums_the_long_tail_in_one_bar() -> None:
    repos = [repository(f"r{i:02d}", pack=("scaffold", f"1.{i}.0", "1.20.0")) for i in range(VERSIONS_SHOWN + 3)]
    page = Parsed(render_html(reports.report(repos)))
    assert len(page.values("data-version")) == VERSIONS_SHOWN
    assert "3 other versions" in page.text


def test_without_script_every_repository_section_is_in_the_page_and_not_hidden() -> None:
    sample = reports.sample_status()
    page = Parsed(render_html(sample))
    ids = page.values("id")
    assert [i for i in ids if i.startswith("repo-") and not i.endswith("-title")] == [
        f"repo-{n}" for n in range(1, len(sample["repositories"]) + 1)
    ]
    sections = [names for tag, names in page.tags if tag in ("section", "main")]
    assert not [names for names in sections if "hidden" in names]


def test_an_empty_fleet_renders() -> None:
    page = render_html(reports.report([]))
    assert "No repositories in this report." in page
    assert 'data-metric="repositories">0<' in page


def test_rendering_does_not_change_the_report() -> None:
    sample = reports.sample_status()
    before = copy.deepcopy(sample)
    render_html(sample)
    assert sample == before


# In the browser -----------------------------------------------------------------------------------------------------

SAMPLE = reports.sample_status()


@pytest.fixture
def sample_page(chromium: Any, tmp_path: Path) -> Any:
    open_report(chromium, SAMPLE, tmp_path)
    return chromium


def _click_heading(driver: Any, column: str) -> None:
    driver.find_element("css selector", f'#repositories-table th[data-col="{column}"] button').click()


def _expected_order(column: str, *, descending: bool) -> list[int]:
    repos = SAMPLE["repositories"]
    keys = {i: repos[i - 1]["findings"][column] for i in range(1, len(repos) + 1)}
    return sorted(keys, key=lambda i: (-keys[i] if descending else keys[i], i))


def test_the_page_renders_cleanly_with_the_report_s_numbers(sample_page: Any) -> None:
    driver = sample_page
    assert console_problems(driver) == []
    assert page_numbers(driver) == report_numbers(SAMPLE)
    assert row_order(driver) == list(range(1, len(SAMPLE["repositories"]) + 1))
    assert shown_repository(driver) is None
    bars = driver.find_elements("css selector", "li.bar-row[data-version]")
    shown = {
        bar.get_attribute("data-version"): int(bar.find_element("css selector", ".bar-value").text) for bar in bars
    }
    assert shown == SAMPLE["summary"]["versions"]


def test_clicking_a_heading_sorts_by_it_and_again_reverses(sample_page: Any) -> None:
    driver = sample_page
    _click_heading(driver, "high")
    assert row_order(driver) == _expected_order("high", descending=True)
    highs = [int(cell(driver, i, "high")) for i in row_order(driver)]
    assert highs == sorted(highs, reverse=True)
    _click_heading(driver, "high")
    assert row_order(driver) == _expected_order("high", descending=False)
    heading = driver.find_element("css selector", '#repositories-table th[data-col="high"]')
    assert heading.get_attribute("aria-sort") == "ascending"
    _click_heading(driver, "state")
    states = [SAMPLE["repositories"][i - 1]["state"] for i in row_order(driver)]
    assert states[0] == "error"
    assert states[-1] == "current"
    assert console_problems(driver) == []


def test_clicking_a_row_opens_its_repository_and_the_back_link_returns(sample_page: Any) -> None:
    driver = sample_page
    repos = SAMPLE["repositories"]
    index = max(range(1, len(repos) + 1), key=lambda i: sum(repos[i - 1]["findings"].values()))
    repo = repos[index - 1]
    driver.find_element("css selector", f'#repositories-table tr[data-index="{index}"] td[data-col="state"]').click()
    assert shown_repository(driver) == index
    assert not driver.find_element("css selector", "#overview").is_displayed()
    assert repository_numbers(driver, index) == {
        **{f"findings-{s}": repo["findings"][s] for s in reports.SEVERITIES},
        "weaker": len(repo["weaker"]),
        "findings-listed": len(repo["findings_detail"]),
    }
    assert driver.find_element("css selector", f"#repo-{index} h2").text == repo["name"]
    driver.find_element("css selector", f"#repo-{index} a.back").click()
    assert shown_repository(driver) is None
    assert page_numbers(driver) == report_numbers(SAMPLE)
    assert console_problems(driver) == []


def test_a_link_to_a_repository_page_opens_it_alone(chromium: Any, tmp_path: Path) -> None:
    open_report(chromium, SAMPLE, tmp_path, fragment="repo-3")
    assert shown_repository(chromium) == 3
    assert chromium.title.startswith(SAMPLE["repositories"][2]["name"])
    chromium.back()  # to about:blank, then forward to the overview by fragment
    open_report(chromium, SAMPLE, tmp_path, fragment="repo-999")
    assert shown_repository(chromium) is None
    assert console_problems(chromium) == []


def test_a_hostile_repository_runs_no_script_and_reads_as_its_text(sample_page: Any) -> None:
    driver = sample_page
    (index,) = [i for i, repo in enumerate(SAMPLE["repositories"], start=1) if repo["name"] == HOSTILE]
    assert driver.find_element("css selector", f'tr[data-index="{index}"] td[data-col="name"] a').text == HOSTILE
    driver.find_element("css selector", f'tr[data-index="{index}"] td[data-col="name"] a').click()
    assert shown_repository(driver) == index
    assert driver.find_element("css selector", f"#repo-{index} h2").text == HOSTILE
    assert driver.find_element("css selector", f"#repo-{index} pre, #repo-{index} .alert").text.endswith(HOSTILE)
    assert driver.execute_script("return typeof window.__pwned") == "undefined"
    assert driver.find_elements("css selector", "img") == []
    assert console_problems(driver) == []


def test_a_script_the_policy_does_not_admit_is_refused(chromium: Any, tmp_path: Path) -> None:
    """The second line of defence: were an escape ever missed, the CSP would still refuse the script (and say so)."""
    page = open_report(chromium, SAMPLE, tmp_path)
    page.write_text(page.read_text().replace("</body>", "<script>window.__pwned=1</script></body>"))
    chromium.get(page.as_uri())
    assert chromium.execute_script("return typeof window.__pwned") == "undefined"
    assert any("Content Security Policy" in problem for problem in console_problems(chromium))
    assert page_numbers(chromium) == report_numbers(SAMPLE)  # the page's own script still ran


def test_the_filter_narrows_the_table(sample_page: Any) -> None:
    driver = sample_page
    box = driver.find_element("css selector", "#filter")
    box.send_keys("acme")
    visible = [
        i for i in row_order(driver) if driver.find_element("css selector", f'tr[data-index="{i}"]').is_displayed()
    ]
    expected = [i for i, repo in enumerate(SAMPLE["repositories"], start=1) if repo["pack"]["name"] == "acme-platform"]
    assert visible == expected
    assert (
        driver.find_element("css selector", "#shown-count").text == f"{len(expected)} of {len(row_order(driver))} shown"
    )


def test_an_upgrade_report_renders_with_its_numbers(chromium: Any, tmp_path: Path) -> None:
    upgrade = reports.sample_upgrade()
    open_report(chromium, upgrade, tmp_path)
    assert console_problems(chromium) == []
    assert page_numbers(chromium) == report_numbers(upgrade)
    (index,) = [i for i, repo in enumerate(upgrade["repositories"], start=1) if repo["name"] == HOSTILE]
    chromium.find_element("css selector", f'tr[data-index="{index}"] td[data-col="state"]').click()
    description = chromium.find_element("css selector", f"#repo-{index} pre.description").text
    assert HOSTILE in description
    assert chromium.execute_script("return typeof window.__pwned") == "undefined"


def test_a_full_page_screenshot_is_kept_as_an_artifact(sample_page: Any) -> None:
    path = save_screenshot(sample_page, "fleet-report.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    window = sample_page.get_window_size()
    assert width >= 1000
    assert height > window["height"]  # the whole page, not the window
    assert len(data) > 50_000


def test_the_sample_reports_follow_the_fleet_s_own_model() -> None:
    """The reports these tests render are ones the fleet could build: its model accepts them, and the page from the
    model's dump is the same page."""
    from scaffold.fleet.model import Report

    short = "'><svg onload=window.__pwned=1>"  # a run's finished time holds at most 40 characters
    for sample in (reports.sample_status(), reports.sample_upgrade(), everywhere(short, command="upgrade")):
        dumped = Report.model_validate(sample).model_dump(by_alias=True)
        assert render_html(dumped) == render_html(sample)
