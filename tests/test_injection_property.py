"""Property: an arbitrary string in any text answer is either rejected (UsageError, exit 2) or comes out inert.

Inert means, compared with a render of a known-good value for the same key: every YAML file parses to the same
set of key paths (no new keys or jobs), every ``run:`` and GitLab ``script:`` is byte-identical (answers never
reach a shell script except through ``env:`` or ``variables:``), the Jenkinsfile reads (``scaffold.rules.jenkins.
groovy``) without problems into the same tree of statements with the same kinds of string literals and
byte-identical ``sh`` scripts, and the Dockerfile has the same instructions in the same order. JSON and Terraform
files parse to the same key paths, and Rego files compile to the same packages. Every kit is rendered for all three
platforms at once; a second property renders the registry and admission policies of every registry that has them.
"""

from __future__ import annotations

import json
import re
from typing import Any

import regorus
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from scaffold.api import render_kit
from scaffold.errors import UsageError
from scaffold.kit.answers import validate
from scaffold.rules.jenkins.groovy import Source
from tests.answer_sets import AWS, AZURE, GCP
from tests.support import hcl

EVERY_PLATFORM = {"platforms": ["github", "gitlab", "jenkins"], "registry": "harbor"}

DAST = {"dast": True, "dast_target_url": "https://app.example.com", "openapi_path": "docs/openapi.yaml"}
CONTEXT: dict[str, dict[str, Any]] = {
    "name": {},
    "default_branch": {},
    "image": {},
    "health_path": {},
    "aws_role_arn": AWS,
    "aws_region": AWS,
    "gcp_workload_identity_provider": GCP,
    "gcp_service_account": GCP,
    "azure_client_id": AZURE,
    "azure_tenant_id": AZURE,
    "azure_subscription_id": AZURE,
    "dast_target_url": DAST,
    "openapi_path": DAST,
    "environments": {},
    "trusted_registries": {},
    "code_owners": {},
}
LIST_KEYS = {"environments", "trusted_registries", "code_owners"}

FRAGMENTS = [
    "\n",
    "\r",
    ": ",
    "#",
    "'",
    '"',
    "${{ github.token }}",
    "{{ 7*7 }}",
    "[[ 7*7 ]]",
    "[% if 1 %]",
    "$(id)",
    "`id`",
    ";",
    "&&",
    "|",
    "\\",
    "../",
    "\u2028",
    "\u00a0",
    "\uff4d",
    "\u043e",
    "- x",
    "*alias",
    "&anchor",
    "!!python",
    "%",
    "{",
    "}",
    "[",
    "]",
    ",",
    "@",
    "\x00",
]
VALID = {
    "name": "svc",
    "default_branch": "main",
    "image": "harbor.example.com/acme/svc",
    "health_path": "/healthz",
    "aws_role_arn": AWS["aws_role_arn"],
    "aws_region": "eu-west-1",
    "gcp_workload_identity_provider": GCP["gcp_workload_identity_provider"],
    "gcp_service_account": GCP["gcp_service_account"],
    "azure_client_id": AZURE["azure_client_id"],
    "azure_tenant_id": AZURE["azure_tenant_id"],
    "azure_subscription_id": AZURE["azure_subscription_id"],
    "dast_target_url": "https://app.example.com",
    "openapi_path": "docs/openapi.yaml",
    "environments": "staging",
    "trusted_registries": "docker.io",
    "code_owners": "@acme/team",
}

# Valid under the answer rules but special to YAML 1.1/1.2, shells or Jinja when left unquoted.
TRICKY_VALID = [
    "yes",
    "no",
    "on",
    "off",
    "null",
    "true",
    "0x1f",
    "1e3",
    "0755",
    "nan",
    "inf",
    "y",
    "n",
    "a--b",
]

payloads = st.one_of(
    st.text(max_size=80),
    st.sampled_from(TRICKY_VALID),
    st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True),
    st.builds(
        lambda a, f, b: a + f + b,
        st.sampled_from(sorted(set(VALID.values()))),
        st.sampled_from(FRAGMENTS),
        st.text(alphabet="abc-./:", max_size=8),
    ),
)


def key_paths(node: Any, prefix: str = "") -> set[str]:
    paths: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{prefix}/{key}"
            paths.add(here)
            paths |= key_paths(value, here)
    elif isinstance(node, list):
        for item in node:
            paths |= key_paths(item, f"{prefix}[]")
    return paths


def run_scripts(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["run"]] if isinstance(node.get("run"), str) else []
        script = node.get("script")
        found += [str(line) for line in script] if isinstance(script, list) else []
        return found + [s for value in node.values() for s in run_scripts(value)]
    if isinstance(node, list):
        return [s for item in node for s in run_scripts(item)]
    return []


def shape(files: dict[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for path, text in files.items():
        if path.endswith((".yml", ".yaml")):
            document = yaml.safe_load(text)
            # Answers may legitimately appear as mapping keys only as environment job ids; normalise those.
            result[path] = (sorted(key_paths(document)), run_scripts(document))
        elif path == "Jenkinsfile":
            result[path] = jenkinsfile_shape(text)
        elif path == "Dockerfile":
            result[path] = [line.split()[0] for line in text.splitlines() if line and not line[0].isspace()]
        elif path.endswith(".json"):
            result[path] = sorted(key_paths(json.loads(text)))
        elif path.endswith(".tf"):
            result[path] = sorted(key_paths(hcl.load(text)))
        elif path.endswith(".rego"):
            engine = regorus.Engine()
            engine.add_policy(path, text)  # raises on a syntax error
            result[path] = sorted(engine.get_packages())
    return result


def jenkinsfile_shape(text: str) -> list[Any]:
    """What the Groovy reader would refuse, then each statement: its name, how many statements its block holds, the
    quotes of its string literals, and an ``sh`` step's script."""
    source = Source(text)
    shape: list[Any] = [what for _, what in source.problems]
    for statement in source.walk():
        literals = source.arguments(statement)
        inner = len(statement.block.statements) if statement.block is not None else -1
        script = (literals[0].value,) if statement.name == "sh" and literals else ()
        shape.append((statement.name, inner, [literal.quote for literal in literals], *script))
    return shape


def render_with(key: str, value: Any) -> dict[str, str]:
    return render_kit(answers=validate({**EVERY_PLATFORM, **CONTEXT[key], key: value}))


def normalise(key: str, value: str, files_shape: dict[str, Any]) -> dict[str, Any]:
    """Environment names legitimately become job ids (``deploy-<env>``); map those to one placeholder."""
    if key != "environments":
        return files_shape
    job = re.compile(rf"/deploy-{re.escape(value)}(?=/|\[|$)")
    return {
        path: (sorted(job.sub("/deploy-ENV", p) for p in entry[0]), entry[1]) if isinstance(entry, tuple) else entry
        for path, entry in files_shape.items()
    }


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(sorted(CONTEXT)), payload=payloads)
def test_any_text_answer_is_rejected_or_inert(key: str, payload: str) -> None:
    value: Any = [payload] if key in LIST_KEYS else payload
    try:
        candidate = render_with(key, value)
    except UsageError as error:
        event("rejected")
        assert "\n" not in str(error)
        assert str(error).split(":")[0].split(".")[0] in (key, "image", "registry", "trusted_registries")
        return
    event("accepted")
    baseline_value: Any = [VALID[key]] if key in LIST_KEYS else VALID[key]
    baseline = render_with(key, baseline_value)
    if key in ("name", "environments"):  # they legitimately name files: the Falco rules, a stage's folder
        # Each side is normalised with both values, so a payload that also occurs in the kit's own text (an
        # environment named "no" and pip's "--no-deps") is replaced on both sides alike.
        candidate_shape = normalise_value(payload, normalise(key, payload, shape(candidate)))
        baseline_shape = normalise_value(VALID[key], normalise(key, VALID[key], shape(baseline)))
        assert normalise_value(VALID[key], candidate_shape) == normalise_value(payload, baseline_shape)
        return
    assert normalise(key, payload, shape(candidate)) == normalise(key, VALID[key], shape(baseline))


# The registry policies: one context per registry with native policy documents, and the answers that reach them.
REGISTRY_CONTEXTS: dict[str, dict[str, Any]] = {
    "ecr": {"registry": "ecr", "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api", **AWS},
    "gar": {"registry": "gar", "image": "europe-docker.pkg.dev/acme-prod/images/api", **GCP},
    "acr": {"registry": "acr", "image": "acmeprod.azurecr.io/shop/api", **AZURE},
    "harbor": {"registry": "harbor", "image": "harbor.example.com/shop/api"},
    "artifactory": {"registry": "artifactory", "image": "acme.jfrog.io/docker-local/api"},
    "gitlab": {"registry": "gitlab", "image": "registry.gitlab.com/acme/api"},
}
REGISTRY_KEYS = {
    "name": "api",
    "environments": "staging",
    "source_repo": "acme/api",
    "gitlab_url": "https://gitlab.example.com",
    "image": None,  # the registry's own valid image
}


def normalise_value(value: str, node: Any) -> Any:
    """Answers may name things: a stage's folder, Terraform map key or group name, the Falco rules file. Map each
    path or name segment (delimited by '/', '-', '[' or the ends) equal to the value to one placeholder, then
    re-sort the lists of key paths, so only structure is compared."""
    if not value:
        return node
    pattern = re.compile(rf"(?:(?<=[/-])|^){re.escape(value)}(?=[/\[-]|$)")
    if isinstance(node, str):
        return pattern.sub("VALUE", node)
    if isinstance(node, dict):
        return {normalise_value(value, key): normalise_value(value, item) for key, item in node.items()}
    if isinstance(node, list | tuple):
        items = [normalise_value(value, item) for item in node]
        return sorted(items) if all(isinstance(item, str) for item in items) else items
    return node


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(registry=st.sampled_from(sorted(REGISTRY_CONTEXTS)), key=st.sampled_from(sorted(REGISTRY_KEYS)), data=st.data())
def test_any_answer_reaching_a_registry_or_policy_document_is_rejected_or_inert(
    registry: str, key: str, data: st.DataObject
) -> None:
    context = {"platforms": ["github", "gitlab", "jenkins"], **REGISTRY_CONTEXTS[registry]}
    valid = REGISTRY_KEYS[key] or str(context["image"])
    payload = data.draw(
        st.one_of(
            st.text(max_size=60),
            st.sampled_from(TRICKY_VALID),
            st.builds(lambda f, b: valid + f + b, st.sampled_from(FRAGMENTS), st.text(alphabet="abc-./:_", max_size=6)),
        )
    )
    value: Any = [payload] if key == "environments" else payload
    try:
        candidate = render_kit(answers=validate({**context, key: value}))
    except UsageError as error:
        event("rejected")
        assert "\n" not in str(error)
        return
    event("accepted")
    baseline_value: Any = [valid] if key == "environments" else valid
    baseline = render_kit(answers=validate({**context, key: baseline_value}))
    policy_paths = ("registry/", "policy/", "runtime/")
    pick = {path: text for path, text in candidate.items() if path.startswith(policy_paths)}
    base = {path: text for path, text in baseline.items() if path.startswith(policy_paths)}
    # Both sides are normalised with both values: a payload that equals a name the document already has as
    # structure (an environment called "properties", a key of the CRD schema) is then that name on both sides,
    # while one that adds or removes structure still shows as a difference.
    both = lambda node: normalise_value(valid, normalise_value(payload, node))  # noqa: E731
    assert both(shape(pick)) == both(shape(base))
