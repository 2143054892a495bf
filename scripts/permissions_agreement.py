"""Measure how often the job permissions scaffold derives agree with those of a widely used reference tool.

    python scripts/permissions_agreement.py DIR --reference KB [--show all|diff] [--json OUT]

DIR holds GitHub workflow files (searched recursively for *.yml / *.yaml). KB is a checkout of StepSecurity
secure-repo's ``knowledge-base/actions`` folder (each action's ``action-security.yml``); it is read, never copied.
For every job the script derives scaffold's permissions (``scaffold.rules.fixes.permissions.job_needs``) and the
permissions secure-repo would add, re-implemented here from its ``remediation/workflow/permissions`` logic: the
action's scopes (with its ``-if`` expressions and token-input rules), a fixed list of run-step commands, and an
error for anything it cannot handle. It prints one line per job and a summary:

- equal: both derive the same scopes (each side with ``contents: read`` added, since secure-repo always puts that
  at the top level and scaffold grants it only to jobs that check out);
- both unknown: neither derives a block (scaffold keeps the job for review, secure-repo reports a known issue);
- scaffold unknown / reference unknown: only one side derives;
- broader / narrower / mixed: both derive, and scaffold grants more, less, or some of each. ``narrower`` jobs are
  the ones to read: a scope a step uses that scaffold's safe fix would drop.

The numbers go in docs/harden.md. The script never writes into the repository.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scaffold.rules import yaml_view
from scaffold.rules.fixes.permissions import job_needs

RANK = {"read": 1, "write": 2}
TOKEN = re.compile(r"secrets\.GITHUB_TOKEN|github\.token")
Scopes = dict[str, str]


# secure-repo, re-implemented ----------------------------------------------------------------------------------------


@dataclass
class Reference:
    """secure-repo's answer for one job: scopes, or the reasons it gives none."""

    scopes: Scopes = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class KnowledgeBase:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.cache: dict[str, dict[str, Any] | None] = {}

    def get(self, action: str) -> dict[str, Any] | None:
        key = action.lower()
        if key not in self.cache:
            path = self.folder / key / "action-security.yml"
            try:
                loaded = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
            except (OSError, yaml.YAMLError):
                loaded = None
            self.cache[key] = loaded if isinstance(loaded, dict) else None
        return self.cache[key]


def _is_token(value: str) -> bool:
    literal = value.lower().replace("${{", "").replace("}}", "").strip()
    return literal in ("secrets.github_token", "github.token")


def _strings(mapping: Any) -> dict[str, str]:
    if not isinstance(mapping, dict):
        return {}
    return {str(key): _text(value) for key, value in mapping.items()}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def reference_job(job: dict[str, Any], workflow_env: dict[str, str], kb: KnowledgeBase) -> Reference:
    result = Reference()
    if "permissions" in job:
        pass  # secure-repo skips such jobs; the comparison is about derivation, so it derives anyway
    if any(TOKEN.search(value) for value in _strings(job.get("env")).values()):
        result.errors.append("GITHUB_TOKEN in job env")
        return result
    if job.get("uses"):
        result.errors.append("reusable workflow")
        return result
    npm_registry = ""
    for step in job.get("steps") or []:
        if not isinstance(step, dict):
            continue
        uses = _text(step.get("uses"))
        if uses:
            env = dict(workflow_env) | _strings(step.get("env"))
            with_ = _strings(step.get("with"))
            if uses.lower().startswith("actions/setup-node"):
                npm_registry = with_.get("registry-url", npm_registry)
            _reference_action(uses, with_, env, kb, result)
        elif step.get("run") is not None:
            _reference_run(_text(step.get("run")), _strings(step.get("env")), npm_registry, result)
    if not result.errors and not result.scopes:
        result.scopes = {"contents": "read"}
    return result


def _grant(scopes: Scopes, scope: str, level: str) -> None:
    if RANK.get(level, 0) > RANK.get(scopes.get(scope, ""), 0):
        scopes[scope] = level


def _reference_action(uses: str, with_: dict[str, str], env: dict[str, str], kb: KnowledgeBase, out: Reference) -> None:
    if uses.startswith("docker://"):
        if any(_is_token(value) for value in list(env.values()) + list(with_.values())):
            out.errors.append(f"docker action {uses} given the token")
        return
    if "@" not in uses:
        out.errors.append(f"local action {uses}")
        return
    name = uses.split("@", 1)[0]
    entry = kb.get(name)
    if entry is None:
        out.errors.append(f"{name} not in the knowledge base")
        return
    token = entry.get("github-token") or {}
    action_input = token.get("action-input") or {}
    token_input, is_default = _text(action_input.get("input")), bool(action_input.get("is-default"))
    if is_default and with_.get(token_input, "") and not _is_token(with_[token_input]):
        return
    if token_input and not is_default and (not with_.get(token_input) or not _is_token(with_[token_input])):
        return
    variable = _text(token.get("environment-variable-name"))
    if variable and (not env.get(variable) or not _is_token(env[variable])):
        return
    permissions = token.get("permissions") or {}
    for key, level in permissions.items():
        key = str(key)
        if key.endswith(("-reason", "-if")):
            continue
        condition = _text(permissions.get(f"{key}-if"))
        if not condition or Expression(condition, with_).value():
            _grant(out.scopes, key, _text(level))


def _reference_run(run: str, env: dict[str, str], npm_registry: str, out: Reference) -> None:
    for key, value in env.items():
        if "secrets.GITHUB_TOKEN" in value or "github.token" in value:
            run = run.replace(f"${{{key}}}", "${{ secrets.GITHUB_TOKEN }}")
            break
    found = _reference_run_scopes(run, env, npm_registry)
    if found is not None:
        for scope, level in found.items():
            _grant(out.scopes, scope, level)
        return
    if "secrets.GITHUB_TOKEN" in run or "github.token" in run:
        out.errors.append("run step uses the token")
    elif any("secrets.GITHUB_TOKEN" in value or "github.token" in value for value in env.values()):
        out.errors.append("run step has the token in env")


def _reference_run_scopes(run: str, env: dict[str, str], npm_registry: str) -> Scopes | None:
    def token_in(name: str) -> bool:
        return _is_token(env.get(name, "")) if name in env else False

    def mentions(name: str) -> bool:
        return "secrets.GITHUB_TOKEN" in env.get(name, "") or "github.token" in env.get(name, "")

    if token_in("REVIEWDOG_GITHUB_API_TOKEN") and "reviewdog" in run:
        return {"checks": "write", "pull-requests": "write"}
    if mentions("NODE_AUTH_TOKEN") and "npm.pkg.github.com" in npm_registry:
        if "install" in run:
            return {"packages": "read"}
        if "publish" in run:
            return {"packages": "write"}
    if "dotnet nuget push" in run and ("-k ${{ secrets.GITHUB_TOKEN }}" in run or mentions("NUGET_AUTH_TOKEN")):
        return {"packages": "write"}
    if "curl" in run and "PUT" in run and "nuget.pkg.github.com" in run and TOKEN.search(run):
        return {"packages": "write"}
    if "git push" in run or "mkdocs gh-deploy" in run:
        return {"contents": "write"}
    if ("gradle publish" in run or "mvn deploy" in run) and any(TOKEN.search(value) for value in env.values()):
        return {"packages": "write"}
    if token_in("GITHUB_TOKEN"):
        if "gh pr review --approve" in run:
            return {"pull-requests": "write"}
        if "gh pr merge --auto --merge" in run:
            return {"contents": "write"}
        if "gh pr edit" in run and "--add-label" in run:
            return {"issues": "write"}  # secure-repo also adds repository-projects: write, a scope now retired
    return None


class Expression:
    """The ``-if`` expressions of secure-repo's knowledge base: contains(with, 'x'), with['x'] ==/!= 'v', !, &&,
    ||, parentheses. A tiny recursive-descent evaluator, so nothing is passed to eval()."""

    _TOKENS = re.compile(r"\s*(contains|with|\(|\)|\[|\]|,|==|!=|!|&&|\|\||'[^']*'|true|false)")

    def __init__(self, text: str, with_: dict[str, str]) -> None:
        text = text.replace("${{", "").replace("}}", "").split("#", 1)[0].strip()
        self.items: list[str] = []
        position = 0
        while position < len(text):
            found = self._TOKENS.match(text, position)
            if found is None:
                if text[position:].strip():
                    raise ValueError(f"cannot read expression {text!r}")
                break
            self.items.append(found.group(1))
            position = found.end()
        self.at = 0
        self.with_ = with_

    def value(self) -> bool:
        try:
            return bool(self._or())
        except (ValueError, IndexError):
            return False

    def _peek(self) -> str:
        return self.items[self.at] if self.at < len(self.items) else ""

    def _take(self, expected: str | None = None) -> str:
        item = self.items[self.at]
        if expected is not None and item != expected:
            raise ValueError(f"expected {expected}, found {item}")
        self.at += 1
        return item

    def _or(self) -> object:
        left = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            left = bool(left) or bool(right)
        return left

    def _and(self) -> object:
        left = self._compare()
        while self._peek() == "&&":
            self._take()
            right = self._compare()
            left = bool(left) and bool(right)
        return left

    def _compare(self) -> object:
        left = self._unary()
        if self._peek() in ("==", "!="):
            operator = self._take()
            right = self._unary()
            return (left == right) if operator == "==" else (left != right)
        return left

    def _unary(self) -> object:
        if self._peek() == "!":
            self._take()
            return not self._unary()
        return self._atom()

    def _atom(self) -> object:
        item = self._take()
        if item == "(":
            inner = self._or()
            self._take(")")
            return inner
        if item == "contains":
            self._take("(")
            self._take("with")
            self._take(",")
            key = self._take()[1:-1]
            self._take(")")
            return key in self.with_
        if item == "with":
            self._take("[")
            key = self._take()[1:-1]
            self._take("]")
            return self.with_.get(key)
        if item.startswith("'"):
            return item[1:-1]
        if item in ("true", "false"):
            return item
        raise ValueError(f"unexpected {item}")


# scaffold -----------------------------------------------------------------------------------------------------------


def scaffold_job(root: yaml_view.YNode, job: yaml_view.YNode) -> tuple[Scopes, list[str]]:
    needs = job_needs(job, root)
    return dict(needs.scopes), list(needs.unknown)


# comparison ---------------------------------------------------------------------------------------------------------


def _with_baseline(scopes: Scopes) -> Scopes:
    result = dict(scopes)
    _grant(result, "contents", "read")
    return result


def classify(ours: Scopes | None, theirs: Scopes | None) -> str:
    if ours is None and theirs is None:
        return "both unknown"
    if ours is None:
        return "scaffold unknown"
    if theirs is None:
        return "reference unknown"
    mine, other = _with_baseline(ours), _with_baseline(theirs)
    if mine == other:
        return "equal"
    more = any(RANK[level] > RANK.get(other.get(scope, ""), 0) for scope, level in mine.items())
    less = any(RANK[level] > RANK.get(mine.get(scope, ""), 0) for scope, level in other.items())
    return "mixed" if more and less else "broader" if more else "narrower"


def _flow(scopes: Scopes | None) -> str:
    if scopes is None:
        return "?"
    return "{" + ", ".join(f"{scope}: {level}" for scope, level in sorted(scopes.items())) + "}"


def _workflows(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.suffix in (".yml", ".yaml") and path.is_file())


def compare(folder: Path, kb: KnowledgeBase) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in _workflows(folder):
        try:
            text = path.read_text(encoding="utf-8")
            data = yaml.safe_load(text)
            root = yaml_view.parse(text)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict) or root is None:
            continue
        section = root.get("jobs")
        if section is None or not section.is_mapping:
            continue
        workflow_env = _strings(data.get("env"))
        for name, job_node in section.items():
            job = data["jobs"].get(name)
            if not isinstance(job, dict) or not job_node.is_mapping:
                continue
            scopes, unknown = scaffold_job(root, job_node)
            reference = reference_job(job, workflow_env, kb)
            ours = None if unknown else scopes
            theirs = None if reference.errors else reference.scopes
            rows.append(
                {
                    "file": str(path.relative_to(folder)),
                    "job": name,
                    "scaffold": ours,
                    "scaffold_unknown": unknown,
                    "reference": theirs,
                    "reference_errors": reference.errors,
                    "verdict": classify(ours, theirs),
                }
            )
    return rows


def summary(rows: list[dict[str, Any]]) -> list[str]:
    counts = Counter(row["verdict"] for row in rows)
    both = sum(counts[v] for v in ("equal", "broader", "narrower", "mixed"))
    lines = [f"jobs: {len(rows)}"]
    lines += [f"  {verdict}: {count}" for verdict, count in counts.most_common()]
    if both:
        lines.append(f"agreement where both derive: {counts['equal']}/{both} = {100 * counts['equal'] / both:.1f}%")
    if rows:
        agreed = counts["equal"] + counts["both unknown"]
        lines.append(
            f"agreement over all jobs (equal or both unknown): {agreed}/{len(rows)} = {100 * agreed / len(rows):.1f}%"
        )
    causes: Counter[str] = Counter()
    for row in rows:
        if row["verdict"] == "scaffold unknown":
            causes["scaffold unknown: " + _cause(row["scaffold_unknown"][0])] += 1
        elif row["verdict"] == "reference unknown":
            causes["reference unknown: " + _cause(row["reference_errors"][0])] += 1
        elif row["verdict"] in ("broader", "narrower", "mixed"):
            mine, other = _with_baseline(row["scaffold"]), _with_baseline(row["reference"])
            delta = sorted(
                {f"+{s}: {lv}" for s, lv in mine.items() if other.get(s) != lv}
                | {f"-{s}: {lv}" for s, lv in other.items() if mine.get(s) != lv}
            )
            causes[f"{row['verdict']}: " + ", ".join(delta)] += 1
    lines.append("disagreements by cause:")
    lines += [f"  {count:4d}  {cause}" for cause, count in causes.most_common(40)]
    return lines


def _cause(text: str) -> str:
    text = re.sub(r"^step \d+ ", "", text)
    text = re.sub(r"@\S+", "", text)
    text = re.sub(r"`[^`]*`", "`...`", text)
    return text[:110]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--reference", type=Path, required=True, help="secure-repo's knowledge-base/actions folder")
    parser.add_argument("--show", choices=("all", "diff", "none"), default="diff")
    parser.add_argument("--json", type=Path, help="write every row as JSON here (outside the repository)")
    args = parser.parse_args(argv)
    rows = compare(args.folder, KnowledgeBase(args.reference))
    for row in rows:
        if args.show == "all" or (args.show == "diff" and row["verdict"] != "equal"):
            print(
                f"{row['verdict']:18} {row['file']}:{row['job']}  scaffold={_flow(row['scaffold'])}  "
                f"reference={_flow(row['reference'])}"
            )
    print("\n".join(summary(rows)))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
