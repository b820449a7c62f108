"""Measure the data half of the task cards: reference scores with n and seconds per sample.

For every task given, runs its reference models (oracle = ceiling, the floors of its family)
on the first n samples with seed 0, and times the ``random`` model (the harness + simulator
cost a user's model adds its own time to). Writes ``cosmos3_eval/data/cards.yaml``, which
``cosmos3-eval describe TASK`` and ``list tasks`` read. Rerun after bumping a task version.

    python benchmarks/perf/task_cards.py [--tasks physqa-sim-v1,push-block-v1] [--n 40]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import tempfile
import time

import yaml

import cosmos3_eval
from cosmos3_eval.api.resources import data_path
from cosmos3_eval.engine.cards import load_cards, task_card

REFERENCES = {
    "answer": {"oracle": "ceiling", "random": "chance"},
    "generate_images": {"oracle": "ceiling", "random": "noise", "blank": "do-nothing"},
    "generate_videos": {"oracle": "ceiling", "random": "noise", "static": "do-nothing"},
    "act": {"oracle": "ceiling (scripted expert)", "random": "chance", "zero": "do-nothing"},
}
"""Reference models per capability and the role each plays on the card."""

CHEAP = "physqa-sim-v1,compose-t2i-v2,physics-i2v-v2,gym-reacher-v1,push-block-v1"


def machine() -> str:
    """A short description of this machine (the cards' reference machine)."""
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Mesa CPU GL"


def measure(task: str, n: int, out: str) -> dict:
    """The card entry of one task."""
    kind = task_card(task).capability
    refs = {}
    cost = None
    for model, role in REFERENCES[kind].items():
        t0 = time.perf_counter()
        (r,) = cosmos3_eval.evaluate(model, [task], limit=n, out=out, label=f"{model}-c")
        seconds = time.perf_counter() - t0
        refs[model] = {
            "value": r.value,
            "ci95": list(r.ci95) if r.ci95 else None,
            "n": r.n,
            "role": role,
        }
        if model == "random":
            cost = seconds / r.n
        print(f"{task:24s} {model:8s} {r.value!s:>8.8} n={r.n}  {seconds:.1f}s", flush=True)
    return {"references": refs, "seconds_per_sample": round(cost, 4), "cost_model": "random"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", default=CHEAP)
    ap.add_argument("--n", type=int, default=40)
    args = ap.parse_args()
    cards = load_cards().model_dump()
    with tempfile.TemporaryDirectory() as out:
        for task in args.tasks.split(","):
            cards["tasks"][task] = measure(task, args.n, out)
    cards["machine"] = machine()
    cards["measured_at"] = datetime.date.today().isoformat()
    path = data_path("cards.yaml")
    header = "# Written by benchmarks/perf/task_cards.py; read by describe TASK and list tasks.\n"
    path.write_text(header + yaml.safe_dump(cards, sort_keys=True, width=100))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
