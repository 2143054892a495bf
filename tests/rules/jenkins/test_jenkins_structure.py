"""The declarative structure check of the test suite (``tests.support.jenkins_structure``) on the Groovy reader."""

from __future__ import annotations

import re
import textwrap

import pytest

from scaffold.rules.jenkins.groovy import Source, Statement
from tests.support.jenkins_structure import declarative_problems

IMAGE = "python:3.13@sha256:" + "0" * 64  # a placeholder digest: tests only

VALID = textwrap.dedent(f"""\
    // Every stage runs in a container pinned by digest; nothing runs on the controller.
    pipeline {{
        agent none
        options {{
            timeout(time: 30, unit: 'MINUTES')
            disableConcurrentBuilds()
            timestamps()
            buildDiscarder(logRotator(numToKeepStr: '20'))
        }}
        environment {{
            PIP_DISABLE_PIP_VERSION_CHECK = '1'
        }}
        stages {{
            stage('Check') {{
                failFast true
                parallel {{
                    stage('Lint') {{
                        agent {{
                            docker {{
                                image '{IMAGE}'
                                args '--entrypoint='
                            }}
                        }}
                        steps {{
                            sh 'python -m pip install --require-hashes -r requirements.txt'
                            sh 'ruff check .'
                        }}
                    }}
                    stage('Test') {{
                        agent {{ docker {{ image '{IMAGE}'; args '--entrypoint=' }} }}
                        steps {{
                            sh '''
                                python -m pip install --require-hashes -r requirements.txt
                                python -m pytest -q
                            '''
                        }}
                        post {{
                            always {{ junit 'reports/*.xml' }}
                        }}
                    }}
                }}
            }}
            stage('Publish') {{
                when {{
                    beforeAgent true
                    anyOf {{ branch 'main'; buildingTag() }}
                }}
                agent {{ docker {{ image '{IMAGE}'; args '--entrypoint=' }} }}
                input {{
                    message 'Publish this build?'
                    ok 'Publish'
                }}
                steps {{
                    withCredentials([
                        usernamePassword(credentialsId: 'registry', usernameVariable: 'REGISTRY_USER',
                                         passwordVariable: 'REGISTRY_TOKEN'),
                    ]) {{
                        sh 'printf %s "$REGISTRY_TOKEN" | docker login -u "$REGISTRY_USER" --password-stdin ghcr.io'
                    }}
                }}
            }}
        }}
        post {{
            always {{ cleanWs() }}
        }}
    }}
    """)


def test_valid_pipeline_has_no_problems() -> None:
    assert declarative_problems(VALID) == []


def _walk(source: Source, statement: Statement) -> list[Statement]:
    return list(source.walk(statement.block))


def test_valid_pipeline_reads_into_the_expected_tree() -> None:
    source = Source(VALID)
    (pipeline,) = source.top
    assert pipeline.block is not None
    assert [child.name for child in source.statements(pipeline.block)] == [
        "agent",
        "options",
        "environment",
        "stages",
        "post",
    ]
    stages = [node for node in _walk(source, pipeline) if node.name == "stage"]
    assert [source.arguments(node)[0].value for node in stages] == ["Check", "Lint", "Test", "Publish"]
    images = [source.arguments(node)[0].value for node in _walk(source, pipeline) if node.name == "image"]
    assert images == [IMAGE] * 3
    assert all(re.fullmatch(r"[^@]+@sha256:[0-9a-f]{64}", image) for image in images)
    shell_steps = [node for node in _walk(source, pipeline) if node.name == "sh"]
    assert len(shell_steps) == 4
    assert not any(literal.interpolates for node in shell_steps for literal in source.arguments(node))
    (credentials,) = [node for node in _walk(source, pipeline) if node.name == "withCredentials"]
    assert credentials.block is not None
    assert [child.name for child in credentials.block.statements] == ["sh"]
    assert source.position(credentials.start)[0] == 54


def stage_pipeline(stage_lines: str, name: str = "'Build'") -> str:
    """A pipeline whose only stage, on line 4, holds these lines (which start on line 5)."""
    body = textwrap.indent(textwrap.dedent(stage_lines).rstrip("\n") + "\n", " " * 12)
    return f"pipeline {{\n    agent none\n    stages {{\n        stage({name}) {{\n{body}        }}\n    }}\n}}\n"


MINIMAL = stage_pipeline("steps { sh 'make' }")


def test_helper_pipeline_is_valid() -> None:
    assert declarative_problems(MINIMAL) == []
    source = Source(MINIMAL)
    (stage,) = [statement for statement in source.walk() if statement.name == "stage"]
    assert stage.block is not None
    lines = [source.position(statement.start)[0] for statement in (stage, stage.block.statements[0])]
    assert lines == [4, 5]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("pipeline {\n  agent none\n", ["syntax error: line 1: '{' is never closed"], id="syntax"),
        pytest.param(
            "pipeline {\n  agent none\n  stages { stage('a') { steps { sh 'x } } }\n}\n",
            [
                "syntax error: line 1: '{' is never closed",
                "syntax error: line 3: '{' is never closed",
                "syntax error: line 3: '{' is never closed",
                "syntax error: line 3: unterminated string",
            ],
            id="unterminated-string",
        ),
        pytest.param("{" * 201, ["syntax error: blocks nested deeper than 200 levels at line 1"], id="nesting"),
        pytest.param("", ["expected exactly one top-level statement, found 0"], id="empty"),
        pytest.param(
            MINIMAL + "node {\n}\n",
            [
                "expected exactly one top-level statement, found 2",
                "line 9: top-level statement is not 'pipeline { ... }': node",
            ],
            id="two-top-level",
        ),
        pytest.param(
            "node {\n    sh 'make'\n}\n",
            ["line 1: top-level statement is not 'pipeline { ... }': node"],
            id="not-pipeline",
        ),
        pytest.param(
            MINIMAL.replace("    agent none\n", ""),
            ["line 1: pipeline has no 'agent' directive"],
            id="no-agent",
        ),
        pytest.param(
            MINIMAL.replace("    agent none\n", "    agent none\n    agent any\n"),
            ["line 3: 'agent' appears more than once in pipeline"],
            id="duplicate-section",
        ),
        pytest.param(
            MINIMAL.replace("    agent none\n", "    agent none\n    steps { sh 'make' }\n"),
            ["line 3: 'steps' is not allowed in pipeline"],
            id="unknown-section",
        ),
        pytest.param("pipeline {\n    agent none\n}\n", ["line 1: pipeline has no 'stages' section"], id="no-stages"),
        pytest.param(
            "pipeline {\n    agent none\n    stages {\n    }\n}\n",
            ["line 3: 'stages' has no stages"],
            id="empty-stages",
        ),
        pytest.param(
            "pipeline {\n    agent none\n    stages {\n        sh 'make'\n    }\n}\n",
            ["line 4: 'stages' may only hold stage(...) blocks, found: sh 'make'"],
            id="stages-non-stage",
        ),
        pytest.param(
            stage_pipeline("steps { sh 'make' }", name='"Build"'),
            ['line 4: stage name is not a single-quoted string literal: stage("Build")'],
            id="stage-double-quoted",
        ),
        pytest.param(
            stage_pipeline("steps { sh 'make' }", name="'Bu' + 'ild'"),
            ["line 4: stage name is not a single-quoted string literal: stage('Bu' + 'ild')"],
            id="stage-expression",
        ),
        pytest.param(
            stage_pipeline("steps { sh 'make' }", name="env.STAGE"),
            ["line 4: stage name is not a single-quoted string literal: stage(env.STAGE)"],
            id="stage-variable",
        ),
        pytest.param(
            stage_pipeline("agent any\n"),
            ["line 4: stage 'Build' must hold exactly one of steps, parallel, stages, matrix; found none"],
            id="stage-no-body",
        ),
        pytest.param(
            stage_pipeline("""\
                steps { sh 'make' }
                parallel {
                    stage('A') { steps { sh 'a' } }
                }
                """),
            ["line 4: stage 'Build' must hold exactly one of steps, parallel, stages, matrix; found steps, parallel"],
            id="stage-two-bodies",
        ),
        pytest.param(
            stage_pipeline("steps { sh 'make' }\nscript { sh 'x' }\n"),
            ["line 6: 'script' is not allowed in stage 'Build'"],
            id="stage-unknown-directive",
        ),
        pytest.param(
            stage_pipeline("parallel {\n    sh 'a'\n}\n"),
            ["line 6: 'parallel' may only hold stage(...) blocks, found: sh 'a'"],
            id="parallel-non-stage",
        ),
        pytest.param(
            stage_pipeline("parallel {\n    stage('A') { agent any }\n}\n"),
            ["line 6: stage 'A' must hold exactly one of steps, parallel, stages, matrix; found none"],
            id="parallel-stage-checked",
        ),
        pytest.param(
            stage_pipeline("stages {\n    stage(\"Inner\") { steps { sh 'a' } }\n}\n"),
            ['line 6: stage name is not a single-quoted string literal: stage("Inner")'],
            id="nested-stages-checked",
        ),
        pytest.param(
            MINIMAL.replace("}\n}\n", "}\n    post {\n        finally { cleanWs() }\n    }\n}\n"),
            ["line 9: unknown post condition 'finally'"],
            id="pipeline-post",
        ),
        pytest.param(
            stage_pipeline("steps { sh 'make' }\npost {\n    success { echo 'ok' }\n    done { echo 'x' }\n}\n"),
            ["line 8: unknown post condition 'done'"],
            id="stage-post",
        ),
        pytest.param(
            MINIMAL.replace(
                "    agent none\n", "    agent none\n    options {\n        timestamps()\n        retry 3\n    }\n"
            ),
            ["line 5: options entry is not a call: retry 3"],
            id="options-not-call",
        ),
        pytest.param(
            stage_pipeline("options { timeout 30 }\nsteps { sh 'make' }\n"),
            ["line 5: options entry is not a call: timeout 30"],
            id="stage-options-not-call",
        ),
        pytest.param(
            stage_pipeline("when { branchName 'main' }\nsteps { sh 'make' }\n"),
            ["line 5: unknown when condition 'branchName'"],
            id="when-unknown",
        ),
        pytest.param(
            stage_pipeline(
                "when {\n    anyOf {\n        branch 'main'\n        not { isTag() }\n    }\n}\nsteps { sh 'make' }\n"
            ),
            ["line 8: unknown when condition 'isTag'"],
            id="when-nested-unknown",
        ),
    ],
)
def test_structure_problems(text: str, expected: list[str]) -> None:
    assert declarative_problems(text) == expected
