"""``cosmos3-eval run | list | describe | leaderboard | compare | report | serve``.

Global flags (before or after the subcommand): ``--version``, ``-q`` (results only: no progress
bars or notes) and ``-v`` (more detail, e.g. per-category metric tables after ``run``).

Exit codes: 0 done; 1 the run failed (e.g. error budget exceeded) or, for ``compare``, a
regression; 2 a user error (one line on stderr, no traceback).
"""

import argparse
import sys
from typing import NoReturn

from cosmos3_eval import __version__
from cosmos3_eval.api.redact import redact_text
from cosmos3_eval.cli import compare, describe, export, leaderboard, report, run, serve, sim_env
from cosmos3_eval.cli import list as list_
from cosmos3_eval.cli.common import EXIT_FAILED, EXIT_USAGE
from cosmos3_eval.errors import Cosmos3EvalError, RunFailed, UserError, os_error_text

SUBCOMMANDS = {
    "run": run,
    "list": list_,
    "describe": describe,
    "leaderboard": leaderboard,
    "compare": compare,
    "export": export,
    "report": report,
    "serve": serve,
    "sim-env": sim_env,
}
"""Subcommand name -> its module (``add_parser(sub)`` and ``command(args) -> exit code``)."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    """The CLI's argument parser."""
    p = _Parser(prog="cosmos3-eval", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"cosmos3-eval {__version__}")
    _add_verbosity(p, default=0)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for module in SUBCOMMANDS.values():
        module.add_parser(sub)
    # The same flags after the subcommand; SUPPRESS keeps a value given before it.
    for sp in sub.choices.values():
        _add_verbosity(sp, default=argparse.SUPPRESS)
    return p


def _add_verbosity(p: argparse.ArgumentParser, default: object) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("-q", "--quiet", action="store_true", default=default, help="print results only")
    g.add_argument(
        "-v", "--verbose", action="count", default=default, help="more detail (repeatable)"
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``cosmos3-eval`` console script; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        return SUBCOMMANDS[args.command].command(args)
    except UserError as exc:
        print(f"cosmos3-eval: error: {redact_text(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except RunFailed as exc:
        print(f"cosmos3-eval: run failed: {redact_text(str(exc))}", file=sys.stderr)
        return EXIT_FAILED
    except Cosmos3EvalError as exc:
        print(f"cosmos3-eval: error: {redact_text(str(exc))}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("cosmos3-eval: interrupted (rerun the same command to resume)", file=sys.stderr)
        return 130
    except OSError as exc:
        # Last resort for a path no command checked first (--out of leaderboard / report, a
        # file that vanished): one line naming the path, never a traceback.
        print(f"cosmos3-eval: error: {os_error_text(exc)}", file=sys.stderr)
        return EXIT_USAGE
