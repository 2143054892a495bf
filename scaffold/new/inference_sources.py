"""Read a repository's CI files and Dockerfiles for ``scaffold adopt`` and pull out what they reveal: toolchain and
build-command signals (language), images pushed and registries logged in to, and branch names.

Reading is bounded and read-only: a fixed set of paths, at most ``MAX_BYTES`` per file, nothing outside the root
(symlinks are resolved first), never a FIFO or a device, and a file that is binary, undecodable, too large,
unreadable or unparseable is skipped. Nothing here decides an answer; ``scaffold.new.inference`` weighs what these
functions find.

Every file is hostile until proven otherwise, so the work done on one is bounded too: YAML is read with the bounded
loader (no alias bomb, no deep nesting), every regular expression matches in linear time (no two quantifiers can
claim the same characters), and each file has a work budget (``WORK_LIMIT`` characters of script scanned, variable
expansion included) so that aliases repeating one huge script cannot multiply the scanning.
"""

from __future__ import annotations

import itertools
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scaffold.rules.docker.instructions import final_setting, instructions, stages, value
from scaffold.rules.document import Document
from scaffold.rules.model import Kind
from scaffold.untrusted import read as untrusted
from scaffold.untrusted.yaml_load import BoundedLoader, load

MAX_BYTES = 256_000
"""Largest file read; real CI files and Dockerfiles are a few kilobytes."""
WORK_LIMIT = 2_000_000
"""Most characters of script (after variable expansion) scanned per file."""
MAX_SIGNALS = 100
"""Most languages, pushes, logins and branches kept per file."""
_MAX_ENTRIES = 1000
_MAX_ENV = 200  # variables kept from one env/variables mapping
_MAX_VALUE = 1000  # longest variable value used in expansion
_MAX_ARGS = 64  # words after a docker/skopeo/crane/executor word read as its arguments


@dataclass
class Found:
    """What one file shows. Each entry pairs a value with a short reason naming the file and the construct."""

    path: str
    languages: list[tuple[str, str]] = field(default_factory=list)
    pushes: list[tuple[str, str]] = field(default_factory=list)  # image references written to a registry
    logins: list[tuple[str, str]] = field(default_factory=list)  # registry hosts logged in to (or "$CI_REGISTRY")
    branches: list[str] = field(default_factory=list)
    ports: list[tuple[int, str]] = field(default_factory=list)  # ports a Dockerfile exposes or code listens on
    budget: int = field(default=WORK_LIMIT, repr=False, compare=False)

    def spend(self, amount: int) -> bool:
        """Take ``amount`` from the file's work budget; False (and nothing taken) when it would run out."""
        if amount > self.budget:
            self.budget = 0
            return False
        self.budget -= amount
        return True

    def trim(self) -> Found:
        """Keep at most ``MAX_SIGNALS`` entries of each kind."""
        del self.languages[MAX_SIGNALS:], self.pushes[MAX_SIGNALS:], self.logins[MAX_SIGNALS:]
        del self.branches[MAX_SIGNALS:], self.ports[MAX_SIGNALS:]
        return self


# --- bounded, read-only file access ---------------------------------------------------------------------------


def inside(root: Path, relative: str) -> Path | None:
    """The real path of ``root/relative`` when it exists and stays inside ``root`` once symlinks are resolved."""
    try:
        real = (root / relative).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, unreadable, or a symlink loop
        return None
    return real if real.is_relative_to(root) else None


def read_text(root: Path, relative: str, limit: int = MAX_BYTES) -> str | None:
    """A regular file's text, or None when it is missing, outside the root, not a regular file (a FIFO is never
    opened for a blocking read), larger than ``limit``, binary or not UTF-8."""
    return read_reason(root, relative, limit)[0]


def read_reason(root: Path, relative: str, limit: int = MAX_BYTES) -> tuple[str | None, str]:
    """``(text, "")``, or ``(None, why it was skipped)``; the reason is empty when the file does not exist."""
    real = inside(root, relative)
    if real is None:
        exists = (root / relative).is_symlink() or (root / relative).exists()
        return None, "is a symlink loop or leads outside the repository" if exists else ""
    try:
        return untrusted.read_text(real, limit=min(limit, MAX_BYTES)), ""
    except untrusted.UnreadableInput as error:
        return None, str(error)


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


class _Loader(BoundedLoader):
    """The bounded loader, reading unknown tags (GitLab's ``!reference`` and the like) as plain data."""


def _untagged(loader: BoundedLoader, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_Loader.add_multi_constructor("", _untagged)


def load_yaml(text: str) -> Any:
    try:
        return load(text, _Loader)
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, AttributeError):
        return None


def _map(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _scalars(value: Any) -> dict[str, str]:
    """A variables/env mapping with scalar values (GitLab's ``{value: ...}`` form too) as strings: at most
    ``_MAX_ENV`` of them, each at most ``_MAX_VALUE`` long (longer ones are left unexpanded)."""
    found = {}
    for key, item in itertools.islice(_map(value).items(), _MAX_ENV):
        item = _map(item).get("value", item) if isinstance(item, dict) else item
        if isinstance(key, str) and isinstance(item, str | int | float) and not isinstance(item, bool):
            text = item if isinstance(item, str) else _number(item)
            if len(text) <= _MAX_VALUE:
                found[key] = text
    return found


def _text(value: str | int | float) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else _number(value)


def _number(value: int | float) -> str:
    try:
        return str(value)
    except ValueError:  # an integer too long to print
        return ""


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
# Each pattern matches in linear time: no two adjacent quantifiers take the same characters, and the one lazy scan
# (the arguments of ``pip install``) is bounded.
_PIP_PROJECT = r"\bpip3?\s+install\b[^\n;&|]{0,400}?\s(?:-r|--requirement|-e|--editable|\.(?:\[[^\]\s]*\])?)(?=\s|$)"
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

# ``${{ ... }}`` on one line. The inside stops at the next ``${{`` as well as at ``}}``, so the scans from many
# unclosed openings never overlap (``.*?`` would rescan the rest of the line from each one).
_EXPRESSION = re.compile(r"\$\{\{((?:[^$}\n]|\$(?!\{\{)|\}(?!\}))*)\}\}")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.DOTALL)
_SEPARATORS = re.compile(r"&&|\|\||[;|\n]")
_IMAGETOOLS_CREATE = ["buildx", "imagetools", "create"]


def expand(text: str, env: dict[str, str], limit: int = 65_536) -> str:
    """Replace ``${{ env.X }}``, ``$X`` and ``${X}`` whose value is known; other ``${{ }}`` stay (without spaces, so
    a command still splits into the same words). Unknown variables stay as they are. The text grows by at most
    ``limit`` characters: past that, the remaining variables stay unexpanded."""
    room = [limit]

    def grow(match: re.Match[str], value: str) -> str:
        extra = len(value) - len(match.group(0))
        if extra > room[0]:
            return match.group(0)
        room[0] -= max(extra, 0)
        return value

    def expression(match: re.Match[str]) -> str:
        inner = match.group(1).strip()
        key = inner[4:] if inner.startswith("env.") else None
        if key in env:
            return grow(match, env[key])
        return "${{" + re.sub(r"\s+", "", inner) + "}}"

    def variable(match: re.Match[str]) -> str:
        value = env.get(match.group(1) or match.group(2))
        return match.group(0) if value is None else grow(match, value)

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


_TOOLS = frozenset(
    {"docker", "podman", "buildah", "skopeo", "crane", "executor", "cosign", "buildctl", "buildctl-daemonless.sh"}
)
# Options of skopeo and crane that take the next word as their value (so it is not read as an image).
_COPY_VALUED = (
    "--src-creds", "--dest-creds", "--creds", "--authfile", "--src-authfile", "--dest-authfile", "--src-cert-dir",
    "--dest-cert-dir", "--src-registry-token", "--dest-registry-token", "--sign-by", "--format", "-f",
    "--retry-times", "--additional-tag", "--platform", "--username", "-u", "--password", "-p",
)  # fmt: skip
# Options whose value is a secret: never quoted in evidence.
_SECRET_OPTIONS = frozenset(
    {"--src-creds", "--dest-creds", "--creds", "--src-registry-token", "--dest-registry-token", "--password", "-p",
     "--registry-token", "--token", "--identity-token"}
)  # fmt: skip
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")
_PUSHED_OUTPUT = re.compile(r"(?:^|,)name=([^,]+)")


def _command_images(words: list[str]) -> tuple[list[str], list[str]]:
    """(image references pushed, registries logged in to) by one shell command. Each tool word's arguments are
    the ``_MAX_ARGS`` words after it, so a command of many tool words stays linear."""
    pushes: list[str] = []
    logins: list[str] = []
    for index, word in enumerate(words):
        tool = word.rsplit("/", 1)[-1]
        if tool not in _TOOLS:
            continue
        rest = words[index + 1 : index + 1 + _MAX_ARGS]
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
            pushes += _positionals(rest[1:], _COPY_VALUED)[1:2]
        elif tool == "executor":  # kaniko
            pushes += _flag_values(rest, ("--destination", "-d"))
        elif tool == "cosign" and rest[:1] == ["load"]:  # pushes an image layout built earlier (BuildKit, ko)
            pushes += _positionals(rest[1:], ("--dir", "--platform"))[:1]
        elif tool.startswith("buildctl"):  # BuildKit: --output type=image,name=REF,push=true
            for output in _flag_values(rest, ("--output", "-o")):
                if ",push=true" in f",{output}":
                    pushes += _PUSHED_OUTPUT.findall(output)[:1]
    return [push.removeprefix("docker://") for push in pushes], logins


def redacted(words: list[str]) -> list[str]:
    """The words of a command as evidence may quote them: the values of credential options, of NAME=value
    assignments and the userinfo of URLs are replaced by ``***``."""
    shown: list[str] = []
    secret_next = False
    for word in words[:_MAX_ARGS]:
        option, equals, _ = word.partition("=")
        if secret_next:
            word, secret_next = "***", False
        elif word in _SECRET_OPTIONS:
            secret_next = True
        elif equals and (option in _SECRET_OPTIONS or _ASSIGNMENT.fullmatch(word)):
            word = f"{option}=***"
        shown.append(_USERINFO.sub("***@", word))
    return shown


def script_images(found: Found, where: str, script: str, env: dict[str, str]) -> None:
    """Record the images a shell script pushes and the registries it logs in to, with variables it assigns
    literally (``export REPO=acme/api``) and the given environment expanded. Expanded text is paid for from
    the file's work budget; once it runs out the rest of the script is not read."""
    script = expand(script, env, limit=min(found.budget, 65_536))
    if not found.spend(len(script)):
        return
    script = re.sub(r"\\\r?\n", " ", script)
    env = dict(env)
    for command in _SEPARATORS.split(script):
        words = _words(command)
        assignments = [_ASSIGNMENT.fullmatch(word) for word in (words[1:] if words[:1] == ["export"] else words)]
        if words and all(assignments):  # NAME=value (or export NAME=value): later commands see it
            env.update(
                (match[1], expand(match[2], env, limit=_MAX_VALUE))
                for match in assignments
                if match and len(match[2]) <= _MAX_VALUE
            )
            continue
        if not any(word.rsplit("/", 1)[-1] in _TOOLS for word in words):
            continue
        expanded = [expand(word, env, limit=min(found.budget, 4096)) for word in words]
        if not found.spend(sum(map(len, expanded))):
            return
        pushes, logins = _command_images(expanded)
        shown = " ".join(redacted(words))[:100]
        found.pushes += [(push, f"{where}: {shown}") for push in pushes]
        found.logins += [(login, f"{where}: docker login") for login in logins]


def scan_script(found: Found, where: str, script: str, env: dict[str, str]) -> None:
    if not found.spend(len(script) + 1):
        return
    command_languages(found, where, script)
    script_images(found, where, script, env)


# --- one function per kind of file -------------------------------------------------------------------------------

_ACTION_LIST = re.compile(r"[\n,]")


def _action_images(found: Found, where: str, action: str, inputs: dict[Any, Any], env: dict[str, str]) -> None:
    if action not in ("docker/login-action", "docker/metadata-action", "docker/build-push-action"):
        return
    text = {
        key: expand(_text(value), env, limit=min(found.budget, 65_536))
        for key, value in itertools.islice(inputs.items(), _MAX_ENV)
        if isinstance(key, str) and isinstance(value, str | int | float)
    }
    if not found.spend(sum(map(len, text.values())) + 1):
        return
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
        if not found.spend(1 + len(workflow_env)):
            return found
        job = _map(job)
        job_env = {**workflow_env, **_scalars(job.get("env"))}
        _image(found, f"{path}: job {job_name}", job.get("container"))
        for step in map(_map, _list(job.get("steps"))):
            if not found.spend(1 + len(job_env)):
                return found
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
    for item in itertools.islice(_list(value), 10_000):
        lines += [part for part in itertools.islice(_list(item), 10_000) if isinstance(part, str)]
    return lines


def gitlab(path: str, text: str) -> Found:
    found = Found(path)
    pipeline = _map(load_yaml(text))
    variables = _scalars(pipeline.get("variables"))
    _image(found, path, pipeline.get("image") or _map(pipeline.get("default")).get("image"))
    for name, job in pipeline.items():
        if name in _GITLAB_KEYWORDS or not isinstance(job, dict | list):
            continue
        if not found.spend(1 + len(variables)):
            return found
        job = _map(job) if isinstance(job, dict) else {"script": job}  # top-level before_script/after_script
        _image(found, f"{path}: job {name}", job.get("image"))
        env = {**variables, **_scalars(job.get("variables"))}
        lines = _lines(job.get("before_script")) + _lines(job.get("script")) + _lines(job.get("after_script"))
        if not found.spend(sum(map(len, lines)) + len(lines)):  # paid before joining: aliases may repeat a script
            return found
        scan_script(found, f"{path}: job {name}", "\n".join(lines), env)
        only = job.get("only")
        found.branches += _lines(_map(only).get("refs") if isinstance(only, dict) else only)[:MAX_SIGNALS]
        for rule in map(_map, itertools.islice(_list(job.get("rules")), MAX_SIGNALS)):
            condition = rule.get("if")
            if isinstance(condition, str) and found.spend(len(condition) + 1):
                found.branches += _GITLAB_BRANCH.findall(condition)[:MAX_SIGNALS]
    return found


_GROOVY_STRING = r"(?:'''(.*?)'''|\"\"\"(.*?)\"\"\"|'([^'\n]*)'|\"([^\"\n]*)\")"
# ``\s*(?:\(\s*)?``, not ``\s*\(?\s*``: two adjacent ``\s*`` would split a run of spaces every possible way.
_JENKINS_SHELL = re.compile(r"\b(?:sh|bat|powershell)\s*(?:\(\s*)?(?:script\s*:\s*)?" + _GROOVY_STRING, re.DOTALL)
_JENKINS_IMAGE = re.compile(r"\b(?:image|docker\.image)\s*(?:\(\s*)?" + _GROOVY_STRING)
# The block stops at a ``{`` too, so unclosed ``tools {`` openings never rescan the rest of the file.
_JENKINS_TOOLS = re.compile(r"\btools\s*\{([^{}]*)\}")
_JENKINS_TOOL = re.compile(r"^[ \t]*(\w+)\s", re.MULTILINE)
_JENKINS_TOOL_LANGUAGES = {"maven": "java", "jdk": "java", "gradle": "java", "nodejs": "node", "go": "go"}


def jenkins(path: str, text: str) -> Found:
    found = Found(path)
    for block in _JENKINS_TOOLS.findall(text):
        for tool in _JENKINS_TOOL.findall(block):
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
    """Languages from a Dockerfile's base images (ARG defaults expanded) and RUN commands (heredoc bodies included),
    and the ports the built image exposes (the last EXPOSE it inherits, literal ports only), read by the audit
    rules' Dockerfile reader; a file without FROM is no Dockerfile and shows nothing."""
    found = Found(path)
    document = Document(path, Kind.DOCKERFILE, text)
    if not stages(document):
        return found
    _, _, expose = final_setting(document, "EXPOSE")
    for word in expose.words()[:MAX_SIGNALS] if expose is not None else []:
        port = re.fullmatch(r"([0-9]{1,5})(?:/tcp)?", word.text)
        if port:
            found.ports.append((int(port[1]), f"{path}: EXPOSE {word.text}"))
    for step in instructions(document):
        words = step.words()
        if step.keyword == "FROM" and words:
            expansion = value(document, step)
            language = image_language((expansion.known if expansion else None) or words[0].text)
            if language:
                found.languages.append((language, f"{path}: FROM {words[0].text}"))
        elif step.keyword == "RUN":
            for script, _ in step.scripts():
                command_languages(found, f"{path}: RUN", script)
    return found
