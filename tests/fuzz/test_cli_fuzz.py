"""Red-team fuzzing of the CLI: hostile repositories, records and answers files through ``scaffold.cli.main``.

Every run must end within the hang guard with exit 0, 1, 2 or 3, never a traceback; exit 2 is one line on stderr;
nothing outside the repository is written; nothing under .git changes but scaffold's own refs (and the objects
they need); and a command refusing its input with exit 2 writes nothing.

Examples per target: ``SCAFFOLD_FUZZ_EXAMPLES`` (default 50), derandomized so CI runs are reproducible.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.fuzz.hostile import (
    EXAMPLES,
    FILE_KINDS,
    KITS,
    Mutation,
    Run,
    check_run,
    corpus_seeds,
    git,
    git_changes,
    kit,
    mutate,
    mutations,
    run_cli,
    snapshot,
    write_hostile,
)

FUZZ = settings(
    derandomize=True,
    phases=[Phase.explicit, Phase.generate] + ([Phase.shrink] if os.environ.get("SCAFFOLD_FUZZ_SHRINK") else []),
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

CI_PATHS = (
    ".github/workflows/ci.yml",
    ".github/dependabot.yml",
    ".gitlab-ci.yml",
    "Jenkinsfile",
    "Dockerfile",
    ".dockerignore",
    ".pre-commit-config.yaml",
    ".scaffold.yml",
)


class Sandbox:
    """A temporary base folder holding the repository and, beside it, an 'outside' folder hostile symlinks point
    to, so writes outside the repository show up in a snapshot."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.repo = base / "repo"
        self.outside = base / "outside"
        self.repo.mkdir()
        self.outside.mkdir()
        (self.outside / "secret.txt").write_text("token: do-not-read\n")

    def write(self, files: dict[str, str | bytes]) -> None:
        for name, content in files.items():
            path = self.repo / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_symlink() or path.exists():
                path.unlink()
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_bytes(content.encode("utf-8", "surrogatepass"))

    def outside_snapshot(self) -> dict[str, str]:
        return snapshot(self.base, skip=("repo",))

    def repo_snapshot(self) -> dict[str, str]:
        return snapshot(self.repo, skip=(".git",))

    def git_snapshot(self) -> dict[str, str]:
        return snapshot(self.repo / ".git") if (self.repo / ".git").is_dir() else {}


def _apply(sandbox: Sandbox, files: dict[str, str], edits: list[tuple[str, Mutation]]) -> None:
    mutated: dict[str, str | bytes] = dict(files)
    for name, mutation in edits:
        current = mutated.get(name, "")
        text = current if isinstance(current, str) else current.decode("utf-8", "replace")
        mutated[name] = mutate(text, mutation)
    sandbox.write(mutated)


def _hostile_files(sandbox: Sandbox, kinds: list[tuple[str, str]]) -> None:
    for name, kind in kinds:
        write_hostile(sandbox.repo / name, kind, sandbox.outside)


def _checked(sandbox: Sandbox, argv: list[str], *, one_line_on_2: bool = True, writes_on_2: bool = False) -> Run:
    outside, inside, git_before = sandbox.outside_snapshot(), sandbox.repo_snapshot(), sandbox.git_snapshot()
    run = run_cli(argv, sandbox.repo)
    check_run(run, one_line_on_2=one_line_on_2)
    assert sandbox.outside_snapshot() == outside, f"{argv}: wrote outside the repository"
    changed = git_changes(git_before, sandbox.git_snapshot())
    assert not changed, f"{argv}: changed .git: {changed}"
    if run.code == 2 and not writes_on_2:
        assert sandbox.repo_snapshot() == inside, f"{argv}: exit 2 but the repository changed: {run.stderr!r}"
    return run


def _seeds() -> st.SearchStrategy[tuple[str, ...]]:
    """A generated kit's name, or the names of a few corpus files (when the corpus is present): small to print."""
    kits = st.sampled_from(KITS).map(lambda name: ("kit", name))
    seeds = corpus_seeds()
    if not seeds:
        return kits
    corpus = st.lists(st.integers(0, len(seeds) - 1), min_size=1, max_size=4, unique=True).map(
        lambda picked: ("corpus", *(str(index) for index in picked))
    )
    return st.one_of(kits, corpus)


def _files(seed: tuple[str, ...]) -> dict[str, str]:
    if seed[0] == "kit":
        return kit(seed[1])
    seeds = corpus_seeds()
    return dict(seeds[int(index)] for index in seed[1:])


def _edits(files: dict[str, str]) -> st.SearchStrategy[list[tuple[str, Mutation]]]:
    names = sorted(files) + [path for path in CI_PATHS if path not in files]
    return st.lists(st.tuples(st.sampled_from(names), mutations()), min_size=1, max_size=3)


def _specials(files: dict[str, str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    names = sorted(files) + list(CI_PATHS)
    return st.lists(st.tuples(st.sampled_from(names), st.sampled_from(FILE_KINDS)), max_size=2)


Hostile = tuple[tuple[str, ...], list[tuple[str, Mutation]], list[tuple[str, str]]]


@st.composite
def hostile_repos(draw: st.DrawFn) -> Hostile:
    seed = draw(_seeds())
    files = _files(seed)
    return seed, draw(_edits(files)), draw(_specials(files))


# --- audit and harden ---------------------------------------------------------------------------------------------


@FUZZ
@given(hostile_repos(), st.sampled_from(["plain", "json", "sarif"]))
def test_audit_on_hostile_repositories(repo: Hostile, output: str) -> None:
    seed, edits, specials = repo
    files = _files(seed)
    with tempfile.TemporaryDirectory() as base:
        sandbox = Sandbox(Path(base))
        _apply(sandbox, files, edits)
        _hostile_files(sandbox, specials)
        _checked(sandbox, ["audit", ".", "--format", output], one_line_on_2=False)


@FUZZ
@given(hostile_repos(), st.sampled_from(["safe", "all"]), st.booleans())
def test_harden_on_hostile_repositories(repo: Hostile, level: str, write: bool) -> None:
    seed, edits, specials = repo
    files = _files(seed)
    with tempfile.TemporaryDirectory() as base:
        sandbox = Sandbox(Path(base))
        _apply(sandbox, files, edits)
        _hostile_files(sandbox, specials)
        argv = ["harden", ".", f"--fix={level}", "--color=never"] + (["--write"] if write else [])
        _checked(sandbox, argv, one_line_on_2=False, writes_on_2=True)
        if write:  # what harden wrote must not make a second run crash
            _checked(sandbox, ["harden", ".", f"--fix={level}", "--color=never"], one_line_on_2=False)


# --- diff and upgrade on a generated kit with a hostile record or hostile files -------------------------------------


@st.composite
def hostile_kits(draw: st.DrawFn) -> Hostile:
    seed = ("kit", draw(st.sampled_from(KITS)))
    files = _files(seed)
    edits = draw(_edits(files))
    if draw(st.booleans()):  # half the examples mutate .scaffold.yml, the journal of the kit
        edits = [(".scaffold.yml", draw(mutations())), *edits[:1]]
    return seed, edits, draw(_specials(files))


@FUZZ
@given(hostile_kits())
def test_diff_on_hostile_kits(repo: Hostile) -> None:
    seed, edits, specials = repo
    files = _files(seed)
    with tempfile.TemporaryDirectory() as base:
        sandbox = Sandbox(Path(base))
        _apply(sandbox, files, edits)
        _hostile_files(sandbox, specials)
        _checked(sandbox, ["diff", ".", "--color=never"])


@FUZZ
@given(hostile_kits(), st.booleans(), st.sampled_from([[], ["--set", "port=9090"], ["--set", "coverage_min=70"]]))
def test_upgrade_on_hostile_kits(repo: Hostile, dry_run: bool, settings_: list[str]) -> None:
    seed, edits, specials = repo
    files = _files(seed)
    with tempfile.TemporaryDirectory() as base:
        sandbox = Sandbox(Path(base))
        sandbox.write(dict(files))
        git(sandbox.repo, "init", "-q", "-b", "main")
        git(sandbox.repo, "add", "-A")
        git(sandbox.repo, "commit", "-q", "-m", "kit")
        _apply(sandbox, files, edits)
        git(sandbox.repo, "add", "-A")
        git(sandbox.repo, "commit", "-q", "--allow-empty", "-m", "hostile edits")
        _hostile_files(sandbox, specials)
        argv = ["upgrade", ".", "--allow-dirty", "--color=never", *settings_] + (["--dry-run"] if dry_run else [])
        _checked(sandbox, argv)


# --- adopt and new --answers ----------------------------------------------------------------------------------------


@FUZZ
@given(hostile_repos(), st.booleans())
def test_adopt_on_hostile_repositories(repo: Hostile, dry_run: bool) -> None:
    seed, edits, specials = repo
    files = _files(seed)
    files = {name: text for name, text in files.items() if name != ".scaffold.yml"}
    edits = [(name, mutation) for name, mutation in edits if name != ".scaffold.yml"]
    with tempfile.TemporaryDirectory() as base:
        sandbox = Sandbox(Path(base))
        _apply(sandbox, files, edits)
        _hostile_files(sandbox, [(name, kind) for name, kind in specials if name != ".scaffold.yml"])
        argv = ["adopt", ".", "--defaults", "--color=never"] + (["--dry-run"] if dry_run else [])
        _checked(sandbox, argv)


_ANSWER_VALUES = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.booleans(),
    st.none(),
    st.lists(st.text(max_size=10), max_size=3),
)


@st.composite
def hostile_answers(draw: st.DrawFn) -> str | bytes:
    keys = st.one_of(st.sampled_from(["name", "port", "image", "platforms", "health_path", "registry"]), st.text())
    data = draw(st.dictionaries(keys, _ANSWER_VALUES, max_size=5))
    text = "".join(
        f"{key!r}: {value!r}\n".replace("'", '"') if isinstance(key, str) else "" for key, value in data.items()
    )
    return mutate(text, draw(mutations())) if draw(st.booleans()) else text


@FUZZ
@given(hostile_answers(), st.sampled_from(["file", *FILE_KINDS]))
def test_new_with_hostile_answers_file(answers: str | bytes, kind: str) -> None:
    with tempfile.TemporaryDirectory() as base:
        sandbox = Sandbox(Path(base))
        answers_path = sandbox.outside / "answers.yml"
        if kind == "file":
            answers_path.write_bytes(answers if isinstance(answers, bytes) else answers.encode("utf-8", "replace"))
        else:
            write_hostile(answers_path, kind, sandbox.outside)
        run = _checked(sandbox, ["new", "--defaults", "--answers", str(answers_path), "-o", "."])
        if run.code == 2:
            assert "answers" in run.stderr or ":" in run.stderr


def test_corpus_is_used_or_the_reason_is_stated() -> None:
    if not corpus_seeds():
        pytest.skip("the shared corpus is absent (../shared/corpus or $SCAFFOLD_CORPUS): fuzzing kits only")
    assert len(corpus_seeds()) >= 10
