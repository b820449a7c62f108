"""Task cards: what a task measures, its reference scores and its cost, for ``describe``.

The measured half of a card (baseline scores with n, seconds per sample on the reference
machine) is data in ``data/cards.yaml``, written by ``benchmarks/perf/task_cards.py``; the rest
comes from the task file and the benchmark class, so a card cannot drift from the code.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from cosmos3_eval.api.config import StrictConfig, read_yaml, validate
from cosmos3_eval.api.registry import BENCHMARK_TYPES
from cosmos3_eval.api.resources import data_path
from cosmos3_eval.engine.tasks import load_benchmark, load_task_file


class ReferenceScore(StrictConfig):
    """The main metric of one reference model on a task (default seed, first n samples)."""

    value: float | None
    ci95: list[float] | None = None
    n: int
    role: str = ""


class MeasuredCard(StrictConfig):
    """The measured half of a card, one entry of ``data/cards.yaml``."""

    references: dict[str, ReferenceScore] = {}
    seconds_per_sample: float | None = None
    cost_model: str = "random"


class CardsFile(StrictConfig):
    """``data/cards.yaml``."""

    machine: str = ""
    measured_at: str = ""
    tasks: dict[str, MeasuredCard] = {}


def load_cards() -> CardsFile:
    """The packaged cards file (empty if it is missing)."""
    path = data_path("cards.yaml")
    if not path.is_file():
        return CardsFile()
    return validate(CardsFile, read_yaml(path) or {}, str(path))


@dataclass(frozen=True)
class TaskCard:
    """Everything ``describe TASK`` prints.

    Attributes:
        task: Task id.
        type: Benchmark type.
        capability: The model method the task calls.
        description: What the task measures (the task file's description).
        main_metric: Name of the headline metric.
        metrics: Metric name -> (direction, CI method, description) lines.
        observation: Observation key -> meaning (closed-loop tasks only).
        action: The action spec as a dict (closed-loop tasks only).
        instruction: The language instruction (closed-loop tasks only).
        measured: Reference scores and cost (``None``: not measured yet).
        machine: The reference machine of ``measured``.
    """

    task: str
    type: str
    capability: str
    description: str
    main_metric: str
    metrics: dict[str, str]
    observation: dict[str, str]
    action: dict[str, Any] | None
    instruction: str | None
    measured: MeasuredCard | None
    machine: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (``describe --json``)."""
        out = {k: v for k, v in self.__dict__.items() if k != "measured"}
        out["measured"] = self.measured.model_dump() if self.measured else None
        return out


def _metric_line(spec: Any) -> str:
    direction = "higher is better" if spec.higher_is_better else "lower is better"
    ci = {"wilson": "Wilson CI", "bootstrap": "bootstrap CI", "normal": "normal CI"}[spec.ci]
    level = "corpus statistic" if spec.level == "corpus" else "mean over samples"
    desc = f"{spec.description}; " if spec.description else ""
    return f"{desc}{level}, {direction}, {ci}"


def task_card(task_id: str) -> TaskCard:
    """Build the card of a task (loads its benchmark class; envs are not started).

    Raises:
        UnknownNameError: Unknown task.
    """
    tf, _ = load_task_file(task_id)
    bench = load_benchmark(task_id)
    try:
        observation: dict[str, str] = {}
        action = instruction = None
        if bench.capability.value == "act":
            observation = bench.observation_keys()
            spec = bench.action_spec()
            action = asdict(spec)
            instruction = bench.instruction()
        cards = load_cards()
        return TaskCard(
            task=tf.task,
            type=tf.type,
            capability=bench.capability.value,
            description=" ".join(tf.description.split()),
            main_metric=bench.main_metric,
            metrics={s.name: _metric_line(s) for s in bench.metric_specs},
            observation=observation,
            action=action,
            instruction=instruction,
            measured=cards.tasks.get(tf.task),
            machine=cards.machine,
        )
    finally:
        bench.close()


def main_metric_of(task_id: str) -> str:
    """The main metric of a task without instantiating its benchmark."""
    tf, _ = load_task_file(task_id)
    return BENCHMARK_TYPES.load(tf.type).main_metric
