"""The fleet report as one self-contained HTML page, made for a platform lead to read in a browser.

Everything is inline: the CSS, one script (sorts and filters the table, shows one repository at a time by its
``#repo-N`` fragment) and SVG charts drawn here. A Content-Security-Policy meta tag admits that style and that script
by their SHA-256 hashes and nothing else: no network, no other script, no inline event handler, even if an escape
were ever missed. Without script every repository's section is shown below the table.

Every string in the report is untrusted (repository names, paths, messages, pack names, pull-request text): it is
made printable, cut to a length and HTML-escaped wherever it appears, never written into the script, never into a
URL. The only fragment ids are the row numbers counted here. Counts must be numbers: any other value raises
ValueError naming the field (the fleet builds the report; ``fleet merge`` validates shard files before this).
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scaffold.untrusted.text import printable

SEVERITIES = ("high", "medium", "low")
STATUS_STATES = ("current", "behind", "drift", "not-scaffold", "error")
UPGRADE_STATES = ("upgraded", "current", "conflicts", "blocked", "error")
_STATE_LABELS = {
    "status": {
        "current": "Current",
        "behind": "Behind",
        "drift": "Drift",
        "not-scaffold": "Not scaffold",
        "error": "Error",
    },
    "upgrade": {
        "upgraded": "Upgraded",
        "current": "Already current",
        "conflicts": "Conflicts",
        "blocked": "Blocked",
        "error": "Error",
    },
}
# States that are good news: a rise is shown green, a fall red (the other way round for every other state).
_GOOD_STATES = frozenset({"current", "upgraded"})
# The CSS class of each state's colour; the upgrade "current" is a lighter green than "upgraded".
_STATE_CLASS = {
    "status": {state: state for state in STATUS_STATES},
    "upgrade": {**{state: state for state in UPGRADE_STATES}, "current": "already"},
}

_TEXT_LIMIT = 1_000  # characters of one untrusted line shown
_BLOCK_LIMIT = 100_000  # characters of an untrusted block (a pull-request description) shown
FINDINGS_SHOWN = 100  # findings listed on a repository's page; the counts always cover them all
VERSIONS_SHOWN = 12  # bars in the versions chart; the rest are summed in one bar
HISTORY_SHOWN = 60  # runs in the posture-over-time chart


# Reading the report -------------------------------------------------------------------------------------------------


class _Node:
    """One object of the report, read field by field; a field of the wrong type raises ValueError naming it."""

    def __init__(self, value: object, where: str) -> None:
        if not isinstance(value, Mapping):
            raise ValueError(f"{where}: expected an object, got {type(value).__name__}")
        self.value: Mapping[str, Any] = value
        self.where = where

    def _get(self, key: str) -> object:
        if key not in self.value:
            raise ValueError(f"{self.where}.{key}: missing")
        return self.value[key]

    def count(self, key: str) -> int:
        """A count: a whole number, not below zero."""
        value = self.change(key)
        if value < 0:
            raise ValueError(f"{self.where}.{key}: expected a count (0 or more), got {value}")
        return value

    def change(self, key: str) -> int:
        """A whole number that may be negative (a trend)."""
        return _whole(self._get(key), f"{self.where}.{key}")

    def number(self, key: str) -> float:
        value = self.value.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{self.where}.{key}: expected a number, got {type(value).__name__}")
        return float(value)

    def flag(self, key: str) -> bool:
        value = self.value.get(key, False)
        if not isinstance(value, bool):
            raise ValueError(f"{self.where}.{key}: expected true or false, got {type(value).__name__}")
        return value

    def text(self, key: str) -> str:
        value = self.optional_text(key)
        if value is None:
            raise ValueError(f"{self.where}.{key}: expected a string, got null")
        return value

    def optional_text(self, key: str) -> str | None:
        value = self.value.get(key)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{self.where}.{key}: expected a string, got {type(value).__name__}")
        return value

    def node(self, key: str) -> _Node:
        return _Node(self._get(key), f"{self.where}.{key}")

    def optional_node(self, key: str) -> _Node | None:
        value = self.value.get(key)
        return None if value is None else _Node(value, f"{self.where}.{key}")

    def nodes(self, key: str) -> list[_Node]:
        return [_Node(item, f"{self.where}.{key}[{i}]") for i, item in enumerate(self._list(key))]

    def texts(self, key: str) -> list[str]:
        items = self._list(key)
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise ValueError(f"{self.where}.{key}[{i}]: expected a string, got {type(item).__name__}")
        return [str(item) for item in items]

    def counts(self, key: str, names: Sequence[str], *, partial: bool = False) -> dict[str, int]:
        """The named counts of the object at KEY; with PARTIAL a missing name counts 0."""
        node = self.node(key)
        return {name: node.count(name) if name in node.value or not partial else 0 for name in names}

    def changes(self, key: str, names: Sequence[str]) -> dict[str, int]:
        """The named changes of the object at KEY (a trend), a missing name 0."""
        node = self.node(key)
        return {name: node.change(name) if name in node.value else 0 for name in names}

    def _list(self, key: str) -> list[object]:
        value = self.value.get(key)
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            raise ValueError(f"{self.where}.{key}: expected a list, got {type(value).__name__}")
        return list(value)


def _whole(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where}: expected a whole number, got {type(value).__name__}")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"{where}: expected a whole number, got {value!r}")
    return int(value)


def _key(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected string keys, got {type(value).__name__}")
    return value


@dataclass(frozen=True)
class _Run:
    """One run of the posture-over-time chart."""

    run: int
    finished: str
    findings: dict[str, int]
    open: int  # repositories that still need work: not current (status), not upgraded or current (upgrade)


# Escaping -------------------------------------------------------------------------------------------------------------


def _e(text: str, limit: int = _TEXT_LIMIT) -> str:
    """One untrusted line as HTML text or a quoted attribute value."""
    return html.escape(printable(text, limit), quote=True)


def _block(text: str) -> str:
    """Untrusted text of several lines (for <pre>): each line printable, the whole cut and escaped."""
    cut = text if len(text) <= _BLOCK_LIMIT else text[:_BLOCK_LIMIT] + "\n[...]"
    return html.escape("\n".join(printable(line) for line in cut.splitlines()), quote=True)


def _n(value: int) -> str:
    return f"{value:,}"


def _hash(source: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")


_STAMP = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|\+00:00)")


def _when(stamp: str) -> str:
    """A UTC timestamp as '2026-12-07 14:00 UTC' (escaped); anything else escaped as it is."""
    match = _STAMP.fullmatch(stamp)
    return f"{match[1]} {match[2]} UTC" if match else _e(stamp)


# The page -------------------------------------------------------------------------------------------------------------


def render_html(report: Mapping[str, Any]) -> str:
    """The whole page for a fleet report (the dict of ``scaffold-fleet-report/1``), as one HTML string."""
    root = _Node(report, "report")
    command = root.text("command")
    if command not in _STATE_LABELS:
        raise ValueError("report.command: expected 'status' or 'upgrade'")
    page = _Page(root, command)
    return page.render()


class _Page:
    def __init__(self, root: _Node, command: str) -> None:
        self.root = root
        self.command = command
        self.states = STATUS_STATES if command == "status" else UPGRADE_STATES
        self.labels = _STATE_LABELS[command]
        self.summary = root.node("summary")
        self.repositories = root.nodes("repositories")

    def state_label(self, state: str) -> str:
        return self.labels.get(state) or _e(state)

    def state_class(self, state: str) -> str:
        return _STATE_CLASS[self.command].get(state, "unknown")

    def badge(self, state: str) -> str:
        return f'<span class="badge st-{self.state_class(state)}">{self.state_label(state)}</span>'

    def render(self) -> str:
        title = "Fleet status" if self.command == "status" else "Fleet upgrade"
        csp = (
            f"default-src 'none'; style-src '{_hash(_CSS)}'; script-src '{_hash(_SCRIPT)}'; img-src data:; "
            "base-uri 'none'; form-action 'none'"
        )
        body = "".join(
            [
                '<main id="overview">',
                self.header(title),
                self.at_a_glance(),
                self.table(),
                "</main>",
                *(self.repository_page(i, repo) for i, repo in enumerate(self.repositories, start=1)),
                self.footer(),
            ]
        )
        return (
            '<!DOCTYPE html>\n<html lang="en" class="no-js"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="referrer" content="no-referrer">'
            '<link rel="icon" href="data:,">'
            f"<title>{title} · {_n(len(self.repositories))} repositories</title>"
            f"<style>{_CSS}</style></head>\n<body>{body}<script>{_SCRIPT}</script></body></html>\n"
        )

    # Header and summary -------------------------------------------------------------------------------------------

    def header(self, title: str) -> str:
        facts = [
            f"Generated {_when(self.root.text('generated'))}",
            f"scaffold {_e(self.root.text('scaffold_version'))}",
        ]
        shard = self.root.optional_text("shard")
        if shard is not None:
            facts.append(f"shard {_e(shard)}")
        trend = self.root.optional_node("trend")
        if trend is not None:
            facts.append(f"compared with run {_n(trend.count('run'))} ({_when(trend.text('finished'))})")
        kind = "Status of every repository against its pack" if self.command == "status" else "Kit upgrade campaign"
        return (
            f'<header class="top"><div><h1>{title}</h1><p class="lede">{kind}</p></div>'
            f'<p class="facts-line">{" · ".join(facts)}</p></header>'
        )

    def at_a_glance(self) -> str:
        total = self.summary.count("repositories")
        states = self.summary.counts("states", self.states)
        findings = self.summary.counts("findings", SEVERITIES)
        weaker = self.summary.count("weaker")
        trend = self.root.optional_node("trend")
        state_trend = trend.changes("states", self.states) if trend and "states" in trend.value else {}
        finding_trend = trend.changes("findings", SEVERITIES) if trend and "findings" in trend.value else {}
        weaker_trend = trend.change("weaker") if trend and "weaker" in trend.value else None

        tiles = [_tile("repositories", "Repositories", total, "total", None, good_when_up=None)]
        tiles += [
            _tile(f"state-{s}", self.labels[s], states[s], self.state_class(s), state_trend.get(s), s in _GOOD_STATES)
            for s in self.states
        ]
        posture = [
            _tile(f"findings-{s}", f"{s.capitalize()} findings", findings[s], f"sev-{s}", finding_trend.get(s), False)
            for s in SEVERITIES
        ]
        posture.append(_tile("weaker", "Weaker controls", weaker, "weaker", weaker_trend, False))
        charts = [
            _panel("Pack versions", "Repositories on each recorded pack version", self.versions_chart()),
            _panel(
                "States and findings", "Repositories by state, audit findings by severity", self.posture_chart(total)
            ),
        ]
        history = self.history_chart()
        if history:
            charts.append(_panel("Posture over time", "This run and the earlier runs in the history", history, "wide"))
        return (
            '<section class="glance" aria-label="At a glance">'
            f'<h2 class="group">Repositories</h2><div class="tiles">{"".join(tiles)}</div>'
            f'<h2 class="group">Posture</h2><div class="tiles">{"".join(posture)}</div>'
            f'<div class="charts">{"".join(charts)}</div></section>'
        )

    # Charts ---------------------------------------------------------------------------------------------------------

    def versions_chart(self) -> str:
        versions = self.summary.node("versions")
        items = sorted(
            ((_key(label, "report.summary.versions"), versions.count(label)) for label in versions.value),
            key=lambda item: (-item[1], item[0]),
        )
        if not items:
            return '<p class="none">No repository records a pack version.</p>'
        newest = self.newest_versions()
        shown, rest = items[:VERSIONS_SHOWN], items[VERSIONS_SHOWN:]
        top = max(count for _, count in items)
        rows = []
        for label, count in shown:
            latest = label in newest
            fill = "fill-newest" if latest else "fill-version"
            rows.append(_bar_row(_e(label), count, top, fill, tag="newest" if latest else "", version=_e(label)))
        if rest:
            others = sum(count for _, count in rest)
            rows.append(_bar_row(f"{_n(len(rest))} other versions", others, max(top, others), "fill-other"))
        return f'<ul class="bars" aria-label="Pack versions">{"".join(rows)}</ul>'

    def newest_versions(self) -> set[str]:
        """'<pack> <version>' for the newest version each pack has, as the repositories report it."""
        newest = set()
        for repo in self.repositories:
            pack = repo.optional_node("pack")
            if pack is not None:
                name, latest = pack.optional_text("name"), pack.optional_text("latest")
                if name is not None and latest is not None:
                    newest.add(f"{name} {latest}")
        return newest

    def posture_chart(self, total: int) -> str:
        states = self.summary.counts("states", self.states)
        findings = self.summary.counts("findings", SEVERITIES)
        width, x, segments = 1000.0, 0.0, []
        for state in self.states:
            if states[state] and total:
                part = width * states[state] / max(total, sum(states.values()))
                segments.append(
                    f'<rect class="fill-{self.state_class(state)}" x="{x:.2f}" y="0" width="{part:.2f}" height="28">'
                    f"<title>{self.labels[state]}: {_n(states[state])}</title></rect>"
                )
                x += part
        legend = "".join(
            f'<li><span class="swatch fill-{self.state_class(s)}"></span>{self.labels[s]} <b>{_n(states[s])}</b></li>'
            for s in self.states
        )
        stack = (
            '<svg class="stack" viewBox="0 0 1000 28" preserveAspectRatio="none" role="img" '
            f'aria-label="Repositories by state">{"".join(segments)}</svg>'
            if segments
            else '<p class="none">No repositories.</p>'
        )
        top = max(findings.values())
        bars = "".join(_bar_row(s.capitalize(), findings[s], top, f"fill-sev-{s}") for s in SEVERITIES)
        return (
            f'<h4>Repositories by state</h4>{stack}<ul class="legend">{legend}</ul>'
            f'<h4>Audit findings by severity</h4><ul class="bars">{bars}</ul>'
        )

    def runs(self) -> list[_Run]:
        runs = []
        for entry in self.root.nodes("history")[-HISTORY_SHOWN:]:
            states = entry.counts("states", self.states, partial=True)
            if self.command == "status":
                still_open = entry.count("repositories") - states["current"]
            else:
                still_open = states["conflicts"] + states["blocked"] + states["error"]
            runs.append(
                _Run(entry.count("run"), entry.text("finished"), entry.counts("findings", SEVERITIES), still_open)
            )
        return runs

    def history_chart(self) -> str:
        runs = self.runs()
        if len(runs) < 2:
            return ""
        open_label = "Not current" if self.command == "status" else "Not upgraded"
        series = [(f"{s.capitalize()} findings", f"sev-{s}", [run.findings[s] for run in runs]) for s in SEVERITIES]
        series.append((f"{open_label} repositories", "open", [run.open for run in runs]))
        return _line_chart(runs, series)

    # The table ------------------------------------------------------------------------------------------------------

    def columns(self) -> list[tuple[str, str, str]]:
        """(data-col, heading, sort type) of the table's columns."""
        columns = [
            ("name", "Repository", "text"),
            ("pack", "Pack", "text"),
            ("state", "State" if self.command == "status" else "Outcome", "num"),
            ("behind", "Behind", "num"),
            ("drift", "Drift", "num"),
            ("customised", "Customised", "num"),
            ("high", "High", "num"),
            ("medium", "Medium", "num"),
            ("low", "Low", "num"),
            ("weaker", "Weaker", "num"),
            ("error", "Error", "text"),
        ]
        if self.command == "upgrade":
            columns.insert(5, ("conflicts", "Conflicts", "num"))
        return columns

    def table(self) -> str:
        heads = "".join(
            f'<th scope="col" data-col="{col}" data-type="{kind}" aria-sort="none"{_align(col, kind)}>'
            f'<button type="button">{heading}</button></th>'
            for col, heading, kind in self.columns()
        )
        rows = "".join(self.row(i, repo) for i, repo in enumerate(self.repositories, start=1))
        if not self.repositories:
            rows = f'<tr><td colspan="{len(self.columns())}" class="none">No repositories in this report.</td></tr>'
        count = _n(len(self.repositories))
        return (
            '<section class="panel table-panel" aria-labelledby="table-title">'
            f'<div class="table-head"><h2 id="table-title">Repositories <span class="muted">{count}</span></h2>'
            '<div class="table-tools"><span id="shown-count" class="muted" aria-live="polite"></span>'
            '<input id="filter" type="search" placeholder="Filter by name, pack, state…" '
            'aria-label="Filter repositories" hidden></div></div>'
            '<p class="hint">Click a column heading to sort (again to reverse); '
            "click a repository to open its page.</p>"
            f'<div class="scroll"><table id="repositories-table"><thead><tr>{heads}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div></section>"
        )

    def row(self, index: int, repo: _Node) -> str:
        name, target, state = repo.text("name"), repo.text("target"), repo.text("state")
        pack = repo.optional_node("pack")
        pack_name = pack.optional_text("name") if pack else None
        version = pack.optional_text("version") if pack else None
        latest = pack.optional_text("latest") if pack else None
        findings = repo.counts("findings", SEVERITIES)
        error = repo.optional_text("error") or ""
        behind, drift = repo.flag("behind"), repo.flag("drift")
        pack_text = " ".join(part for part in (pack_name, version) if part is not None)
        newer = f'<span class="sub block">newest {_e(latest)}</span>' if behind and latest and latest != version else ""
        # States sort from good to bad (their order in the contract), an unknown one last.
        rank = self.states.index(state) if state in self.states else len(self.states)
        cells = {
            "name": (
                _e(name),
                f'<a href="#repo-{index}">{_e(name)}</a>'
                + (f'<span class="sub block" title="{_e(target)}">{_e(target)}</span>' if target != name else ""),
            ),
            "pack": (_e(pack_text), (_e(pack_text) or _none("—")) + newer),
            "state": (str(rank), self.badge(state)),
            "behind": ("1" if behind else "0", _yes(behind)),
            "drift": ("1" if drift else "0", _yes(drift)),
            "customised": _num(len(repo.texts("customised"))),
            "high": _num(findings["high"], "sev-high"),
            "medium": _num(findings["medium"], "sev-medium"),
            "low": _num(findings["low"], "sev-low"),
            "weaker": _num(_weaker_count(repo), "weaker"),
            "error": (
                _e(error),
                f'<span class="error-text" title="{_e(error)}">{_e(error, 160)}</span>' if error else "",
            ),
        }
        if self.command == "upgrade":
            upgrade = repo.optional_node("upgrade")
            cells["conflicts"] = _num(len(upgrade.texts("conflicts")) if upgrade else 0, "conflicts")
        tds = "".join(
            f'<td data-col="{col}" data-sort="{cells[col][0]}"{_align(col, kind)}>{cells[col][1]}</td>'
            for col, _, kind in self.columns()
        )
        search = _e(" ".join((name, target, pack_text, self.labels.get(state, state))).lower())
        return f'<tr data-index="{index}" data-search="{search}">{tds}</tr>'

    # A repository's page --------------------------------------------------------------------------------------------

    def repository_page(self, index: int, repo: _Node) -> str:
        name, state = repo.text("name"), repo.text("state")
        pack = repo.optional_node("pack")
        findings = repo.counts("findings", SEVERITIES)
        weaker = repo.nodes("weaker")
        facts = [("Target", f"<code>{_e(repo.text('target'))}</code>")]
        path = repo.optional_text("path")
        facts.append(("Local folder", f"<code>{_e(path)}</code>" if path else _none("not read")))
        if pack is not None:
            pack_name, version = pack.optional_text("name"), pack.optional_text("version")
            latest, source = pack.optional_text("latest"), pack.optional_text("source")
            shown = " ".join(_e(part) for part in (pack_name, version) if part is not None)
            facts.append(("Pack", shown or _none("none recorded")))
            facts.append(("Newest version", _e(latest) if latest else _none("unknown")))
            if source:
                facts.append(("Pack source", f"<code>{_e(source)}</code>"))
        facts.append(("Behind", _yes(repo.flag("behind"))))
        facts.append(("Drift", _yes(repo.flag("drift"))))
        facts.append(("Time", f"{repo.number('seconds'):.2f} s"))
        metrics = "".join(
            f'<div class="metric sev-{s}"><span data-repo-metric="findings-{s}">{_n(findings[s])}</span>'
            f"<small>{s} findings</small></div>"
            for s in SEVERITIES
        )
        metrics += (
            f'<div class="metric weaker"><span data-repo-metric="weaker">{_n(_weaker_count(repo))}</span>'
            "<small>weaker controls</small></div>"
        )
        error = repo.optional_text("error")
        parts = [
            '<nav class="crumbs"><a class="back" href="#overview">← All repositories</a></nav>',
            f'<header class="repo-head"><h2 id="repo-{index}-title">{_e(name)}</h2>{self.badge(state)}</header>',
            f'<p class="alert"><b>Error:</b> {_e(error)}</p>' if error else "",
            f'<div class="metrics">{metrics}</div>',
        ]
        upgrade = repo.optional_node("upgrade")
        if upgrade is not None:
            parts.append(self.upgrade_block(upgrade))
        parts.append(
            f'<div class="repo-grid">{_panel("Repository", None, _facts(facts))}'
            f"{_panel('Kit files', None, self.files(repo))}</div>"
        )
        parts.append(_panel(f"Weaker controls ({_n(len(weaker))})", None, _weaker_table(weaker)))
        parts.append(_panel(f"Audit findings ({_n(sum(findings.values()))})", None, _findings_table(repo, findings)))
        audit_errors = repo.texts("audit_errors")
        if audit_errors:
            items = "".join(f"<li><code>{_e(item)}</code></li>" for item in audit_errors)
            parts.append(_panel(f"Files audit could not read ({_n(len(audit_errors))})", None, f"<ul>{items}</ul>"))
        return (
            f'<section class="repo-page" id="repo-{index}" data-index="{index}" aria-labelledby="repo-{index}-title">'
            f"{''.join(parts)}</section>"
        )

    def files(self, repo: _Node) -> str:
        pending = repo.nodes("pending")
        rows = "".join(
            f"<tr><td><code>{_e(item.text('path'))}</code></td><td>{_e(item.optional_text('status') or '')}</td>"
            f"<td>{_e(item.optional_text('note') or '')}</td></tr>"
            for item in pending
        )
        table = (
            f'<table class="detail"><thead><tr><th>Path</th><th>Change</th><th>Note</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
            if pending
            else _none("none")
        )
        lists = "".join(
            f"<h4>{title} ({_n(len(items))})</h4>{_paths(items)}"
            for title, items in (
                ("Missing", repo.texts("missing")),
                ("Customised", repo.texts("customised")),
                ("Removed", repo.texts("removed")),
            )
        )
        return f"<h4>Pending from the pack ({_n(len(pending))})</h4>{table}{lists}"

    def upgrade_block(self, upgrade: _Node) -> str:
        outcome = upgrade.text("outcome")
        branch, commit = upgrade.optional_text("branch"), upgrade.optional_text("commit")
        versions = (
            f"{_e(upgrade.optional_text('from_version') or '?')} → {_e(upgrade.optional_text('to_version') or '?')}"
        )
        facts = [
            ("Outcome", self.badge(outcome)),
            ("Versions", versions),
            ("Branch", f"<code>{_e(branch)}</code>" if branch else _none("none")),
            ("Commit", f"<code>{_e(commit)}</code>" if commit else _none("none")),
            ("Pushed", _yes(upgrade.flag("pushed"))),
        ]
        pr_url = upgrade.optional_text("pr_url")
        if pr_url:
            facts.append(("Pull request", f"<code>{_e(pr_url)}</code>"))
        files = upgrade.nodes("files")
        file_rows = "".join(
            f"<tr><td><code>{_e(item.text('path'))}</code></td><td>{_e(item.optional_text('status') or '')}</td>"
            f'<td class="num">{_n(item.count("conflicts") if "conflicts" in item.value else 0)}</td></tr>'
            for item in files
        )
        files_table = (
            '<table class="detail"><thead><tr><th>Path</th><th>Status</th><th class="num">Conflicts</th></tr></thead>'
            f"<tbody>{file_rows}</tbody></table>"
            if files
            else _none("none")
        )
        conflicts = upgrade.texts("conflicts")
        blocked = upgrade.nodes("blocked")
        description = upgrade.optional_text("description")
        command = upgrade.optional_text("pr_command")
        body = (
            _facts(facts)
            + f"<h4>Files ({_n(len(files))})</h4>{files_table}"
            + f"<h4>Conflicts ({_n(len(conflicts))})</h4>{_paths(conflicts)}"
            + f"<h4>Blocked by the ratchet ({_n(len(blocked))})</h4>{_weaker_table(blocked)}"
            + (f"<h4>Open the pull request</h4><pre>{_block(command)}</pre>" if command else "")
            + (
                f'<h4>Pull-request description</h4><pre class="description">{_block(description)}</pre>'
                if description
                else ""
            )
        )
        return _panel("Upgrade", None, body, "upgrade")

    def footer(self) -> str:
        schema = self.root.optional_text("schema")
        return (
            f"<footer>Generated by scaffold {_e(self.root.text('scaffold_version'))}"
            f"{f' · report schema {_e(schema)}' if schema else ''}</footer>"
        )


# Small pieces -----------------------------------------------------------------------------------------------------


def _tile(metric: str, label: str, value: int, tone: str, delta: int | None, good_when_up: bool | None) -> str:
    trend = ""
    if delta is not None:
        if delta == 0:
            trend = '<span class="delta flat" data-trend="0">no change</span>'
        else:
            better = None if good_when_up is None else (delta > 0) == good_when_up
            tone_class = "good" if better else "bad" if better is False else "flat"
            arrow = "▲" if delta > 0 else "▼"
            sign = "+" if delta > 0 else "\u2212"  # a minus sign
            trend = f'<span class="delta {tone_class}" data-trend="{delta}">{arrow} {sign}{_n(abs(delta))}</span>'
    return (
        f'<div class="tile tone-{tone}"><span class="tile-label">{label}</span>'
        f'<span class="tile-value" data-metric="{metric}">{_n(value)}</span>{trend}</div>'
    )


def _panel(title: str, subtitle: str | None, body: str, extra: str = "") -> str:
    sub = f'<p class="muted">{subtitle}</p>' if subtitle else ""
    return f'<section class="panel {extra}"><h3>{title}</h3>{sub}{body}</section>'


def _bar_row(label: str, value: int, top: int, fill: str, *, tag: str = "", version: str | None = None) -> str:
    """One bar of a bar chart; LABEL and VERSION are escaped already."""
    width = 100.0 * value / top if top else 0.0
    data = f' data-version="{version}" data-count="{value}"' if version is not None else ""
    tagged = f'<span class="tag">{tag}</span>' if tag else ""
    return (
        f'<li class="bar-row"{data}><span class="bar-label"><span class="bar-text" title="{label}">{label}</span>'
        f"{tagged}</span>"
        f'<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">'
        f'<rect class="{fill}" x="0" y="0" width="{width:.2f}" height="10"></rect></svg>'
        f'<span class="bar-value">{_n(value)}</span></li>'
    )


def _nice_step(raw: float) -> int:
    if raw <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(int(m * magnitude) for m in (1, 2, 5, 10) if m * magnitude >= raw)


def _line_chart(runs: list[_Run], series: list[tuple[str, str, list[int]]]) -> str:
    width, height, left, right, top, bottom = 1100, 260, 48, 24, 14, 42
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max(max(values) for _, _, values in series)
    step = _nice_step(highest / 4)
    ceiling = max(step * math.ceil(highest / step), step)
    count = len(runs)

    def x(i: int) -> float:
        return left + plot_w * i / (count - 1)

    def y(value: int) -> float:
        return top + plot_h * (1 - value / ceiling)

    grid = []
    for tick in range(0, ceiling + 1, step):
        grid.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"></line>'
            f'<text class="axis" x="{left - 8}" y="{y(tick) + 4:.1f}" text-anchor="end">{_n(tick)}</text>'
        )
    every = max(1, math.ceil(count / 12))
    for i, run in enumerate(runs):
        if i % every == 0 or i == count - 1:
            grid.append(
                f'<text class="axis" x="{x(i):.1f}" y="{height - bottom + 18}" text-anchor="middle">'
                f"#{_n(run.run)}</text>"
            )
    lines = []
    for label, tone, values in series:
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        dots = "".join(
            f'<circle class="dot" cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5">'
            f"<title>Run {_n(runs[i].run)}, {_when(runs[i].finished)}: {_n(v)} {label.lower()}</title></circle>"
            for i, v in enumerate(values)
        )
        lines.append(
            f'<g class="series s-{tone}" data-series="{tone}"><polyline points="{points}"></polyline>{dots}</g>'
        )
    legend = "".join(f'<li><span class="swatch line s-{tone}"></span>{label}</li>' for label, tone, _ in series)
    first, last = _when(runs[0].finished), _when(runs[-1].finished)
    return (
        f'<svg class="line-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Findings and repositories needing work per run">{"".join(grid)}{"".join(lines)}'
        f'<text class="axis" x="{left}" y="{height - 4}">{first}</text>'
        f'<text class="axis" x="{width - right}" y="{height - 4}" text-anchor="end">{last}</text></svg>'
        f'<ul class="legend">{legend}</ul>'
    )


def _num(value: int, tone: str = "") -> tuple[str, str]:
    shown = f'<span class="count {tone}">{_n(value)}</span>' if value else '<span class="zero">0</span>'
    return str(value), shown


def _weaker_count(repo: _Node) -> int:
    """Controls weaker than the kit, as the summary counts them: those found, and those an upgrade's ratchet blocked."""
    upgrade = repo.optional_node("upgrade")
    return len(repo.nodes("weaker")) + (len(upgrade.nodes("blocked")) if upgrade else 0)


def _align(col: str, kind: str) -> str:
    """Numbers are right-aligned; the state column sorts by a number but shows a badge."""
    return ' class="num"' if kind == "num" and col != "state" else ""


def _yes(value: bool) -> str:
    return '<span class="yes">yes</span>' if value else '<span class="muted">no</span>'


def _none(text: str) -> str:
    return f'<span class="muted">{text}</span>'


def _facts(facts: Sequence[tuple[str, str]]) -> str:
    return '<dl class="facts">' + "".join(f"<dt>{term}</dt><dd>{value}</dd>" for term, value in facts) + "</dl>"


def _paths(items: Sequence[str]) -> str:
    if not items:
        return _none("none")
    return '<ul class="paths">' + "".join(f"<li><code>{_e(item)}</code></li>" for item in items) + "</ul>"


def _where(item: _Node, *, column: bool = False) -> str:
    where = _e(item.text("path"))
    if "line" in item.value and item.value["line"] is not None:
        where += f":{_n(item.count('line'))}"
        if column and "column" in item.value and item.value["column"] is not None:
            where += f":{_n(item.count('column'))}"
    return f"<code>{where}</code>"


def _weaker_table(items: Sequence[_Node]) -> str:
    if not items:
        return _none("none")
    rows = "".join(
        f"<tr><td>{_where(item)}</td><td><code>{_e(item.optional_text('rule') or '')}</code></td>"
        f"<td>{_e(item.optional_text('control') or '')}</td><td>{_e(item.optional_text('message') or '')}</td></tr>"
        for item in items
    )
    return (
        '<table class="detail"><thead><tr><th>Where</th><th>Rule</th><th>Control</th><th>Message</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def _findings_table(repo: _Node, findings: Mapping[str, int]) -> str:
    detail = repo.nodes("findings_detail")
    if not detail:
        return _none("none listed") if not sum(findings.values()) else _none("not listed in the report")
    rows = []
    for item in detail[:FINDINGS_SHOWN]:
        severity = item.text("severity")
        tone = severity if severity in SEVERITIES else "unknown"
        rows.append(
            f'<tr class="finding"><td><span class="badge sev-{tone}">{_e(severity)}</span></td>'
            f"<td>{_where(item, column=True)}</td><td><code>{_e(item.optional_text('rule') or '')}</code></td>"
            f"<td>{_e(item.optional_text('message') or '')}</td></tr>"
        )
    note = ""
    if len(detail) > FINDINGS_SHOWN:
        note = (
            f'<p class="muted">The first {_n(FINDINGS_SHOWN)} of {_n(len(detail))} listed findings; the JSON report '
            "has them all.</p>"
        )
    return (
        '<table class="detail findings"><thead><tr><th>Severity</th><th>Where</th><th>Rule</th><th>Message</th></tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table>{note}"
    )


# The style and the script: constants, so the CSP hashes cover exactly what the page holds ---------------------------

_CSS = """
:root{--bg:#f4f6f9;--panel:#fff;--text:#1c2430;--muted:#637083;--line:#e1e6ec;--head:#f7f9fb;--accent:#2c5cc5;
--good:#23925f;--already:#7cc7a0;--warn:#d9901a;--drift:#8a63d2;--grey:#9aa5b1;--bad:#d43f3f;--low:#4f86e0;
--version:#5a7bb5;--track:#eef1f5;--hover:#f1f5fd}
*{box-sizing:border-box}
[hidden]{display:none!important}
html{background:var(--bg);color:var(--text)}
body{margin:0 auto;max-width:1280px;padding:28px 32px 40px;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue","DejaVu Sans",Arial,sans-serif}
h1{font-size:26px;margin:0;letter-spacing:-.01em}
h2{font-size:18px;margin:0}
h3{font-size:15px;margin:0 0 10px}
h4{font-size:12px;margin:16px 0 6px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
h2.group{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:22px 0 8px}
a{color:var(--accent);text-decoration:none}
a:hover{text-decoration:underline}
code,pre{font-family:"DejaVu Sans Mono",ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
code{overflow-wrap:anywhere}
.muted{color:var(--muted);font-weight:400}
.none{color:var(--muted);margin:4px 0}
.top{display:flex;justify-content:space-between;align-items:flex-end;gap:24px;flex-wrap:wrap;
border-bottom:1px solid var(--line);padding-bottom:16px}
.lede{margin:4px 0 0;color:var(--muted)}
.facts-line{margin:0;color:var(--muted);font-size:13px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px}
.tile{background:var(--panel);border:1px solid var(--line);border-left:4px solid var(--grey);border-radius:8px;
padding:12px 14px;display:flex;flex-direction:column;gap:2px}
.tile-label{font-size:12px;color:var(--muted)}
.tile-value{font-size:28px;font-weight:650;line-height:1.15;font-variant-numeric:tabular-nums}
.tone-total{border-left-color:var(--accent)}
.tone-current,.tone-upgraded{border-left-color:var(--good)}
.tone-already{border-left-color:var(--already)}
.tone-behind,.tone-conflicts{border-left-color:var(--warn)}
.tone-drift,.tone-blocked{border-left-color:var(--drift)}
.tone-not-scaffold{border-left-color:var(--grey)}
.tone-error,.tone-sev-high{border-left-color:var(--bad)}
.tone-sev-medium{border-left-color:var(--warn)}
.tone-sev-low{border-left-color:var(--low)}
.tone-weaker{border-left-color:var(--drift)}
.delta{font-size:12px;font-weight:600}
.delta.good{color:var(--good)}
.delta.bad{color:var(--bad)}
.delta.flat{color:var(--muted);font-weight:400}
.charts,.repo-grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:16px}
.charts{margin-top:20px}
@media (max-width:900px){.charts,.repo-grid{grid-template-columns:minmax(0,1fr)}}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:16px 18px;min-width:0}
.panel.wide{grid-column:1/-1}
.panel>.muted{margin:-6px 0 12px;font-size:12.5px}
.bars{list-style:none;margin:0;padding:0}
.bar-row{display:grid;grid-template-columns:minmax(120px,46%) 1fr 44px;align-items:center;gap:10px;padding:3px 0}
.bar-label{display:flex;align-items:center;min-width:0}
.bar-text{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
svg.bar{width:100%;height:14px;background:var(--track);border-radius:3px;display:block}
.bar-value{text-align:right;font-variant-numeric:tabular-nums;font-weight:600}
.tag{flex:none;font-size:10.5px;text-transform:uppercase;letter-spacing:.04em;color:var(--good);
border:1px solid var(--good);border-radius:3px;padding:0 4px;margin-left:6px}
svg.stack{width:100%;height:28px;display:block;border-radius:5px;background:var(--track)}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:6px 18px;margin:10px 0 0;padding:0;font-size:13px}
.legend li{display:flex;align-items:center;gap:6px}
.swatch{display:inline-block;width:11px;height:11px;border-radius:3px}
.swatch.line{height:3px;width:16px;border-radius:2px}
.fill-current,.fill-upgraded{fill:var(--good);background:var(--good)}
.fill-already{fill:var(--already);background:var(--already)}
.fill-behind,.fill-conflicts{fill:var(--warn);background:var(--warn)}
.fill-drift,.fill-blocked{fill:var(--drift);background:var(--drift)}
.fill-not-scaffold,.fill-other,.fill-unknown{fill:var(--grey);background:var(--grey)}
.fill-error,.fill-sev-high{fill:var(--bad);background:var(--bad)}
.fill-sev-medium{fill:var(--warn)}
.fill-sev-low{fill:var(--low)}
.fill-version{fill:var(--version)}
.fill-newest{fill:var(--good)}
svg.line-chart{width:100%;height:auto;display:block}
.line-chart .grid{stroke:var(--line);stroke-width:1}
.line-chart .axis{fill:var(--muted);font-size:11px}
.series polyline{fill:none;stroke-width:2.2;stroke-linejoin:round;stroke-linecap:round}
.series .dot{stroke:var(--panel);stroke-width:1.5}
.s-sev-high polyline{stroke:var(--bad)}
.s-sev-high .dot,.swatch.s-sev-high{fill:var(--bad);background:var(--bad)}
.s-sev-medium polyline{stroke:var(--warn)}
.s-sev-medium .dot,.swatch.s-sev-medium{fill:var(--warn);background:var(--warn)}
.s-sev-low polyline{stroke:var(--low)}
.s-sev-low .dot,.swatch.s-sev-low{fill:var(--low);background:var(--low)}
.s-open polyline{stroke:var(--muted);stroke-dasharray:6 4}
.s-open .dot,.swatch.s-open{fill:var(--muted);background:var(--muted)}
.table-panel{margin-top:20px;padding:0}
.table-head{display:flex;justify-content:space-between;align-items:center;gap:16px;padding:16px 18px 0;flex-wrap:wrap}
.table-tools{display:flex;align-items:center;gap:12px}
#filter{font:inherit;padding:6px 10px;border:1px solid var(--line);border-radius:6px;min-width:260px;
background:var(--panel);color:var(--text)}
.hint{margin:6px 18px 10px;color:var(--muted);font-size:12.5px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{padding:8px 8px;border-top:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--head);font-size:12px;font-weight:600;color:var(--muted);white-space:nowrap}
th.num,td.num{text-align:right}
th button{font:inherit;color:inherit;background:none;border:0;padding:0;cursor:pointer}
th button::after{content:"↕";opacity:.35;margin-left:3px}
th[aria-sort=ascending] button::after{content:"▲";opacity:1}
th[aria-sort=descending] button::after{content:"▼";opacity:1}
th[aria-sort=ascending],th[aria-sort=descending]{color:var(--text)}
#repositories-table tbody tr{cursor:pointer}
#repositories-table tbody tr:hover{background:var(--hover)}
td[data-col=name]{max-width:240px}
td[data-col=name] a{font-weight:600;overflow-wrap:anywhere}
td[data-col=pack]{white-space:nowrap}
.sub{color:var(--muted);font-size:12px}
.sub.block{display:block;max-width:240px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
td.num{font-variant-numeric:tabular-nums}
.zero{color:var(--muted);opacity:.6}
.count{font-weight:600}
.count.sev-high{color:var(--bad)}
.count.sev-medium{color:var(--warn)}
.yes{font-weight:600}
.error-text{color:var(--bad);display:inline-block;max-width:150px;overflow:hidden;text-overflow:ellipsis;
white-space:nowrap;vertical-align:bottom}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;white-space:nowrap;
color:#fff;background:var(--grey)}
.st-current,.st-upgraded{background:var(--good)}
.st-already{background:var(--already);color:#10301f}
.st-behind,.st-conflicts{background:var(--warn)}
.st-drift,.st-blocked{background:var(--drift)}
.st-error{background:var(--bad)}
.badge.sev-high{background:var(--bad)}
.badge.sev-medium{background:var(--warn)}
.badge.sev-low{background:var(--low)}
.repo-page{padding-top:12px}
.js .repo-page{padding-top:0}
.no-js .repo-page{border-top:2px solid var(--line);margin-top:32px}
.crumbs{margin:0 0 12px}
.repo-head{display:flex;align-items:center;gap:12px;margin-bottom:14px}
.repo-head .badge{flex:none}
.repo-head h2{font-size:24px;overflow-wrap:anywhere}
.alert{background:#fdecec;color:#8a1f1f;border:1px solid #f3c2c2;border-radius:8px;padding:10px 14px;
overflow-wrap:anywhere}
.metrics{display:flex;gap:12px;flex-wrap:wrap;margin:0}
.metric{background:var(--panel);border:1px solid var(--line);border-top:3px solid var(--grey);border-radius:8px;
padding:8px 16px;min-width:120px;display:flex;flex-direction:column}
.metric span{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums}
.metric small{color:var(--muted)}
.metric.sev-high{border-top-color:var(--bad)}
.metric.sev-medium{border-top-color:var(--warn)}
.metric.sev-low{border-top-color:var(--low)}
.metric.weaker{border-top-color:var(--drift)}
.repo-page>.panel,.repo-page>.repo-grid{margin-top:16px}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:6px 16px;margin:0}
.facts dt{color:var(--muted)}
.facts dd{margin:0;min-width:0}
table.detail th,table.detail td{padding:6px 10px;font-size:13px}
table.detail td{overflow-wrap:anywhere}
.paths{margin:0;padding-left:18px}
pre{background:var(--head);border:1px solid var(--line);border-radius:6px;padding:10px 12px;white-space:pre-wrap;
overflow-wrap:anywhere;margin:0}
footer{margin-top:32px;color:var(--muted);font-size:12px;text-align:center}
@media print{.js .repo-page{display:block!important}#filter,.hint{display:none}}
@media (prefers-color-scheme:dark){:root{--bg:#12161c;--panel:#1a1f27;--text:#e4e8ee;--muted:#98a3b3;--line:#2b323c;
--head:#1f252e;--accent:#86a9f0;--track:#262d37;--hover:#222b38}
.alert{background:#3a1d1f;color:#f3c2c2;border-color:#6b2a2d}}
"""

_SCRIPT = """
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");
  var overview = document.getElementById("overview");
  var pages = Array.prototype.slice.call(document.querySelectorAll("section.repo-page"));
  var table = document.getElementById("repositories-table");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.querySelectorAll("tr[data-index]"));
  var filter = document.getElementById("filter");
  var shownCount = document.getElementById("shown-count");
  var collator = new Intl.Collator(undefined, {numeric: true, sensitivity: "base"});
  var baseTitle = document.title;
  var lastRow = null;

  function route() {
    var match = /^#repo-([0-9]+)$/.exec(window.location.hash);
    var page = match ? document.getElementById("repo-" + match[1]) : null;
    pages.forEach(function (section) { section.hidden = section !== page; });
    overview.hidden = page !== null;
    if (page) {
      var heading = page.querySelector("h2");
      document.title = (heading ? heading.textContent : "") + " \\u00b7 " + baseTitle;
      window.scrollTo(0, 0);
    } else {
      document.title = baseTitle;
      if (lastRow) {
        lastRow.scrollIntoView({block: "center"});
      }
    }
  }

  function sortBy(th) {
    var numeric = th.getAttribute("data-type") === "num";
    var previous = th.getAttribute("aria-sort");
    var descending = previous === "ascending" || (previous !== "descending" && numeric);
    var column = th.cellIndex;
    var keyed = rows.map(function (row) {
      var raw = row.cells[column].getAttribute("data-sort") || "";
      return {row: row, key: numeric ? Number(raw) : raw, index: Number(row.getAttribute("data-index"))};
    });
    keyed.sort(function (a, b) {
      var order = numeric ? a.key - b.key : collator.compare(a.key, b.key);
      return (descending ? -order : order) || a.index - b.index;
    });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      cell.setAttribute("aria-sort", "none");
    });
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
    var fragment = document.createDocumentFragment();
    keyed.forEach(function (item) { fragment.appendChild(item.row); });
    body.appendChild(fragment);
  }

  function applyFilter() {
    var needle = filter.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var match = needle === "" || (row.getAttribute("data-search") || "").indexOf(needle) >= 0;
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    shownCount.textContent = needle === "" ? "" : shown + " of " + rows.length + " shown";
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    var button = th.querySelector("button");
    if (button) {
      button.addEventListener("click", function () { sortBy(th); });
    }
  });
  body.addEventListener("click", function (event) {
    var row = event.target.closest("tr[data-index]");
    if (!row) { return; }
    lastRow = row;
    if (event.target.closest("a")) { return; }
    window.location.hash = "repo-" + Number(row.getAttribute("data-index"));
  });
  filter.hidden = false;
  filter.addEventListener("input", applyFilter);
  window.addEventListener("hashchange", route);
  route();
})();
"""
