"""Fleet report dicts that follow the contract (scaffold-fleet-report/1), built for tests.

``repository(...)`` makes one repository entry; ``report(...)`` wraps entries in a report whose summary is
computed from them, the way the fleet computes it. ``sample_status()`` and ``sample_upgrade()`` are realistic mixed
fleets (two packs, every state, a hostile repository, a history of runs) for the page tests and the screenshot.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

SEVERITIES = ("high", "medium", "low")
STATUS_STATES = ("current", "behind", "drift", "not-scaffold", "error")
UPGRADE_STATES = ("upgraded", "current", "conflicts", "blocked", "error")

# Markup and script in every place a repository can put text: the page must show it as text and run none of it.
HOSTILE = '<script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=1">'
HOSTILE_STRINGS = (
    "<script>window.__pwned=1</script>",
    '"><img src=x onerror="window.__pwned=1">',
    "'><svg onload=window.__pwned=1>",
    "javascript:window.__pwned=1",
    "</pre></code></title></style><script>window.__pwned=1</script>",
    "<!-- --><a href=//evil.invalid>x</a>",
    "&lt;b&gt;already escaped&lt;/b&gt;",
)


def repository(
    name: str,
    *,
    state: str = "current",
    target: str | None = None,
    pack: tuple[str | None, str | None, str | None] = ("scaffold", "1.4.0", "1.4.0"),
    findings: tuple[int, int, int] = (0, 0, 0),
    weaker: int = 0,
    customised: tuple[str, ...] = (),
    pending: tuple[str, ...] = (),
    error: str | None = None,
    audit_errors: tuple[str, ...] = (),
    upgrade: dict[str, Any] | None = None,
    text: str = "",
) -> dict[str, Any]:
    """One repository entry. TEXT, when given, goes into every free-text field (rules, messages, paths, notes)."""
    target = target if target is not None else f"/srv/clones/{name}"
    pack_name, version, latest = pack
    counts = dict(zip(SEVERITIES, findings, strict=True))
    detail = [
        {
            "path": f".github/workflows/{text or 'ci'}.yml",
            "line": i + 1,
            "column": 3,
            "rule": text or f"{severity}-rule-{i}",
            "severity": severity,
            "message": text or f"a {severity} finding",
        }
        for severity in SEVERITIES
        for i in range(counts[severity])
    ]
    weaker_items = [
        {
            "path": text or ".github/workflows/ci.yml",
            "line": 7 + i,
            "rule": text or "unpinned-action",
            "control": text or "pinned-actions",
            "message": text or "actions/checkout is pinned to a tag, not a commit",
        }
        for i in range(weaker)
    ]
    return {
        "target": target,
        "name": name,
        "path": target if not target.startswith(("https://", "git://", "ssh://")) else f"/cache/{name}",
        "state": state,
        "pack": {"name": pack_name, "version": version, "latest": latest, "source": text or None},
        "behind": state == "behind" or (version is not None and latest is not None and version != latest),
        "drift": state == "drift",
        "pending": [{"path": path, "status": "updated", "note": text} for path in pending],
        "missing": [text] if text else [],
        "customised": list(customised),
        "removed": [text] if text else [],
        "weaker": weaker_items,
        "findings": counts,
        "findings_detail": detail,
        "audit_errors": list(audit_errors),
        "error": error,
        "seconds": 0.42,
        "upgrade": upgrade,
    }


def upgrade_block(outcome: str, *, text: str = "", conflicts: tuple[str, ...] = ()) -> dict[str, Any]:
    branch = None if outcome in ("conflicts", "blocked", "error") else (text or "scaffold/kit-1.4")
    return {
        "outcome": outcome,
        "branch": branch,
        "commit": "0123456789abcdef0123456789abcdef01234567" if branch else None,
        "pushed": False,
        "from_version": "1.3.0",
        "to_version": "1.4.0",
        "files": [
            {"path": text or ".github/workflows/ci.yml", "status": "merged", "conflicts": 0},
            *({"path": path, "status": "conflict", "conflicts": 2} for path in conflicts),
        ],
        "conflicts": list(conflicts),
        "blocked": (
            [{"path": "ci.yml", "line": 3, "rule": text or "r", "control": "c", "message": text or "m"}]
            if outcome == "blocked"
            else []
        ),
        "description": (
            f"## Upgrade the kit to 1.4.0\n\n{text}\n\n- merged `.github/workflows/ci.yml`\n" if branch else ""
        ),
        "pr_command": f"gh pr create --head {text or 'scaffold/kit-1.4'} --body-file pr.md" if branch else None,
        "pr_url": None,
    }


def summary(repositories: list[dict[str, Any]], states: tuple[str, ...]) -> dict[str, Any]:
    counted = Counter(repo["state"] for repo in repositories)
    versions = Counter(
        f"{repo['pack']['name']} {repo['pack']['version']}"
        for repo in repositories
        if repo["pack"]["name"] is not None and repo["pack"]["version"] is not None
    )
    return {
        "repositories": len(repositories),
        "states": {state: counted[state] for state in states},
        "findings": {s: sum(repo["findings"][s] for repo in repositories) for s in SEVERITIES},
        "weaker": sum(len(repo["weaker"]) + len((repo["upgrade"] or {}).get("blocked", [])) for repo in repositories),
        "versions": dict(versions),
    }


def history_entry(run: int, summary_: dict[str, Any], finished: str | None = None) -> dict[str, Any]:
    return {
        "run": run,
        "finished": finished or f"2026-12-{run:02d}T10:00:00Z",
        "repositories": summary_["repositories"],
        "states": dict(summary_["states"]),
        "findings": dict(summary_["findings"]),
        "weaker": summary_["weaker"],
    }


def report(
    repositories: list[dict[str, Any]],
    *,
    command: str = "status",
    earlier: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A report of REPOSITORIES; EARLIER holds the summaries of earlier runs (oldest first) for history and trend."""
    states = STATUS_STATES if command == "status" else UPGRADE_STATES
    this = summary(repositories, states)
    earlier = earlier or []
    history = [history_entry(i, past) for i, past in enumerate(earlier, start=1)]
    trend = None
    if earlier:
        previous = earlier[-1]
        history.append(history_entry(len(earlier) + 1, this, "2026-12-07T14:00:00Z"))
        trend = {
            "run": len(earlier),
            "finished": history[-2]["finished"],
            "states": {s: this["states"][s] - previous["states"][s] for s in states},
            "findings": {s: this["findings"][s] - previous["findings"][s] for s in SEVERITIES},
            "weaker": this["weaker"] - previous["weaker"],
        }
    return {
        "schema": "scaffold-fleet-report/1",
        "command": command,
        "generated": "2026-12-07T14:00:00Z",
        "scaffold_version": "0.9.0",
        "shard": None,
        "summary": this,
        "history": history,
        "trend": trend,
        "repositories": sorted(repositories, key=lambda repo: repo["target"]),
    }


def _past(states: dict[str, int], findings: tuple[int, int, int], weaker: int) -> dict[str, Any]:
    return {
        "repositories": sum(states.values()),
        "states": {state: states.get(state, 0) for state in STATUS_STATES},
        "findings": dict(zip(SEVERITIES, findings, strict=True)),
        "weaker": weaker,
    }


def sample_repositories() -> list[dict[str, Any]]:
    old, new, acme = ("scaffold", "1.3.0", "1.4.0"), ("scaffold", "1.4.0", "1.4.0"), ("acme-platform", "2.0.0", "2.1.0")
    return [
        repository("payments", state="behind", pack=old, findings=(2, 1, 3), weaker=1, customised=("deploy.sh",)),
        repository("checkout", pack=new, findings=(0, 1, 0)),
        repository("ledger", state="drift", pack=new, findings=(1, 0, 0), customised=("Dockerfile", "ci.yml")),
        repository("search", state="behind", pack=acme, findings=(4, 2, 1), weaker=2, pending=("ci.yml",)),
        repository("identity", pack=("acme-platform", "2.1.0", "2.1.0"), findings=(0, 0, 2)),
        repository("legacy-batch", state="not-scaffold", pack=(None, None, None), findings=(3, 0, 0)),
        repository(
            "mobile-api",
            state="error",
            pack=(None, None, None),
            target="https://git.example.com/mobile/api.git",
            error="git clone timed out after 120 s",
        ),
        repository("notifications", pack=new, audit_errors=("Jenkinsfile: unexpected token at line 4",)),
        repository("reporting", state="behind", pack=old, findings=(0, 3, 1)),
        repository("web-frontend", pack=new, findings=(0, 0, 1)),
        repository(HOSTILE, state="drift", pack=new, findings=(1, 1, 0), weaker=1, error=HOSTILE, text=HOSTILE),
    ]


def sample_status() -> dict[str, Any]:
    earlier = [
        _past({"current": 2, "behind": 6, "drift": 1, "not-scaffold": 1, "error": 1}, (17, 12, 9), 7),
        _past({"current": 3, "behind": 5, "drift": 1, "not-scaffold": 1, "error": 1}, (15, 11, 9), 6),
        _past({"current": 3, "behind": 4, "drift": 2, "not-scaffold": 1, "error": 1}, (14, 9, 8), 6),
        _past({"current": 4, "behind": 4, "drift": 1, "not-scaffold": 1, "error": 1}, (12, 9, 8), 5),
    ]
    return report(sample_repositories(), earlier=earlier)


def sample_upgrade() -> dict[str, Any]:
    repositories = [
        repository(
            "payments", state="upgraded", pack=("scaffold", "1.3.0", "1.4.0"), upgrade=upgrade_block("upgraded")
        ),
        repository("checkout", state="current", upgrade=upgrade_block("current")),
        repository(
            "ledger",
            state="conflicts",
            pack=("scaffold", "1.3.0", "1.4.0"),
            upgrade=upgrade_block("conflicts", conflicts=("Dockerfile",)),
        ),
        repository("search", state="blocked", pack=("scaffold", "1.3.0", "1.4.0"), upgrade=upgrade_block("blocked")),
        repository("broken", state="error", pack=(None, None, None), error="cannot read .scaffold.yml"),
        repository(
            HOSTILE,
            state="upgraded",
            pack=("scaffold", "1.3.0", "1.4.0"),
            text=HOSTILE,
            upgrade=upgrade_block("upgraded", text=HOSTILE),
        ),
    ]
    return report(repositories, command="upgrade")
