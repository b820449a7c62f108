"""``cosmos3-eval export``: training data from the generators, disjoint from evaluation seeds."""

import argparse
from pathlib import Path
from typing import Any

from cosmos3_eval.cli.common import EXIT_OK, positive_int
from cosmos3_eval.engine.export import export_task


def add_parser(sub: Any) -> None:
    """Add ``export`` and its options to the subcommand parsers ``sub``."""
    e = sub.add_parser(
        "export",
        help="write training data (QA JSONL + media, T2I pairs, I2V clips, policy demos HDF5)",
    )
    e.add_argument("--tasks", required=True, help="comma-separated task ids")
    e.add_argument("-n", "--num", type=positive_int, required=True, help="samples / demos per task")
    e.add_argument("--out", default="exports", help="parent folder (one sub-folder per task)")
    e.add_argument("--seed", type=int, default=0, help="base seed of the train split")
    e.add_argument("--proprio-only", action="store_true", help="policy demos without images")
    e.add_argument("--noise", type=float, default=0.0,
                   help="policy demos: DART noise std added to the executed oracle action "
                        "(labels stay the clean oracle action); default 0")  # fmt: skip
    e.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def command(args: argparse.Namespace) -> int:
    """Export each task (resumable: a rerun writes only what is missing)."""
    for task in [t.strip() for t in args.tasks.split(",") if t.strip()]:
        r = export_task(task, Path(args.out), args.num, base_seed=args.seed,
                        progress=not args.no_progress, images=not args.proprio_only,
                        noise=args.noise)  # fmt: skip
        print(f"{r.task}: {r.total} in {r.folder} ({r.written} new, {r.seconds:.1f} s, "
              f"{r.per_second:.2f} samples/s)")  # fmt: skip
    return EXIT_OK
