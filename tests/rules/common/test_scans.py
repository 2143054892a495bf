"""The scan table's hints only spare searches: every alternative of a pattern spells one of its hints, and the
controls found in any text, in any case and with letters that match ASCII ones case-blind, are those the patterns
alone find."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scaffold.rules.common.scans import COMMAND_SCANS, HINTS, NON_BLOCKING, SCANS, non_blocking, scans_in


def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern (``|`` outside groups and character classes)."""
    found, current, depth, index, in_class = [], "", 0, 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            current += pattern[index : index + 2]
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            found.append(current)
            current, index = "", index + 1
            continue
        current += char
        index += 1
    return [*found, current]


@pytest.mark.parametrize("control", list(SCANS))
def test_every_alternative_of_a_scan_pattern_spells_one_of_its_hints(control: str) -> None:
    hints = HINTS[control]
    assert hints and all(hint == hint.lower() for hint in hints)
    for alternative in _alternatives(SCANS[control].pattern):
        assert any(hint in alternative.lower() for hint in hints), (control, alternative)


def _unfiltered(text: str) -> list[str]:
    return [control for control, pattern in SCANS.items() if pattern.search(text)]


SAMPLES = [
    "uses: gitleaks/gitleaks-action@v2",
    "run: TruffleHog git file://.",
    "run: detect-secrets scan",
    "uses: github/codeql-action/analyze@v3",
    "run: SEMGREP ci && bandit -r . && gosec ./...",
    "with:\nscan-type: 'fs'",
    "run: trivy   filesystem .",
    "run: pip-audit -r requirements.txt; osv-scanner .",
    "run: npm  audit --audit-level=high",
    "run: grype dir:.",
    "uses: actions/dependency-review-action@v4",
    "image-ref: ghcr.io/x/y",
    "run: trivy image x; grype x; snyk container test x",
    "uses: anchore/sbom-action@v0\nrun: syft . --format cyclonedx",
    "run: cosign sign --yes x && cosign attest x && cosign verify x",
    "uses: actions/attest-build-provenance@v2",
    "env:\nRUNNER_GENERATE_ARTIFACTS_METADATA: true",
    "run: gh attestation verify x",
    "run: pytest --cov-fail-under=90; coverage report --fail-under 80; COVERAGE_MIN=80",
    # letters that match an ASCII one only case-blind: the long s, the Kelvin sign, the dotted and dotless I
    "run: \u017femgrep ci",
    "run: sny\u212a container test x",
    "run: tr\u0131vy image x",
    "run: g\u0130tleaks detect",
    "run: cos\u0131gn verify x",
    "run: make test",
    "",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_the_controls_found_are_those_the_patterns_find(text: str) -> None:
    assert scans_in(text) == _unfiltered(text)


def test_the_samples_reach_every_control_including_through_case_blind_letters() -> None:
    assert {control for text in SAMPLES for control in scans_in(text)} == set(SCANS)
    assert scans_in("run: \u017femgrep ci") == ["sast"]
    assert scans_in("run: sny\u212a container test x") == ["image-scan"]


_FRAGMENTS = st.sampled_from(
    [hint for hints in HINTS.values() for hint in hints]
    + [
        "Trivy",
        "FS",
        "Image",
        " ",
        "\n",
        ": ",
        "'",
        "-",
        "/",
        "sign",
        "verify",
        "attest",
        "dir:",
        "\u017f",
        "\u212a",
        "\u0131",
        "\u0130",
    ]
    + ["zaproxy/action-full-scan", "ZAP-baseline.py", "zap-x.py", "zap"]
)


@settings(max_examples=2000, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=12).map("".join))
def test_hints_never_change_what_is_found(text: str) -> None:
    assert scans_in(text) == _unfiltered(text)
    assert non_blocking(text) == (NON_BLOCKING.search(text) is not None)


def test_the_table_reads_as_a_mapping_of_compiled_patterns() -> None:
    assert list(SCANS) == list(HINTS)
    assert len(SCANS) == 9 and "provenance" not in COMMAND_SCANS
    assert SCANS["sast"] is SCANS["sast"] and SCANS["sast"].search("SemGrep")
    assert SCANS.get("nothing") is None and "nothing" not in SCANS
