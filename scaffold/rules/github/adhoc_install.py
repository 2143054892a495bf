"""## What it does
Finds `run:` commands that install packages or tools without pinning them: `pip install`, `npm install`, `go install`,
download-then-run (`curl ... | sh`) and downloads of a "latest" URL (`curl -LO .../releases/latest/download/tool`).

Each offending command is reported once, on its line. What counts as pinned:
- pip: every package named with `==`, or the packages taken from `-r requirements.txt` / `--require-hashes`;
  local paths such as `.`, `-e .` or `./dist/*.whl` are fine;
- npm, yarn and pnpm: `npm ci`, and a plain `npm install` that installs from `package.json`; a named package needs
  an exact version (`tool@1.2.3`);
- go: `go install pkg@v1.2.3` (or a commit); `@latest` and branch names are not versions;
- downloads: a URL naming a release (`/releases/download/v1.2.3/`), not `/releases/latest/`, `/latest/` or `*-latest.*`.

## Why is this bad?
An unpinned install takes whatever the registry serves at that moment. A hijacked maintainer account or a
typosquatted name then runs its install scripts in the job, with the job's token and secrets, and the next run of
the same workflow can build something different from the last. A script piped from `curl` into a shell is worse:
nothing about it is checked, and the server can even send a different script to CI than to a browser.

## Example
```yaml
- run: |
    pip install checkov
    npm install -g semantic-release
    go install golang.org/x/vuln/cmd/govulncheck@latest
    curl -sSfL https://example.com/install.sh | sh
    curl -sSfLO https://github.com/org/tool/releases/latest/download/tool-linux-amd64
```

## Use instead
```yaml
- run: |
    pip install --require-hashes -r requirements-ci.txt
    npm ci
    go install golang.org/x/vuln/cmd/govulncheck@v1.1.4
```
Install tools through an action pinned by SHA, a container image pinned by digest, a lockfile (`npm ci`, `pip
install --require-hashes -r ...`), or at least an exact version. Download a script, check its checksum, then run it.

## References
- GitHub, "Security hardening for GitHub Actions" (using third-party code)
- OpenSSF Scorecard Pinned-Dependencies (pipCommand, npmCommand, goCommand, downloadThenRun)
- zizmor `adhoc-packages` and `unpinned-tools`; poutine `unverified_script_exec`
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.github.scripts import logical_lines, run_scripts, shell_words
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "adhoc-install"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.WORKFLOW, Kind.ACTION)
CONTROLS = ("locked-installs",)

_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
_COMMENT = re.compile(r"(?:^|\s)#.*$")
_SEPARATOR = re.compile(r"&&|\|\||[;|&()`]")
_SHELL = r"(?:sudo\s+(?:-\S+\s+)*)?(?:/\S*/)?(?:ba|z|da|k)?sh\b"


@functools.cache
def _downloads() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A download piped or fed into a shell; a download of a "latest" URL (GitHub's /releases/latest/download/, a
    /latest/ folder, a file named *-latest.*). Both name curl or wget, so they are compiled when a line first does."""
    piped = re.compile(
        rf"\b(?:curl|wget)\b[^|;&]*\|\s*{_SHELL}"
        rf"|{_SHELL}\s+(?:-\S+\s+)*<\(\s*(?:curl|wget)\b"
        rf"|{_SHELL}\s+-c\s+[\"']?\$\(\s*(?:curl|wget)\b"
    )
    latest = re.compile(
        r"\b(?:curl|wget)\b[^|;&]*?https?://(?!api\.github\.com/)[^\s\"']*?(?:/latest(?:/|[\"'\s]|$)|[-_.]latest[-_.])",
        re.IGNORECASE,
    )
    return piped, latest


_PIP = re.compile(r"(?:.*/)?pip[0-9.]*")
# Options whose value is the next word, so that the value is not read as a package.
_PIP_VALUED = {
    "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root",
    "--platform", "--python-version", "--implementation", "--abi", "--group", "-c", "--constraint", "--src",
    "--cache-dir", "--log", "--proxy", "--trusted-host", "--upgrade-strategy", "--python", "--progress-bar",
    "--no-binary", "--only-binary", "--config-settings", "-C", "--report", "--retries", "--timeout",
}  # fmt: skip
_PIP_LOCKED = {"-r", "--requirement", "--require-hashes"}
_NPM_VALUED = {
    "--prefix", "--registry", "--include", "--omit", "-w", "--workspace", "--tag", "--loglevel", "--cache",
    "--userconfig", "--install-strategy", "--before",
}  # fmt: skip
_NPM_INSTALL = ("install", "i", "add", "in", "isntall")
_NPM_EXACT = re.compile(r"(?:@[^@/\s]+/)?[^@\s]+@v?\d+\.\d+\.\d+(?:[-+][\w.-]+)?")
_GO_VERSION = re.compile(r"v\d+\.\d+\.\d+(?:[-+][\w.-]+)?|[0-9a-f]{12,40}")
_LOCAL = re.compile(r"^(?:\.{1,2}(?:/|\[|$)|~?/|file:)|\.(?:whl|tar\.gz|tgz|zip)$")
_REDIRECT = re.compile(r"(?:^|\s)\d*[<>]+&?\s*\S+")


# What a line must hold, in lower case, for ``_problem`` to find anything in it: a download (curl, wget) or a tool it
# reads (pip, pipx, npm, pnpm, yarn, go), or a quote or a backslash, with which a word can be spelt apart.
_MARKS = re.compile(r"curl|wget|pip|npm|yarn|go|['\"\\\\]")


def check(document: Document) -> Iterator[Hit]:
    for job, script in run_scripts(document):
        if not _may_install(script.text or ""):  # each logical line is made of pieces of the script
            continue
        for line in logical_lines(document, script):
            if not _may_install(line.text):
                continue
            problem = _problem(_COMMENT.sub("", _mask(line.text)))
            if problem:
                yield Hit(line.line, line.column, f"job {job}: {_unmask(problem, _expressions(line.text))}")


def _may_install(text: str) -> bool:
    """Whether ``_problem`` may find something in a line or a script. Joining continued lines, masking expressions
    (with ``@``s and digits) and cutting comments off never put letters together, and ``shlex`` joins the letters of
    a word only across quotes and backslashes: every mark ``_problem`` reads is already in the text."""
    return _MARKS.search(text.lower()) is not None


def _mask(text: str) -> str:
    """The line with each ``${{ }}`` replaced by a numbered word, so that its spaces do not split a word."""
    pieces, last = [], 0
    for number, match in enumerate(_expression_matches(text)):
        pieces += [text[last : match.start()], f"@@{number}@@"]
        last = match.end()
    return "".join([*pieces, text[last:]])


def _expression_matches(text: str) -> list[re.Match[str]]:
    """The ``${{ }}`` of a line, searched only up to its last ``}}`` so that no ``${{`` rescans the whole line."""
    return list(_EXPRESSION.finditer(text, 0, text.rfind("}}") + 2))


def _expressions(text: str) -> list[str]:
    return [match.group(0) for match in _expression_matches(text)]


def _unmask(text: str, expressions: list[str]) -> str:
    """Put the expressions back; an ``@@n@@`` the script itself holds (not one of ours) stays as it is."""

    def restored(found: re.Match[str]) -> str:
        number = found.group(1)
        return expressions[int(number)] if len(number) < 8 and int(number) < len(expressions) else found.group(0)

    return re.sub(r"@@(\d+)@@", restored, text)


def _problem(command: str) -> str:
    """What is installed unpinned on one logical script line, or ""."""
    lowered = command.lower()
    if "curl" in lowered or "wget" in lowered:  # no letter of them has a case-blind match outside ASCII
        piped, latest = _downloads()
        if piped.search(command):
            return "a downloaded script is piped into a shell without checking it"
        if latest.search(command):
            return "downloads whatever release is latest instead of a pinned version"
    for part in _SEPARATOR.split(command):
        words = _words(part)
        for index, word in enumerate(words[:-1]):
            following = words[index + 1]
            if following == "install" and (_PIP.fullmatch(word) or word == "pipx"):
                loose = _pip_loose(words[index + 2 :])
            elif (word in ("npm", "pnpm") and following in _NPM_INSTALL) or (word == "yarn" and following == "add"):
                loose = _npm_loose(words[index + 2 :])
            elif word == "yarn" and following == "global" and words[index + 2 : index + 3] == ["add"]:
                loose = _npm_loose(words[index + 3 :])
            elif word == "go" and following == "install":
                loose = [item for item in words[index + 2 :] if "@" in item and not _go_pinned(item)]
            else:
                continue
            if loose:
                tool = "pip" if _PIP.fullmatch(word) else word
                return f"{tool} installs {', '.join(loose)} without a pinned version or a lockfile"
    return ""


def _words(command: str) -> list[str]:
    """The words of one simple command, without redirections."""
    command = _REDIRECT.sub(" ", command)
    try:
        return list(shell_words(command))
    except ValueError:
        return command.split()


def _pip_loose(arguments: list[str]) -> list[str]:
    if any(item in _PIP_LOCKED or item.startswith("--requirement=") for item in arguments):
        return []
    return [item for item in _positional(arguments, _PIP_VALUED | {"-e", "--editable"}) if not _pip_pinned(item)]


def _pip_pinned(item: str) -> bool:
    _, exact, version = item.partition("==")
    return bool(exact) and bool(version) and "*" not in version and "$" not in version and "," not in version


def _npm_loose(arguments: list[str]) -> list[str]:
    return [item for item in _positional(arguments, _NPM_VALUED) if not _NPM_EXACT.fullmatch(item)]


def _positional(arguments: list[str], valued: set[str]) -> list[str]:
    """The arguments that name something to install: not options or their values, not local paths."""
    found: list[str] = []
    skip = False
    for item in arguments:
        if skip:
            skip = False
        elif item in valued:
            skip = True
        elif not item.startswith("-") and not _LOCAL.search(item):
            found.append(item)
    return found


def _go_pinned(item: str) -> bool:
    return bool(_GO_VERSION.fullmatch(item.rsplit("@", 1)[1]))
