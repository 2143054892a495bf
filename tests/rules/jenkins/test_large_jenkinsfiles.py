"""Jenkins rules and the Groovy reader on large generated Jenkinsfiles: each finding is still the right one, and
reading the file takes time linear in its size (``hang_guard`` ends a run that regressed; no timing is asserted)."""

from __future__ import annotations

from scaffold.rules.catalog import REGISTRY
from scaffold.rules.jenkins.groovy import Source, credential_scopes, names_bound_at
from scaffold.rules.model import Finding
from scaffold.rules.runner import audit_tree
from tests.support.hang_guard import hang_guard

MANY = 3000


def _audit(rule_id: str, text: str) -> list[Finding]:
    rules = [rule for rule in REGISTRY if rule.id == rule_id]
    with hang_guard():
        report = audit_tree({"Jenkinsfile": text}, rules=rules)
    assert report.errors == []
    return report.findings


def _declarative(environment: str, stages: str) -> str:
    return f"pipeline {{\n  agent any\n  environment {{\n{environment}  }}\n  stages {{\n{stages}  }}\n}}\n"


def test_many_credentials_and_steps_give_one_finding_per_interpolated_credential() -> None:
    environment = "".join(f"    C{number} = credentials('c{number}')\n" for number in range(MANY))
    step = '        sh "deploy --token $C{number} $OTHER"\n'
    stages = "".join(
        f"    stage('s{number}') {{\n      steps {{\n{step.format(number=number)}      }}\n    }}\n"
        for number in range(MANY)
    )
    findings = _audit("jenkins-groovy-credential-interpolation", _declarative(environment, stages))
    assert len(findings) == MANY
    assert findings[-1].message == (
        f"stage s{MANY - 1}: sh expands credential C{MANY - 1} with Groovy interpolation; "
        "use a single-quoted string so the shell reads it"
    )


def test_names_bound_at_answers_each_query_with_the_names_of_the_scopes_around_it() -> None:
    source = Source(
        "withCredentials([string(credentialsId: 'a', variable: 'A')]) {\n"  # scope A: the whole first block
        "  withCredentials([string(credentialsId: 'b', variable: 'B')]) {\n    sh \"x\"\n  }\n"
        '  sh "y"\n}\nsh "z"\n'
    )
    scopes = credential_scopes(source)
    offsets = [source.text.index(f'"{name}"') for name in "xyz"]
    wanted = {"A", "B", "C"}
    assert names_bound_at(scopes, [(offset, wanted) for offset in reversed(offsets)]) == [set(), {"A"}, {"A", "B"}]
    assert names_bound_at(scopes, [(offsets[0], {"B"}), (offsets[0], {"C"})]) == [{"B"}, set()]


def test_a_scan_that_only_joined_continued_lines_spell_is_not_judged() -> None:
    scan = "    stage('Scan') {{\n      steps {{\n        sh '''\n          {command}\n        '''\n      }}\n    }}\n"
    joined = _declarative("", scan.format(command="trivy fs --exit-code 0 ."))
    continued = _declarative("", scan.format(command="trivy \\\n            fs --exit-code 0 ."))
    assert [finding.message for finding in _audit("jenkins-disabled-scan", joined)] == [
        "stage Scan: trivy fs (dependency-scan) cannot fail the build: --exit-code 0 never fails"
    ]
    assert _audit("jenkins-disabled-scan", continued) == []


def test_many_neutralised_scans_are_one_finding_per_stage() -> None:
    stages = "".join(
        f"    stage('s{number}') {{\n      steps {{\n        sh 'gitleaks detect || true'\n      }}\n    }}\n"
        for number in range(MANY)
    )
    findings = _audit("jenkins-disabled-scan", _declarative("", stages))
    assert [finding.line for finding in findings] == [8 + 5 * number for number in range(MANY)]


def test_the_reader_finds_every_literal_and_step_of_a_large_file() -> None:
    piece = (
        'sh "echo ${{env.A}} \\" $B {number}"\n'  # an interpolation and an escaped quote
        "bat(script: '''dir\n{number}''')\n"  # a step with a named script over two lines
        "def r = /a\\/b{number}/\n"  # a slashy string with an escaped slash
        "// sh 'not a step'\n"
    )
    with hang_guard():
        source = Source("".join(piece.format(number=number) for number in range(MANY)))
        steps = source.step_scripts()
    assert len(source.literals) == 3 * MANY
    assert [step for step, _ in steps[:2]] == ["sh", "bat"]
    assert len(steps) == 2 * MANY
    assert steps[-1][1].value == f"dir\n{MANY - 1}"
    assert source.problems == []


def test_long_strings_comments_and_slashes_are_read_in_linear_time() -> None:
    texts = (
        '"' + "\\x" * 200_000,  # an unclosed string full of escapes
        '"' + "${" * 100_000,  # interpolations that never close
        "x = 1 " + "/ 2 " * 100_000,  # divisions, no slashy string
        "/*" + " " * 400_000,  # an unclosed comment
        "'" + "a" * 400_000 + "\n" + "{" * 150 + "}" * 150,
    )
    with hang_guard():
        for text in texts:
            Source(text)
