from __future__ import annotations

import typing

import pytest

from scaffold.errors import UsageError
from scaffold.kit.answers import (
    _REGISTRY_HOSTS,
    ANSWER_KEYS,
    Answers,
    PatternRule,
    check_one,
    default_name,
    missing_keys,
    required_when_asked,
    suggested_default,
    validate,
)
from tests.answer_sets import AWS
from tests.support.hang_guard import hang_guard
from tests.support.keys import CLOUD_IDENTITY_KEYS


def test_defaults_are_valid_and_derive_image_and_trusted_registries() -> None:
    answers = validate({})
    assert answers.name == "service"
    assert answers.image == "ghcr.io/my-org/service"
    assert answers.trusted_registries == ["docker.io", "ghcr.io"]
    assert answers.environments == ["staging", "production"]


def test_every_key_has_help_text_and_a_prompt() -> None:
    for key in ANSWER_KEYS:
        field = Answers.model_fields[key]
        assert field.description, key
        assert isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get("prompt"), key


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"registry": "ecr"}, "registry: 'ecr' needs cloud 'aws'"),
        ({"registry": "gar", "cloud": "none"}, "registry: 'gar' needs cloud 'gcp'"),
        ({"cloud": "aws"}, "aws_role_arn: is required when cloud is 'aws'"),
        ({"cloud": "gcp"}, "gcp_workload_identity_provider: is required when cloud is 'gcp'"),
        ({"cloud": "azure"}, "azure_client_id: is required when cloud is 'azure'"),
        ({"dast": True}, "dast_target_url: is required when dast is true"),
        ({"image": "docker.io/acme/api"}, "image: must be a ghcr repository path"),
        ({"environments": ["prod", "prod"]}, "environments: must not repeat a value"),
        ({"coverage_min": 101}, "coverage_min: input should be less than or equal to 100"),
        ({"language": "rust"}, "language: must be one of: 'python', 'node', 'go' or 'java'"),
        ({"container": "yes"}, "container: input should be a valid boolean"),
        ({"environments": "prod"}, "environments: input should be a valid list"),
        ({"colour": "blue"}, "colour: is not an answer key"),
    ],
)
def test_rules_spanning_keys_and_types_name_the_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError) as raised:
        validate(data)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_answers_for_other_clouds_and_disabled_dast_are_dropped() -> None:
    answers = validate({**AWS, "cloud": "none", "dast_target_url": "https://x.example"})
    assert answers.aws_role_arn is None and answers.aws_region is None
    assert answers.dast_target_url is None


def test_aws_region_has_a_default_when_cloud_is_aws() -> None:
    answers = validate({"cloud": "aws", "aws_role_arn": AWS["aws_role_arn"]})
    assert answers.aws_region == "us-east-1"


def test_container_false_clears_the_image() -> None:
    assert validate({"container": False}).image is None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("name", "Orders"),
        ("name", "a" * 64),
        ("name", "-orders"),
        ("default_branch", "feature/../x"),
        ("default_branch", "main.lock"),
        ("image", "ghcr.io/Acme/API"),
        ("image", "ghcr.io/acme/api:latest"),
        ("dast_target_url", "http://insecure.example"),
        ("dast_target_url", "https://x.example/?q=$(id)"),
        ("openapi_path", "../secrets.yaml"),
        ("openapi_path", "/etc/passwd"),
        ("azure_client_id", "not-a-uuid"),
        ("health_path", "healthz"),
        ("code_owners", ["octocat"]),
    ],
)
def test_single_answers_are_rejected_with_a_rule(key: str, value: object) -> None:
    problem = check_one(key, value)
    assert problem is not None and problem.startswith("must")


def test_missing_keys_follow_the_when_conditions() -> None:
    assert "aws_role_arn" not in missing_keys({})
    assert "aws_role_arn" in missing_keys({"cloud": "aws"})
    assert "registry" not in missing_keys({"container": False})
    assert "dast_target_url" in missing_keys({"dast": True})
    assert missing_keys(dict.fromkeys(ANSWER_KEYS, None) | {"cloud": "none"}) == []


@pytest.mark.parametrize(
    ("folder", "expected"),
    [("orders", "orders"), ("My_Service", "my-service"), ("bad name!", None), ("", None)],
)
def test_default_name_comes_from_the_output_folder_when_valid(folder: str, expected: str | None) -> None:
    assert default_name(folder) == expected


def test_required_when_asked_covers_cloud_identities_and_the_dast_target() -> None:
    required = {key for key in ANSWER_KEYS if required_when_asked(key)}
    assert required == {*CLOUD_IDENTITY_KEYS, "dast_target_url"}


def test_suggested_defaults_follow_the_registry_and_cloud() -> None:
    assert (
        suggested_default("image", {"registry": "gar", "name": "pay"}) == "europe-docker.pkg.dev/my-project/images/pay"
    )
    assert suggested_default("cloud", {"registry": "ecr"}) == "aws"
    assert suggested_default("cloud", {"registry": "ecr", "container": False}) is None
    assert suggested_default("cloud", {"registry": "ghcr"}) is None
    assert suggested_default("aws_region", {}) == "us-east-1"


# --- ReDoS: every answer pattern matches in linear time ------------------------------------------------------------

_PUMP_UNITS = ("a", "a-", "a.", "a/", "a_", "a__", "-", "._", "/a", "a/.", "0", "a:", "a@", "a=", "~", "a~/", ".lock")
_PREFIXES = (
    "",
    "/",
    "@",
    "https://",
    "https://a.b/",
    "ghcr.io/",
    "a.b/",
    "arn:aws:iam::123456789012:role/",
    "arn:aws",
    "projects/1/locations/global/workloadIdentityPools/",
    "aaaaa@",
)


def _pattern_rules() -> dict[str, PatternRule]:
    rules: dict[str, PatternRule] = {}
    for key, field in Answers.model_fields.items():
        for meta in field.metadata:
            if isinstance(getattr(meta, "func", None), PatternRule):
                rules[key] = meta.func
        annotation = field.annotation
        for candidate in [annotation, *typing.get_args(annotation)]:
            for inner in [candidate, *typing.get_args(candidate)]:
                for meta in getattr(inner, "__metadata__", ()):
                    if isinstance(getattr(meta, "func", None), PatternRule):
                        rules[key] = meta.func
    return rules


def test_every_text_answer_has_a_pattern_rule() -> None:
    rules = _pattern_rules()
    assert {"name", "health_path", "image", "trusted_registries", "aws_role_arn", "openapi_path"} <= set(rules)
    assert len(rules) >= 16


@pytest.mark.parametrize("key", sorted(_pattern_rules()))
def test_pattern_is_linear_on_pump_strings(key: str) -> None:
    """Each pattern, without its length cap, on 10k-100k character pump strings (repeated units with a bad
    character at the end, which is what makes a backtracking pattern try every split). A super-linear pattern
    takes seconds to hours here; each of these takes milliseconds."""
    pattern = _pattern_rules()[key].pattern
    with hang_guard():
        for prefix in _PREFIXES:
            for unit in _PUMP_UNITS:
                for size in (10_000, 100_000):
                    for tail in ("!", "\n", "/!", "-"):
                        pattern.fullmatch(prefix + unit * (size // len(unit)) + tail)


@pytest.mark.parametrize("key", sorted(_pattern_rules()))
def test_length_cap_is_checked_before_the_pattern(key: str) -> None:
    rule = _pattern_rules()[key]
    never_matched = rule.pattern
    rule.pattern = None  # type: ignore[assignment]  # the pattern must not even be looked at
    try:
        with pytest.raises(ValueError, match=f"at most {rule.max_len} characters"):
            rule("a" * (rule.max_len + 1))
    finally:
        rule.pattern = never_matched


@pytest.mark.parametrize("key", sorted(_pattern_rules()))
def test_validator_refuses_long_pump_strings_quickly(key: str) -> None:
    with hang_guard():
        for unit in _PUMP_UNITS:
            for size in (50, 99, 254, 10_000, 100_000):
                value = "/" + unit * (size // len(unit)) + "!"
                assert check_one(key, value) is not None


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("/", True),
        ("/healthz", True),
        ("/api/v1/health/", True),
        ("/a.b_c~d-e", True),
        ("//", False),
        ("/a//b", False),
        ("healthz", False),
        ("/a b", False),
        ("/" + "a" * 30 + "!", False),
    ],
)
def test_health_path_rule_is_unchanged(value: str, ok: bool) -> None:
    assert (check_one("health_path", value) is None) is ok


@pytest.mark.parametrize(
    ("registry", "image", "ok"),
    [
        ("gar", "europe-docker.pkg.dev/acme-prod/images/api", True),
        ("gar", "europe-docker.pkg.dev/acme-prod/api", False),
        ("gar", "europe-docker.pkg.dev/acme-prod", False),
        ("ghcr", "ghcr.io/acme/api", True),
        ("dockerhub", "docker.io/acme/api", True),
        ("dockerhub", "docker.io/acme/api/x", False),
    ],
)
def test_registry_host_rules(registry: str, image: str, ok: bool) -> None:
    data: dict[str, object] = {"registry": registry, "image": image}
    if registry == "gar":
        data |= {
            "cloud": "gcp",
            "gcp_workload_identity_provider": "projects/1/locations/global/workloadIdentityPools/pool/providers/prov",
            "gcp_service_account": "deployer@acme-prod.iam.gserviceaccount.com",
        }
    try:
        validate(data)
    except UsageError as error:
        assert not ok, error
    else:
        assert ok


def test_registry_host_patterns_are_linear() -> None:
    with hang_guard():
        for pattern, _, _ in _REGISTRY_HOSTS.values():
            for unit in ("a/", "/", "a-", "a", "-docker.pkg.dev/"):
                pattern.fullmatch(unit * (100_000 // len(unit)) + "\n")


def test_key_in_a_message_is_escaped_and_short() -> None:
    with pytest.raises(UsageError) as caught:
        validate({"\x1b[2J" + "k" * 500 + "\u2028": 1})
    message = str(caught.value)
    assert "\x1b" not in message and "\u2028" not in message and len(message) < 200
    assert message.startswith("\\x1b[2J")


def test_a_prompt_offers_only_the_registries_the_platforms_can_push_to() -> None:
    from scaffold.kit.answers import fitting_choices, registry_fits

    registries = ["ghcr", "ecr", "gitlab"]
    assert fitting_choices("registry", registries, {"platforms": ["github"]}) == registries
    assert fitting_choices("registry", registries, {"platforms": ["github", "gitlab"]}) == ["ecr", "gitlab"]
    assert fitting_choices("language", ["python", "go"], {"platforms": ["gitlab"]}) == ["python", "go"]
    for platforms in (["gitlab"], ["jenkins"], ["github", "jenkins"]):  # the same judge as finish()
        assert not registry_fits("ghcr", platforms)
        with pytest.raises(UsageError, match="registry: 'ghcr' works only with platforms"):
            validate({"platforms": platforms, "registry": "ghcr"})


CROSS_FIELD_CASES = [
    {"image": "docker.io/acme/api"},
    {"registry": "ecr", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/api"},
    {"platforms": ["gitlab"], "registry": "ghcr"},
    {"cloud": "gcp"},
    {"dast": True},
    {"environments": ["prod", "prod"]},
    {"name": "a" * 50, "registry": "ecr", "cloud": "aws", "aws_role_arn": AWS["aws_role_arn"]},
]


@pytest.mark.parametrize("data", CROSS_FIELD_CASES)
def test_a_prompt_and_finish_refuse_with_the_same_judge(data: dict[str, object]) -> None:
    from scaffold.kit.answers import ANSWER_KEYS, refusal

    with pytest.raises(UsageError) as raised:
        validate(data)
    everything = set(ANSWER_KEYS)
    at_some_question = {refusal(key, data, everything) for key in ANSWER_KEYS} - {None}
    assert str(raised.value) in at_some_question


def test_a_rule_is_judged_only_once_every_key_it_reads_is_settled() -> None:
    from scaffold.kit.answers import refusal

    so_far = {"name": "api", "container": True, "registry": "ghcr", "image": "docker.io/acme/api"}
    assert refusal("image", so_far, {"name", "container", "image"}) is None  # the registry is still to come
    assert refusal("image", so_far, {"name", "container", "image", "registry"}) == (
        "image: must be a ghcr repository path like ghcr.io/my-org/api"
    )
    assert refusal("language", so_far, set(so_far) | {"language"}) is None  # no rule reads language
    # A default that depends on other answers is derived before judging: no registry answered means ghcr.
    assert refusal("image", {**so_far, "registry": None}, set(so_far)) is not None


def test_finish_checks_every_rule_in_one_list() -> None:
    from scaffold.kit.answers import RULES

    keys = {key for rule in RULES for key in rule.keys}
    assert {"image", "registry", "platforms", "cloud", "aws_role_arn", "dast_target_url", "environments"} <= keys
    assert set(keys) <= set(Answers.model_fields)


def test_given_answers_leave_only_compatible_proposals() -> None:
    from scaffold.kit.answers import compatible

    proposed = {"language": "node", "registry": "ghcr", "image": "ghcr.io/acme/x", "source_repo": "acme/x"}
    assert compatible(proposed, {}) == proposed
    assert compatible(proposed, {"language": "go"}) == {key: v for key, v in proposed.items() if key != "language"}
    # platforms given: ghcr no longer fits, and the ghcr image with it
    assert compatible(proposed, {"platforms": ["gitlab"]}) == {"language": "node", "source_repo": "acme/x"}
    # an image given: the registry proposed for another one goes, the given image's registry is derived
    assert compatible({"registry": "ghcr"}, {"image": "registry.gitlab.com/acme/x", "platforms": ["gitlab"]}) == {}
    # the cloud a registry needs, set otherwise: the registry goes, the image stays when the default registry fits it
    assert compatible({"registry": "ecr"}, {"cloud": "none"}) == {}
    # a conflict no proposal causes is left to the given answers' own check
    assert compatible({"language": "go"}, {"platforms": ["gitlab"], "registry": "ghcr"}) == {"language": "go"}
