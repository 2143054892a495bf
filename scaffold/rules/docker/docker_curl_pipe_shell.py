"""## What it does
Finds `RUN` instructions that pipe a download from `curl` or `wget` straight into a shell or interpreter. The forms
found are a pipe (`curl -fsSL URL | sh`, `wget -qO- URL | bash`), process substitution (`bash <(curl -fsSL URL)`)
and command substitution (`sh -c "$(curl -fsSL URL)"`).

## Why is this bad?
The script runs the moment it arrives, as the build's user (often root), and nothing checks that it is the script
the author meant: a compromised download site, a hijacked domain or a changed installer runs arbitrary code inside the
image. The same command also gives a different image on every build. Interpreters (`python`, `perl`, `ruby`, `node`)
fed from a pipe are reported as well.

## Example
```dockerfile
RUN curl -fsSL https://example.com/install.sh | sh
```

## Use instead
```dockerfile
ARG INSTALLER_SHA256=<the published sha256>
RUN curl -fsSLo /tmp/install.sh https://example.com/install-1.2.3.sh \
    && echo "${INSTALLER_SHA256}  /tmp/install.sh" | sha256sum -c - \
    && sh /tmp/install.sh && rm /tmp/install.sh
```
Better still, install from a package manager with pinned versions, or copy the tool from a digest-pinned image.

## References
- CIS Docker Benchmark 4.11, "Ensure only verified packages are installed"
- OpenSSF Scorecard Pinned-Dependencies (download then run)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold.rules.docker.instructions import run_scripts
from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "docker-curl-pipe-shell"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.DOCKERFILE,)

_RUNNER = r"(?:/usr)?(?:/bin/)?(?:(?:ba|da|k|z|a)?sh|python[0-9.]*|perl|ruby|node)"
_PIPE = re.compile(
    r"\b(?P<tool>curl|wget)\b[^;&\n]*?(?<!\|)\|(?!\|)\s*"
    r"(?:sudo\s+(?:-\S+\s+){0,16})?(?:env\s+(?:\S+=\S*\s+)*)?"
    rf"(?P<runner>{_RUNNER})(?![\w.-])"
)
_SUBSTITUTION = re.compile(  # at most 16 options: an unbounded run is retried from every runner word
    rf"\b(?P<runner>{_RUNNER})\s+(?:-\S+\s+){{0,16}}(?:<\(|-c\s+[\"']?\$\()\s*(?P<tool>curl|wget)\b"
)


def check(document: Document) -> Iterator[Hit]:
    for text, place in run_scripts(document):
        for pattern in (_PIPE, _SUBSTITUTION):
            for match in pattern.finditer(text):
                line, column = place(match.start())
                runner = match.group("runner").rsplit("/", 1)[-1]
                yield Hit(line, column, f"RUN pipes a {match.group('tool')} download into {runner} unverified")
