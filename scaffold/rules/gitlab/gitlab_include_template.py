"""## What it does
Finds `include: template:` entries, which load configuration that GitLab manages and that cannot be pinned.

## Why is this bad?
A `template:` include is read from the GitLab instance at pipeline time. It changes when the instance is upgraded,
so the jobs it defines (often scanners with broad access to the code and the job token) can change without any
change in this repository. There is no ref, digest or integrity hash to pin it with. The risk is lower than for
other includes, because only the instance's operator controls the content, hence the low severity.

## Example
```yaml
include:
  - template: Jobs/SAST.gitlab-ci.yml
```

## Use instead
Run the scanner yourself from a digest-pinned image:
```yaml
sast:
  image: docker.io/semgrep/semgrep:1.179.0@sha256:93963d9295a366f59e4850127b1550400ee7b388f04fe144e4a1f6325d96e01b
  script:
    - semgrep scan --config auto --error
```
Or keep the template as an accepted exception:
`- template: Jobs/SAST.gitlab-ci.yml  # scaffold: ignore[gitlab-include-template] GitLab-managed scanner`.

## References
- GitLab documentation, "include:template" and "Pipeline security"
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.gitlab.includes import includes
from scaffold.rules.gitlab.pipeline import get
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "gitlab-include-template"
SEVERITY = Severity.LOW
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.GITLAB_CI,)
CONTROLS = ("pinned-dependencies",)


def check(document: Document) -> Iterator[Hit]:
    for where, entry in includes(document):
        template = get(entry, "template")
        if template is not None and template.text is not None:
            yield Hit(
                template.line,
                template.column,
                f"{where}: template {template.text} is managed by GitLab and cannot be pinned",
            )
