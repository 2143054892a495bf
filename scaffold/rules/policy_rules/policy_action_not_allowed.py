"""## What it does
Finds GitHub `uses:` references, in steps and in reusable-workflow calls, to actions and workflows that the org
policy's `allowed_actions` does not list; the steps of composite actions (`action.yml`) are read too.

It runs only when the repository is under an org policy that sets `allowed_actions` (the `policy:` section of its
`.scaffold.yml`, or the pack given with `scaffold audit --pack`). Local actions (`./...`) are always allowed, and
`docker://` images are judged by `policy-registry-not-allowed`. A pattern is `owner/repo[/path]`, `*` standing for
any characters within a part: `actions/*` allows every action of the `actions` owner, `docker/login-action` that
repository's actions. An empty list allows local actions only. Neither `audit:` settings nor ignore comments hide
a finding; an exception in the policy does.

## Why is this bad?
Every action runs with the job's token and secrets. A platform team that reviewed a set of publishers has no say
over an action nobody reviewed: a typo-squatted name, an abandoned repository taken over, or a new dependency added
in a pull request. Pinning (`unpinned-uses`) fixes which code of an action runs; the allow list fixes whose.

## Example
```yaml
# pack.yml: policy: {allowed_actions: ["actions/*"]}
steps:
  - uses: someone/setup-tool@<sha>
```

## Use instead
```yaml
steps:
  - uses: actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97 # v7.0.0
```
Or ask the platform team to add the publisher to the pack's `allowed_actions`.

## References
- GitHub, "Allowing select actions and reusable workflows to run" (the organisation setting this mirrors)
- OWASP Top 10 CI/CD Security Risks, CICD-SEC-3 (dependency chain abuse)
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.github.workflow import action_name, jobs, steps
from scaffold.rules.model import Confidence, Hit, Kind, Severity
from scaffold.rules.policy_rules.refs import action_allowed
from scaffold.rules.tree import Located, Tree

ID = "policy-action-not-allowed"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.WORKFLOW, Kind.ACTION)


def check_tree(tree: Tree) -> Iterator[Located]:
    allowed = tree.required.allowed_actions
    if allowed is None:
        return
    for document in (document for document in tree.documents if document.kind in KINDS):
        for name, job in jobs(document):
            for uses in [job.get("uses")] + [step.get("uses") for step in steps(job)]:
                value = (uses.text or "").strip() if uses is not None else ""
                if uses is None or not value or value.startswith(("./", "docker://")):
                    continue
                action = action_name(value)
                if not action_allowed(action, allowed):
                    message = f"job {name}: {value} is not an action the org policy's allowed_actions lists"
                    yield Located(document.path, Hit(uses.line, uses.column, message, action))
