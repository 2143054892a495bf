"""The quick checks that let rules skip a script, a line or a file only spare work: with each of them switched off,
every rule finds exactly what it finds with them on, on workflows built from the words the rules look for, spelt
with quotes, backslashes, expressions, comments, continued lines and letters that match ASCII ones case-blind."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scaffold.rules.document import Document
from scaffold.rules.github import (
    adhoc_install,
    github_env_write,
    insecure_runtime_toggle,
    secrets_dump,
    use_trusted_publishing,
)
from scaffold.rules.model import Kind
from scaffold.rules.runner import parse_error

_WORDS = [
    "pip", "pip3", "install", "pipx", "npm", "i", "add", "pnpm", "yarn", "global", "go", "x@latest", "x@v1.2.3",
    "curl", "wget", "CURL", "-sSL", "https://h/releases/latest/download/t", "|", "sh", "bash", "<(", ")",
    "twine", "upload", "uv", "publish", "gem", "push", "cargo", "python", "-m", "--dry-run", "sudo", "A=1",
    "echo", ">>", "$GITHUB_ENV", "${GITHUB_PATH}", "ACTIONS_STEP_DEBUG=true", "actions_runner_debug=1", "tee",
    "${{ github.event.issue.title }}", "${{ toJSON(secrets) }}", "tojson(secrets)", "&&", ";", "#", "'", '"', "\\",
    "n'p'm", 'p"ush"', "g\\o", "\u017f", "\u212a", "\u0131", "\u0130", "G\u0130THUB_ENV", "requests", "-r",
    "req.txt", "==1.0",
]  # fmt: skip
_LINE = st.lists(st.sampled_from(_WORDS), max_size=8).map(" ".join)
_TRIGGERS = st.sampled_from(["push", "pull_request_target", "[workflow_dispatch, issues]"])


def _workflow(trigger: str, lines: list[str], continued: bool) -> str:
    tails = [" \\" if continued and number % 2 == 0 else "" for number in range(len(lines))]
    body = "".join(f"          {line}{tail}\n" for line, tail in zip(lines, tails, strict=True))
    return (
        f"on: {trigger}\n"
        "permissions: {}\n"
        "jobs:\n"
        "  build:\n"
        "    runs-on: ubuntu-24.04\n"
        "    steps:\n"
        "      - run: |\n"
        f"{body}"
    )


def _hits(module: ModuleType, document: Document) -> list[tuple[int, int, str]]:
    return [(hit.line, hit.column, hit.message) for hit in module.check(document)]


GATES: list[tuple[ModuleType, str, Callable[..., bool]]] = [
    (adhoc_install, "_may_install", lambda text: True),
    (use_trusted_publishing, "_may_publish", lambda text: True),
    (github_env_write, "_may_write", lambda script: True),
    (insecure_runtime_toggle, "_may_write", lambda script: True),
    (secrets_dump, "_may_dump", lambda text: True),
]


@pytest.mark.parametrize(("module", "gate", "always"), GATES, ids=lambda item: getattr(item, "ID", ""))
@settings(max_examples=300, deadline=None)
@given(trigger=_TRIGGERS, lines=st.lists(_LINE, min_size=1, max_size=5), continued=st.booleans())
def test_a_gate_never_changes_what_a_rule_finds(
    module: ModuleType, gate: str, always: Callable[..., bool], trigger: str, lines: list[str], continued: bool
) -> None:
    text = _workflow(trigger, lines, continued)
    assume(parse_error(Document(".github/workflows/ci.yml", Kind.WORKFLOW, text)) is None)
    gated = _hits(module, Document(".github/workflows/ci.yml", Kind.WORKFLOW, text))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, gate, always)
        ungated = _hits(module, Document(".github/workflows/ci.yml", Kind.WORKFLOW, text))
    assert gated == ungated


@pytest.mark.parametrize(
    ("module", "line"),
    [
        (adhoc_install, "n'p'm install left-pad"),
        (adhoc_install, "CURL -sSL https://h/releases/latest/download/t"),
        (use_trusted_publishing, "twine 'up'load dist/*"),
        (use_trusted_publishing, 'npm p"ublish"'),
        (insecure_runtime_toggle, 'echo "ACTIONS_STEP_DEBUG=true" >> "$G\u0130THUB_ENV"'),
        (github_env_write, 'echo "A=1" >> "$G\u0130THUB_ENV"'),
        (secrets_dump, "echo '${{ toJ\u017fON(secrets) }}'"),
    ],
)
def test_words_spelt_apart_or_with_case_blind_letters_are_still_found(module: ModuleType, line: str) -> None:
    document = Document(".github/workflows/ci.yml", Kind.WORKFLOW, _workflow("pull_request_target", [line], False))
    assert _hits(module, document)
