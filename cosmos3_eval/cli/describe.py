"""``cosmos3-eval describe NAME [--json]``: the card of a task or the arguments of a model.

A task card says what the task measures, how it is scored, its main metric, for policies the
observation keys and the action spec, reference scores with n and the cost per sample; a model
card lists its capabilities and its typed arguments with defaults and help.
"""

import argparse
import textwrap
from typing import Any

from cosmos3_eval.api.model import capabilities
from cosmos3_eval.api.model_args import args_schema, describe_args
from cosmos3_eval.api.registry import MODELS
from cosmos3_eval.cli.common import EXIT_OK
from cosmos3_eval.cli.list import model_class
from cosmos3_eval.engine.cards import TaskCard, task_card
from cosmos3_eval.engine.tasks import available_tasks
from cosmos3_eval.errors import unknown
from cosmos3_eval.results.table import fit_table, print_json, terminal_width


def add_parser(sub: Any) -> None:
    """Add ``describe`` to the subcommand parsers ``sub``."""
    d = sub.add_parser("describe", help="a task's card or a model's arguments")
    d.add_argument("name", help="a task id, a model name, or module:attr")
    d.add_argument("--json", action="store_true", help="print JSON instead of text")


def model_card(name: str) -> dict[str, Any]:
    """Capabilities and typed arguments of a model (its factory is imported, not called)."""
    factory = MODELS.load(name)
    args = describe_args(args_schema(factory))
    return {
        "model": name,
        "target": MODELS.target(name),
        "capabilities": sorted(c.value for c in capabilities(model_class(factory))),
        "description": " ".join((factory.__doc__ or "").split("\n\n")[0].split()).replace("``", ""),
        "args": [a.__dict__ for a in args],
    }


def _para(label: str, text: str, width: int) -> str:
    return textwrap.fill(text, width, initial_indent=f"{label}: ", subsequent_indent="  ")


def format_task_card(card: TaskCard, width: int) -> str:
    """The text of ``describe TASK``."""
    out = [f"{card.task}  ({card.type}, calls model.{card.capability})", ""]
    out.append(_para("measures", card.description, width))
    out.append(f"main metric: {card.main_metric}")
    rows = [[name, line] for name, line in card.metrics.items()]
    out += ["", fit_table(rows, ["metric", "scoring"], width, wrap=["scoring"])]
    if card.instruction is not None:
        out += ["", _para("instruction", card.instruction, width)]
    if card.observation:
        rows = [[k, v] for k, v in card.observation.items()]
        obs = fit_table(
            rows, ["observation key", "shape and meaning"], width, wrap=["shape and meaning"]
        )
        out += ["", obs]
    if card.action:
        a = card.action
        names = ", ".join(f"{n} [{u}]" for n, u in zip(a["names"], a["units"], strict=False))
        spec = (
            f"{a['kind']}: {a['dim']}-D in [{a['low']}, {a['high']}] ({names}); gripper "
            f"{a['gripper']}; rotation {a['rotation']}; {a['control_hz']} Hz; chunk "
            f"{a['chunk_size']}; images {a['image_orientation']}"
        )
        out += ["", _para("action", spec, width)]
    out.append("")
    m = card.measured
    if m is None or not m.references:
        out.append("reference scores: not measured (benchmarks/perf/task_cards.py)")
    else:
        rows = [
            [model, r.role, "-" if r.value is None else f"{r.value:.3f}", _ci(r.ci95), r.n]
            for model, r in m.references.items()
        ]
        headers = ["reference model", "role", card.main_metric, "95% CI", "n"]
        out.append(fit_table(rows, headers, width, right=[card.main_metric, "n"]))
    if m is not None and m.seconds_per_sample is not None:
        where = f" on {card.machine}" if card.machine else ""
        text = (
            f"{m.seconds_per_sample:.3g} s per sample with the '{m.cost_model}' model{where} "
            "(harness + simulator; add your model's time)"
        )
        out.append(_para("cost", text, width))
    return "\n".join(out)


def _ci(ci: list[float] | None) -> str:
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "-"


def format_model_card(card: dict[str, Any], width: int) -> str:
    """The text of ``describe MODEL``."""
    out = [f"{card['model']}  ({card['target']})"]
    if card["description"]:
        out.append(textwrap.fill(card["description"], width))
    out.append(f"capabilities: {', '.join(card['capabilities']) or '(none found)'}")
    if not card["args"]:
        out.append("args: none")
        return "\n".join(out)
    rows = [
        [a["name"], a["type"], "(required)" if a["required"] else repr(a["default"]), a["help"]]
        for a in card["args"]
    ]
    out += ["", fit_table(rows, ["arg", "type", "default", "help"], width, wrap=["help"])]
    out.append("\npass them as --model-args k=v,k2=v2 (values are converted to these types)")
    return "\n".join(out)


def command(args: argparse.Namespace) -> int:
    """Print the card of a task or a model."""
    width = terminal_width()
    tasks = available_tasks()
    if args.name in tasks or args.name.endswith((".yaml", ".yml")):
        card = task_card(args.name)
        if args.json:
            print_json(card.to_json())
        else:
            print(format_task_card(card, width))
        return EXIT_OK
    if args.name in MODELS or ":" in args.name:
        mcard = model_card(args.name)
        if args.json:
            print_json(mcard)
        else:
            print(format_model_card(mcard, width))
        return EXIT_OK
    raise unknown("task or model", args.name, [*tasks, *MODELS.names()])
