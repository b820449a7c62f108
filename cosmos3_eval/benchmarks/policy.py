"""Closed-loop policy benchmarks: robosuite, gymnasium MuJoCo and the project's push-block.

A policy task is its config, env (kind, kwargs, a warm pool of env worker processes), action
spec, instruction, episode specs and metrics; :mod:`cosmos3_eval.engine.rollout` runs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

from cosmos3_eval.api.actions import check_action_spec
from cosmos3_eval.api.benchmark import (
    ClosedLoopBenchmark,
    EpisodeSpec,
    sample_id,
)
from cosmos3_eval.api.config import StrictConfig
from cosmos3_eval.api.metrics import MetricSpec
from cosmos3_eval.api.types import ActionSpec
from cosmos3_eval.errors import DataError
from cosmos3_eval.sim.envs.kinds import env_class
from cosmos3_eval.sim.envs.robosuite import INSTRUCTIONS
from cosmos3_eval.sim.render import render_provenance
from cosmos3_eval.sim.vector import EnvSpec, WorkerPool


def camera_and_proprio_keys(
    cameras: Sequence[str], image_size: int, proprio: dict[str, str], orientation: str
) -> dict[str, str]:
    """The observation contract of a policy task: its camera images and proprio vectors."""
    size = f"({image_size}, {image_size}, 3) uint8"
    out = {f"images[{c!r}]": f"{size}, {orientation}" for c in cameras}
    out.update({f"proprio[{k!r}]": f"float32 {v}" for k, v in proprio.items()})
    return out


class PolicyConfig(StrictConfig):
    """Options shared by every policy task.

    Attributes:
        horizon: Max env steps per episode (``None`` = the env's default).
        image_size: Square camera image size.
        cameras: Cameras in the observation (``None`` = the env's default).
        video_fps: Frame rate of saved episode videos.
    """

    horizon: int | None = None
    image_size: int = 128
    cameras: list[str] | None = None
    video_fps: float = 20.0


class RobosuiteConfig(PolicyConfig):
    """robosuite task options (Panda, BASIC composite controller).

    Attributes:
        task: robosuite environment name.
        construction_seed: ``suite.make`` seed (fixes object sizes for the task version).
        use_latch: Door only: the handle must be turned before pulling.
    """

    task: Literal["Lift", "Door", "Stack", "PickPlaceCan"]
    construction_seed: int = 0
    use_latch: bool = False


class GymConfig(PolicyConfig):
    """gymnasium MuJoCo task options.

    Attributes:
        env: ``reacher`` (Reacher-v5) or ``pusher`` (Pusher-v5).
        success_threshold: Distance (m) of the success predicate (``None`` = env default).
    """

    env: Literal["reacher", "pusher"]
    success_threshold: float | None = None


class PushBlockConfig(PolicyConfig):
    """push-block options.

    Attributes:
        max_speed: Pusher speed at action 1 (m/s).
        mjcf: The MJCF scene, relative to the task file's folder.
    """

    max_speed: float = 0.3
    mjcf: str = "assets/push_block.xml"


class PolicyBenchmark(ClosedLoopBenchmark):
    """Base of the policy benchmark types: env spec, action spec, instruction, metrics."""

    Config: ClassVar[type[StrictConfig]] = PolicyConfig
    main_metric: ClassVar[str] = "success"
    default_size: ClassVar[int] = 50
    metric_specs: ClassVar[tuple[MetricSpec, ...]] = (
        MetricSpec("success", ci="wilson", description="episode success rate (info.is_success)"),
        MetricSpec(
            "return",
            ci="bootstrap",
            on_error=None,
            breakdown=False,
            description="sum of env rewards (shaped where the env defines one)",
        ),
        MetricSpec(
            "steps_to_success",
            higher_is_better=False,
            on_error=None,
            breakdown=False,
            description="env steps until success (successful episodes only)",
        ),
    )

    env_kind: ClassVar[str] = ""

    def env_kwargs(self) -> dict[str, Any]:
        """JSON-safe arguments of the env kind (sent to worker processes)."""
        cfg = self.config
        kw: dict[str, Any] = {"image_size": cfg.image_size}
        if cfg.horizon is not None:
            kw["horizon"] = cfg.horizon
        if cfg.cameras is not None:
            kw["cameras"] = list(cfg.cameras)
        return kw

    def env_spec(self) -> EnvSpec:
        """The worker's env."""
        return EnvSpec(self.env_kind, self.env_kwargs())

    def _env_class(self) -> Any:
        return env_class(self.env_kind)

    def action_spec(self) -> ActionSpec:
        return self._env_class().action_spec

    def instruction(self) -> str:
        """The language instruction given to the policy."""
        return self._env_class().instruction

    def observation_keys(self) -> dict[str, str]:
        cls = self._env_class()
        return camera_and_proprio_keys(
            self.config.cameras or cls.default_cameras,
            self.config.image_size,
            cls.proprio_keys,
            self.action_spec().image_orientation,
        )

    def episode(self, index: int, seed: int) -> EpisodeSpec:
        return EpisodeSpec(id=sample_id(self.task_id, index), index=index, seed=seed)

    def provenance(self) -> dict[str, Any]:
        return {"env": {"kind": self.env_kind, **self.env_kwargs()}, "render": render_provenance()}

    def check_model(self, model: Any) -> None:
        """The action contract: the model's declared action space must equal the task's."""
        info = getattr(model, "info", None)
        check_action_spec(
            self.action_spec(),
            getattr(info, "action_spec", None),
            task_name=self.task_id,
            model_name=getattr(info, "name", type(model).__name__),
        )

    def env_pool(self, n_workers: int) -> WorkerPool:
        """At least ``n_workers`` env processes of this task, kept warm until :meth:`close`.

        Executors run one rollout per shard, so restarting simulators each time would dominate;
        a pool the pipelined scheduler grew stays grown (the rollout uses what it needs).
        """
        pool = getattr(self, "_pool", None)
        if pool is None:
            self._pool: WorkerPool | None = WorkerPool(self.env_spec(), n_workers)
            return self._pool
        pool.grow(n_workers)
        pool.wait_ready()
        return pool

    def video_fps(self) -> float:
        return self.config.video_fps

    def close(self) -> None:
        """Stop the env worker processes."""
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.close()
            self._pool = None


class RobosuitePolicy(PolicyBenchmark):
    """robosuite Lift / Door / Stack / PickPlaceCan with a Panda (OSC_POSE, 7-D deltas)."""

    type_name = "robosuite"
    Config = RobosuiteConfig
    env_kind = "robosuite"

    def env_kwargs(self) -> dict[str, Any]:
        kw = super().env_kwargs()
        kw.update(task=self.config.task, construction_seed=self.config.construction_seed)
        if self.config.task == "Door":
            kw["use_latch"] = self.config.use_latch
        return kw

    def instruction(self) -> str:
        return INSTRUCTIONS[self.config.task]


class GymMujocoPolicy(PolicyBenchmark):
    """gymnasium MuJoCo v5 tasks with documented success predicates (Reacher, Pusher)."""

    type_name = "gym-mujoco"
    Config = GymConfig

    @property
    def env_kind(self) -> str:  # type: ignore[override]
        return f"gym-{self.config.env}"

    def env_kwargs(self) -> dict[str, Any]:
        kw = super().env_kwargs()
        if self.config.success_threshold is not None:
            kw["success_threshold"] = self.config.success_threshold
        return kw


class PushBlockPolicy(PolicyBenchmark):
    """The project's own MJCF task: push a puck into a goal disc."""

    type_name = "push-block"
    Config = PushBlockConfig
    env_kind = "push-block"

    def env_kwargs(self) -> dict[str, Any]:
        kw = super().env_kwargs()
        kw["max_speed"] = self.config.max_speed
        return kw

    def mjcf_path(self) -> Path:
        """The scene file the envs load (the task folder's, so a copied task dir is its own)."""
        path = self.task_dir / self.config.mjcf
        if not path.is_file():
            raise DataError(f"{self.task_id}: MJCF asset not found: {path}")
        return path

    def env_spec(self) -> EnvSpec:
        # The path goes to the workers but not into provenance: the fingerprint holds the
        # file's hash (assets()), so moving a checkout does not change it.
        return EnvSpec(self.env_kind, {**self.env_kwargs(), "xml": str(self.mjcf_path())})

    def assets(self) -> list[Path]:
        """The MJCF scene."""
        return [self.mjcf_path()]
