"""Exception types that the command line turns into messages and exit codes.

Every exit code issuelog ends with is decided here: 0 ok, 1 problems found, 2 usage, 70 a bug.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70  # a bug in issuelog itself (sysexits' EX_SOFTWARE)


class IssuelogError(Exception):
    """Base class of every error issuelog reports to its user."""

    exit_code = EXIT_PROBLEMS


class UsageError(IssuelogError):
    """The command was called in a way that cannot work (bad argument, unknown ID)."""

    exit_code = EXIT_USAGE


class ConfigError(IssuelogError):
    """The configuration file is invalid; the message names the file and the key."""

    exit_code = EXIT_USAGE


class TemplateError(IssuelogError):
    """A template could not be found or failed to render."""


class IssueFileError(IssuelogError):
    """An issue file could not be read or written; the message names the file."""


class ProblemsFound(IssuelogError):
    """The command ran and found problems it has already shown (invalid files, a stale log)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)


def exit_code(error: BaseException) -> int:
    """The exit code an error ends issuelog with: its own for issuelog's errors, else internal."""
    return error.exit_code if isinstance(error, IssuelogError) else EXIT_INTERNAL
