"""``cosmos3-eval list tasks | models | suites``."""

import argparse
from typing import Any

from tabulate import tabulate

from cosmos3_eval.api.model import capabilities
from cosmos3_eval.api.registry import BENCHMARK_TYPES, MODELS
from cosmos3_eval.cli.common import EXIT_OK
from cosmos3_eval.engine.tasks import available_suites, available_tasks, load_suite, load_task_file
from cosmos3_eval.errors import UserError


def add_parser(sub: Any) -> None:
    """Add ``list`` to the subcommand parsers ``sub``."""
    ls = sub.add_parser("list", help="list tasks, models or suites")
    ls.add_argument("what", choices=["tasks", "models", "suites"])


def _one_line(text: str, width: int = 90) -> str:
    """The first sentence of a description, cut to ``width`` characters."""
    first = " ".join(text.split()).split(". ")[0].split(": ")[0]
    return first if len(first) <= width else first[: width - 1].rstrip() + "…"


def command(args: argparse.Namespace) -> int:
    """Print one table of the registered tasks, models or suites."""
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
