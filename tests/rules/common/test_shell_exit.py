"""One judgement of whether a command's failure can fail its script, for the three platforms' shells: a table of
commands that can and cannot fail (the red-team's bypasses among them), the reasons' words, and hostile input read
in linear time without raising."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scaffold.rules.common import shell_exit
from scaffold.rules.common.shell_exit import GITHUB_BASH, GITHUB_DEFAULT, GITLAB, JENKINS_SH, Shell, judge
from tests.support.hang_guard import hang_guard

SCAN = "gitleaks git --redact --exit-code 1 ."
PLATFORMS = {"github": GITHUB_DEFAULT, "github-bash": GITHUB_BASH, "gitlab": GITLAB, "jenkins": JENKINS_SH}


def _kind(script: str, shell: Shell, needle: str = "gitleaks") -> str | None:
    """The kind of reason the last command named ``needle`` cannot fail, or None."""
    start = script.rindex(needle)
    why = judge(script, start, start + len(needle), shell)
    return why.kind if why is not None else None


# (script, kind for every platform) or (script, {platform: kind}) where the platforms disagree
CAN_FAIL: list[str] = [
    SCAN,
    f"make lint && {SCAN}",
    f"echo start && {SCAN}",
    f"echo start; {SCAN}",
    f"{SCAN} || exit",
    f"{SCAN} || exit 1",
    f'{SCAN} || exit "$status"',
    f"{SCAN} || false",
    f"{SCAN} || return 1",
    f"{SCAN} || (echo leaked; exit 1)",
    f"{SCAN} || {{ echo leaked; exit 1; }}",
    f"{SCAN} || echo leaked && exit 1",
    f"{SCAN}; other || true",
    f"{SCAN}  # || true",
    f"{SCAN} && true",  # the && list is the script's last command: its status is the script's
    f"if ! {SCAN}; then exit 1; fi",
    f"if {SCAN}; then echo clean; else exit 1; fi",
    f"if {SCAN}; then echo clean; elif other; then echo x; else false; fi",
    f"until {SCAN}; do sleep 5; done",
    f"set +e\n{SCAN}",  # the script's last command
    f"set +e\n{SCAN}\nstatus=$?\nset -e\nexit $status",
    f"set +e\nset -e\n{SCAN}\necho done",
    f"set -o pipefail\n{SCAN} | tee report.txt",
    f"set -eo pipefail\n{SCAN} | tee report.txt",
    f"set -euxo pipefail\n{SCAN} | tee report.txt",
    f"{SCAN} | tee report.txt; exit ${{PIPESTATUS[0]}}",
    f"cat list | {SCAN}",
    f"x=$({SCAN})",
    f"sudo -E env X=1 {SCAN}",
    f"timeout 600 {SCAN}",
    f"{{ {SCAN}; }}",
    f"( {SCAN} )",
    f"for repo in a b; do {SCAN}; done",
    f"case $X in a) {SCAN} ;; esac",
    f"{SCAN} --exit-code 10",
    f"{SCAN} 2>&1 > out.txt",
    f"cat <<EOF > notes.txt\nrun gitleaks later\nEOF\n{SCAN}",
]

CANNOT_FAIL: list[tuple[str, str]] = [
    (f"echo {SCAN}", shell_exit.PRINTED),
    (f"printf '%s\\n' '{SCAN}'", shell_exit.NAMED),
    (f": {SCAN}", shell_exit.PRINTED),
    (f"true {SCAN}", shell_exit.PRINTED),
    (f'echo "we ran {SCAN}"', shell_exit.NAMED),
    (f"# {SCAN}", shell_exit.MENTION),
    (f"cat <<EOF\n{SCAN}\nEOF", shell_exit.MENTION),
    (f"{SCAN} || true", shell_exit.SWALLOWED),
    (f"{SCAN} || :", shell_exit.SWALLOWED),
    (f"{SCAN} || /bin/true", shell_exit.SWALLOWED),  # red team: gl-or-bin-true, jf-or-bin-true
    (f"{SCAN} || (true)", shell_exit.SWALLOWED),  # red team: gl-or-subshell-true
    (f"{SCAN} || ls", shell_exit.SWALLOWED),  # red team: gl-or-ls
    (f'{SCAN} || echo "failed: $?"', shell_exit.SWALLOWED),
    (f"{SCAN} || exit 0", shell_exit.SWALLOWED),
    (f"{SCAN} || exit 256", shell_exit.SWALLOWED),
    (f"{SCAN} || return 0", shell_exit.SWALLOWED),
    (f"{SCAN} || {{ echo leaked; }}", shell_exit.SWALLOWED),
    (f"{SCAN} && echo ok || echo failed", shell_exit.SWALLOWED),
    (f"{SCAN} >/dev/null 2>&1 || true", shell_exit.SWALLOWED),
    (f"{{ {SCAN}; }} || true", shell_exit.SWALLOWED),
    (f"{SCAN}; true", shell_exit.IGNORED),
    (f"{SCAN} ; exit 0", shell_exit.IGNORED),
    (f"{SCAN} | tee report.txt", shell_exit.PIPED),  # red team: gl-pipe-tee, jf-pipe-tee
    (f"{SCAN} 2>&1 | grep -v noise", shell_exit.PIPED),
    (f"set -o pipefail\nset +o pipefail\n{SCAN} | tee report.txt", shell_exit.PIPED),
    (f"! {SCAN}", shell_exit.NEGATED),
    (f"if ! {SCAN}; then echo leaks; fi", shell_exit.CONDITION),  # red team: gl-if-not
    (f"if {SCAN}; then echo clean; fi", shell_exit.CONDITION),
    (f"if true; then :; elif {SCAN}; then echo ok; fi", shell_exit.CONDITION),
    (f"while {SCAN}; do sleep 1; done", shell_exit.CONDITION),
    (f"until ! {SCAN}; do sleep 1; done", shell_exit.CONDITION),
    (f"set +e\n{SCAN}\necho done", shell_exit.ERREXIT_OFF),  # red team: gl-set-plus-e
    (f"set +o errexit\n{SCAN}\necho done", shell_exit.ERREXIT_OFF),
    (f"{SCAN} && echo ok\necho next", shell_exit.AND_LIST),
    (f"{SCAN} &", shell_exit.BACKGROUND),
    (f"{SCAN} & wait", shell_exit.BACKGROUND),
    ("trivy fs --exit-code 0 .", shell_exit.EXIT_ZERO),
    ("trivy fs --exit-code=00 .", shell_exit.EXIT_ZERO),
    ("trivy fs --exit-code '0' .", shell_exit.EXIT_ZERO),
    ("trivy fs --exit-zero .", shell_exit.EXIT_ZERO),
]


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
@pytest.mark.parametrize("script", CAN_FAIL)
def test_a_command_whose_failure_fails_the_script(script: str, platform: str) -> None:
    assert _kind(script, PLATFORMS[platform]) is None


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
@pytest.mark.parametrize(("script", "kind"), CANNOT_FAIL)
def test_a_command_whose_failure_cannot_fail_the_script(script: str, kind: str, platform: str) -> None:
    needle = "gitleaks" if "gitleaks" in script else "trivy"
    pipefail = PLATFORMS[platform].pipefail and "set +o pipefail" not in script
    assert _kind(script, PLATFORMS[platform], needle) == (None if kind == shell_exit.PIPED and pipefail else kind)


@pytest.mark.parametrize(
    ("shell", "kind"),
    [
        (None, shell_exit.PIPED),
        ("bash", None),
        ("sh", shell_exit.PIPED),
        ("bash -eo pipefail {0}", None),
        ("bash {0}", shell_exit.PIPED),
        ("pwsh", shell_exit.PIPED),
    ],
)
def test_githubs_shell_decides_pipefail(shell: str | None, kind: str | None) -> None:
    assert _kind(f"{SCAN} | tee report.txt", shell_exit.github_shell(shell)) == kind


def test_without_errexit_any_command_but_the_last_is_lost() -> None:
    no_errexit = shell_exit.github_shell("bash {0}")
    assert no_errexit == Shell(errexit=False, pipefail=False)
    assert _kind(f"{SCAN}\necho done", no_errexit) == shell_exit.ERREXIT_OFF
    assert _kind(f"{SCAN}\necho done", GITLAB) is None
    assert _kind(f"set -e\n{SCAN}\necho done", no_errexit) is None
    assert _kind(SCAN, no_errexit) is None


@pytest.mark.parametrize(
    ("script", "text", "short"),
    [
        (f"{SCAN} || true", "has its failure swallowed (|| true)", "|| true"),
        (f"{SCAN} || exit 0", "has its failure swallowed (|| exit 0)", "|| exit 0"),
        (f"{SCAN} || (true)", "has its failure swallowed (|| (true))", "|| (true)"),
        (f"echo {SCAN}", "is only printed (echo in front)", "only an argument of echo"),
        ("trivy fs --exit-code 0 .", "passes whatever it finds (--exit-code 0)", "--exit-code 0"),
        (f"{SCAN}; true", "has its failure ignored (; true)", "; true"),
        (f"set +e\n{SCAN}\necho done", "runs after set +e and is not the script's last command", "set +e"),
        (f"{SCAN} | tee r.txt", "is piped (| tee) without pipefail", "| tee without pipefail"),
        (f"if ! {SCAN}; then echo x; fi", "is only the condition of an if", "only the condition of an if"),
        (f"{SCAN} &", "runs in the background (&), so its failure is never seen", "& runs it in the background"),
        (f"! {SCAN}", "is negated (!)", "negated with !"),
    ],
)
def test_a_reason_reads_as_a_phrase_and_in_a_few_words(script: str, text: str, short: str) -> None:
    needle = "gitleaks" if "gitleaks" in script else "trivy"
    start = script.index(needle)
    why = judge(script, start, None, GITLAB)
    assert why is not None
    assert why.text.startswith(text)
    assert why.short == short


def test_each_command_of_a_script_is_judged_in_its_place() -> None:
    script = f"set +e\n{SCAN}\nset -e\n{SCAN.replace('gitleaks', 'trivy')}\necho done\n"
    first, second = script.index("gitleaks"), script.index("trivy")
    assert judge(script, first, None, GITLAB) == shell_exit.Reason(shell_exit.ERREXIT_OFF, "set +e")
    assert judge(script, second, None, GITLAB) is None


def test_offsets_outside_the_script_or_between_commands_are_no_command() -> None:
    script = f"{SCAN} ; make"
    assert judge(script, len(script) + 10, None, GITLAB) == shell_exit.Reason(shell_exit.MENTION)
    assert judge(script, script.index(";"), None, GITLAB) == shell_exit.Reason(shell_exit.MENTION)
    assert judge("", 0) == shell_exit.Reason(shell_exit.MENTION)


HOSTILE = [
    "echo " * 50_000,
    "a || " * 30_000,
    "a && " * 30_000 + SCAN,
    "a | " * 30_000 + SCAN,
    "'\"" * 30_000,
    "\\" * 50_001,
    "# " * 50_000,
    "(" * 50_000 + SCAN,
    "{ " * 50_000 + SCAN,
    "if " * 30_000 + SCAN,
    "$(" * 30_000 + SCAN,
    "${" * 30_000 + SCAN,
    "`" * 50_001,
    "<<EOF " * 20_000 + "\n" + SCAN,
    "2>&1 " * 20_000 + SCAN,
    f"{SCAN}\n" * 10_000,
    f"set +e\n{SCAN} | tee x || true && echo ok\n" * 3_000,
    "case x in " + "a) b ;; " * 20_000 + "esac",
    "f() { " * 20_000 + SCAN,
    "[[ " * 30_000 + SCAN,
    "((" * 30_000 + SCAN,
    "! " * 50_000 + SCAN,
]


@pytest.mark.parametrize("script", HOSTILE, ids=lambda script: repr(script[:12]))
def test_long_hostile_scripts_are_judged_without_a_hang(script: str) -> None:
    with hang_guard():
        for shell in (GITHUB_DEFAULT, GITHUB_BASH, GITLAB):
            for start in (0, len(script) // 2, max(0, script.rfind("gitleaks")), len(script) - 1):
                judge(script, start, start + 8, shell)
        lines = script.split("\n")
        offset = 0
        for line in lines[:2_000]:  # a judgement per line, as the platforms ask: linear in all
            judge(script, offset, None, GITLAB)
            offset += len(line) + 1


_PIECES = [*"ab $'\"\\`#(){}[];&|<>!\n=-0e", "if ", "then ", "fi", "||", "&&", "<<E", "\nE\n", "exit ", "set +e"]


@given(st.lists(st.sampled_from(_PIECES), max_size=60).map("".join), st.integers(min_value=-2, max_value=400))
def test_any_text_is_judged_without_raising(script: str, start: int) -> None:
    why = judge(script, start, None, GITLAB)
    assert why is None or isinstance(why, shell_exit.Reason)
