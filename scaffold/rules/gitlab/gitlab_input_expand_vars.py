"""## What it does
Finds `$[[ inputs.NAME | expand_vars ]]` in `script`, `before_script` or `after_script` (and
`hooks:pre_get_sources_script`) of a job, a template, `default:` or the top level.

Any spacing and any input name count, and so do chains of functions that include `expand_vars`, such as
`$[[ inputs.name | expand_vars | truncate(0, 8) ]]`. Scripts reached through `!reference` are followed.

## Why is this bad?
An input is pasted into the pipeline configuration before the job exists. With `expand_vars`, GitLab first
replaces the CI/CD variables inside the input's value, so the text of a variable such as `$CI_COMMIT_MESSAGE`,
`$CI_MERGE_REQUEST_TITLE` or a branch name becomes part of the shell command itself. Whoever controls that text
(anyone who can open a merge request or push a branch) can close the quote and run their own commands with the
job's token, variables and credentials.

## Example
```yaml
spec:
  inputs:
    message:
      default: $CI_COMMIT_MESSAGE
---
notify:
  script:
    - ./notify.sh "$[[ inputs.message | expand_vars ]]"
```

## Use instead
```yaml
notify:
  variables:
    MESSAGE: $[[ inputs.message ]]
  script:
    - ./notify.sh "$MESSAGE"
```
A variable keeps its value as data: the shell expands `"$MESSAGE"` as one word and never runs what it holds.

## References
- GitLab documentation, "CI/CD inputs: predefined interpolation functions" (`expand_vars`)
- poutine `injection` (GitLab pattern)
- OWASP Top 10 CI/CD Security Risks: CICD-SEC-4 (poisoned pipeline execution)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.gitlab.pipeline import get, holders, root, scalars
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

ID = "gitlab-input-expand-vars"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.GITLAB_CI,)

_SCRIPT_KEYS = ("before_script", "script", "after_script")
_INTERPOLATION = re.compile(r"\$\[\[(.*?)\]\]", re.DOTALL)
_INPUT = re.compile(r"\s*inputs\.([^\s|]+)\s*")
_FUNCTION = re.compile(r"\s*([A-Za-z_]\w*)\s*(?:\(.*\))?\s*", re.DOTALL)


def _interpolations(text: str) -> Iterator[re.Match[str]]:
    """The ``$[[ ]]`` of a text, searched only up to its last ``]]`` (else every ``$[[`` rescans to the end)."""
    return _INTERPOLATION.finditer(text, 0, text.rfind("]]") + 2)


def check(document: Document) -> Iterator[Hit]:
    top = root(document)
    seen: set[tuple[int, int]] = set()
    for label, holder in holders(document):
        places: list[tuple[str, YNode | None]] = [(key, get(holder, key)) for key in _SCRIPT_KEYS]
        places.append(("hooks:pre_get_sources_script", get(get(holder, "hooks"), "pre_get_sources_script")))
        for key, value in places:
            for item in scalars(top, value):
                for line, column, name in _expanded(document, item):
                    if (line, column) in seen:
                        continue
                    seen.add((line, column))
                    yield Hit(
                        line,
                        column,
                        f"{label}: {key} pastes input {name} with expand_vars, so CI variables become shell code",
                    )


def expanded_input(interpolation: str) -> str | None:
    """The input's name when the inside of ``$[[ ... ]]`` reads an input through ``expand_vars``, else None."""
    head, *functions = interpolation.split("|")
    match = _INPUT.fullmatch(head)
    if match is None:
        return None
    for function in functions:
        name = _FUNCTION.fullmatch(function)
        if name is not None and name.group(1) == "expand_vars":
            return match.group(1)
    return None


def _expanded(document: Document, item: YNode) -> Iterator[tuple[int, int, str]]:
    """(line, column, input name) of each ``expand_vars`` interpolation in a script scalar, placed on the file's
    own line when the text is there literally (the scalar's own place otherwise, for escaped quoted text)."""
    names = [name for match in _interpolations(item.text or "") if (name := expanded_input(match.group(1)))]
    if not names:
        return
    start = item.node.start_mark
    end = item.node.end_mark
    last = end.line if end.column > 0 else end.line - 1
    found: list[tuple[int, int, str]] = []
    for number in range(start.line, min(last, len(document.lines) - 1) + 1):
        source = document.lines[number]
        for match in _interpolations(source):
            if number == start.line and match.start() < start.column:
                continue
            if number == end.line and match.start() >= end.column:
                continue
            name = expanded_input(match.group(1))
            if name is not None:
                found.append((number + 1, match.start() + 1, name))
    if found:
        yield from found
    else:
        yield from ((item.line, item.column, name) for name in names)
