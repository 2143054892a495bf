"""The report's summary, trend and table."""

from __future__ import annotations

from scaffold.fleet.model import Counts, HistoryPoint, PackInfo, RepoResult, UpgradeInfo, Weaker
from scaffold.fleet.report import build, needs_attention, summarise, table


def _result(name: str, state: str, **more: object) -> RepoResult:
    return RepoResult(target=f"/srv/{name}", name=name, state=state, **more)  # type: ignore[arg-type]


def test_the_summary_counts_every_state_findings_weakenings_and_versions() -> None:
    weak = Weaker(path="ci.yml", line=3, rule="r", control="c", message="m")
    results = [
        _result("a", "current", pack=PackInfo(name="acme", version="1.0.0"), findings=Counts(high=2, low=1)),
        _result("b", "drift", pack=PackInfo(name="acme", version="1.0.0"), weaker=[weak, weak]),
        _result("c", "behind", pack=PackInfo(name="acme", version="0.9.0"), findings=Counts(medium=4)),
        _result("d", "not-scaffold"),
    ]
    summary = summarise("status", results)
    assert summary.states == {"current": 1, "behind": 1, "drift": 1, "not-scaffold": 1, "error": 0}
    assert summary.findings == Counts(high=2, medium=4, low=1)
    assert summary.weaker == 2
    assert summary.versions == {"acme 0.9.0": 1, "acme 1.0.0": 2}


def test_the_trend_is_this_run_minus_the_previous_one() -> None:
    before = HistoryPoint(
        run=1, finished="t1", repositories=2, states={"current": 0, "drift": 2}, findings=Counts(high=3), weaker=2
    )
    results = [_result("a", "current"), _result("b", "drift", findings=Counts(high=1))]
    now = summarise("status", results)
    this = HistoryPoint(run=2, finished="t2", repositories=2, states=now.states, findings=now.findings, weaker=0)
    report = build("status", results, generated="t2", history=[before, this])
    assert report.trend is not None
    assert report.trend.states["current"] == 1 and report.trend.states["drift"] == -1
    assert report.trend.findings == {"high": -2, "medium": 0, "low": 0} and report.trend.weaker == -2
    assert "since run 1 (t1): current +1, drift -1, high -2" in table(report)


def test_attention_is_anything_but_current_or_upgraded_without_an_error() -> None:
    assert not needs_attention(build("status", [_result("a", "current")], generated="t"))
    assert needs_attention(build("status", [_result("a", "current"), _result("b", "behind")], generated="t"))
    upgraded = _result("a", "upgraded", error="pull request not opened: gh is not installed")
    assert needs_attention(build("upgrade", [upgraded], generated="t"))


def test_the_table_escapes_what_a_repository_controls() -> None:
    hostile = _result("evil\x1b[2J\nname", "error", error="bad\rline\x07")
    info = UpgradeInfo(outcome="upgraded", branch="b", pr_command="cd /srv/x && gh pr create --title 't'")
    text = table(build("status", [hostile], generated="t")) + table(
        build("upgrade", [_result("u", "upgraded", upgrade=info)], generated="t")
    )
    assert "\x1b" not in text and "\r" not in text and "\x07" not in text
    assert "evil\\x1b[2J\\nname" in text
    assert "gh pr create" in text  # the command to open each pull request is printed
