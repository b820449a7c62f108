"""``cosmos3-eval leaderboard``: build leaderboard tables from run directories."""

import argparse
import textwrap
from pathlib import Path
from typing import Any

from cosmos3_eval.cli.common import EXIT_OK, writable_dir
from cosmos3_eval.report import write_leaderboard_html
from cosmos3_eval.results.board import build_leaderboard
from cosmos3_eval.results.table import terminal_width


def add_parser(sub: Any) -> None:
    """Add ``leaderboard`` to the subcommand parsers ``sub``."""
    lb = sub.add_parser("leaderboard", help="build leaderboard tables from run directories")
    lb.add_argument("results", nargs="+", help="results directories or run directories")
    lb.add_argument("--out", default="leaderboard", help="output directory")
    lb.add_argument("--schema", help="leaderboard schema (default leaderboard/schema.yaml)")
    lb.add_argument(
        "--strict", action="store_true", help="refuse failed / incomplete runs (default: skip)"
    )
    lb.add_argument("--json", action="store_true", help="print leaderboard.json, not a table")
    lb.add_argument(
        "--wide", action="store_true", help="also print per-task columns (the files always have)"
    )


def command(args: argparse.Namespace) -> int:
    """Write the tables and files; print a table that fits the terminal."""
    writable_dir(Path(args.out), "--out")  # one line, nothing written, before any work
    board = build_leaderboard(
        [Path(p) for p in args.results],
        Path(args.out),
        Path(args.schema) if args.schema else None,
        strict=args.strict,
    )
    # The HTML page belongs to the report layer; results only writes the data files.
    board.files.append(write_leaderboard_html(board.rows, board.schema, Path(args.out)))
    if args.json:
        print(board.files[2].read_text(), end="")
        return EXIT_OK
    print(board.terminal(wide=args.wide))
    for note in board.notes:
        print(textwrap.fill(f"note: {note}", terminal_width(), subsequent_indent="  "))
    print(textwrap.fill(f"wrote {', '.join(str(p) for p in board.files)}", terminal_width()))
    return EXIT_OK
