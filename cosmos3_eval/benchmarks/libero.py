"""LIBERO task families (libero-spatial / -object / -goal / -10): closed loop in an isolated venv.

The simulator runs in its own interpreter (:mod:`cosmos3_eval.sim.isolated`; LIBERO needs
robosuite 1.4); the rollout engine, metrics and run directory are the policy family's.

Episodes follow LIBERO's official protocol (see :mod:`cosmos3_eval.sim.envs.libero`): episode
``i`` runs task ``task_ids[i // episodes_per_task]`` from official init state
``i % episodes_per_task``. The episode seed is ``i`` itself: a LIBERO episode is fully
determined by its init state, so the base seed does not change the env; sampling policies get
it as their request seed.

Action space (declared exactly, checked before step one): robosuite 1.4 OSC_POSE deltas,
7-D in [-1, 1]: 3 position (x 0.05 m), 3 axis-angle (x 0.5 rad), gripper -1 open / +1 close,
20 Hz. Cameras ``agentview`` and ``robot0_eye_in_hand`` at ``image_size`` (256 as in the
reference client), frames as LIBERO returns them: rotated by 180 degrees.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from cosmos3_eval.api.actions import LIBERO_OSC_7D
from cosmos3_eval.api.benchmark import EpisodeSpec, sample_id
from cosmos3_eval.api.resources import data_path
from cosmos3_eval.api.types import ActionSpec
from cosmos3_eval.benchmarks.policy import PolicyBenchmark, PolicyConfig, camera_and_proprio_keys
from cosmos3_eval.errors import ConfigError
from cosmos3_eval.sim.envs.libero import CAMERAS, PROPRIO_KEYS
from cosmos3_eval.sim.isolated import describe, require_python
from cosmos3_eval.sim.vector import EnvSpec

ENV_FILE = "envs/libero.py:LiberoEnv"
"""The worker-side env (a file relative to ``cosmos3_eval/sim``, loaded in the LIBERO venv)."""


@cache
def libero_tasks() -> dict[str, Any]:
    """Suite -> task records (name, language, init-state count) shipped with the package."""
    return json.loads(data_path("libero", "tasks.json").read_text())["suites"]


class LiberoConfig(PolicyConfig):
    """LIBERO family options.

    Attributes:
        suite: LIBERO suite.
        task_ids: Tasks of the suite in the family (default: all 10).
        episodes_per_task: Init states per task (official: 50).
        render: ``fast`` (no shadows / reflections / multisampling) or ``reference``
            (LIBERO's own settings, byte-identical to ``OffScreenRenderEnv``).
        warmup_steps: Dummy steps after reset, counted against the step limit (reference: 10).
    """

    suite: Literal["libero_spatial", "libero_object", "libero_goal", "libero_10"]
    task_ids: list[int] = Field(default_factory=lambda: list(range(10)))
    episodes_per_task: int = 50
    image_size: int = 256
    render: Literal["fast", "reference"] = "fast"
    warmup_steps: int = 10


class LiberoPolicy(PolicyBenchmark):
    """A LIBERO suite as a closed-loop policy benchmark (success = LIBERO's BDDL check)."""

    type_name = "libero"
    Config = LiberoConfig
    sim_env: ClassVar[str] = "libero"

    @property
    def default_size(self) -> int:  # type: ignore[override]
        return len(self.config.task_ids) * self.config.episodes_per_task

    def _tasks(self) -> list[dict[str, Any]]:
        tasks = libero_tasks()[self.config.suite]
        for t in self.config.task_ids:
            if not 0 <= t < len(tasks):
                raise ConfigError(f"{self.task_id}: task id {t} not in 0..{len(tasks) - 1}")
        if not 1 <= self.config.episodes_per_task <= 50:
            raise ConfigError(f"{self.task_id}: episodes_per_task must be in 1..50")
        return [tasks[t] for t in self.config.task_ids]

    def env_spec(self) -> EnvSpec:
        """Workers run under the LIBERO interpreter; one env per worker, per task on demand."""
        return EnvSpec(ENV_FILE, self.env_kwargs(), python=require_python(self.sim_env))

    def env_kwargs(self) -> dict[str, Any]:
        cfg = self.config
        kw: dict[str, Any] = {
            "suite": cfg.suite,
            "task_ids": list(cfg.task_ids),
            "episodes_per_task": cfg.episodes_per_task,
            "image_size": cfg.image_size,
            "render": cfg.render,
            "warmup_steps": cfg.warmup_steps,
        }
        if cfg.horizon is not None:
            kw["horizon"] = cfg.horizon
        if cfg.cameras is not None:
            kw["cameras"] = list(cfg.cameras)
        return kw

    def action_spec(self) -> ActionSpec:
        return LIBERO_OSC_7D

    def assets(self) -> list[Path]:
        """The shipped task list (names, instructions, init-state counts)."""
        return [data_path("libero", "tasks.json")]

    def instruction(self) -> str:
        return self._tasks()[0]["language"]

    def observation_keys(self) -> dict[str, str]:
        return camera_and_proprio_keys(
            self.config.cameras or CAMERAS,
            self.config.image_size,
            PROPRIO_KEYS,
            self.action_spec().image_orientation,
        )

    def episode(self, index: int, seed: int) -> EpisodeSpec:
        task = self._tasks()[(index // self.config.episodes_per_task) % len(self.config.task_ids)]
        return EpisodeSpec(
            id=sample_id(self.task_id, index),
            index=index,
            seed=index,  # the official init state is the whole episode; see the module doc
            data={"task": task["name"], "init_state": index % self.config.episodes_per_task},
        )

    def episode_instruction(self, spec: EpisodeSpec) -> str:
        i = (spec.seed // self.config.episodes_per_task) % len(self.config.task_ids)
        return self._tasks()[i]["language"]

    def provenance(self) -> dict[str, Any]:

        return {
            "env": {"kind": ENV_FILE, **self.env_kwargs()},
            "render": {"settings": self.config.render, "backend": "robosuite 1.4 MjRenderContext"},
            "sim_env": describe(self.sim_env),
        }
