"""Adversarial inputs of about 1 MB per kind of file: what an attacker would write to make the audit hang, recurse
or backtrack. Shared by ``test_adversarial.py`` (which guards against hangs) and by timing runs::

    python -m tests.audit.adversarial          # prints the slowest inputs and their audit times
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator

SIZE = int(os.environ.get("SCAFFOLD_ADVERSARIAL_SIZE", "1000000"))
"""About how many characters each input has; lower it with $SCAFFOLD_ADVERSARIAL_SIZE for a quick run."""

PATHS = {
    "workflow": ".github/workflows/ci.yml",
    "dependabot": ".github/dependabot.yml",
    "gitlab": ".gitlab-ci.yml",
    "precommit": ".pre-commit-config.yaml",
    "jenkins": "Jenkinsfile",
    "docker": "Dockerfile",
    "dockerignore": ".dockerignore",
}


def _fill(unit: str, head: str = "", tail: str = "", size: int = 0) -> str:
    """``head``, then ``unit`` repeated up to about ``size`` (default ``SIZE``) characters, then ``tail``."""
    size = size or SIZE
    return head + unit * max(1, (size - len(head) - len(tail)) // max(len(unit), 1)) + tail


def _numbered(template: str, head: str = "", size: int = 0) -> str:
    """``template`` formatted with 0, 1, 2, ... until the text reaches ``size`` (default ``SIZE``) characters."""
    size = size or SIZE
    parts, total, index = [head], len(head), 0
    while total < size:
        part = template.format(i=index, j=index - 1)
        parts.append(part)
        total += len(part)
        index += 1
    return "".join(parts)


_GENERIC: dict[str, Callable[[], str]] = {
    "newlines": lambda: "\n" * SIZE,
    "long-line": lambda: "x" * SIZE,
    "double-quotes": lambda: '"' * SIZE,
    "single-quotes": lambda: "'" * SIZE,
    "backslashes": lambda: "\\" * SIZE,
    "expressions": lambda: "${{" * (SIZE // 3),
    "unicode-breaks": lambda: _fill("a\u2028b\x85c\u2029\r\x0c\x0b"),
    "lone-cr": lambda: _fill("x: y\r"),
    "spaces-then-x": lambda: " " * SIZE + "x",
    "hashes": lambda: "#" * SIZE,
    "dollars-braces": lambda: "${" * (SIZE // 2),
}

_YAML: dict[str, Callable[[], str]] = {
    "deep-flow": lambda: "a: " + "[" * 5000 + "]" * 5000 + "\n",
    "deep-block": lambda: "".join(" " * i + "k:\n" for i in range(1200)),
    "alias-bomb": lambda: (
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join('*' + chr(97 + i) for _ in range(10))}]\n" for i in range(9)
        )
    ),
    "many-aliases": lambda: _fill("  - *a\n", "a: &a {image: x, script: [curl x | sh]}\nlist:\n"),
    "many-keys": lambda: _numbered("k{i}: v\n"),
    "duplicate-keys": lambda: _fill("image: python:latest\n"),
    "long-scalar": lambda: "a: " + "x" * SIZE + "\n",
    "big-int": lambda: "a: " + "9" * 5000 + "\n",
    "long-block-script": lambda: _fill(
        "    curl https://x | sh && echo ${{ github.event.issue.title }}\n", "a:\n  b: |\n"
    ),
}

_WORKFLOW: dict[str, Callable[[], str]] = {
    "many-jobs": lambda: _numbered(
        "  j{i}:\n    runs-on: self-hosted\n    steps:\n      - uses: actions/checkout@v4\n"
        "      - run: echo ${{{{ github.event.issue.title }}}} | tee -a $GITHUB_ENV\n",
        "on: pull_request_target\njobs:\n",
    ),
    "many-steps": lambda: _fill(
        "      - uses: a/b@main\n        with: {ref: '${{ github.event.pull_request.head.sha }}'}\n"
        "      - run: pip install x; curl -s https://x | bash\n",
        "on: [pull_request_target, push]\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n",
    ),
    "long-run": lambda: (
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: |\n"
        + _fill('          echo ${{ github.head_ref }} ${{ secrets.X }} "$(curl x)" | sh\n')
    ),
    "expression-run": lambda: (
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: " + "${{ " * (SIZE // 4) + "\n"
    ),
    "long-if": lambda: (
        "on: push\njobs:\n  a:\n    runs-on: x\n    if: "
        + _fill("${{ github.actor == 'x' }} && ")
        + "\n    steps: []\n"
    ),
}

_GITLAB: dict[str, Callable[[], str]] = {
    "many-jobs": lambda: _numbered(
        "j{i}:\n  image: python:latest\n  extends: .t\n  script:\n    - curl x | sh\n"
        "    - echo $[[ inputs.x | expand_vars ]]\n  environment: production\n",
        ".t:\n  image: alpine\n",
    ),
    "extends-chain": lambda: _numbered(".t{i}:\n  extends: .t{j}\n  script: [make]\n", ".t-1:\n  image: x\n"),
    "many-includes": lambda: _fill("  - remote: https://x/y.yml\n  - project: a/b\n    ref: main\n", "include:\n"),
    "many-variables": lambda: _numbered("  SECRET_TOKEN_{i}: abcdefghijklmnop{i}\n", "variables:\n"),
    "long-script": lambda: _fill("    curl -sSL https://x | bash; wget -O- x | sh\n", "job:\n  script: |\n"),
    "references": lambda: _numbered(".r{i}:\n  script: !reference [.r{j}, script]\n", ".r-1:\n  script: [x]\n"),
    "rules": lambda: _fill(
        "    - if: $CI_PIPELINE_SOURCE == 'merge_request_event'\n", "workflow:\n  rules:\n", size=SIZE // 2
    ),
}

_PRECOMMIT: dict[str, Callable[[], str]] = {
    "many-repos": lambda: _fill("  - repo: git://x/y\n    rev: main\n    hooks: [{id: a}]\n", "repos:\n"),
}

_DEPENDABOT: dict[str, Callable[[], str]] = {
    "many-updates": lambda: _fill(
        "  - package-ecosystem: pip\n    directory: /\n    insecure-external-code-execution: allow\n",
        "version: 2\nupdates:\n",
    ),
}

_DOCKER: dict[str, Callable[[], str]] = {
    "many-stages": lambda: _numbered("FROM s{j} AS s{i}\nUSER root\n", "FROM python:latest AS s-1\n"),
    "many-froms": lambda: _fill("FROM python:latest\n"),
    "continuations": lambda: "RUN echo \\\n" + _fill("  curl x | sh \\\n") + "  true\n",
    "comment-continuations": lambda: "RUN echo \\\n" + _fill("# c\n\n") + "  true\n",
    "many-heredocs": lambda: "FROM x\n" + _fill("RUN <<EOF\ncurl x | sh\nEOF\n"),
    "unclosed-heredocs": lambda: "FROM x\nRUN " + "<<EOF " * (SIZE // 6) + "\n",
    "long-run": lambda: "FROM x\nRUN " + _fill("apt-get install -y x && curl -k x | sh && sudo y; ") + "\n",
    "quotes-in-run": lambda: "FROM x\nRUN " + _fill("\"'") + "\n",
    "escape-directive": lambda: "# escape=" + " " * SIZE + "x\nFROM x\n",
    "many-env": lambda: "FROM x\n" + _numbered("ENV PASSWORD_{i}=hunter2 TOKEN=$X{i}\n"),
    "many-args": lambda: _numbered("ARG A{i}=${{A{j}:-x}}\n") + "FROM $A9\n",
    "variables": lambda: "FROM ${" * (SIZE // 7) + "\n",
    "hidden-user": lambda: "FROM x\nUSER 1000\n" + _fill("RUN true\x0cUSER root\u2028\n"),
    "shell-json": lambda: "FROM x\nSHELL [" + '"a",' * (SIZE // 4) + "]\n",
    "exec-form": lambda: "FROM x\nCMD [" + "[" * (SIZE // 2) + "\n",
}

_DOCKERIGNORE: dict[str, Callable[[], str]] = {
    "many-patterns": lambda: _numbered("!**/id_rsa{i}*\n*.pem{i}\n"),
    "stars": lambda: "*" * SIZE + "\n!" + "*" * SIZE,
}

_JENKINS: dict[str, Callable[[], str]] = {
    "open-braces": lambda: "{" * SIZE,
    "nested-stages": lambda: "pipeline { stages {\n" + "stage('x') { steps {\n" * 20_000,
    "interpolations": lambda: 'sh "' + "${" * (SIZE // 2),
    "nested-strings": lambda: 'sh "' + '${"' * (SIZE // 3),
    "slashes": lambda: "/" * SIZE,
    "slash-gaps": lambda: _fill("x = a / b\n"),
    "dollar-slashy": lambda: "$/" * (SIZE // 2),
    "steps": lambda: _fill("sh 'make'\nsh \"echo ${env.X} $PASSWORD\"\n"),
    "step-words": lambda: _fill("sh sh sh sh script: ") + "''",
    "step-windows": lambda: _fill("sh " * 130 + "''\n"),
    "credentials": lambda: (
        "pipeline {\n"
        + _fill("withCredentials([string(credentialsId: 'x', variable: 'T')]) { sh \"make $T\" }\n")
        + "}\n"
    ),
    "nested-environment": lambda: "environment { X = credentials('a')\n" * (SIZE // 36),
    "triple-quotes": lambda: "'''" * (SIZE // 3),
    "block-comments": lambda: "/*" * (SIZE // 2),
    "many-blocks": lambda: _fill("node { stage('a') { sh 'x' } }\n"),
    "libraries": lambda: _fill("@Library('lib@main') _\n"),
    "lone-cr": lambda: _fill('// comment\rsh "echo ${PASSWORD}"\r'),
}

BY_KIND: dict[str, dict[str, Callable[[], str]]] = {
    "workflow": {**_GENERIC, **_YAML, **_WORKFLOW},
    "dependabot": {**_GENERIC, **_YAML, **_DEPENDABOT},
    "gitlab": {**_GENERIC, **_YAML, **_GITLAB},
    "precommit": {**_GENERIC, **_YAML, **_PRECOMMIT},
    "jenkins": {**_GENERIC, **_JENKINS},
    "docker": {**_GENERIC, **_DOCKER},
    "dockerignore": {**_GENERIC, **_DOCKERIGNORE},
}


def cases() -> Iterator[tuple[str, str, str, Callable[[], str]]]:
    """(kind, case name, repository path, text generator) for every adversarial input."""
    for kind, generators in BY_KIND.items():
        for name, generate in generators.items():
            yield kind, name, PATHS[kind], generate


def _time_all(only: str = "") -> None:
    from scaffold.rules.runner import audit_tree

    timings = []
    for kind, name, path, generate in cases():
        if only and only not in f"{kind}/{name}":
            continue
        text = generate()
        start = time.perf_counter()
        report = audit_tree({path: text})
        elapsed = time.perf_counter() - start
        timings.append((elapsed, f"{kind}/{name}", len(text), len(report.findings), len(report.errors)))
        print(
            f"{elapsed:7.2f}s {kind}/{name} ({len(text)} chars, {len(report.findings)} findings, "
            f"{[e.message for e in report.errors][:1]})",
            flush=True,
        )
    print("slowest:")
    for elapsed, label, size, findings, errors in sorted(timings, reverse=True)[:10]:
        print(f"{elapsed:7.2f}s {label} ({size} chars, {findings} findings, {errors} errors)")


if __name__ == "__main__":
    _time_all(sys.argv[1] if len(sys.argv) > 1 else "")
