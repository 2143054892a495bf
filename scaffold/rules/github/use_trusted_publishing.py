"""## What it does
Finds packages published with a long-lived credential to an index that supports Trusted Publishing (OIDC):
`pypa/gh-action-pypi-publish` given a `password:`, `rubygems/release-gem` with `setup-trusted-publisher: false`,
`rubygems/configure-rubygems-credentials` given an `api-token:`, and, in a job that cannot request an OIDC token
(no `id-token: write`), the publishing commands themselves: `twine upload`, `uv publish`, `poetry publish`,
`hatch publish`, `pdm publish`, `npm`/`pnpm`/`yarn`/`bun publish`, `cargo publish`, `gem push`, `nuget push`.

A job without `id-token: write` can only publish with a stored token (a `TWINE_PASSWORD`, `NPM_TOKEN`,
`CARGO_REGISTRY_TOKEN`, `GEM_HOST_API_KEY` secret). Dry runs are not reported, and neither is `npm publish` to
GitHub Packages (`npm.pkg.github.com`), which has no Trusted Publishing and uses the job's own short-lived token.

## Why is this bad?
A registry token is a long-lived secret that can publish any version of the package from anywhere. It leaks
through logs, compromised actions or a poisoned build, and stays valid until someone notices. Trusted Publishing
trades it for a short-lived token the registry issues to this repository's workflow only.

## Example
```yaml
- uses: pypa/gh-action-pypi-publish@<sha>  # v1.12.4
  with:
    password: ${{ secrets.PYPI_API_TOKEN }}
- run: npm publish
  env:
    NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}
```

## Use instead
```yaml
permissions:
  id-token: write
steps:
  - uses: pypa/gh-action-pypi-publish@<sha>  # v1.12.4
  - run: npm publish --provenance
```
Configure the repository and workflow as a trusted publisher on the index (PyPI, npm, RubyGems, crates.io with
`rust-lang/crates-io-auth-action`, nuget.org with `NuGet/login`), grant `id-token: write` to the publishing job
only, and delete the stored token.

## References
- OpenSSF, "Trusted Publishers for All Package Repositories"
- PyPI, npm, RubyGems and crates.io documentation on Trusted Publishing
- zizmor `use-trusted-publishing`
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.github.scripts import logical_lines, shell_words
from scaffold.rules.github.workflow import action_name, jobs, step_input, steps
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

ID = "use-trusted-publishing"
SEVERITY = Severity.LOW
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.WORKFLOW, Kind.ACTION)

_PYPI = ("https://upload.pypi.org/legacy/", "https://test.pypi.org/legacy/")
_RUBYGEMS = ("https://rubygems.org",)
_GITHUB_PACKAGES = "npm.pkg.github.com"
_SEPARATOR = re.compile(r"&&|\|\||[;|&()`]")
_COMMENT = re.compile(r"(?:^|\s)#.*$")
_DRY_RUN = ("--dry-run", "-n")
_VERBS = ("upload", "publish", "push")
# Every command ``_publishes`` names has one of the verbs as a word; a line holds it, or a quote or a backslash with
# which a word can be spelt apart.
_MARKS = re.compile(r"upload|publish|push|['\"\\\\]")


def check(document: Document) -> Iterator[Hit]:
    for name, job in jobs(document):
        oidc = _can_request_oidc(document, job)
        listed = list(steps(job))
        packages_job = _setup_node_to_github_packages(listed)
        for step in listed:
            found = _credential_input(step)
            if found is not None:
                node, what = found
                yield Hit(node.line, node.column, f"job {name}: {what}; use Trusted Publishing instead")
            script = step.get("run")
            if oidc or document.kind is Kind.ACTION or script is None or script.text is None:
                continue
            if not _may_publish(script.text):  # each logical line is made of pieces of the script
                continue
            github_packages = packages_job or _env_to_github_packages(step)
            for line in logical_lines(document, script):
                command = _publish_command(_COMMENT.sub("", _without_expressions(line.text)))
                if command and not (github_packages and command.split()[0] in ("npm", "pnpm", "yarn", "bun")):
                    yield Hit(
                        line.line,
                        line.column,
                        f"job {name}: {command} publishes with a stored token (the job has no id-token: write);"
                        " use Trusted Publishing instead",
                    )


def _credential_input(step: YNode) -> tuple[YNode, str] | None:
    """The ``with:`` input that hands a publishing action a long-lived credential, and what it is."""
    uses = step.get("uses")
    action = action_name(uses.text) if uses is not None and uses.text is not None else ""
    if action == "pypa/gh-action-pypi-publish":
        password = step_input(step, "password")
        index = step_input(step, "repository-url") or step_input(step, "repository_url")
        if password is not None and _set(password) and (index is None or (index.text or "").strip() in _PYPI):
            return password, "uploads to PyPI with a password (an API token)"
    elif action == "rubygems/release-gem":
        setup = step_input(step, "setup-trusted-publisher")
        if setup is not None and (setup.text or "").strip().lower() == "false":
            return setup, "pushes the gem with a stored API key (setup-trusted-publisher: false)"
    elif action == "rubygems/configure-rubygems-credentials":
        token = step_input(step, "api-token")
        server = step_input(step, "gem-server")
        if token is not None and _set(token) and (server is None or (server.text or "").rstrip("/ ") in _RUBYGEMS):
            return token, "configures RubyGems with a stored API token"
    return None


def _set(node: YNode) -> bool:
    return bool((node.text or "").strip())


def _can_request_oidc(document: Document, job: YNode) -> bool:
    """Whether the job's token may request an OIDC token: ``id-token: write`` (or ``write-all``) in the job's
    permissions, or in the workflow's when the job sets none."""
    permissions = job.get("permissions")
    if permissions is None and document.yaml is not None:
        permissions = document.yaml.get("permissions")
    if permissions is None:
        return False
    if permissions.text is not None:
        return permissions.text.strip() == "write-all"
    grant = permissions.get("id-token")
    return grant is not None and (grant.text or "").strip() == "write"


def _setup_node_to_github_packages(listed: list[YNode]) -> bool:
    """Whether the job's ``actions/setup-node`` points npm at GitHub Packages (``registry-url``)."""
    for step in listed:
        uses = step.get("uses")
        if uses is not None and action_name(uses.text or "") == "actions/setup-node":
            registry = step_input(step, "registry-url")
            if registry is not None and _GITHUB_PACKAGES in (registry.text or ""):
                return True
    return False


def _env_to_github_packages(step: YNode) -> bool:
    """Whether the step's environment names GitHub Packages (an ``NPM_CONFIG_REGISTRY`` or similar)."""
    env = step.get("env")
    values = [value.text or "" for _, value in env.items()] if env is not None else []
    return any(_GITHUB_PACKAGES in value for value in values)


def _without_expressions(text: str) -> str:
    """The line with each ``${{ }}`` replaced by a word, in linear time (a lazy regex rescans a line of ``${{``)."""
    pieces: list[str] = []
    last = 0
    while (start := text.find("${{", last)) >= 0 and (end := text.find("}}", start + 3)) >= 0:
        pieces += [text[last:start], "EXPR"]
        last = end + 2
    return "".join([*pieces, text[last:]])


def _publish_command(text: str) -> str:
    """The publishing command on one logical script line (``twine upload``, ``npm publish``...), or ""."""
    if not _may_publish(text):
        return ""
    for part in _SEPARATOR.split(text):
        try:
            words = list(shell_words(part))
        except ValueError:
            words = part.split()
        while words and (words[0] == "sudo" or "=" in words[0]):
            words = words[1:]
        if words and not any(word in _DRY_RUN for word in words) and _publishes(words[0].rsplit("/", 1)[-1], words):
            verb = next((index for index, word in enumerate(words) if word in _VERBS), 1)
            return " ".join(words[: verb + 1])
    return ""


def _may_publish(text: str) -> bool:
    """Whether a line or a script may run a publishing command. Joining continued lines, putting ``EXPR`` (capitals)
    for an expression and cutting comments off never spell a lower-case verb, and ``shlex`` joins the letters of a
    word only across quotes and backslashes: a verb ``_publishes`` reads is already in the text."""
    return _MARKS.search(text) is not None


def _publishes(command: str, words: list[str]) -> bool:
    rest = words[1:]
    first = rest[0] if rest else ""
    if command in ("cargo", "poetry", "hatch", "pdm", "pnpm", "bun"):
        return first == "publish"
    if command == "npm":
        return first == "publish"
    if command == "yarn":
        return first == "publish" or rest[:2] == ["npm", "publish"]
    if command == "twine":
        return first == "upload"
    if command == "uv":
        return first == "publish" or (first == "run" and _twine_upload(rest[1:]))
    if command in ("uvx", "pipx"):
        return _twine_upload(rest[1:] if first == "run" else rest)
    if command.startswith("python"):
        return rest[:2] == ["-m", "twine"] and "upload" in rest[2:]
    if command == "gem":
        return first == "push"
    if command == "bundle":
        return rest[:3] == ["exec", "gem", "push"]
    if command in ("nuget", "nuget.exe"):
        return first == "push"
    if command == "dotnet":
        return rest[:2] == ["nuget", "push"]
    return False


def _twine_upload(words: list[str]) -> bool:
    while words and words[0].startswith("-"):
        words = words[1:]
    return bool(words) and re.match(r"twine(?:[=@].*)?$", words[0]) is not None and "upload" in words[1:]
