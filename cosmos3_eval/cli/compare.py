"""``cosmos3-eval compare``: paired comparison of two result sets (the CI gate).

With ``--adaptive`` it runs the two models itself, in paired blocks, until the anytime-valid
sequential gate decides (:mod:`cosmos3_eval.cli.compare_adaptive`).
"""

import argparse
from pathlib import Path
from typing import Any

from cosmos3_eval.cli import compare_adaptive
from cosmos3_eval.results.gate import GateOptions, gate


def add_parser(sub: Any) -> None:
    """Add ``compare`` to the subcommand parsers ``sub``."""
    c = sub.add_parser("compare", help="paired comparison of two result sets (CI gate)")
    c.add_argument("base", help="baseline results directory (--adaptive: written)")
    c.add_argument("new", help="candidate results directory (--adaptive: written)")
    c.add_argument("--max-drop", type=float, default=0.02, help="tolerated drop (absolute)")
    c.add_argument("--alpha", type=float, default=0.05, help="significance level")
    c.add_argument(
        "--allow-missing", action="store_true", help="compare shared tasks if NEW lacks some"
    )
    c.add_argument(
        "--require-power", action="store_true", help="exit 2 if a task's MDE exceeds --max-drop"
    )
    c.add_argument(
        "--allow-profile-diff",
        action="store_true",
        help="compare runs whose reproduction profiles differ (prints the difference)",
    )
    c.add_argument("--json", action="store_true", help="print the verdict as JSON")
    compare_adaptive.add_arguments(c)


def command(args: argparse.Namespace) -> int:
    """Print the verdict: 0 ok, 1 significant regression, 2 refused (see docs/ci-gate.md)."""
    if args.adaptive:
        return compare_adaptive.command(args)
    opts = GateOptions(
        max_drop=args.max_drop,
        alpha=args.alpha,
        allow_missing=args.allow_missing,
        require_power=args.require_power,
        allow_profile_diff=args.allow_profile_diff,
    )
    return gate(Path(args.base), Path(args.new), opts, as_json=args.json)
