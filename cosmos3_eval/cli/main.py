"""``cosmos3-eval run | list | leaderboard | compare | report | serve``.

Exit codes: 0 done; 1 the run failed (e.g. error budget exceeded) or, for ``compare``, a
regression; 2 a user error (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

from cosmos3_eval.cli import sim_env
from cosmos3_eval.errors import Cosmos3EvalError, RunFailed, UserError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{self.prog}: {message}")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative number, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The CLI's argument parser."""
    p = _Parser(prog="cosmos3-eval", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="evaluate a model on tasks or a suite")
    r.add_argument("--model", required=True, help="registered model name (see 'list models')")
    r.add_argument("--model-args", default="", help="k=v,k2=v2 passed to the model factory")
    which = r.add_mutually_exclusive_group(required=True)
    which.add_argument("--tasks", help="comma-separated task ids or task-file paths")
    which.add_argument("--suite", help="suite name (see 'list suites') or path")
    r.add_argument("--limit", type=_positive_int, help="samples per task")
    r.add_argument("--episodes", type=_positive_int, help="episodes per closed-loop task")
    r.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    r.add_argument("--batch-size", type=_positive_int, default=8, help="requests per model call")
    r.add_argument("--out", default="results", help="parent directory of run directories")
    r.add_argument("--max-errors", type=_positive_int, help="error budget per task")
    r.add_argument("--workers", type=_positive_int, default=1, help="env worker processes")
    r.add_argument("--replan-every", type=_positive_int, help="actions executed per chunk")
    r.add_argument("--video", type=_positive_int, default=0, help="record the first K episodes")
    r.add_argument("--save-media", type=_positive_int, default=0, help="media for first K")
    r.add_argument("--episode-timeout", type=float, default=300.0, help="seconds per episode")
    r.add_argument("--label", help="run-directory label for the model (default: its name)")
    r.add_argument("--cache", help="response cache directory")
    r.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    r.add_argument("--executor", choices=["local", "process", "ray"], default="local")
    r.add_argument("--ray-address", help="join a Ray cluster: auto or HOST:PORT")
    r.add_argument("--model-placement", choices=["replicate", "shared"], default="replicate")

    ls = sub.add_parser("list", help="list tasks, models or suites")
    ls.add_argument("what", choices=["tasks", "models", "suites"])

    lb = sub.add_parser("leaderboard", help="build leaderboard tables from run directories")
    lb.add_argument("results", nargs="+", help="results directories or run directories")
    lb.add_argument("--out", default="leaderboard", help="output directory")
    lb.add_argument("--schema", help="leaderboard schema (default leaderboard/schema.yaml)")

    c = sub.add_parser("compare", help="paired comparison of two result sets (CI gate)")
    c.add_argument("base", help="baseline results directory")
    c.add_argument("new", help="candidate results directory")
    c.add_argument("--max-drop", type=float, default=0.02, help="tolerated drop (absolute)")
    c.add_argument("--alpha", type=float, default=0.05, help="significance level")

    rp = sub.add_parser("report", help="write a static HTML report")
    rp.add_argument("results", nargs="+", help="results directories")
    rp.add_argument("--out", default="report", help="output directory")

    s = sub.add_parser("serve", help="serve a registered model over a network protocol")
    s.add_argument("--model", required=True)
    s.add_argument("--model-args", default="")
    s.add_argument("--protocol", required=True, choices=["openai", "vllm-omni", "openpi"])
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=_positive_int, default=8000)
    sim_env.add_parser(sub)
    return p


def _print_metrics(run: Any) -> None:
    from tabulate import tabulate

    m = run.metrics
    rows = []
    main_prefix = m["main_metric"] + "/"
    hidden = 0
    for name, v in m["metrics"].items():
        # Every metric, but breakdowns of the main metric only: the rest is in metrics.json.
        if "/" in name and not name.startswith(main_prefix):
            hidden += 1
            continue
        if v["value"] is None:
            rows.append([name, "-", "-", "-", v["n"]])
            continue
        ci = v["ci95"]
        rows.append(
            [
                name + (" *" if name == m["main_metric"] else ""),
                f"{v['value']:.4f}",
                f"{v['stderr']:.4f}" if v["stderr"] is not None else "-",
                f"[{ci[0]:.4f}, {ci[1]:.4f}]" if ci else "-",
                v["n"],
            ]
        )
    print(f"\n{m['task']}  model={m['model']}  n={m['n_samples']}  errors={m['n_errors']}")
    print(f"run: {run.run_dir}  ({run.n_new} new, {run.seconds:.1f}s)")
    for note in run.notes:
        print(f"note: {note}")
    print(
        tabulate(
            rows,
            headers=["metric", "value", "stderr", "95% CI", "n"],
            tablefmt="github",
            disable_numparse=True,
        )
    )
    if hidden:
        print(f"({hidden} more per-category breakdowns in {run.run_dir / 'metrics.json'})")


def _cmd_run(args: argparse.Namespace) -> int:
    from cosmos3_eval.engine.runner import RunOptions, evaluate
    from cosmos3_eval.engine.tasks import load_suite, parse_model_args

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
        progress=not args.no_progress,
        label=args.label,
        cache_dir=Path(args.cache) if args.cache else None,
        executor=args.executor,
        ray_address=args.ray_address,
        model_placement=args.model_placement,
    )
    for label, sweep_args in _expand_sweep(args.model, model_args, args.label):
        opts = replace(options, label=label) if label else options
        runs = evaluate(args.model, sweep_args, tasks, opts, skip_unsupported=bool(args.suite))
        for run in runs:
            _print_metrics(run)
    return EXIT_OK


def _expand_sweep(
    model: str, model_args: dict[str, Any], label: str | None
) -> list[tuple[str | None, dict[str, Any]]]:
    """Expand a glob in a model arg (``checkpoint=ckpts/step_*.safetensors``) into a sweep.

    Each match runs as its own model into its own run directory, labelled ``MODEL@step_N``.
    The step is parsed from the file name (``step_N``) or, failing that, read from a
    ``steps.json`` (``{"file name": step}``) beside the checkpoints.
    """
    import glob
    import json

    from cosmos3_eval.report.sweep import parse_step

    globbed = [k for k, v in model_args.items() if isinstance(v, str) and glob.has_magic(v)]
    if not globbed:
        return [(label, model_args)]
    if len(globbed) > 1:
        raise UserError(f"only one --model-args value may be a glob, got {', '.join(globbed)}")
    key = globbed[0]
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


def _one_line(text: str, width: int = 90) -> str:
    """The first sentence of a description, cut to ``width`` characters."""
    first = " ".join(text.split()).split(". ")[0].split(": ")[0]
    return first if len(first) <= width else first[: width - 1].rstrip() + "…"


def _cmd_list(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from cosmos3_eval.api.model import capabilities
    from cosmos3_eval.api.registry import BENCHMARK_TYPES, MODELS
    from cosmos3_eval.engine.tasks import (
        available_suites,
        available_tasks,
        load_suite,
        load_task_file,
    )

    rows: list[list[Any]] = []
    if args.what == "tasks":
        for task_id in available_tasks():
            tf, _ = load_task_file(task_id)
            cls = BENCHMARK_TYPES.load(tf.type)
            version = task_id.rsplit("-v", 1)[1]
            rows.append([task_id, version, cls.capability.value, _one_line(tf.description)])
        headers = ["task", "version", "capability", "description"]
    elif args.what == "models":
        for name in MODELS.names():
            try:
                obj = MODELS.load(name)
            except UserError as exc:
                rows.append([name, "-", f"(unavailable: {exc})"])
                continue
            caps = ",".join(c.value for c in sorted(capabilities(obj), key=lambda c: c.value))
            doc = (obj.__doc__ or "").strip().split("\n")[0]
            rows.append([name, caps, doc])
        headers = ["model", "capabilities", "description"]
    else:
        for name in available_suites():
            s = load_suite(name)
            rows.append([name, s.version, len(s.tasks), _one_line(s.description)])
        headers = ["suite", "version", "tasks", "description"]
    print(tabulate(rows, headers=headers, tablefmt="simple"))
    return EXIT_OK


def _cmd_leaderboard(args: argparse.Namespace) -> int:
    from cosmos3_eval.results.leaderboard import build_leaderboard

    board = build_leaderboard(
        [Path(p) for p in args.results], Path(args.out), Path(args.schema) if args.schema else None
    )
    print(board.markdown)
    print(f"\nwrote {', '.join(str(p) for p in board.files)}")
    return EXIT_OK


def _cmd_compare(args: argparse.Namespace) -> int:
    from cosmos3_eval.results.compare import compare_main

    return compare_main(Path(args.base), Path(args.new), args.max_drop, args.alpha)


def _cmd_report(args: argparse.Namespace) -> int:
    from cosmos3_eval.report import write_report

    out = write_report([Path(p) for p in args.results], Path(args.out))
    print(f"wrote {out}")
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    from cosmos3_eval.engine.tasks import parse_model_args
    from cosmos3_eval.serve.app import serve_main

    serve_main(args.model, parse_model_args(args.model_args), args.protocol, args.host, args.port)
    return EXIT_OK


_COMMANDS = {
    "run": _cmd_run,
    "list": _cmd_list,
    "leaderboard": _cmd_leaderboard,
    "compare": _cmd_compare,
    "report": _cmd_report,
    "serve": _cmd_serve,
    "sim-env": sim_env.run,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``cosmos3-eval`` console script; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        return _COMMANDS[args.command](args)
    except UserError as exc:
        print(f"cosmos3-eval: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RunFailed as exc:
        print(f"cosmos3-eval: run failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except Cosmos3EvalError as exc:
        print(f"cosmos3-eval: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("cosmos3-eval: interrupted (rerun the same command to resume)", file=sys.stderr)
        return 130
