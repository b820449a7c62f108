"""``compare --adaptive BASE_DIR NEW_DIR``: run both models in paired blocks until decided.

Exit 1 when a task regresses, 0 when every task is ``no-regression``; a task that spends
``--max-episodes`` without a decision is ``inconclusive``: exit 0 with a warning on stderr
(the gate's policy, ``docs/ci-gate.md``).
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cosmos3_eval.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    MAX_PLAN,
    MAX_SEED,
    bounded_int,
    writable_dir,
)
from cosmos3_eval.engine.adaptive import Side, adaptive_compare
from cosmos3_eval.engine.options import RunOptions
from cosmos3_eval.engine.tasks import parse_model_args
from cosmos3_eval.errors import UserError
from cosmos3_eval.results.table import fit_table, terminal_width


def add_arguments(c: Any) -> None:
    """Add the ``--adaptive`` options to the ``compare`` parser ``c``."""
    g = c.add_argument_group("adaptive trial (--adaptive: BASE and NEW are output directories)")
    g.add_argument("--adaptive", action="store_true", help="run both models until decided")
    g.add_argument("--model-base", help="base model (registry name or module:attr)")
    g.add_argument("--model-new", help="new model (registry name or module:attr)")
    g.add_argument("--model-args-base", help="base model args k=v,k2=v2")
    g.add_argument("--model-args-new", help="new model args k=v,k2=v2")
    g.add_argument("--tasks", help="comma-separated task ids")
    g.add_argument("--margin", type=float, default=0.1, help="drop to rule out (absolute)")
    g.add_argument(
        "--max-episodes", type=bounded_int(1, MAX_PLAN), default=200, help="pair budget per task"
    )
    g.add_argument("--block", type=bounded_int(1, MAX_PLAN), default=10, help="pairs per look")
    g.add_argument("--seed", type=bounded_int(0, MAX_SEED), default=0, help="base seed")
    g.add_argument("--workers", type=bounded_int(1, 256), default=1, help="env workers")
    g.add_argument("--batch-size", type=bounded_int(1, 4096), default=8, help="model batch")


def command(args: argparse.Namespace) -> int:
    """Run the trial and print one row per task; exit 1 on a regression."""
    if not args.model_base or not args.model_new or not args.tasks:
        raise UserError("compare --adaptive needs --model-base, --model-new and --tasks")
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    base = Side(args.model_base, parse_model_args(args.model_args_base), Path(args.base))
    new = Side(args.model_new, parse_model_args(args.model_args_new), Path(args.new))
    writable_dir(base.out, "BASE")
    writable_dir(new.out, "NEW")
    opts = RunOptions(
        seed=args.seed, batch_size=args.batch_size, workers=args.workers, progress=False
    )
    results = adaptive_compare(
        base, new, tasks, opts, args.margin, args.max_episodes, args.block, args.alpha,
        log=lambda line: print(line, file=sys.stderr),
    )  # fmt: skip
    regressed = [r.task_id for r in results if r.decision == "regression"]
    undecided = [r.task_id for r in results if r.decision == "inconclusive"]
    code = EXIT_FAILED if regressed else EXIT_OK
    if args.json:
        rows = [
            {"task": r.task_id, "metric": r.metric, "decision": r.decision, "n_run": r.n_run,
             "n_decision": r.test.n, "mean_diff": r.test.mean_diff, "margin": r.test.margin,
             "alpha": r.test.alpha, "e_regression": r.test.e_regression,
             "e_no_regression": r.test.e_no_regression,
             "base_dir": str(r.base_dir), "new_dir": str(r.new_dir)}
            for r in results
        ]  # fmt: skip
        print(json.dumps({"exit_code": code, "tasks": rows}, indent=2))
    else:
        header = ["task", "metric", "pairs", "decided at", "mean diff", "e(reg)", "e(ok)"]
        header.append("verdict")
        body = [
            [r.task_id, r.metric, str(r.n_run), str(r.test.n), f"{r.test.mean_diff:+.4f}",
             f"{r.test.e_regression:.3g}", f"{r.test.e_no_regression:.3g}", r.decision.upper()]
            for r in results
        ]  # fmt: skip
        print(fit_table(body, header, terminal_width(), right=["pairs", "decided at"]))
    for task in undecided:
        print(
            f"warning: {task}: inconclusive after --max-episodes {args.max_episodes} pairs "
            f"(drop between 0 and --margin {args.margin}); passing (exit 0)",
            file=sys.stderr,
        )
    if regressed:
        print(f"REGRESSION in: {', '.join(regressed)}", file=sys.stderr)
    return code
