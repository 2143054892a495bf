"""registry/acr/main.tf: the Azure Container Registry with anonymous pull and admin user off, quarantine,
retention, and one repository-scoped token per stage; parsed with tests/support/hcl.py and checked with checkov."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scaffold.api import render_kit
from scaffold.errors import UsageError
from scaffold.kit import registry_layout
from scaffold.kit.answers import validate
from tests.answer_sets import ANSWER_SETS, AZURE
from tests.support import checkers, hcl


def _kit(answers: dict[str, Any]) -> tuple[dict[str, str], list[registry_layout.Stage]]:
    finished = validate(answers)
    return render_kit(answers=finished), registry_layout.stages(finished.model_dump())


def _stages(tf: dict[str, Any]) -> dict[str, dict[str, str | None]]:
    """local.stages; HCL ``null`` is None and a string literal its text, so a quoted "null" would not pass."""
    stages: dict[str, dict[str, str | None]] = hcl.local_values(tf)["stages"]
    return stages


@pytest.fixture(scope="module")
def kit() -> tuple[dict[str, str], list[registry_layout.Stage]]:
    return _kit(ANSWER_SETS["java-acr-azure"])


def test_registry_settings(kit: tuple[dict[str, str], list[registry_layout.Stage]]) -> None:
    files, _ = kit
    assert {p for p in files if p.startswith("registry/")} == {"registry/README.md", "registry/acr/main.tf"}
    tf = hcl.load(files["registry/acr/main.tf"])
    acr = hcl.resource(tf, "azurerm_container_registry", "this")
    assert acr["sku"] == "Premium"
    assert acr["admin_enabled"] is False and acr["anonymous_pull_enabled"] is False
    assert acr["quarantine_policy_enabled"] is True and acr["retention_policy_in_days"] == 7
    assert hcl.local_values(tf)["registry_name"] == "acmeprod"
    assert tf["terraform"][0]["required_providers"][0]["azurerm"]["version"].startswith("~> ")


def test_each_token_pushes_only_to_its_own_repository(kit: tuple[dict[str, str], list[registry_layout.Stage]]) -> None:
    files, stages = kit
    text = files["registry/acr/main.tf"]
    tf = hcl.load(text)
    by_name = {s.name: s for s in stages}
    assert _stages(tf) == {
        s.name: {
            "repository": s.repository,
            "token": s.pusher,
            "source": by_name[s.promoted_from].repository if s.promoted_from else None,
        }
        for s in stages
    }
    scope_map = hcl.resource(tf, "azurerm_container_registry_scope_map", "stage")
    actions = str(scope_map["actions"])
    assert "${each.value.repository}/content/write" in actions
    assert "${each.value.source}/content/write" not in actions
    assert "delete" not in actions and "metadata/write" not in actions
    token = hcl.resource(tf, "azurerm_container_registry_token", "stage")
    assert "azurerm_container_registry_scope_map.stage[each.key].id" in token["scope_map_id"]


def test_purge_task_never_selects_release_tags(kit: tuple[dict[str, str], list[registry_layout.Stage]]) -> None:
    text = kit[0]["registry/acr/main.tf"]
    assert "acr purge --filter '%s:^[^v].*' --ago 0d --keep %d" in text
    assert 'keep_images   = tonumber("30")' in text
    assert "task_content = base64encode(yamlencode({" in text


def test_readme_says_admission_blocks_vulnerable_pulls(kit: tuple[dict[str, str], list[registry_layout.Stage]]) -> None:
    readme = kit[0]["registry/README.md"]
    assert "cannot block pulls of vulnerable images" in readme and "policy/kubernetes/" in readme
    assert "Defender" in readme


@pytest.mark.validators
def test_terraform_passes_checkov(kit: tuple[dict[str, str], list[registry_layout.Stage]], tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(kit[0]["registry/acr/main.tf"])
    report = checkers.checkov_report(tmp_path, "terraform")
    assert [c["check_id"] for c in report["results"]["failed_checks"]] == []
    passed = {c["check_id"] for c in report["results"]["passed_checks"]}
    assert {"CKV_AZURE_137", "CKV_AZURE_138", "CKV_AZURE_166", "CKV_AZURE_167"} <= passed
    skipped = {c["check_id"] for c in report["results"]["skipped_checks"]}
    assert skipped == {"CKV_AZURE_139", "CKV_AZURE_164"}


ACR_ANSWERS = st.fixed_dictionaries(
    {
        "name": st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True),
        "registry_name": st.from_regex(r"[a-z0-9]{5,20}", fullmatch=True),
        "path": st.lists(
            st.from_regex(r"[a-z0-9]{1,8}(?:[._-][a-z0-9]{1,6}){0,2}", fullmatch=True), min_size=1, max_size=3
        ),
        "environments": st.lists(
            st.from_regex(r"[a-z](?:[a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True), min_size=1, max_size=4, unique=True
        ),
        "keep_images": st.integers(min_value=1, max_value=1000),
    }
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ACR_ANSWERS)
def test_any_valid_answers_reach_the_terraform_unchanged(drawn: dict[str, Any]) -> None:
    answers = {
        "name": drawn["name"],
        "registry": "acr",
        "image": f"{drawn['registry_name']}.azurecr.io/{'/'.join(drawn['path'])}",
        "environments": drawn["environments"],
        "keep_images": drawn["keep_images"],
        **AZURE,
    }
    try:
        files, stages = _kit(answers)
    except UsageError:
        assume(False)
        raise
    tf = hcl.load(files["registry/acr/main.tf"])
    assert hcl.local_values(tf)["registry_name"] == drawn["registry_name"]
    assert {name: stage["token"] for name, stage in _stages(tf).items()} == {s.name: s.pusher for s in stages}
    assert {name: stage["repository"] for name, stage in _stages(tf).items()} == {s.name: s.repository for s in stages}
    assert f'tonumber("{drawn["keep_images"]}")' in files["registry/acr/main.tf"]
