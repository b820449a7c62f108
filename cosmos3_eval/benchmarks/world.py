"""``robot-predict``: action-conditioned video prediction (forward dynamics / world model).

Each sample is a seeded robosuite ``Lift`` rollout (Panda, BASIC composite controller, 20 Hz)
driven by a small scripted controller on privileged state (reach above the cube with a seeded
offset and height, descend, close, lift; seeded gains). The model gets the first frame of
the ``agentview`` camera, the prompt, and the action sequence, and predicts all frames; the
truth is the rollout itself.

**Action format** (``I2VRequest.action_format = "robosuite_osc_pose_delta_hold<N>"``):
``actions`` is ``(T - 1, 7)`` float32; row ``t`` is applied between frame ``t`` and ``t + 1``
and is held for ``frame_every`` (N) control steps at 20 Hz. Columns: ``dx, dy, dz`` position
deltas in [-1, 1] (scaled by robosuite to +-0.05 m per step, robot base frame), ``rx, ry, rz``
axis-angle deltas in [-1, 1] (+-0.5 rad; always 0 here), gripper (-1 open, +1 close).

**Determinism.** The env is built once per benchmark with ``seed=0`` (robosuite draws the cube
size at construction, so it is the same in every sample) and ``hard_reset=False``; each
sample re-seeds the env's generator *in place* (the placement sampler holds a reference to
it) from the sample seed and resets, which places the cube and the robot's initial joint
noise from that seed alone (tested: same seed -> identical frames, whatever ran before).

**Ceiling.** The perturbed twin replays the same actions after shifting the cube's initial
position by a seeded 1e-4 m Gaussian; it is the physical-variance pair of the scores
(``motion_ceiling`` and the ``physics_iq_variance_*`` terms in v2, ``physics_ceiling`` in v1).

**Scoring** as in :mod:`cosmos3_eval.benchmarks.i2v` (``scoring: v2`` for ``robot-predict-v2``:
main metric ``motion_score``; ``scoring: v1`` keeps ``robot-predict-v1`` unchanged).
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import model_validator

from cosmos3_eval.api.benchmark import Sample, Scored, StaticBenchmark, derive_seed, sample_id
from cosmos3_eval.api.config import StrictConfig
from cosmos3_eval.api.metrics import MetricSpec, MetricValue
from cosmos3_eval.api.model import Capability
from cosmos3_eval.api.types import I2VRequest
from cosmos3_eval.benchmarks import video_v2 as v2
from cosmos3_eval.benchmarks.i2v import (
    VIDEO_METRICS,
    Truth,
    VideoConfig,
    make_truth,
    privileged_truth,
    score_video,
    video_provenance,
    write_side_by_side,
)
from cosmos3_eval.sim.envs.robosuite import make_robosuite
from cosmos3_eval.sim.render import import_mujoco, make_renderer, render_provenance


def sample_seed(task_id: str) -> int:
    """The fixed bootstrap seed of a task's corpus metric."""
    return derive_seed(task_id, -2, 0)


PROMPT = (
    "A Panda robot arm above a table with a small red cube, seen from the front; "
    "the arm executes the given end-effector actions."
)


class RobotPredictConfig(VideoConfig):
    """Config of ``robot-predict``.

    Attributes:
        frame_every: Control steps (20 Hz) per frame; each action row is held this long.
        camera: robosuite camera name.
    """

    width: int = 96
    height: int = 96
    num_frames: int = 12
    fps: float = 5.0
    context_frames: int = 1
    frame_every: int = 4
    camera: str = "agentview"

    @model_validator(mode="after")
    def _check_rate(self) -> RobotPredictConfig:
        if self.frame_every < 1:
            raise ValueError("frame_every must be >= 1")
        if abs(self.fps * self.frame_every - 20.0) > 1e-6:
            raise ValueError("fps * frame_every must equal the 20 Hz control rate")
        return self


def scripted_actions(obs: dict[str, np.ndarray], state: dict[str, Any]) -> np.ndarray:
    """One 7-D action of the seeded pick-up script, from privileged state.

    Args:
        obs: robosuite observation (``cube_pos``, ``robot0_eef_pos``).
        state: Mutable script state: ``phase``, ``offset`` (xy), ``hover``, ``gain``,
            ``closed_for``, ``grasp_pos``.
    """
    cube, eef = obs["cube_pos"], obs["robot0_eef_pos"]
    a = np.zeros(7, np.float32)
    off = np.array([*state["offset"], 0.0])
    if state["phase"] == 0:  # hover above the cube
        target, grip = cube + off + [0, 0, state["hover"]], -1.0
        if np.linalg.norm(target - eef) < 0.02:
            state["phase"] = 1
    elif state["phase"] == 1:  # descend
        target, grip = cube + off + [0, 0, -0.005], -1.0
        if np.linalg.norm(target - eef) < 0.012:
            state["phase"], state["grasp_pos"] = 2, eef.copy()
    elif state["phase"] == 2:  # close the gripper in place
        target, grip = state["grasp_pos"], 1.0
        state["closed_for"] += 1
        if state["closed_for"] >= 2:
            state["phase"] = 3
    else:  # lift
        target, grip = state["grasp_pos"] + [0, 0, 0.25], 1.0
    a[:3] = np.clip(state["gain"] * (target - eef), -1.0, 1.0)
    a[6] = grip
    return a


class RobotPredict(StaticBenchmark):
    """Predict the camera frames of a robosuite Lift rollout from its actions (module doc)."""

    type_name: ClassVar[str] = "robot-predict"
    capability: ClassVar[Capability] = Capability.GENERATE_VIDEOS
    Config: ClassVar[type[StrictConfig]] = RobotPredictConfig
    main_metric: ClassVar[str] = "motion_score"
    metric_specs: ClassVar[tuple[MetricSpec, ...]] = v2.V2_METRICS
    default_size: ClassVar[int] = 100

    _CACHE_SIZE = 64

    def __init__(self, task_id: str, config: StrictConfig, task_dir: Path):
        super().__init__(task_id, config, task_dir)
        if config.scoring == "v1":  # the legacy metrics, unchanged
            self.main_metric = "physics_score"
            self.metric_specs = VIDEO_METRICS
        self._env: Any = None
        self._renderer: Any = None
        self._cache: OrderedDict[str, tuple[Truth, np.ndarray]] = OrderedDict()

    @property
    def action_format(self) -> str:
        """The action convention name given to models."""
        return f"robosuite_osc_pose_delta_hold{self.config.frame_every}"

    def provenance(self) -> dict[str, Any]:
        return {
            "render": render_provenance(),
            "env": "robosuite Lift, Panda, BASIC controller, 20 Hz, hard_reset=False, seed=0",
            "action_format": self.action_format,
            "twin_perturbation_m": 1e-4,
            **video_provenance(self.config.scoring),
        }

    def corpus_metrics(self, records: list[dict[str, Any]]) -> dict[str, MetricValue]:
        if self.config.scoring == "v1":
            return {}
        return v2.physics_iq_corpus(records, seed=sample_seed(self.task_id))

    def _make_env(self) -> None:
        mujoco = import_mujoco()
        self._env = make_robosuite("Lift", seed=0)
        c = self.config
        self._renderer = make_renderer(self._env.sim.model._model, c.width, c.height)
        # robosuite keeps collision geoms in group 0: the camera shows the visual meshes.
        self._scene_option = mujoco.MjvOption()
        self._scene_option.geomgroup[0] = 0

    def _reset(self, seed: int) -> dict[str, np.ndarray]:
        env = self._env
        # In place: robosuite's placement sampler keeps a reference to env.rng.
        env.rng.bit_generator.state = np.random.default_rng(seed).bit_generator.state
        return env.reset()

    def _frame(self) -> np.ndarray:
        self._renderer.update_scene(
            self._env.sim.data._data, camera=self.config.camera, scene_option=self._scene_option
        )
        return self._renderer.render().copy()

    def _rollout(self, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Truth frames, actions ``(T-1, 7)`` and the perturbed twin's frames."""
        if self._env is None:
            self._make_env()
        c = self.config
        rng = np.random.default_rng([seed, 2])
        state = {
            "phase": 0,
            "offset": rng.uniform(-0.015, 0.015, 2),
            "hover": float(rng.uniform(0.04, 0.12)),
            "gain": float(rng.uniform(4.0, 8.0)) / c.frame_every,
            "closed_for": 0,
            "grasp_pos": None,
        }
        obs = self._reset(seed)
        frames, actions = [self._frame()], []
        for _ in range(c.num_frames - 1):
            a = scripted_actions(obs, state)
            for _ in range(c.frame_every):
                obs, *_ = self._env.step(a)
            actions.append(a)
            frames.append(self._frame())
        acts = np.stack(actions).astype(np.float32)
        # Perturbed twin: same reset, cube shifted by 1e-4 m, same actions open-loop.
        self._reset(seed)
        sim = self._env.sim
        adr = sim.model.get_joint_qpos_addr(self._env.cube.joints[0])[0]
        sim.data.qpos[adr : adr + 3] += np.random.default_rng([seed, 0x7717]).normal(0, 1e-4, 3)
        sim.forward()
        twin = [self._frame()]
        for a in acts:
            for _ in range(c.frame_every):
                self._env.step(a)
            twin.append(self._frame())
        return np.stack(frames), acts, np.stack(twin)

    def sample(self, index: int, seed: int) -> Sample:
        c = self.config
        data = {
            "prompt": PROMPT,
            "num_frames": c.num_frames,
            "fps": c.fps,
            "frame_every": c.frame_every,
            "action_format": self.action_format,
        }
        return Sample(sample_id(self.task_id, index), index, seed, "lift", data)

    def truth(self, sample: Sample) -> tuple[Truth, np.ndarray]:
        """(truth, actions) of a sample, simulated once and cached briefly."""
        if sample.id in self._cache:
            self._cache.move_to_end(sample.id)
            return self._cache[sample.id]
        frames, acts, twin = self._rollout(sample.seed)
        c = self.config
        entry = (make_truth(frames, twin, c.context_frames, c.scoring), acts)
        self._cache[sample.id] = entry
        while len(self._cache) > self._CACHE_SIZE:
            self._cache.popitem(last=False)
        return entry

    def request(self, sample: Sample, privileged: bool) -> I2VRequest:
        truth, acts = self.truth(sample)
        c = self.config
        return I2VRequest(
            id=sample.id,
            prompt=PROMPT,
            frames=truth.frames[: c.context_frames].copy(),
            num_frames=c.num_frames,
            fps=c.fps,
            actions=acts.copy(),
            action_format=self.action_format,
            seed=sample.seed,
            privileged=privileged_truth(truth) if privileged else None,
        )

    def score(self, sample: Sample, request: Any, output: Any) -> Scored:
        return score_video(self.truth(sample)[0], output, request, objects=False)

    def save_media(self, sample: Sample, request: Any, output: Any, out_dir: Path) -> str | None:
        name = sample.id.replace("/", "_") + ".gif"
        ok = write_side_by_side(
            self.truth(sample)[0].frames, output, self.config.fps, out_dir / name
        )
        return name if ok else None

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        if self._env is not None:
            self._env.close()
            self._env = None
