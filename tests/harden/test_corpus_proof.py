"""``harden --fix=all`` on real workflows nobody here wrote (../shared/corpus/github), checked four ways:

(a) every job and step keeps its id, name, ``run`` text and ``with`` values, apart from pinned refs, expressions
    moved into ``env:`` and the added ``persist-credentials: false``;
(b) every comment is kept, in order;
(c) actionlint (with shellcheck) and check-jsonschema still pass on every file they passed before;
(d) zizmor --offline finds fewer problems, and no file gets more.
Every corpus file of every kind hardens without error, to a file that parses, and a second run changes nothing.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaffold.harden.engine import harden_document
from scaffold.rules.document import Document
from scaffold.rules.fixes.model import Safety
from scaffold.rules.github.template_injection import reported_expressions
from scaffold.rules.kinds import classify
from scaffold.rules.model import Kind
from scaffold.rules.runner import YAML_KINDS, parse_error
from tests.support import checkers
from tests.support.corpus import CANONICAL_PATHS, corpus_dir, corpus_files

WORKFLOWS = corpus_files("github")
ALL_FILES = [(kind, name) for kind in CANONICAL_PATHS for name in corpus_files(kind)] + [
    ("precommit", name) for name in corpus_files("precommit")
]
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}", re.DOTALL)
_SHA = re.compile(r"[0-9a-f]{40}")


def _path(kind: str, name: str) -> str:
    return ".pre-commit-config.yaml" if kind == "precommit" else CANONICAL_PATHS[kind](name)


@functools.cache
def hardened(kind: str, name: str) -> tuple[str, str]:
    """(original, hardened with --fix=all)."""
    text = (corpus_dir() / kind / name).read_text(encoding="utf-8")
    path = _path(kind, name)
    found = classify(path)
    assert found is not None
    return text, harden_document(Document(path, found, text), Safety.UNSAFE).after


@pytest.mark.parametrize(("kind", "name"), ALL_FILES)
def test_every_corpus_file_hardens_to_a_file_that_parses_and_a_second_run_changes_nothing(kind: str, name: str) -> None:
    text, after = hardened(kind, name)
    path = _path(kind, name)
    found = classify(path)
    assert found is not None
    assert parse_error(Document(path, found, after)) is None
    again = harden_document(Document(path, found, after), Safety.UNSAFE)
    assert again.after == after, f"{name}: a second run still changes {[c.message for c in again.applied]}"
    if found in YAML_KINDS:
        assert after == text or yaml.safe_load(after) is not None


def test_the_corpus_proof_has_files_to_prove_on() -> None:
    corpus_dir()
    assert len(WORKFLOWS) >= 19
    assert sum(hardened("github", name)[0] != hardened("github", name)[1] for name in WORKFLOWS) == len(WORKFLOWS)


# (a) ------------------------------------------------------------------------------------------------------------


def _moved(script: str, env: dict[str, Any], unsafe: set[str]) -> str:
    """The original script with each reported (``unsafe``) expression replaced by ``${NAME}``, NAME being the env
    entry of the hardened step that holds it (``env.NAME`` reads NAME directly).

    Quote characters are dropped (here and in the hardened script it is compared with): harden quotes the variable
    to suit the shell, and that quoting is checked by actionlint and shellcheck in (c).
    """
    holders: dict[str, str] = {}
    for variable, value in env.items():
        held = _EXPRESSION.fullmatch(str(value).strip())
        if held is not None:
            holders.setdefault(held.group(1), variable)

    def swap(match: re.Match[str]) -> str:
        path = match.group(1)
        if path not in unsafe:
            return match.group(0)
        return "${" + (path[4:] if path.startswith("env.") else holders.get(path, "?")) + "}"

    return _unquoted(_EXPRESSION.sub(swap, script))


def _unquoted(script: str) -> str:
    return _EXPRESSION.sub(lambda match: "${{ " + match.group(1) + " }}", script).replace('"', "").replace("'", "")


def _jobs(text: str) -> dict[str, Any]:
    loaded = yaml.safe_load(text)
    jobs: dict[str, Any] = loaded["jobs"]
    return jobs


@pytest.mark.parametrize("name", WORKFLOWS)
def test_jobs_and_steps_keep_ids_names_scripts_and_inputs(name: str) -> None:
    text, after = hardened("github", name)
    before_jobs, after_jobs = _jobs(text), _jobs(after)
    reported = reported_expressions(Document(_path("github", name), Kind.WORKFLOW, text))
    assert list(after_jobs) == list(before_jobs)
    for job_id, job in before_jobs.items():
        new = after_jobs[job_id]
        assert _reference(new.get("uses")) == _reference(job.get("uses"))
        assert len(new.get("steps", [])) == len(job.get("steps", []))
        for index, (old_step, new_step) in enumerate(zip(job.get("steps", []), new.get("steps", []), strict=True)):
            where = f"{name}: job {job_id}, step {old_step.get('name') or old_step.get('id') or old_step.get('uses')}"
            assert new_step.get("id") == old_step.get("id"), where
            assert new_step.get("name") == old_step.get("name"), where
            assert _reference(new_step.get("uses")) == _reference(old_step.get("uses")), where
            if "uses" in old_step and new_step["uses"] != old_step["uses"]:
                assert _SHA.fullmatch(new_step["uses"].rsplit("@", 1)[1]), where
            if "run" in old_step and new_step["run"] != old_step["run"]:
                env = new_step.get("env") or {}
                script = new_step["run"]
                for variable in env:
                    script = script.replace(f"$env:{variable}", f"${{{variable}}}")
                unsafe = {expression.strip() for expression in reported.get((job_id, index), [])}
                assert _unquoted(script) == _moved(old_step["run"], env, unsafe), where
            added = set(new_step.get("with") or {}) - set(old_step.get("with") or {})
            assert added <= {"persist-credentials"}, where
            assert {key: (new_step.get("with") or {})[key] for key in old_step.get("with") or {}} == (
                old_step.get("with") or {}
            ), where
            assert all(
                (new_step.get("env") or {}).get(key) == value for key, value in (old_step.get("env") or {}).items()
            )


def _reference(uses: str | None) -> str | None:
    """The action or workflow a ``uses:`` names, without its ref."""
    return uses.rsplit("@", 1)[0] if uses else None


# (b) ------------------------------------------------------------------------------------------------------------

_COMMENT = re.compile(r"(?:^|\s)(#.*)$")


def _comments(text: str) -> list[str]:
    """Comment texts outside block scalars, in order (a ``#`` at a line's start or after whitespace)."""
    found = []
    for line in text.splitlines():
        match = _COMMENT.search(line)
        if match and line.count("'") % 2 == 0 and line.count('"') % 2 == 0:
            found.append(match.group(1).rstrip())
    return found


@pytest.mark.parametrize("name", WORKFLOWS)
def test_every_comment_is_kept_in_order(name: str) -> None:
    text, after = hardened("github", name)
    remaining = iter(_comments(after))
    for comment in _comments(text):
        assert any(comment in candidate for candidate in remaining), f"{name}: lost {comment!r}"


# (c) and (d) ----------------------------------------------------------------------------------------------------


@functools.cache
def _checked(tmp: str) -> dict[str, dict[str, Any]]:
    """Per workflow, before and after: whether actionlint and check-jsonschema pass, and zizmor's findings."""
    out: dict[str, dict[str, Any]] = {}
    for name in WORKFLOWS:
        out[name] = {}
        for side, text in zip(("before", "after"), hardened("github", name), strict=True):
            root = Path(tmp) / side / name
            target = root / _path("github", name)
            target.parent.mkdir(parents=True)
            target.write_text(text, encoding="utf-8")
            out[name][side] = {
                "actionlint": _actionlint(root, target),
                "jsonschema": _run(
                    [checkers.tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(target)],
                    root,
                ).returncode
                == 0,
                "zizmor": _zizmor(root),
            }
    return out


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, env=checkers._env())


def _actionlint(root: Path, target: Path) -> bool:
    checkers.tool("shellcheck")
    result = _run([checkers.tool("actionlint"), str(target.relative_to(root))], root)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode == 0


def _zizmor(root: Path) -> list[str]:
    result = _run([checkers.tool("zizmor"), "--offline", "--format=json", "--no-progress", "."], root)
    assert result.returncode in (0, 10, 11, 12, 13, 14), result.stderr
    return sorted(item["ident"] for item in json.loads(result.stdout or "[]"))


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    corpus_dir()
    return _checked(str(tmp_path_factory.mktemp("proof")))


@pytest.mark.validators
@pytest.mark.parametrize("checker", ["actionlint", "jsonschema"])
def test_validators_still_pass_wherever_they_passed_before(checker: str, checked: dict[str, dict[str, Any]]) -> None:
    regressed = [name for name, sides in checked.items() if sides["before"][checker] and not sides["after"][checker]]
    assert not regressed
    assert any(sides["before"][checker] for sides in checked.values())


@pytest.mark.validators
def test_zizmor_finds_fewer_problems_in_total_and_more_in_no_file(checked: dict[str, dict[str, Any]]) -> None:
    more = [name for name, sides in checked.items() if len(sides["after"]["zizmor"]) > len(sides["before"]["zizmor"])]
    assert not more
    before = sum(len(sides["before"]["zizmor"]) for sides in checked.values())
    after = sum(len(sides["after"]["zizmor"]) for sides in checked.values())
    assert after < before / 2
