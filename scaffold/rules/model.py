"""What an audit reports: findings with a rule, a severity, a confidence and a place, and per-file errors."""

from __future__ import annotations

import enum


class _Level(enum.IntEnum):
    """An ordered low/medium/high scale, shown in lower case."""

    @property
    def label(self) -> str:
        return self.name.lower()


class Severity(_Level):
    """How bad a finding is when it is real."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3


class Confidence(_Level):
    """How sure the rule is that the finding is real."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3


class Kind(enum.Enum):
    """The kinds of file the audit reads."""

    WORKFLOW = "github-workflow"
    ACTION = "action"  # a GitHub action's action.yml: a composite action's steps, a Docker action's image
    DEPENDABOT = "dependabot"
    GITLAB_CI = "gitlab-ci"
    JENKINSFILE = "jenkinsfile"
    DOCKERFILE = "dockerfile"
    DOCKERIGNORE = "dockerignore"
    PRE_COMMIT = "pre-commit"


class _Record:
    """An immutable value with a dataclass's manners (``@dataclass(frozen=True, order=True)``), written out: the
    hottest values of an audit are built without the cost of generating a dataclass at every start, and stay light
    (slots). Equality, hashing and order follow ``_key()``, which leaves out the fields a dataclass would mark
    ``compare=False``; the repr names every field, as a dataclass's does. (``@dataclass(frozen=True, slots=True)``
    would do, but on Python 3.11 assigning to a field of one raises TypeError rather than an AttributeError.)"""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def _key(self) -> tuple[object, ...]:
        raise NotImplementedError

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def _set(self, values: tuple[object, ...]) -> None:
        for name, value in zip(self._fields, values, strict=True):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of an immutable {type(self).__name__}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of an immutable {type(self).__name__}")

    def __reduce__(self) -> tuple[type[_Record], tuple[object, ...]]:
        return type(self), self._values()

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__qualname__}({shown})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __lt__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() < other._key()

    def __le__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() <= other._key()

    def __gt__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() > other._key()

    def __ge__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() >= other._key()


class Hit(_Record):
    """What a rule's ``check()`` yields: a 1-based line and column in the file, and a one-line message.

    ``subject`` names what the finding concerns independently of where it is (``job build, step 'Scan'``, a ref, an
    instruction); the upgrade ratchet matches findings by rule, file and subject. Empty means the message names it.
    ``control`` says which control of the rule's ``CONTROLS`` the finding weakens, when the rule guards several.
    ``severity`` lowers this one finding below the rule's ``SEVERITY`` (its highest), when the rule grades its hits.
    Hits compare by line, column and message.
    """

    _fields = ("line", "column", "message", "subject", "control", "severity")
    __slots__ = _fields
    line: int
    column: int
    message: str
    subject: str
    control: str  # which of the rule's controls, when it guards several
    severity: Severity | None

    def __init__(
        self,
        line: int,
        column: int,
        message: str,
        subject: str = "",
        control: str = "",
        severity: Severity | None = None,
    ) -> None:
        self._set((line, column, message, subject, control, severity))

    def _key(self) -> tuple[object, ...]:
        return (self.line, self.column, self.message)


class Finding(_Record):
    """A hit of a rule in a file, as reported. Findings compare and sort by every field but ``subject`` and
    ``control``: path, line, column, rule, severity, confidence, message."""

    _fields = ("path", "line", "column", "rule", "severity", "confidence", "message", "subject", "control")
    __slots__ = _fields
    path: str
    line: int
    column: int
    rule: str
    severity: Severity
    confidence: Confidence
    message: str
    subject: str
    control: str

    def __init__(
        self,
        path: str,
        line: int,
        column: int,
        rule: str,
        severity: Severity,
        confidence: Confidence,
        message: str,
        subject: str = "",
        control: str = "",
    ) -> None:
        self._set((path, line, column, rule, severity, confidence, message, subject, control))

    def _key(self) -> tuple[object, ...]:
        return (self.path, self.line, self.column, self.rule, self.severity, self.confidence, self.message)

    def with_message(self, message: str) -> Finding:
        """The same finding saying ``message``."""
        return Finding(
            self.path, self.line, self.column, self.rule, self.severity, self.confidence, message, self.subject,
            self.control,
        )  # fmt: skip

    @property
    def fingerprint(self) -> tuple[str, str, str]:
        """The finding without its place: the same problem after lines moved has the same fingerprint."""
        return (self.rule, self.path, self.subject or self.message)


class FileError(_Record):
    """A file the audit could not read or parse; the other files are still audited."""

    _fields = ("path", "message")
    __slots__ = _fields
    path: str
    message: str

    def __init__(self, path: str, message: str) -> None:
        self._set((path, message))

    def _key(self) -> tuple[object, ...]:
        return (self.path, self.message)
