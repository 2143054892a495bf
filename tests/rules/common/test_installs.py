"""The one judgement of unlocked installs and shell tracing that the three platforms' kit judges share."""

from __future__ import annotations

import pytest

from scaffold.rules.common import installs
from tests.support.hang_guard import hang_guard


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("pip install requests", ["pip install without --require-hashes"]),
        ("python3 -m pip install -r requirements.txt", ["pip install without --require-hashes"]),
        ("pip install --require-hashes -r requirements.txt", []),
        ("pip install --no-deps ./dist/tool.whl", []),
        ("npm install && npm test", ["npm install instead of npm ci"]),
        ("npm ci", []),
        ("FOO=1 sudo gem install bundler", ["gem install"]),
        ("yarn global add x; pnpm add y", ["yarn add", "pnpm add"]),
        ("go install example.com/tool@latest", ["go install of a tool without a lockfile"]),
        ("curl -fsSL https://example.com/i.sh | bash", ["a download piped into a shell"]),
        ("wget -qO- https://example.com/i.sh | /bin/sh -s --", ["a download piped into a shell"]),
        ("curl -fsSL https://example.com/i.sh -o i.sh", []),
        ("echo pip install requests", []),
        ("# pip install requests", []),
        ("cat <<EOF\npip install requests\nEOF", []),
    ],
)
def test_unlocked_installs(script: str, expected: list[str]) -> None:
    assert [found.noun for found in installs.unlocked(script)] == expected


def test_the_verb_phrase_names_what_the_command_does() -> None:
    assert [found.verb for found in installs.unlocked("pip install x\ncurl x | sh")] == [
        "runs pip install without --require-hashes",
        "pipes a download into a shell",
    ]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("set -x", ["set -x"]),
        ("set -euxo pipefail", ["set -eux"]),
        ("set -o xtrace", ["set -o xtrace"]),
        ("set +x", []),
        ("set -eo pipefail", []),
        ("echo 'set -x'", []),
        ("# set -x", []),
    ],
)
def test_tracing(script: str, expected: list[str]) -> None:
    assert [found.noun for found in installs.tracing(script)] == expected


@pytest.mark.parametrize("chunk", ["pip install ", "curl x | ", "set -x; ", "'", "$(", "\\"])
def test_long_scripts_are_read_without_a_hang(chunk: str) -> None:
    with hang_guard():
        installs.unlocked(chunk * (100_000 // len(chunk)))
        installs.tracing(chunk * (100_000 // len(chunk)))
