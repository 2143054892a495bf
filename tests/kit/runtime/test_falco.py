"""Falco rules under runtime/: the structural validator itself, then every rendered rules file.

Falco cannot run in CI, so tests/support/falco_rules.py checks the files against Falco's documented rule schema
and field list. The first half of this module proves the validator rejects each kind of problem it claims to
find; the second half validates the rendered rules and asserts what each required rule looks at.
"""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaffold.api import render_kit
from scaffold.kit.answers import validate as validate_answers
from tests.answer_sets import ANSWER_SETS
from tests.support import checkers
from tests.support.falco_rules import (
    list_items,
    macro_and_list_names,
    rule_references,
    validate,
)

CONTAINER_SETS = sorted(name for name, answers in ANSWER_SETS.items() if answers.get("container", True))
NO_CONTAINER_SETS = sorted(name for name in ANSWER_SETS if name not in CONTAINER_SETS)

# --- the validator ---------------------------------------------------------------------------------------------

GOOD = """\
---
- required_engine_version: 0.55.0
- required_plugin_versions:
    - name: container
      version: 0.2.2
- list: shells
  items: [bash, sh]
- list: more_shells
  items: [shells, zsh]
- macro: spawned
  condition: (evt.type in (execve, execveat))
- macro: in_container
  condition: container.id != host and k8s.pod.label[app.kubernetes.io/name] = "orders"
- rule: Shell
  desc: A shell.
  condition: >-
    spawned and in_container and proc.name in (more_shells) and not proc.pname exists
    and tolower(proc.name) != val(proc.pname) and fd.name pmatch (/usr/bin, "/bin")
  output: shell (user=%user.name cmd=%proc.cmdline parent=%proc.aname[2] up=%toupper(proc.name))
  priority: warning
  tags: [shell, T1059]
  exceptions:
    - name: known
      fields: [proc.name, container.image.repository]
      comps: [=, startswith]
      values: [[bash, ghcr.io/acme/]]
- list: shells
  items: [dash]
  override:
    items: append
- rule: Shell
  enabled: false
  override:
    enabled: replace
"""


def _mutate(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


def test_validator_accepts_a_good_file() -> None:
    assert validate(GOOD) == []


BAD = {
    "not a list": ("- required_engine_version: 0.55.0\n", "required_engine_version: 1\n"),
    "two kinds in one item": ("- list: shells\n", "- list: shells\n  macro: x\n"),
    "no kind": ("- required_engine_version: 0.55.0\n", "- desc: nothing\n"),
    "unknown key": ("  priority: warning\n", "  priority: warning\n  severity: high\n"),
    "missing desc": ("  desc: A shell.\n", ""),
    "missing output": ("  output: shell (", "  outputs: shell ("),
    "bad priority": ("priority: warning", "priority: urgent"),
    "tags not strings": ("tags: [shell, T1059]", "tags: [[shell]]"),
    "enabled not bool": ("  enabled: false\n", '  enabled: "no"\n'),
    "bad engine version": ("required_engine_version: 0.55.0", "required_engine_version: latest"),
    "bad plugin version": ("version: 0.2.2", "version: two"),
    "unbalanced parenthesis": ("condition: (evt.type in (execve, execveat))", "condition: (evt.type in (execve)"),
    "extra parenthesis": ("condition: (evt.type in (execve, execveat))", "condition: evt.type in (execve))"),
    "unterminated quote": ('app.kubernetes.io/name] = "orders"', 'app.kubernetes.io/name] = "orders'),
    "unterminated bracket": ("label[app.kubernetes.io/name]", "label[app.kubernetes.io/name"),
    "unknown field": ("container.id != host", "container.identifier != host"),
    "unknown class": ("proc.name in (more_shells)", "process.name in (more_shells)"),
    "deprecated evt.dir": ("(evt.type in (execve, execveat))", "(evt.type in (execve, execveat) and evt.dir = <)"),
    "unknown output field": ("cmd=%proc.cmdline", "cmd=%proc.commandline"),
    "unknown transformer": ("%toupper(proc.name)", "%upper(proc.name)"),
    "undefined macro": ("spawned and in_container", "spawned and in_containers"),
    "macro used before definition": (
        "condition: container.id != host and",
        "condition: spawned_later and container.id != host and",
    ),
    "undefined list": ("proc.name in (more_shells)", "proc.name in (moar_shells)"),
    "list used as condition": ("spawned and in_container", "spawned and shells"),
    "missing operator": ("and not proc.pname exists", "and not proc.pname"),
    "unknown operator": ("fd.name pmatch (", "fd.name prefix ("),
    "list operator without list": ("proc.name in (more_shells)", "proc.name in more_shells"),
    "dangling and": ("condition: (evt.type in (execve, execveat))", "condition: (evt.type in (execve, execveat)) and"),
    "empty condition": ("condition: (evt.type in (execve, execveat))", 'condition: ""'),
    "non-scalar list item": ("items: [bash, sh]", "items: [bash, {sh: 1}]"),
    "bad list name": ("- list: more_shells", "- list: more-shells"),
    "bad macro name": ("- macro: in_container", "- macro: 1in_container"),
    "duplicate list": ("  override:\n    items: append\n", ""),
    "override of unknown key": ("    items: append", "    condition: append"),
    "override with bad mode": ("    items: append", "    items: merge"),
    "append and override together": ("    items: append\n", "    items: append\n  append: true\n"),
    "override of undefined rule": ("- rule: Shell\n  enabled: false", "- rule: Shells\n  enabled: false"),
    "no evt.type restriction": ("spawned and in_container", "in_container"),
    "exception with unknown field": ("fields: [proc.name,", "fields: [proc.nam,"),
    "exception values of wrong length": ("values: [[bash, ghcr.io/acme/]]", "values: [[bash]]"),
    "exception comps of wrong length": ("comps: [=, startswith]", "comps: [=]"),
    "not YAML": ("  items: [bash, sh]", "  items: [bash, sh"),
}


@pytest.mark.parametrize("problem", sorted(BAD))
def test_validator_rejects(problem: str) -> None:
    old, new = BAD[problem]
    assert validate(_mutate(old, new)) != [], problem


def test_validator_names_the_problem() -> None:
    assert any("evt.dir" in p and "deprecated" in p for p in validate(_mutate(*BAD["deprecated evt.dir"])))
    assert any("in_containers" in p for p in validate(_mutate(*BAD["undefined macro"])))
    assert any("moar_shells" in p for p in validate(_mutate(*BAD["undefined list"])))
    assert any("urgent" in p for p in validate(_mutate(*BAD["bad priority"])))


@pytest.mark.parametrize("priority", ["EMERGENCY", "alert", "Critical", "ERROR", "notice", "INFORMATIONAL", "debug"])
def test_validator_accepts_every_falco_priority_in_any_case(priority: str) -> None:
    assert validate(GOOD.replace("priority: warning", f"priority: {priority}")) == []


# --- the rendered rules -----------------------------------------------------------------------------------------


def _render(answers: dict[str, Any]) -> dict[str, str]:
    return render_kit(answers=validate_answers(answers))


def _rules_file(answers: dict[str, Any]) -> tuple[str, str]:
    files = _render(answers)
    paths = [path for path in files if path.startswith("runtime/falco/")]
    assert paths == [f"runtime/falco/{answers['name']}-rules.yaml"]
    return paths[0], files[paths[0]]


@pytest.fixture(scope="module", params=CONTAINER_SETS)
def rendered(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any], str]:
    answers = ANSWER_SETS[request.param]
    return request.param, answers, _rules_file(answers)[1]


def test_rules_render_only_for_containers() -> None:
    assert CONTAINER_SETS and NO_CONTAINER_SETS
    for name in NO_CONTAINER_SETS:
        files = _render(ANSWER_SETS[name])
        assert not [path for path in files if path.startswith("runtime/")], name


def test_rendered_rules_pass_the_validator(rendered: tuple[str, dict[str, Any], str]) -> None:
    _, _, text = rendered
    assert validate(text) == []
    assert text.startswith("---\n")


def _id(service: str) -> str:
    return service.replace("-", "_") if service[0].isalpha() else "svc_" + service.replace("-", "_")


def test_rules_cover_the_required_behaviours(rendered: tuple[str, dict[str, Any], str]) -> None:
    _, answers, text = rendered
    refs = rule_references(text)
    container = {"container.id", "container.image.repository"}

    def covering(fields: set[str], values: set[str]) -> list[str]:
        return [n for n, r in refs.items() if fields | container <= r.fields and values <= r.values]

    # A shell in one of the service's containers, and an interactive (kubectl exec -it) terminal shell.
    assert covering({"evt.type", "proc.name"}, {"execve"})
    assert covering({"evt.type", "proc.name", "proc.tty"}, {"execve", "0"})
    # Unexpected outbound connections, against the allowlist.
    outbound = covering({"evt.type", "fd.sip", "fd.sport", "fd.l4proto"}, {"connect"})
    assert outbound
    assert f"{_id(answers['name'])}_allowed_outbound_ports" in refs[outbound[0]].lists
    # Writes below system binary directories.
    assert covering({"evt.type", "evt.is_open_write", "fd.name"}, {"open", "openat"})
    binary_dirs = list_items(text)[f"{_id(answers['name'])}_binary_dirs"]
    assert {"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/lib"} <= set(binary_dirs)


def test_rules_have_priorities_tags_and_outputs(rendered: tuple[str, dict[str, Any], str]) -> None:
    _, answers, text = rendered
    rules = [item for item in yaml.safe_load(text) if "rule" in item]
    assert {rule["priority"] for rule in rules} == {"WARNING", "NOTICE", "CRITICAL"}
    for rule in rules:
        assert answers["name"] in rule["rule"]
        assert answers["name"] in rule["tags"]
        assert any(tag.startswith("mitre_") for tag in rule["tags"]), rule["rule"]
        assert any(re.fullmatch(r"T[0-9]{4}(\.[0-9]{3})?", tag) for tag in rule["tags"]), rule["rule"]
        for output_field in ("container.id", "container.image.repository", "proc.cmdline", "user.name"):
            assert f"%{output_field}" in rule["output"], (rule["rule"], output_field)
        assert "%k8s.ns.name" in rule["output"] and "%k8s.pod.name" in rule["output"]
    outputs = {rule["rule"].split(" ")[0]: rule["output"] for rule in rules}
    assert "%fd.name" in outputs["Unexpected"] and "%fd.name" in outputs["Write"]


def test_dns_is_allowed_by_default(rendered: tuple[str, dict[str, Any], str]) -> None:
    _, answers, text = rendered
    items = list_items(text)
    service = _id(answers["name"])
    assert 53 in items[f"{service}_allowed_outbound_ports"]
    assert {"udp", "tcp"} <= set(items[f"{service}_allowed_outbound_protocols"])


def test_containers_are_identified_by_every_stage_image(rendered: tuple[str, dict[str, Any], str]) -> None:
    _, answers, text = rendered
    from scaffold.kit.registry_layout import stages

    finished = validate_answers(answers).model_dump()
    images = list_items(text)[f"{_id(answers['name'])}_images"]
    for stage in stages(finished):
        assert f'"{stage.image}"' in images
        if stage.host == "docker.io":  # Docker reports Docker Hub images without the host
            assert f'"{stage.repository}"' in images
    assert len(stages(finished)) >= 2


def test_names_contain_the_service_name(rendered: tuple[str, dict[str, Any], str]) -> None:
    _, answers, text = rendered
    names = macro_and_list_names(text)
    assert names
    for name in names:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        assert name.startswith(_id(answers["name"]) + "_"), name


def test_name_suffixes_cannot_collide_across_services() -> None:
    """Names are <service id>_<suffix>; two services can only share a name if one suffix ends with '_' plus
    another (orders + '_allowed_outbound' = orders-allowed + '_outbound'). No suffix may do that."""
    _, text = _rules_file({"name": "orders"})
    suffixes = [name.removeprefix("orders_") for name in macro_and_list_names(text)]
    for a, b in itertools.permutations(suffixes, 2):
        assert not a.endswith("_" + b), (a, b)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("orders", "storefront"),
        ("orders", "orders-allowed"),
        ("orders", "orders-binary"),
        ("shop-api", "shop"),
        ("a", "a-images"),
        ("9lives", "lives"),
    ],
)
def test_two_services_have_disjoint_names(first: str, second: str) -> None:
    names_first = macro_and_list_names(_rules_file({"name": first})[1])
    names_second = macro_and_list_names(_rules_file({"name": second})[1])
    assert names_first and names_second
    assert names_first.isdisjoint(names_second)
    rules_first = {item["rule"] for item in yaml.safe_load(_rules_file({"name": first})[1]) if "rule" in item}
    rules_second = {item["rule"] for item in yaml.safe_load(_rules_file({"name": second})[1]) if "rule" in item}
    assert rules_first.isdisjoint(rules_second)


def test_all_answer_sets_have_pairwise_disjoint_names() -> None:
    names = {n: macro_and_list_names(_rules_file(ANSWER_SETS[n])[1]) for n in CONTAINER_SETS}
    for a, b in itertools.combinations(CONTAINER_SETS, 2):
        assert names[a].isdisjoint(names[b]), (a, b)


def test_a_service_name_starting_with_a_digit_gets_a_letter_prefix() -> None:
    _, text = _rules_file({"name": "9lives"})
    assert validate(text) == []
    assert all(name.startswith("svc_9lives_") for name in macro_and_list_names(text))


def test_the_longest_service_name_still_validates() -> None:
    name = "a" + "-b" * 30 + "c"
    assert len(name) <= 63
    path, text = _rules_file({"name": name})
    assert validate(text) == []
    assert max(len(line) for line in text.splitlines()) <= 120, path


def test_readme_explains_loading_tuning_and_ci() -> None:
    files = _render({"name": "orders"})
    readme = files["runtime/README.md"]
    assert "falco -r" in readme and "customRules" in readme
    assert "orders_allowed_outbound_ports" in readme and "override" in readme
    assert "structurally" in readme and "cannot run in CI" in readme


# --- yamllint with the kit's own configuration -----------------------------------------------------------------


@pytest.mark.validators
@pytest.mark.parametrize("name", CONTAINER_SETS)
def test_rendered_rules_pass_yamllint(name: str, kit_dir: Any) -> None:
    kit: Path = kit_dir(name)
    rules = sorted((kit / "runtime" / "falco").glob("*.yaml"))
    assert len(rules) == 1
    result = subprocess.run(
        [checkers.tool("yamllint"), "-s", "-f", "parsable", "-c", ".yamllint.yml", *map(str, rules)],
        cwd=kit,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.validators
def test_long_service_name_passes_yamllint(tmp_path: Path) -> None:
    name = "a" + "-b" * 30 + "c"
    files = _render({"name": name})
    for path in (".yamllint.yml", f"runtime/falco/{name}-rules.yaml"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(files[path])
    result = subprocess.run(
        [checkers.tool("yamllint"), "-s", "-f", "parsable", "-c", ".yamllint.yml", "runtime"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
