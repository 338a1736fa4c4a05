"""Every error dtmnb raises to its callers, in one tree under DtmnbError (the YAML layer's YAMLv3Error is a
ValueError of its own, re-raised as StateFormatError or ConfigError before it reaches a caller). The CLI
maps them to exit codes in one place (cli.py)."""
from __future__ import annotations

from typing import Any


class DtmnbError(Exception):
    """Root of every error dtmnb raises on purpose; its message is meant for a person."""

    exit_code = 1


class ConfigError(DtmnbError):
    """Raised when a config file (main, varFile or toolFile) is missing, not YAML or not valid.

    ``problems`` holds one line per problem, each naming the file (and line when known) and the fix.
    """

    exit_code = 2

    def __init__(self, message: str, problems: list[str] | None = None):
        self.problems = list(problems or [message])
        super().__init__(message)


class UsageError(DtmnbError):
    """Raised when a command or function is called with arguments that cannot work together."""

    exit_code = 2


class StateFormatError(DtmnbError):
    """Raised when a state file or object is not valid dtm state; the state is then never overwritten."""


class BackendError(DtmnbError):
    """Raised when a state backend cannot read, write or lock the state."""


class LockHeldError(BackendError):
    """Raised when another run holds the state lock. ``lock`` is the holder's LockInfo."""

    def __init__(self, message: str, lock: Any = None):
        self.lock = lock
        super().__init__(message)


class StaleStateError(BackendError):
    """Raised when the state changed behind our back since it was read; nothing was overwritten."""


class UnlockError(BackendError):
    """Raised when the lock this run holds cannot be removed at its end. The state is not affected (the
    lock is only a marker); ``lock_id`` and ``location`` say which lock to remove with a forced unlock."""

    def __init__(self, message: str, lock_id: str = "", location: str = ""):
        self.lock_id = lock_id
        self.location = location
        super().__init__(message)


class HistoryUnavailableError(BackendError):
    """Raised when a backend keeps no history (e.g. S3 bucket versioning is off)."""


class PluginError(DtmnbError):
    """Raised by a plugin when it cannot create, read, update or delete its resource."""


class PluginNotFoundError(PluginError):
    """Raised when a tool names a plugin that is not registered."""

    exit_code = 2


class OutputsReferenceError(DtmnbError):
    """Raised when a ``${{ NAME.INSTANCE.outputs.KEY }}`` reference names a tool or output the state lacks."""


class ChangesFailedError(DtmnbError):
    """Raised by ``apply(..., check=True)`` (and delete/destroy) when a change failed or was skipped;
    ``result`` is the result DataFrame, as without ``check``."""

    def __init__(self, message: str, result: Any = None):
        self.result = result
        super().__init__(f"some changes did not succeed: {message}")


class MissingDependencyError(DtmnbError):
    """Raised when an optional dependency (an extra) is needed but not installed; names the pip extra."""

    exit_code = 2


class TemplateError(PluginError):
    """Raised when a template cannot be rendered (missing variable, bad placeholder, unreadable file)."""


class NotAppliedError(UsageError):
    """Raised by ``require_applied`` when the changes above have not been applied (yet)."""

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of a traceback: the message is the point
        return [f"{type(self).__name__}: {self}"]


class SandboxError(DtmnbError):
    """Raised when a sandbox server cannot be started or reached."""


class ContractError(AssertionError):
    """Raised by ``dtmnb.testing`` when a plugin or backend breaks the contract; ``problems`` lists each broken
    rule. (An AssertionError, so test runners report it as a failed check.)"""

    def __init__(self, what: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"{what} breaks the contract:\n  - " + "\n  - ".join(problems))


def missing_dependency(package: str, extra: str, purpose: str) -> MissingDependencyError:
    return MissingDependencyError(
        f"{purpose} needs the Python package '{package}', which is not installed. "
        f"Install it with: pip install 'dtmnb[{extra}]'"
    )


class DependencyCycleError(UsageError):
    """Raised when ``dependsOn`` entries form a loop. ``cycle`` lists the loop's nodes in dependency order
    (``[a, b]`` for a -> b -> a)."""

    def __init__(self, cycle: list):
        self.cycle = list(cycle)
        ring = " -> ".join(str(n) for n in self.cycle + self.cycle[:1])
        super().__init__(f"dependency loop detected: {ring}; remove one of these dependsOn entries")
