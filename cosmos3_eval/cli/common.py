"""What every subcommand shares: exit codes and argument types."""

import argparse

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
"""Done; the run failed (or ``compare`` found a regression); a user error."""


def positive_int(text: str) -> int:
    """An argparse type: a whole number >= 0 (commands reject 0 where it makes no sense)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative number, got {value}")
    return value


def verbosity(args: argparse.Namespace) -> int:
    """-1 with ``-q``, 0 by default, the number of ``-v`` flags otherwise."""
    if getattr(args, "quiet", False):
        return -1
    return int(getattr(args, "verbose", 0) or 0)
