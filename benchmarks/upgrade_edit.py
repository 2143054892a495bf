"""Change an answer of a kit that holds 3 user edits: ``scaffold upgrade --set coverage_min=90`` against
``copier update --defaults --data coverage_min=90`` on an equivalent template.

    python -m benchmarks.upgrade_edit [--runs R] [--warmup W] [--small] [--out FILE] [--workdir DIR]

Each side is a git repository: the default kit (scaffold's from ``scaffold new``, copier's from ``copier copy`` of
a template generated from the kit, see templates.py) committed, then the same 3 edits in 3 files committed. The
answer changes 3 files of the kit, one of which (docs/ci-security.md) the user edited too. Each run starts on a fresh
copy of the repository (hyperfine's --prepare). The checks: copier's first render is scaffold's kit, byte for byte;
after the runs, both repositories hold the 3 edits and the new answer, and no conflict.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from benchmarks import harness, templates, trees

KEY = "upgrade_edit"
TARGET = 0.2
QUESTION = "coverage_min"
VALUES = (80, 90)
CHANGED = ".github/workflows/ci.yml"
CHANGED_TEXT = f'COVERAGE_MIN: "{VALUES[1]}"'
CONFLICT_MARKERS = ("<<<<<<<", ">>>>>>>")


@dataclass(frozen=True)
class Edit:
    """One user edit: ``old`` replaced by ``new`` in ``path`` (``old`` empty: ``new`` appended)."""

    path: str
    old: str
    new: str

    def apply(self, repository: Path) -> None:
        file = repository / self.path
        text = file.read_text(encoding="utf-8")
        if self.old and text.count(self.old) != 1:
            raise harness.BenchmarkError(f"the edit of {self.path} no longer applies: the kit changed; update it")
        file.write_text(text.replace(self.old, self.new) if self.old else text + self.new, encoding="utf-8")

    def kept(self, repository: Path) -> bool:
        text = (repository / self.path).read_text(encoding="utf-8")
        return self.new in text and (not self.old or self.old not in text)


EDITS = (
    Edit(
        "deploy/deploy.sh",
        'echo "deploy ${target} to ${environment}: no deployment is configured yet; edit deploy/deploy.sh" >&2\n'
        "exit 1\n",
        'helm upgrade --install orders ./chart --namespace "${environment}" --set image="${target}" --wait\n',
    ),
    Edit("Dockerfile", "", 'LABEL org.opencontainers.image.vendor="Acme"\n'),
    Edit("docs/ci-security.md", "", "\n## Our notes\n\nThe team reviews this page every quarter.\n"),
)


def commit_with_edits(repository: Path, env: dict[str, str]) -> None:
    """Commit the kit in ``repository`` (a git repository), then the user's edits."""
    harness.commit_all(repository, env, "the kit")
    for edit in EDITS:
        edit.apply(repository)
    harness.commit_all(repository, env, "our edits")


def build(folder: Path, env: dict[str, str]) -> tuple[tuple[harness.Side, harness.Side], Path, Path, str]:
    """The sides, the two work repositories (scaffold's, copier's) and the check that copier's first render is
    scaffold's kit."""
    old_kit, new_kit = folder / "kit-old", folder / "kit-new"
    trees.render_kit(old_kit, env, f"{QUESTION}={VALUES[0]}")
    trees.render_kit(new_kit, env, f"{QUESTION}={VALUES[1]}")
    template = folder / "copier-template"
    templates.copier_template(old_kit, new_kit, template, QUESTION, VALUES, env)

    ours = folder / "scaffold-repository"
    ours.mkdir()
    harness.git(ours, env, "init", "-q", "-b", "main")
    trees.render_kit(ours, env, f"{QUESTION}={VALUES[0]}")
    commit_with_edits(ours, env)

    theirs = folder / "copier-repository"
    copier = harness.tool("copier")
    data = ["--data", f"name={harness.SERVICE_NAME}", "--data", f"{QUESTION}={VALUES[0]}"]
    copy = [copier, "copy", "--quiet", "--defaults", *data, "--vcs-ref", templates.COPIER_TAG]
    harness.run([*copy, str(template), str(theirs)], env)
    rendered = trees.files_of(theirs)
    rendered.pop(templates.COPIER_ANSWERS_FILE, None)
    different = trees.differences(trees.files_of(old_kit), rendered)
    if different:
        raise harness.BenchmarkError(f"copier's render differs from the kit in {', '.join(different[:5])}")
    first = f"copier copy rendered the kit's {len(rendered)} files, byte for byte"
    harness.git(theirs, env, "init", "-q", "-b", "main")
    commit_with_edits(theirs, env)

    work_ours, work_theirs = folder / "scaffold-work", folder / "copier-work"
    upgrade = [*harness.scaffold(), "upgrade", "--set", f"{QUESTION}={VALUES[1]}", str(work_ours)]
    update = [copier, "update", "--quiet", "--defaults", "--data", f"{QUESTION}={VALUES[1]}", str(work_theirs)]
    pair = (
        harness.Side("scaffold", upgrade, harness.restore(ours, work_ours)),
        harness.Side("copier update", update, harness.restore(theirs, work_theirs)),
    )
    return pair, work_ours, work_theirs, first


def outcome(repository: Path) -> list[str]:
    """What is wrong with ``repository`` after the upgrade: a lost edit, the old answer, a conflict."""
    problems = [f"the edit of {edit.path} was lost" for edit in EDITS if not edit.kept(repository)]
    if CHANGED_TEXT not in (repository / CHANGED).read_text(encoding="utf-8"):
        problems.append(f"{CHANGED} does not have the new answer ({CHANGED_TEXT})")
    for path, (data, _) in trees.files_of(repository).items():
        if path.endswith(".rej") or any(marker.encode() in data for marker in CONFLICT_MARKERS):
            problems.append(f"{path} holds a conflict")
    return problems


def measure(options: argparse.Namespace, folder: Path) -> harness.Result:
    env = harness.environment(folder)
    pair, ours, theirs, first = build(folder, env)
    work = f"upgrade, answer change + {len(EDITS)} user edits"
    result = harness.compare(KEY, work, TARGET, pair, env, options, folder, defaults=(10, 1))
    result.checks.append(first)
    for side, repository in zip(pair, (ours, theirs), strict=True):
        problems = outcome(repository)
        if problems:
            raise harness.BenchmarkError(f"{side.label}: {'; '.join(problems)}")
        result.checks.append(f"{side.label} kept the {len(EDITS)} edits and applied {QUESTION}={VALUES[1]}")
    mine, yours = trees.files_of(ours), trees.files_of(theirs)
    yours.pop(templates.COPIER_ANSWERS_FILE, None)
    different = trees.differences(mine, yours)
    same = "the same files" if not different else f"different files: {', '.join(different[:5])}"
    result.checks.append(f"after the upgrade, scaffold and copier hold {same}")
    result.details = {"edits": [edit.path for edit in EDITS], "kept_edits": True, "same_files_after": not different}
    return result


def main(argv: list[str] | None = None) -> int:
    return harness.main(measure, harness.parser(__doc__).parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
