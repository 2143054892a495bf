"""Read a repository's CI files and Dockerfiles for ``scaffold adopt`` and pull out what they reveal: toolchain and
build-command signals (language), images pushed and registries logged in to, and branch names.

Reading is bounded and read-only: a fixed set of paths, at most ``MAX_BYTES`` per file, nothing outside the root
(symlinks are resolved first), and a file that is binary, undecodable, too large, unreadable or unparseable is
skipped. Nothing here decides an answer; ``scaffold.inference`` weighs what these functions find.
"""

from __future__ import annotations

import itertools
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scaffold.checks.container import instructions

MAX_BYTES = 1_000_000
_MAX_ENTRIES = 1000


@dataclass
class Found:
    """What one file shows. Each entry pairs a value with a short reason naming the file and the construct."""

    path: str
    languages: list[tuple[str, str]] = field(default_factory=list)
    pushes: list[tuple[str, str]] = field(default_factory=list)  # image references written to a registry
    logins: list[tuple[str, str]] = field(default_factory=list)  # registry hosts logged in to (or "$CI_REGISTRY")
    branches: list[str] = field(default_factory=list)


# --- bounded, read-only file access ---------------------------------------------------------------------------


def inside(root: Path, relative: str) -> Path | None:
    """The real path of ``root/relative`` when it exists and stays inside ``root`` once symlinks are resolved."""
    try:
        real = (root / relative).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, unreadable, or a symlink loop
        return None
    return real if real.is_relative_to(root) else None


def read_text(root: Path, relative: str) -> str | None:
    """A regular file's text, or None when it is missing, outside the root, too large, binary or not UTF-8."""
    real = inside(root, relative)
    try:
        if real is None or not real.is_file():
            return None
        with real.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_BYTES or b"\0" in data:
        return None
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return None


def entries(root: Path, relative: str) -> list[tuple[str, bool]]:
    """(name, is a real folder) of at most ``_MAX_ENTRIES`` entries of a folder inside the root, sorted by name."""
    real = inside(root, relative)
    try:
        if real is None or not real.is_dir():
            return []
        children = list(itertools.islice(real.iterdir(), _MAX_ENTRIES))
        return sorted((child.name, child.is_dir() and not child.is_symlink()) for child in children)
    except OSError:
        return []


class _Loader(yaml.SafeLoader):
    """A SafeLoader that reads unknown tags (GitLab's ``!reference`` and the like) as plain data."""


def _untagged(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_Loader.add_multi_constructor("", _untagged)


def load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)
    except (yaml.YAMLError, RecursionError, ValueError, TypeError):
        return None


def _map(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _scalars(value: Any) -> dict[str, str]:
    """A variables/env mapping with scalar values (GitLab's ``{value: ...}`` form too) as strings."""
    found = {}
    for key, item in _map(value).items():
        item = _map(item).get("value", item) if isinstance(item, dict) else item
        if isinstance(item, str | int | float) and not isinstance(item, bool):
            found[str(key)] = str(item)
    return found


# --- language signals -------------------------------------------------------------------------------------------

_IMAGE_LANGUAGES = {
    "python": "python", "pypy": "python", "node": "node", "golang": "go", "maven": "java", "gradle": "java",
    "openjdk": "java", "eclipse-temurin": "java", "amazoncorretto": "java", "sapmachine": "java",
    "ibm-semeru-runtimes": "java", "zulu-openjdk": "java",
}  # fmt: skip
_SETUP_ACTIONS = {
    "actions/setup-python": "python", "astral-sh/setup-uv": "python", "actions/setup-node": "node",
    "pnpm/action-setup": "node", "actions/setup-go": "go", "actions/setup-java": "java",
    "gradle/actions/setup-gradle": "java", "gradle/gradle-build-action": "java",
}  # fmt: skip
# Build and test commands. A plain ``pip install tool`` or ``go install tool`` installs a tool, not the project,
# so only installs of the project or its requirements count.
_PIP_PROJECT = r"\bpip3?\s+install\b[^\n;&|]*?\s(?:-r|--requirement|-e|--editable|\.(?:\[[^\]\s]*\])?)(?=\s|$)"
_PYTHON_TOOLS = r"\b(?:poetry|pipenv|pdm)\s+(?:install|sync)\b|\buv\s+(?:sync|pip\s+install)\b|\bpytest\b"
_NODE_TOOLS = r"\b(?:npm\s+(?:ci|install|i|run|test)|(?:yarn|pnpm)\s+(?:install|i|build|test|run))\b"
_COMMANDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("go", re.compile(r"\bgo\s+(?:build|test|vet|generate|mod\s+download)\b")),
    ("java", re.compile(r"(?:^|[\s;&|(\"'])(?:\./)?(?:mvnw?|gradlew?)(?=[\s\"';]|$)", re.MULTILINE)),
    ("python", re.compile(_PIP_PROJECT)),
    ("python", re.compile(_PYTHON_TOOLS)),
    ("node", re.compile(_NODE_TOOLS)),
)


def image_language(reference: str) -> str | None:
    """The language of a base or job image: by repository name (``python``, ``golang``, ``maven``, ...), or a
    tag naming python (``ghcr.io/astral-sh/uv:0.5-python3.12``)."""
    name = reference.strip().lower().split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    repository, _, tag = last.partition(":")
    language = _IMAGE_LANGUAGES.get(repository)
    return language or ("python" if tag.startswith("python") or "-python" in tag else None)


def command_languages(found: Found, where: str, script: str) -> None:
    for language, pattern in _COMMANDS:
        match = pattern.search(script)
        if match:
            found.languages.append((language, f"{where}: {' '.join(match.group(0).split())}"))


def _image(found: Found, where: str, reference: Any) -> None:
    name = (reference.get("name") or reference.get("image")) if isinstance(reference, dict) else reference
    language = image_language(name) if isinstance(name, str) else None
    if language:
        found.languages.append((language, f"{where}: image {str(name).strip()}"))


# --- image references pushed, registries logged in to -------------------------------------------------------------

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.DOTALL)
_SEPARATORS = re.compile(r"&&|\|\||[;|\n]")
_IMAGETOOLS_CREATE = ["buildx", "imagetools", "create"]


def expand(text: str, env: dict[str, str]) -> str:
    """Replace ``${{ env.X }}``, ``$X`` and ``${X}`` whose value is known; other ``${{ }}`` stay (without spaces, so
    a command still splits into the same words). Unknown variables stay as they are."""

    def expression(match: re.Match[str]) -> str:
        inner = match.group(1)
        key = inner[4:] if inner.startswith("env.") else None
        return env[key] if key in env else "${{" + re.sub(r"\s+", "", inner) + "}}"

    def variable(match: re.Match[str]) -> str:
        return env.get(match.group(1) or match.group(2), match.group(0))

    for _ in range(4):  # variables may name other variables
        expanded = _VARIABLE.sub(variable, _EXPRESSION.sub(expression, text))
        if expanded == text:
            break
        text = expanded
    return text


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()


def _positionals(words: list[str], valued: tuple[str, ...] = ()) -> list[str]:
    found, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word in valued:
            skip = True
        elif not word.startswith("-"):
            found.append(word)
    return found


def _flag_values(words: list[str], flags: tuple[str, ...]) -> list[str]:
    found = []
    for index, word in enumerate(words):
        name, equals, value = word.partition("=")
        if name in flags and equals:
            found.append(value)
        elif word in flags and index + 1 < len(words):
            found.append(words[index + 1])
    return found


def _command_images(words: list[str]) -> tuple[list[str], list[str]]:
    """(image references pushed, registries logged in to) by one shell command."""
    pushes: list[str] = []
    logins: list[str] = []
    for index, word in enumerate(words):
        rest = words[index + 1 :]
        tool = word.rsplit("/", 1)[-1]
        if tool in ("docker", "podman", "buildah") and rest:
            if rest[0] == "push":
                pushes += _positionals(rest[1:], ("--platform",))[:1]
            elif rest[0] == "tag":
                pushes += _positionals(rest[1:])[1:2]
            elif rest[0] == "login":
                logins += _positionals(rest[1:], ("-u", "--username", "-p", "--password"))[:1] or ["docker.io"]
            elif rest[:3] == _IMAGETOOLS_CREATE or (rest[0] in ("build", "buildx") and "--push" in rest):
                pushes += _flag_values(rest, ("-t", "--tag"))
        elif tool in ("skopeo", "crane") and rest[:1] in (["copy"], ["cp"], ["push"]):
            pushes += _positionals(rest[1:])[1:2]
        elif tool == "executor":  # kaniko
            pushes += _flag_values(rest, ("--destination", "-d"))
    return [push.removeprefix("docker://") for push in pushes], logins


def script_images(found: Found, where: str, script: str, env: dict[str, str]) -> None:
    """Record the images a shell script pushes and the registries it logs in to, with variables it assigns
    literally (``export REPO=acme/api``) and the given environment expanded."""
    script = re.sub(r"\\\r?\n", " ", expand(script, env))
    env = dict(env)
    for command in _SEPARATORS.split(script):
        words = _words(command)
        assignments = [_ASSIGNMENT.fullmatch(word) for word in (words[1:] if words[:1] == ["export"] else words)]
        if words and all(assignments):  # NAME=value (or export NAME=value): later commands see it
            env.update((match[1], expand(match[2], env)) for match in assignments if match)
            continue
        pushes, logins = _command_images([expand(word, env) for word in words])
        found.pushes += [(push, f"{where}: {' '.join(command.split())[:100]}") for push in pushes]
        found.logins += [(login, f"{where}: docker login") for login in logins]


def scan_script(found: Found, where: str, script: str, env: dict[str, str]) -> None:
    command_languages(found, where, script)
    script_images(found, where, script, env)


# --- one function per kind of file -------------------------------------------------------------------------------

_ACTION_LIST = re.compile(r"[\n,]")


def _action_images(found: Found, where: str, action: str, inputs: dict[Any, Any], env: dict[str, str]) -> None:
    text = {str(key): expand(str(value), env) for key, value in inputs.items() if value is not None}
    if action == "docker/login-action":
        found.logins.append((text.get("registry") or "docker.io", f"{where}: {action}"))
    elif action == "docker/metadata-action":
        for line in text.get("images", "").splitlines():
            names = re.findall(r"name=([^,]+)", line) or [part for part in line.split(",") if "=" not in part]
            found.pushes += [(name.strip(), f"{where}: {action} images") for name in names if name.strip()]
    elif action == "docker/build-push-action":
        outputs = text.get("outputs", "")
        names = re.findall(r"name=([^,\"]+)", outputs) if re.search(r"push=(?:true|\$)", outputs) else []
        if text.get("push", "false").lower() not in ("false", ""):
            names += _ACTION_LIST.split(text.get("tags", ""))
        found.pushes += [(name.strip(), f"{where}: {action}") for name in names if name.strip()]


def github(path: str, text: str) -> Found:
    found = Found(path)
    workflow = _map(load_yaml(text))
    triggers = workflow.get("on", workflow.get(True))
    for event in ("push", "pull_request"):
        branches = _map(_map(triggers).get(event)).get("branches")
        found.branches += [str(branch) for branch in _list(branches) if isinstance(branch, str)]
    workflow_env = _scalars(workflow.get("env"))
    for job_name, job in _map(workflow.get("jobs")).items():
        job = _map(job)
        job_env = {**workflow_env, **_scalars(job.get("env"))}
        _image(found, f"{path}: job {job_name}", job.get("container"))
        for step in map(_map, _list(job.get("steps"))):
            env = {**job_env, **_scalars(step.get("env"))}
            uses = step.get("uses")
            if isinstance(uses, str):
                action = uses.split("@", 1)[0].strip().lower()
                if action in _SETUP_ACTIONS:
                    found.languages.append((_SETUP_ACTIONS[action], f"{path}: {action}"))
                _action_images(found, f"{path}: job {job_name}", action, _map(step.get("with")), env)
            if isinstance(step.get("run"), str):
                scan_script(found, f"{path}: job {job_name}", step["run"], env)
    return found


_GITLAB_KEYWORDS = {"stages", "variables", "include", "default", "workflow", "image", "services", "cache", "types"}
_GITLAB_BRANCH = re.compile(r"\$CI_COMMIT_(?:BRANCH|REF_NAME)\s*==\s*[\"']([^\"']+)[\"']")


def _lines(value: Any) -> list[str]:
    lines: list[str] = []
    for item in _list(value):
        lines += [str(part) for part in _list(item) if isinstance(part, str | int | float)]
    return lines


def gitlab(path: str, text: str) -> Found:
    found = Found(path)
    pipeline = _map(load_yaml(text))
    variables = _scalars(pipeline.get("variables"))
    _image(found, path, pipeline.get("image") or _map(pipeline.get("default")).get("image"))
    for name, job in pipeline.items():
        if name in _GITLAB_KEYWORDS or not isinstance(job, dict | list):
            continue
        job = _map(job) if isinstance(job, dict) else {"script": job}  # top-level before_script/after_script
        _image(found, f"{path}: job {name}", job.get("image"))
        env = {**variables, **_scalars(job.get("variables"))}
        script = "\n".join(
            _lines(job.get("before_script")) + _lines(job.get("script")) + _lines(job.get("after_script"))
        )
        scan_script(found, f"{path}: job {name}", script, env)
        only = job.get("only")
        found.branches += [ref for ref in _lines(_map(only).get("refs") if isinstance(only, dict) else only)]
        for rule in map(_map, _list(job.get("rules"))):
            found.branches += _GITLAB_BRANCH.findall(str(rule.get("if", "")))
    return found


_GROOVY_STRING = r"(?:'''(.*?)'''|\"\"\"(.*?)\"\"\"|'([^'\n]*)'|\"([^\"\n]*)\")"
_JENKINS_SHELL = re.compile(r"\b(?:sh|bat|powershell)\s*\(?\s*(?:script\s*:\s*)?" + _GROOVY_STRING, re.DOTALL)
_JENKINS_IMAGE = re.compile(r"\b(?:image|docker\.image)\s*\(?\s*" + _GROOVY_STRING)
_JENKINS_TOOLS = re.compile(r"\btools\s*\{([^}]*)\}")
_JENKINS_TOOL_LANGUAGES = {"maven": "java", "jdk": "java", "gradle": "java", "nodejs": "node", "go": "go"}


def jenkins(path: str, text: str) -> Found:
    found = Found(path)
    for block in _JENKINS_TOOLS.findall(text):
        for tool in re.findall(r"^\s*(\w+)\s", block, re.MULTILINE):
            if tool in _JENKINS_TOOL_LANGUAGES:
                found.languages.append((_JENKINS_TOOL_LANGUAGES[tool], f"{path}: tools {{ {tool} }}"))
    for groups in _JENKINS_IMAGE.findall(text):
        _image(found, path, "".join(groups))
    if re.search(r"\b(?:withMaven|runMaven|withGradle)\s*\(", text):
        found.languages.append(("java", f"{path}: Maven/Gradle pipeline step"))
    for groups in _JENKINS_SHELL.findall(text):
        scan_script(found, f"{path}: sh", "".join(groups), {})
    for url in re.findall(r"\bwithRegistry\s*\(\s*['\"]([^'\"]*)['\"]", text):
        found.logins.append((url or "docker.io", f"{path}: docker.withRegistry"))
    if re.search(r"\.push\s*\(", text):
        for name in re.findall(r"\bdocker\.build\s*\(\s*['\"]([^'\"]+)['\"]", text):
            found.pushes.append((name, f"{path}: docker.build(...).push()"))
    return found


def dockerfile(path: str, text: str) -> Found:
    found = Found(path)
    try:
        steps = instructions(text)
    except ValueError:  # no FROM: not a Dockerfile
        return found
    for step in steps:
        if step.keyword == "from" and step.args:
            reference = step.args.split()[0]
            language = image_language(reference)
            if language:
                found.languages.append((language, f"{path}: FROM {reference}"))
        elif step.keyword == "run":
            command_languages(found, f"{path}: RUN", step.args)
    return found
