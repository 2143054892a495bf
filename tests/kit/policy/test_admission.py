"""The Kubernetes admission policies under policy/kubernetes/: Gatekeeper ConstraintTemplates and Constraints
(Rego v1) and the Kyverno image-signature policy.

OPA, Gatekeeper and Kyverno cannot run here, so the Rego runs on regorus: every ``_test.rego`` through
``tests/support/rego.run_tests``, and the Rego embedded in each ConstraintTemplate against admission reviews built
from the kit's own registry stages. The YAML is parsed and its structure checked against what Gatekeeper and
Kyverno read.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from scaffold.api import render_kit
from scaffold.kit import registry_layout, signing
from scaffold.kit.answers import validate
from tests.answer_sets import ANSWER_SETS
from tests.support.rego import engine, run_tests

ROOT = "policy/kubernetes"
DIGEST = "@sha256:" + "0123456789abcdef" * 4

# Template name -> (Constraint kind, number of test_allow_* rules, number of test_deny_* rules) in its _test.rego.
POLICIES: dict[str, tuple[str, int, int]] = {
    "k8strustedregistries": ("K8sTrustedRegistries", 4, 8),
    "k8spinnedimages": ("K8sPinnedImages", 3, 7),
    "k8srunasnonroot": ("K8sRunAsNonRoot", 3, 7),
    "k8snoprivilege": ("K8sNoPrivilege", 3, 6),
}

# Answer sets beyond the shared ones: a self-hosted GitLab, a nested repository path and a branch with '.' and '/'
# (both must be escaped in the identity pattern), and every platform at once.
LOCAL_SETS: dict[str, dict[str, Any]] = {
    "self-hosted-gitlab-dotted-branch": {
        "name": "shop",
        "platforms": ["gitlab", "github"],
        "registry": "harbor",
        "image": "harbor.acme.example/shop/api",
        "gitlab_url": "https://git.acme.example",
        "source_repo": "acme/platform/shop",
        "default_branch": "release/2.x",
        "environments": ["staging", "prod"],
    },
}

ALL_SETS = {**ANSWER_SETS, **LOCAL_SETS}
CONTAINER_SETS = sorted(name for name, answers in ALL_SETS.items() if answers.get("container", True))
NO_CONTAINER_SETS = sorted(name for name, answers in ALL_SETS.items() if not answers.get("container", True))


@cache
def kit(name: str) -> dict[str, str]:
    return render_kit(answers=validate(ALL_SETS[name]))


@cache
def finished(name: str) -> dict[str, Any]:
    return validate(ALL_SETS[name]).model_dump()


def doc(name: str, path: str) -> Any:
    return yaml.safe_load(kit(name)[f"{ROOT}/{path}"])


def embedded_rego(template: dict[str, Any]) -> str:
    (target,) = template["spec"]["targets"]
    (code,) = target["code"]
    return str(code["source"]["rego"])


def stage_prefixes(data: dict[str, Any]) -> list[str]:
    """The trusted prefixes, computed here without the template: host/namespace/ per stage (host/ when the
    namespace is empty; Artifact Registry's namespace, the repository id, follows the project), each once."""
    prefixes = []
    for stage in registry_layout.stages(data):
        project = stage.repository.split("/")[0] + "/" if data["registry"] == "gar" else ""
        prefix = f"{stage.host}/{project}{stage.namespace}/" if stage.namespace else f"{stage.host}/"
        if prefix not in prefixes:
            prefixes.append(prefix)
    return prefixes


def admitted_stages(data: dict[str, Any]) -> list[registry_layout.Stage]:
    """The stages whose images the prefixes admit: all of them, except GitLab's dev stage, which is the project
    path itself (registry.gitlab.com/group/project) with every environment below it."""
    stages = registry_layout.stages(data)
    return stages[1:] if data["registry"] == "gitlab" else stages


def write(directory: Path, files: dict[str, str]) -> list[Path]:
    paths = []
    for relative, text in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


# Which files exist -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CONTAINER_SETS)
def test_every_policy_file_is_rendered(name: str) -> None:
    files = {path for path in kit(name) if path.startswith(f"{ROOT}/")}
    expected = {f"{ROOT}/README.md", f"{ROOT}/kyverno/verify-images.yaml"}
    for policy in POLICIES:
        expected |= {
            f"{ROOT}/{policy}/{policy}.rego",
            f"{ROOT}/{policy}/{policy}_test.rego",
            f"{ROOT}/{policy}/template.yaml",
            f"{ROOT}/{policy}/constraint/constraint.yaml",
        }
    assert files == expected


@pytest.mark.parametrize("name", NO_CONTAINER_SETS)
def test_nothing_is_rendered_without_a_container(name: str) -> None:
    assert not [path for path in kit(name) if path.startswith(f"{ROOT}/")]


@pytest.mark.parametrize("name", CONTAINER_SETS)
def test_opa_can_load_the_folder(name: str) -> None:
    """`opa test policy/` loads every YAML and JSON file as data, merged at its folder's path: two manifests in one
    folder collide on apiVersion and kind (a merge error), so each folder holds at most one."""
    folders: dict[PurePosixPath, list[str]] = {}
    for path in kit(name):
        pure = PurePosixPath(path)
        if path.startswith(f"{ROOT}/") and pure.suffix in (".yaml", ".yml", ".json"):
            folders.setdefault(pure.parent, []).append(path)
    assert folders
    assert {folder: paths for folder, paths in folders.items() if len(paths) > 1} == {}


# The Rego unit tests -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["python-ghcr-defaults", "python-harbor-dast"])
@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_rego_unit_tests_pass(name: str, policy: str, tmp_path: Path) -> None:
    files = kit(name)
    paths = write(
        tmp_path,
        {relative: files[f"{ROOT}/{policy}/{relative}"] for relative in (f"{policy}.rego", f"{policy}_test.rego")},
    )
    results = run_tests(paths)
    assert [result for result in results if result.outcome != "pass"] == []
    names = [result.name for result in results]
    assert all(result.file.endswith(f"{policy}_test.rego") for result in results)
    _, allows, denies = POLICIES[policy]
    assert len([n for n in names if n.startswith("test_allow_")]) == allows > 0
    assert len([n for n in names if n.startswith("test_deny_")]) == denies > 0
    assert len(names) == allows + denies


def test_all_rego_files_load_together(tmp_path: Path) -> None:
    """`opa test policy/kubernetes` loads every file into one engine: packages and helpers must not clash."""
    files = kit("python-harbor-dast")
    rego = {path: text for path, text in files.items() if path.startswith(f"{ROOT}/") and path.endswith(".rego")}
    results = run_tests(write(tmp_path, rego))
    assert len(results) == sum(allows + denies for _, allows, denies in POLICIES.values())
    assert {result.outcome for result in results} == {"pass"}


def test_a_broken_policy_fails_its_tests(tmp_path: Path) -> None:
    """The unit tests can fail: with the '/' check removed, the look-alike host tests must fail."""
    files = kit("python-ghcr-defaults")
    policy = files[f"{ROOT}/k8strustedregistries/k8strustedregistries.rego"]
    broken = policy.replace('\tendswith(prefix, "/")\n}', "\ttrue\n}")
    assert broken != policy
    paths = write(
        tmp_path,
        {
            "k8strustedregistries.rego": broken,
            "k8strustedregistries_test.rego": files[f"{ROOT}/k8strustedregistries/k8strustedregistries_test.rego"],
        },
    )
    failed = {result.name for result in run_tests(paths) if result.outcome != "pass"}
    assert "test_deny_prefix_without_slash" in failed


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_rego_files_use_v1_syntax_and_gatekeeper_input(policy: str) -> None:
    files = kit("python-ghcr-defaults")
    source = files[f"{ROOT}/{policy}/{policy}.rego"]
    tests = files[f"{ROOT}/{policy}/{policy}_test.rego"]
    assert re.search(rf"^package {policy}$", source, re.MULTILINE)
    assert re.search(rf"^package {policy}_test$", tests, re.MULTILINE)
    assert 'violation contains {"msg": msg} if {' in source
    assert "input.review.object" in source
    # Gatekeeper 3.19's rewriter refuses `import rego.v1` ("bad import", gatekeeper#3907); v1 source needs none.
    assert "import " not in source
    # No legacy v0 rule bodies: every rule that opens a body uses `if`.
    for text in (source, tests):
        heads = [
            line
            for line in text.splitlines()
            if line[:1].isalpha() and line.endswith("{") and not line.endswith(("({", ":= {"))
        ]
        assert heads and all(line.endswith(" if {") for line in heads), heads
    assert tests.count("with input as") >= POLICIES[policy][1] + POLICIES[policy][2]


# The ConstraintTemplates -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CONTAINER_SETS)
@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_constraint_template_structure(name: str, policy: str) -> None:
    template = doc(name, f"{policy}/template.yaml")
    kind = POLICIES[policy][0]
    assert template["apiVersion"] == "templates.gatekeeper.sh/v1"
    assert template["kind"] == "ConstraintTemplate"
    # Gatekeeper requires metadata.name to be the lowercase of the constraint kind it creates.
    assert template["metadata"]["name"] == policy == kind.lower()
    crd = template["spec"]["crd"]["spec"]
    assert crd["names"] == {"kind": kind}
    assert crd["validation"]["openAPIV3Schema"]["type"] == "object"
    (target,) = template["spec"]["targets"]
    assert target["target"] == "admission.k8s.gatekeeper.sh"
    assert "rego" not in target, "the legacy rego field is parsed as Rego v0"
    assert "libs" not in target
    (code,) = target["code"]
    assert code["engine"] == "Rego"
    assert code["source"]["version"] == "v1"
    assert set(code["source"]) == {"version", "rego"}


@pytest.mark.parametrize("name", CONTAINER_SETS)
@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_embedded_rego_is_the_standalone_file(name: str, policy: str) -> None:
    template = doc(name, f"{policy}/template.yaml")
    standalone = kit(name)[f"{ROOT}/{policy}/{policy}.rego"]
    assert embedded_rego(template) == standalone
    assert standalone.endswith("}\n")


def test_trusted_registries_parameters_schema() -> None:
    schema = doc("python-ghcr-defaults", "k8strustedregistries/template.yaml")["spec"]["crd"]["spec"]["validation"]
    prefixes = schema["openAPIV3Schema"]["properties"]["prefixes"]
    assert prefixes["type"] == "array"
    assert prefixes["items"]["type"] == "string"
    pattern = re.compile(prefixes["items"]["pattern"])
    assert pattern.search("reg.io/team/")
    assert not pattern.search("reg.io")


# The Constraints ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CONTAINER_SETS)
@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_constraint_structure(name: str, policy: str) -> None:
    constraint = doc(name, f"{policy}/constraint/constraint.yaml")
    template = doc(name, f"{policy}/template.yaml")
    assert constraint["apiVersion"] == "constraints.gatekeeper.sh/v1beta1"
    assert constraint["kind"] == template["spec"]["crd"]["spec"]["names"]["kind"]
    assert constraint["metadata"]["name"].startswith(f"{finished(name)['name']}-")
    spec = constraint["spec"]
    assert spec["enforcementAction"] == "deny"
    kinds = {
        (group, kind) for entry in spec["match"]["kinds"] for group in entry["apiGroups"] for kind in entry["kinds"]
    }
    assert kinds >= {
        ("", "Pod"),
        ("apps", "Deployment"),
        ("apps", "StatefulSet"),
        ("apps", "DaemonSet"),
        ("apps", "ReplicaSet"),
        ("batch", "Job"),
        ("batch", "CronJob"),
    }
    assert spec["match"]["namespaceSelector"] == {"matchLabels": {"scaffold/service": finished(name)["name"]}}
    if policy == "k8strustedregistries":
        assert set(spec["parameters"]) == {"prefixes"}
    else:
        assert "parameters" not in spec


@pytest.mark.parametrize("name", CONTAINER_SETS)
def test_constraint_prefixes_are_exactly_the_stage_prefixes(name: str) -> None:
    prefixes = doc(name, "k8strustedregistries/constraint/constraint.yaml")["spec"]["parameters"]["prefixes"]
    assert prefixes == stage_prefixes(finished(name))
    assert len(prefixes) == len(set(prefixes))
    assert all(prefix.endswith("/") and "//" not in prefix for prefix in prefixes)
    # Every stage's image is admitted by a prefix.
    for stage in admitted_stages(finished(name)):
        assert any(stage.image.startswith(prefix) for prefix in prefixes), stage.image


def test_prefixes_keep_one_per_namespace() -> None:
    """Harbor puts each stage in its own project; ghcr keeps one namespace; an ECR image without a namespace is
    trusted by host; Artifact Registry keeps the project."""
    harbor = doc("python-harbor-dast", "k8strustedregistries/constraint/constraint.yaml")["spec"]["parameters"]
    assert harbor["prefixes"] == [
        "harbor.acme.example/catalog/",
        "harbor.acme.example/catalog-staging/",
        "harbor.acme.example/catalog-production/",
    ]
    ghcr = doc("python-ghcr-defaults", "k8strustedregistries/constraint/constraint.yaml")["spec"]["parameters"]
    assert ghcr["prefixes"] == ["ghcr.io/my-org/"]
    ecr = doc("python-ecr-aws-dast-openapi", "k8strustedregistries/constraint/constraint.yaml")["spec"]["parameters"]
    assert ecr["prefixes"] == ["123456789012.dkr.ecr.us-east-1.amazonaws.com/"]
    # Artifact Registry: the project comes before the repository that holds the permissions.
    gar = doc("go-gar-gcp", "k8strustedregistries/constraint/constraint.yaml")["spec"]["parameters"]
    assert gar["prefixes"] == [
        "europe-west1-docker.pkg.dev/acme-prod/images/",
        "europe-west1-docker.pkg.dev/acme-prod/images-staging/",
        "europe-west1-docker.pkg.dev/acme-prod/images-production/",
    ]


# The embedded Rego against admission reviews -----------------------------------------------------------------------


def container(name: str, image: str, **security: Any) -> dict[str, Any]:
    context = {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "privileged": False, **security}
    return {"name": name, "image": image, "securityContext": {k: v for k, v in context.items() if v is not None}}


def pod(spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app", "namespace": "shop"}, "spec": spec}


def workload(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    group = "batch/v1" if kind in ("Job", "CronJob") else "apps/v1"
    template = {"metadata": {"labels": {"app": "app"}}, "spec": spec}
    body: dict[str, Any] = (
        {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": template}}}
        if kind == "CronJob"
        else {"selector": {"matchLabels": {"app": "app"}}, "template": template}
    )
    return {"apiVersion": group, "kind": kind, "metadata": {"name": "app", "namespace": "shop"}, "spec": body}


class Admission:
    """One kit's four ConstraintTemplates, evaluated like Gatekeeper does: input.review.object plus the
    constraint's parameters."""

    def __init__(self, name: str, directory: Path) -> None:
        self.name = name
        self.paths: dict[str, Path] = {}
        for policy in POLICIES:
            path = directory / f"{policy}.rego"
            path.write_text(embedded_rego(doc(name, f"{policy}/template.yaml")), encoding="utf-8")
            self.paths[policy] = path
        self.parameters = {
            policy: doc(name, f"{policy}/constraint/constraint.yaml")["spec"].get("parameters", {})
            for policy in POLICIES
        }

    def violations(self, policy: str, resource: dict[str, Any], parameters: Any = None) -> list[str]:
        review = {
            "review": {"object": resource, "kind": {"kind": resource["kind"]}, "operation": "CREATE"},
            "parameters": self.parameters[policy] if parameters is None else parameters,
        }
        # Through JSON: tests.support.rego.evaluate converts a Rego set to a Python set, and the set of violation
        # objects Gatekeeper reads cannot be one.
        loaded = engine([self.paths[policy]])
        loaded.set_input_json(json.dumps(review))
        result = json.loads(loaded.eval_rule_as_json(f"data.{policy}.violation"))
        return sorted(str(item["msg"]) for item in result)

    def all(self, resource: dict[str, Any]) -> dict[str, list[str]]:
        found = {policy: self.violations(policy, resource) for policy in POLICIES}
        return {policy: messages for policy, messages in found.items() if messages}

    @property
    def stages(self) -> list[registry_layout.Stage]:
        return admitted_stages(finished(self.name))


@pytest.fixture(
    params=["python-harbor-dast", "node-ecr-aws", "go-gar-gcp", "python-ghcr-defaults", "java-gitlab-registry"]
)
def admission(request: pytest.FixtureRequest, tmp_path: Path) -> Admission:
    return Admission(str(request.param), tmp_path)


def good_spec(image: str) -> dict[str, Any]:
    return {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
        "initContainers": [container("migrate", image)],
        "containers": [container("app", image)],
    }


def test_good_resources_are_admitted(admission: Admission) -> None:
    for stage in admission.stages:
        image = stage.image + DIGEST
        for resource in (
            pod(good_spec(image)),
            workload("Deployment", good_spec(image)),
            workload("StatefulSet", good_spec(image)),
            workload("DaemonSet", good_spec(image)),
            workload("ReplicaSet", good_spec(image)),
            workload("Job", good_spec(image)),
            workload("CronJob", good_spec(image)),
        ):
            assert admission.all(resource) == {}, (resource["kind"], image)


def test_other_kinds_are_ignored(admission: Admission) -> None:
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"image": "evil:latest"}}
    assert admission.all(config) == {}


def test_untrusted_and_lookalike_registries_are_refused(admission: Admission) -> None:
    dev = admission.stages[0]
    lookalikes = [
        f"{dev.host}.evil.com/{dev.repository}{DIGEST}",
        f"evil.com/{dev.image}{DIGEST}",
        f"docker.io/library/nginx{DIGEST}",
        f"{dev.host}/evil{DIGEST}" if dev.namespace else f"{dev.host}.evil.com/x{DIGEST}",
    ]
    for image in lookalikes:
        for resource in (pod(good_spec(image)), workload("Deployment", good_spec(image))):
            messages = admission.violations("k8strustedregistries", resource)
            assert any("not from a trusted registry" in m and image in m for m in messages), image


def test_prefix_without_slash_is_refused(admission: Admission) -> None:
    dev = admission.stages[0]
    image = f"{dev.host}.evil.com/{dev.repository}{DIGEST}"
    messages = admission.violations("k8strustedregistries", pod(good_spec(image)), {"prefixes": [dev.host]})
    assert any("must end in" in m for m in messages)
    assert any(image in m for m in messages)
    # Without parameters nothing is trusted (fail closed).
    good = pod(good_spec(dev.image + DIGEST))
    assert admission.violations("k8strustedregistries", good, {})


@pytest.mark.parametrize("field", ["initContainers", "ephemeralContainers"])
def test_every_container_list_is_checked(admission: Admission, field: str) -> None:
    trusted = admission.stages[0].image + DIGEST
    bad = {
        "k8strustedregistries": container("extra", f"quay.io/tools/debug{DIGEST}"),
        "k8spinnedimages": container("extra", admission.stages[0].image + ":latest"),
        "k8srunasnonroot": container("extra", trusted, runAsNonRoot=False),
        "k8snoprivilege": container("extra", trusted, privileged=True),
    }
    for policy, extra in bad.items():
        spec = {"containers": [container("app", trusted)], field: [extra]}
        for resource in (pod(spec), workload("Deployment", spec), workload("CronJob", spec)):
            messages = admission.violations(policy, resource)
            assert any(m.startswith(f'{field} "extra"') for m in messages), (policy, resource["kind"], messages)


def test_digest_and_latest_rules(admission: Admission) -> None:
    dev = admission.stages[0]
    cases = {
        f"{dev.image}:1.2.3": ["must be pinned by digest"],
        f"{dev.image}": ["must be pinned by digest"],
        f"{dev.image}@sha256:abc": ["must be pinned by digest"],
        f"{dev.image}@sha256:{'A' * 64}": ["must be pinned by digest"],
        f"{dev.image}:latest": ["must be pinned by digest", 'must not use the "latest" tag'],
        f"{dev.image}:latest{DIGEST}": ['must not use the "latest" tag'],
    }
    for image, expected in cases.items():
        messages = admission.violations("k8spinnedimages", workload("StatefulSet", good_spec(image)))
        for text in expected:
            assert any(text in m for m in messages), (image, messages)
        assert len(messages) == 2 * len(expected), (image, messages)  # the init container and the app container
    assert admission.violations("k8spinnedimages", pod(good_spec(f"{dev.image}:1.2.3{DIGEST}"))) == []


def test_non_root_rules(admission: Admission) -> None:
    image = admission.stages[0].image + DIGEST
    unset = {"containers": [container("app", image, runAsNonRoot=None)]}
    assert admission.violations("k8srunasnonroot", pod(unset))
    pod_level = {"securityContext": {"runAsNonRoot": True}, "containers": [container("app", image, runAsNonRoot=None)]}
    assert admission.violations("k8srunasnonroot", workload("Deployment", pod_level)) == []
    overridden = {
        "securityContext": {"runAsNonRoot": True},
        "containers": [container("app", image, runAsNonRoot=False)],
    }
    assert admission.violations("k8srunasnonroot", workload("Deployment", overridden))
    root = {"containers": [container("app", image, runAsUser=0)]}
    assert any("UID 0" in m for m in admission.violations("k8srunasnonroot", workload("Job", root)))


def test_privilege_rules(admission: Admission) -> None:
    image = admission.stages[0].image + DIGEST
    privileged = {"containers": [container("app", image, privileged=True)]}
    assert any("must not be privileged" in m for m in admission.violations("k8snoprivilege", pod(privileged)))
    unset = {"containers": [container("app", image, allowPrivilegeEscalation=None)]}
    messages = admission.violations("k8snoprivilege", workload("DaemonSet", unset))
    assert any("allowPrivilegeEscalation: false" in m for m in messages)
    escalating = {"containers": [container("app", image, allowPrivilegeEscalation=True)]}
    assert admission.violations("k8snoprivilege", workload("CronJob", escalating))
    bare = {"containers": [{"name": "app", "image": image}]}
    assert len(admission.violations("k8snoprivilege", pod(bare))) == 1


# Kyverno -----------------------------------------------------------------------------------------------------------


def signed_identities(data: dict[str, Any], platform: str, ref: str) -> str:
    """The certificate identity the kit's own release pipeline gets from Fulcio for this ref."""
    if platform == "github":
        return f"https://github.com/{data['source_repo']}/.github/workflows/release.yml@{ref}"
    return f"{data['gitlab_url']}/{data['source_repo']}//.gitlab-ci.yml@{ref}"


def kyverno_rule(name: str) -> dict[str, Any]:
    policy = doc(name, "kyverno/verify-images.yaml")
    (rule,) = policy["spec"]["rules"]
    return dict(rule)


@pytest.mark.parametrize("name", CONTAINER_SETS)
def test_kyverno_policy_structure(name: str) -> None:
    data = finished(name)
    policy = doc(name, "kyverno/verify-images.yaml")
    assert policy["apiVersion"] == "kyverno.io/v1"
    assert policy["kind"] == "ClusterPolicy"
    assert policy["spec"]["failurePolicy"] == "Fail"
    assert policy["spec"]["background"] is False
    assert "validationFailureAction" not in policy["spec"]
    rule = kyverno_rule(name)
    (match,) = rule["match"]["any"]
    assert match["resources"]["kinds"] == ["Pod"]
    assert match["resources"]["namespaceSelector"] == {"matchLabels": {"scaffold/service": data["name"]}}
    (verify,) = rule["verifyImages"]
    assert verify["type"] == "Cosign"
    assert verify["failureAction"] == "Enforce"
    assert verify["mutateDigest"] is True
    assert verify["verifyDigest"] is True
    assert verify["required"] is True
    expected_refs = [ref for stage in registry_layout.stages(data) for ref in (f"{stage.image}:*", f"{stage.image}@*")]
    assert verify["imageReferences"] == expected_refs


@pytest.mark.parametrize("name", CONTAINER_SETS)
def test_kyverno_attestors_are_the_signers(name: str) -> None:
    data = finished(name)
    (verify,) = kyverno_rule(name)["verifyImages"]
    (attestors,) = verify["attestors"]
    entries = attestors["entries"]
    signers = signing.signers(data)
    assert len(entries) == len(signers) == len(data["platforms"])
    assert attestors["count"] == 1
    for signer, entry in zip(signers, entries, strict=True):
        if signer.platform == "jenkins":
            assert set(entry) == {"keys"}
            assert entry["keys"]["secret"] == {"name": f"{data['name']}-cosign-pub", "namespace": "kyverno"}
            assert signer.public_key_path == "deploy/cosign.pub"
        else:
            assert set(entry) == {"keyless"}
            keyless = entry["keyless"]
            assert keyless["issuer"] == signer.issuer
            assert keyless["subjectRegExp"] == signer.subject_pattern
            assert "subject" not in keyless


@pytest.mark.parametrize("name", CONTAINER_SETS)
def test_subject_patterns_match_the_release_pipelines_only(name: str) -> None:
    data = finished(name)
    files = kit(name)
    (verify,) = kyverno_rule(name)["verifyImages"]
    keyless = [entry["keyless"] for entry in verify["attestors"][0]["entries"] if "keyless" in entry]
    platforms = [p for p in data["platforms"] if p != "jenkins"]
    assert len(keyless) == len(platforms)
    branch, repo = data["default_branch"], data["source_repo"]
    for platform, entry in zip(platforms, keyless, strict=True):
        if platform == "github":
            # The identity is the workflow file that signs; release.yml runs on the default branch only (the
            # pattern also admits the v* tags GitLab releases from).
            release = yaml.safe_load(files[".github/workflows/release.yml"])
            assert release[True]["push"] == {"branches": [branch]}
            assert entry["issuer"] == "https://token.actions.githubusercontent.com"
        else:
            # The identity the deploy jobs verify is the pipeline file on the default branch, the only ref GitLab
            # releases from.
            assert 'identity="$CI_PROJECT_URL//.gitlab-ci.yml@refs/heads/$CI_COMMIT_BRANCH"' in files[".gitlab-ci.yml"]
            assert '--certificate-identity "$identity"' in files[".gitlab-ci.yml"]
            assert entry["issuer"] == data["gitlab_url"]
        pattern = re.compile(entry["subjectRegExp"])
        for ref in (f"refs/heads/{branch}", "refs/tags/v1.2.3"):
            assert pattern.fullmatch(signed_identities(data, platform, ref)), (platform, ref)
            assert pattern.search(signed_identities(data, platform, ref))
        other_repo = {**data, "source_repo": f"{repo}-fork"}
        elsewhere = {**data, "source_repo": f"evil/{repo.rsplit('/', 1)[-1]}"}
        for wrong in (
            signed_identities(data, platform, "refs/heads/feature"),
            signed_identities(data, platform, f"refs/heads/{branch}-evil"),
            signed_identities(data, platform, f"refs/heads/x{branch}"),
            signed_identities(data, platform, "refs/tags/1.2.3"),
            signed_identities(data, platform, "refs/pull/1/merge"),
            signed_identities(other_repo, platform, f"refs/heads/{branch}"),
            signed_identities(elsewhere, platform, "refs/tags/v1.2.3"),
        ):
            assert not pattern.search(wrong), (platform, wrong)
        # Python's `$` also matches before a final newline, Go's (Kyverno) does not; the whole-string match refuses.
        assert not pattern.fullmatch(signed_identities(data, platform, f"refs/heads/{branch}") + "\n")


def test_dots_in_branch_and_host_are_literal() -> None:
    data = finished("self-hosted-gitlab-dotted-branch")
    (verify,) = kyverno_rule("self-hosted-gitlab-dotted-branch")["verifyImages"]
    patterns = [re.compile(e["keyless"]["subjectRegExp"]) for e in verify["attestors"][0]["entries"]]
    gitlab = patterns[0]
    assert gitlab.fullmatch("https://git.acme.example/acme/platform/shop//.gitlab-ci.yml@refs/heads/release/2.x")
    assert not gitlab.search("https://gitXacme.example/acme/platform/shop//.gitlab-ci.yml@refs/heads/release/2.x")
    assert not gitlab.search("https://git.acme.example/acme/platform/shop//.gitlab-ci.yml@refs/heads/release/2Xx")
    assert data["gitlab_url"] == "https://git.acme.example"


# YAML and the README -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CONTAINER_SETS)
def test_yaml_parses_as_one_document_each(name: str) -> None:
    for path, text in kit(name).items():
        if path.startswith(f"{ROOT}/") and path.endswith(".yaml"):
            assert text.startswith("---\n")
            documents = list(yaml.safe_load_all(text))
            assert len(documents) == 1 and isinstance(documents[0], dict), path


@pytest.mark.parametrize("name", ["python-ghcr-defaults", "python-harbor-dast", "node-ecr-aws"])
def test_readme_applies_templates_before_constraints(name: str) -> None:
    readme = kit(name)[f"{ROOT}/README.md"]
    lines = readme.splitlines()
    templates = [i for i, line in enumerate(lines) if line.startswith("kubectl apply -f") and "template.yaml" in line]
    constraints = [i for i, line in enumerate(lines) if line.startswith("kubectl apply -f") and "constraint" in line]
    waits = [i for i, line in enumerate(lines) if line.startswith("kubectl wait --for=condition=Established")]
    assert len(templates) == len(constraints) == len(POLICIES)
    assert max(templates) < waits[0] < min(constraints)
    for policy in POLICIES:
        assert f"crd/{policy}.constraints.gatekeeper.sh" in readme
    for text in ("gator test", "gator verify", "kyverno test", "opa test", "regorus"):
        assert text in readme
    jenkins = "jenkins" in finished(name)["platforms"]
    assert ("--from-file=cosign.pub=deploy/cosign.pub" in readme) == jenkins
    for prefix in stage_prefixes(finished(name)):
        assert f"`{prefix}`" in readme
