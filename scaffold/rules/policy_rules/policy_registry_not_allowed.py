"""## What it does
Finds container images that come from a registry the org policy's `allowed_registries` does not list: GitHub job
`container:` and `services:` images and `uses: docker://` steps, GitLab `image:` and `services:` (top level,
`default:`, jobs and templates), Jenkins `docker` agents, and Dockerfile `FROM` lines (earlier stages and `scratch`
excepted; an `ARG` is read with its default, as BuildKit does).

It runs only when the repository is under an org policy that sets `allowed_registries`. A reference is read the way
docker reads it before it is compared: `python:3.13` is `docker.io/library/python`, `acme/tool` is
`docker.io/acme/tool`. An entry allows its own names and those below it at a `/` (`ghcr.io/acme` allows
`ghcr.io/acme/tool`, not `ghcr.io/acme-evil/tool`). A reference built from variables or expressions cannot be
checked and is reported. Neither `audit:` settings nor ignore comments hide a finding; an exception in the policy
does.

## Why is this bad?
An image runs the job's code with its token, its secrets and its workspace, or becomes the base of what the
repository ships. A registry the platform team does not control or mirror can serve anything under a familiar
name, go away, or rate-limit the builds; a name without a registry silently means Docker Hub.

## Example
```yaml
# pack.yml: policy: {allowed_registries: ["harbor.acme.example"]}
test:
  image: python:3.13-slim
```

## Use instead
```yaml
test:
  image: harbor.acme.example/mirror/python:3.13-slim
```
Or ask the platform team to add the registry to the pack's `allowed_registries`.

## References
- CIS Docker Benchmark 4.2, "Ensure that containers use only trusted base images"
- hadolint DL3026 (`trustedRegistries`); OWASP Top 10 CI/CD Security Risks, CICD-SEC-3
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.docker.instructions import external_bases
from scaffold.rules.document import Document
from scaffold.rules.github.unpinned_container_image import images as job_images
from scaffold.rules.github.workflow import jobs, steps
from scaffold.rules.gitlab.gitlab_unpinned_image import references as gitlab_images
from scaffold.rules.jenkins.groovy import read
from scaffold.rules.jenkins.jenkins_unpinned_agent_image import agent_images
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.policy_rules.refs import image_name, registry_allowed
from scaffold.rules.tree import Located, Tree

ID = "policy-registry-not-allowed"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW, Kind.ACTION, Kind.GITLAB_CI, Kind.JENKINSFILE, Kind.DOCKERFILE)

_MAX_SHOWN = 200


def check_tree(tree: Tree) -> Iterator[Located]:
    allowed = tree.required.allowed_registries
    if allowed is None:
        return
    for document in tree.documents:
        for line, column, what, reference in _images(document):
            name = image_name(reference)
            if name is not None and registry_allowed(name, allowed):
                continue
            shown = " ".join(reference.split())[:_MAX_SHOWN]
            if name is None:
                message = f"{what} {shown} is built from variables or expressions, so its registry cannot be checked"
            else:
                message = f"{what} {shown} ({name}) is not from a registry the org policy's allowed_registries lists"
            yield Located(document.path, Hit(line, column, message, name or shown))


def _images(document: Document) -> Iterator[tuple[int, int, str, str]]:
    """(line, column, what names it, the reference) for every image the document names."""
    if document.kind in (Kind.WORKFLOW, Kind.ACTION):
        for job, what, node, reference in job_images(document):
            yield node.line, node.column, f"job {job}: {what}", reference
        for job, node in jobs(document):
            for step in steps(node):
                uses = step.get("uses")
                value = (uses.text or "").strip() if uses is not None else ""
                if uses is not None and value.startswith("docker://"):
                    yield uses.line, uses.column, f"job {job}: step image", value.removeprefix("docker://")
    elif document.kind is Kind.GITLAB_CI:
        for label, what, node, reference in gitlab_images(document):
            yield node.line, node.column, f"{label}: {what}", reference
    elif document.kind is Kind.JENKINSFILE:
        source = read(document.text)
        for statement in agent_images(source):
            literals = source.arguments(statement)
            offset = literals[0].start if literals else statement.start
            reference = literals[0].value if len(literals) == 1 else statement.head.removeprefix(statement.name)
            if reference.strip():
                line, column = source.position(offset)
                yield line, column, f"{source.where(offset)}agent image", reference
    elif document.kind is Kind.DOCKERFILE:
        for stage, image, resolved in external_bases(document):
            line, column = stage.start.position(image.offset)
            reference = resolved if resolved is not None else image.text
            yield line, column, f"stage {stage.index}: FROM", reference
