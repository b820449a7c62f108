"""One error hierarchy for the whole suite.

User mistakes (:class:`UserError` and subclasses) are printed by the CLI as one line on stderr
with exit code 2 and no traceback. :class:`RunFailed` maps to exit code 1. Faults inside one
sample (:class:`SampleError`) are recorded on that sample and the run goes on.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class Cosmos3EvalError(Exception):
    """Base class of every error raised on purpose by cosmos3-eval."""


class UserError(Cosmos3EvalError):
    """A mistake in what the user asked for: bad config, unknown name, missing file (exit 2)."""


class ConfigError(UserError):
    """A task, suite or model config is invalid (unknown key, wrong type, bad value)."""


class UnknownNameError(UserError):
    """An unknown task, model, suite or registry entry."""


class DataError(UserError):
    """A dataset or media file is missing, malformed or outside its data root."""


class ActionSpaceMismatch(UserError):
    """A model's declared action space does not match the task's (checked before step one)."""


class PrivilegeError(UserError):
    """A model declares privileged ground truth that the registry does not grant it."""


class NotComparableError(UserError):
    """Two runs cannot be compared (different task versions, seeds or sample sets)."""


class RunFailed(Cosmos3EvalError):
    """The run could not finish, e.g. the error budget was exceeded (exit 1)."""


class ModelExited(RunFailed):
    """The model stopped its process (``SystemExit``, ``KeyboardInterrupt``, a killed worker).

    Nothing after it can be trusted, so the run stops as ``failed`` (exit 1).
    """


class SampleError(Cosmos3EvalError):
    """A fault confined to one sample or episode: recorded on it, the run continues."""


class ModelOutputError(SampleError):
    """The model returned something invalid: wrong shape, dtype, frame count, NaN, unparsable."""


def os_error_text(exc: OSError) -> str:
    """``<path>: <reason>`` for an OS error (one line; the path is the one the OS named)."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is None:
        return reason
    other = f" -> {exc.filename2}" if exc.filename2 is not None else ""
    return f"{exc.filename}{other}: {reason}"


def path_error(exc: OSError, what: str) -> UserError:
    """Wrap an OS error on a user-named path into a one-line :class:`UserError`.

    Args:
        exc: The error (``NotADirectoryError``, ``PermissionError``, ``OSError(ENOSPC)`` ...).
        what: What the path is for, e.g. ``"--out"``.
    """
    return UserError(f"{what}: {os_error_text(exc)}")


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return a ``" (did you mean 'x'?)"`` suffix, or ``""`` when nothing is close.

    Args:
        name: The name the user typed.
        candidates: The valid names.
    """
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.5)
    return f" (did you mean '{matches[0]}'?)" if matches else ""


def unknown(kind: str, name: str, candidates: Iterable[str]) -> UnknownNameError:
    """Build the standard "unknown X" error with a did-you-mean hint and the valid names."""
    candidates = sorted(candidates)
    hint = did_you_mean(name, candidates)
    shown = ", ".join(candidates[:12]) + (", ..." if len(candidates) > 12 else "")
    return UnknownNameError(f"unknown {kind} '{name}'{hint}; known: {shown}")
