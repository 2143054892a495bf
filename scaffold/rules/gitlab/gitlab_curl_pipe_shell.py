"""## What it does
Finds script lines that run a download straight away, without checking it, such as `curl -fsSL URL | sh`.

Also `wget -O- URL | bash`, `bash <(curl URL)`, `sh -c "$(curl URL)"` and `eval "$(curl URL)"`, through `sudo`
or `env`, and pipes into `python`, `perl`, `ruby`, `node` or `php` reading the program from standard input
(`python3 -m json.tool` or `python3 -c '...'` only read data and are fine). Scripts are `script`,
`before_script`, `after_script` and `hooks:pre_get_sources_script` of jobs, templates, `default:` and the top level.

## Why is this bad?
The downloaded script runs with the job's token, variables and network access, and nothing checks what it is: a
compromised server, a hijacked domain or a changed file at the same URL runs whatever it serves. The install
script of Codecov's uploader was altered this way in 2021 and sent CI secrets of its users to the attacker.

## Example
```yaml
test:
  script:
    - curl -fsSL https://example.com/install.sh | sh
```

## Use instead
```yaml
test:
  script:
    - curl -fsSLo install.sh https://example.com/v1.2.3/install.sh
    - echo "<expected sha256>  install.sh" | sha256sum -c -
    - sh install.sh
```
Better still, use a digest-pinned image that already contains the tool.

## References
- GitLab documentation, "Pipeline security"
- OpenSSF Scorecard Pinned-Dependencies (downloadThenRun); poutine `unverified_script_exec`
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.gitlab.pipeline import holders, locate, root, script_lines
from scaffold.rules.lines import Model, split_lines
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "gitlab-curl-pipe-shell"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.GITLAB_CI,)
CONTROLS = ("locked-installs",)

_FETCH = re.compile(r"(?<![\w.-])(?:curl|wget)(?![\w.-])")
_SHELL = re.compile(r"(?:ba|z|k|da|a|fi)?sh")
_INTERPRETER = re.compile(r"python[0-9.]*|perl|ruby|node|php")
_COMMAND_PREFIX = re.compile(r"\s*(?:sudo(?:\s+-u\s+\S+|\s+-\S+)*\s+|env(?:\s+-\S+|\s+\w+=\S*)*\s+|/usr/bin/env\s+)*")
_SUBSTITUTION = re.compile(
    r"(?:(?<![\w.-])(?:(?:ba|z|k|da)?sh|source)|(?:^|[;&|(]\s*)\.)\s+(?:-\S+\s+){0,16}<\(\s*(?:sudo\s+)?(?:curl|wget)\b"
    r"|(?<![\w.-])(?:(?:ba|z|k|da)?sh\s+-c|eval)\s+[\"']?\$\(\s*(?:curl|wget)\b"
)
_SEPARATOR = re.compile(r"&&|\|\||;|\n")


def check(document: Document) -> Iterator[Hit]:
    top = root(document)
    seen: set[tuple[int, int]] = set()
    for label, holder in holders(document):
        for item in script_lines(top, holder):
            for snippet in _runs_download(item.text or ""):
                line, column = locate(document, item, snippet[:30])
                if (line, column) in seen:
                    continue
                seen.add((line, column))
                yield Hit(line, column, f"{label}: runs a downloaded script without checking it: {_short(snippet)}")


def _runs_download(script: str) -> Iterator[str]:
    """The commands of a script that pipe or substitute a download into an interpreter (first physical line)."""
    logical = re.sub(r"\\\n\s*", " ", script)
    for line in split_lines(logical, Model.SHELL):
        match = _SUBSTITUTION.search(line)
        if match:
            yield line[match.start() :]
            continue
        for command in _SEPARATOR.split(line):
            stages = command.split("|")
            fetch = next((index for index, stage in enumerate(stages) if _FETCH.search(stage)), None)
            if fetch is not None and any(_interprets(stage) for stage in stages[fetch + 1 :]):
                pipeline = "|".join(stages[fetch:])
                start = _FETCH.search(pipeline)
                yield pipeline[start.start() if start else 0 :]
                break


def _interprets(stage: str) -> bool:
    """Whether a pipeline stage runs its standard input as a program."""
    words = stage[_COMMAND_PREFIX.match(stage).end() :].split()  # type: ignore[union-attr]
    if not words:
        return False
    program = words[0].rsplit("/", 1)[-1]
    arguments = words[1:]
    if _SHELL.fullmatch(program):
        return not any(argument == "-c" or re.fullmatch(r"-\w*c\w*", argument) for argument in arguments)
    if _INTERPRETER.fullmatch(program):
        return not arguments or arguments[0] == "-"
    return False


def _short(snippet: str) -> str:
    snippet = " ".join(snippet.split())
    return snippet if len(snippet) <= 60 else snippet[:57] + "..."
