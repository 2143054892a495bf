"""The kit's conftest policies (policy/conftest/): their own Rego tests pass, they pass every rendered kit as
conftest would read it, each weakening of a control is denied, and each verdict agrees with scaffold's own check
for the same control: the audit rules that guard it (``scaffold.rules.guards``), or the one rule for a concern
that is not a control (dangerous-triggers, docker-root-user, docker-unpinned-base, dockerignore-secrets)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import NamedTuple

import pytest

from scaffold.api import render_kit
from scaffold.kit.answers import validate
from scaffold.kit.controls import PlatformName
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.docker.dockerignore import DOCKERIGNORE_REQUIRED
from scaffold.rules.guards import guards
from scaffold.rules.requirements import PLATFORM_KINDS, Requirements
from scaffold.rules.runner import audit_tree
from tests.answer_sets import ANSWER_SETS
from tests.support import conftest_input
from tests.support.rego import run_tests

FULL = "python-ecr-aws-dast-openapi"  # container, GitHub and GitLab
POLICY_DIR = "policy/conftest/"
CI = ".github/workflows/ci.yml"
REL = ".github/workflows/release.yml"
GL = ".gitlab-ci.yml"
DOCKERFILE = "Dockerfile"
IGNORE = ".dockerignore"
DIGEST = r"@sha256:[0-9a-f]{64}"
TAGGED = "docker.io/library/alpine:3.22"


Files = Mapping[str, str]
Check = Callable[[Files], list[str]]


def _rule(rule_id: str) -> Check:
    """A rule as a check: the messages of its findings on the files."""
    rules = [rule for rule in REGISTRY if rule.id == rule_id]

    def check(files: Files) -> list[str]:
        return [finding.message for finding in audit_tree(dict(files), rules=rules).findings]

    return check


def _guards(control: str, platform: PlatformName) -> Check:
    """The rules guarding a control on a platform as a check, with the control required (its kit rule runs)."""
    rules = guards(control, platform)
    required = Requirements({PLATFORM_KINDS[platform]: frozenset({control})})

    def check(files: Files) -> list[str]:
        return [finding.message for finding in audit_tree(dict(files), rules=rules, required=required).findings]

    return check


# concern -> (conftest rule file, the files it is for, scaffold's check for the same control)
CONCERNS: dict[str, tuple[str, tuple[str, ...], Check]] = {
    "github-permissions": ("github_permissions.rego", (CI, REL), _guards("least-privilege-token", "github")),
    "github-pinning": ("github_pinning.rego", (CI, REL), _guards("pinned-dependencies", "github")),
    "github-triggers": ("github_triggers.rego", (CI, REL), _rule("dangerous-triggers")),
    "gitlab-images": ("gitlab_images.rego", (GL,), _guards("pinned-dependencies", "gitlab")),
    "dockerfile-user": ("dockerfile_user.rego", (DOCKERFILE,), _rule("docker-root-user")),
    "dockerfile-base": ("dockerfile_base.rego", (DOCKERFILE,), _rule("docker-unpinned-base")),
    "dockerignore": ("dockerignore.rego", (IGNORE,), _rule("dockerignore-secrets")),
}


@cache
def _kit(name: str) -> dict[str, str]:
    return render_kit(answers=validate(ANSWER_SETS[name]))


@cache
def _policy_dir(tmp: Path) -> Path:
    for path, text in _kit(FULL).items():
        if path.startswith(POLICY_DIR):
            target = tmp / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    return tmp / POLICY_DIR


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _policy_dir(tmp_path_factory.mktemp("conftest"))


def _rules(directory: Path, only: str | None = None) -> list[Path]:
    """The policy files (no tests): the shared shapes plus one concern's file, or every concern's."""
    files = [p for p in directory.glob("*.rego") if not p.name.endswith("_test.rego")]
    return [p for p in files if only is None or p.name in (only, "input_shapes.rego")]


def _deny(directory: Path, path: str, text: str, only: str | None = None) -> list[str]:
    return conftest_input.denials(_rules(directory, only), path, text)


# --- the policies' own tests, as `conftest verify` / `opa test` would run them ---


def test_rego_unit_tests_pass(policies: Path) -> None:
    results = run_tests(policies.glob("*.rego"))
    per_file = Counter(Path(r.file).name for r in results if r.outcome == "pass")
    failures = [r for r in results if r.outcome != "pass"]
    assert failures == []
    expected = {rule.replace(".rego", "_test.rego") for rule, _, _ in CONCERNS.values()} | {"input_shapes_test.rego"}
    assert set(per_file) == expected
    assert all(count >= 5 for count in per_file.values()), per_file


def test_every_policy_ships_with_its_tests() -> None:
    for name, data in ANSWER_SETS.items():
        shipped = {p.removeprefix(POLICY_DIR) for p in _kit(name) if p.startswith(POLICY_DIR)}
        rules = {p for p in shipped if not p.endswith("_test.rego")}
        assert {p.replace(".rego", "_test.rego") for p in rules} <= shipped, name
        platforms = validate(data).model_dump()["platforms"]
        assert ("github_pinning.rego" in rules) == ("github" in platforms), name
        assert ("gitlab_images.rego" in rules) == ("gitlab" in platforms), name
        assert ("dockerignore.rego" in rules) == bool(validate(data).model_dump()["container"]), name


# --- every rendered kit passes, file by file, as conftest reads it ---


@pytest.mark.parametrize("answer_set", list(ANSWER_SETS))
def test_rendered_kits_have_no_denials(answer_set: str, policies: Path) -> None:
    read = 0
    for path, text in _kit(answer_set).items():
        try:
            assert _deny(policies, path, text) == [], path
            read += 1
        except conftest_input.NotReadError:
            continue
        except conftest_input.UnmodelledError:
            # Groovy (Jenkinsfile) and HCL (Terraform): a syntax tree or a block mapping with none of the keys the
            # shape rules look for; input_shapes_test.rego covers the Groovy tree.
            assert conftest_input.parser_name(path) in ("groovy", "hcl2"), path
    assert read >= 4


# --- weakening each control is denied, and the conftest verdict equals scaffold's check ---


class Variant(NamedTuple):
    concern: str
    path: str
    pattern: str  # a regular expression, applied once
    replacement: str


WORKFLOW_HEADER = r"\n(# No token scopes[^\n]*\n)?permissions: \{\}\n"
VARIANTS = [
    Variant("github-permissions", CI, WORKFLOW_HEADER, "\n"),
    Variant("github-permissions", REL, WORKFLOW_HEADER, "\npermissions: write-all\n"),
    Variant("github-permissions", CI, WORKFLOW_HEADER, "\npermissions:\n  contents: write\n"),
    Variant("github-pinning", CI, r"(uses: actions/checkout)@[0-9a-f]{40}", r"\1@v4"),
    Variant("github-pinning", REL, r"(uses: [^@\n]+)@[0-9a-f]{40}", r"\1@main"),
    Variant("github-pinning", CI, r"(uses: [^@\n]+)@([0-9a-f]{7})[0-9a-f]{33}", r"\1@\2"),
    Variant("github-triggers", CI, r"\non:\n", "\non:\n  pull_request_target:\n"),
    Variant("github-triggers", CI, r"\non:\n(  .*\n)+", "\non: pull_request_target\n"),
    Variant("github-triggers", CI, r"\non:\n(  .*\n)+", "\non: [push, pull_request_target]\n"),
    Variant("github-triggers", REL, r"\non:\n", '\n"on":\n  pull_request_target:\n    types: [opened]\n'),
    Variant("github-triggers", REL, r"\non:\n", "\non:\n  workflow_run:\n    workflows: [ci]\n"),
    Variant("gitlab-images", GL, r"\nstages:\n", f"\nimage: {TAGGED}\nstages:\n"),
    Variant("gitlab-images", GL, r"\nstages:\n", f"\ndefault:\n  image: {TAGGED}\nstages:\n"),
    Variant("gitlab-images", GL, r"\nstages:\n", "\ndefault:\n  image:\n    name: alpine:3.22\nstages:\n"),
    Variant("gitlab-images", GL, r"(\n  image: \S+?)" + DIGEST, r"\1"),
    Variant("gitlab-images", GL, r"(\n  image:\n    name: \S+?)" + DIGEST, r"\1"),
    Variant("gitlab-images", GL, r"(\n  image: )(\S+)", r"\1$CI_REGISTRY/\2"),
    Variant("gitlab-images", GL, r"(\n  image: \S+\n)", f"\\1  services:\n    - {TAGGED}\n"),
    Variant("gitlab-images", GL, r"(\n  image: \S+\n)", f"\\1  services:\n    - name: {TAGGED}\n      alias: db\n"),
    Variant("dockerfile-user", DOCKERFILE, r"\nUSER \S+\n", "\nUSER root\n"),
    Variant("dockerfile-user", DOCKERFILE, r"\nUSER \S+\n", "\nUSER 0:0\n"),
    Variant("dockerfile-user", DOCKERFILE, r"\nUSER \S+\n", "\n"),
    Variant("dockerfile-user", DOCKERFILE, r"(\nUSER \S+\n)", "\\1USER root\n"),
    Variant("dockerfile-base", DOCKERFILE, r"(\nFROM \S+?)" + DIGEST, r"\1"),
    Variant("dockerfile-base", DOCKERFILE, r"(\nFROM \S+ AS runtime)", "\nFROM debian:trixie AS runtime"),
    Variant("dockerfile-base", DOCKERFILE, r"\nFROM \S+ AS builder", "\nFROM runtime AS builder"),
    *[Variant("dockerignore", IGNORE, rf"\n{re.escape(required)}\n", "\n") for required in DOCKERIGNORE_REQUIRED],
    Variant("dockerignore", IGNORE, r"\n\.env\n", "\n# .env\n"),
    Variant("dockerignore", IGNORE, r"\n\*\.pem\n", "\n*.pem\n!server.pem\n!*.pem\n"),
]

# The generated file as it is, and the forms of each control that must stay allowed.
ALLOWED = [
    *[Variant(concern, path, r"\A", "") for concern, (_, paths, _) in CONCERNS.items() for path in paths],
    Variant("github-triggers", CI, r"\non:\n(  .*\n)+", "\non: [push, pull_request]\n"),
    Variant("dockerfile-user", DOCKERFILE, r"\nUSER \S+\n", "\nUSER app:app\n"),
    Variant("dockerfile-base", DOCKERFILE, r"\nFROM \S+ AS runtime", "\nFROM builder AS runtime"),
    Variant("dockerfile-base", DOCKERFILE, r"\nFROM \S+ AS runtime", "\nFROM scratch AS runtime"),
    Variant("dockerignore", IGNORE, r"\n\.env\n\.env\.\*\n", "\n**/.env*\n!.env.example\n"),
]


def _apply(variant: Variant) -> str:
    text = _kit(FULL)[variant.path]
    changed, count = re.subn(variant.pattern, variant.replacement, text, count=1)
    assert count == 1, f"{variant.pattern!r} not found in {variant.path}"
    return changed


def _id(variant: Variant) -> str:
    return f"{variant.concern}:{variant.path}:{variant.replacement.strip()[:40] or 'removed'}"


@pytest.mark.parametrize("variant", VARIANTS, ids=_id)
def test_each_weakening_is_denied(variant: Variant, policies: Path) -> None:
    rule_file = CONCERNS[variant.concern][0]
    text = _apply(variant)
    assert text != _kit(FULL)[variant.path]
    assert _deny(policies, variant.path, text, only=rule_file) != []


@pytest.mark.parametrize("variant", ALLOWED, ids=_id)
def test_allowed_forms_pass(variant: Variant, policies: Path) -> None:
    assert _deny(policies, variant.path, _apply(variant)) == []


@pytest.mark.parametrize("variant", ALLOWED + VARIANTS, ids=_id)
def test_conftest_verdict_equals_scaffold_check(variant: Variant, policies: Path) -> None:
    rule_file, _, check = CONCERNS[variant.concern]
    text = _apply(variant)
    denied = bool(_deny(policies, variant.path, text, only=rule_file))
    problems = check({variant.path: text})
    assert denied == bool(problems), (denied, problems)


def test_rules_fire_only_for_their_file_type(policies: Path) -> None:
    """A weakened file of one kind never trips another concern's rule."""
    owners: dict[str, set[str]] = {}
    for rule_file, paths, _ in CONCERNS.values():
        for path in paths:
            owners.setdefault(path, set()).add(rule_file)
    for variant in VARIANTS:
        text = _apply(variant)
        for rule_file, _, _ in CONCERNS.values():
            if rule_file not in owners[variant.path]:
                assert _deny(policies, variant.path, text, only=rule_file) == [], (variant, rule_file)
