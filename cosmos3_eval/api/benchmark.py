"""Benchmark base classes: static (sample -> request -> output -> scores) and closed-loop.

A task file in ``tasks/`` names a benchmark type from
:data:`cosmos3_eval.api.registry.BENCHMARK_TYPES` and gives its config, which the type's
``Config`` (a strict pydantic model: unknown key = error) validates.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from cosmos3_eval.api.config import StrictConfig
from cosmos3_eval.api.metrics import MetricSpec, MetricValue, Score
from cosmos3_eval.api.model import Capability, call_batched
from cosmos3_eval.api.seal import Seal
from cosmos3_eval.api.types import ActionSpec


def derive_seed(task_id: str, index: int, base_seed: int, split: str = "eval") -> int:
    """Per-sample seed from (task, sample index, base seed), independent of execution order.

    Args:
        task_id: e.g. ``"physqa-sim-v1"``.
        index: Sample / episode index within the task.
        base_seed: The run's ``--seed``.
        split: ``"eval"`` (what every run uses; byte-identical to the unsplit derivation) or
            ``"train"`` (exported training data): a different hash domain with bit 31 set, so
            train seeds lie in ``[2**31, 2**32)`` and can never equal an eval seed.

    Returns:
        Eval: a 31-bit non-negative int (fits every RNG seed API, including MuJoCo /
        robosuite). Train: a 32-bit int (still fits ``np.random.seed``).
    """
    if split == "eval":
        digest = hashlib.sha256(f"{task_id}|{index}|{base_seed}".encode()).digest()
        return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF
    if split != "train":
        raise ValueError(f"split must be 'eval' or 'train', got {split!r}")
    digest = hashlib.sha256(f"train|{task_id}|{index}|{base_seed}".encode()).digest()
    return (int.from_bytes(digest[:4], "little") & 0x7FFFFFFF) | 0x80000000


def sample_id(task_id: str, index: int) -> str:
    """The stable id of sample ``index`` of a task, used to pair runs and resume."""
    return f"{task_id}/{index:06d}"


@dataclass(frozen=True)
class Sample:
    """One static sample: enough to regenerate its media deterministically.

    Attributes:
        id: Stable id (:func:`sample_id`).
        index: Index within the task.
        seed: Per-sample seed (:func:`derive_seed`).
        category: Breakdown category (e.g. the question type).
        data: JSON-safe description (question, choices, target, ...), written to the record.
            Never pixels: media is regenerated from ``seed``.
    """

    id: str
    index: int
    seed: int
    category: str = "all"
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scored:
    """The result of scoring one output.

    Attributes:
        scores: Metric name -> :class:`Score`.
        output: JSON-safe summary of the model output for the record (text, extracted answer,
            artifact path, ...).
    """

    scores: dict[str, Score]
    output: Any = None


@dataclass(frozen=True)
class EpisodeSpec:
    """One closed-loop episode to run."""

    id: str
    index: int
    seed: int
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RolloutContext:
    """Run options a closed-loop benchmark's rollout engine needs.

    Attributes:
        workers: Number of env worker processes.
        batch_size: Max requests per ``act`` call (0 = all envs in flight).
        replan_every: Steps of each chunk executed open-loop (``None`` = chunk length).
        video: Record videos for episodes with ``index < video``.
        artifacts_dir: Where videos go.
        privileged: Whether the model may receive privileged state (oracle).
        episode_timeout_s: Wall-clock limit per episode; a hung worker is killed.
        seal: A sealed run's secret: the model then receives keyed episode ids and seeds
            (:func:`cosmos3_eval.api.seal.seal_request`); ``None`` in an open run.
        pipeline_groups: Up to this many groups of ``workers`` envs, stepping while the model
            serves another group (1 = lockstep; see :mod:`cosmos3_eval.engine.pipeline`).
        pipeline_adaptive: Start in lockstep and pipeline only once the measured rounds
            predict a gain (``--pipeline auto``; ``engine.pipeline.PipelineProbe``).
    """

    workers: int = 1
    batch_size: int = 0
    replan_every: int | None = None
    video: int = 0
    artifacts_dir: Path | None = None
    privileged: bool = False
    episode_timeout_s: float = 300.0
    seal: Seal | None = None
    pipeline_groups: int = 1
    pipeline_adaptive: bool = False


class Benchmark:
    """Common base: identity, config and metrics of a benchmark.

    Subclasses set the class variables and implement either :class:`StaticBenchmark` or
    :class:`ClosedLoopBenchmark`.

    Args:
        task_id: ``name-vN`` of the task file that configures this benchmark.
        config: Validated instance of ``Config``.
        task_dir: Folder of the task file (relative data paths resolve against it).
    """

    type_name: ClassVar[str] = ""
    capability: ClassVar[Capability]
    Config: ClassVar[type[StrictConfig]] = StrictConfig
    main_metric: ClassVar[str] = "accuracy"
    metric_specs: ClassVar[tuple[MetricSpec, ...]] = (MetricSpec("accuracy", ci="wilson"),)
    default_size: ClassVar[int] = 100

    def __init__(self, task_id: str, config: StrictConfig, task_dir: Path):
        self.task_id = task_id
        self.config = config
        self.task_dir = task_dir

    @property
    def version(self) -> int:
        """The integer N of ``name-vN``."""
        return int(self.task_id.rsplit("-v", 1)[1])

    def provenance(self) -> dict[str, Any]:
        """Extra facts for the manifest that can move a score (renderer settings, ...)."""
        return {}

    def assets(self) -> list[Path]:
        """Every file besides the task file and the package's code that can move a score.

        Data files, media, MJCF models, scorer checkpoints: the runner hashes each into the
        run's fingerprint, so an edited asset is never resumed into an old run. Paths inside
        :attr:`task_dir` are named relative to it. Default: none.
        """
        return []

    def num_samples(self) -> int | None:
        """Number of samples available, or ``None`` when generated without limit."""
        return None

    def check_model(self, model: Any) -> None:
        """Raise a :class:`~cosmos3_eval.errors.UserError` if ``model`` cannot run this task.

        Called before the run directory is created, so a mismatch leaves nothing behind.
        """

    def corpus_metrics(self, records: list[dict[str, Any]]) -> dict[str, MetricValue]:
        """Metrics over the whole set of records (default: none)."""
        return {}

    def close(self) -> None:
        """Release resources (renderers, envs)."""


class StaticBenchmark(Benchmark):
    """A benchmark of independent samples: build a request, call the model, score."""

    def sample(self, index: int, seed: int) -> Sample:
        """Describe sample ``index`` (cheap: no rendering)."""
        raise NotImplementedError

    def request(self, sample: Sample, privileged: bool) -> Any:
        """Build the model request for ``sample`` (renders media).

        Args:
            sample: The sample.
            privileged: Attach ground truth for an oracle model. When ``False`` the request's
                ``privileged`` field must be ``None`` (the runner checks).
        """
        raise NotImplementedError

    def score(self, sample: Sample, request: Any, output: Any) -> Scored:
        """Score one output; raise :class:`~cosmos3_eval.errors.ModelOutputError` if invalid."""
        raise NotImplementedError

    def call_model(self, method: Any, requests: list[Any]) -> list[Any]:
        """Outputs for a batch of :meth:`request` results: by default one batched call.

        A benchmark that drives its own simulator in a closed loop (``imagine-push``)
        overrides this to call ``method`` once per decision round for all its episodes, and
        returns one trace (or :class:`Exception`) per request for :meth:`score`.
        """
        return call_batched(method, requests)

    def save_media(self, sample: Sample, request: Any, output: Any, out_dir: Path) -> str | None:
        """Write a media artifact for this sample into ``out_dir``; return its file name."""
        return None


class ClosedLoopBenchmark(Benchmark):
    """A benchmark of closed-loop episodes in simulated envs."""

    capability: ClassVar[Capability] = Capability.ACT
    main_metric: ClassVar[str] = "success"

    def action_spec(self) -> ActionSpec:
        """The action convention this task expects."""
        raise NotImplementedError

    def episode(self, index: int, seed: int) -> EpisodeSpec:
        """Describe episode ``index``."""
        raise NotImplementedError

    def observation_keys(self) -> dict[str, str]:
        """``Observation`` key (``images[cam]``, ``proprio[name]``) -> shape and meaning.

        The documented contract of what a policy receives; ``describe TASK`` prints it.
        """
        return {}

    def instruction(self) -> str:
        """The language instruction given to the policy."""
        raise NotImplementedError

    def episode_instruction(self, spec: EpisodeSpec) -> str:
        """The instruction of one episode (multi-task families such as LIBERO override this)."""
        return self.instruction()

    def env_pool(self, n_workers: int) -> Any:
        """``n_workers`` env worker processes (a :class:`cosmos3_eval.sim.vector.WorkerPool`).

        The rollout engine steps them; the benchmark owns them and stops them in :meth:`close`
        (which the engine also calls when a rollout is interrupted mid-episode).
        """
        raise NotImplementedError

    def video_fps(self) -> float:
        """Frame rate of saved episode videos."""
        raise NotImplementedError


def score_values(scores: dict[str, Score]) -> tuple[dict[str, float], dict[str, str]]:
    """Split ``Score`` records into value and reason maps for a samples.jsonl record."""
    return (
        {k: float(s.value) for k, s in scores.items()},
        {k: s.reason for k, s in scores.items() if s.reason},
    )
