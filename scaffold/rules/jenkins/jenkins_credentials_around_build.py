"""## What it does
Finds credentials bound around build or test steps, which run code a pull request can change.

The binding is a `withCredentials` block, or an `environment` block with `credentials()` (for the whole pipeline or a
stage). The steps are `sh`, `bat`, `powershell` or `pwsh` scripts running a build or test tool (`make`, `npm`, `npx`,
`yarn`, `pnpm`, `mvn`, `./mvnw`, `gradle`, `./gradlew`, `pip install`, `pytest`, `tox`, `nox`, `go build`, `go test`,
`go run`, `go generate`, `cargo build`, `cargo test`, `docker build`, `docker compose build`), and `docker.build()`.

How it decides (a heuristic): a tool counts when it starts a shell command (at a line's start, or after `;`, `&&`,
`|`, `(`, `$(`, `then`, `do`, `sudo`, `env`, `VAR=value`, ...), not on `#` comment lines. A step inside a declarative
stage whose `when` only allows branches or tags (`branch`, `tag`, `buildingTag`, combined with `anyOf`/`allOf`, and
nothing else) is trusted, because a pull request build does not run that stage. Conditions in Groovy code
(`if (env.BRANCH_NAME == 'main')`) are not understood, and scripts the build calls (`./ci/build.sh`) are not read.
The finding is reported on the `withCredentials` line, or on the `credentials()` entry of the `environment` block.

## Why is this bad?
These tools run files a pull request can change: the Makefile, `package.json` scripts, Maven and Gradle plugins and
build scripts, `setup.py`, `conftest.py`, test code, the Dockerfile. Whoever opens the pull request can make them
print or send the bound secrets (poisoned pipeline execution). Jenkins masks secrets in the log only when they are
printed as-is; an encoded copy or a network request is not caught.

## Example
```groovy
withCredentials([string(credentialsId: 'sonar', variable: 'SONAR_TOKEN')]) {
  sh 'mvn verify sonar:sonar'
}
```

## Use instead
```groovy
sh 'mvn verify'
withCredentials([string(credentialsId: 'sonar', variable: 'SONAR_TOKEN')]) {
  sh 'sonar-scanner -Dsonar.token="$SONAR_TOKEN"'
}
```
Build and test without credentials; bind each secret around the one step that needs it, in a stage limited to the
default branch or tags (`when { beforeAgent true; branch 'main' }`).

## References
- OWASP Top 10 CI/CD Security Risks, CICD-SEC-4 (poisoned pipeline execution)
- Jenkins, "Securing organization folders and multibranch pipelines"
- Jenkins plugin documentation, "Credentials Binding"
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.jenkins.groovy import Source, credential_scopes, in_release_stage, read
from scaffold.rules.lines import Model, split_lines_keepends
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "jenkins-credentials-around-build"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.JENKINSFILE,)
CONTROLS = ("scoped-secrets",)

# A tool at the start of a shell command: at the line's start or after ; & | ( ` { $(, behind keywords and
# wrappers (then, do, sudo, call, env, ...) and VAR=value assignments.
_BUILD = re.compile(
    r"(?:^|[;&|(`{]|\$\()\s*(?:(?:then|do|else|sudo|exec|time|call|xargs|env|nohup)\s+)*(?:[A-Za-z_]\w*=\S*\s+)*"
    r"(?:make|npm|npx|yarn|pnpm|mvn|(?:\./)?mvnw(?:\.cmd)?|gradle|(?:\./)?gradlew(?:\.bat)?|pytest|tox|nox"
    r"|pip3?\s+install|python3?\s+-m\s+(?:pip\s+install|pytest|tox)"
    r"|go\s+(?:build|test|run|generate)|cargo\s+(?:build|test|run)"
    r"|docker\s+(?:buildx\s+)?build|docker(?:\s+|-)compose\s+(?:\S+\s+)*?build"
    r")(?=[\s;&|)`]|$)"
)
_DOCKER_BUILD = re.compile(r"(?<![\w$.])docker\.build\s*\(")


def check(document: Document) -> Iterator[Hit]:
    source = read(document.text)
    scopes = credential_scopes(source)
    if not scopes:
        return
    builds = sorted(_build_steps(source))
    offsets = [offset for offset, _ in builds]
    for binding, start, end, names, report in scopes:
        first = bisect.bisect_right(offsets, start)  # the first build step after the scope opens
        if first == len(builds) or builds[first][0] >= end:
            continue
        _, command = builds[first]
        line, column = source.position(report)
        what = "withCredentials" if binding is not None and binding.name == "withCredentials" else "environment"
        if what == "environment":
            secret = f"credentials {names[0]}"
        else:
            secret = ", ".join(names) if names else "its credentials"
        where = source.where(report)
        message = f"{where}{what} exposes {secret} to a step that runs code a pull request can change ({command})"
        yield Hit(line, column, message, f"{where.removesuffix(': ') or 'top level'} {what} {secret}")


def _build_steps(source: Source) -> list[tuple[int, str]]:
    """Build and test steps outside release-only stages: the offset of each and its command (shortened)."""
    found = []
    for _, literal in source.step_scripts(("sh", "bat", "powershell", "pwsh")):
        offset = literal.body
        for line in split_lines_keepends(literal.value, Model.SHELL):
            command = line.strip()
            if not command.startswith("#") and _BUILD.search(command):
                if not in_release_stage(source, literal.start):
                    found.append((offset + len(line) - len(line.lstrip()), _short(command)))
                break
            offset += len(line)
    for match in _DOCKER_BUILD.finditer(source.code):
        if not in_release_stage(source, match.start()):
            found.append((match.start(), "docker.build(...)"))
    return sorted(found)


def _short(command: str) -> str:
    command = " ".join(command.removesuffix("\\").split())
    return command if len(command) <= 60 else command[:57] + "..."
