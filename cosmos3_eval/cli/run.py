"""``cosmos3-eval run``: evaluate a model on tasks or a suite, one run directory per task."""

import argparse
import glob
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from cosmos3_eval.api.seal import SEAL_FILE_ENV, Seal
from cosmos3_eval.cli.common import (
    EXIT_OK,
    MAX_PLAN,
    MAX_SEED,
    bounded_int,
    finite_float,
    positive_int,
    verbosity,
    writable_dir,
)
from cosmos3_eval.cli.run_output import RunPrinter, footer
from cosmos3_eval.engine.runner import RunOptions, evaluate
from cosmos3_eval.engine.stopping import parse_until
from cosmos3_eval.engine.tasks import load_suite, parse_model_args
from cosmos3_eval.errors import UserError
from cosmos3_eval.report.sweep import parse_step


def add_parser(sub: Any) -> None:
    """Add ``run`` and its options to the subcommand parsers ``sub``."""
    r = sub.add_parser("run", help="evaluate a model on tasks or a suite")
    r.add_argument(
        "--model",
        required=True,
        help="a name from 'list models', module:attr or path/to/file.py:attr "
        "(a class or factory; the current directory is importable; see docs/models.md)",
    )
    r.add_argument(
        "--model-args",
        default="",
        help="k=v,k2=v2, typed by the model's args (see 'describe MODEL')",
    )
    which = r.add_mutually_exclusive_group(required=True)
    which.add_argument("--tasks", help="comma-separated task ids or task-file paths")
    which.add_argument("--suite", help="suite name (see 'list suites') or path")
    r.add_argument("--limit", type=positive_int, help="samples per task")
    r.add_argument("--episodes", type=positive_int, help="episodes per closed-loop task")
    r.add_argument("--seed", type=bounded_int(0, MAX_SEED), default=0, help="base seed (default 0)")
    r.add_argument("--batch-size", type=positive_int, default=8, help="requests per model call")
    r.add_argument("--out", default="results", help="parent directory of run directories")
    r.add_argument("--max-errors", type=positive_int, help="error budget per task")
    r.add_argument("--workers", type=bounded_int(0, 256), default=1, help="env worker processes")
    r.add_argument(
        "--replan-every", type=bounded_int(1, MAX_PLAN), help="actions executed per chunk"
    )
    r.add_argument("--video", type=positive_int, default=0, help="record the first K episodes")
    r.add_argument("--save-media", type=positive_int, default=0, help="media for first K")
    r.add_argument(
        "--episode-timeout", type=finite_float(0, 86400), default=300.0, help="s per episode"
    )
    r.add_argument(
        "--sample-timeout",
        type=finite_float(0, 86400),
        default=300.0,
        help="seconds per model call of a static task (a hung call records an error)",
    )
    r.add_argument("--sweep", metavar="KEY", help="model arg whose glob is a checkpoint sweep")
    r.add_argument("--label", help="run-directory label for the model (default: its name)")
    r.add_argument("--cache", help="response cache directory")
    r.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    r.add_argument("--executor", choices=["local", "process", "ray"], default="local")
    r.add_argument(
        "--isolate-model",
        action="store_true",
        help="run the model in a spawned worker process, so a model that exits or crashes "
        "(os._exit, a segfault) fails the run in one line instead of killing it (the process "
        "executor with one worker; costs its start-up, a few seconds)",
    )
    r.add_argument("--ray-address", help="join a Ray cluster: auto or HOST:PORT")
    r.add_argument("--model-placement", choices=["replicate", "shared"], default="replicate")
    r.add_argument(
        "--seal",
        metavar="SECRET_FILE",
        help=f"sealed run: derive seeds and request ids from this secret (default: "
        f"${SEAL_FILE_ENV} if set); see the README's 'Open and sealed runs'",
    )
    r.add_argument(
        "--restart",
        action="store_true",
        help="move an existing run directory aside (<dir>.old-<time>) and start afresh",
    )
    r.add_argument(
        "--pipeline",
        choices=["auto", "on", "off"],
        default="auto",
        help="closed loop: a second group of --workers envs steps while the model serves the "
        "first (on: always; auto: once measured rounds predict a 1.3x gain; off: lockstep)",
    )
    r.add_argument(
        "--until",
        help="ci-width=W: stop each task once its main metric's anytime-valid 95%% CI is "
        "narrower than W (runs in blocks of --batch-size; --limit caps it)",
    )
    r.add_argument(
        "--gpu-hour-cost",
        type=finite_float(0.0, 1e6),
        help="price of a model GPU hour: the manifest's cost section gives the cost per sample",
    )


def command(args: argparse.Namespace) -> int:
    """Run every task (or every model of a checkpoint sweep) and print its metrics."""
    if args.limit is not None and args.episodes is not None:
        raise UserError("give --limit or --episodes, not both")
    limit = args.limit if args.limit is not None else args.episodes
    if limit == 0:
        raise UserError("--limit/--episodes must be at least 1")
    if args.batch_size == 0:
        raise UserError("--batch-size must be at least 1")
    if args.workers == 0:
        raise UserError("--workers must be at least 1")
    model_args = parse_model_args(args.model_args)
    # Paths are checked before anything is written: a bad --out is one line, no directory.
    writable_dir(Path(args.out), "--out")
    if args.cache:
        writable_dir(Path(args.cache), "--cache")
    seal_file = args.seal or os.environ.get(SEAL_FILE_ENV) or None
    seal = Seal.from_file(seal_file) if seal_file else None
    if args.suite:
        suite = load_suite(args.suite)
        tasks = [(e.task, limit if limit is not None else e.limit) for e in suite.tasks]
    else:
        tasks = [(t.strip(), limit) for t in args.tasks.split(",") if t.strip()]
        if not tasks:
            raise UserError("--tasks is empty")
    options = RunOptions(
        limit=limit,
        seed=args.seed,
        batch_size=args.batch_size,
        max_errors=args.max_errors,
        out=Path(args.out),
        media=max(args.video, args.save_media),
        workers=args.workers,
        replan_every=args.replan_every,
        episode_timeout_s=args.episode_timeout,
        sample_timeout_s=args.sample_timeout,
        progress=not args.no_progress and verbosity(args) >= 0,
        label=args.label,
        cache_dir=Path(args.cache) if args.cache else None,
        executor=_executor(args),
        ray_address=args.ray_address,
        model_placement=args.model_placement,
        seal=seal,
        restart=args.restart,
        pipeline=args.pipeline,
        until_ci_width=parse_until(args.until) if args.until else None,
        gpu_hour_cost=args.gpu_hour_cost,
    )
    if seal is not None:
        print(f"sealed run (secret commitment {seal.commitment[:16]}...)", file=sys.stderr)
    printer = RunPrinter(verbosity(args))
    runs = []
    for label, sweep_args in _expand_sweep(args.model, model_args, args.label, args.sweep):
        opts = replace(options, label=label) if label else options
        runs += evaluate(
            args.model, sweep_args, tasks, opts, skip_unsupported=bool(args.suite), listener=printer
        )
    hint = footer(runs, verbosity(args))
    if hint:
        print(hint, file=sys.stderr)
    return EXIT_OK


def _executor(args: argparse.Namespace) -> str:
    """``--isolate-model`` is the process executor: the driver never runs model code."""
    if args.isolate_model and args.executor == "ray":
        raise UserError("--isolate-model and --executor ray: Ray workers already isolate the model")
    return "process" if args.isolate_model else args.executor


def _expand_sweep(
    model: str, model_args: dict[str, Any], label: str | None, sweep: str | None = None
) -> list[tuple[str | None, dict[str, Any]]]:
    """Expand a checkpoint glob (``checkpoint=ckpts/step_*.safetensors``) into a sweep.

    Only the ``checkpoint`` argument, or the one named by ``--sweep KEY``, is a glob: any other
    value keeps its ``?``, ``*`` and ``[`` (``system_prompt=Are you sure?``). Each match runs
    as its own model into its own run directory, labelled ``MODEL@step_N``. The step is
    parsed from the file name (``step_N``) or, failing that, read from a ``steps.json``
    (``{"file name": step}``) beside the checkpoints.
    """
    if sweep is not None and sweep not in model_args:
        raise UserError(f"--sweep {sweep}: no such --model-args key")
    key = sweep or "checkpoint"
    value = model_args.get(key)
    if not isinstance(value, str) or not glob.has_magic(value):
        if sweep is not None:
            raise UserError(f"--sweep {sweep}: its value {value!r} is not a glob pattern")
        return [(label, model_args)]
    matches = sorted(glob.glob(model_args[key]))
    if not matches:
        raise UserError(f"--model-args {key}={model_args[key]} matches no file")
    out = []
    for path in matches:
        step = parse_step(Path(path).name)
        if step is None:
            steps_file = Path(path).parent / "steps.json"
            try:
                step = int(json.loads(steps_file.read_text())[Path(path).name])
            except (OSError, KeyError, ValueError, TypeError):
                raise UserError(
                    f"cannot tell the training step of {path}: name it step_N or list it in "
                    f"{steps_file}"
                ) from None
        out.append((step, path))
    out.sort()
    return [(f"{label or model}@step_{step}", {**model_args, key: p}) for step, p in out]
