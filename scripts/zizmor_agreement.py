"""Measure how often scaffold's audit and zizmor agree on the classes of finding both check offline.

    python scripts/zizmor_agreement.py DIR [--zizmor PATH] [--show all|diff] [--json OUT]

DIR holds repositories (or one repository): every ``*.yml`` / ``*.yaml`` under a ``.github/workflows`` folder is
a workflow to compare. zizmor runs offline once per repository (the folder holding ``.github``); scaffold audits
each workflow alone. For each (workflow, class) pair the two agree when both find something of the class in the file
or neither does. A class is a zizmor audit ident; scaffold's side is the rules ``ZIZMOR_RULES`` maps it to (the
table the ``# zizmor: ignore[...]`` comments are read with). zizmor's side is its ``regular`` persona, except for the
classes of ``PERSONA``, where scaffold's documented bar is zizmor's ``pedantic`` one (docs/zizmor.md says why).

It prints one line per differing pair (or per pair with ``--show all``), then the numbers per class and in total.
The numbers go in docs/zizmor.md. The script never writes into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.rules.runner import audit_tree
from scaffold.rules.suppression import ZIZMOR_RULES

# The classes compared: zizmor audits that run offline on workflows and that scaffold has a rule for. Left out:
# dependabot-*, insecure-url-scheme (other file kinds) and known-vulnerable-actions (online in zizmor).
CLASSES = (
    "unpinned-uses",
    "template-injection",
    "dangerous-triggers",
    "artipacked",
    "excessive-permissions",
    "github-env",
    "secrets-inherit",
    "unpinned-images",
    "cache-poisoning",
    "self-hosted-runner",
    "insecure-commands",
    "unsound-condition",
    "bot-conditions",
    "unsound-contains",
    "use-trusted-publishing",
    "hardcoded-container-credentials",
    "archived-uses",
    "overprovisioned-secrets",
    "concurrency-limits",
)
# Classes whose scaffold bar is zizmor's pedantic persona (the rest compare with its regular one).
PERSONA = {"excessive-permissions": "pedantic", "unpinned-images": "pedantic", "concurrency-limits": "pedantic"}
# A scaffold rule that stands for several zizmor classes counts for one of them only when its message says so.
MESSAGES = {
    ("unsound-condition", "unsound-condition"): "always true",
    ("unsound-condition", "bot-conditions"): "to be a bot",
    ("unsound-condition", "unsound-contains"): "contains()",
    ("unpinned-uses", "unpinned-uses"): "commit SHA",
    ("unpinned-uses", "unpinned-images"): "pinned by digest",  # a step's `uses: docker://...`
}
Found = dict[str, set[str]]  # workflow (relative to DIR) -> the classes found in it


@dataclass
class Tally:
    both: int = 0
    neither: int = 0
    only_zizmor: list[str] = field(default_factory=list)
    only_scaffold: list[str] = field(default_factory=list)

    @property
    def pairs(self) -> int:
        return self.both + self.neither + len(self.only_zizmor) + len(self.only_scaffold)

    @property
    def agreeing(self) -> int:
        return self.both + self.neither


def workflows(root: Path) -> list[str]:
    """Every workflow under ``root``, relative to it, sorted."""
    found = [
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.suffix in (".yml", ".yaml") and path.parent.name == "workflows" and path.parent.parent.name == ".github"
    ]
    return sorted(found)


def repositories(root: Path, files: Iterable[str]) -> list[Path]:
    """The folders holding each workflow's ``.github``."""
    return sorted({(root / name).parents[2] for name in files})


def zizmor_found(root: Path, files: list[str], zizmor: str, persona: str) -> Found:
    """The classes zizmor finds in each workflow, with the given persona, offline, honouring ignore comments."""
    found: Found = {name: set() for name in files}
    env = {key: value for key, value in os.environ.items() if key not in ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_CONFIG")}
    for repository in repositories(root, files):
        command = [zizmor, "--offline", "--no-config", "--format=json", f"--persona={persona}", str(repository)]
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)
        if result.returncode not in (0, 10, 11, 12, 13, 14):
            raise RuntimeError(f"zizmor failed on {repository}: {result.stderr.strip()[-500:]}")
        for item in json.loads(result.stdout or "[]"):
            for location in item["locations"]:
                if location["symbolic"].get("kind") != "Primary":
                    continue
                path = Path(location["symbolic"]["key"]["Local"]["verbatim_path"]).resolve()
                name = path.relative_to(root.resolve()).as_posix()
                if name in found:
                    found[name].add(item["ident"])
    return found


def scaffold_found(root: Path, files: list[str]) -> Found:
    """The classes scaffold finds in each workflow, each audited alone at its own path."""
    by_rule: dict[str, set[str]] = {}
    for ident, rules in ZIZMOR_RULES.items():
        for rule in rules:
            by_rule.setdefault(rule, set()).add(ident)
    found: Found = {}
    for name in files:
        text = (root / name).read_text(encoding="utf-8", errors="replace")
        relative = ".github/workflows/" + Path(name).name
        report = audit_tree({relative: text})
        found[name] = {
            ident
            for item in report.findings
            for ident in by_rule.get(item.rule, ())
            if MESSAGES.get((item.rule, ident), "") in item.message
        }
    return found


def compare(
    files: list[str], ours: Found, theirs: Mapping[str, Found], classes: Iterable[str] = CLASSES
) -> dict[str, Tally]:
    """A tally per class; ``theirs`` holds zizmor's findings by persona."""
    tallies: dict[str, Tally] = {}
    for ident in classes:
        tally = tallies.setdefault(ident, Tally())
        zizmor = theirs[PERSONA.get(ident, "regular")]
        for name in files:
            mine, its = ident in ours.get(name, set()), ident in zizmor.get(name, set())
            if mine and its:
                tally.both += 1
            elif not mine and not its:
                tally.neither += 1
            elif its:
                tally.only_zizmor.append(name)
            else:
                tally.only_scaffold.append(name)
    return tallies


def measure(root: Path, zizmor: str) -> tuple[list[str], dict[str, Tally]]:
    files = workflows(root)
    personas = {PERSONA.get(ident, "regular") for ident in CLASSES}
    theirs = {persona: zizmor_found(root, files, zizmor, persona) for persona in personas}
    return files, compare(files, scaffold_found(root, files), theirs)


def total(tallies: Mapping[str, Tally]) -> tuple[int, int]:
    """(agreeing pairs, pairs)."""
    return sum(item.agreeing for item in tallies.values()), sum(item.pairs for item in tallies.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--zizmor", default="zizmor")
    parser.add_argument("--show", choices=("diff", "all"), default="diff")
    parser.add_argument("--json", type=Path)
    arguments = parser.parse_args(argv)
    files, tallies = measure(arguments.root, arguments.zizmor)
    for ident, tally in tallies.items():
        for name in tally.only_zizmor:
            print(f"only zizmor   {ident:32} {name}")
        for name in tally.only_scaffold:
            print(f"only scaffold {ident:32} {name}")
    print(f"\n{len(files)} workflows in {len(repositories(arguments.root, files))} repositories")
    print(f"{'class':32} {'both':>5} {'neither':>7} {'zizmor':>6} {'scaffold':>8} {'agree':>7}")
    for ident, tally in tallies.items():
        share = 100 * tally.agreeing / tally.pairs if tally.pairs else 100.0
        print(
            f"{ident:32} {tally.both:5} {tally.neither:7} {len(tally.only_zizmor):6} {len(tally.only_scaffold):8}"
            f" {share:6.1f}%"
        )
    agreeing, pairs = total(tallies)
    print(f"{'total':32} {agreeing} of {pairs} pairs agree: {100 * agreeing / pairs if pairs else 100.0:.2f}%")
    if arguments.json is not None:
        summary = {
            ident: {
                "both": tally.both,
                "neither": tally.neither,
                "only_zizmor": tally.only_zizmor,
                "only_scaffold": tally.only_scaffold,
            }
            for ident, tally in tallies.items()
        }
        arguments.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
