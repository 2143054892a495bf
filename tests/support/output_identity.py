"""Every output scaffold gives on the shared corpus and on the answer sets, reduced to ``{case: sha256 hex}``.

The reference (tests/data/output_identity.json) was computed by the code at commit 22141c4, before the performance
work of issue 19; tests/test_output_identity.py recomputes it with the code of the working tree, so any byte of
difference in a finding, a fix, a render, a diff or an upgrade shows up as the case that changed.

Cases (each runs the real command line, ``scaffold.cli.main``, in-process with stdout and stderr captured):
- ``audit/FORMAT/KIND/NAME``: ``scaffold audit --format FORMAT PATH`` on one corpus file placed at its real path in
  an otherwise empty repository, run from the repository's root (plain, json and sarif);
- ``harden/KIND/NAME``: ``scaffold harden --fix=all --write PATH`` there, offline, with an empty pin cache: the file
  written and the report;
- ``new/SET``: ``scaffold new --defaults --answers FILE`` in a fresh git repository: every file and the report;
- ``audit-kit/FORMAT/SET``: ``scaffold audit --format FORMAT`` on that new kit;
- ``diff/SET`` and ``upgrade/SET``: after three user edits are committed (a line in the CI YAML file the answer
  change also rewrites, so upgrade merges it; a paragraph in docs/ci-security.md; a comment in deploy/deploy.sh),
  ``scaffold diff --strict``, then ``scaffold upgrade --set environments=staging,prod``: both reports and the tree.

Each case hashes the exit code, stdout, stderr and any files, with the temporary folder replaced by ``<tmp>``, so a
case is the same on every run and every machine. Run it as a script:

    python tests/support/output_identity.py --write FILE   # record every case
    python tests/support/output_identity.py --check FILE   # list the cases whose output differs from FILE
    ... --check FILE --dump DIR                            # also write each case's unhashed text, to diff two runs
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if __name__ == "__main__":  # run as a script: reach tests.* without letting this folder shadow top-level modules
    if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        del sys.path[0]
    sys.path.append(str(ROOT))

from scaffold import cli  # noqa: E402
from tests.answer_sets import ANSWER_SETS  # noqa: E402

AUDIT_FORMATS = ("plain", "json", "sarif")
ANSWER_CHANGE = "environments=staging,prod"
TEMP_MARK = "<tmp>"
GIT_ENVIRONMENT = {
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
# The CI YAML file an answer change to environments rewrites in every answer set: the first one the kit has.
MERGED_YAML_CHOICES = (".gitlab-ci.yml", ".github/workflows/release.yml", "runtime/falco/{name}-rules.yaml")
YAML_EDIT = "# Reviewed by the platform team.\n"
DOCS_EDIT = "\n## Local notes\n\nThe on-call team owns this pipeline.\n"
SCRIPT_EDIT = "# Called by the deploy jobs only.\n"


def corpus_folder() -> Path:
    """The shared corpus: $SCAFFOLD_CORPUS, else ``shared/corpus`` beside the checkout (it may be absent)."""
    configured = os.environ.get("SCAFFOLD_CORPUS")
    return Path(configured) if configured else ROOT.parent / "shared" / "corpus"


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    stdout: str
    stderr: str


class Record:
    """The text one case hashes: named parts in order, each with its length, so no two records run together."""

    def __init__(self, temp_root: Path) -> None:
        self._temp_spellings = sorted({str(temp_root), os.path.realpath(temp_root)}, key=len, reverse=True)
        self._parts: list[bytes] = []

    def normalised(self, data: bytes) -> bytes:
        for spelling in self._temp_spellings:
            data = data.replace(spelling.encode(), TEMP_MARK.encode())
        return data

    def add(self, name: str, data: bytes) -> None:
        data = self.normalised(data)
        self._parts.append(f"== {name} ({len(data)} bytes)\n".encode() + data + b"\n")

    def add_outcome(self, name: str, outcome: Outcome) -> None:
        self.add(f"{name} exit code", str(outcome.exit_code).encode())
        self.add(f"{name} stdout", outcome.stdout.encode())
        self.add(f"{name} stderr", outcome.stderr.encode())

    def add_tree(self, name: str, folder: Path) -> None:
        """Every file under ``folder`` outside .git: its path, whether it is executable, and its bytes."""
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if ".git" in relative.parts or path.is_dir():
                continue
            if path.is_symlink():
                self.add(f"{name} link {relative.as_posix()}", str(path.readlink()).encode())
                continue
            mode = "executable" if os.access(path, os.X_OK) else "file"
            self.add(f"{name} {mode} {relative.as_posix()}", path.read_bytes())

    def text(self) -> bytes:
        return b"".join(self._parts)


@contextlib.contextmanager
def _hermetic_environment(cache: Path) -> Iterator[None]:
    """A fresh pin cache, no live resolution, fixed git identity and dates; the caller's environment comes back."""
    saved = dict(os.environ)
    os.environ.update(GIT_ENVIRONMENT)
    os.environ["SCAFFOLD_CACHE_DIR"] = str(cache)
    for name in ("SCAFFOLD_ONLINE", "SCAFFOLD_DEBUG", "NO_COLOR", "FORCE_COLOR"):
        os.environ.pop(name, None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_cli(arguments: Sequence[str], cwd: Path) -> Outcome:
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            exit_code = cli.main(list(arguments))
        except SystemExit as stop:  # argparse refusing an option
            exit_code = stop.code if isinstance(stop.code, int) else 2
    return Outcome(exit_code, stdout.getvalue(), stderr.getvalue())


def git(repo: Path, *arguments: str) -> None:
    subprocess.run(["git", "-C", str(repo), *arguments], check=True, capture_output=True)


def _digest(name: str, record: Record, dump: Path | None) -> str:
    text = record.text()
    if dump is not None:
        target = dump / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text)
    return hashlib.sha256(text).hexdigest()


def corpus_entries(corpus: Path) -> list[tuple[str, str]]:
    """(path in its repository, corpus file as KIND/NAME) for every row of the corpus manifest."""
    with (corpus / "manifest.tsv").open(newline="") as manifest:
        rows = list(csv.DictReader(manifest, delimiter="\t"))
    return [(row["path"], row["file"]) for row in rows]


def corpus_cases(corpus: Path, dump: Path | None = None) -> dict[str, str]:
    cases: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="scaffold-identity-") as scratch:
        for index, (repo_path, label) in enumerate(corpus_entries(corpus)):
            data = (corpus / label).read_bytes()
            for fmt in AUDIT_FORMATS:
                repo = _repository_with(Path(scratch) / f"audit-{index}-{fmt}", repo_path, data)
                record = Record(repo)
                with _hermetic_environment(Path(scratch) / f"cache-audit-{index}-{fmt}"):
                    record.add_outcome("audit", run_cli(["audit", "--format", fmt, repo_path], repo))
                cases[f"audit/{fmt}/{label}"] = _digest(f"audit/{fmt}/{label}", record, dump)
            repo = _repository_with(Path(scratch) / f"harden-{index}", repo_path, data)
            record = Record(repo)
            with _hermetic_environment(Path(scratch) / f"cache-harden-{index}"):
                outcome = run_cli(["harden", "--fix=all", "--write", "--color", "never", repo_path], repo)
            record.add_outcome("harden", outcome)
            record.add_tree("after", repo)
            cases[f"harden/{label}"] = _digest(f"harden/{label}", record, dump)
    return cases


def _repository_with(repo: Path, repo_path: str, data: bytes) -> Path:
    """A repository root (an empty .git marks it) holding one file at its real path."""
    (repo / ".git").mkdir(parents=True)
    target = repo / repo_path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return repo


def answer_set_cases(names: Sequence[str] | None = None, dump: Path | None = None) -> dict[str, str]:
    cases: dict[str, str] = {}
    for name in names if names is not None else sorted(ANSWER_SETS):
        with (
            tempfile.TemporaryDirectory(prefix="scaffold-identity-") as scratch,
            _hermetic_environment(Path(scratch) / "cache"),
        ):
            cases.update(_answer_set_cases(name, Path(scratch), dump))
    return cases


def _answer_set_cases(name: str, scratch: Path, dump: Path | None) -> dict[str, str]:
    cases: dict[str, str] = {}

    def case(key: str, command: str, outcome: Outcome, tree: Path | None = None) -> None:
        record = Record(scratch)
        record.add_outcome(command, outcome)
        if tree is not None:
            record.add_tree("tree", tree)
        cases[key] = _digest(key, record, dump)

    answers = scratch / "answers.yml"
    answers.write_text(json.dumps(ANSWER_SETS[name], sort_keys=True) + "\n")  # JSON is YAML
    repo = scratch / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    case(f"new/{name}", "new", run_cli(["new", "--defaults", "--answers", str(answers)], repo), repo)
    for fmt in AUDIT_FORMATS:
        case(f"audit-kit/{fmt}/{name}", "audit", run_cli(["audit", "--format", fmt], repo))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "scaffold new")
    _make_user_edits(repo, name)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "user edits")
    case(f"diff/{name}", "diff", run_cli(["diff", "--strict", "--color", "never"], repo))
    upgrade = run_cli(["upgrade", "--set", ANSWER_CHANGE, "--color", "never"], repo)
    case(f"upgrade/{name}", "upgrade", upgrade, repo)
    return cases


def merged_yaml_path(repo: Path, name: str) -> Path:
    service = str(ANSWER_SETS[name]["name"])
    for choice in MERGED_YAML_CHOICES:
        path = repo / choice.format(name=service)
        if path.is_file():
            return path
    raise AssertionError(f"answer set {name}: none of {MERGED_YAML_CHOICES} was rendered")


def _make_user_edits(repo: Path, name: str) -> None:
    """Three edits in three files: a comment line after the first line of the CI YAML file the answer change also
    rewrites, a paragraph at the end of the docs, and a comment after the deploy script's shebang."""
    _insert_after_first_line(merged_yaml_path(repo, name), YAML_EDIT)
    docs = repo / "docs" / "ci-security.md"
    docs.write_bytes(docs.read_bytes() + DOCS_EDIT.encode())
    _insert_after_first_line(repo / "deploy" / "deploy.sh", SCRIPT_EDIT)


def _insert_after_first_line(path: Path, line: str) -> None:
    first, rest = path.read_bytes().split(b"\n", 1)
    path.write_bytes(first + b"\n" + line.encode() + rest)


def all_cases(corpus: Path | None, dump: Path | None = None) -> dict[str, str]:
    cases = answer_set_cases(dump=dump)
    if corpus is not None:
        cases.update(corpus_cases(corpus, dump))
    return cases


def is_corpus_case(key: str) -> bool:
    return key.startswith(("audit/", "harden/"))


def serialised(cases: Mapping[str, str]) -> str:
    """Sorted keys, one case per line."""
    lines = [f"  {json.dumps(key)}: {json.dumps(value)}" for key, value in sorted(cases.items())]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def differing(expected: Mapping[str, str], actual: Mapping[str, str]) -> list[str]:
    """The cases whose digest differs, or that only one side has."""
    return sorted(key for key in set(expected) | set(actual) if expected.get(key) != actual.get(key))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Hash every output scaffold gives on the corpus and answer sets.")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", type=Path, metavar="FILE", help="write every case's digest to FILE")
    action.add_argument("--check", type=Path, metavar="FILE", help="print the cases that differ from FILE")
    parser.add_argument("--dump", type=Path, metavar="DIR", help="also write each case's unhashed text under DIR")
    parser.add_argument("--no-corpus", action="store_true", help="the answer-set cases only")
    args = parser.parse_args(argv)
    corpus = None if args.no_corpus else corpus_folder()
    if corpus is not None and not corpus.is_dir():
        parser.error(f"the shared corpus is not at {corpus} (set SCAFFOLD_CORPUS, or pass --no-corpus)")
    cases = all_cases(corpus, args.dump)
    if args.write is not None:
        args.write.write_text(serialised(cases))
        print(f"{len(cases)} cases from the scaffold at {Path(cli.__file__).parent} written to {args.write}")
        return 0
    expected = json.loads(args.check.read_text())
    if args.no_corpus:
        expected = {key: value for key, value in expected.items() if not is_corpus_case(key)}
    changed = differing(expected, cases)
    for key in changed:
        print(key)
    print(f"{len(changed)} of {len(cases)} cases differ", file=sys.stderr)
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
