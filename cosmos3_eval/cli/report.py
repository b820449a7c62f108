"""``cosmos3-eval report``: write a static HTML report."""

import argparse
from pathlib import Path
from typing import Any

from cosmos3_eval.cli.common import EXIT_OK, writable_dir
from cosmos3_eval.report import write_report


def add_parser(sub: Any) -> None:
    """Add ``report`` to the subcommand parsers ``sub``."""
    rp = sub.add_parser("report", help="write a static HTML report")
    rp.add_argument("results", nargs="+", help="results directories")
    rp.add_argument("--out", default="report", help="output directory")


def command(args: argparse.Namespace) -> int:
    """Write the report and print where."""
    writable_dir(Path(args.out), "--out")  # one line, nothing written, before any work
    out = write_report([Path(p) for p in args.results], Path(args.out))
    print(f"wrote {out}")
    return EXIT_OK
