"""The error hierarchy. Each error carries the exit code the CLI maps it to."""

from __future__ import annotations


class ScaffoldError(Exception):
    """Base class of every error scaffold reports to its user. Exit code 1 unless a subclass says otherwise."""

    exit_code = 1


class UsageError(ScaffoldError):
    """Bad input: an invalid answer, answers file, pack or output directory. Nothing was written."""

    exit_code = 2


class ConflictError(ScaffoldError):
    """Existing files differ from what scaffold would write. Nothing was written."""

    exit_code = 1

    def __init__(self, message: str, paths: list[str]) -> None:
        super().__init__(message)
        self.paths = paths


class UnsafePackError(UsageError):
    """A pack tried to do something a pack may not do (escape the output directory, use an unknown pin...)."""


class UntrustedPackError(ScaffoldError):
    """A pack that needs trust it was not given: hooks or extensions without ``--trust``, or a tag that is unsigned
    or not signed by an allowed key under ``--require-signed``. Nothing was written."""

    exit_code = 4
