"""The kit's controls as GitLab CI files show them: one judge per control that file rules do not fully judge here.

File rules guard, whatever the answers: pinned-dependencies (``gitlab-unpinned-image``, ``gitlab-unpinned-include``,
``gitlab-include-template``), timeouts (``gitlab-job-hygiene``), scoped-secrets (``gitlab-secret-in-variables``),
protected-release (``gitlab-unprotected-deploy``), and a scan job switched off or unable to fail
(``gitlab-disabled-scan``). The judges find a control the kit owes missing, or in a weaker form than the kit's.

Every judge reads ``document.yaml`` through ``scaffold.rules.gitlab.pipeline`` (jobs and templates, ``extends:``,
``default:``, ``!reference``). A scan counts only when it can run and fail the pipeline
(``scaffold.rules.gitlab.gates``); the DAST scan only when it runs, since the kit makes it non-blocking. Every
finding is on the line of the job, key or command concerned, with a subject that names it without its place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from scaffold.rules.common import installs
from scaffold.rules.common.scans import NON_BLOCKING
from scaffold.rules.document import Document
from scaffold.rules.gitlab import gates
from scaffold.rules.gitlab.gitlab_job_hygiene import deploys, runs_a_script, unexcluded
from scaffold.rules.gitlab.gitlab_unpinned_image import references
from scaffold.rules.gitlab.gitlab_unprotected_deploy import unrestricted_rule
from scaffold.rules.gitlab.jobs import setting, variable
from scaffold.rules.gitlab.pipeline import Job, Pipeline, get, key_of, locate, resolve, scalars, text, walk
from scaffold.rules.kit.judge import Judge, absent, at
from scaffold.rules.model import Kind
from scaffold.rules.tree import Located
from scaffold.rules.yaml_view import YNode

KIND = Kind.GITLAB_CI
_SIGSTORE = "SIGSTORE_ID_TOKEN"
_NOT_DEPLOYING = ("stop", "prepare", "verify", "access")
_PRODUCTION = re.compile(r"prod(?:uction)?|live", re.IGNORECASE)


@dataclass(frozen=True)
class _Run:
    """A shell line of a job that runs a command, and where the command is in it."""

    document: Document
    pipeline: Pipeline
    line: gates.Line
    match: re.Match[str]

    @property
    def job(self) -> Job:
        return self.line.job

    @property
    def label(self) -> str:
        return self.line.job.label


def _jobs(documents: Iterable[Document]) -> Iterator[tuple[Document, Pipeline, Job]]:
    """Every job that can run (not a template), of every document."""
    for document in documents:
        pipeline = Pipeline(document)
        for job in pipeline.jobs:
            if not job.hidden:
                yield document, pipeline, job


def _runs(
    documents: Iterable[Document],
    pattern: re.Pattern[str],
    accepts: Callable[[str, re.Match[str]], bool] | None = None,
    printed: bool = True,
) -> Iterator[_Run]:
    """The shell lines that run ``pattern`` (not in a comment, not only named by another command); with
    ``printed`` false, not only printed either (``echo cmd ...``)."""
    matches: dict[str, re.Match[str] | None] = {}  # by text: a template's or default:'s lines are in many jobs
    for document, pipeline, job in _jobs(documents):
        for line in gates.lines(pipeline, job):
            if line.text not in matches:
                matches[line.text] = pattern.search(line.text)
            match = matches[line.text]
            if match is None or gates.command(line, match.start(), match.end()) == gates.MENTION:
                continue
            if (printed or gates.executes(line, match)) and (accepts is None or accepts(line.text, match)):
                yield _Run(document, pipeline, line, match)


def _cannot_fail(run: _Run, blocking: bool = True) -> gates.Off | None:
    """Why the command cannot fail the pipeline, placed on the job's name when the job is off or (when
    ``blocking``) allowed to fail, on the command when it is neutralised or in ``after_script``; None when it can."""
    off = gates.switched_off(run.pipeline, run.job)
    if off is None and blocking:
        off = gates.non_blocking(run.pipeline, run.job)
    if off is not None:
        return gates.Off(run.job.key.line, run.job.key.column, off.reason)
    reason = gates.command(run.line, run.match.start(), run.match.end())
    if reason is None and run.line.key == "after_script" and blocking:
        reason = "after_script"
    if reason is None:
        return None
    line, column = gates.place(run.document, run.line)
    return gates.Off(line, column, reason)


def _at_run(run: _Run, message: str, subject: str) -> Located:
    line, column = gates.place(run.document, run.line, run.match.group(0))
    return at(run.document, line, column, message, subject)


def _at_key(document: Document, pipeline: Pipeline, job: Job, key: str, message: str, subject: str) -> Located:
    """A finding on the job's ``key`` (its own or the template's it inherits), else on the job's name."""
    found = pipeline.lookup_key(job, key)
    place = found[0] if found is not None else job.key
    return at(document, place.line, place.column, message, subject)


# --- scans ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scan:
    """A command the kit runs for a control: ``weaker`` says how one run of it is weaker than the kit's."""

    what: str
    pattern: re.Pattern[str]
    weaker: Callable[[_Run], list[str]] = field(default=lambda run: [])
    accepts: Callable[[str, re.Match[str]], bool] | None = None
    blocking: bool = True


def _scan_findings(documents: list[Document], scan: _Scan) -> Iterator[Located]:
    """Each run weaker than the kit's; the scan absent; or every run of it unable to fail the pipeline."""
    runs = list(_runs(documents, scan.pattern, scan.accepts))
    if not runs:
        yield from absent(documents, KIND, f"no job runs {scan.what}")
        return
    counted = False
    first_off: tuple[_Run, gates.Off] | None = None
    for run in runs:
        weaker = scan.weaker(run)
        if weaker:
            yield _at_run(run, f"{run.label}: {scan.what} runs {' and '.join(weaker)}", f"{run.label}: {scan.what}")
            continue
        off = _cannot_fail(run, scan.blocking)
        counted = counted or off is None
        first_off = first_off or ((run, off) if off is not None else None)
    if not counted and first_off is not None:
        run, off = first_off
        message = f"{run.label}: {scan.what} cannot fail the pipeline ({off.reason})"
        yield at(run.document, off.line, off.column, message, f"{run.label}: {scan.what}")


def _scan_judge(scan: _Scan, bad: str, good: str) -> Judge:
    return Judge(lambda documents: list(_scan_findings(documents, scan)), bad, good)


_EXIT_CODE = re.compile(r"--exit-code(?:\s+|=)[\"']?([0-9]+)")
_SEVERITY = re.compile(r"--severity(?:\s+|=)[\"']?([A-Za-z,]+)")
_SCANNERS = re.compile(r"--(?:scanners|security-checks)(?:\s+|=)[\"']?([A-Za-z,]+)")
_SBOM_FORMAT = re.compile(r"--format(?:\s+|=)[\"']?(?:cyclonedx|spdx)", re.IGNORECASE)


def _trivy_gate(run: _Run) -> list[str]:
    """A trivy vulnerability scan fails on HIGH and CRITICAL findings: a non-zero exit code (trivy's default is
    0), no severity list without them, no scanner list without ``vuln``."""
    rest = run.line.text[run.match.end() :]
    problems = []
    code = _EXIT_CODE.search(rest)
    fails = bool(code.group(1).strip("0")) if code is not None else _variable_set(run, "TRIVY_EXIT_CODE")
    if not fails:
        problems.append("without a failing --exit-code")
    severity = _SEVERITY.search(rest)
    if severity is not None and not {"HIGH", "CRITICAL"} <= set(severity.group(1).upper().split(",")):
        problems.append(f"with --severity {severity.group(1)}")
    scanners = _SCANNERS.search(rest)
    if scanners is not None and "vuln" not in scanners.group(1).lower().split(","):
        problems.append(f"without the vuln scanner (--scanners {scanners.group(1)})")
    return problems


def _variable_set(run: _Run, name: str) -> bool:
    value = variable(run.pipeline, run.job, name)
    return value is not None and (value.text or "").strip().strip("0") != ""


def _not_sbom(line: str, match: re.Match[str]) -> bool:
    return _SBOM_FORMAT.search(line, match.end()) is None


def _without_sources(run: _Run) -> list[str]:
    """A scan of the repository's files in a job that fetches none of them finds nothing."""
    strategy = variable(run.pipeline, run.job, "GIT_STRATEGY")
    found = (strategy.text or "").strip().lower() if strategy is not None else ""
    return ["without the repository (GIT_STRATEGY: none)"] if found in ("none", "empty") else []


def _source_scan(weaker: Callable[[_Run], list[str]]) -> Callable[[_Run], list[str]]:
    return lambda run: _without_sources(run) + weaker(run)


def _gitleaks(run: _Run) -> list[str]:
    problems = []
    if "--no-git" in run.line.text[run.match.end() :]:
        problems.append("without the history (--no-git)")
    depth = variable(run.pipeline, run.job, "GIT_DEPTH")
    if depth is None or (depth.text or "").strip() != "0":
        problems.append("on a shallow clone (GIT_DEPTH is not 0)")
    return problems


def _semgrep(run: _Run) -> list[str]:
    rest = run.line.text[run.match.end() :]
    return ["without --error"] if run.match.group(1) == "scan" and not re.search(r"--error\b", rest) else []


def _coverage(run: _Run) -> list[str]:
    value = variable(run.pipeline, run.job, "COVERAGE_MIN")
    return [] if value is not None and (value.text or "").strip() else ["without COVERAGE_MIN set"]


def _cyclonedx(line: str, match: re.Match[str]) -> bool:
    return "cyclonedx" in line[match.end() :].lower()


_SECRET_SCAN = _Scan("a gitleaks history scan", re.compile(r"\bgitleaks\s+(?:git|detect)\b"), _source_scan(_gitleaks))
_SAST = _Scan("semgrep", re.compile(r"\bsemgrep\s+(scan|ci)\b"), _source_scan(_semgrep))
_DEPENDENCY_SCAN = _Scan(
    "a trivy dependency scan", re.compile(r"\btrivy\s+(?:fs|filesystem)\b"), _source_scan(_trivy_gate), _not_sbom
)
_IMAGE_SCAN = _Scan("a trivy image scan", re.compile(r"\btrivy\s+image\b"), _trivy_gate, _not_sbom)
_SBOM = _Scan("a CycloneDX SBOM generator", re.compile(r"\b(?:trivy|syft)\b"), accepts=_cyclonedx)
_COVERAGE = _Scan("the coverage gate", re.compile(r"\$\{?COVERAGE_MIN\b"), _coverage)


def _rootless_image(run: _Run) -> list[str]:
    """BuildKit's daemonless script is rootless only in BuildKit's rootless image (user 1000 with rootlesskit)."""
    if "buildctl-daemonless" not in run.match.group(0):
        return []
    name = _image_name(run.pipeline.top, setting(run.pipeline, run.job, "image").value)
    image = (name.text or "") if name is not None else ""
    if "rootless" in image.split("@")[0].rsplit("/", 1)[-1]:
        return []
    return [f"in {image or 'no image'}, not BuildKit's rootless image"]


_ROOTLESS_BUILD = _Scan(
    "a rootless image build (BuildKit or kaniko)",
    re.compile(r"\bbuildctl-daemonless\.sh\b|/kaniko/executor\b"),
    _rootless_image,
    blocking=False,
)
_DAST = _Scan("an OWASP ZAP scan", NON_BLOCKING, blocking=False)
_PROVENANCE_VARIABLE = "RUNNER_GENERATE_ARTIFACTS_METADATA"


def _sign_by_digest(run: _Run) -> list[str]:
    rest = run.line.text[run.match.end() :]
    problems = [] if re.search(r"@(?:\$|sha256:)", rest) else ["without the image digest"]
    return problems + (["with a stored key instead of keyless"] if re.search(r"--key\b", rest) else [])


_PREDICATE = re.compile(r"--predicate(?:\s+|=)(\S+)")


def _attests_sbom(run: _Run) -> list[str]:
    found = _PREDICATE.search(run.line.text, run.match.end())
    return [] if found is not None and "sbom" in found.group(1).lower() else ["without the SBOM as its predicate"]


_SIGN = _Scan("a keyless cosign signature", re.compile(r"\bcosign\s+sign(?![\w-])"), _sign_by_digest)
_ATTEST = _Scan("a cosign attestation of the SBOM", re.compile(r"\bcosign\s+attest(?![\w-])"), _attests_sbom)


def _signing(documents: list[Document]) -> Iterator[Located]:
    yield from _scan_findings(documents, _SIGN)
    yield from _scan_findings(documents, _ATTEST)
    seen: set[int] = set()
    for run in _runs(documents, _SIGN.pattern):
        if id(run.job.node.node) in seen:
            continue
        seen.add(id(run.job.node.node))
        tokens = resolve(run.pipeline.top, setting(run.pipeline, run.job, "id_tokens").value)
        if get(tokens, _SIGSTORE) is None:
            message = f"{run.label}: signs without a {_SIGSTORE} id token for keyless signing"
            yield _at_key(run.document, run.pipeline, run.job, "id_tokens", message, f"{run.label}: {_SIGSTORE}")


_DOCKER_BUILD = re.compile(r"\bdocker\s+(?:image\s+)?build(?:x)?\b|\bdocker\s+buildx\b")


def _rootless(documents: list[Document]) -> Iterator[Located]:
    yield from _scan_findings(documents, _ROOTLESS_BUILD)
    for run in _runs(documents, _DOCKER_BUILD, printed=False):
        message = f"{run.label}: builds the image with a Docker daemon ({run.match.group(0)})"
        yield _at_run(run, message, f"{run.label}: docker build")
    for document, pipeline, job in _jobs(documents):
        services = resolve(pipeline.top, setting(pipeline, job, "services").value)
        for service in services.elements() if services is not None else []:
            name = _image_name(pipeline.top, service)
            if name is not None and "dind" in (name.text or ""):
                message = f"{job.label}: runs a Docker-in-Docker service ({name.text})"
                yield at(document, name.line, name.column, message, f"{job.label}: service {name.text}")


def _image_name(top: YNode | None, node: YNode | None) -> YNode | None:
    node = resolve(top, node)
    if node is None:
        return None
    return node if node.text is not None else resolve(top, get(node, "name"))


def _dast(documents: list[Document]) -> Iterator[Located]:
    yield from _scan_findings(documents, _DAST)
    seen: set[int] = set()
    for run in _runs(documents, _DAST.pattern):
        if id(run.job.node.node) in seen or gates.switched_off(run.pipeline, run.job) is not None:
            continue
        seen.add(id(run.job.node.node))
        if gates.non_blocking(run.pipeline, run.job) is None:
            message = f"{run.label}: lets the DAST scan block the pipeline (no allow_failure: true)"
            yield _at_key(run.document, run.pipeline, run.job, "allow_failure", message, f"{run.label}: allow_failure")


def _provenance(documents: list[Document]) -> Iterator[Located]:
    for _, pipeline, job in _jobs(documents):
        value = variable(pipeline, job, _PROVENANCE_VARIABLE)
        if value is None or (value.text or "").strip().lower() != "true":
            continue
        if setting(pipeline, job, "artifacts").value is not None and gates.switched_off(pipeline, job) is None:
            return
    yield from absent(documents, KIND, f"no job keeps artifacts with {_PROVENANCE_VARIABLE} set to true")


# --- deployments ---------------------------------------------------------------------------------------------------


def _environment(pipeline: Pipeline, job: Job) -> YNode | None:
    """The environment the job deploys to (not one it stops, prepares, verifies or accesses)."""
    environment = resolve(pipeline.top, pipeline.lookup(job, "environment")[0])
    if environment is None or (text(get(environment, "action")) or "").strip() in _NOT_DEPLOYING:
        return None
    return environment if environment.text is not None or environment.is_mapping else None


def _deployers(documents: list[Document]) -> list[tuple[Document, Pipeline, Job, YNode]]:
    return [
        (document, pipeline, job, environment)
        for document, pipeline, job in _jobs(documents)
        if (environment := _environment(pipeline, job)) is not None
        and gates.switched_off(pipeline, job, optional=False) is None
    ]


_VERIFY = re.compile(r"\bcosign\s+verify(?![\w-])")
_DEPLOY_COMMAND = re.compile(
    r"\bdeploy/deploy\.sh\b|\bkubectl\s+(?:apply|set\s+image|rollout)\b|\bhelm\s+(?:upgrade|install)\b"
    r"|\baws\s+ecs\s+update-service\b|\bgcloud\s+run\s+deploy\b"
)


def _verify_before_deploy(documents: list[Document]) -> Iterator[Located]:
    deployers = _deployers(documents)
    if not deployers:
        yield from absent(documents, KIND, "no job deploys through an environment")
    for document, pipeline, job, _ in deployers:
        verified = False
        for line in gates.lines(pipeline, job):
            verify = _VERIFY.search(line.text)
            if verify is not None and line.key != "after_script":
                verified = verified or gates.command(line, verify.start(), verify.end()) is None
            deploy = _DEPLOY_COMMAND.search(line.text)
            if deploy is not None and not verified and gates.executes(line, deploy):
                number, column = gates.place(document, line, deploy.group(0))
                message = f"{job.label}: deploys without verifying the image signature first"
                yield at(document, number, column, message, job.label)
                break
        else:
            if not verified:
                message = f"{job.label}: deploys without verifying the image signature with cosign verify"
                yield at(document, job.key.line, job.key.column, message, job.label)


def _production(environment: YNode) -> bool:
    tier = text(get(environment, "deployment_tier"))
    if tier is not None:
        return tier.strip() == "production"
    name = environment.text if environment.text is not None else text(get(environment, "name"))
    return name is not None and _PRODUCTION.fullmatch(name.strip()) is not None


def _manual(pipeline: Pipeline, job: Job) -> bool | None:
    """Whether the job waits for a person (None when its rules are elsewhere)."""
    rules = pipeline.lookup(job, "rules")[0]
    if rules is None:
        return (text(pipeline.lookup(job, "when")[0]) or "").strip() == "manual"
    entries = gates.rule_entries(pipeline.top, rules)
    if entries is None:
        return None
    runnable = [entry for entry in entries if (text(get(entry, "when")) or "").strip() != "never"]
    return all((text(get(entry, "when")) or "").strip() == "manual" for entry in runnable)


def _deploy_approval(documents: list[Document]) -> Iterator[Located]:
    deployers = _deployers(documents)
    if not deployers:
        yield from absent(documents, KIND, "no job deploys through an environment")
    production = [(d, p, j) for d, p, j, environment in deployers if _production(environment)]
    if deployers and not production:
        yield from absent(documents, KIND, "no deploy job targets a production-tier environment")
    for document, pipeline, job in production:
        if _manual(pipeline, job) is False:
            message = f"{job.label}: deploys to production without a manual approval (when: manual)"
            yield _at_key(document, pipeline, job, "rules", message, f"{job.label}: when: manual")


# --- jobs and tokens -----------------------------------------------------------------------------------------------


def _cloud_oidc(documents: list[Document]) -> Iterator[Located]:
    cloud = False
    for document in documents:
        pipeline = Pipeline(document)
        default = key_of(get(pipeline.top, "default"), "id_tokens")
        if default is not None:
            message = "default: id_tokens give every job an OIDC token"
            yield at(document, default[0].line, default[0].column, message, "default: id_tokens")
        for job in pipeline.jobs:
            own = key_of(job.node, "id_tokens")
            tokens = resolve(pipeline.top, own[1]) if own is not None else None
            for key, value in tokens.entries() if tokens is not None else []:
                if key.text is None or key.text == "<<":
                    continue
                cloud = cloud or key.text != _SIGSTORE
                if not _has_audience(pipeline.top, value):
                    message = f"{job.label}: id token {key.text} has no explicit aud"
                    yield at(document, key.line, key.column, message, f"{job.label}: id token {key.text}")
    if not cloud:
        yield from absent(documents, KIND, "no job gets a cloud OIDC id token (id_tokens)")


def _has_audience(top: YNode | None, token: YNode) -> bool:
    audience = resolve(top, get(resolve(top, token), "aud"))
    if audience is None:
        return False
    if audience.text is not None:
        return bool(audience.text.strip())
    return any((item.text or "").strip() for item in audience.elements())


def _job_token(documents: list[Document]) -> Iterator[Located]:
    for document in documents:
        pipeline = Pipeline(document)
        top = pipeline.top
        owners: list[tuple[str, list[YNode | None]]] = [
            ("top level", [get(top, key) for key in ("variables", "before_script", "after_script")]),
            ("default", [get(top, "default")]),
        ]
        owners += [(job.label, [job.node]) for job in pipeline.jobs]
        for label, nodes in owners:
            uses = [item for node in nodes if node is not None for item in walk(top, node) if _names_token(item)]
            if uses:
                first = min(uses, key=lambda item: (item.line, item.column))
                line, column = locate(document, first, "CI_JOB_TOKEN")
                message = f"{label}: uses CI_JOB_TOKEN, the job token with the project's scope"
                yield at(document, line, column, message, f"{label}: CI_JOB_TOKEN")


def _names_token(node: YNode) -> bool:
    return node.text is not None and "CI_JOB_TOKEN" in node.text


def _duplicate_runs(documents: list[Document]) -> Iterator[Located]:
    for document in documents:
        pipeline = Pipeline(document)
        yield from _workflow_rules(document, pipeline)
        for job in pipeline.jobs:
            if not job.hidden and _not_interruptible(pipeline, job):
                message = f"{job.label}: interruptible: false, so a newer pipeline cannot cancel it"
                yield _at_key(document, pipeline, job, "interruptible", message, f"{job.label}: interruptible")


_OPEN_MERGE_REQUESTS = re.compile(r"\$\{?CI_OPEN_MERGE_REQUESTS\b")


def _workflow_rules(document: Document, pipeline: Pipeline) -> Iterator[Located]:
    workflow = key_of(pipeline.top, "workflow")
    rules = key_of(workflow[1], "rules") if workflow is not None else None
    entries = gates.rule_entries(pipeline.top, rules[1]) if rules is not None else []
    if entries is None or any(
        (text(get(entry, "when")) or "").strip() == "never"
        and _OPEN_MERGE_REQUESTS.search(text(get(entry, "if")) or "")
        for entry in entries
    ):
        return
    message = "workflow:rules do not stop branch pipelines while a merge request is open"
    place = rules[0] if rules is not None else workflow[0] if workflow is not None else None
    line, column = (place.line, place.column) if place is not None else (1, 1)
    yield at(document, line, column, message, "workflow:rules")


def _not_interruptible(pipeline: Pipeline, job: Job) -> bool:
    """``interruptible: false`` on a job that neither deploys nor is kept to protected refs."""
    value = setting(pipeline, job, "interruptible").value
    if value is None or (value.text or "").strip().lower() != "false" or deploys(pipeline, job):
        return False
    rules = resolve(pipeline.top, pipeline.lookup(job, "rules")[0])
    return rules is None or unrestricted_rule(pipeline.top, rules) is not None


def _artifact_hygiene(documents: list[Document]) -> Iterator[Located]:
    for document, pipeline, job in _jobs(documents):
        artifacts = setting(pipeline, job, "artifacts")
        value = resolve(pipeline.top, artifacts.value)
        if value is None or not value.is_mapping:
            continue
        if not list(scalars(pipeline.top, get(value, "paths"))) and get(value, "untracked") is None:
            continue
        missing = unexcluded(pipeline, value)
        if missing:
            own = key_of(value, "exclude") if artifacts.origin == "own" else None
            message = f"{job.label}: artifacts do not exclude {', '.join(missing)} at every depth"
            if own is not None:
                yield at(document, own[0].line, own[0].column, message, f"{job.label}: artifacts:exclude")
            else:
                yield _at_key(document, pipeline, job, "artifacts", message, f"{job.label}: artifacts:exclude")


def _isolated_runners(documents: list[Document]) -> Iterator[Located]:
    for document, pipeline, job in _jobs(documents):
        if not runs_a_script(pipeline, job) or get(pipeline.top, "image") is not None:
            continue
        image = setting(pipeline, job, "image")
        name = _image_name(pipeline.top, image.value)
        if image.known and (name is None or not (name.text or "").strip()):
            message = f"{job.label}: declares no image, so it runs in whatever the runner provides"
            yield at(document, job.key.line, job.key.column, message, f"{job.label}: image")


def _images_from_variables(documents: list[Document]) -> Iterator[Located]:
    """The kit names every image literally; gitlab-unpinned-image judges the digests, this the variables (a digest
    after a variable is accepted by that rule, since it fixes the content, but not by the kit's control)."""
    for document in documents:
        for label, what, node, reference in references(document):
            if "$" in reference:
                message = f"{label}: {what} {reference} is built from variables, which the kit never does"
                yield at(document, node.line, node.column, message, f"{label}: {what} {reference}")


# --- scripts -------------------------------------------------------------------------------------------------------


def _script_problems(
    documents: list[Document], judge: Callable[[str], list[installs.Found]]
) -> Iterator[tuple[Document, Job, int, int, installs.Found]]:
    """One finding per job and problem that ``judge`` finds in a command the job's shell lines run."""
    judged: dict[str, list[installs.Found]] = {}  # by text: a template's or default:'s lines are in many jobs
    for document, pipeline, job in _jobs(documents):
        seen: set[str] = set()
        for line in gates.lines(pipeline, job):
            if line.text not in judged:
                judged[line.text] = judge(line.text)
            for found in judged[line.text]:
                why = gates.command(line, found.start, found.end)
                if found.noun in seen or why == gates.MENTION or (why or "").startswith(gates.PRINTED):
                    continue
                seen.add(found.noun)
                number, column = gates.place(document, line, line.text[found.start : found.end])
                yield document, job, number, column, found


def _locked_installs(documents: list[Document]) -> Iterator[Located]:
    for document, job, number, column, found in _script_problems(documents, installs.unlocked):
        message = f"{job.label}: {found.verb}"
        yield at(document, number, column, message, message)


def _debug_tracing(documents: list[Document]) -> Iterator[Located]:
    for document, job, number, column, found in _script_problems(documents, installs.tracing):
        message = f"{job.label}: turns on shell tracing ({found.noun})"
        yield at(document, number, column, message, f"{job.label}: set -x")


def _judge(check: Callable[[list[Document]], Iterator[Located]], bad: str, good: str) -> Judge:
    return Judge(lambda documents: list(check(documents)), bad, good)


JUDGES: dict[str, Judge] = {
    "pinned-dependencies": _judge(
        _images_from_variables,
        "lint:\n  image: $CI_REGISTRY/tools/python"
        "@sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6",
        "lint:\n  image: docker.io/library/python:3.13-slim-trixie"
        "@sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6",
    ),
    "least-privilege-token": _judge(
        _job_token,
        'release:\n  script:\n    - curl --header "JOB-TOKEN: $CI_JOB_TOKEN" "$PACKAGE_URL"\n',
        'release:\n  script:\n    - curl --header "PRIVATE-TOKEN: $DEPLOY_TOKEN" "$PACKAGE_URL"\n',
    ),
    "no-duplicate-runs": _judge(
        _duplicate_runs,
        'workflow:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == "merge_request_event"\n    - if: $CI_COMMIT_BRANCH\n',
        'workflow:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == "merge_request_event"\n'
        "    - if: $CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS\n      when: never\n    - if: $CI_COMMIT_BRANCH\n",
    ),
    "artifact-hygiene": _judge(
        _artifact_hygiene,
        "build:\n  artifacts:\n    paths: [dist/]\n    expire_in: 30 days\n",
        "build:\n  artifacts:\n    paths: [dist/]\n"
        '    exclude: ["**/*.pem", "**/*.key", "**/.env", "**/.env.*"]\n    expire_in: 30 days\n',
    ),
    "isolated-runners": _judge(
        _isolated_runners,
        "lint:\n  script:\n    - make lint\n",
        "lint:\n  image: docker.io/library/python:3.13-slim@sha256:<digest>\n  script:\n    - make lint\n",
    ),
    "locked-installs": _judge(
        _locked_installs,
        "test:\n  script:\n    - pip install -r requirements.txt\n",
        "test:\n  script:\n    - pip install --require-hashes --no-deps -r requirements.txt\n",
    ),
    "no-debug-tracing": _judge(
        _debug_tracing,
        "deploy:\n  script:\n    - set -x\n    - ./deploy.sh\n",
        "deploy:\n  script:\n    - ./deploy.sh\n",
    ),
    "deploy-approval": _judge(
        _deploy_approval,
        "deploy-production:\n  environment: {name: production, deployment_tier: production}\n  rules:\n"
        '    - if: $CI_COMMIT_REF_PROTECTED == "true"\n',
        "deploy-production:\n  environment: {name: production, deployment_tier: production}\n  rules:\n"
        '    - if: $CI_COMMIT_REF_PROTECTED == "true"\n      when: manual\n',
    ),
    "cloud-oidc": _judge(
        _cloud_oidc,
        "default:\n  id_tokens:\n    CLOUD_ID_TOKEN: {}\n",
        'deploy:\n  id_tokens:\n    CLOUD_ID_TOKEN:\n      aud: "sts.amazonaws.com"\n',
    ),
    "secret-scan": _scan_judge(
        _SECRET_SCAN,
        "secret-scan:\n  allow_failure: true\n  script:\n    - gitleaks git --redact .\n",
        'secret-scan:\n  variables:\n    GIT_DEPTH: "0"\n  script:\n    - gitleaks git --redact --exit-code 1 .\n',
    ),
    "sast": _scan_judge(
        _SAST,
        "sast:\n  script:\n    - semgrep scan --config p/default\n",
        "sast:\n  script:\n    - semgrep scan --config p/default --error\n",
    ),
    "dependency-scan": _scan_judge(
        _DEPENDENCY_SCAN,
        "dependency-scan:\n  script:\n    - trivy fs --scanners vuln --exit-code 0 .\n",
        "dependency-scan:\n  script:\n    - trivy fs --scanners vuln --severity HIGH,CRITICAL --exit-code 1 .\n",
    ),
    "coverage-gate": _scan_judge(
        _COVERAGE,
        "test:\n  script:\n    - pytest --cov\n",
        'variables:\n  COVERAGE_MIN: "80"\ntest:\n  script:\n    - pytest --cov --cov-fail-under="$COVERAGE_MIN"\n',
    ),
    "rootless-image-build": _judge(
        _rootless,
        'build:\n  services: [docker:dind]\n  script:\n    - docker build -t "$IMAGE" .\n',
        'build:\n  image: {name: docker.io/moby/buildkit:v0.33.0-rootless@sha256:<digest>, entrypoint: [""]}\n'
        "  variables:\n    BUILDKITD_FLAGS: --oci-worker-no-process-sandbox\n"
        "  script:\n    - buildctl-daemonless.sh build --frontend dockerfile.v0 --local context=.\n"
        "      --local dockerfile=. --output type=oci,tar=false,dest=image-layout\n",
    ),
    "image-scan": _scan_judge(
        _IMAGE_SCAN,
        "image-scan:\n  script:\n    - trivy image --input image.tar\n",
        "image-scan:\n  script:\n    - trivy image --severity HIGH,CRITICAL --exit-code 1 --input image.tar\n",
    ),
    "sbom": _scan_judge(
        _SBOM,
        'image-sbom:\n  script:\n    - trivy image --format table "$IMAGE@$IMAGE_DIGEST"\n',
        'image-sbom:\n  script:\n    - trivy image --format cyclonedx --output sbom.cdx.json "$IMAGE@$IMAGE_DIGEST"\n',
    ),
    "signing": _judge(
        _signing,
        'image-sign:\n  script:\n    - cosign sign --yes --key cosign.key "$IMAGE:latest"\n',
        "image-sign:\n  id_tokens:\n    SIGSTORE_ID_TOKEN:\n      aud: sigstore\n  script:\n"
        '    - cosign sign --yes "$IMAGE@$IMAGE_DIGEST"\n'
        '    - cosign attest --yes --type cyclonedx --predicate sbom.cdx.json "$IMAGE@$IMAGE_DIGEST"\n',
    ),
    "verify-before-deploy": _judge(
        _verify_before_deploy,
        'deploy:\n  environment: production\n  script:\n    - sh deploy/deploy.sh production "$IMAGE@$IMAGE_DIGEST"\n',
        'deploy:\n  environment: production\n  script:\n    - cosign verify "$IMAGE@$IMAGE_DIGEST" '
        '--certificate-identity "$IDENTITY" --certificate-oidc-issuer "$CI_SERVER_URL"\n'
        '    - sh deploy/deploy.sh production "$IMAGE@$IMAGE_DIGEST"\n',
    ),
    "provenance": _judge(
        _provenance,
        "build:\n  script:\n    - make dist\n  artifacts:\n    paths: [dist/]\n",
        'build:\n  variables:\n    RUNNER_GENERATE_ARTIFACTS_METADATA: "true"\n  script:\n    - make dist\n'
        "  artifacts:\n    paths: [dist/]\n",
    ),
    "dast": _judge(
        _dast,
        'dast:\n  script:\n    - /zap/zap-baseline.py -t "$DAST_TARGET_URL"\n',
        "dast:\n  allow_failure: true\n  script:\n"
        '    - /zap/zap-baseline.py -t "$DAST_TARGET_URL" -r zap-report.html\n',
    ),
}
