#!/usr/bin/env python3
"""Extract the request-body schemas of the forge API operations the kit's settings files are sent to.

    python scripts/extract_forge_schemas.py github api.github.com.json  tests/data/forge-api/github-request-bodies.json
    python scripts/extract_forge_schemas.py gitlab openapi_v2.yaml      tests/data/forge-api/gitlab-request-bodies.json

GitHub: ``api.github.com.json`` is ``descriptions/api.github.com/api.github.com.json`` in github/rest-api-description
(OpenAPI 3.0); the copy npm's ``@octokit/openapi`` ships as ``generated/api.github.com.json`` works as well (Octokit
adds only ``x-octokit`` to operations and rewrites ``info``). GitLab: ``openapi_v2.yaml`` is
``doc/api/openapi/openapi_v2.yaml`` in gitlab-org/gitlab (Swagger 2.0).

The output keeps each operation's request-body schema as the description states it, under ``operations`` keyed by
``METHOD /path``, with every schema it refers to, however indirectly, copied under the same pointer
(``components.schemas`` for GitHub, ``definitions`` for GitLab), so the output is one self-contained document whose
``$ref`` s resolve within it. Nothing else is changed. tests/data/forge-api/README.md says which file and commit the
committed outputs came from; review the diff after a re-run.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

# (method, path in the description): the endpoints docs/ci-security.md sends settings/github/ files to.
GITHUB_OPERATIONS = (
    ("post", "/repos/{owner}/{repo}/rulesets"),
    ("patch", "/repos/{owner}/{repo}"),
    ("put", "/repos/{owner}/{repo}/actions/permissions"),
    ("put", "/repos/{owner}/{repo}/actions/permissions/selected-actions"),
    ("put", "/repos/{owner}/{repo}/actions/permissions/workflow"),
    ("put", "/repos/{owner}/{repo}/actions/permissions/fork-pr-contributor-approval"),
    ("put", "/repos/{owner}/{repo}/actions/permissions/fork-pr-workflows-private-repos"),
    ("put", "/repos/{owner}/{repo}/environments/{environment_name}"),
    ("post", "/repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies"),
)

# (method, path in GitLab's REST docs, body definition): the endpoints settings/gitlab/ files are sent to. GitLab's
# Swagger names each body definition after the operation (method + path in camel case), which is how an excerpt
# without the path entries is still read right; a path the file has is checked against the name.
GITLAB_OPERATIONS = (
    ("put", "/projects/:id", "putApiV4ProjectsId"),
    ("patch", "/projects/:id/job_token_scope", "patchApiV4ProjectsIdJobTokenScope"),
    ("post", "/projects/:id/protected_branches", "postApiV4ProjectsIdProtectedBranches"),
    ("post", "/projects/:id/protected_tags", "postApiV4ProjectsIdProtectedTags"),
    ("post", "/projects/:id/environments", "postApiV4ProjectsIdEnvironments"),
)


def _refs(value: Any) -> Iterator[str]:
    """Every ``$ref`` string anywhere in ``value``."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):
                yield item
            else:
                yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def _closure(document: dict[str, Any], roots: list[Any], prefix: str) -> dict[str, Any]:
    """The schemas under ``prefix`` (a JSON pointer like ``#/definitions/``) that ``roots`` reach through ``$ref``."""
    table = document
    for part in prefix.removeprefix("#/").strip("/").split("/"):
        table = table[part]
    found: dict[str, Any] = {}
    pending = [ref for root in roots for ref in _refs(root)]
    while pending:
        ref = pending.pop()
        if not ref.startswith(prefix):
            raise SystemExit(f"unexpected $ref {ref!r} (only {prefix}... is extracted)")
        name = ref.removeprefix(prefix)
        if name in found:
            continue
        found[name] = table[name]
        pending.extend(_refs(found[name]))
    return dict(sorted(found.items()))


def github(document: dict[str, Any]) -> dict[str, Any]:
    operations = {}
    for method, path in GITHUB_OPERATIONS:
        body = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        operations[f"{method.upper()} {path}"] = body
    schemas = _closure(document, list(operations.values()), "#/components/schemas/")
    return {"operations": operations, "components": {"schemas": schemas}}


def gitlab(document: dict[str, Any]) -> dict[str, Any]:
    operations = {}
    paths = document.get("paths") or {}
    for method, path, name in GITLAB_OPERATIONS:
        swagger_path = "/api/v4" + "/".join("{id}" if part == ":id" else part for part in path.split("/"))
        entry = (paths.get(swagger_path) or {}).get(method)
        if entry is not None:
            bodies = [p["schema"]["$ref"] for p in entry.get("parameters", []) if p.get("in") == "body"]
            if bodies != [f"#/definitions/{name}"]:
                raise SystemExit(f"{method.upper()} {swagger_path}: body is {bodies}, expected {name}")
        else:
            print(
                f"note: {method.upper()} {swagger_path} is not in this file; using definition {name}", file=sys.stderr
            )
        operations[f"{method.upper()} {path}"] = {"$ref": f"#/definitions/{name}"}
    definitions = _closure(document, list(operations.values()), "#/definitions/")
    return {"operations": operations, "definitions": definitions}


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[1] not in ("github", "gitlab"):
        print(__doc__, file=sys.stderr)
        return 2
    forge, source, target = argv[1], Path(argv[2]), Path(argv[3])
    text = source.read_text(encoding="utf-8")
    document = json.loads(text) if source.suffix == ".json" else yaml.safe_load(text)
    extracted = github(document) if forge == "github" else gitlab(document)
    target.write_text(json.dumps(extracted, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{target}: {len(extracted['operations'])} operations", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
