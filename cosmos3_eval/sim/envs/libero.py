"""LIBERO tasks as a closed-loop env, run inside the isolated LIBERO venv.

This module is executed by the LIBERO interpreter (robosuite 1.4, mujoco 2.3.7; see
:mod:`cosmos3_eval.sim.isolated`), never by the project's own environment: it imports only the
standard library and numpy at module level and ``libero`` inside :class:`LiberoEnv`. It
duck-types the :class:`~cosmos3_eval.sim.envs.kinds.PolicyEnv` engine API (``reset``,
``sim_step``, ``observe``, ``expert_chunk``, ``video_frame``, ``close``, ``_t``) so that the
worker loop of :mod:`cosmos3_eval.sim.vector` serves it unchanged.

The episode protocol is LIBERO's official one, as run by NVIDIA's reference client
(cosmos-framework ``simulation/libero/closed_loop_eval.py``) and OpenVLA's:

* episode ``seed`` ``i`` starts from the suite's official init state ``i mod 50``
  (``env.reset()``, then ``env.set_init_state(init_states[i])``); the env is seeded once with 0;
* ``warmup_steps`` (10) dummy actions ``[0, 0, 0, 0, 0, 0, -1]`` let the objects settle; they
  count against the step limit, as in the reference (so a policy gets ``max_steps - 10``);
* step limits per suite: spatial 220, object 280, goal 300, libero_10 520 (reference
  ``TASK_MAX_STEPS``);
* success is LIBERO's own ``env.check_success()`` (the BDDL goal predicates), checked after
  every step; the instruction is the task's BDDL language.

Camera frames are returned exactly as LIBERO's ``OffScreenRenderEnv`` returns them (robosuite's
"opengl" image convention: the scene appears rotated by 180 degrees); the task declares this
as ``image_orientation="rot180"`` and a policy that wants upright frames rotates them (one
named converter, :func:`cosmos3_eval.api.actions.rotate_180`).

Rendering: ``render="reference"`` keeps LIBERO's settings (shadows, reflections,
multisampling) and gives byte-identical frames to ``OffScreenRenderEnv``; ``render="fast"``
switches shadows, reflections and multisampling off (the project's fast settings). Cameras are
rendered only when the engine asks for an observation, never on steps nobody reads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SUITES = {
    "libero_spatial": 220,
    "libero_object": 280,
    "libero_goal": 300,
    "libero_10": 520,
}
"""LIBERO suite -> official max env steps per episode (warm-up included)."""

CAMERAS = ("agentview", "robot0_eye_in_hand")
PROPRIO_KEYS = {
    "eef_pos": "(3,) end-effector position (m)",
    "eef_quat": "(4,) end-effector orientation quaternion (x, y, z, w)",
    "gripper_qpos": "(2,) gripper finger joint positions (m)",
    "joint_pos": "(7,) arm joint angles (rad)",
}
"""``Obs.proprio`` name -> shape and meaning (``describe TASK`` prints it)."""
DUMMY_ACTION = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0)
WARMUP_STEPS = 10


@dataclass(frozen=True)
class StepOutcome:
    """One env step (same attributes as ``kinds.StepResult``, which this venv cannot import)."""

    reward: float
    success: bool
    terminated: bool
    truncated: bool


@dataclass(frozen=True)
class Obs:
    """A policy observation (same attributes as ``api.types.Observation``)."""

    images: dict[str, np.ndarray] = field(default_factory=dict)
    proprio: dict[str, np.ndarray] = field(default_factory=dict)


def _quiet_imports() -> tuple[Any, Any, Any]:
    """Import LIBERO without its robosuite macro warnings and info prints."""
    import contextlib
    import io
    import logging

    os.environ.setdefault("LIBERO_CONFIG_PATH", os.path.join(_state_dir(), "libero-config"))
    logging.disable(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            from libero.libero import benchmark, get_libero_path
            from libero.libero.envs import OffScreenRenderEnv
    finally:
        logging.disable(logging.NOTSET)
    for name in ("robosuite_logs", "robosuite"):
        logging.getLogger(name).setLevel(logging.ERROR)
    return benchmark, get_libero_path, OffScreenRenderEnv


def _expert_module() -> Any:
    """The scripted expert module, ``libero_expert.py`` beside this file.

    Loaded by path: this venv has no cosmos3_eval package to import it from.
    """
    import importlib.util
    import sys

    name = "cosmos3_eval_libero_expert"
    if name not in sys.modules:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libero_expert.py")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the file executes
        spec.loader.exec_module(module)
    return sys.modules[name]


def _state_dir() -> str:
    return os.environ.get("COSMOS3_EVAL_STATE_DIR", os.path.expanduser("~/.cache/cosmos3-eval"))


def load_task(suite: str, task_id: int) -> tuple[Any, str, np.ndarray]:
    """The LIBERO task record, its BDDL path and its official init states.

    Args:
        suite: ``libero_spatial`` / ``libero_object`` / ``libero_goal`` / ``libero_10``.
        task_id: Task index in the suite's default order (task order 0).
    """
    import contextlib
    import io

    benchmark, get_libero_path, _ = _quiet_imports()
    with contextlib.redirect_stdout(io.StringIO()):  # the suite prints its task order
        bench = benchmark.get_benchmark_dict()[suite]()
    task = bench.get_task(int(task_id))
    bddl = os.path.join(get_libero_path("bddl_files"), task.problem_folder, task.bddl_file)
    return task, bddl, np.asarray(bench.get_task_init_states(int(task_id)))


class LiberoEnv:
    """Tasks of one LIBERO suite; each episode starts from an official init state.

    Episode ``seed`` ``i`` runs task ``task_ids[(i // episodes_per_task) % len(task_ids)]``
    from its init state ``i % episodes_per_task``. The simulator is rebuilt only when the task
    changes (the engine hands out episodes in index order, so mostly once per task).

    Args:
        suite: LIBERO suite name (:data:`SUITES`).
        task_ids: Task indices within the suite (default order, task order 0).
        episodes_per_task: Init states used per task.
        image_size: Square camera size (the reference client renders 256).
        cameras: Cameras in the observation.
        horizon: Max env steps including warm-up (``None`` = the suite's official limit).
        render: ``"fast"`` or ``"reference"`` (LIBERO's own render settings).
        warmup_steps: Dummy steps after reset (reference: 10).
    """

    def __init__(
        self,
        suite: str,
        task_ids: list[int] | tuple[int, ...] = (0,),
        episodes_per_task: int = 50,
        image_size: int = 256,
        cameras: list[str] | tuple[str, ...] = CAMERAS,
        horizon: int | None = None,
        render: str = "fast",
        warmup_steps: int = WARMUP_STEPS,
    ) -> None:
        if suite not in SUITES:
            raise ValueError(f"unknown LIBERO suite '{suite}'; known: {', '.join(SUITES)}")
        if render not in ("fast", "reference"):
            raise ValueError(f"render must be 'fast' or 'reference', got {render!r}")
        self.suite = suite
        self.task_ids = [int(t) for t in task_ids]
        self.episodes_per_task = int(episodes_per_task)
        self.image_size = int(image_size)
        self.cameras = tuple(cameras)
        self.horizon = int(horizon if horizon is not None else SUITES[suite])
        self.warmup_steps = int(warmup_steps)
        self.render_mode = render
        self.env: Any = None
        self.task_id: int | None = None
        self._t = 0
        self._obs: dict[str, Any] = {}
        self._expert: Any = None
        self._load(self.task_ids[0])  # fail at construction, not at the first episode

    def _load(self, task_id: int) -> None:
        if self.task_id == task_id:
            return
        self.close()
        _, _, offscreen_env = _quiet_imports()
        self.task, bddl, self.init_states = load_task(self.suite, task_id)
        self.instruction = str(self.task.language)
        # No camera observables: LIBERO would render every camera on every step. We render
        # through the same sim.render call (so the bytes are the same) only when asked.
        self.env = offscreen_env(
            bddl_file_name=bddl,
            camera_heights=self.image_size,
            camera_widths=self.image_size,
            use_camera_obs=False,
            hard_reset=False,
        )
        self.env.seed(0)
        self.task_id = task_id
        self._fast_applied = False

    # ---- episode ------------------------------------------------------------------------

    def reset(self, seed: int) -> None:
        """Start episode ``seed`` (task and init state, see the class) and run the warm-up."""
        seed = int(seed)
        self._load(self.task_ids[(seed // self.episodes_per_task) % len(self.task_ids)])
        self.env.reset()
        self._obs = self.env.set_init_state(self.init_states[seed % self.episodes_per_task])
        self._t = 0
        self._expert = None
        for _ in range(self.warmup_steps):
            self._obs, _, _, _ = self.env.step(np.asarray(DUMMY_ACTION))
            self._t += 1

    def sim_step(self, action: np.ndarray) -> StepOutcome:
        """Apply one 7-D action (clipped to [-1, 1]); success from LIBERO's BDDL check."""
        a = np.clip(np.asarray(action, np.float64), -1.0, 1.0)
        self._obs, reward, _, _ = self.env.step(a)
        self._t += 1
        success = bool(self.env.check_success())
        truncated = (not success) and self._t >= self.horizon
        return StepOutcome(float(reward), success, success, truncated)

    def observe(self, images: bool) -> Obs:
        """Proprio always; camera frames (as LIBERO returns them) only if ``images``."""
        proprio = {
            k: np.asarray(self._obs[f"robot0_{k}"], np.float32)
            for k in ("eef_pos", "eef_quat", "gripper_qpos", "joint_pos")
        }
        imgs = {c: self.render_camera(c) for c in self.cameras} if images else {}
        return Obs(images=imgs, proprio=proprio)

    def video_frame(self) -> np.ndarray:
        """The first camera, upright (videos are for people)."""
        return self.render_camera(self.cameras[0])[::-1, ::-1].copy()

    def expert_chunk(self, n: int) -> np.ndarray:
        """The scripted pick-and-place expert's next action, held for ``n`` steps."""
        if self._expert is None:
            self._expert = _expert_module().PickPlaceExpert(self.env)
        a = np.asarray(self._expert.action(), np.float32)
        return np.repeat(a[None], max(1, int(n)), axis=0)

    def close(self) -> None:
        """Free the simulator and its GL context."""
        env, self.env, self.task_id = self.env, None, None
        if env is not None:
            env.close()

    # ---- rendering ----------------------------------------------------------------------

    def render_camera(self, name: str) -> np.ndarray:
        """One camera frame, exactly as LIBERO's camera observable computes it."""
        from robosuite import macros
        from robosuite.utils.mjcf_utils import IMAGE_CONVENTION_MAPPING

        sim = self.env.sim
        if self.render_mode == "fast" and not self._fast_applied:
            self._apply_fast_settings(sim)
        img = sim.render(camera_name=name, width=self.image_size, height=self.image_size)
        return np.ascontiguousarray(img[:: IMAGE_CONVENTION_MAPPING[macros.IMAGE_CONVENTION]])

    def _apply_fast_settings(self, sim: Any) -> None:
        import mujoco

        if sim._render_context_offscreen is None:  # created lazily by the first render
            sim.render(camera_name=self.cameras[0], width=8, height=8)
        ctx = sim._render_context_offscreen
        ctx.scn.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
        ctx.scn.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = 0
        # offsamples is read when the GL context's buffers are made: rebuild them.
        sim.model._model.vis.quality.offsamples = 0
        ctx.gl_ctx.make_current()
        ctx.con.free()
        ctx.con = mujoco.MjrContext(sim.model._model, mujoco.mjtFontScale.mjFONTSCALE_150)
        mujoco.mjr_setBuffer(mujoco.mjtFramebuffer.mjFB_OFFSCREEN, ctx.con)
        self._fast_applied = True
