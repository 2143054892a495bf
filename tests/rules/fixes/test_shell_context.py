"""The template-injection fix against real bash: a safe rewrite prints what the original printed with the
expression's value pasted in, for values without shell metacharacters; whatever scaffold cannot follow is unsafe
or a note."""

from __future__ import annotations

import os
import re
import shutil
import string
import subprocess
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scaffold.harden.engine import harden_document
from scaffold.rules.catalog import REGISTRY
from scaffold.rules.document import Document
from scaffold.rules.fixes.model import Safety
from scaffold.rules.fixes.shell_context import Where, contexts
from scaffold.rules.model import Kind

BASH = shutil.which("bash")
EXAMPLES = int(os.environ.get("SCAFFOLD_FUZZ_EXAMPLES", "100"))
EXPRESSION = "${{ inputs.v }}"
RULE = [rule for rule in REGISTRY if rule.id == "template-injection"]
RESERVED = {"if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "for", "while", "until", "in", "function",
            "select", "time", "coproc"}  # fmt: skip


def _where(script: str) -> list[Where | str]:
    spans = [(match.start(), match.end()) for match in re.finditer(r"\$\{\{.*?\}\}", script)]
    return contexts(script, spans)


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("echo ${{ a }}", [Where.PLAIN]),
        ("# don't\necho \"${{ a }}\" '${{ b }}'", [Where.DOUBLE, Where.SINGLE]),
        ('echo "$(echo "${{ a }}")" "$(echo \'${{ b }}\')"', [Where.DOUBLE, Where.SINGLE]),
        ("cat <<EOF\nx ${{ a }}\nEOF\necho '${{ b }}'", [Where.HEREDOC, Where.SINGLE]),
        ("cat <<-EOF\n\tx ${{ a }}\n\tEOF\necho '${{ b }}'", [Where.HEREDOC, Where.SINGLE]),
        ("cat <<EOF\n${{ a }}\nEOF", [Where.HEREDOC_LINE]),
        ('echo a#${{ a }} ${#x} "${{ b }}"', [Where.PLAIN, Where.DOUBLE]),
        ("echo \\\n # it's ${{ a }}\necho '${{ b }}'", [Where.COMMENT, Where.SINGLE]),
        ("echo \"it's\" # it's \"${{ a }}\"\necho '${{ b }}'", [Where.COMMENT, Where.SINGLE]),
        ('echo "\\"" \'${{ a }}\'', [Where.SINGLE]),
        ("echo $# '${{ a }}'", [Where.SINGLE]),
        ('echo "${HOME}" "${{ a }}"', [Where.DOUBLE]),
    ],
)
def test_the_quoting_context_is_followed(script: str, expected: list[Where]) -> None:
    assert _where(script) == expected


@pytest.mark.parametrize(
    "script",
    [
        "echo `echo ${{ a }}`",
        "echo $'${{ a }}'",
        'echo "\\${{ a }}"',
        "echo $${{ a }}",
        "echo ${x:-'${{ a }}'}",
        "echo ${x:-${{ a }}}",
        "echo $(( ${{ a }} + 1 ))",
        "cat <<'EOF'\n${{ a }}\nEOF",
        'cat <<"E"F\n${{ a }}\nEF',
        'cat <<EOF\n$(echo "${{ a }}")\nEOF',
        'x=$(case a in a) echo "${{ a }}";; esac)',
        "echo 'unclosed ${{ a }}",
        "cat <<EOF\nline\\\n${{ a }}\nEOF",
    ],
)
def test_what_scaffold_cannot_follow_is_not_told(script: str) -> None:
    assert all(isinstance(where, str) for where in _where(script)), _where(script)


def _workflow(script: str) -> str:
    body = "".join(f"          {line}\n" if line else "\n" for line in script.split("\n"))
    return f"on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n{body}"


def _rewrite(script: str) -> tuple[Safety, str, dict[str, str]] | None:
    """(safety, new script, env) of the template-injection fix of ``script``, or None when it is not made."""
    text = _workflow(script)
    result = harden_document(Document(".github/workflows/ci.yml", Kind.WORKFLOW, text), Safety.UNSAFE, None, RULE)
    if not result.applied:
        return None
    step = yaml.safe_load(result.after)["jobs"]["t"]["steps"][0]
    return result.applied[0].safety, step["run"], step.get("env", {})


def _bash(script: str, env: dict[str, str], folder: Path) -> tuple[int, bytes]:
    assert BASH is not None
    run = subprocess.run(
        [BASH, "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder), **env},
        cwd=folder,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=10,
        check=False,
    )
    return run.returncode, run.stdout


COMPARED: list[str] = []

FRAGMENTS = [
    'echo "a E b"',
    "echo 'a E b'",
    "echo a E b",
    "# don't E",
    'echo "$(echo "E")"',
    "echo \"$(echo 'E')\"",
    "cat <<EOF\nx E\nEOF",
    "cat <<-EOF\n\tx E\n\tEOF",
    "cat <<'EOF'\nE\nEOF",
    "x=1; echo ${x:-'E'}",
    "echo a#E",
    'echo ${#x} "E"',
    'echo \\\n  "E"',
    "echo `echo E`",
    "echo $'E'",
    'echo "\\E"',
    "printf '%s\\n' \"E\"'E'",
    "echo \"it's E\" # it's",
    "x='E'; echo \"$x\"",
    'echo "${HOME:+E}"',
    'case a in a) echo "E";; esac',
    'f() { echo "E"; }; f',
    'echo "$(( 1 + 2 )) E"',
    'echo "a" \'b\' "E" # E',
    "cat <<EOF\nE\nEOF",
    'echo "$(printf \'%s\' "E")" \'"\'',
    "echo 'it''s' \"E\"",
    'echo "E"\\\n"E"',
]
SOUP = ["a", " ", "'", '"', "$", "(", ")", "\\", "#", "\n", "{", "}", ";", "echo ", "<<", "EOF", "`", "-", "\t", "E"]
VALUES = st.text(string.ascii_letters + string.digits + "_.,:/@%+-", min_size=1, max_size=12).filter(
    lambda value: value not in RESERVED
)


def _same_output(script: str, value: str, folder: Path) -> None:
    script = re.sub(r"E(?!OF)", lambda _: EXPRESSION, script)  # E marks the expression; EOF stays a delimiter
    rewritten = _rewrite(script)
    if rewritten is None or rewritten[0] is not Safety.SAFE:
        return
    _, new_script, env = rewritten
    names = {name: "v" for name, held in env.items() if held == EXPRESSION}
    pasted = script.replace(EXPRESSION, value)
    expected = _bash(pasted, {}, folder)
    actual = _bash(new_script.rstrip("\n"), dict.fromkeys(names, value), folder)
    assert actual == expected, (script, new_script, value)
    COMPARED.append(script)


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
@settings(
    derandomize=True, max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=4), value=VALUES)
def test_a_safe_rewrite_prints_what_the_pasted_value_printed(parts: list[str], value: str, tmp_path: Path) -> None:
    _same_output("\n".join(parts), value, tmp_path)


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
@settings(
    derandomize=True, max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pieces=st.lists(st.sampled_from(SOUP), min_size=1, max_size=30), value=VALUES)
def test_a_safe_rewrite_of_shell_soup_prints_what_the_pasted_value_printed(
    pieces: list[str], value: str, tmp_path: Path
) -> None:
    script = "".join(pieces)
    if not re.search(r"E(?!OF)", script):
        script += " E"
    _same_output("echo " + script.lstrip("\n ") if script[:1] in "\n " else script, value, tmp_path)


def test_every_fragment_is_fixed_safely_or_says_why() -> None:
    for fragment in FRAGMENTS:
        text = _workflow(re.sub(r"E(?!OF)", lambda _: EXPRESSION, fragment))
        result = harden_document(Document(".github/workflows/ci.yml", Kind.WORKFLOW, text), Safety.UNSAFE, None, RULE)
        assert result.applied or result.notes, fragment
        for change in result.applied:
            assert change.safety is Safety.SAFE or change.risk, fragment


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
def test_the_properties_compare_real_runs() -> None:
    """The generated scripts reach bash: most fragments give a safe fix, and each one is compared."""
    assert COMPARED, "no safe rewrite was compared against bash"
