"""scaffold.kit.prompts.ask() driven through prompt_toolkit's real input pipe, keystroke by keystroke.

Most tests write all their keystrokes into the pipe up front and then close it. prompt_toolkit hands the keys an
answered question did not use to the next question (typeahead), and the closed pipe ends the input: a question
nobody expected fails the test with UsageError instead of waiting for keys forever. The tests that read what
the user was shown run ask() in a thread and wait for the screen between keystrokes, because prompt_toolkit
only redraws while it waits for input: keys sent all at once are answered before anything is drawn.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Mapping
from typing import Any

import pytest
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from prompt_toolkit.output.vt100 import Vt100_Output

from scaffold.errors import UsageError
from scaffold.kit.answers import ANSWER_KEYS, validate
from scaffold.kit.prompts import ask
from tests.support.keys import CLOUD_IDENTITY_KEYS, DEFAULT_QUESTIONS

ENTER = "\r"
DOWN = "\x1b[B"
CLEAR = "\x15"  # Ctrl-U: delete the pre-filled default left of the cursor
CTRL_C = "\x03"
CTRL_D = "\x04"

DEFAULTS: dict[str, Any] = {"name": "demo"}
ARN = "arn:aws:iam::123456789012:role/ci-deploy"
CLOUD_KEYS = (*CLOUD_IDENTITY_KEYS, "aws_region")
DAST_KEYS = ("dast_target_url", "openapi_path")

BEFORE_CLOUD = DEFAULT_QUESTIONS.index("cloud")
AFTER_CLOUD = len(DEFAULT_QUESTIONS) - BEFORE_CLOUD - 1


def run_ask(
    keys: str, *, given: Mapping[str, Any] | None = None, defaults: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """ask() with every keystroke sent up front, then end of input."""
    with create_pipe_input() as inp:
        inp.send_text(keys)
        inp.close()  # closes the writing end only: the keys sent are still read, then EOF
        return ask({**DEFAULTS, **(defaults or {})}, given or {}, input=inp, output=DummyOutput())


def run_ask_showing(
    steps: list[tuple[str, str]], rest: str, *, given: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """ask() on a real VT100 output in memory: each step's keys, then wait until the screen shows its text.

    ask() runs in a daemon thread. Closing the pipe's writing end in ``finally`` ends it with EOF when a step's
    text never shows, and being a daemon it cannot keep pytest from exiting even if it did not end.
    """
    screen = io.StringIO()
    output = Vt100_Output(screen, lambda: Size(rows=40, columns=200), term="xterm", enable_cpr=False)
    outcome: dict[str, Any] = {}

    with create_pipe_input() as inp:

        def run() -> None:
            try:
                outcome["result"] = ask(DEFAULTS, given or {}, input=inp, output=output)
            except BaseException as error:  # handed to the test below
                outcome["error"] = error

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            for keys, expected in steps:
                start = len(screen.getvalue())
                inp.send_text(keys)
                deadline = time.monotonic() + 10
                while expected not in screen.getvalue()[start:]:
                    assert thread.is_alive(), f"ask() ended before showing {expected!r}: {outcome}"
                    assert time.monotonic() < deadline, f"{expected!r} never shown after {keys!r}"
                    time.sleep(0.01)
            inp.send_text(rest)
        finally:
            inp.close()  # the writing end only; the reading end stays open until ask() saw EOF
            thread.join(timeout=10)
    assert not thread.is_alive(), "ask() did not end"
    if "error" in outcome:
        raise outcome["error"]
    return dict(outcome["result"])


def test_accepting_every_default_returns_the_defaults() -> None:
    result = run_ask(ENTER * len(DEFAULT_QUESTIONS))

    assert result == {
        "name": "demo",
        "language": "python",
        "default_branch": "main",
        "platforms": ["github"],
        "starter": True,
        "container": True,
        "registry": "ghcr",
        "image": "ghcr.io/my-org/demo",
        "environments": ["staging", "production"],
        "cloud": "none",
        "coverage_min": 80,
        "port": 8080,
        "health_path": "/healthz",
        "dast": False,
        "code_owners": ["@my-org/platform-security"],
        "source_repo": "my-org/demo",
        "visibility": "private",
        "keep_images": 30,
        "block_severity": "high",
        "trusted_registries": [],
    }
    assert tuple(result) == DEFAULT_QUESTIONS
    for key in (*CLOUD_KEYS, *DAST_KEYS):
        assert key not in result
    # Pressing Enter throughout gives the same answers as --defaults.
    assert validate({**DEFAULTS, **result}) == validate(DEFAULTS)


def test_one_enter_too_few_ends_the_input_with_a_usage_error() -> None:
    # The counterpart of the test above: the closed pipe, not a lucky default, is what ends every run.
    with pytest.raises(UsageError, match="--defaults"):
        run_ask(ENTER * (len(DEFAULT_QUESTIONS) - 1))


def test_choosing_aws_asks_for_the_role_and_region() -> None:
    keys = "".join(
        [
            ENTER * BEFORE_CLOUD,
            DOWN + ENTER,  # cloud: none -> aws
            ARN + ENTER,
            CLEAR + "eu-west-1" + ENTER,  # the region is pre-filled with us-east-1
            ENTER * AFTER_CLOUD,
        ]
    )
    result = run_ask(keys)

    assert result["cloud"] == "aws"
    assert result["aws_role_arn"] == ARN
    assert result["aws_region"] == "eu-west-1"
    assert list(result) == [
        *DEFAULT_QUESTIONS[: BEFORE_CLOUD + 1],
        "aws_role_arn",
        "aws_region",
        *DEFAULT_QUESTIONS[BEFORE_CLOUD + 1 :],
    ]
    answers = validate({**DEFAULTS, **result})
    assert (answers.aws_role_arn, answers.aws_region) == (ARN, "eu-west-1")


@pytest.mark.parametrize(
    ("downs", "cloud", "replies"),
    [
        (
            2,
            "gcp",
            {
                "gcp_workload_identity_provider": "projects/123456/locations/global/workloadIdentityPools/"
                "github-pool/providers/github",
                "gcp_service_account": "deployer@my-project.iam.gserviceaccount.com",
            },
        ),
        (
            3,
            "azure",
            {
                "azure_client_id": "00000000-0000-0000-0000-000000000001",
                "azure_tenant_id": "00000000-0000-0000-0000-000000000002",
                "azure_subscription_id": "00000000-0000-0000-0000-000000000003",
            },
        ),
    ],
)
def test_other_clouds_ask_only_their_own_questions(downs: int, cloud: str, replies: dict[str, str]) -> None:
    keys = "".join(
        [
            ENTER * BEFORE_CLOUD,
            DOWN * downs + ENTER,
            *(value + ENTER for value in replies.values()),
            ENTER * AFTER_CLOUD,
        ]
    )
    result = run_ask(keys)

    assert result["cloud"] == cloud
    assert {key: result[key] for key in CLOUD_KEYS if key in result} == replies


def test_an_empty_answer_to_a_required_cloud_question_is_refused() -> None:
    result = run_ask_showing(
        [
            (ENTER * BEFORE_CLOUD + DOWN + ENTER, "AWS IAM role ARN"),
            (ENTER, "is required"),  # empty role ARN: refused, the question stays
        ],
        "".join(
            [
                ARN + ENTER,
                ENTER,  # the pre-filled region, us-east-1, is accepted
                ENTER * AFTER_CLOUD,
            ]
        ),
    )

    assert result["aws_role_arn"] == ARN
    assert result["aws_region"] == "us-east-1"
    assert validate({**DEFAULTS, **result}).aws_region == "us-east-1"


def test_dast_asks_for_a_target_url_and_refuses_an_empty_one() -> None:
    url = "https://staging.example.com/"
    dast = DEFAULT_QUESTIONS.index("dast")
    keys = "".join(
        [
            ENTER * dast,
            "y",  # a confirm question answers on the key itself
            ENTER,  # empty target URL: refused, the question stays
            url + ENTER,
            ENTER,  # no OpenAPI file
            ENTER * (len(DEFAULT_QUESTIONS) - dast - 1),
        ]
    )
    result = run_ask(keys)

    assert result["dast"] is True
    assert result["dast_target_url"] == url
    assert result["openapi_path"] is None
    assert validate({**DEFAULTS, **result}).dast_target_url == url


def test_an_invalid_name_is_refused_and_the_corrected_one_returned() -> None:
    result = run_ask_showing(
        [(CLEAR + "Bad Name" + ENTER, "must be a DNS label")],
        CLEAR + "good-name" + ENTER + ENTER * (len(DEFAULT_QUESTIONS) - 1),
    )

    assert result["name"] == "good-name"
    # The image default is worked out from the name actually accepted.
    assert result["image"] == "ghcr.io/my-org/good-name"
    assert tuple(result) == DEFAULT_QUESTIONS


@pytest.mark.parametrize(
    ("key", "bad", "good", "expected"),
    [
        ("name", "Bad Name", "good-name", "good-name"),
        ("name", "", "good-name", "good-name"),
        ("default_branch", "", "trunk", "trunk"),
        ("coverage_min", "lots", "90", 90),
        ("coverage_min", "101", "0", 0),
        ("port", "80", "8000", 8000),
        ("health_path", "", "/ready", "/ready"),
        ("environments", "Prod", "dev, prod", ["dev", "prod"]),
        ("code_owners", "", "@octocat", ["@octocat"]),
    ],
)
def test_invalid_typed_values_are_refused(key: str, bad: str, good: str, expected: object) -> None:
    # Were the bad value accepted, the keys after it would answer the next questions and the result differ.
    index = DEFAULT_QUESTIONS.index(key)
    keys = "".join(
        [
            ENTER * index,
            CLEAR + bad + ENTER,
            CLEAR + good + ENTER,
            ENTER * (len(DEFAULT_QUESTIONS) - index - 1),
        ]
    )
    assert run_ask(keys)[key] == expected


def test_keys_already_given_are_not_asked() -> None:
    given = {"name": "given-name", "language": "go", "container": False}
    result = run_ask(ENTER * 11, given=given)

    assert list(result) == [
        "default_branch",
        "platforms",
        "starter",
        "environments",
        "cloud",
        "coverage_min",
        "dast",
        "code_owners",
        "source_repo",
        "visibility",
        "trusted_registries",
    ]
    no_container = ("registry", "image", "port", "health_path", "keep_images", "block_severity")
    for key in no_container:  # no container: these do not apply
        assert key not in result


def test_a_given_cloud_brings_its_remaining_questions() -> None:
    # cloud is not in the defaults mapping, only in given: the aws questions must still apply.
    result = run_ask(
        ENTER * BEFORE_CLOUD + CLEAR + "us-west-2" + ENTER + ENTER * AFTER_CLOUD,
        given={"cloud": "aws", "aws_role_arn": ARN},
    )

    assert result["aws_region"] == "us-west-2"
    assert "aws_role_arn" not in result
    assert "cloud" not in result
    assert list(result) == [key for key in ANSWER_KEYS if key in {*DEFAULT_QUESTIONS, "aws_region"} - {"cloud"}]


@pytest.mark.parametrize(
    "keys",
    [
        pytest.param("", id="closed-at-the-first-question"),
        pytest.param(ENTER * 3, id="closed-at-a-checkbox"),
        pytest.param(ENTER * 4, id="closed-at-a-confirm"),
        pytest.param(ENTER * BEFORE_CLOUD, id="closed-at-a-select"),
        pytest.param(CLEAR + CTRL_D, id="ctrl-d-on-an-empty-answer"),
    ],
)
def test_end_of_input_is_a_usage_error_naming_defaults(keys: str) -> None:
    with pytest.raises(UsageError, match="--defaults") as caught:
        run_ask(keys)
    assert caught.value.exit_code == 2


def test_ctrl_d_ends_the_questions_while_input_is_still_open() -> None:
    # The pipe stays open: only Ctrl-D can end ask() here. Were it ignored, the keys after it would answer
    # every question and ask() would return instead of raising.
    with create_pipe_input() as inp:
        inp.send_text(CLEAR + CTRL_D + "demo" + ENTER * (len(DEFAULT_QUESTIONS) + 5))
        with pytest.raises(UsageError, match=r"end of input.*--defaults"):
            ask(DEFAULTS, {}, input=inp, output=DummyOutput())


def test_ctrl_c_is_a_usage_error_naming_defaults() -> None:
    with pytest.raises(UsageError, match=r"interrupted.*--defaults") as caught:
        run_ask(ENTER + CTRL_C)
    assert caught.value.exit_code == 2


def test_a_registry_that_needs_a_cloud_preselects_it() -> None:
    # registry is given as ECR, so it is not asked; Enter at the cloud question picks aws, which brings the role.
    result = run_ask(
        ENTER * (BEFORE_CLOUD - 1) + ENTER + ARN + ENTER + ENTER + ENTER * AFTER_CLOUD,
        given={"registry": "ecr"},
    )
    assert result["cloud"] == "aws"
    assert result["aws_role_arn"] == ARN
    assert result["image"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo"


def test_a_templates_questions_show_defaults_rendered_from_the_answers_so_far(tmp_path: Any) -> None:
    from scaffold.kit.prompts import ask_template
    from scaffold.packs.cookiecutter import load_template, questions, resolve
    from tests.packs.cookiecutter_templates import service_template

    template = load_template(service_template(tmp_path / "t"))
    asked = [item for item in questions(template) if item.kind != "dict"]
    with create_pipe_input() as inp:
        inp.send_text(CLEAR + "Billing Api" + ENTER + ENTER * (len(asked) - 1))
        inp.close()
        replies = ask_template(
            asked, lambda so_far: resolve(template, so_far, trust=False), input=inp, output=DummyOutput()
        )
    assert replies["project_name"] == "Billing Api"
    assert replies["project_slug"] == "billing-api"  # the derived default, rendered from the typed name
    assert replies["package_name"] == "billing_api"
    assert "ci" not in replies  # a dictionary keeps its default
    answers = resolve(template, replies, trust=False)
    assert answers["license"] == "MIT"
    assert answers["owner_email"] == "billing-api@example.com"


UP = "\x1b[A"
SPACE = " "
ECR_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo"


def test_an_image_the_registry_refuses_is_asked_again_at_once() -> None:
    image = DEFAULT_QUESTIONS.index("image")
    screen_steps = [
        (ENTER * image + CLEAR + "docker.io/acme/demo" + ENTER, "[refused: must be a ghcr repository path like"),
    ]
    result = run_ask_showing(
        screen_steps, CLEAR + "ghcr.io/acme/demo" + ENTER + ENTER * (len(DEFAULT_QUESTIONS) - image - 1)
    )

    # Asked again before the next question: the corrected image answered the image question, not environments.
    assert result["image"] == "ghcr.io/acme/demo"
    assert result["environments"] == ["staging", "production"]
    assert tuple(result) == DEFAULT_QUESTIONS
    assert validate({**DEFAULTS, **result}).image == "ghcr.io/acme/demo"


def test_a_cloud_the_given_registry_refuses_is_asked_again_at_the_cloud_question() -> None:
    keys = "".join(
        [
            ENTER * (BEFORE_CLOUD - 1),  # registry is given: one question fewer before cloud
            UP + ENTER,  # cloud: aws (pre-selected for ecr) -> none, which ecr refuses
            ENTER,  # asked again, aws pre-selected
            ARN + ENTER,
            ENTER,
            ENTER * AFTER_CLOUD,
        ]
    )
    result = run_ask(keys, given={"registry": "ecr"})

    assert result["cloud"] == "aws"
    assert result["aws_role_arn"] == ARN
    assert validate({**DEFAULTS, **result, "registry": "ecr"}).image == ECR_IMAGE


def test_a_refused_cloud_shows_the_rule_of_the_registry() -> None:
    result = run_ask_showing(
        [(ENTER * (BEFORE_CLOUD - 1) + UP + ENTER, "[refused: registry: 'ecr' needs cloud 'aws'")],
        ENTER + ARN + ENTER + ENTER + ENTER * AFTER_CLOUD,
        given={"registry": "ecr"},
    )
    assert (result["cloud"], result["aws_role_arn"]) == ("aws", ARN)


def test_a_rule_the_question_cannot_satisfy_asks_the_answer_it_names() -> None:
    # An ECR promotion role is named <name>-promote-<environment>, at most 64 characters: with a 50-character name
    # no environment list fits, so after the same refusal twice the name question is asked again.
    given = {"registry": "ecr", "cloud": "aws", "aws_role_arn": ARN, "image": ECR_IMAGE}
    before = [key for key in DEFAULT_QUESTIONS if key not in given]
    environments = before.index("environments")
    keys = "".join(
        [
            CLEAR + "a" * 50 + ENTER,
            ENTER * (environments - 1),
            ENTER,  # staging,production: refused, the role name derived from the name is too long
            ENTER,  # the same again: refused again, so the name is asked next
            CLEAR + "demo" + ENTER,
            ENTER * (len(before) - environments),  # the rest, and aws_region, which the given cloud brings
        ]
    )
    result = run_ask(keys, given=given)

    assert result["name"] == "demo"
    assert result["environments"] == ["staging", "production"]
    assert result["aws_region"] == "us-east-1"
    assert validate({**result, **given}).name == "demo"


def test_a_pre_filled_value_the_answers_so_far_refuse_is_not_offered() -> None:
    # An image inferred for a GitHub-only kit is not offered once GitLab is a platform: the prompt shows the
    # example path of the registry chosen instead.
    platforms = DEFAULT_QUESTIONS.index("platforms")
    keys = "".join(
        [
            ENTER * platforms,
            DOWN + SPACE + ENTER,  # platforms: github and gitlab
            ENTER * (len(DEFAULT_QUESTIONS) - platforms - 1 + 1),  # one more: gitlab brings the GitLab URL
        ]
    )
    result = run_ask(keys, defaults={"image": "ghcr.io/acme/demo"})

    assert result["platforms"] == ["github", "gitlab"]
    assert result["registry"] == "gitlab"
    assert result["image"] == "registry.gitlab.com/my-group/demo"
