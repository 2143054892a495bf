"""## What it does
Finds `.dockerignore` files that do not keep credentials and git history out of the build context: `.git`, `.env`
and `.env.*`, `*.pem`, `*.key`, `*.p12`, `*.pfx`, private SSH keys (`id_rsa`, `id_dsa`, `id_ecdsa`, `id_ed25519`),
the cloud and registry CLIs' credential folders (`.aws`, `.azure`, `.config/gcloud`, `.docker`), `.npmrc`, `.pypirc`
and `.netrc`: the list the kit's own `.dockerignore` and its conftest policy keep.

## Why is this bad?
Everything in the build context can be copied into an image, and a broad `COPY . .` copies all of it. A `.env` file,
a private key, a registry token in `.npmrc` or the whole git history then sit in a layer of an image that is pushed
to a registry, where deleting the file in a later layer does not remove it.

One finding lists every missing pattern (on line 1). An exclusion covers a name when it is equal to it, or ends in
`*` and the rest is a prefix of it, or names a folder it is in, after Docker's normalisation (a leading `/` or `**/`
and a trailing `/` are dropped): `*`, `.env*`, `id_*` and `.config` (for `.config/gcloud`) are all fine. A `!` line
that brings back any of these files (`!*.key`, `!.env.production`, `!certs/*.pem`, `!.aws/credentials`) is
reported on its own line, unless a later line excludes them again: as in Docker, the last matching line decides.
Example files made to be shared (`!.env.example`, `!.env.sample`) are fine. The rule reads `.dockerignore` files
only; a Dockerfile without one is not reported here.

## Example
```text
node_modules
.git
```

## Use instead
```text
node_modules
.git
.env
.env.*
*.pem
*.key
*.p12
*.pfx
id_*
.aws
.azure
.config/gcloud
.docker
.npmrc
.pypirc
.netrc
```
Or exclude everything with `*` and re-include only what the build needs (`!src/`, `!package.json`).

## References
- Docker documentation, ".dockerignore files"
- CIS Docker Benchmark 4.10, "Ensure secrets are not stored in Dockerfiles"
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterator

from scaffold.rules.docker.dockerignore import DOCKERIGNORE_REQUIRED, ignore_covers, ignore_pattern, ignore_unescape
from scaffold.rules.document import Document
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "dockerignore-secrets"
SEVERITY = Severity.MEDIUM
CONFIDENCE = Confidence.MEDIUM
KINDS = (Kind.DOCKERIGNORE,)

# The kit's list, with the private SSH keys by their exact file names so that `id_rsa`, `id_rsa*` and `id_*` all
# cover them.
REQUIRED = tuple(name.removesuffix("*") if name.startswith("id_") else name for name in DOCKERIGNORE_REQUIRED)
_EXAMPLE = re.compile(r"example|sample|template|\.dist$", re.IGNORECASE)  # files made to be shared
_SSH_KEYS = ("id_rsa", "id_dsa", "id_ecdsa", "id_ed25519")


def check(document: Document) -> Iterator[Hit]:
    lines = _patterns(document.lines)
    missing: list[str] = []
    for name in REQUIRED:
        # The last line that matches the name decides, as in Docker: an exclusion, a re-inclusion, or nothing.
        last = next((item for item in reversed(lines) if _decides(item[2], item[3], name)), None)
        if last is None:
            missing.append(name)
        elif last[3]:
            yield Hit(last[0], last[1], f"!{last[2]} re-includes {name} in the build context", f"!{last[2]} {name}")
    if missing:
        if all(key in missing for key in _SSH_KEYS):
            missing = [name for name in missing if name not in _SSH_KEYS[1:]]
            missing[missing.index("id_rsa")] = "id_*"
        names = ", ".join(missing)
        yield Hit(1, 1, f"does not exclude {names} from the build context", f"not excluded: {names}")


def _decides(pattern: str, negated: bool, name: str) -> bool:
    """An exclusion must cover all of ``name``; a re-inclusion counts when it brings back any file of it."""
    if not negated or ignore_covers(pattern, name):
        return ignore_covers(pattern, name)
    brings_back = fnmatch.fnmatchcase(posixpath.basename(pattern), name) or pattern.startswith(name + "/")
    return brings_back and not _EXAMPLE.search(pattern)


def _patterns(lines: list[str]) -> list[tuple[int, int, str, bool]]:
    """(line, column, normalised pattern, negated) for each pattern line, read the way Docker reads them."""
    found = []
    for number, line in enumerate(lines, start=1):
        if line.startswith("#") or not line.strip():
            continue
        column = len(line) - len(line.lstrip()) + 1
        value = line.strip()
        negated = value.startswith("!")
        if negated:
            value = value[1:].strip()
        value = ignore_pattern(posixpath.normpath(ignore_unescape(value))) if value else ""
        if value and value != ".":
            found.append((number, column, value, negated))
    return found
