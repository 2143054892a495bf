"""Infer answers from the repository a kit is written into: one inference for ``scaffold new`` (which proposes the
answers at its prompts) and ``scaffold adopt`` (which takes them).

``infer_answers(root)`` reads a bounded set of files (root manifests and lockfiles, ``.github/workflows/*``,
``.gitlab-ci.yml``, Jenkinsfiles and Dockerfiles at the root and one folder down, a few source files for the port,
``.scaffold.yml``) and the folder's own git directory (``scaffold.new.git_facts``), and returns only the answers it
found evidence for, each with a short reason. It never writes and never raises on a bad file.

Every file is untrusted: a file that is a FIFO, a device, a symlink leaving the repository, binary, too large or
a YAML bomb is skipped and named in ``Inference.skipped``. The whole run is bounded: at most ``MAX_FILES`` CI files
and Dockerfiles, ``MAX_TOTAL_BYTES`` read in all, ``MAX_LISTED`` folder entries looked at, and at most
``inference_sources.MAX_SIGNALS`` findings of each kind per file weighed.

How each answer is decided:

- language: a root manifest or lockfile beats any CI or Dockerfile evidence. When one tier names several languages
  the priority is go > java > python > node: a Go or Java toolchain is rarely just tooling, while Python and
  Node often are (a Node stage building a frontend, ``pip install`` of a deploy CLI). The other languages seen are
  named in the evidence.
- platforms: github, gitlab, jenkins for each kind of CI file present (readable text); without one, the forge the
  ``origin`` remote is on (unless an answer or a team pack's default names the platforms).
- container: true with a Dockerfile at the root or one folder down, or an image pushed in CI; for ``adopt`` false
  when the repository shows a language or platform but neither; otherwise not inferred.
- registry and image: from images pushed in CI (``docker push``/``tag``, ``buildx --push``, build-push-action,
  metadata-action, kaniko, skopeo, Jenkins ``docker.build().push()``), never from base or job images. A reference
  whose repository path is fully literal beats one where only the host is known, which beats a registry login;
  ties go to the first file in reading order. An image is given only when it passes answers validation. Without
  one from CI, the image follows from ``origin`` where the registry does: ``ghcr.io/OWNER/REPO`` for a GitHub-only
  kit, ``registry.gitlab.com/GROUP/PROJECT`` for a gitlab.com project that GitLab CI builds.
- source_repo: the path of ``origin`` on github.com, gitlab.com or the answered ``gitlab_url``'s host
  (``scaffold.new.origin``), when that forge is one of the platforms.
- default_branch: ``origin/HEAD`` of a git checkout, else the checked-out branch when it is main, master or trunk,
  else the one of those that CI branch filters name most (a filter copied from another repository is weaker
  evidence than git's own HEAD), else the checked-out branch.
- port: the last ``EXPOSE`` the final Dockerfile stage inherits, else a literal port the code listens on
  (``scaffold.new.ports``); only ports the answers accept (1024-65535).
- visibility: only from a ``.scaffold.yml`` already in the folder. Whether a repository is public is known to its
  forge alone, and inference never uses the network.
- starter: as a ``.scaffold.yml`` in the folder records it, else false when the folder already holds code
  (``scaffold.new.starter.code_evidence``).
- name: the folder's name when it is a valid DNS label (``answers.default_name``); ``new`` has it as its default.

Answers given (answers file, ``--set``, a team pack's locks) win: a given key is not inferred, and an inferred
answer that a rule across answers refuses together with a given one is dropped (``answers.compatible``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffold.errors import UsageError
from scaffold.kit.answers import ANSWER_KEYS, check_one, compatible, default_name, suggested_default, validate
from scaffold.kit.record import RECORD_PATH
from scaffold.new import inference_sources as sources
from scaffold.new import ports as ports_in_code
from scaffold.new.git_facts import GitFacts, read_git
from scaffold.new.origin import parse_origin, refused_path
from scaffold.new.starter import code_evidence
from scaffold.untrusted.text import shown

__all__ = ["Inference", "infer_answers"]

LANGUAGE_PRIORITY = ("go", "java", "python", "node")
_MANIFESTS = {
    "go.mod": "go", "go.sum": "go", "build.gradle": "java", "build.gradle.kts": "java", "gradle.lockfile": "java",
    "pom.xml": "java", "poetry.lock": "python", "uv.lock": "python", "Pipfile.lock": "python", "Pipfile": "python",
    "pyproject.toml": "python", "setup.py": "python", "package-lock.json": "node", "yarn.lock": "node",
    "pnpm-lock.yaml": "node", "package.json": "node",
}  # fmt: skip
_SKIPPED_FOLDERS = {"node_modules", "vendor"}
_CONVENTIONAL_BRANCHES = ("main", "master", "trunk")
MAX_FILES = 200
MAX_TOTAL_BYTES = 512_000
MAX_LISTED = 20_000
_MAX_REFERENCE = 512  # longest image reference or registry host classified
_MAX_CANDIDATES = 200


@dataclass(frozen=True)
class Inference:
    answers: dict[str, Any]  # only the keys inferred, values valid for the Answers model
    evidence: dict[str, str]  # key -> short human reason
    skipped: tuple[str, ...] = ()  # "path: why" for each file that was not read


class _Budget:
    """What one inference may still read: files, bytes and folder entries."""

    def __init__(self) -> None:
        self.files = MAX_FILES
        self.bytes = MAX_TOTAL_BYTES
        self.listed = MAX_LISTED
        self.skipped: list[str] = []

    def skip(self, path: str, reason: str) -> None:
        if len(self.skipped) < 50:
            self.skipped.append(f"{shown(path, 200)}: {reason}")


def infer_answers(
    root: Path,
    given: Mapping[str, Any] | None = None,
    *,
    defaults: Mapping[str, Any] | None = None,
    new: bool = False,
) -> Inference:
    """What ``root``'s files and git directory say about the answers.

    ``given`` holds the answers the user gave (answers file, ``--set``, a team pack's locks): they win over
    inference, so no given key is inferred and an inferred answer a rule across answers refuses together with a
    given one is dropped. ``defaults`` (a team pack's) lie below inference, and with the given answers say which
    origin hosts are GitLab (``gitlab_url``) and which image the origin implies (``platforms``, ``registry``).
    With ``new`` the kit is written anew: the folder's name is already the default name, and a missing Dockerfile
    is no evidence against building an image (the kit writes one)."""
    given = dict(given or {})
    defaults = dict(defaults or {})
    try:
        root = root.resolve()
        if not root.is_dir():
            return Inference({}, {})
    except (OSError, RuntimeError):
        return Inference({}, {})
    answers: dict[str, Any] = {}
    evidence: dict[str, str] = {}
    budget = _Budget()
    top = sources.entries(root, ".")
    ci = _ci_files(root, top, budget)
    dockerfiles = _dockerfiles(root, top, budget)

    manifests = [(_manifest_language(name), name) for name, is_dir in top if not is_dir]
    tiers = [[(lang, name) for lang, name in manifests if lang and sources.inside(root, name)]]
    tiers.append([signal for found in ci + dockerfiles for signal in found.languages])
    for signals in tiers:
        if signals:
            answers["language"], evidence["language"] = _pick_language(signals)
            break

    platforms = [
        platform for platform in ("github", "gitlab", "jenkins") if any(_platform(f.path) == platform for f in ci)
    ]
    if platforms:
        answers["platforms"] = platforms
        evidence["platforms"] = ", ".join(f.path for f in ci)

    pushed = [push for found in ci for push in found.pushes]
    if dockerfiles or pushed:
        answers["container"] = True
        evidence["container"] = dockerfiles[0].path if dockerfiles else f"image pushed: {pushed[0][1]}"
        _registry(ci, answers, evidence)
    elif answers and not new:
        answers["container"] = False
        evidence["container"] = "no Dockerfile at the root or one folder down, and no image pushed in CI"

    git = read_git(root)
    budget.skipped += git.skipped
    branch = _default_branch(git, [branch for found in ci for branch in found.branches])
    if branch:
        answers["default_branch"], evidence["default_branch"] = branch
    origin_forge = _from_origin(git, (defaults, given), answers, evidence, budget)
    _port(root, top, dockerfiles, answers, evidence)
    _recorded(root, answers, evidence)
    code = code_evidence(root) if "starter" not in answers else None
    if code is not None:
        answers["starter"], evidence["starter"] = False, f"{code}: the folder holds code"
    name = default_name(root.name)
    if name and not new:
        answers["name"], evidence["name"] = name, f"folder name {root.name!r}"
    from_origin = {key for key in ("source_repo", "image") if evidence.get(key, "").startswith("git remote origin")}
    kept = compatible(answers, given, defaults)
    kept = _without_a_lost_forge(kept, (origin_forge, from_origin), (defaults, given))
    order = [key for key in ANSWER_KEYS if key in kept]
    return Inference({key: kept[key] for key in order}, {key: evidence[key] for key in order}, tuple(budget.skipped))


# --- the origin remote, the port, the visibility -------------------------------------------------------------------


def _gitlab_hosts(given: Mapping[str, Any]) -> list[str]:
    url = given.get("gitlab_url")
    if not isinstance(url, str) or check_one("gitlab_url", url) is not None:
        return []
    return [url.removeprefix("https://").split("/", 1)[0].split(":", 1)[0].lower()]


def _from_origin(
    git: GitFacts,
    layers: tuple[Mapping[str, Any], Mapping[str, Any]],
    answers: dict[str, Any],
    evidence: dict[str, str],
    budget: _Budget,
) -> str | None:
    """platforms (when neither a CI file nor an answer says), source_repo and image from where ``origin`` points.
    ``layers`` are the defaults and the given answers, which the inferred answers lie between. Returns the forge
    source_repo was read from, if it was."""
    if git.origin_url is None:
        return None
    defaults, given = layers
    hosts = _gitlab_hosts({**defaults, **given})
    remote = parse_origin(git.origin_url, hosts)
    if remote is None:
        problem = refused_path(git.origin_url, hosts)
        budget.skipped.append(
            f"git remote origin: its repository path does not fit: {problem}; source_repo and image were not "
            "inferred from it"
            if problem
            else "git remote origin: not a repository URL on github.com, gitlab.com or the answered gitlab_url's "
            "host; source_repo and image were not inferred from it"
        )
        return None
    where = f"git remote origin {remote}"
    if "platforms" not in answers and "platforms" not in defaults and "platforms" not in given:
        answers["platforms"], evidence["platforms"] = [remote.forge], f"{where}; no CI file"
    view = {**defaults, **answers, **given}
    platforms = list(view.get("platforms") or ["github"])
    if remote.forge not in platforms:
        return None  # the repository lives on a forge the kit does not run on: its path names no CI identity here
    answers["source_repo"], evidence["source_repo"] = remote.path, where
    if "image" in view or view.get("container", True) is False:
        return remote.forge
    registry = view.get("registry")
    kind, image = None, None
    if remote.forge == "github" and platforms == ["github"] and registry in (None, "ghcr"):
        kind, image = "ghcr", f"ghcr.io/{remote.path.lower()}"
    elif remote.host == "gitlab.com" and "gitlab" in platforms and registry in (None, "gitlab"):
        kind, image = "gitlab", f"registry.gitlab.com/{remote.path.lower()}"
    if kind and image and check_one("image", image) is None and _valid_image(kind, image):
        answers["image"], evidence["image"] = image, f"{where}: the {kind} registry of the repository"
    return remote.forge


def _without_a_lost_forge(
    kept: dict[str, Any],
    origin: tuple[str | None, set[str]],
    layers: tuple[Mapping[str, Any], Mapping[str, Any]],
) -> dict[str, Any]:
    """``kept`` without the answers read from origin (``origin``: its forge, and those keys) once that forge is no
    longer a platform (a given answer dropped it): a GitLab project path must not become a GitHub kit's signing
    identity."""
    forge, keys = origin
    defaults, given = layers
    platforms = list({"platforms": ["github"], **defaults, **kept, **given}["platforms"] or ["github"])
    if forge is None or forge in platforms:
        return kept
    return {key: value for key, value in kept.items() if key not in keys}


_MAX_CODE_FILES = 40
_MAX_CODE_BYTES = 64_000
_SPRING_CONFIG = tuple(f"src/main/resources/application.{suffix}" for suffix in ("properties", "yml", "yaml"))


def _port(
    root: Path,
    top: list[tuple[str, bool]],
    dockerfiles: list[sources.Found],
    answers: dict[str, Any],
    evidence: dict[str, str],
) -> None:
    """The port a Dockerfile exposes, else the one the code listens on (a few files, read with small caps)."""
    ports = [(port, reason) for found in dockerfiles for port, reason in found.ports if check_one("port", port) is None]
    if not ports:
        code = _one_level(root, top, ports_in_code.is_code_file, _Budget())[:_MAX_CODE_FILES]
        for path in [*code, *_SPRING_CONFIG]:
            text = sources.read_text(root, path, limit=_MAX_CODE_BYTES)
            if text is not None:
                ports += ports_in_code.scan(path, text).ports
    if not ports:
        return
    port, reason = ports[0]
    others = sorted({other for other, _ in ports} - {port})
    answers["port"] = port
    evidence["port"] = reason + (f"; also saw {', '.join(map(str, others))}" if others else "")


_RECORDED = ("starter", "visibility")


def _recorded(root: Path, answers: dict[str, Any], evidence: dict[str, str]) -> None:
    """What a kit record already in the folder says of the answers nothing else tells: the visibility (only the
    forge knows it, and inference never uses the network), and whether the kit was written with its starter
    (whose files would otherwise read as the team's code on a second ``new``)."""
    record = sources.load_yaml(sources.read_text(root, RECORD_PATH) or "")
    recorded = record.get("answers") if isinstance(record, dict) else None
    for key in _RECORDED:
        value = recorded.get(key) if isinstance(recorded, dict) else None
        if value is not None and check_one(key, value) is None:
            answers[key], evidence[key] = value, f"{RECORD_PATH} records it"


# --- which files ---------------------------------------------------------------------------------------------------


def _platform(path: str) -> str:
    if path.startswith(".github/"):
        return "github"
    return "gitlab" if path == ".gitlab-ci.yml" else "jenkins"


def _is_jenkinsfile(name: str) -> bool:
    lower = name.lower()
    return lower == "jenkinsfile" or lower.startswith("jenkinsfile.") or lower.endswith(".jenkinsfile")


def _is_dockerfile(name: str) -> bool:
    lower = name.lower()
    return lower in ("dockerfile", "containerfile") or lower.startswith("dockerfile.") or lower.endswith(".dockerfile")


def _one_level(root: Path, top: list[tuple[str, bool]], wanted: Any, budget: _Budget) -> list[str]:
    """Files at the root, then in each non-hidden folder one level down, whose name ``wanted`` accepts."""
    paths = [name for name, is_dir in top if not is_dir and wanted(name)]
    for folder, is_dir in top:
        if is_dir and not folder.startswith(".") and folder not in _SKIPPED_FOLDERS and budget.listed > 0:
            listed = sources.entries(root, folder)
            budget.listed -= len(listed) + 1
            paths += [f"{folder}/{name}" for name, sub in listed if not sub and wanted(name)]
    return paths


def _read(root: Path, paths: list[str], parse: Any, budget: _Budget) -> list[sources.Found]:
    found = []
    for path in paths:
        if budget.files <= 0 or budget.bytes <= 0:
            budget.skip(path, f"not read: inference reads at most {MAX_FILES} files and {MAX_TOTAL_BYTES} bytes")
            continue
        text, reason = sources.read_reason(root, path, limit=min(sources.MAX_BYTES, budget.bytes))
        budget.files -= 1
        if text is None:
            if reason:
                budget.skip(path, reason)
            continue
        budget.bytes -= len(text)
        try:
            found.append(parse(path, text).trim())
        except (ValueError, TypeError, RecursionError, MemoryError):  # nothing could make sense of it: skip it
            budget.skip(path, "could not be parsed")
            found.append(sources.Found(path))
    return found


def _ci_files(root: Path, top: list[tuple[str, bool]], budget: _Budget) -> list[sources.Found]:
    workflows = [
        f".github/workflows/{name}"
        for name, is_dir in sources.entries(root, ".github/workflows")
        if not is_dir and name.endswith((".yml", ".yaml"))
    ]
    return (
        _read(root, workflows, sources.github, budget)
        + _read(root, [".gitlab-ci.yml"], sources.gitlab, budget)
        + _read(root, _one_level(root, top, _is_jenkinsfile, budget), sources.jenkins, budget)
    )


def _dockerfiles(root: Path, top: list[tuple[str, bool]], budget: _Budget) -> list[sources.Found]:
    return _read(root, _one_level(root, top, _is_dockerfile, budget), sources.dockerfile, budget)


# --- language ------------------------------------------------------------------------------------------------------


def _manifest_language(name: str) -> str | None:
    if re.fullmatch(r"requirements[\w.-]*\.txt", name):
        return "python"
    return _MANIFESTS.get(name)


def _pick_language(signals: list[tuple[str, str]]) -> tuple[str, str]:
    seen = {language: reason for language, reason in reversed(signals)}  # first reason per language
    chosen = next(language for language in LANGUAGE_PRIORITY if language in seen)
    others = [
        f"{language} ({seen[language]})" for language in LANGUAGE_PRIORITY if language in seen and language != chosen
    ]
    reason = seen[chosen]
    if others:
        reason += f"; also saw {', '.join(others)}; chose by priority {' > '.join(LANGUAGE_PRIORITY)}"
    return chosen, reason


# --- registry and image --------------------------------------------------------------------------------------------

_REFERENCE = re.compile(
    r"(?:(?P<host>[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::[0-9]+)?|localhost(?::[0-9]+)?)/)?(?P<path>[a-z0-9._/-]*)(?P<rest>.*)",
    re.DOTALL,
)
_DOCKER_HUB = {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}
_GITLAB_VARIABLES = re.compile(r"\$\{?CI_REGISTRY(?:_IMAGE)?\b")
_PLAIN_HOST = re.compile(r"[a-z0-9][a-z0-9.-]*(?::[0-9]{1,5})?")
# Matched only against a host that is ``_PLAIN_HOST`` and at most ``_MAX_REFERENCE`` long: a leading ``.*`` backtracks
# once per position, which is linear for one search anchored at the start.
_HOST_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ghcr", re.compile(r"ghcr\.io")),
    ("ecr", re.compile(r"[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?")),
    ("gar", re.compile(r"[a-z0-9-]+-docker\.pkg\.dev")),
    ("acr", re.compile(r"[a-z0-9]+\.azurecr\.io")),
    ("dockerhub", re.compile(r"docker\.io")),
    ("gitlab", re.compile(r"registry\.gitlab\.com")),
    ("artifactory", re.compile(r".*\.jfrog\.io|.*artifactory.*")),
    ("harbor", re.compile(r".*harbor.*")),
)
_NIL_UUID = "00000000-0000-0000-0000-000000000000"
# Placeholders that let ``validate`` check an image for a registry that needs a cloud; never returned.
_CLOUD_PLACEHOLDERS: dict[str, dict[str, str]] = {
    "aws": {"aws_role_arn": "arn:aws:iam::123456789012:role/adopt-check"},
    "gcp": {
        "gcp_workload_identity_provider": "projects/1/locations/global/workloadIdentityPools/pool/providers/prov",
        "gcp_service_account": "adopt-check@adopt-check.iam.gserviceaccount.com",
    },
    "azure": {
        f"azure_{key}_id": "00000000-0000-0000-0000-000000000000" for key in ("client", "tenant", "subscription")
    },
}


def _host(text: str) -> str:
    host = re.sub(r"^[a-z]+://", "", text.strip().lower()).split("/", 1)[0]
    return "docker.io" if host in _DOCKER_HUB else host


def _host_kind(host: str) -> str | None:
    if len(host) > _MAX_REFERENCE or not _PLAIN_HOST.fullmatch(host):
        return None
    return next((kind for kind, pattern in _HOST_KINDS if pattern.fullmatch(host)), None)


def _valid_image(kind: str, image: str) -> bool:
    cloud = suggested_default("cloud", {"registry": kind, "platforms": ["github"]}) or "none"
    candidate = {"registry": kind, "image": image, "cloud": cloud, **_CLOUD_PLACEHOLDERS.get(cloud, {})}
    try:
        validate(candidate)
    except UsageError:
        return False
    return True


def _classify(reference: str, hub_login: bool) -> tuple[str | None, str | None]:
    """(registry kind, image repository) of a pushed reference; either may be None when it cannot be told."""
    if len(reference) > _MAX_REFERENCE:
        return None, None
    if _GITLAB_VARIABLES.match(reference.strip()):
        return "gitlab", None  # $CI_REGISTRY_IMAGE: the project's own GitLab registry, path unknown here
    match = _REFERENCE.fullmatch(re.sub(r"^[a-z]+://", "", reference.strip().lower()))
    if match is None:
        return None, None
    path, rest = match["path"], match["rest"]
    complete = bool(path) and not path.endswith("/") and "//" not in path and rest[:1] in ("", ":", "@")
    host = _host(match["host"]) if match["host"] else None
    if host is None:  # docker.io implied: only with a Docker Hub login, and only as namespace/repository
        if not (complete and hub_login and path.count("/") == 1):
            return None, None
        host = "docker.io"
    kind = _host_kind(host)
    image = f"{host}/{path}" if kind and complete else None
    return kind, image if image and _valid_image(kind or "", image) else None


def _registry(ci: list[sources.Found], answers: dict[str, Any], evidence: dict[str, str]) -> None:
    candidates: list[tuple[int, int, str, str | None, str]] = []  # (strength, order, kind, image, reason)
    for found in ci:
        logins = [(login, reason) for login, reason in found.logins]
        hub_login = any(_host(login) == "docker.io" for login, _ in logins)
        for reference, reason in found.pushes:
            if len(candidates) >= _MAX_CANDIDATES:
                break
            kind, image = _classify(reference, hub_login)
            if kind:
                candidates.append((3 if image else 2, len(candidates), kind, image, reason))
        for login, reason in logins:
            kind = "gitlab" if _GITLAB_VARIABLES.match(login) else _host_kind(_host(login))
            if kind:
                candidates.append((1, len(candidates), kind, None, reason))
    if not candidates:
        return
    _, _, kind, image, reason = min(candidates, key=lambda c: (-c[0], c[1]))
    others = sorted({c[2] for c in candidates} - {kind})
    answers["registry"], evidence["registry"] = kind, reason + (f"; also saw {', '.join(others)}" if others else "")
    if image:
        answers["image"], evidence["image"] = image, reason


# --- default branch ------------------------------------------------------------------------------------------------


def _default_branch(git: GitFacts, ci_branches: list[str]) -> tuple[str, str] | None:
    if git.origin_head:
        return git.origin_head, "git: origin/HEAD"
    local = git.head
    if local in _CONVENTIONAL_BRANCHES:
        return local, "git: the checked-out branch (HEAD)"
    counts = Counter(branch for branch in ci_branches if branch in _CONVENTIONAL_BRANCHES)
    if counts:
        branch = counts.most_common(1)[0][0]
        return branch, f"CI branch filters name {branch!r}"
    return (local, "git: the checked-out branch (HEAD)") if local else None
