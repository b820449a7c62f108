"""``cosmos3-eval list tasks | models | suites [--json]``."""

import argparse
import typing
from typing import Any

from cosmos3_eval.api.model import capabilities
from cosmos3_eval.api.model_args import args_schema, describe_args
from cosmos3_eval.api.registry import BENCHMARK_TYPES, MODELS
from cosmos3_eval.cli.common import EXIT_OK
from cosmos3_eval.engine.cards import load_cards
from cosmos3_eval.engine.tasks import available_suites, available_tasks, load_suite, load_task_file
from cosmos3_eval.errors import UserError
from cosmos3_eval.results.table import fit_table, print_json


def add_parser(sub: Any) -> None:
    """Add ``list`` to the subcommand parsers ``sub``."""
    ls = sub.add_parser("list", help="list tasks, models or suites (details: describe NAME)")
    ls.add_argument("what", choices=["tasks", "models", "suites"])
    ls.add_argument("--json", action="store_true", help="print JSON records instead of a table")


SHORT_CAPABILITY = {
    "answer": "answer",
    "generate_images": "images",
    "generate_videos": "videos",
    "act": "act",
    "act_with_video": "act+video",
    "infer_actions": "inverse",
}
"""Capability -> the short name tables print (the method names are long)."""


def model_class(factory: Any) -> Any:
    """The class a factory builds: itself, or a factory function's return annotation."""
    if isinstance(factory, type):
        return factory
    try:
        built = typing.get_type_hints(factory).get("return")
    except Exception:  # unresolvable annotations: the function is all we know
        return factory
    return built if isinstance(built, type) else factory


def first_sentence(text: str) -> str:
    """The first sentence of a description, whitespace collapsed (never cut: tables wrap)."""
    return " ".join(text.split()).split(". ")[0].rstrip(".")


def task_records() -> list[dict[str, Any]]:
    """One record per task file: id, capability, main metric, cost, description."""
    cards = load_cards().tasks
    out = []
    for task_id in available_tasks():
        tf, _ = load_task_file(task_id)
        cls = BENCHMARK_TYPES.load(tf.type)
        card = cards.get(task_id)
        out.append(
            {
                "task": task_id,
                "capability": cls.capability.value,
                "main_metric": cls.main_metric,
                "seconds_per_sample": card.seconds_per_sample if card else None,
                "description": " ".join(tf.description.split()),
            }
        )
    return out


def model_records() -> list[dict[str, Any]]:
    """One record per registered model: capabilities, arguments, description."""
    out = []
    for name in MODELS.names():
        try:
            obj = MODELS.load(name)
        except UserError as exc:
            out.append({"model": name, "unavailable": str(exc)})
            continue
        caps = sorted(c.value for c in capabilities(model_class(obj)))
        args = [a.name for a in describe_args(args_schema(obj))]
        doc = (obj.__doc__ or "").strip().split("\n")[0].replace("``", "")
        out.append({"model": name, "capabilities": caps, "args": args, "description": doc})
    return out


def suite_records() -> list[dict[str, Any]]:
    """One record per suite."""
    out = []
    for name in available_suites():
        s = load_suite(name)
        tasks = [{"task": e.task, "limit": e.limit} for e in s.tasks]
        out.append(
            {"suite": name, "version": s.version, "tasks": tasks, "description": s.description}
        )
    return out


def _cost(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2g}s"


def command(args: argparse.Namespace) -> int:
    """Print one table (or JSON list) of the registered tasks, models or suites."""
    records = {"tasks": task_records, "models": model_records, "suites": suite_records}[args.what]()
    if args.json:
        print_json(records)
        return EXIT_OK
    if args.what == "tasks":
        rows = [
            [
                r["task"],
                SHORT_CAPABILITY[r["capability"]],
                r["main_metric"],
                _cost(r["seconds_per_sample"]),
                first_sentence(r["description"]),
            ]
            for r in records
        ]
        headers = ["task", "capability", "main metric", "s/sample", "description"]
        wrap = ["description"]
    elif args.what == "models":
        rows = [
            [
                r["model"],
                ",".join(SHORT_CAPABILITY[c] for c in r["capabilities"]),
                ", ".join(r["args"]) or "-",
                r["description"],
            ]
            if "unavailable" not in r
            else [r["model"], "-", "-", f"(unavailable: {r['unavailable']})"]
            for r in records
        ]
        headers = ["model", "capabilities", "args", "description"]
        wrap = headers[2:]
    else:
        rows = [
            [r["suite"], r["version"], len(r["tasks"]), first_sentence(r["description"])]
            for r in records
        ]
        headers = ["suite", "version", "tasks", "description"]
        wrap = ["description"]
    print(fit_table(rows, headers, wrap=wrap))
    return EXIT_OK
