"""``cosmos3-eval compare``: paired comparison of two result sets (the CI gate)."""

import argparse
from pathlib import Path
from typing import Any

from cosmos3_eval.results.compare import compare_main


def add_parser(sub: Any) -> None:
    """Add ``compare`` to the subcommand parsers ``sub``."""
    c = sub.add_parser("compare", help="paired comparison of two result sets (CI gate)")
    c.add_argument("base", help="baseline results directory")
    c.add_argument("new", help="candidate results directory")
    c.add_argument("--max-drop", type=float, default=0.02, help="tolerated drop (absolute)")
    c.add_argument("--alpha", type=float, default=0.05, help="significance level")


def command(args: argparse.Namespace) -> int:
    """Print the comparison; the exit code is 1 on a significant regression."""
    return compare_main(Path(args.base), Path(args.new), args.max_drop, args.alpha)
