"""## What it does
Finds workflows whose token permissions are broader than least privilege: no top-level `permissions:` block,
`write-all` or `read-all`, or a write scope granted at the top level, where every job inherits it.

## Why is this bad?
Without a `permissions:` block the `GITHUB_TOKEN` gets the repository's default, which is often write access to
contents, packages and more. Any step that is compromised, or any injected command, can then push code, publish
packages or change releases. A write scope at the top level hands that power to every job, including the ones that
only lint or test.

## Example
```yaml
permissions: write-all
jobs:
  test:
    runs-on: ubuntu-24.04
```

## Use instead
```yaml
permissions: {}
jobs:
  test:
    runs-on: ubuntu-24.04
    permissions:
      contents: read  # check out the repository
```

## Fix
`scaffold harden` sets `permissions: {}` at the top and gives each job that has no permissions of its own (or has
`write-all`/`read-all`) the scopes its steps need, each with a comment naming the step that needs it. The needs come
from scaffold's permissions base (scaffold/data/permissions.yml): about a hundred actions, read at a tag of their
own repositories, with the inputs that change their needs (an access key instead of OIDC needs no `id-token`, a
personal token instead of the job's token needs no scope), and the commands that use the token or the git remote
in `run:` steps (`git push`, `mkdocs gh-deploy`, `gh release create`, `gh pr comment`, `npm publish` with the
token, `docker push ghcr.io/...`, trusted publishing). A step that touches neither the token nor the remote needs
nothing. A job with a step the base does not know (an action missing from it, `actions/github-script`, a reusable
workflow, `gh api`, a script handed the token for commands the base cannot map, the token in a job's or the
workflow's `env:`) still gets a block, but the fix is then unsafe and its risk names the step, so that a safe fix
never drops a scope a step uses. A top-level block that grants write scopes is reported, not rewritten, so that no
comment in it is lost.

## References
- GitHub, "Automatic token authentication: modifying the permissions for the GITHUB_TOKEN"
- zizmor `excessive-permissions`; OpenSSF Scorecard Token-Permissions; checkov CKV2_GHA_1
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.fixes.model import Fix, Proposal, Safety, TextEdit, Unfixable
from scaffold.rules.github.workflow import jobs
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.yaml_view import YNode

ID = "excessive-permissions"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW,)
CONTROLS = ("least-privilege-token",)
FIX_SAFETY = "safe; unsafe when a job has a step whose needs scaffold's permissions base does not know"


def check(document: Document) -> Iterator[Hit]:
    root = document.yaml
    if root is None or not root.is_mapping:
        return
    top = root.get("permissions")
    if top is None:
        section = root.get("jobs")
        keys = {key.text: key for key, _ in section.entries()} if section is not None else {}
        exposed = [name for name, job in jobs(document) if job.get("permissions") is None and job.get("uses") is None]
        if not exposed and keys:
            yield Hit(1, 1, "no top-level permissions: set permissions: {} so that a job added later gets no scopes")
        for name in exposed:
            where = keys[name]
            yield Hit(
                where.line,
                where.column,
                f"job {name} gets the repository's default token scopes: no permissions on it or at the top "
                "level (set permissions: {} and grant the job what it needs)",
            )
    else:
        yield from _broad(top, "the workflow", top_level=True)
    for name, job in jobs(document):
        permissions = job.get("permissions")
        if permissions is not None:
            yield from _broad(permissions, f"job {name}", top_level=False)


def _broad(permissions: YNode, owner: str, *, top_level: bool) -> Iterator[Hit]:
    if permissions.text in ("write-all", "read-all"):
        yield Hit(permissions.line, permissions.column, f"{owner} uses {permissions.text}; grant named scopes")
        return
    if not top_level:
        return
    for scope, value in permissions.items():
        if value.text == "write":
            yield Hit(value.line, value.column, f"{scope}: write at the top level reaches every job; grant it per job")


def fix(document: Document) -> Iterator[Proposal]:
    from scaffold.rules.fixes import yaml_edit
    from scaffold.rules.fixes.permissions import job_needs

    root = document.yaml
    jobs_key = root.key("jobs") if root is not None else None
    if root is None or jobs_key is None:
        return
    top = root.get("permissions")
    named = top is not None and top.is_mapping  # jobs without a block inherit these named scopes: left alone
    if top is not None and named and any(value.text == "write" for _, value in top.items()):
        yield Unfixable(top.line, "move the top-level write scopes to the jobs that need them")
    unsure: list[str] = []
    names = {key.text: key.line for key, _ in (root.get("jobs") or root).entries()}
    for name, job in jobs(document):
        own = job.get("permissions")
        if (own is None and named) or (own is not None and own.text not in ("write-all", "read-all")):
            continue
        needs = job_needs(job, root)
        if own is None:
            anchor = job.key("steps") or job.key("uses")
            edit = yaml_edit.insert_before_key(document, anchor, needs.lines()) if anchor is not None else None
            edit = edit or yaml_edit.append_entry(document, job, needs.lines())
        else:
            edit = yaml_edit.replace_scalar(document, own, needs.flow())
        line = own.line if own is not None else names[name]
        if edit is None:
            unsure.append(name)
            yield Unfixable(line, f"job {name}: its layout leaves no place to add permissions")
            continue
        risk = "; ".join(needs.unknown)
        if risk:
            unsure.append(name)
        yield Fix(
            line, f"job {name}: permissions {needs.flow()}", Safety.UNSAFE if risk else Safety.SAFE, (edit,), risk
        )
    if not named:
        yield from _top_level(document, top, jobs_key, unsure)


def _top_level(document: Document, top: YNode | None, jobs_key: YNode, unsure: list[str]) -> Iterator[Proposal]:
    from scaffold.rules.fixes import yaml_edit

    edit: TextEdit | None
    if top is None:
        edit = yaml_edit.insert_before_key(document, jobs_key, ["permissions: {}"])
    elif top.text in ("write-all", "read-all"):
        edit = yaml_edit.replace_scalar(document, top, "{}")
    else:
        return
    if edit is None:
        return
    line = top.line if top is not None else jobs_key.line
    risk = f"jobs {', '.join(unsure)} may need scopes scaffold cannot tell" if unsure else ""
    yield Fix(line, "set permissions: {} at the top level", Safety.UNSAFE if unsure else Safety.SAFE, (edit,), risk)
