"""``scaffold pack test DIR``: render every example answer set (``examples/*.yml``) and every test
(``tests/*.yml``: answers and what the kit must hold) and fail unless each kit passes the gate ``scaffold new``
applies: scaffold's audit under the pack's own policy. A team finds its mistakes before its users do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scaffold.errors import ScaffoldError, UsageError
from scaffold.kit.answer_sources import load_answers_file
from scaffold.packs.chosen import ChosenPack, from_folder
from scaffold.packs.gate import render_problems
from scaffold.untrusted.read import UnreadableInput, read_text
from scaffold.untrusted.text import printable, shown
from scaffold.untrusted.yaml_load import load

MAX_CASES = 200
_EXPECT_KEYS = ("files", "absent", "contains")


@dataclass(frozen=True)
class CaseResult:
    name: str  # examples/x.yml or tests/x.yml
    problems: list[str]
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class PackTestResult:
    pack: str  # name and version
    cases: list[CaseResult]
    waivers: list[tuple[str, str]] = field(default_factory=list)
    overridden: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    locked: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    """The policy's exceptions, one line each: findings every repository of the pack may have until a date."""

    @property
    def ok(self) -> bool:
        return all(case.ok for case in self.cases)


def run(folder: Path, *, trust: bool = False) -> PackTestResult:
    """Test the pack in ``folder``. A pack that does not load is a UsageError (exit 2), as for ``scaffold new``."""
    pack = from_folder(folder, trust=trust)
    cases = _case_files(folder)
    if not cases:
        raise UsageError(
            f"{printable(str(folder), 200)}: has no examples/*.yml answer sets or tests/*.yml to render; add one "
            "(scaffold pack init writes both)"
        )
    results = [_run_case(pack, folder, relative) for relative in cases]
    manifest = pack.pack.manifest
    return PackTestResult(
        pack=pack.label,
        cases=results,
        waivers=list(pack.pack.waivers),
        overridden=list(pack.overridden),
        removed=list(manifest.remove),
        locked=sorted(pack.locked),
        exceptions=_exceptions(pack),
    )


def _exceptions(pack: ChosenPack) -> list[str]:
    if pack.policy is None:
        return []
    return [
        f"{item.rule} in {item.path or 'every file'} until {item.expires.isoformat()}: {item.reason}"
        for item in pack.policy.exceptions
    ]


def _case_files(folder: Path) -> list[str]:
    found: list[str] = []
    for kind in ("examples", "tests"):
        place = folder / kind
        if place.is_dir() and not place.is_symlink():
            found += [f"{kind}/{path.name}" for path in sorted(place.iterdir()) if path.suffix in (".yml", ".yaml")]
    if len(found) > MAX_CASES:
        raise UsageError(f"{printable(str(folder), 200)}: has more than {MAX_CASES} examples and tests")
    return found


def _run_case(pack: ChosenPack, folder: Path, relative: str) -> CaseResult:
    try:
        expect: Mapping[str, Any] = {}
        if relative.startswith("examples/"):
            answers = load_answers_file(folder / relative)
        else:
            answers, expect = _test_case(folder / relative)
        problem = pack.lock_broken(answers, relative)
        if problem is not None:
            return CaseResult(relative, [problem])
        chosen = pack.validate({**pack.defaults, **answers, **pack.locked}, source=relative)
        files = pack.render(chosen)
    except ScaffoldError as error:
        return CaseResult(relative, [" ".join(str(error).split())])
    problems = render_problems(files, pack, chosen) + _expectations(files, expect)
    return CaseResult(relative, problems, len(files))


def _test_case(path: Path) -> tuple[dict[str, Any], Mapping[str, Any]]:
    where = printable(path.name, 80)
    try:
        data = load(read_text(path, limit=1_000_000))
    except (UnreadableInput, yaml.YAMLError) as error:
        raise UsageError(f"tests/{where}: cannot be read as YAML ({shown(str(error), 80)})") from None
    if not isinstance(data, dict) or set(data) - {"answers", "expect"}:
        raise UsageError(f"tests/{where}: must be a mapping with answers and expect")
    answers, expect = data.get("answers") or {}, data.get("expect") or {}
    if not isinstance(answers, dict) or not all(isinstance(key, str) for key in answers):
        raise UsageError(f"tests/{where}: answers must be a mapping of answer keys")
    if not isinstance(expect, dict) or set(expect) - set(_EXPECT_KEYS):
        raise UsageError(f"tests/{where}: expect may have {', '.join(_EXPECT_KEYS)}")
    return dict(answers), expect


def _expectations(files: Mapping[str, str], expect: Mapping[str, Any]) -> list[str]:
    from scaffold.kit.record import RECORD_PATH

    rendered = set(files) | {RECORD_PATH}
    problems = [f"expected {shown(str(path))} in the kit" for path in _paths(expect, "files") if path not in rendered]
    for entry in _paths(expect, "absent"):
        hits = [path for path in rendered if path == entry or (entry.endswith("/") and path.startswith(entry))]
        if hits:
            problems.append(f"expected no {shown(entry)} in the kit, found {shown(sorted(hits)[0])}")
    contains = expect.get("contains") or {}
    if not isinstance(contains, dict):
        return [*problems, "expect.contains must map a path to the texts it must hold"]
    for path, texts in contains.items():
        wanted = texts if isinstance(texts, list) else [texts]
        text = files.get(str(path))
        for piece in wanted:
            if text is None or str(piece) not in text:
                problems.append(f"expected {shown(str(path))} to contain {shown(str(piece), 60)}")
    return problems


def _paths(expect: Mapping[str, Any], key: str) -> list[str]:
    value = expect.get(key) or []
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]
