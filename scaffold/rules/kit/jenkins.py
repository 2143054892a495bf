"""The kit's controls as Jenkinsfiles show them: a judge for each control whose kit form the file rules do not
judge whole. ``timeouts`` (jenkins-missing-timeout) and ``pinned-dependencies`` (jenkins-unpinned-agent-image,
jenkins-unpinned-library) are left to file rules. The judges read the statements of the one Groovy reader and the
shell commands of ``scaffold.rules.jenkins.pipeline``; a scan counts only when its stage can run and the scan can
fail the build.

Every finding names its stage (``stage NAME``) or, for the pipeline as a whole, what it misses; a control found
nowhere is reported at the first ``pipeline {`` (line 1 of the file when there is none, or of ``Jenkinsfile`` when
the repository has no readable Jenkinsfile at all).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from scaffold.rules.common import installs
from scaffold.rules.common.scans import NON_BLOCKING, SCANS
from scaffold.rules.document import Document
from scaffold.rules.jenkins.groovy import Block, Source, interpolated_names, read, release_only
from scaffold.rules.jenkins.pipeline import (
    Command,
    cannot_fail,
    commands,
    commands_in,
    enclosing_stages,
    pipelines,
    remembered,
    scan_controls,
    stage_of,
    step_stages,
    subject,
    switched_off,
)
from scaffold.rules.kit.judge import Judge, absent, at
from scaffold.rules.model import Kind
from scaffold.rules.tree import Located

_KIND = Kind.JENKINSFILE


@dataclass(frozen=True)
class _File:
    document: Document
    source: Source

    def at(self, offset: int, message: str, subject: str) -> Located:
        line, column = self.source.position(offset)
        return at(self.document, line, column, message, subject)


Check = Callable[[list[_File]], Iterator[Located]]


def _judge(check: Check) -> Callable[[list[Document]], Iterator[Located]]:
    """A judge over the documents: each read once (the runner refused any the reader cannot read)."""

    def judge(documents: list[Document]) -> Iterator[Located]:
        files = [_File(document, read(document.text)) for document in documents]
        if not files:
            yield from absent(documents, _KIND, "no readable Jenkinsfile: the pipeline that keeps this control is gone")
            return
        yield from check(files)

    return judge


def _missing(files: list[_File], message: str, about: str) -> Iterator[Located]:
    """The control is nowhere in the files: report it at the first ``pipeline {``, else on line 1."""
    for file in files:
        for pipeline in pipelines(file.source):
            yield file.at(pipeline.start, f"pipeline: {message}", about)
            return
    yield files[0].at(0, f"pipeline: {message}", about)


def _commands(files: list[_File]) -> Iterator[tuple[_File, Command]]:
    for file in files:
        for command in commands(file.source):
            yield file, command


def _problem(file: _File, command: Command, what: str, reason: str, offset: int | None = None) -> Located:
    name = subject(file.source, command.stage)
    return file.at(command.offset if offset is None else offset, f"{name}: {what} {reason}", name)


def _failing(file: _File, command: Command, tool: re.Pattern[str], what: str) -> Located | None:
    """The finding when the command running ``tool`` cannot run or fail the build, else None."""
    match = tool.search(command.text)
    why = cannot_fail(file.source, command, match.start() if match else 0)
    if why is None:
        return None
    offset, reason = why
    return _problem(file, command, what, f"cannot fail the build: {reason}", offset)


# Pipeline options: one finding per pipeline without the option (a scripted Jenkinsfile: anywhere in its code).


def _option(files: list[_File], call: re.Pattern[str], message: str, about: str) -> Iterator[Located]:
    for file in files:
        blocks = pipelines(file.source)
        if not blocks and not call.search(file.source.code):
            yield file.at(0, message, about)
        for pipeline in blocks:
            options = file.source.sections(pipeline, "options")
            if not any(call.search(file.source.code, block.open, block.close) for block in options):
                yield file.at(options[0].start if options else pipeline.start, f"pipeline: {message}", about)


_CONCURRENCY = re.compile(r"(?<![\w.$])disableConcurrentBuilds\s*\(")
_DISCARDER = re.compile(r"(?<![\w.$])buildDiscarder\s*\(\s*logRotator\s*\(")


@_judge
def no_duplicate_runs(files: list[_File]) -> Iterator[Located]:
    message = "no disableConcurrentBuilds() in options, so two builds of one branch run at once"
    yield from _option(files, _CONCURRENCY, message, "pipeline options disableConcurrentBuilds")


@_judge
def artifact_hygiene(files: list[_File]) -> Iterator[Located]:
    message = "no buildDiscarder(logRotator(...)) in options, so every build's logs and artifacts are kept"
    yield from _option(files, _DISCARDER, message, "pipeline options buildDiscarder")
    for file in files:
        for stage in step_stages(file.source):
            if not _cleans(file.source, stage):
                name = subject(file.source, stage)
                message = f"{name}: no cleanWs() in post {{ always }}, so its workspace stays on the agent"
                yield file.at(stage.start, message, name)


_CLEAN = frozenset({"cleanWs", "deleteDir"})


def _holders(source: Source, stage: Block) -> list[Block]:
    """The stage, the stages around it and the pipeline, innermost first."""
    return enclosing_stages(stage) + [block for block in source.innermost(stage.start) if block.head == "pipeline"]


def _cleans(source: Source, stage: Block) -> bool:
    """Whether the stage, a stage around it or the pipeline cleans the workspace in ``post { always }`` (or
    ``cleanup``)."""
    return any(
        remembered(source, "cleans", id(holder), functools.partial(_cleans_itself, source, holder))
        for holder in _holders(source, stage)
    )


def _cleans_itself(source: Source, holder: Block) -> bool:
    return any(
        statement.name in _CLEAN
        for post in source.sections(holder, "post")
        for condition in source.sections(post, "always") + source.sections(post, "cleanup")
        for statement in source.walk(condition)
    )


# Credentials and the token.

_CREDENTIALS = re.compile(r"=\s*credentials\s*\(")
_CREDENTIAL_ID = re.compile(r"credentialsId\s*:\s*\Z")


@_judge
def least_privilege_token(files: list[_File]) -> Iterator[Located]:
    for file in files:
        for pipeline in pipelines(file.source):
            for environment in file.source.sections(pipeline, "environment"):
                for statement in file.source.statements(environment):
                    if _CREDENTIALS.search(statement.head):
                        message = (
                            f"pipeline: environment binds credentials {statement.name} for every stage; bind each "
                            "credential around the one step that needs it"
                        )
                        yield file.at(statement.start, message, f"pipeline environment {statement.name}")


def _credential_ids(source: Source, block: Block) -> list[str]:
    return [
        literal.value
        for literal in source.head_literals(block)
        if _CREDENTIAL_ID.search(source.code[max(block.start, literal.start - 40) : literal.start])
    ]


@_judge
def scoped_secrets(files: list[_File]) -> Iterator[Located]:
    for file in files:
        yield from _interpolations(file)
        for block in file.source.blocks:
            if block.name == "withCredentials":
                yield from _binding(file, block)


def _interpolations(file: _File) -> Iterator[Located]:
    source = file.source
    for step, literal in source.step_scripts():
        names = sorted({name for _, name in interpolated_names(literal.value)}) if literal.interpolates else []
        if names:
            name = subject(source, stage_of(source, literal.start))
            shown = ", ".join(names)
            message = f"{name}: {step} interpolates {shown} with Groovy; use a single-quoted string"
            yield file.at(literal.start, message, f"{name}, {step} interpolating {shown}")


def _in_release_stage(source: Source, offset: int) -> bool:
    """Whether a stage around the offset runs only for branches or tags (``groovy.release_only``)."""
    return any(
        remembered(source, "release only", id(block), functools.partial(release_only, source, block))
        for block in source.innermost(offset)
        if block.name == "stage"
    )


def _binding(file: _File, block: Block) -> Iterator[Located]:
    source = file.source
    name = subject(source, stage_of(source, block.start))
    ids = ", ".join(_credential_ids(source, block)) or "credentials"
    if not _in_release_stage(source, block.start):
        message = f"{name}: withCredentials binds {ids} in a stage a pull request build runs"
        yield file.at(block.start, message, f"{name}, withCredentials {ids}")
    steps = [statement.name for statement in source.statements(block)]
    if steps != ["sh"]:
        message = f"{name}: withCredentials around {ids} wraps {len(steps)} steps, not exactly one sh step"
        yield file.at(block.start, message, f"{name}, withCredentials {ids} steps")


_ID_TOKEN = re.compile(r"(?:^|[-_])(?:id[-_]?token|oidc)(?:$|[-_])", re.IGNORECASE)


@_judge
def cloud_oidc(files: list[_File]) -> Iterator[Located]:
    bound = False
    for file in files:
        source = file.source
        for block in source.blocks:
            literals = source.head_literals(block) if block.name == "withCredentials" else []
            if not any(_ID_TOKEN.search(literal.value) for literal in literals):
                continue
            bound = True
            if not _in_release_stage(source, block.start):
                name = subject(source, stage_of(source, block.start))
                message = f"{name}: binds the cloud id token in a stage a pull request build runs"
                yield file.at(block.start, message, f"{name}, cloud id token")
    if not bound:
        message = "no stage binds an OpenID Connect id-token credential (withCredentials) for the cloud login"
        yield from _missing(files, message, "cloud id token")


# Stages: agents, release gates, approval.

_EPHEMERAL = frozenset({"docker", "dockerfile", "kubernetes"})
_RELEASE_NAME = re.compile(r"(?:publish|deploy|release|sign)", re.IGNORECASE)


def _agent(source: Source, stage: Block) -> tuple[Block | None, str]:
    """The agent a stage runs on: the block and head of its own ``agent``, else of the nearest stage around it or
    of the pipeline (``agent none`` has no block)."""
    for holder in _holders(source, stage):
        for statement in remembered(source, "agent", id(holder), functools.partial(source.find, holder, "agent")):
            return statement.block, statement.head
    return None, ""


@_judge
def isolated_runners(files: list[_File]) -> Iterator[Located]:
    for file in files:
        for stage in step_stages(file.source):
            block, head = _agent(file.source, stage)
            kinds = {statement.name for statement in file.source.statements(block)} if block else set()
            if not kinds & _EPHEMERAL:
                name = subject(file.source, stage)
                shown = " ".join(head.split()) if head else "no agent"
                message = f"{name}: runs on {shown}, not on an ephemeral docker or kubernetes agent"
                yield file.at(stage.start, message, name)


def _release_stages(files: list[_File]) -> Iterator[tuple[_File, Block]]:
    for file in files:
        for stage in step_stages(file.source):
            if _RELEASE_NAME.match(file.source.stage_name(stage)):
                yield file, stage


_BEFORE_AGENT = re.compile(r"beforeAgent\s+true")


@_judge
def protected_release(files: list[_File]) -> Iterator[Located]:
    found = False
    for file, stage in _release_stages(files):
        found = True
        source, name = file.source, subject(file.source, stage)
        whens = source.sections(stage, "when")
        place = whens[0].start if whens else stage.start
        if not release_only(source, stage):
            message = f"{name}: runs for pull requests; limit it with when {{ anyOf {{ branch ...; buildingTag() }} }}"
            yield file.at(place, message, name)
        elif not any(_BEFORE_AGENT.fullmatch(statement.head) for statement in source.statements(whens[0])):
            yield file.at(place, f"{name}: starts its agent before its when condition (no beforeAgent true)", name)
    if not found:
        yield from _missing(files, "no publish or deploy stage", "release stages")


def _deploy_stages(files: list[_File]) -> list[tuple[_File, Block]]:
    return [
        (file, stage)
        for file in files
        for stage in step_stages(file.source)
        if file.source.stage_name(stage).lower().startswith("deploy")
    ]


@_judge
def deploy_approval(files: list[_File]) -> Iterator[Located]:
    deploys = _deploy_stages(files)
    if not deploys:
        yield from _missing(files, "no deploy stage", "deploy stages")
        return
    file, stage = deploys[-1]
    if not any(statement.name == "input" for statement in file.source.walk(stage)):
        name = subject(file.source, stage)
        yield file.at(stage.start, f"{name}: deploys to production without an input approval", name)


# Shell commands: installs, tracing, the image build, signing and verification.


@_judge
def locked_installs(files: list[_File]) -> Iterator[Located]:
    reported: set[tuple[int, str]] = set()
    for file, command in _commands(files):
        for found in installs.unlocked(command.text):
            name = subject(file.source, command.stage)
            if (id(file), f"{name} {found.verb}") not in reported:
                reported.add((id(file), f"{name} {found.verb}"))
                yield file.at(command.offset, f"{name}: {found.verb}", f"{name}, {found.verb}")


@_judge
def no_debug_tracing(files: list[_File]) -> Iterator[Located]:
    for file, command in _commands(files):
        if installs.tracing(command.text):
            name = subject(file.source, command.stage)
            message = f"{name}: turns on shell tracing, which prints every expanded command, secrets included"
            yield file.at(command.offset, message, f"{name}, shell tracing")


# A rootless image build: BuildKit's daemonless script (in its rootless image) or kaniko's executor.
_ROOTLESS_BUILD = re.compile(r"\bbuildctl-daemonless\.sh\b|/kaniko/executor\b")
_DOCKER_BUILD = re.compile(r"\bdocker\s+(?:buildx\s+)?build\b")
_GROOVY_DOCKER_BUILD = re.compile(r"(?<![\w$.])docker\.build\s*\(")


@_judge
def rootless_image_build(files: list[_File]) -> Iterator[Located]:
    rootless = False
    for file, command in _commands(files):
        if _ROOTLESS_BUILD.search(command.text):
            rootless = True
            yield from _optional(_failing(file, command, _ROOTLESS_BUILD, "the rootless image build"))
        if _DOCKER_BUILD.search(command.text):
            yield _problem(file, command, "builds", "with a Docker daemon (docker build), which runs as root")
    for file in files:
        yield from _privileged(file)
    if not rootless:
        yield from _missing(files, "no stage builds the image rootless (BuildKit or kaniko)", "rootless image build")


def _privileged(file: _File) -> Iterator[Located]:
    source = file.source
    for statement in source.walk():
        if statement.name == "args" and any("--privileged" in arg.value for arg in source.arguments(statement)):
            name = subject(source, stage_of(source, statement.start))
            yield file.at(statement.start, f"{name}: its agent runs privileged (--privileged)", f"{name}, privileged")
    for match in _GROOVY_DOCKER_BUILD.finditer(source.code):
        name = subject(source, stage_of(source, match.start()))
        yield file.at(match.start(), f"{name}: builds with a Docker daemon (docker.build)", f"{name}, docker.build")


def _optional(item: Located | None) -> Iterable[Located]:
    return () if item is None else (item,)


_SIGN = re.compile(r"\bcosign\s+sign\b")
_ATTEST = re.compile(r"\bcosign\s+attest\b")
_BY_DIGEST = re.compile(r"@\$|@sha256:")
_SBOM_PREDICATE = re.compile(r"--predicate[\s=]+\S*sbom")


@_judge
def signing(files: list[_File]) -> Iterator[Located]:
    for step, tool, needs, what in (
        ("cosign sign", _SIGN, _BY_DIGEST, "signs the image by digest"),
        ("cosign attest", _ATTEST, _SBOM_PREDICATE, "attests the SBOM"),
    ):
        found = False
        for file, command in _commands(files):
            match = tool.search(command.text)
            if match is None or needs.search(command.text, match.end()) is None:
                continue
            found = True
            yield from _optional(_failing(file, command, tool, step))
        if not found:
            yield from _missing(files, f"no stage {what} with {step}", step)


_DEPLOY_COMMAND = re.compile(
    r"\bdeploy/deploy\.sh\b|\bkubectl\s+(?:apply|set|rollout)\b|\bhelm\s+(?:upgrade|install)\b"
)


@_judge
def verify_before_deploy(files: list[_File]) -> Iterator[Located]:
    deploys = _deploy_stages(files)
    if not deploys:
        yield from _missing(files, "no deploy stage", "deploy stages")
    verify_pattern = SCANS["verify-before-deploy"]
    for file, stage in deploys:
        runs = commands_in(file.source, stage)
        verify = next((command for command in runs if verify_pattern.search(command.text)), None)
        deploy = next((command for command in runs if _DEPLOY_COMMAND.search(command.text)), None)
        name = subject(file.source, stage)
        if verify is None:
            yield file.at(stage.start, f"{name}: deploys without verifying the image signature (cosign verify)", name)
        elif deploy is not None and deploy.offset < verify.offset:
            yield file.at(deploy.offset, f"{name}: deploys before it verifies the image signature", name)
        else:
            yield from _optional(_failing(file, verify, verify_pattern, "the signature check"))


# Scans and gates: recognised by the shared table, each must be able to run and fail.


@dataclass(frozen=True)
class _Gate:
    """A tool that passes whatever it finds unless a flag makes it fail."""

    tool: re.Pattern[str]
    flag: re.Pattern[str]
    missing: str


_TRIVY = _Gate(re.compile(r"\btrivy\b"), re.compile(r"--exit-code(?:=|\s+)[\"']?[1-9]"), "trivy without --exit-code 1")
_GRYPE = _Gate(re.compile(r"\bgrype\b"), re.compile(r"--fail-on\b|-f\s"), "grype without --fail-on")
_GATES: dict[str, tuple[_Gate, ...]] = {
    "secret-scan": (_Gate(re.compile(r"\btrufflehog\b"), re.compile(r"--fail\b"), "trufflehog without --fail"),),
    "sast": (_Gate(re.compile(r"\bsemgrep\b(?!\s+ci\b)"), re.compile(r"--error\b"), "semgrep without --error"),),
    "dependency-scan": (_TRIVY, _GRYPE),
    "image-scan": (_TRIVY, _GRYPE),
}
_SCANS_WHAT = {
    "secret-scan": "a secret scan (gitleaks) over the history",
    "sast": "a SAST scan (semgrep)",
    "dependency-scan": "a dependency scan (trivy fs)",
    "image-scan": "a scan of the built image (trivy image)",
    "sbom": "an SBOM generator (trivy --format cyclonedx)",
    "coverage-gate": "tests with the coverage gate (COVERAGE_MIN)",
}


def _scan_judge(control: str) -> Callable[[list[Document]], Iterator[Located]]:
    @_judge
    def judge(files: list[_File]) -> Iterator[Located]:
        found = False
        reported: set[tuple[int, Block | None]] = set()
        for file, command in _commands(files):
            if control not in scan_controls(command.text):
                continue
            found = True
            problem = None if (id(file), command.stage) in reported else _scan_problem(file, command, control)
            if problem is not None:
                reported.add((id(file), command.stage))
                yield problem
        if not found:
            yield from _missing(files, f"no stage runs {_SCANS_WHAT[control]}", control)

    return judge


def _scan_problem(file: _File, command: Command, control: str) -> Located | None:
    tool = SCANS[control]
    match = tool.search(command.text)
    what = f"{' '.join(match.group().split()) if match else control} ({control})"
    failing = _failing(file, command, tool, what)
    if failing is not None:
        return failing
    for gate in _GATES.get(control, ()):
        if gate.tool.search(command.text) and not gate.flag.search(command.text):
            return _problem(file, command, what, f"cannot fail the build: {gate.missing}")
    if control == "coverage-gate" and not _threshold_set(file.source, command):
        return _problem(file, command, what, "reads COVERAGE_MIN, which no environment of the pipeline sets")
    return None


_READS_MINIMUM = re.compile(r"\$\{?COVERAGE_MIN\b")
_SETS_MINIMUM = re.compile(r"(?:^|[\s;&])(?:export\s+)?COVERAGE_MIN=")
_ENVIRONMENT_MINIMUM = re.compile(r"COVERAGE_MIN\s*=")


def _threshold_set(source: Source, command: Command) -> bool:
    """Whether the ``COVERAGE_MIN`` a command reads is set: in an ``environment`` of the pipeline or of a stage
    around the command, by ``withEnv(['COVERAGE_MIN=...'])`` or in the script itself."""
    if not _READS_MINIMUM.search(command.text):
        return True
    script = command.script
    if remembered(source, "sets minimum", id(script), functools.partial(_SETS_MINIMUM.search, script.value)):
        return True
    return any(
        remembered(source, "sets minimum", id(block), functools.partial(_sets_minimum, source, block))
        for block in source.innermost(script.start)
        if block.name in ("stage", "withEnv") or block.head == "pipeline"
    )


def _sets_minimum(source: Source, block: Block) -> bool:
    """Whether a stage's or the pipeline's ``environment``, or a ``withEnv`` block's head, sets ``COVERAGE_MIN``."""
    if block.name == "withEnv":
        return any(literal.value.startswith("COVERAGE_MIN=") for literal in source.head_literals(block))
    return any(
        _ENVIRONMENT_MINIMUM.match(statement.head)
        for environment in source.sections(block, "environment")
        for statement in source.statements(environment)
    )


@_judge
def dast(files: list[_File]) -> Iterator[Located]:
    found = False
    for file, command in _commands(files):
        if not NON_BLOCKING.search(command.text):
            continue
        found = True
        if command.stage is not None and switched_off(file.source, command.stage) is not None:
            message = "never runs: when { expression { false } } switches the stage off"
            yield _problem(file, command, "the DAST scan", message, command.stage.start)
        elif not any(block.name in ("catchError", "warnError") for block in _wrappers(file.source, command)):
            yield _problem(file, command, "the DAST scan", "can fail the build; wrap it in catchError")
    if not found:
        yield from _missing(files, "no stage runs an OWASP ZAP scan", "zap scan")


def _wrappers(source: Source, command: Command) -> list[Block]:
    """The blocks around a command's step, inside its stage."""
    return list(itertools.takewhile(lambda block: block.name != "stage", source.innermost(command.script.start)))


JUDGES: dict[str, Judge] = {
    "least-privilege-token": Judge(
        least_privilege_token,
        "environment {\n  REGISTRY = credentials('registry-push')\n}",
        "withCredentials([usernamePassword(credentialsId: 'registry-push', usernameVariable: 'U',\n"
        "                                  passwordVariable: 'P')]) {\n  sh 'crane auth login ...'\n}",
    ),
    "no-duplicate-runs": Judge(
        no_duplicate_runs,
        "options {\n  timeout(time: 90, unit: 'MINUTES')\n}",
        "options {\n  timeout(time: 90, unit: 'MINUTES')\n  disableConcurrentBuilds(abortPrevious: true)\n}",
    ),
    "artifact-hygiene": Judge(
        artifact_hygiene,
        "stage('Test') {\n  steps { sh 'make test' }\n}",
        "stage('Test') {\n  steps { sh 'make test' }\n  post { always { cleanWs() } }\n}",
    ),
    "isolated-runners": Judge(
        isolated_runners,
        "stage('Test') {\n  agent { label 'shared' }\n  steps { sh 'make test' }\n}",
        "stage('Test') {\n  agent { docker { image 'python:3.13@sha256:...' } }\n  steps { sh 'make test' }\n}",
    ),
    "locked-installs": Judge(
        locked_installs,
        "sh 'pip install -r requirements.txt'",
        "sh 'pip install --require-hashes -r requirements.txt'",
    ),
    "no-debug-tracing": Judge(no_debug_tracing, "sh '''\nset -x\nmake deploy\n'''", "sh '''\nmake deploy\n'''"),
    "scoped-secrets": Judge(
        scoped_secrets,
        'sh "docker login -p ${env.TOKEN} registry.example.com"',
        "withCredentials([string(credentialsId: 'registry', variable: 'TOKEN')]) {\n"
        "  sh 'printf %s \"$TOKEN\" | docker login --password-stdin registry.example.com'\n}",
    ),
    "protected-release": Judge(
        protected_release,
        "stage('Publish') {\n  steps { sh './publish.sh' }\n}",
        "stage('Publish') {\n  when { beforeAgent true; anyOf { branch 'main'; buildingTag() } }\n"
        "  steps { sh './publish.sh' }\n}",
    ),
    "deploy-approval": Judge(
        deploy_approval,
        "stage('Deploy production') {\n  steps { sh 'deploy/deploy.sh production' }\n}",
        "stage('Deploy production') {\n  input { message 'Deploy to production?' }\n"
        "  steps { sh 'deploy/deploy.sh production' }\n}",
    ),
    "cloud-oidc": Judge(
        cloud_oidc,
        "withCredentials([string(credentialsId: 'aws-secret-key', variable: 'AWS_SECRET_ACCESS_KEY')]) { ... }",
        "withCredentials([string(credentialsId: 'cloud-id-token', variable: 'CLOUD_ID_TOKEN')]) { ... }",
    ),
    "secret-scan": Judge(
        _scan_judge("secret-scan"),
        "stage('Secret scan') {\n  when { expression { return false } }\n"
        "  steps { sh 'gitleaks git --exit-code 1 .' }\n}",
        "stage('Secret scan') {\n  steps { sh 'gitleaks git --exit-code 1 .' }\n}",
    ),
    "sast": Judge(
        _scan_judge("sast"), "sh 'semgrep scan --config p/default'", "sh 'semgrep scan --config p/default --error'"
    ),
    "dependency-scan": Judge(
        _scan_judge("dependency-scan"),
        "sh 'trivy fs --scanners vuln --exit-code 0 .'",
        "sh 'trivy fs --scanners vuln --severity HIGH,CRITICAL --ignore-unfixed --exit-code 1 .'",
    ),
    "coverage-gate": Judge(
        _scan_judge("coverage-gate"),
        "sh 'python -m pytest --cov'",
        "environment { COVERAGE_MIN = '80' }\n...\nsh 'python -m pytest --cov --cov-fail-under=\"$COVERAGE_MIN\"'",
    ),
    "rootless-image-build": Judge(
        rootless_image_build,
        "sh 'docker build -t \"$IMAGE\" .'",
        "sh '/kaniko/executor --context \"$PWD\" --no-push --tar-path image.tar'",
    ),
    "image-scan": Judge(
        _scan_judge("image-scan"),
        "sh 'trivy image --input image.tar'",
        "sh 'trivy image --severity HIGH,CRITICAL --ignore-unfixed --exit-code 1 --input image.tar'",
    ),
    "sbom": Judge(
        _scan_judge("sbom"),
        "sh 'trivy image --format table \"$IMAGE@$DIGEST\"'",
        "sh 'trivy image --format cyclonedx --output sbom.cdx.json \"$IMAGE@$DIGEST\"'",
    ),
    "signing": Judge(
        signing,
        'sh \'cosign sign --yes --key "$COSIGN_KEY" "$IMAGE:latest"\'',
        'sh \'cosign sign --yes --key "$COSIGN_KEY" "$IMAGE@$DIGEST"\'',
    ),
    "verify-before-deploy": Judge(
        verify_before_deploy,
        "sh 'sh deploy/deploy.sh production \"$IMAGE@$DIGEST\"'",
        "sh '''\ncosign verify --key deploy/cosign.pub \"$IMAGE@$DIGEST\"\n"
        "sh deploy/deploy.sh production \"$IMAGE@$DIGEST\"\n'''",
    ),
    "dast": Judge(
        dast,
        "steps {\n  sh '/zap/zap-baseline.py -t \"$DAST_TARGET_URL\"'\n}",
        "steps {\n  catchError(buildResult: 'SUCCESS', stageResult: 'UNSTABLE') {\n"
        "    sh '/zap/zap-baseline.py -t \"$DAST_TARGET_URL\"'\n  }\n}",
    ),
}
