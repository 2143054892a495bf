"""Write ``docs/checks.md`` from the rules' docstrings: ``python -m scaffold.rules.docs > docs/checks.md``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from scaffold.rules.catalog import REGISTRY
from scaffold.rules.registry import Rule

_INTRO = """\
# Audit rules

`scaffold audit` checks CI/CD files against these rules. Each finding names its rule, a severity (how bad it is
when real) and a confidence (how sure the rule is). Silence one finding with a comment on its line or the line
above it, with a reason: `# scaffold: ignore[rule-id] reason` (`//` in a Jenkinsfile). Turn rules off, or raise
the threshold, in `.scaffold.yml` at the repository's root:

```yaml
audit:
  disable: [artipacked]
  min_severity: medium
  exceptions:                    # findings accepted for now: a reason and an expiry date, each
    - rule: missing-timeout
      path: .github/workflows/nightly.yml   # optional; '*' within a part of the path, '**' across parts
      reason: the nightly job is bounded by its runner
      expires: 2027-03-31        # YYYY-MM-DD, at most 366 days ahead; covers nothing after that day
```

A finding that only expired exceptions cover is reported again, its message ending with
`(its exception expired YYYY-MM-DD)`.

What a file is comes from its path relative to the repository's root, not from the folder you run scaffold in.
The root is the nearest folder above the path with a `.git` entry (git is never run), else the nearest holding a
`.github` folder, `.gitlab-ci.yml`, a `Jenkinsfile`, `.pre-commit-config.yaml` or `.scaffold.yml`, else the path's
own folder. A folder is searched; `scaffold audit ci.yml` in `.github/workflows` checks a GitHub workflow, with
the same findings as `scaffold audit .github/workflows/ci.yml` from the root. An `action.yml` (or `action.yaml`) in
any folder is a GitHub action (`action`): the steps of a composite action get the workflow rules that judge steps,
and a Docker action's `docker://` image the image rules. `--kind KIND` sets the kind of every file named on the
command line (`github-workflow`, `action`, `dependabot`, `gitlab-ci`, `jenkinsfile`, `dockerfile`, `dockerignore`,
`pre-commit`): `scaffold audit --kind gitlab-ci ci/pipeline.yaml`. A named file or folder with
nothing to check is exit 2 (`notes.txt: not a file scaffold audits ...`, `docs: holds no file scaffold audits`),
never a clean run.

Kit rules (`kit-<control>`) judge the controls a repository must keep, over all of a platform's files: a
repository whose `.scaffold.yml` records a kit requires the controls that kit's answers apply. They run only for a
platform whose every file the audit reads (so `scaffold audit ci.yml` never reports the other workflows' controls
as missing) and not at all when a file could not be read. A scan counts only when it can run and fail. Every
finding of a kit or file rule that a user's edit brings into a kit file also stops `scaffold upgrade` (exit 3) and
fails `scaffold diff` (weaker); there, suppression comments and `audit:` settings do not apply.

An org policy (the `policy:` section a team pack puts in `.scaffold.yml`, or the pack named with
`scaffold audit --pack`) adds the controls it lists to the required ones, except those it waives, runs the policy
rules (`policy-*`) of the allow lists it sets, and sets the lowest severity reported (`fail_on`; a repository's own
`min_severity` may be lower, never higher). The policy rules and every rule guarding a control the policy lists
always run: `audit.disable`, `--ignore`, `--select` and ignore comments do not reach them, and only the policy's
own exceptions cover their findings. In `scaffold upgrade` and `scaffold diff` the policy's controls and allow lists
are judged too, and no exception or floor applies.

`scaffold harden` makes the fixes listed in the "fix" column: safe ones by default, unsafe ones with `--fix=all`.

This file is generated from the rules' documentation; do not edit it by hand.

| rule | files | severity | confidence | fix | what it finds |
|---|---|---|---|---|---|
"""


def render(rules: Sequence[Rule] = REGISTRY) -> str:
    rows = [
        f"| [`{rule.id}`](#{rule.id}) | {', '.join(sorted(kind.value for kind in rule.kinds))} | "
        f"{rule.severity.label} | {rule.confidence.label} | {rule.fix_safety or '-'} | {rule.summary} |"
        for rule in rules
    ]
    sections = [f"## {rule.id}\n\n" + rule.doc.replace("\n## ", "\n### ").replace("## ", "### ", 1) for rule in rules]
    return _INTRO + "\n".join(rows) + "\n\n" + "\n\n".join(sections) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
