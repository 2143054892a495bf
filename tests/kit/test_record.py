""".scaffold.yml is untrusted: every field is checked, and its file list never makes scaffold delete a user's file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scaffold.packs.chosen as chosen_module
from scaffold import cli
from scaffold.errors import UsageError
from scaffold.kit.packs import Pack
from scaffold.kit.record import Record, file_hash, read_record
from tests.support.hang_guard import hang_guard
from tests.upgrade import support
from tests.upgrade.support import commit_all, make_repo

FILES = {"config/app.yml": "a: 1\n", "notes/readme.md": "one\n"}
EXAMPLES = int(os.environ.get("SCAFFOLD_FUZZ_EXAMPLES", "150"))


@pytest.fixture
def kit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Pack]:
    pack = support.make_tiny_pack(tmp_path / "pack", "1.0.0", FILES)
    monkeypatch.setattr(chosen_module, "load_pack", lambda directory=None: pack)
    return make_repo(tmp_path / "svc", pack=pack), pack


def _add_to_files(repo: Path, line: str) -> None:
    record = repo / ".scaffold.yml"
    record.write_text(record.read_text().replace("files:\n", f"files:\n  {line}\n"))
    commit_all(repo, "record edit")


@pytest.mark.parametrize("path", [".git/HEAD", ".GIT/HEAD", "x/../.git/HEAD", ".git", "'.git./HEAD'", "'a\\\\b'"])
def test_a_record_path_into_git_is_refused_and_nothing_is_deleted(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str], path: str
) -> None:
    repo, _ = kit
    head = (repo / ".git/HEAD").read_bytes()
    _add_to_files(repo, f"{path}: {file_hash(head.decode())}")
    assert cli.main(["upgrade", str(repo)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ".scaffold.yml: files:" in err
    assert (repo / ".git/HEAD").read_bytes() == head


def test_a_user_file_listed_in_the_record_is_kept_not_deleted(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = kit
    (repo / "src").mkdir()
    (repo / "src/main.py").write_text("print('mine')\n")
    _add_to_files(repo, f"src/main.py: {file_hash(chr(10).join(['print(' + repr('mine') + ')', '']))}")
    assert cli.main(["upgrade", str(repo)]) == 0
    assert "kept  src/main.py  (left the kit; kept: not a path this kit can render)" in capsys.readouterr().out
    assert (repo / "src/main.py").read_text() == "print('mine')\n"
    assert "src/main.py" not in read_record(repo).files


@pytest.mark.parametrize(
    ("edit", "rule"),
    [
        (lambda t: t.replace("scaffold_version: ", "scaffold_version: x"), "scaffold_version must be a version"),
        (lambda t: t.replace("  name: tiny", "  name: [tiny]"), "pack.name must be a str, not a list"),
        (lambda t: t.replace("  name: tiny", "  name: TINY!"), "pack.name must be a pack name"),
        (lambda t: t.replace("  version: 1.0.0", "  version: 1.0.0\n  extra: 1"), "pack.'extra' is not a field"),
        (lambda t: t + "surprise: 1\n", "'surprise' is not a field of the record"),
        (lambda t: t + "audit: [x]\n", "audit must be a mapping"),
        (lambda t: t + "audit:\n  min_severity: 3\n", "audit.min_severity must be low, medium or high"),
        (lambda t: t + "audit:\n  disable: 'x'\n", "audit.disable must be a list of rule ids"),
        (lambda t: t + "audit:\n  colour: red\n", "audit.'colour' is not a setting"),
        (lambda t: t.replace("answers:\n", "answers:\n  1: x\n"), "answers: the key '1' must be text"),
        (lambda t: t.replace(": sha256:", ": sha1:", 1), "must be 'sha256:' and 64 lowercase hex digits"),
        (lambda t: t + "files: {}\n", "duplicate key 'files'"),
        (lambda t: t.replace("answers:\n", "answers:\n  deep: " + "[" * 500 + "]" * 500 + "\n"), "nested deeper"),
        (lambda t: t.replace("answers:\n", "answers:\n  port: " + "9" * 5000 + "\n"), "is not valid YAML at line"),
        (lambda t: t.replace("scaffold_version: 0", "scaffold_version: 1234567890"), "scaffold_version must be"),
        (
            lambda t: (
                "a: &a [x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n" + "c: &c [*b, *b, *b, *b, *b, *b]\n" * 9
            ),
            "is not valid YAML",
        ),
    ],
)
def test_every_field_of_the_record_is_checked(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str], edit: object, rule: str
) -> None:
    repo, _ = kit
    record = repo / ".scaffold.yml"
    record.write_text(edit(record.read_text()))  # type: ignore[operator]
    commit_all(repo, "broken record")
    before = support.files_of(repo)
    for command in ("upgrade", "diff"):
        assert cli.main([command, str(repo)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and rule in err, err
    assert support.files_of(repo) == before


def test_a_record_that_is_a_fifo_or_a_device_is_refused_without_blocking(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = kit
    record = repo / ".scaffold.yml"
    record.unlink()
    os.mkfifo(record)
    with hang_guard():
        assert cli.main(["diff", str(repo)]) == 2
        assert "is not a regular file (a FIFO)" in capsys.readouterr().err
        record.unlink()
        record.symlink_to("/dev/zero")
        assert cli.main(["upgrade", str(repo), "--allow-dirty"]) == 2
        assert "is a symlink" in capsys.readouterr().err


# --- property: any text ends in a Record or a UsageError ----------------------------------------------------------

_VALID = (
    "scaffold_version: 0.1.0\npack:\n  name: tiny\n  version: 1.0.0\nanswers:\n  name: orders\n"
    "files:\n  config/app.yml: sha256:" + "0" * 64 + "\n"
)
_PIECES = st.sampled_from(
    [
        "\u2028",
        "\u2029",
        "\x85",
        "\r",
        "\r\n",
        "\t",
        "&a ",
        "*a",
        "<<: *a\n",
        "[",
        "]",
        "{",
        "}",
        ": ",
        "- ",
        "!!python/object:os.system ",
        "!!binary ",
        "9" * 5000,
        "files:\n",
        "pack: 1\n",
        "---\n",
        "...\n",
        "? ",
        "'",
        '"',
        "\\",
        "\x00",
        "\ufeff",
        ".git/HEAD",
        "../x",
        "  ",
        "\n",
        "answers: *a\n",
        "[" * 200,
        "2020-02-30",
    ]
)


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    text = _VALID
    for _ in range(draw(st.integers(0, 6))):
        where = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:where] + draw(_PIECES) + text[where:]
        else:
            text = text[:where] + text[where + draw(st.integers(0, 20)) :]
    return text


@settings(
    derandomize=True,
    max_examples=EXAMPLES,
    deadline=10_000,  # ms: a hang guard per example
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.one_of(_mutated(), st.text(max_size=300)))
def test_any_record_text_is_a_record_or_one_usage_error(tmp_path: Path, text: str) -> None:
    (tmp_path / ".scaffold.yml").write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        record = read_record(tmp_path)
    except UsageError as error:
        assert "\n" not in " ".join(str(error).split())
        return
    assert isinstance(record, Record)
    assert all(isinstance(path, str) and ".." not in path.split("/") for path in record.files)


def test_a_fetched_base_ref_never_makes_a_user_file_deletable(
    kit: tuple[Path, Pack], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A hostile upstream lists a user file in the record and points refs/scaffold/base at a tree holding it, with the
    recorded hash; a clone that fetches the ref must still keep the file, since this pack cannot render its path."""
    upstream, _ = kit
    (upstream / "app.py").write_text("important user code\n")
    _add_to_files(upstream, f"app.py: {file_hash('important user code' + chr(10))}")
    tree_id = support.git(upstream, "rev-parse", "HEAD^{tree}").strip()
    base = support.git(upstream, "commit-tree", tree_id, "-m", "base").strip()
    support.git(upstream, "update-ref", "refs/scaffold/base", base)
    victim = tmp_path / "victim"
    support.git(tmp_path, "clone", "-q", str(upstream), str(victim))
    support.git(victim, "fetch", "-q", "origin", "refs/scaffold/*:refs/scaffold/*")
    assert cli.main(["upgrade", str(victim)]) == 0
    assert "kept  app.py  (left the kit; kept: not a path this kit can render)" in capsys.readouterr().out
    assert (victim / "app.py").read_text() == "important user code\n"
