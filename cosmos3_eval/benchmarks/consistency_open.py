"""Open-loop consistency tasks on push-block: inverse dynamics and joint video + actions.

* ``inverse-push`` — the model gets a simulated clip (every frame, or only the first and the
  goal frame: ``given``) of a noisy scripted push and returns the action sequence. The
  benchmark executes it from the same initial state and scores the final-state error (main,
  m, lower is better) and the mean trajectory error against the true rollout, and the action
  MSE against the true actions. Ceiling: the true actions from a perturbed twin state.
* ``joint-push`` — the model gets the instruction and the first frame and returns a whole
  episode: ``horizon`` actions and the video they will cause (one frame every
  ``frame_every`` steps). The benchmark replays the actions and scores (a) ``success`` of the
  replay and (b) ``agreement`` (main): the model's video against the rendered replay, as in
  ``imagine-push`` (``scoring: v2``: moving frames only, 0 when nothing moves). A video that
  shows success while the actions fail scores low on (b).
  Ceiling: the expert's actions replayed from a perturbed twin, against the unperturbed replay.

Action format ``push_block_velocity`` (module doc of :mod:`cosmos3_eval.benchmarks.consistency`,
docs/consistency.md). Samples are functions of their seed alone (cached briefly).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from cosmos3_eval.api.benchmark import Sample, Scored, StaticBenchmark, sample_id
from cosmos3_eval.api.config import StrictConfig
from cosmos3_eval.api.metrics import MetricSpec, Score
from cosmos3_eval.api.model import Capability
from cosmos3_eval.api.types import ActionChunk, InverseDynamicsRequest, VideoActRequest
from cosmos3_eval.benchmarks.consistency import (
    DOMAIN,
    MIN_MASKED_SIZE,
    PushConsistencyConfig,
    Scoring,
    agreement_specs,
    check_video_action,
)
from cosmos3_eval.errors import ModelOutputError
from cosmos3_eval.scorers.consistency import action_mse, clip_agreement, state_errors
from cosmos3_eval.sim.envs.push_block import PushBlockEnv
from cosmos3_eval.sim.push_world import PushWorld, Replay, WorldState
from cosmos3_eval.sim.render import render_provenance

PROMPT = "Top-down view of a table: an orange pusher, a blue puck and a green goal disc."


@dataclass(frozen=True)
class PushTruth:
    """A sample's true rollout and its perturbed twin."""

    start: WorldState
    frame0: np.ndarray
    actions: np.ndarray
    real: Replay
    twin: Replay


class _PushOpenLoop(StaticBenchmark):
    """Shared parts: the world, a small truth cache, provenance."""

    _CACHE_SIZE = 32

    def __init__(self, task_id: str, config: StrictConfig, task_dir: Any):
        super().__init__(task_id, config, task_dir)
        self._world: PushWorld | None = None
        self._cache: OrderedDict[str, PushTruth] = OrderedDict()

    def world(self) -> PushWorld:
        """The in-process simulator (built on first use)."""
        if self._world is None:
            self._world = PushWorld(self.config.image_size, self.config.max_speed)
        return self._world

    def provenance(self) -> dict[str, Any]:
        return {
            "render": render_provenance(),
            "env": "push-block (tasks/assets/push_block.xml), top camera, 10 Hz",
            "action_format": PushBlockEnv.action_spec.kind,
            "twin_sigma_m": self.config.twin_sigma_m,
        }

    def _actions(self, start: WorldState, seed: int) -> np.ndarray:
        raise NotImplementedError

    def _frame_every(self) -> int:
        return 1

    def truth(self, sample: Sample) -> PushTruth:
        """The sample's true rollout and twin (simulated once, cached briefly)."""
        if sample.id in self._cache:
            self._cache.move_to_end(sample.id)
            return self._cache[sample.id]
        w, fe = self.world(), self._frame_every()
        start = w.reset(sample.seed)
        frame0 = w.frame()
        acts = self._actions(start, sample.seed)
        real = w.replay(start, acts, fe)
        twin = w.replay(w.perturbed(start, sample.seed, self.config.twin_sigma_m), acts, fe)
        entry = PushTruth(start, frame0, acts, real, twin)
        self._cache[sample.id] = entry
        while len(self._cache) > self._CACHE_SIZE:
            self._cache.popitem(last=False)
        return entry

    def close(self) -> None:
        if self._world is not None:
            self._world.close()
            self._world = None


class InverseConfig(PushConsistencyConfig):
    """``inverse-push`` options.

    Attributes:
        clip_steps: Control steps (actions) in the clip.
        given: ``clip`` (every frame) or ``goal`` (the first and the last frame).
        expert_noise: Std of the seeded noise on the scripted pusher's actions, so that clips
            differ from what the expert would do.
    """

    clip_steps: int = 16
    given: Literal["clip", "goal"] = "clip"
    expert_noise: float = 0.3


class InversePush(_PushOpenLoop):
    """Inverse dynamics on push-block: clip -> actions, replayed and scored (module doc)."""

    type_name: ClassVar[str] = "inverse-push"
    capability: ClassVar[Capability] = Capability.INFER_ACTIONS
    Config: ClassVar[type[StrictConfig]] = InverseConfig
    main_metric: ClassVar[str] = "final_state_error"
    metric_specs: ClassVar[tuple[MetricSpec, ...]] = (
        MetricSpec(
            "final_state_error",
            higher_is_better=False,
            on_error=None,
            description="mean pusher / puck position error (m) after the replayed actions",
        ),
        MetricSpec(
            "trajectory_error",
            higher_is_better=False,
            on_error=None,
            description="mean pusher / puck position error (m) over the replay",
        ),
        MetricSpec(
            "action_mse",
            higher_is_better=False,
            on_error=None,
            description="MSE of the actions against the true ones (normalised units)",
        ),
        MetricSpec(
            "ceiling_final_state_error",
            higher_is_better=False,
            on_error=None,
            breakdown=False,
            description="final-state error of the true actions from a perturbed twin state",
        ),
    )
    default_size: ClassVar[int] = 100

    def _actions(self, start: WorldState, seed: int) -> np.ndarray:
        c = self.config
        return self.world().expert_actions(start, c.clip_steps, c.expert_noise, seed)

    def sample(self, index: int, seed: int) -> Sample:
        c = self.config
        data = {"clip_steps": c.clip_steps, "given": c.given, "image_size": c.image_size}
        return Sample(sample_id(self.task_id, index), index, seed, c.given, data)

    def request(self, sample: Sample, privileged: bool) -> InverseDynamicsRequest:
        t, c = self.truth(sample), self.config
        frames = np.concatenate([t.frame0[None], t.real.frames])
        steps = tuple(range(c.clip_steps + 1))
        if c.given == "goal":
            frames, steps = frames[[0, -1]], (0, c.clip_steps)
        truth = {"actions": t.actions.copy(), "state": t.start.to_json()} if privileged else None
        return InverseDynamicsRequest(
            id=sample.id,
            frames=frames.copy(),
            frame_steps=steps,
            num_actions=c.clip_steps,
            action_spec=PushBlockEnv.action_spec,
            prompt=PROMPT,
            fps=10.0,
            seed=sample.seed,
            privileged=truth,
        )

    def score(self, sample: Sample, request: Any, output: Any) -> Scored:
        c, t = self.config, self.truth(sample)
        if not isinstance(output, ActionChunk):
            raise ModelOutputError(f"expected an ActionChunk, got {type(output).__name__}")
        a = np.asarray(output.actions, np.float64)
        if a.shape != (c.clip_steps, 2) or not np.all(np.isfinite(a)):
            raise ModelOutputError(f"actions must be finite ({c.clip_steps}, 2), got {a.shape}")
        replay = self.world().replay(t.start, np.clip(a, -1.0, 1.0), render=False)
        err = state_errors(t.real.positions, replay.positions)
        ceiling = state_errors(t.real.positions, t.twin.positions)
        scores = {
            "final_state_error": Score(err.final),
            "trajectory_error": Score(err.trajectory),
            "action_mse": Score(action_mse(t.actions, a)),
            "ceiling_final_state_error": Score(ceiling.final),
        }
        return Scored(scores, {"final_positions": replay.positions[-1].round(5).tolist()})


class JointConfig(PushConsistencyConfig):
    """``joint-push`` options.

    Attributes:
        horizon: Actions in the episode.
        frame_every: Control steps per predicted frame.
        scoring: ``v2`` (moving frames only) or ``v1`` (every frame), as in ``imagine-push``.
    """

    image_size: int = Field(96, ge=MIN_MASKED_SIZE)
    horizon: int = 40
    frame_every: int = 2
    scoring: Scoring = "v2"


class JointPush(_PushOpenLoop):
    """Joint video + action generation on push-block, replayed and scored (module doc)."""

    type_name: ClassVar[str] = "joint-push"
    capability: ClassVar[Capability] = Capability.ACT_WITH_VIDEO
    Config: ClassVar[type[StrictConfig]] = JointConfig
    main_metric: ClassVar[str] = "agreement"
    metric_specs: ClassVar[tuple[MetricSpec, ...]] = (
        *agreement_specs("agreement", "the model's video vs the rendered replay of its actions"),
        MetricSpec("success", ci="wilson", description="success of the replayed actions"),
    )
    default_size: ClassVar[int] = 100

    def _frame_every(self) -> int:
        return self.config.frame_every

    def provenance(self) -> dict[str, Any]:
        return {**super().provenance(), "scoring": self.config.scoring}

    def _actions(self, start: WorldState, seed: int) -> np.ndarray:
        return self.world().expert_actions(start, self.config.horizon)

    def sample(self, index: int, seed: int) -> Sample:
        c = self.config
        data = {"horizon": c.horizon, "frame_every": c.frame_every, "image_size": c.image_size}
        return Sample(sample_id(self.task_id, index), index, seed, "push", data)

    def request(self, sample: Sample, privileged: bool) -> VideoActRequest:
        t, c, w = self.truth(sample), self.config, self.world()
        truth = None
        if privileged:
            truth = {"actions": t.actions, "video": t.real.frames, "state": t.start.to_json()}
        w.restore(t.start)
        return VideoActRequest(
            id=sample.id,
            instruction=PushBlockEnv.instruction,
            frames=t.frame0[None].copy(),
            chunk_size=c.horizon,
            num_frames=c.horizon // c.frame_every,
            frame_every=c.frame_every,
            fps=10.0 / c.frame_every,
            proprio={k: np.asarray(v, np.float32) for k, v in w.env.proprio().items()},
            action_spec=PushBlockEnv.action_spec,
            domain_name=DOMAIN,
            seed=sample.seed,
            privileged=truth,
        )

    def score(self, sample: Sample, request: Any, output: Any) -> Scored:
        c, t = self.config, self.truth(sample)
        n = c.horizon // c.frame_every
        out = check_video_action(output, n, c.horizon, c.image_size, 2)
        acts = np.clip(np.asarray(out.actions, np.float64), -1.0, 1.0)
        replay = self.world().replay(t.start, acts, c.frame_every)
        gate = c.scoring == "v2"
        agree = clip_agreement(t.frame0, replay.frames, out.video, moving_only=gate)
        ceiling = clip_agreement(t.frame0, t.real.frames, t.twin.frames, moving_only=gate)
        scores = {
            ("agreement" if k == "consistency" else k): Score(v) for k, v in agree.to_dict().items()
        }
        scores["ceiling_agreement"] = Score(ceiling.consistency)
        scores["success"] = Score(float(replay.success), f"{replay.steps} steps")
        summary = {"success": replay.success, "steps": replay.steps}
        if gate:
            summary["moving_frames"] = agree.moving_frames
        return Scored(scores, summary)
