"""What every subcommand shares: exit codes, bounded argument types and path preflight.

Every number and path the user types is checked here, before anything is created, so a bad
value is one line and exit 2 and never a half-made run directory.
"""

import argparse
import math
import os
from collections.abc import Callable
from pathlib import Path

from cosmos3_eval.errors import UserError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
"""Done; the run failed (or ``compare`` found a regression); a user error."""

MAX_PLAN = 10_000_000
"""Upper bound of any plan size (--limit, --episodes, --video ...): beyond it a run cannot
finish on one machine, and a typo such as 10**12 must not allocate before it fails."""

MAX_SEED = 2**31 - 1
"""Seeds derive per-sample seeds in [0, 2**31): larger base seeds are refused, not wrapped."""


def bounded_int(lo: int, hi: int) -> Callable[[str], int]:
    """An argparse type: a whole number in ``[lo, hi]``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"expected {lo}..{hi}, got {value}")
        return value

    parse.__name__ = "int"  # argparse names the type in its messages
    return parse


def positive_int(text: str) -> int:
    """An argparse type: a whole number in ``0..MAX_PLAN`` (commands reject 0 where needed)."""
    return bounded_int(0, MAX_PLAN)(text)


def finite_float(lo: float, hi: float) -> Callable[[str], float]:
    """An argparse type: a finite number in ``(lo, hi]`` (``nan`` / ``inf`` are refused)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got '{text}'") from None
        if not math.isfinite(value) or not lo < value <= hi:
            raise argparse.ArgumentTypeError(f"expected a number in ({lo:g}, {hi:g}], got {text}")
        return value

    parse.__name__ = "float"
    return parse


def writable_dir(path: Path, what: str) -> Path:
    """Check, without writing, that ``path`` is or can become a writable directory.

    Args:
        path: The directory the command will write into (it may not exist yet).
        what: The option that named it (``--out``), for the message.

    Raises:
        UserError: ``path`` is a file, or it (or its nearest existing parent) is not writable.
    """
    if path.exists() and not path.is_dir():
        raise UserError(f"{what} {path}: exists and is not a directory")
    probe = path
    while not probe.exists():  # the nearest existing ancestor is where mkdir will write
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise UserError(f"{what} {path}: {probe} is not a directory")
    # os.access also reports a read-only file system (EROFS) for root.
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UserError(f"{what} {path}: {probe} is not writable")
    return path


def verbosity(args: argparse.Namespace) -> int:
    """-1 with ``-q``, 0 by default, the number of ``-v`` flags otherwise."""
    if getattr(args, "quiet", False):
        return -1
    return int(getattr(args, "verbose", 0) or 0)
