"""The kit's controls as GitHub workflows show them: one judge per control that no file rule already judges here.

File rules already guard pinned-dependencies (unpinned-uses, unpinned-container-image), least-privilege-token
(excessive-permissions), no-duplicate-runs (missing-concurrency), timeouts (missing-timeout), no-debug-tracing
(insecure-runtime-toggle), scoped-secrets (secrets-dump, secrets-inherit), part of isolated-runners (self-hosted-pr)
and of locked-installs (adhoc-install), and every scan switched off in place (disabled-scan). The judges here find
what those cannot: a control that is gone, or weakened in a way only the kit's design tells apart.

A scan counts only when it can run and fail: its job and step have no constant-false ``if:``, its job needs no job
that never runs, neither has a constant-true ``continue-on-error``, and its command can fail its script
(``scaffold.rules.common.shell_exit``: no ``echo`` in front, ``|| true`` after, ``--exit-code 0``, pipe without
pipefail, ...). The OWASP ZAP scan is the exception: the kit makes it non-blocking on purpose.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from scaffold.rules.common import installs
from scaffold.rules.common.scans import NON_BLOCKING, SCANS
from scaffold.rules.document import Document
from scaffold.rules.github import gating
from scaffold.rules.github.scripts import located_lines
from scaffold.rules.github.workflow import action_name, jobs, steps, triggers
from scaffold.rules.kit.judge import KIT_FILES, Judge, at
from scaffold.rules.model import Hit, Kind
from scaffold.rules.tree import Located
from scaffold.rules.yaml_view import YNode

RELEASE_FILE = ".github/workflows/release.yml"

# ---- where things are ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    document: Document
    name: str
    key: YNode  # the job's key: a finding about the whole job goes on its line
    node: YNode

    @property
    def subject(self) -> str:
        return f"job {self.name}"

    def at(self, message: str, node: YNode | None = None) -> Located:
        where = node or self.key
        return at(self.document, where.line, where.column, f"{self.subject}: {message}", self.subject)


@dataclass(frozen=True)
class Step:
    job: Job
    node: YNode
    number: int

    @property
    def subject(self) -> str:
        return f"job {self.job.name}, step '{gating.label(self.node, self.number)}'"

    @property
    def uses(self) -> str:
        value = self.node.get("uses")
        return action_name(value.text) if value is not None and value.text else ""

    @property
    def script(self) -> YNode | None:
        value = self.node.get("run")
        return value if value is not None and value.text is not None else None

    def input(self, name: str) -> str | None:
        options = self.node.get("with")
        value = options.get(name) if options is not None else None
        return value.text.strip() if value is not None and value.text is not None else None

    def blocked(self, *, blocking: bool = True) -> str:
        """Why the step never runs (or, when it must be able to fail, never fails), or ""."""
        skipped = gating.skipped_jobs(self.job.document.yaml).get(self.job.name, "")
        if skipped and not gating.never_runs(self.job.node):
            return f"is switched off: its job never runs ({skipped})"
        for owner, whose in ((self.job.node, "its job's"), (self.node, "its")):
            if gating.never_runs(owner):
                return f"is switched off: {whose} if: is always false"
            if blocking and gating.constant_true(owner.get("continue-on-error")):
                return f"cannot fail: {whose} continue-on-error is true"
        return ""

    def at(self, message: str, node: YNode | None = None) -> Located:
        where = node or self.node
        return at(self.job.document, where.line, where.column, f"{self.subject}: {message}", self.subject)


def _jobs(documents: Iterable[Document]) -> Iterator[Job]:
    for document in documents:
        root = document.yaml
        section = root.get("jobs") if root is not None else None
        keys = {key.text: key for key, _ in section.entries()} if section is not None else {}
        for name, node in jobs(document):
            yield Job(document, name, keys.get(name, node), node)


def _steps(job: Job) -> Iterator[Step]:
    for number, node in enumerate(steps(job.node), start=1):
        yield Step(job, node, number)


def _all_steps(documents: Iterable[Document]) -> Iterator[Step]:
    for job in _jobs(documents):
        yield from _steps(job)


def _deploys(job: Job) -> bool:
    """A job that deploys: it names an environment, or its id or name says deploy."""
    name = job.node.get("name")
    title = f"{job.name} {name.text if name is not None and name.text else ''}".lower()
    return job.node.get("environment") is not None or "deploy" in title


def _is_release(document: Document) -> bool:
    return any(_deploys(job) for job in _jobs([document]))


def _is_ci(document: Document) -> bool:
    return "pull_request" in triggers(document)


def _missing(documents: list[Document], release: bool, message: str) -> Iterator[Located]:
    """The control is nowhere: reported at ``jobs:`` of the workflow it belongs in (the one that deploys, or the
    one that checks pull requests), or on line 1 of the kit's file for it when there is no workflow at all."""
    if not documents:
        yield Located(RELEASE_FILE if release else KIT_FILES[Kind.WORKFLOW], Hit(1, 1, message, message))
        return
    home = [document for document in documents if (_is_release(document) if release else _is_ci(document))]
    document = (home or documents)[0]
    root = document.yaml
    key = root.key("jobs") if root is not None else None
    yield at(document, key.line if key else 1, key.column if key else 1, message, message)


def _commands(step: Step, pattern: re.Pattern[str]) -> tuple[list[gating.Command], list[str]]:
    """The step's command lines that run ``pattern`` and can fail, and why each other one cannot."""
    script = step.script
    if script is None:
        return [], []
    return gating.effective(
        script.text or "", pattern, gating.shell_of(step.node, step.job.node, step.job.document.yaml)
    )


# ---- scans: present, able to run and to fail -----------------------------------------------------------------------


@dataclass(frozen=True)
class Scan:
    """How one control's scan shows in a step (``finds``) and what weakens a step that runs it (``weakness``)."""

    what: str  # the scan, in a finding about a step that runs it
    need: str  # what must run, in the finding that nothing does
    release: bool  # lives in the workflow that deploys (else in the one that checks pull requests)
    finds: Callable[[Step], bool]
    weakness: Callable[[Step], str] = lambda step: ""
    blocking: bool = True


def _scan_check(scan: Scan) -> Callable[[list[Document]], Iterator[Located]]:
    def check(documents: list[Document]) -> Iterator[Located]:
        found = [step for step in _all_steps(documents) if scan.finds(step)]
        weak = [(step, step.blocked(blocking=scan.blocking) or scan.weakness(step)) for step in found]
        if any(not why for _, why in weak):
            return
        if not found:
            yield from _missing(documents, scan.release, f"no job runs {scan.need}")
        for step, why in weak:
            yield step.at(f"{scan.what} {why}")

    return check


def _command_weakness(step: Step, pattern: re.Pattern[str], weakness: Callable[[str], str] = lambda text: "") -> str:
    """Nothing when one of the step's commands runs ``pattern``, can fail and has no ``weakness``; else why not."""
    live, dead = _commands(step, pattern)
    reasons = [weakness(command.code) for command in live]
    if any(not reason for reason in reasons):
        return ""
    return (reasons or dead or ["is not run by the step's script"])[0]


def _in_script(pattern: re.Pattern[str]) -> Callable[[Step], bool]:
    def finds(step: Step) -> bool:
        script = step.script
        texts = gating.commands(script.text or "") if script is not None else []
        return any(pattern.search(command.code) for command in texts)

    return finds


# secret scan --------------------------------------------------------------------------------------------------------
_SECRETS = SCANS["secret-scan"]


@functools.lru_cache(maxsize=64)
def _shallow(job: Job) -> bool:
    """Whether the job checks out only the latest commit (each of its checkouts without ``fetch-depth: 0``)."""
    checkouts = [step for step in _steps(job) if step.uses == "actions/checkout"]
    return bool(checkouts) and all((step.input("fetch-depth") or "1").strip("'\"") != "0" for step in checkouts)


def _full_history(step: Step) -> str:
    return "sees only the latest commit: its job checks out without fetch-depth: 0" if _shallow(step.job) else ""


def _secret_weakness(step: Step) -> str:
    if step.script is not None:
        return _command_weakness(step, _SECRETS) or _full_history(step)
    return _full_history(step)


SECRET_SCAN = Scan(
    "the secret scan",
    "a secret scan (gitleaks) of the full history",
    False,
    lambda step: bool(_SECRETS.search(step.uses)) or _in_script(_SECRETS)(step),
    _secret_weakness,
)

# SAST ---------------------------------------------------------------------------------------------------------------
_SEMGREP = re.compile(r"\bsemgrep\s+(?:scan|ci)\b|\bsemgrep\s+--config\b")
_QUERIES = ("security-extended", "security-and-quality")


@functools.lru_cache(maxsize=64)
def _codeql_queries(job: Job) -> str:
    """Why the job's CodeQL does not run the security-extended queries, or ""."""
    inits = [step for step in _steps(job) if step.uses == "github/codeql-action/init"]
    if not inits:
        return "has no github/codeql-action/init step in its job"
    for init in inits:
        queries = init.input("queries") or ""
        if any(name in queries for name in _QUERIES) or init.input("config-file") or init.input("config"):
            return ""
    return "runs without the security-extended queries (codeql-action/init: queries: security-extended)"


def _sast_weakness(step: Step) -> str:
    if step.uses == "github/codeql-action/analyze":
        return _codeql_queries(step.job)
    return _command_weakness(step, _SEMGREP, _semgrep_fails)


def _semgrep_fails(text: str) -> str:
    return "" if "--error" in text or re.search(r"\bsemgrep\s+ci\b", text) else "does not fail on findings (no --error)"


SAST = Scan(
    "the SAST scan",
    "SAST (CodeQL with the security-extended queries)",
    False,
    lambda step: step.uses == "github/codeql-action/analyze" or _in_script(_SEMGREP)(step),
    _sast_weakness,
)

# trivy: dependency and image scans ----------------------------------------------------------------------------------
_TRIVY = "aquasecurity/trivy-action"
_EXIT_CODE = re.compile(r"--exit-code(?:\s+|=)['\"]?(\d+)")
_SEVERITY = re.compile(r"--severity(?:\s+|=)['\"]?([A-Za-z,]+)")


def _gate(exit_code: str | None, severity: str | None) -> str:
    """Why a trivy scan does not fail on HIGH and CRITICAL findings, or ""."""
    if exit_code is None or not exit_code.strip("'\"").isdigit() or int(exit_code.strip("'\"")) == 0:
        return "passes whatever it finds: exit-code is not 1"
    if severity is not None and not {"HIGH", "CRITICAL"} <= {part.strip().upper() for part in severity.split(",")}:
        return f"does not fail on HIGH and CRITICAL findings (severity {severity})"
    return ""


def _trivy_command(text: str) -> str:
    """Why a trivy command line does not fail on HIGH and CRITICAL findings ("" for another scanner's)."""
    if not re.search(r"\btrivy\b", text):
        return ""  # pip-audit, osv-scanner, npm audit, grype: they fail on what they find by default
    exit_code, severity = _EXIT_CODE.search(text), _SEVERITY.search(text)
    return _gate(exit_code.group(1) if exit_code else None, severity.group(1) if severity else None)


def _trivy_weakness(step: Step, command: re.Pattern[str]) -> str:
    if step.uses == _TRIVY:
        return _gate(step.input("exit-code"), step.input("severity"))
    return _command_weakness(step, command, _trivy_command) if step.script is not None else ""


_DEPENDENCIES = SCANS["dependency-scan"]


def _dependency_scan(step: Step) -> bool:
    if step.uses == _TRIVY:
        return (step.input("scan-type") or "").strip("'\"") in ("fs", "filesystem")
    return bool(_DEPENDENCIES.search(step.uses)) or _in_script(_DEPENDENCIES)(step)


DEPENDENCY_SCAN = Scan(
    "the dependency scan",
    "a dependency scan (trivy fs) that fails on fixable HIGH and CRITICAL",
    False,
    _dependency_scan,
    lambda step: _trivy_weakness(step, _DEPENDENCIES),
)

_TRIVY_IMAGE = re.compile(r"\btrivy\s+image\b")
_PUSH = re.compile(r"\bdocker\s+(?:image\s+)?push\b|\bcrane\s+(?:push|copy)\b")


def _image_scan(step: Step) -> bool:
    if step.uses == _TRIVY:
        return step.input("image-ref") is not None or (step.input("scan-type") or "").strip("'\"") == "image"
    return _in_script(_TRIVY_IMAGE)(step)


def _pushes(step: Step) -> bool:
    if step.uses == "docker/build-push-action":
        return (step.input("push") or "").lower() == "true"
    return _in_script(_PUSH)(step)


@functools.lru_cache(maxsize=64)
def _first_push(job: Job) -> int | None:
    return next((step.number for step in _steps(job) if _pushes(step)), None)


def _image_weakness(step: Step) -> str:
    push = _first_push(step.job)
    pushed = push is not None and push < step.number
    return _trivy_weakness(step, _TRIVY_IMAGE) or ("runs after the image is pushed" if pushed else "")


IMAGE_SCAN = Scan(
    "the image scan",
    "an image scan (trivy image) that fails on fixable HIGH and CRITICAL before the push",
    True,
    _image_scan,
    _image_weakness,
)

# SBOM, provenance ---------------------------------------------------------------------------------------------------
_SBOM = SCANS["sbom"]
SBOM = Scan(
    "the SBOM generator",
    "an SBOM generator (anchore/sbom-action, syft or trivy --format cyclonedx)",
    True,
    lambda step: step.uses == "anchore/sbom-action" or _in_script(_SBOM)(step),
    lambda step: _command_weakness(step, _SBOM) if step.script is not None else "",
)
# A keyless cosign attestation of SLSA provenance counts too: actions/attest needs GitHub Enterprise Cloud on a private
# or internal repository, so the kit attests with cosign there (``--statement`` carries an in-toto statement whole).
_COSIGN_PROVENANCE = re.compile(r"\bcosign\s+attest(?:-blob)?\b.*(?:--type[\s=]+slsaprovenance|--statement\b)")
PROVENANCE = Scan(
    "the build provenance attestation",
    "a build provenance attestation (actions/attest, or cosign attest of SLSA provenance)",
    True,
    lambda step: (
        step.uses in ("actions/attest", "actions/attest-build-provenance") or _in_script(_COSIGN_PROVENANCE)(step)
    ),
    lambda step: _command_weakness(step, _COSIGN_PROVENANCE) if step.script is not None else "",
)

# signing ------------------------------------------------------------------------------------------------------------
_SIGN = re.compile(r"\bcosign\s+sign\b")
_ATTEST = re.compile(r"\bcosign\s+attest\b")
_BY_DIGEST = re.compile(r"@(?:\$|sha256:)")


def _by_digest(text: str) -> str:
    return "" if _BY_DIGEST.search(text) else "signs a tag, not the digest"


SIGN = Scan(
    "the cosign signature",
    "cosign sign of the image by digest",
    True,
    _in_script(_SIGN),
    lambda step: _command_weakness(step, _SIGN, _by_digest),
)
ATTEST = Scan(
    "the SBOM attestation",
    "cosign attest of the SBOM",
    True,
    _in_script(_ATTEST),
    lambda step: _command_weakness(step, _ATTEST, lambda text: "" if "--predicate" in text else "has no --predicate"),
)


def _signing(documents: list[Document]) -> Iterator[Located]:
    yield from _scan_check(SIGN)(documents)
    yield from _scan_check(ATTEST)(documents)


# coverage gate ------------------------------------------------------------------------------------------------------
_COVERAGE = SCANS["coverage-gate"]
_USES_MIN = re.compile(r"\$\{?COVERAGE_MIN\b")


def _env_value(owner: YNode | None, name: str) -> YNode | None:
    env = owner.get("env") if owner is not None else None
    return env.get(name) if env is not None else None


def _coverage_min(step: Step) -> str:
    """Why ``$COVERAGE_MIN`` has no minimum for this step (the step's, job's or workflow's ``env``), or ""."""
    for owner in (step.node, step.job.node, step.job.document.yaml):
        value = _env_value(owner, "COVERAGE_MIN")
        if value is not None:
            return ""
    return "has no minimum: COVERAGE_MIN is not set in the step's, job's or workflow's env"


def _coverage_weakness(step: Step) -> str:
    def weakness(text: str) -> str:
        return _coverage_min(step) if _USES_MIN.search(text) else ""

    return _command_weakness(step, _COVERAGE, weakness)


COVERAGE_GATE = Scan(
    "the coverage gate", "tests with the coverage gate (COVERAGE_MIN)", False, _in_script(_COVERAGE), _coverage_weakness
)

# DAST ---------------------------------------------------------------------------------------------------------------


def _dast_weakness(step: Step) -> str:
    if gating.constant_true(step.job.node.get("continue-on-error")) or gating.constant_true(
        step.node.get("continue-on-error")
    ):
        return ""
    return "can block the release: its job has no continue-on-error: true"


DAST = Scan(
    "the OWASP ZAP scan",
    "an OWASP ZAP scan that never blocks the release",
    True,
    lambda step: bool(NON_BLOCKING.search(step.uses)) or _in_script(NON_BLOCKING)(step),
    _dast_weakness,
    blocking=False,
)

# ---- controls of the jobs themselves -------------------------------------------------------------------------------


def _artifact_hygiene(documents: list[Document]) -> Iterator[Located]:
    for step in _all_steps(documents):
        if step.uses != "actions/upload-artifact":
            continue
        days = (step.input("retention-days") or "").strip("'\"")
        if not days.isdigit() or int(days) == 0:
            yield step.at("uploads an artifact without retention-days, so it is kept for the repository's maximum")


def _labels(runs_on: YNode) -> list[YNode]:
    """The runner labels a ``runs-on:`` asks for: a label, a list of them, or a mapping's ``labels:``."""
    if runs_on.is_mapping:
        labels = runs_on.get("labels")
        return _labels(labels) if labels is not None and not labels.is_mapping else []
    return [runs_on] if runs_on.text is not None else runs_on.elements()


def _isolated_runners(documents: list[Document]) -> Iterator[Located]:
    for job in _jobs(documents):
        runs_on = job.node.get("runs-on")
        if runs_on is None:
            continue
        for label in _labels(runs_on):
            if (label.text or "").strip().lower() == "self-hosted":
                yield job.at("runs on a self-hosted runner, which keeps what one build leaves for the next", label)
                break


# locked installs ----------------------------------------------------------------------------------------------------


def _unlocked(command: gating.Command) -> str:
    """What one command line installs without a lockfile, or ""."""
    return next((found.noun for found in installs.unlocked(command.code)), "")


def _placed(document: Document, script: YNode) -> Iterator[tuple[gating.Command, int, int]]:
    """Each command line of a script with the file line and column it starts on. Lines are matched in order; once
    one cannot be found verbatim (an escaped or folded scalar), it and the rest are placed at the scalar."""
    lines = located_lines(document, script)
    cursor: int | None = 0
    for command in gating.commands(script.text or ""):
        index = cursor
        while index is not None and index < len(lines) and not lines[index].text.startswith(command.first_line):
            index += 1
        if index is None or index >= len(lines):
            cursor = None
            yield command, script.line, script.column
        else:
            cursor = index + 1
            yield command, lines[index].line, lines[index].column


def _script_findings(
    documents: list[Document], problem: Callable[[gating.Command], str]
) -> Iterator[tuple[Step, int, int, str]]:
    """(step, line, column, problem) for each command line of a ``run:`` script with a problem."""
    for step in _all_steps(documents):
        script = step.script
        if script is None or not any(problem(command) for command in gating.commands(script.text or "")):
            continue
        for command, line, column in _placed(step.job.document, script):
            what = problem(command)
            if what:
                yield step, line, column, what


def _locked_installs(documents: list[Document]) -> Iterator[Located]:
    for step, line, column, what in _script_findings(documents, _unlocked):
        subject = f"{step.subject}: {what}"
        yield at(step.job.document, line, column, f"{subject}; install from a lockfile", subject)


# debug tracing ------------------------------------------------------------------------------------------------------


def _traces(command: gating.Command) -> str:
    return "set -x" if installs.tracing(command.code) else ""


def _no_debug_tracing(documents: list[Document]) -> Iterator[Located]:
    for step, line, column, what in _script_findings(documents, _traces):
        subject = f"{step.subject}: {what}"
        yield at(step.job.document, line, column, f"{subject} prints every command with its secrets", subject)
    for step in _all_steps(documents):
        shell = step.node.get("shell")
        words = (shell.text or "").split() if shell is not None else []
        if shell is not None and any(installs.XTRACE.fullmatch(word) for word in words[1:]):
            yield step.at("shell: traces every command with its secrets", shell)


# release triggers, approvals, cloud login ---------------------------------------------------------------------------
_PROTECTED_EVENTS = ("push", "release")


def _push_filter(push: YNode | None) -> str:
    """Why a push trigger reaches unprotected refs, or ""."""
    if push is None or not push.is_mapping:
        return "runs on a push to any branch"
    patterns = [item for key in ("branches", "tags") if (value := push.get(key)) is not None for item in _items(value)]
    if not patterns:
        return "runs on a push to any branch (no branches: or tags: filter)"
    if any(item in ("*", "**") for item in patterns):
        return "runs on a push to any branch (a * filter)"
    return ""


def _items(node: YNode) -> list[str]:
    return [node.text] if node.text is not None else [item.text for item in node.elements() if item.text is not None]


def _protected_release(documents: list[Document]) -> Iterator[Located]:
    release = [document for document in documents if _is_release(document)]
    if not release:
        yield from _missing(documents, True, "no workflow deploys through an environment")
    for document in release:
        root = document.yaml
        on = root.get("on") if root is not None else None
        for event, key in triggers(document).items():
            if event not in _PROTECTED_EVENTS:
                message = f"trigger {event}: a workflow that deploys runs only on pushes to protected refs"
                yield at(document, key.line, key.column, message, f"trigger {event}")
            elif event == "push" and (why := _push_filter(on.get("push") if on is not None else None)):
                yield at(document, key.line, key.column, f"trigger push: {why}", "trigger push")


def _deploy_approval(documents: list[Document]) -> Iterator[Located]:
    deploys = [job for job in _jobs(documents) if _deploys(job)]
    if not deploys:
        yield from _missing(documents, True, "no job deploys through an environment")
    for job in deploys:
        environment = job.node.get("environment")
        name = environment.get("name") if environment is not None and environment.is_mapping else environment
        if name is None or not (name.text or "").strip():
            yield job.at("deploys without an environment, so no reviewer approves it")


_LOGINS = ("aws-actions/configure-aws-credentials", "google-github-actions/auth", "azure/login")
_LONG_LIVED = ("aws-access-key-id", "aws-secret-access-key", "credentials_json", "creds", "client-secret")
_NEEDS_ID_TOKEN = re.compile(r"^(?:actions/attest|sigstore/|pypa/gh-action-pypi-publish)")
_COSIGN = re.compile(r"\bcosign\b|ACTIONS_ID_TOKEN_REQUEST")


def _grants_id_token(owner: YNode | None) -> YNode | None:
    permissions = owner.get("permissions") if owner is not None else None
    if permissions is None:
        return None
    if permissions.text == "write-all":
        return permissions
    scope = permissions.get("id-token")
    return scope if scope is not None and scope.text == "write" else None


def _needs_id_token(job: Job) -> bool:
    if job.node.get("uses") is not None:
        return True  # a reusable workflow: its jobs decide
    return any(
        step.uses in _LOGINS or _NEEDS_ID_TOKEN.match(step.uses) or _in_script(_COSIGN)(step) for step in _steps(job)
    )


def _cloud_oidc(documents: list[Document]) -> Iterator[Located]:
    for document in documents:
        root = document.yaml
        top = _grants_id_token(root)
        if top is not None:
            message = "the workflow grants id-token: write to every job; grant it on the jobs that need it"
            yield at(document, top.line, top.column, message, "workflow permissions id-token")
    logins = [step for step in _all_steps(documents) if step.uses in _LOGINS]
    if not logins:
        yield from _missing(documents, True, "no job logs in to the cloud with OIDC")
    for step in logins:
        if _grants_id_token(step.job.node) is None:
            yield step.at("logs in to the cloud but its job has no permissions id-token: write")
        options = step.node.get("with")
        for key, _ in options.entries() if options is not None else []:
            if key.text in _LONG_LIVED:
                yield step.at(f"logs in with a long-lived key ({key.text}) instead of OIDC", key)
    for job in _jobs(documents):
        scope = _grants_id_token(job.node)
        if scope is not None and not _needs_id_token(job):
            yield job.at("has id-token: write but no step that signs or logs in to the cloud", scope)


# verify before deploy -----------------------------------------------------------------------------------------------
_VERIFY = re.compile(r"\bcosign\s+verify(?:-attestation)?\b|\bgh\s+attestation\s+verify\b")
_DEPLOY = re.compile(
    r"\bdeploy[\w.-]*\.sh\b|\bkubectl\s+(?:apply|set|rollout)\b|\bhelm\s+(?:upgrade|install)\b"
    r"|\bgcloud\s+run\s+deploy\b|\baz\s+(?:webapp|containerapp)\b|\baws\s+(?:ecs|lambda)\s+update"
)


def _verifies(step: Step) -> bool:
    return not step.blocked() and bool(_commands(step, _VERIFY)[0])


def _verify_before_deploy(documents: list[Document]) -> Iterator[Located]:
    deploys = [job for job in _jobs(documents) if job.node.get("environment") is not None]
    if not deploys:
        yield from _missing(documents, True, "no job deploys through an environment")
    for job in deploys:
        listed = list(_steps(job))
        deploy = next((step for step in listed if _in_script(_DEPLOY)(step)), None)
        before = [step for step in listed if deploy is None or step.number < deploy.number]
        if not any(_verifies(step) for step in before):
            where = deploy.node if deploy is not None else None
            yield job.at("deploys without verifying the image signature (cosign verify) first", where)


# ---- the table -----------------------------------------------------------------------------------------------------

JUDGES: dict[str, Judge] = {
    "artifact-hygiene": Judge(
        _artifact_hygiene,
        "- uses: actions/upload-artifact@<sha> # v7\n  with:\n    name: dist\n    path: dist/\n",
        "- uses: actions/upload-artifact@<sha> # v7\n  with:\n    name: dist\n    path: dist/\n"
        "    retention-days: 30\n",
    ),
    "isolated-runners": Judge(
        _isolated_runners,
        "jobs:\n  release:\n    runs-on: [self-hosted, linux]\n",
        "jobs:\n  release:\n    runs-on: ubuntu-24.04\n",
    ),
    "locked-installs": Judge(
        _locked_installs,
        "- run: python -m pip install -r requirements-dev.txt\n",
        "- run: python -m pip install --require-hashes --no-deps -r requirements-dev.txt\n",
    ),
    "no-debug-tracing": Judge(
        _no_debug_tracing,
        "- run: |\n    set -x\n    ./deploy.sh\n",
        "- run: ./deploy.sh\n",
    ),
    "protected-release": Judge(
        _protected_release,
        "on:\n  push:\n  pull_request:\njobs:\n  deploy:\n    environment: production\n",
        'on:\n  push:\n    branches: ["main"]\n    tags: ["v*"]\njobs:\n  deploy:\n    environment: production\n',
    ),
    "deploy-approval": Judge(
        _deploy_approval,
        "jobs:\n  deploy-production:\n    runs-on: ubuntu-24.04\n",
        "jobs:\n  deploy-production:\n    runs-on: ubuntu-24.04\n    environment:\n      name: production\n",
    ),
    "cloud-oidc": Judge(
        _cloud_oidc,
        "- uses: aws-actions/configure-aws-credentials@<sha> # v6\n  with:\n"
        "    aws-access-key-id: ${{ secrets.AWS_KEY_ID }}\n",
        "permissions:\n  id-token: write  # the cloud login\nsteps:\n"
        "  - uses: aws-actions/configure-aws-credentials@<sha> # v6\n    with:\n"
        "      role-to-assume: arn:aws:iam::1:role/ci\n",
    ),
    "secret-scan": Judge(
        _scan_check(SECRET_SCAN),
        "- uses: gitleaks/gitleaks-action@<sha> # v3\n  if: false\n",
        "- uses: actions/checkout@<sha> # v7\n  with:\n    fetch-depth: 0\n"
        "- uses: gitleaks/gitleaks-action@<sha> # v3\n",
    ),
    "sast": Judge(
        _scan_check(SAST),
        "- uses: github/codeql-action/upload-sarif@<sha> # v4\n",
        "- uses: github/codeql-action/init@<sha> # v4\n  with:\n    queries: security-extended\n"
        "- uses: github/codeql-action/analyze@<sha> # v4\n",
    ),
    "dependency-scan": Judge(
        _scan_check(DEPENDENCY_SCAN),
        '- uses: aquasecurity/trivy-action@<sha> # v0.36.0\n  with:\n    scan-type: fs\n    exit-code: "0"\n',
        "- uses: aquasecurity/trivy-action@<sha> # v0.36.0\n  with:\n    scan-type: fs\n"
        '    severity: HIGH,CRITICAL\n    exit-code: "1"\n',
    ),
    "coverage-gate": Judge(
        _scan_check(COVERAGE_GATE),
        '- run: echo python -m pytest --cov --cov-fail-under="$COVERAGE_MIN"\n',
        'env:\n  COVERAGE_MIN: "80"\nsteps:\n  - run: python -m pytest --cov --cov-fail-under="$COVERAGE_MIN"\n',
    ),
    "image-scan": Judge(
        _scan_check(IMAGE_SCAN),
        "- uses: aquasecurity/trivy-action@<sha> # v0.36.0\n  continue-on-error: true\n  with:\n"
        "    image-ref: app:scan\n",
        "- uses: aquasecurity/trivy-action@<sha> # v0.36.0\n  with:\n    image-ref: app:scan\n"
        '    severity: HIGH,CRITICAL\n    exit-code: "1"\n',
    ),
    "sbom": Judge(
        _scan_check(SBOM),
        "- uses: anchore/sbom-action@<sha> # v0.24.0\n  if: ${{ false }}\n",
        "- uses: anchore/sbom-action@<sha> # v0.24.0\n  with:\n    format: cyclonedx-json\n",
    ),
    "signing": Judge(
        _signing,
        '- run: echo cosign sign --yes "$IMAGE:latest"\n',
        '- run: cosign sign --yes "${IMAGE}@${DIGEST}"\n'
        '- run: cosign attest --yes --type cyclonedx --predicate sbom.cdx.json "${IMAGE}@${DIGEST}"\n',
    ),
    "verify-before-deploy": Judge(
        _verify_before_deploy,
        'steps:\n  - run: bash deploy/deploy.sh production "${IMAGE}@${DIGEST}"\n',
        'steps:\n  - run: cosign verify "${IMAGE}@${DIGEST}" --certificate-identity "$SIGNER" '
        "--certificate-oidc-issuer https://token.actions.githubusercontent.com\n"
        '  - run: bash deploy/deploy.sh production "${IMAGE}@${DIGEST}"\n',
    ),
    "provenance": Judge(
        _scan_check(PROVENANCE),
        "- uses: actions/attest@<sha> # v4\n  if: false\n",
        "- uses: actions/attest@<sha> # v4\n  with:\n    subject-path: dist/**\n",
    ),
    "dast": Judge(
        _scan_check(DAST),
        "dast:\n  needs: [deploy-staging]\n  steps:\n    - uses: zaproxy/action-api-scan@<sha> # v0.10.0\n",
        "dast:\n  needs: [deploy-staging]\n  continue-on-error: true\n  steps:\n"
        "    - uses: zaproxy/action-api-scan@<sha> # v0.10.0\n",
    ),
}
