"""Hit, Finding and FileError keep the manners of the frozen, ordered dataclasses they were: the same equality,
hash, order, repr and immutability, and they survive pickling (the parallel audit sends them between processes)."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import pickle

import pytest

from scaffold.rules.model import Confidence, FileError, Finding, Hit, Severity


@dataclasses.dataclass(frozen=True, order=True)
class HitAsDataclass:
    line: int
    column: int
    message: str
    subject: str = dataclasses.field(default="", compare=False)
    control: str = dataclasses.field(default="", compare=False)
    severity: Severity | None = dataclasses.field(default=None, compare=False)


@dataclasses.dataclass(frozen=True, order=True)
class FindingAsDataclass:
    path: str
    line: int
    column: int
    rule: str
    severity: Severity
    confidence: Confidence
    message: str
    subject: str = dataclasses.field(default="", compare=False)
    control: str = dataclasses.field(default="", compare=False)


@dataclasses.dataclass(frozen=True, order=True)
class FileErrorAsDataclass:
    path: str
    message: str


HITS = [
    (1, 1, "a"),
    (1, 1, "a", "subject"),
    (1, 1, "a", "other", "dast", Severity.LOW),
    (1, 2, "a"),
    (2, 1, "a"),
    (1, 1, "b"),
]
FINDINGS = [
    ("p", 1, 1, "r", Severity.LOW, Confidence.HIGH, "m"),
    ("p", 1, 1, "r", Severity.LOW, Confidence.HIGH, "m", "s", "c"),
    ("p", 1, 1, "r", Severity.HIGH, Confidence.HIGH, "m"),
    ("p", 1, 1, "r", Severity.LOW, Confidence.LOW, "m"),
    ("o", 9, 1, "r", Severity.LOW, Confidence.HIGH, "m"),
    ("p", 1, 1, "q", Severity.LOW, Confidence.HIGH, "z"),
]
ERRORS = [("a", "x"), ("a", "y"), ("b", "x")]
CASES = [
    (Hit, HitAsDataclass, HITS),
    (Finding, FindingAsDataclass, FINDINGS),
    (FileError, FileErrorAsDataclass, ERRORS),
]


@pytest.mark.parametrize(("ours", "reference", "samples"), CASES, ids=["Hit", "Finding", "FileError"])
def test_equality_hash_order_and_repr_are_the_dataclass_ones(
    ours: type, reference: type, samples: list[tuple[object, ...]]
) -> None:
    for left, right in itertools.product(samples, repeat=2):
        a, b, x, y = ours(*left), ours(*right), reference(*left), reference(*right)
        assert (a == b, a != b, a < b, a <= b, a > b, a >= b) == (x == y, x != y, x < y, x <= y, x > y, x >= y)
        assert (hash(a) == hash(b)) == (hash(x) == hash(y)) or a != b
        assert repr(a) == repr(x).replace(reference.__name__, ours.__name__)
    assert ours(*samples[0]) != samples[0] and ours(*samples[0]).__eq__(object()) is NotImplemented
    with pytest.raises(TypeError):
        _ = ours(*samples[0]) < samples[0]


@pytest.mark.parametrize(("ours", "samples"), [(Hit, HITS), (Finding, FINDINGS), (FileError, ERRORS)])
def test_they_are_immutable_and_survive_pickling_and_copying(ours: type, samples: list[tuple[object, ...]]) -> None:
    for values in samples:
        value = ours(*values)
        for again in (pickle.loads(pickle.dumps(value)), copy.copy(value), copy.deepcopy(value)):  # noqa: S301 - our own bytes
            assert again == value and repr(again) == repr(value)
        with pytest.raises(AttributeError, match="immutable"):
            value.path = "elsewhere"
        with pytest.raises(AttributeError, match="immutable"):
            del value.message
        assert not hasattr(value, "__dict__")


def test_hit_keywords_and_a_finding_with_another_message() -> None:
    hit = Hit(3, 4, "m", subject="s", control="c", severity=Severity.LOW)
    assert (hit.line, hit.column, hit.message, hit.subject, hit.control, hit.severity) == (3, 4, "m", "s", "c", 1)
    finding = Finding("p", 1, 2, "r", Severity.LOW, Confidence.HIGH, "m", subject="s", control="c")
    moved = finding.with_message("m (its exception expired 2026-01-01)")
    assert repr(moved) == repr(finding).replace("'m'", "'m (its exception expired 2026-01-01)'")
    assert finding.fingerprint == ("r", "p", "s") and moved.fingerprint == ("r", "p", "s")
