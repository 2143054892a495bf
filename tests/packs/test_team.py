"""A team pack composed with the built-in kit: its questions, locks, defaults, files, overrides and removals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scaffold import api
from scaffold.errors import UnsafePackError, UsageError
from scaffold.kit.packs import load_pack
from scaffold.packs.chosen import from_folder
from scaffold.packs.team import load_team_pack
from tests.packs.team_packs import write_pack
from tests.support.hang_guard import hang_guard


def _answers(pack_folder: Path, out: Path, settings: list[str] | None = None, **given: Any) -> Any:
    pack = from_folder(pack_folder)
    layers = api.collect_layers(output=out, settings=settings or [], pack=pack)
    layers = type(layers)(layers.defaults, given, layers.from_flags, locked=layers.locked, pack=pack)
    return pack, api.resolve_answers(layers)


def test_the_skeleton_renders_the_kit_with_the_teams_file_and_without_the_removed_folder(tmp_path: Path) -> None:
    pack, answers = _answers(write_pack(tmp_path / "pack"), tmp_path / "svc", ["team=payments"])
    files = pack.render(answers)
    builtin = api.render_kit(answers=api.resolve_answers(api.collect_layers(output=tmp_path / "svc")))
    assert "Owned by `payments`" in files["docs/SERVICE.md"]
    assert not [path for path in files if path.startswith("runtime/")]
    assert [path for path in builtin if path.startswith("runtime/")], "the built-in kit has runtime/ to remove"
    assert set(builtin) - {".scaffold.yml"} - {p for p in builtin if p.startswith("runtime/")} <= set(files)


def test_a_locked_answer_cannot_be_changed_by_set_answers_file_or_prompts(tmp_path: Path) -> None:
    folder = write_pack(tmp_path / "pack")
    with pytest.raises(UsageError, match=r"block_severity: is locked to high by pack acme 0\.1\.0.*--set"):
        _answers(folder, tmp_path / "svc", ["block_severity=critical"])
    with pytest.raises(UsageError, match="the answers file cannot change it"):
        _answers(folder, tmp_path / "svc", block_severity="medium")
    pack = from_folder(folder)
    layers = api.collect_layers(output=tmp_path / "svc", pack=pack)
    with pytest.raises(UsageError, match="prompts cannot change it"):
        api.resolve_answers(layers, {"block_severity": "critical"})
    _, same = _answers(folder, tmp_path / "svc", ["block_severity=high"])  # the locked value itself is fine
    assert same.block_severity == "high"


def test_pack_defaults_apply_and_the_user_may_change_them(tmp_path: Path) -> None:
    folder = write_pack(tmp_path / "pack", {"defaults": {"coverage_min": 90}})
    _, answers = _answers(folder, tmp_path / "svc")
    assert answers.coverage_min == 90
    _, answers = _answers(folder, tmp_path / "svc", ["coverage_min=70"])
    assert answers.coverage_min == 70


def test_questions_validate_with_their_pattern_choices_and_when(tmp_path: Path) -> None:
    questions = {
        "team": {"type": "str", "help": "team", "default": "core", "pattern": "[a-z]+"},
        "tier": {"type": "choice", "help": "tier", "choices": ["gold", "silver"], "default": "silver"},
        "pager": {"type": "bool", "help": "pager", "default": True},
        "oncall": {"type": "str", "help": "who", "default": "ops", "when": "answers.pager"},
        "replicas": {"type": "int", "help": "n", "default": 2, "min": 1, "max": 5},
        "regions": {"type": "list", "help": "r", "default": ["eu"], "pattern": "[a-z]{2}"},
    }
    folder = write_pack(tmp_path / "pack", {"questions": questions, "files": [], "policy": None})
    _, answers = _answers(folder, tmp_path / "svc", ["regions=eu,us", "replicas=3"])
    dumped = answers.model_dump()
    assert (dumped["team"], dumped["tier"], dumped["oncall"], dumped["replicas"], dumped["regions"]) == (
        "core",
        "silver",
        "ops",
        3,
        ["eu", "us"],
    )
    for setting, message in (
        ("team=Core", "team: must match"),
        ("tier=bronze", "tier: must be one of"),
        ("replicas=9", "replicas: "),
        ("regions=eu,usa", "regions.1: must match"),
        ("nope=1", "is not an answer key"),
    ):
        with pytest.raises(UsageError, match=message):
            _answers(folder, tmp_path / "svc", [setting])
    _, off = _answers(folder, tmp_path / "svc", ["pager=false", "oncall=someone"])
    assert off.model_dump()["oncall"] == "ops"  # a question that does not apply keeps its default


def test_a_backtracking_pattern_refuses_the_answer_instead_of_hanging(tmp_path: Path) -> None:
    questions = {"x": {"type": "str", "help": "x", "default": "a", "pattern": "(a|aa)+"}}
    folder = write_pack(tmp_path / "pack", {"questions": questions, "files": [], "policy": None})
    with hang_guard(60), pytest.raises(UsageError, match="takes too long"):
        _answers(folder, tmp_path / "svc", ["x=" + "a" * 60 + "c"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"extends": {"pack": "other"}}, "extends.pack"),
        ({"extends": {"version": ">=9.0.0"}}, "does not accept the built-in kit"),
        ({"extends": {"version": "latest"}}, "extends.version: must be comparisons"),
        ({"questions": {"name": {"type": "str", "help": "x"}}}, "questions.name: is a built-in answer"),
        ({"questions": {"Bad": {"type": "str", "help": "x"}}}, "questions.Bad"),
        ({"questions": {"x": {"type": "str", "help": "x", "pattern": "("}}}, "not a regular expression"),
        ({"questions": {"x": {"type": "choice", "help": "x"}}}, "needs choices"),
        ({"questions": {"x": {"type": "str", "help": "x", "default": "A B!"}}}, "questions.x.default"),
        ({"questions": {"x": {"type": "str", "help": "x", "when": "answers."}}}, "questions.x.when"),
        ({"locked": {"registry": "nowhere"}}, "locked.registry"),
        ({"locked": {"nope": 1}}, "locked.nope: is not an answer key"),
        ({"defaults": {"port": 80}}, "defaults.port"),
        ({"remove": ["../x"]}, "remove"),
        ({"remove": [".git/"]}, "remove"),
        ({"override": ["common/nope.j2"]}, "is not a template of the built-in kit"),
        ({"override": ["common/Dockerfile.j2"]}, "has no template of that path in the pack"),
        ({"version": "one"}, "version"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_bad_manifest_is_refused_naming_the_field(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    folder = write_pack(tmp_path / "pack", change)
    with pytest.raises(UnsafePackError, match=message) as caught:
        load_team_pack(folder)
    assert "\n" not in str(caught.value)


def test_a_template_with_a_built_in_path_must_be_declared_an_override(tmp_path: Path) -> None:
    replacement = "# team Dockerfile\n" + (tmp_path / "x").as_posix()
    extra = {"common/dockerignore.j2": replacement}
    with pytest.raises(UnsafePackError, match="list it under override"):
        load_team_pack(write_pack(tmp_path / "a", extra=extra))
    team = load_team_pack(write_pack(tmp_path / "b", {"override": ["common/dockerignore.j2"]}, extra=extra))
    assert team.pack.templates["common/dockerignore.j2"] == replacement
    assert load_pack().templates["common/dockerignore.j2"] != replacement


def test_an_override_that_drops_a_control_is_refused_by_the_gate(tmp_path: Path) -> None:
    base = load_pack().templates["github/ci.yml.j2"]
    weakened = base.replace("    timeout-minutes: 15\n", "", 1)
    assert weakened != base
    folder = write_pack(tmp_path / "pack", {"override": ["github/ci.yml.j2"]}, extra={"github/ci.yml.j2": weakened})
    pack, answers = _answers(folder, tmp_path / "svc")
    with pytest.raises(UnsafePackError, match="fails scaffold's audit"):
        api.new(output=tmp_path / "svc", answers=answers, pack=pack)
    assert not (tmp_path / "svc").exists()


def test_a_waived_control_lets_the_override_pass_and_the_kit_docs_say_why(tmp_path: Path) -> None:
    base = load_pack().templates["github/ci.yml.j2"]
    weakened = base.replace("    timeout-minutes: 15\n", "", 1)
    policy = {"controls": ["pinned-dependencies"], "waive": [{"control": "timeouts", "reason": "runners time out"}]}
    folder = write_pack(
        tmp_path / "pack", {"override": ["github/ci.yml.j2"], "policy": policy}, extra={"github/ci.yml.j2": weakened}
    )
    pack, answers = _answers(folder, tmp_path / "svc")
    api.new(output=tmp_path / "svc", answers=answers, pack=pack)
    docs = (tmp_path / "svc/docs/ci-security.md").read_text()
    assert "## Controls this pack waives" in docs
    assert "`timeouts`" in docs and "runners time out" in docs
    record = (tmp_path / "svc/.scaffold.yml").read_text()
    assert "waive:" in record and "runners time out" in record


def test_audit_with_pack_enforces_that_packs_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from scaffold.cli import main

    out = tmp_path / "svc"
    assert main(["new", "--pack", str(write_pack(tmp_path / "loose")), "--defaults", "-o", str(out)]) == 0
    assert main(["audit", str(out)]) == 0
    strict = write_pack(tmp_path / "strict", {"policy": {"allowed_actions": ["actions/*"]}})
    capsys.readouterr()
    assert main(["audit", str(out), "--pack", str(strict)]) == 1
    found = capsys.readouterr().out
    assert "policy-action-not-allowed" in found and "actions/checkout" not in found
    assert main(["audit", str(out), "--pack", str(tmp_path / "missing")]) == 2


def test_diff_reports_a_record_whose_pack_fields_were_edited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from scaffold.cli import main

    out = tmp_path / "svc"
    assert main(["new", "--pack", str(write_pack(tmp_path / "pack")), "--defaults", "-o", str(out)]) == 0
    assert main(["diff", str(out)]) == 0
    record = out / ".scaffold.yml"
    record.write_text(record.read_text().replace("  source: ../pack\n", "  source: ../pack\n  format: cookiecutter\n"))
    capsys.readouterr()
    assert main(["diff", str(out)]) == 1
    assert "pack.format" in capsys.readouterr().out


def test_adopt_with_a_team_pack_records_it_and_keeps_its_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from scaffold.cli import main
    from scaffold.kit.record import read_record

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "requirements.txt").write_text("flask==3.0\n")
    pack = write_pack(tmp_path / "pack")
    assert main(["adopt", str(repo), "--pack", str(pack), "--defaults", "--set", "block_severity=medium"]) == 2
    assert "is locked to high" in capsys.readouterr().err
    assert not (repo / ".scaffold.yml").exists()
    assert main(["adopt", str(repo), "--pack", str(pack), "--defaults", "--set", "team=payments"]) == 0
    record = read_record(repo)
    assert (record.pack_name, record.pack_source, record.answers["team"]) == ("acme", "../pack", "payments")
    assert "Owned by `payments`" in (repo / "docs/SERVICE.md").read_text()
    assert not (repo / "runtime").exists()
