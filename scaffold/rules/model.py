"""What an audit reports: findings with a rule, a severity, a confidence and a place, and per-file errors."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


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


@dataclass(frozen=True, order=True)
class Hit:
    """What a rule's ``check()`` yields: a 1-based line and column in the file, and a one-line message.

    ``subject`` names what the finding concerns independently of where it is (``job build, step 'Scan'``, a ref, an
    instruction); the upgrade ratchet matches findings by rule, file and subject. Empty means the message names it.
    ``control`` says which control of the rule's ``CONTROLS`` the finding weakens, when the rule guards several.
    ``severity`` lowers this one finding below the rule's ``SEVERITY`` (its highest), when the rule grades its hits.
    """

    line: int
    column: int
    message: str
    subject: str = field(default="", compare=False)
    control: str = field(default="", compare=False)  # which of the rule's controls, when it guards several
    severity: Severity | None = field(default=None, compare=False)


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    column: int
    rule: str
    severity: Severity
    confidence: Confidence
    message: str
    subject: str = field(default="", compare=False)
    control: str = field(default="", compare=False)

    @property
    def fingerprint(self) -> tuple[str, str, str]:
        """The finding without its place: the same problem after lines moved has the same fingerprint."""
        return (self.rule, self.path, self.subject or self.message)


@dataclass(frozen=True, order=True)
class FileError:
    """A file the audit could not read or parse; the other files are still audited."""

    path: str
    message: str
