"""## What it does
Finds `ENV` and `ARG` instructions whose variable name looks like a secret (password, token, secret, credential,
API, access or private key).

## Why is this bad?
`ENV` values are stored in the image configuration and visible to anyone who can pull the image (`docker inspect`).
`ARG` values passed with `--build-arg` end up in the image history of every layer whose `RUN` sees them. Either way
the secret ships with the image and outlives its rotation.

Names are split into words (`NPM_TOKEN`, `apiKey`), so `TOKENIZERS_PARALLELISM` is not a secret. Names that point
to a secret rather than hold one (`..._FILE`, `..._PATH`, `..._DIR`, `..._URL`, `..._NAME`) are not reported.

## Example
```dockerfile
ARG NPM_TOKEN
ENV DB_PASSWORD=changeme
```

## Use instead
```dockerfile
RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci
```
Build with `docker build --secret id=npm_token,env=NPM_TOKEN .`; the secret is there only while that step runs. At
run time, read secrets from the orchestrator (mounted files, `..._FILE` variables), not from the image.

## References
- CIS Docker Benchmark 4.10, "Ensure secrets are not stored in Dockerfiles"
- Docker build check SecretsUsedInArgOrEnv; Docker documentation, "Build secrets"
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from scaffold.rules.docker.instructions import instructions
from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "docker-secret-in-env"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.DOCKERFILE,)

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_SECRET_WORDS = {
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "SECRETS",
    "TOKEN",
    "TOKENS",
    "CREDENTIAL",
    "CREDENTIALS",
    "APIKEY",
}
_SECRET_PAIRS = {("API", "KEY"), ("PRIVATE", "KEY"), ("ACCESS", "KEY"), ("SIGNING", "KEY"), ("ENCRYPTION", "KEY")}
_REFERENCE_WORDS = {"FILE", "FILES", "PATH", "DIR", "URL", "URI", "NAME"}


def check(document: Document) -> Iterator[Hit]:
    for instruction in instructions(document):
        if instruction.keyword not in ("ENV", "ARG"):
            continue
        words = instruction.words()
        if instruction.keyword == "ENV" and words and "=" not in words[0].text:
            words = words[:1]  # the old form, ENV NAME value
        for word in words:
            name = word.text.partition("=")[0]
            if secret_name(name):
                line, column = instruction.position(word.offset)
                yield Hit(
                    line,
                    column,
                    f"{instruction.keyword} {name} bakes a secret into the image; use RUN --mount=type=secret",
                )


def secret_name(name: str) -> bool:
    words = [item.upper() for item in _WORDS.findall(name)]
    if not words or _REFERENCE_WORDS.intersection(words):
        return False
    return bool(_SECRET_WORDS.intersection(words)) or any(pair in _SECRET_PAIRS for pair in itertools.pairwise(words))
