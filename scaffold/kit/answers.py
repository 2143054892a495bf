"""The Answers model: every question scaffold asks, its type, default, help text and validation rule.

Answers are the only user-controlled input to a render, so every text answer is checked against a narrow,
ASCII-only pattern. Anything that could carry YAML, shell, Groovy or template syntax is rejected here, before a
template ever sees it; the quoting filters in ``scaffold.kit.render.quoting`` are the second line of defence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from scaffold.errors import UsageError
from scaffold.kit import registry_layout
from scaffold.untrusted.text import shown

Language = Literal["python", "node", "go", "java"]
Platform = Literal["github", "gitlab", "jenkins"]
Registry = Literal["ghcr", "ecr", "gar", "acr", "harbor", "artifactory", "dockerhub", "gitlab"]
Cloud = Literal["none", "aws", "gcp", "azure"]
Severity = Literal["critical", "high", "medium"]
Visibility = Literal["private", "internal", "public"]


class PatternRule:
    """A validator that accepts a string matching ``pattern`` (whole string, ASCII) and at most ``max_len`` long.

    The length is checked before the pattern runs, and every pattern here is written so that it can match a
    string one way only (no nested or adjacent quantifiers over the same characters): matching is linear in the
    length even without the cap. ``tests/test_answers.py`` feeds each one pump strings to keep it that way.
    """

    def __init__(self, pattern: str, rule: str, max_len: int) -> None:
        self.pattern = re.compile(pattern, re.ASCII)
        self.rule = rule
        self.max_len = max_len

    def __call__(self, value: str) -> str:
        if not isinstance(value, str):
            raise ValueError("must be a string")
        if len(value) > self.max_len:
            raise ValueError(f"must be at most {self.max_len} characters")
        if not self.pattern.fullmatch(value):
            raise ValueError(f"must be {self.rule}")
        return value


def _rule(pattern: str, rule: str, max_len: int) -> Callable[[str], str]:
    return PatternRule(pattern, rule, max_len)


_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = rf"{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"

DnsLabel = Annotated[
    str,
    AfterValidator(
        _rule(
            _LABEL,
            "a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit",
            63,
        )
    ),
]
EnvironmentName = Annotated[
    str,
    AfterValidator(_rule(r"[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?", "a lowercase slug starting with a letter", 32)),
]
BranchName = Annotated[
    str,
    AfterValidator(
        _rule(
            r"(?!.*\.\.)(?!.*//)(?!.*\.lock$)(?!.*[./]$)[A-Za-z0-9][A-Za-z0-9._/-]*",
            "a branch name of letters, digits, '.', '_', '-' and '/' (no '..', '//', or trailing '/' or '.lock')",
            100,
        )
    ),
]
ImageRepository = Annotated[
    str,
    AfterValidator(
        _rule(
            rf"{_HOST}(?:/{_PATH_COMPONENT})+",
            "an image repository path 'host/path' in lowercase, without tag or digest (e.g. ghcr.io/acme/api)",
            255,
        )
    ),
]
RegistryHost = Annotated[
    str,
    AfterValidator(_rule(rf"{_HOST}(?:/{_PATH_COMPONENT})*", "a registry host, optionally with a path prefix", 255)),
]
AwsRoleArn = Annotated[
    str,
    AfterValidator(
        _rule(
            r"arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role/(?:[A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{1,64}",
            "an IAM role ARN like arn:aws:iam::123456789012:role/ci-deploy",
            255,
        )
    ),
]
AwsRegion = Annotated[
    str,
    AfterValidator(_rule(r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9]", "an AWS region like eu-west-1", 32)),
]
GcpProvider = Annotated[
    str,
    AfterValidator(
        _rule(
            r"projects/[0-9]{1,20}/locations/global/workloadIdentityPools/[a-z0-9-]{4,32}/providers/[a-z0-9-]{4,32}",
            "a workload identity provider like "
            "projects/123456/locations/global/workloadIdentityPools/github-pool/providers/github",
            255,
        )
    ),
]
GcpServiceAccount = Annotated[
    str,
    AfterValidator(
        _rule(
            r"[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com",
            "a service account email like deployer@my-project.iam.gserviceaccount.com",
            128,
        )
    ),
]
Uuid = Annotated[
    str,
    AfterValidator(
        _rule(
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "a lowercase UUID like 00000000-0000-0000-0000-000000000000",
            36,
        )
    ),
]
HttpsUrl = Annotated[
    str,
    AfterValidator(
        _rule(
            rf"https://{_HOST}(?:/[A-Za-z0-9._~-]+)*/?",
            "an https:// URL of host and path only (letters, digits, '.', '_', '~', '-' and '/')",
            255,
        )
    ),
]
RepoPath = Annotated[
    str,
    AfterValidator(
        _rule(
            r"(?!.*(?:^|/)\.\.?(?:/|$))[A-Za-z0-9_][A-Za-z0-9._-]*(?:/[A-Za-z0-9_][A-Za-z0-9._-]*)*",
            "a relative path inside the repository (letters, digits, '.', '_', '-', '/'; no '..')",
            200,
        )
    ),
]
CodeOwner = Annotated[
    str,
    AfterValidator(
        _rule(
            r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9._-]{1,100})?",
            "a GitHub user or team handle like @octocat or @my-org/platform-security",
            140,
        )
    ),
]
SourceRepo = Annotated[
    str,
    AfterValidator(
        _rule(
            r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,99})(?:/[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,99})){1,5}",
            "a repository path like my-org/api (GitHub owner/repo, or GitLab group/subgroup/project)",
            255,
        )
    ),
]
# Segments separated by single slashes, with an optional trailing slash. Written so that each character can be
# matched one way only: ``/(?:[A-Za-z0-9._~-]+/?)*`` accepts the same paths but backtracks exponentially.
HealthPath = Annotated[
    str,
    AfterValidator(_rule(r"/(?:[A-Za-z0-9._~-]+(?:/[A-Za-z0-9._~-]+)*/?)?", "a URL path like /healthz", 100)),
]


class Answers(BaseModel):
    """Every answer a kit is rendered from. Unknown keys are an error.

    A team pack's questions are the fields of a subclass (``scaffold.packs.questions``); ``conditions`` holds when
    each of them applies, and every function below takes the model to use.
    """

    model_config = ConfigDict(extra="forbid", strict=True, validate_default=True)
    conditions: ClassVar[Mapping[str, Callable[[Mapping[str, Any]], bool]]] = {}

    name: DnsLabel = Field(
        default="service",
        description="Service name, a DNS label. Names the image, the CodeQL category and the docs.",
        json_schema_extra={"prompt": "Service name"},
    )
    language: Language = Field(
        default="python",
        description="Main language: python (pip, hash-locked requirements), node (npm ci), go (go modules) "
        "or java (Gradle with dependency locking).",
        json_schema_extra={"prompt": "Language"},
    )
    default_branch: BranchName = Field(
        default="main",
        description="The protected branch that releases and deployments come from.",
        json_schema_extra={"prompt": "Default branch"},
    )
    platforms: list[Platform] = Field(
        default_factory=lambda: list[Platform](["github"]),
        min_length=1,
        description="CI platforms to generate a kit for: github, gitlab and/or jenkins (comma-separated).",
        json_schema_extra={"prompt": "CI platforms"},
    )
    starter: bool = Field(
        default=True,
        description="(new only) Write a minimal runnable service for the language (an HTTP endpoint, the health "
        "check, one test, a lint config and locked dependencies) so the first pipeline run is green. Never written "
        "over existing code, and never touched by diff or upgrade.",
        json_schema_extra={"prompt": "Write a starter service?"},
    )
    container: bool = Field(
        default=True,
        description="Build, scan, sign and push a container image (adds Dockerfile and .dockerignore).",
        json_schema_extra={"prompt": "Build a container image?"},
    )
    registry: Registry | None = Field(
        default=None,
        description="Container registry: ghcr, ecr, gar, acr, harbor, artifactory, dockerhub or gitlab. "
        "Defaults to ghcr for a GitHub-only kit, else gitlab when GitLab is a platform, else harbor.",
        json_schema_extra={"prompt": "Container registry"},
    )
    image: ImageRepository | None = Field(
        default=None,
        description="Full image repository path without tag, e.g. ghcr.io/acme/api. "
        "Defaults to an example path for the registry; set it to your own.",
        json_schema_extra={"prompt": "Image repository (host/path, no tag)"},
    )
    environments: list[EnvironmentName] = Field(
        default_factory=lambda: ["staging", "production"],
        min_length=1,
        max_length=10,
        description="Deployment environments in promotion order; each becomes a protected environment "
        "with its own deploy job.",
        json_schema_extra={"prompt": "Deployment environments, in promotion order (comma-separated)"},
    )
    cloud: Cloud = Field(
        default="none",
        description="Cloud the deploy jobs authenticate to with OIDC: none, aws, gcp or azure. No stored keys.",
        json_schema_extra={"prompt": "Cloud for OIDC deployment credentials"},
    )
    aws_role_arn: AwsRoleArn | None = Field(
        default=None,
        description="(cloud=aws) IAM role the pipelines assume with OIDC: the build's when it pushes to ECR (the "
        "dev repository's pusher; each environment then has its own), else the deploy jobs'. Trust files: cloud/aws.",
        json_schema_extra={"prompt": "AWS IAM role ARN to assume with OIDC"},
    )
    aws_region: AwsRegion | None = Field(
        default=None,
        description="(cloud=aws) AWS region, default us-east-1.",
        json_schema_extra={"prompt": "AWS region"},
    )
    gcp_workload_identity_provider: GcpProvider | None = Field(
        default=None,
        description="(cloud=gcp) Full resource name of the workload identity provider.",
        json_schema_extra={"prompt": "GCP workload identity provider"},
    )
    gcp_service_account: GcpServiceAccount | None = Field(
        default=None,
        description="(cloud=gcp) Service account the pipelines impersonate: the build's when it pushes to Artifact "
        "Registry (each environment then has its own pusher), else the deploy jobs'. Bindings: cloud/gcp.",
        json_schema_extra={"prompt": "GCP service account email"},
    )
    azure_client_id: Uuid | None = Field(
        default=None,
        description="(cloud=azure) Client ID of the app registration or managed identity with a federated credential.",
        json_schema_extra={"prompt": "Azure client ID"},
    )
    azure_tenant_id: Uuid | None = Field(
        default=None,
        description="(cloud=azure) Tenant ID.",
        json_schema_extra={"prompt": "Azure tenant ID"},
    )
    azure_subscription_id: Uuid | None = Field(
        default=None,
        description="(cloud=azure) Subscription ID.",
        json_schema_extra={"prompt": "Azure subscription ID"},
    )
    coverage_min: int = Field(
        default=80,
        ge=0,
        le=100,
        description="Minimum line coverage in percent (0-100); the test job fails below it.",
        json_schema_extra={"prompt": "Minimum test coverage (percent)"},
    )
    port: int = Field(
        default=8080,
        ge=1024,
        le=65535,
        description="Port the service listens on inside the container (1024-65535, so it runs as non-root).",
        json_schema_extra={"prompt": "Container port"},
    )
    health_path: HealthPath = Field(
        default="/healthz",
        description="HTTP path the container HEALTHCHECK probes.",
        json_schema_extra={"prompt": "Health check path"},
    )
    dast: bool = Field(
        default=False,
        description="Run an OWASP ZAP scan against the first environment after each deploy (non-blocking).",
        json_schema_extra={"prompt": "Run DAST (OWASP ZAP) after deploying?"},
    )
    dast_target_url: HttpsUrl | None = Field(
        default=None,
        description="(dast=true) https:// URL of the deployed first environment to scan.",
        json_schema_extra={"prompt": "URL to scan with ZAP"},
    )
    openapi_path: RepoPath | None = Field(
        default=None,
        description="(dast=true) Optional OpenAPI file in the repository; switches ZAP to an API scan.",
        json_schema_extra={"prompt": "OpenAPI file in the repository (empty for none)"},
    )
    code_owners: list[CodeOwner] = Field(
        default_factory=lambda: ["@my-org/platform-security"],
        min_length=1,
        max_length=10,
        description="Owners who must review changes to CI, the kit record and policy files (CODEOWNERS).",
        json_schema_extra={"prompt": "Code owners for CI and policy files (comma-separated handles)"},
    )
    source_repo: SourceRepo | None = Field(
        default=None,
        description="The repository's path on its forge: owner/repo on GitHub, group/project on GitLab. Names the "
        "CI identity that signs images, which the admission policies trust. Defaults to my-org/<name>.",
        json_schema_extra={"prompt": "Repository path on GitHub or GitLab (owner/repo)"},
    )
    visibility: Visibility = Field(
        default="private",
        description="Who can see the repository on its forge: private, internal or public. Chooses what the "
        "forge's plan allows: build attestations and code-scanning uploads need a public repository or a paid plan.",
        json_schema_extra={"prompt": "Repository visibility"},
    )
    gitlab_url: HttpsUrl = Field(
        default="https://gitlab.com",
        description="(platforms include gitlab) Base URL of the GitLab instance: the OIDC issuer of its signatures.",
        json_schema_extra={"prompt": "GitLab base URL"},
    )
    keep_images: int = Field(
        default=30,
        ge=1,
        le=1000,
        description="Registry retention: how many recent images each repository keeps (1-1000). Untagged images "
        "expire after a week; release tags are never expired.",
        json_schema_extra={"prompt": "Images each registry repository keeps"},
    )
    block_severity: Severity = Field(
        default="high",
        description="Lowest vulnerability severity at which the registry blocks pulls and builds fail: "
        "critical, high or medium.",
        json_schema_extra={"prompt": "Block images with vulnerabilities of at least this severity"},
    )
    trusted_registries: list[RegistryHost] = Field(
        default_factory=list,
        max_length=20,
        description="Registries images may come from (hadolint trustedRegistries, later admission policy). "
        "Defaults to docker.io plus the image's registry host.",
        json_schema_extra={"prompt": "Trusted registries (comma-separated)"},
    )


ANSWER_KEYS: tuple[str, ...] = tuple(Answers.model_fields)

# Registry choice -> (how the image host must look, the example default image, the cloud it needs).
_REGISTRY_HOSTS: dict[str, tuple[re.Pattern[str], str, str | None]] = {
    # Each pattern can split its input one way only (gar's project is ``[^/]+``, not ``.+``, which would try every
    # slash), and it only ever sees an image that passed ``ImageRepository``: at most 255 characters.
    "ghcr": (re.compile(r"ghcr\.io/.+"), "ghcr.io/my-org/{name}", None),
    "ecr": (
        re.compile(r"[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/.+"),
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/{name}",
        "aws",
    ),
    "gar": (
        re.compile(r"[a-z0-9-]+-docker\.pkg\.dev/[^/]+/.+"),
        "europe-docker.pkg.dev/my-project/images/{name}",
        "gcp",
    ),
    "acr": (re.compile(r"[a-z0-9]{5,50}\.azurecr\.io/.+"), "myregistry.azurecr.io/{name}", "azure"),
    "harbor": (re.compile(r"[^/]+/.+"), "harbor.example.com/my-project/{name}", None),
    "artifactory": (re.compile(r"[^/]+/.+"), "example.jfrog.io/docker-local/{name}", None),
    "dockerhub": (re.compile(r"docker\.io/[^/]+/[^/]+"), "docker.io/my-org/{name}", None),
    "gitlab": (re.compile(r"registry\.gitlab\.com/.+"), "registry.gitlab.com/my-group/{name}", None),
}

_CLOUD_FIELDS: dict[str, tuple[str, ...]] = {
    "aws": ("aws_role_arn", "aws_region"),
    "gcp": ("gcp_workload_identity_provider", "gcp_service_account"),
    "azure": ("azure_client_id", "azure_tenant_id", "azure_subscription_id"),
}
_CLOUD_DEFAULTS: dict[str, str] = {"aws_region": "us-east-1"}


def default_image(registry: str, name: str) -> str:
    """The example image path for a registry, used when ``image`` is not answered."""
    return _REGISTRY_HOSTS[registry][1].format(name=name)


def default_registry(platforms: list[str]) -> str:
    """The registry every chosen platform can push to with a short-lived identity."""
    if platforms == ["github"]:
        return "ghcr"
    return "gitlab" if "gitlab" in platforms else "harbor"


def registry_fits(registry: str, platforms: Sequence[str]) -> bool:
    """Whether every chosen platform can push to the registry without a long-lived token: ghcr only from GitHub."""
    return registry != "ghcr" or list(platforms) == ["github"]


def fitting_choices(key: str, choices: Sequence[str], so_far: Mapping[str, Any]) -> list[str]:
    """The choices for ``key`` that the rules across answers allow after the answers so far (a prompt offers no
    choice that ``finish`` would refuse at the end)."""
    if key == "registry":
        platforms = list(so_far.get("platforms") or ["github"])
        return [choice for choice in choices if registry_fits(choice, platforms)]
    return list(choices)


def suggested_default(key: str, so_far: Mapping[str, Any]) -> Any:
    """The value a prompt should pre-fill when the answers so far leave ``key`` unset: the example image for the
    chosen registry, a registry the chosen platforms can push to, the cloud that registry needs, the example
    repository path, or a cloud field's default (aws_region)."""
    platform_registry = default_registry(list(so_far.get("platforms") or ["github"]))
    if key == "registry":
        return platform_registry
    registry = str(so_far.get("registry") or platform_registry)
    if key == "image":
        return default_image(registry, str(so_far.get("name") or "service"))
    if key == "source_repo":
        return f"my-org/{so_far.get('name') or 'service'}"
    if key == "cloud" and so_far.get("container", True):
        needs = _REGISTRY_HOSTS[registry][2]
        if needs is not None:
            return needs
    return _CLOUD_DEFAULTS.get(key)


def image_host(image: str) -> str:
    return image.split("/", 1)[0]


@dataclass(frozen=True)
class Rule:
    """A rule across answers: the keys it reads, and its one judge.

    ``judge`` takes answers whose derived defaults are filled (``with_derived``) and returns the one-line refusal,
    ``"key: rule"``, or None. ``finish()`` runs every rule at the end; a prompt runs a rule at the question of the
    last of its keys to be answered (``refusal``), so a refused answer is asked again there.
    """

    keys: tuple[str, ...]
    judge: Callable[[Mapping[str, Any]], str | None]


def _unique(key: str) -> Rule:
    def judge(data: Mapping[str, Any]) -> str | None:
        values = data.get(key)
        if isinstance(values, list) and len({str(value) for value in values}) != len(values):
            return f"{key}: must not repeat a value"
        return None

    return Rule((key,), judge)


def _registry_entry(data: Mapping[str, Any]) -> tuple[re.Pattern[str], str, str | None] | None:
    """The registry's host rule when the answers build an image with a registry scaffold knows."""
    registry = data.get("registry")
    if not data.get("container") or not isinstance(registry, str):
        return None
    return _REGISTRY_HOSTS.get(registry)


def _image_fits_registry(data: Mapping[str, Any]) -> str | None:
    entry = _registry_entry(data)
    image = data.get("image")
    if entry is None or not isinstance(image, str) or entry[0].fullmatch(image):
        return None
    example = default_image(str(data["registry"]), str(data.get("name") or "service"))
    return f"image: must be a {data['registry']} repository path like {example}"


def _cloud_for_registry(data: Mapping[str, Any]) -> str | None:
    entry = _registry_entry(data)
    needs = entry[2] if entry is not None else None
    if needs is None or data.get("cloud") == needs:
        return None
    return f"registry: '{data['registry']}' needs cloud '{needs}' so CI can push with OIDC (set cloud={needs})"


def _registry_fits_platforms(data: Mapping[str, Any]) -> str | None:
    if _registry_entry(data) is None or registry_fits(str(data["registry"]), list(data.get("platforms") or [])):
        return None
    return (
        "registry: 'ghcr' works only with platforms [github]: GitLab CI and Jenkins would need a "
        "long-lived personal access token to push there (choose another registry)"
    )


def _cloud_field_required(cloud: str, key: str) -> Rule:
    def judge(data: Mapping[str, Any]) -> str | None:
        if data.get("cloud") == cloud and data.get(key) is None:
            return f"{key}: is required when cloud is '{cloud}'"
        return None

    return Rule(("cloud", key), judge)


def _dast_target(data: Mapping[str, Any]) -> str | None:
    if data.get("dast") and data.get("dast_target_url") is None:
        return "dast_target_url: is required when dast is true"
    return None


# Stand-ins for the cloud identities a stage's pusher name is derived from, while a prompt has not asked them yet.
_IDENTITY_STAND_INS = {
    "aws_role_arn": "arn:aws:iam::000000000000:role/stand-in",
    "gcp_service_account": "stand-in@stand-in.iam.gserviceaccount.com",
}


def _registry_stages(data: Mapping[str, Any]) -> str | None:
    if _registry_entry(data) is None or not isinstance(data.get("image"), str):
        return None
    stand_ins = {key: value for key, value in _IDENTITY_STAND_INS.items() if data.get(key) is None}
    try:
        registry_layout.check({**data, **stand_ins})
    except UsageError as error:
        return str(error)
    return None


RULES: tuple[Rule, ...] = (
    *(_unique(key) for key in ("environments", "trusted_registries", "platforms", "code_owners")),
    Rule(("container", "registry", "image", "name"), _image_fits_registry),
    Rule(("container", "registry", "cloud"), _cloud_for_registry),
    Rule(("container", "registry", "platforms"), _registry_fits_platforms),
    *(
        _cloud_field_required(cloud, key)
        for cloud, keys in _CLOUD_FIELDS.items()
        for key in keys
        if key not in _CLOUD_DEFAULTS
    ),
    Rule(("dast", "dast_target_url"), _dast_target),
    Rule(("container", "registry", "image", "name", "environments"), _registry_stages),
)
"""Every rule across answers, in the order ``finish()`` checks them."""


def with_derived(data: Mapping[str, Any]) -> dict[str, Any]:
    """The answers with the defaults that depend on other answers filled: the registry the platforms can push to,
    and the example image for that registry (when a container is built)."""
    filled = dict(data)
    if filled.get("registry") is None:
        filled["registry"] = default_registry(list(filled.get("platforms") or ["github"]))
    if filled.get("container") and filled.get("image") is None and filled["registry"] in _REGISTRY_HOSTS:
        filled["image"] = default_image(str(filled["registry"]), str(filled.get("name") or "service"))
    return filled


def refusal(
    key: str, answers: Mapping[str, Any], settled: Collection[str], model: type[Answers] = Answers
) -> str | None:
    """The first rule reading ``key`` that refuses ``answers``, judged only when every key it reads is settled
    (answered or given): what a prompt checks right after the answer to ``key``. None when no rule refuses."""
    data = with_derived({**field_defaults(model), **answers})
    for rule in RULES:
        if key in rule.keys and all(name in settled for name in rule.keys):
            problem = rule.judge(data)
            if problem is not None:
                return problem
    return None


def compatible(
    proposed: Mapping[str, Any],
    given: Mapping[str, Any],
    defaults: Mapping[str, Any] | None = None,
    model: type[Answers] = Answers,
) -> dict[str, Any]:
    """The proposed answers (inferred from a repository) that the given ones leave standing: none for a key that
    was given, none that a rule across answers refuses together with a given answer, and none that a rule whose
    every key was proposed refuses (two files of the repository that disagree). For each rule that refuses, the
    proposed answer dropped is the latest question whose removal satisfies it (the image before the registry
    before the platforms); when no single removal does, the conflict is the given answers' own. A rule that also
    reads an answer nobody proposed (an ECR registry without a cloud) keeps the proposal: its message says what
    to add.
    ``defaults`` (a team pack's) lie below the proposed answers."""
    kept = {key: value for key, value in proposed.items() if key not in given}
    base = {**field_defaults(model), **(defaults or {})}
    moved = set(given)  # the given keys, and the proposals dropped for them (their defaults now stand)
    dropped = True
    while dropped:  # each pass drops at most one proposal per rule: bounded by the number of proposals
        dropped = False
        for rule in RULES:
            contested = not moved.isdisjoint(rule.keys) or kept.keys() >= set(rule.keys)
            if not contested or rule.judge(with_derived({**base, **kept, **given})) is None:
                continue
            for key in reversed([name for name in model.model_fields if name in rule.keys and name in kept]):
                trial = {name: value for name, value in kept.items() if name != key}
                if rule.judge(with_derived({**base, **trial, **given})) is None:
                    kept, dropped = trial, True
                    moved.add(key)
                    break
    return kept


def finish(answers: Answers) -> Answers:
    """Fill the defaults that depend on other answers, check every rule across answers (``RULES``), and drop
    answers that do not apply. Raises UsageError naming the key and the rule."""
    data = with_derived(answers.model_dump())
    for rule in RULES:
        problem = rule.judge(data)
        if problem is not None:
            raise UsageError(problem)
    if not data["container"]:
        data["image"] = None
    for key, applies_now in type(answers).conditions.items():
        if not applies_now(data):  # a team pack's question that does not apply keeps no answer
            data[key] = type(answers).model_fields[key].get_default(call_default_factory=True)
    for cloud, fields in _CLOUD_FIELDS.items():
        for field in fields:
            if cloud != data["cloud"]:
                data[field] = None
            elif data[field] is None:
                data[field] = _CLOUD_DEFAULTS[field]  # a required one is a rule above
    if not data["dast"]:
        data["dast_target_url"] = None
        data["openapi_path"] = None
    if data["source_repo"] is None:
        project = data["image"].split("/", 1)[1] if data["container"] and data["registry"] == "gitlab" else None
        fits = project is not None and check_one("source_repo", project) is None
        data["source_repo"] = project if fits else suggested_default("source_repo", data)
    if "gitlab" not in data["platforms"]:
        data["gitlab_url"] = "https://gitlab.com"
    data["gitlab_url"] = data["gitlab_url"].rstrip("/")
    if not data["trusted_registries"]:
        hosts = ["docker.io"]
        if data["image"] is not None and image_host(data["image"]) not in hosts:
            hosts.append(image_host(data["image"]))
        data["trusted_registries"] = hosts
    return type(answers).model_validate(data)


def validation_message(error: ValidationError, source: str) -> str:
    """One line naming the first failing key and its rule, e.g. ``name: must be a DNS label ...``."""
    first = error.errors(include_url=False)[0]
    field = shown(".".join(str(part) for part in first["loc"])) or "answers"
    kind = first["type"]
    if kind == "extra_forbidden":
        rule = "is not an answer key (see 'scaffold new --help' for the keys)"
    elif kind == "value_error":
        rule = str(first["ctx"]["error"]) if "ctx" in first else first["msg"]
    elif kind == "literal_error":
        rule = f"must be one of: {first['ctx']['expected']}"
    else:
        rule = first["msg"][:1].lower() + first["msg"][1:]
    suffix = f" ({source})" if source else ""
    return f"{field}: {rule}{suffix}"


def validate(data: Mapping[str, Any], source: str = "", model: type[Answers] = Answers) -> Answers:
    """Validate raw answers (already typed: lists, bools, ints) and finish them."""
    try:
        answers = model.model_validate(dict(data))
    except ValidationError as error:
        raise UsageError(validation_message(error, source)) from None
    return finish(answers)


def check_one(key: str, value: Any, model: type[Answers] = Answers) -> str | None:
    """Validate a single answer in isolation; the error text, or None when it is acceptable. Used by prompts."""
    try:
        model.__pydantic_validator__.validate_assignment(model.model_construct(), key, value)
    except ValidationError as error:
        return validation_message(error, "").split(": ", 1)[1]
    return None


# When a question applies, given the answers so far. Keys not listed always apply.
_APPLIES: dict[str, Callable[[Mapping[str, Any]], bool]] = {
    "registry": lambda a: bool(a.get("container", True)),
    "image": lambda a: bool(a.get("container", True)),
    "port": lambda a: bool(a.get("container", True)),
    "health_path": lambda a: bool(a.get("container", True)),
    "aws_role_arn": lambda a: a.get("cloud") == "aws",
    "aws_region": lambda a: a.get("cloud") == "aws",
    "gcp_workload_identity_provider": lambda a: a.get("cloud") == "gcp",
    "gcp_service_account": lambda a: a.get("cloud") == "gcp",
    "azure_client_id": lambda a: a.get("cloud") == "azure",
    "azure_tenant_id": lambda a: a.get("cloud") == "azure",
    "azure_subscription_id": lambda a: a.get("cloud") == "azure",
    "dast_target_url": lambda a: bool(a.get("dast", False)),
    "gitlab_url": lambda a: "gitlab" in (a.get("platforms") or []),
    "keep_images": lambda a: bool(a.get("container", True)),
    "block_severity": lambda a: bool(a.get("container", True)),
    "openapi_path": lambda a: bool(a.get("dast", False)),
}


def required_when_asked(key: str) -> bool:
    """Keys that are optional in the model but must be answered once their question applies (an AWS role when
    cloud is aws, the DAST target when dast is on); ``finish()`` refuses them empty."""
    if key == "dast_target_url":
        return True
    return any(key in fields for fields in _CLOUD_FIELDS.values()) and key not in _CLOUD_DEFAULTS


def applies(key: str, so_far: Mapping[str, Any], model: type[Answers] = Answers) -> bool:
    """Whether the question for ``key`` is relevant given the answers so far (e.g. AWS role only for aws)."""
    rule = _APPLIES.get(key) or model.conditions.get(key)
    return True if rule is None else rule(so_far)


def field_defaults(model: type[Answers] = Answers) -> dict[str, Any]:
    """Each answer key's own default from the model (None where it is derived later by ``finish()``)."""
    return {key: field.get_default(call_default_factory=True) for key, field in model.model_fields.items()}


def missing_keys(given: Mapping[str, Any], model: type[Answers] = Answers) -> list[str]:
    """Answer keys that apply but were not given, in question order (defaults count as not given)."""
    merged = {**field_defaults(model), **given}
    return [key for key in model.model_fields if key not in given and applies(key, merged, model)]


def default_name(output_name: str) -> str | None:
    """The output folder's name as a service name, when it is a valid DNS label once lowercased."""
    candidate = output_name.lower().replace("_", "-").replace(" ", "-")
    return candidate if check_one("name", candidate) is None else None
