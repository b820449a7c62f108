"""Typed records exchanged between benchmarks, the runner and models.

Media are plain numpy arrays so that every model adapter, scorer and transport can use them
without conversion:

* an **image** is ``uint8`` of shape ``(H, W, 3)``, RGB, row 0 at the top;
* a **video** is ``uint8`` of shape ``(T, H, W, 3)``.

Every request carries a stable ``id`` and a per-sample ``seed`` (derived from task, sample
index and base seed, never from execution order) so that a sampling model is deterministic
whatever the batch composition. ``privileged`` carries ground truth that only models whose
:class:`~cosmos3_eval.api.model.ModelInfo` says ``privileged=True`` (the oracle) ever receive; the
runner strips it for every other model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

Image = np.ndarray
"""``uint8`` array ``(H, W, 3)``, RGB, row 0 at the top."""

Video = np.ndarray
"""``uint8`` array ``(T, H, W, 3)``."""


CHOICE_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
"""Multiple-choice letters: choice ``k`` of a request is answered by ``CHOICE_LETTERS[k]``."""


@dataclass(frozen=True)
class QARequest:
    """A question about images and/or a video.

    Attributes:
        id: Stable sample id.
        question: The question text (without the choices).
        images: Zero or more images.
        video: Optional video ``(T, H, W, 3)``.
        choices: Multiple-choice options, shown as ``A``, ``B``, ... in that order; ``None``
            for free-form / numeric answers.
        seed: Per-sample seed for any sampling the model does.
        fps: Frame rate of ``video`` if present.
        privileged: Ground truth for oracle models only (``None`` for everyone else).
    """

    id: str
    question: str
    images: tuple[np.ndarray, ...] = ()
    video: np.ndarray | None = None
    choices: tuple[str, ...] | None = None
    seed: int = 0
    fps: float | None = None
    privileged: Any = None


@dataclass(frozen=True)
class TextOutput:
    """A model's text answer."""

    text: str


@dataclass(frozen=True)
class T2IRequest:
    """Generate one image from a prompt.

    Attributes:
        id: Stable sample id.
        prompt: The text prompt.
        width: Requested width in pixels.
        height: Requested height in pixels.
        seed: Per-sample seed.
        style: A style hint the benchmark documents (adapters may append it to the prompt).
        privileged: Ground truth for oracle models only.
    """

    id: str
    prompt: str
    width: int = 256
    height: int = 256
    seed: int = 0
    style: str = ""
    privileged: Any = None


@dataclass(frozen=True)
class ImageOutput:
    """A generated image ``(H, W, 3)`` uint8."""

    image: np.ndarray


@dataclass(frozen=True)
class I2VRequest:
    """Generate a video continuing the given first frame(s).

    Attributes:
        id: Stable sample id.
        prompt: Describes the scene, never the outcome.
        frames: Conditioning frames ``(K, H, W, 3)`` uint8, K >= 1.
        num_frames: Requested total length T of the returned video (including the K
            conditioning frames).
        fps: Frame rate of the requested video.
        actions: Optional action sequence ``(T - 1, A)`` float32 for action-conditioned
            (world-model) prediction: ``actions[t]`` is applied between frame t and t + 1.
        action_format: Name of the action convention of ``actions`` (documented by the task).
        seed: Per-sample seed.
        privileged: Ground truth for oracle models only.
    """

    id: str
    prompt: str
    frames: np.ndarray
    num_frames: int = 16
    fps: float = 8.0
    actions: np.ndarray | None = None
    action_format: str | None = None
    seed: int = 0
    privileged: Any = None


@dataclass(frozen=True)
class VideoOutput:
    """A generated video ``(T, H, W, 3)`` uint8."""

    video: np.ndarray


@dataclass(frozen=True)
class Observation:
    """What a policy sees at one decision step.

    Attributes:
        images: Camera name -> image ``(H, W, 3)`` uint8 (only cameras the model reads).
        proprio: Name -> float32 vector (e.g. ``eef_pos``, ``eef_quat``, ``gripper_qpos``).
    """

    images: dict[str, np.ndarray] = field(default_factory=dict)
    proprio: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class ActRequest:
    """Ask a policy for the next action chunk of one running episode.

    Attributes:
        episode_id: Stable episode id.
        observation: Current observation.
        instruction: Language instruction of the task.
        step: Env step index of this decision.
        seed: Per-episode seed (a sampling policy must derive its noise from it and ``step``).
        action_spec: The task's action convention (lets baselines emit the right shape; a
            real model's own declaration is checked against it before the first step).
        privileged: Ground truth for oracle models only (e.g. the scripted expert's chunk).
    """

    episode_id: str
    observation: Observation
    instruction: str
    step: int = 0
    seed: int = 0
    action_spec: ActionSpec | None = None
    privileged: Any = None


@dataclass(frozen=True)
class ActionChunk:
    """A chunk of actions ``(T, action_dim)`` float32, executed in order."""

    actions: np.ndarray


@dataclass(frozen=True)
class VideoActRequest:
    """Policy mode of a video + action model: the next actions and the video they will cause.

    Used closed-loop, one request per chunk (``imagine-push``), and open-loop for a whole
    episode (``joint-push``). The model returns a :class:`VideoActionOutput`.

    Attributes:
        id: Stable id (``<sample id>/<step>`` for a chunk of a closed-loop episode).
        instruction: Language instruction of the task.
        frames: Context frames ``(K, H, W, 3)`` uint8; the last one is the current state.
        chunk_size: Number of actions to return.
        num_frames: Number of predicted frames to return.
        frame_every: Control steps between predicted frames: predicted frame ``j`` shows the
            state after the first ``(j + 1) * frame_every`` actions.
        fps: Frame rate of the predicted video (``control_hz / frame_every``).
        proprio: Name -> float32 vector of the current state (as in :class:`Observation`).
        action_spec: The task's action convention.
        domain_name: Embodiment / domain name (Cosmos policy mode's ``domain_name``).
        step: Env step index of this decision (0 for an open-loop episode).
        seed: Per-sample seed (a sampling model derives its noise from it and ``step``).
        privileged: Ground truth for oracle and reference models only.
    """

    id: str
    instruction: str
    frames: np.ndarray
    chunk_size: int
    num_frames: int
    frame_every: int = 1
    fps: float = 10.0
    proprio: dict[str, np.ndarray] = field(default_factory=dict)
    action_spec: ActionSpec | None = None
    domain_name: str = ""
    step: int = 0
    seed: int = 0
    privileged: Any = None


@dataclass(frozen=True)
class VideoActionOutput:
    """A predicted video together with the action chunk that is meant to cause it.

    Attributes:
        video: Predicted frames ``(num_frames, H, W, 3)`` uint8 (the given frames excluded).
        actions: ``(chunk_size, action_dim)`` float32, executed in order.
    """

    video: np.ndarray
    actions: np.ndarray


@dataclass(frozen=True)
class InverseDynamicsRequest:
    """Infer the actions that produced a clip (inverse dynamics).

    Attributes:
        id: Stable sample id.
        frames: ``(F, H, W, 3)`` uint8: the clip, or its first frame and the goal frame.
        frame_steps: Control-step index of each frame (``0`` = the initial state), so
            ``frames[i]`` shows the state after ``frame_steps[i]`` actions.
        num_actions: Number of actions to return (the clip's length in control steps).
        action_spec: The task's action convention.
        prompt: Describes the scene.
        fps: Frame rate of the clip when ``frame_steps`` are evenly spaced.
        seed: Per-sample seed.
        privileged: Ground truth for oracle and reference models only.
    """

    id: str
    frames: np.ndarray
    frame_steps: tuple[int, ...]
    num_actions: int
    action_spec: ActionSpec | None = None
    prompt: str = ""
    fps: float = 10.0
    seed: int = 0
    privileged: Any = None


@dataclass(frozen=True)
class ActionSpec:
    """The action convention a task expects or a model emits.

    Tasks and models each declare one; they are compared field by field before the first env
    step and any difference is an :class:`~cosmos3_eval.errors.ActionSpaceMismatch`.

    Attributes:
        kind: Convention name, e.g. ``"robosuite_osc_pose_delta"``, ``"cosmos_10d_pose_delta"``,
            ``"gym_torque"``.
        dim: Action dimension.
        names: Per-dimension meaning, e.g. ``("dx", "dy", "dz", "rx", "ry", "rz", "gripper")``.
        units: Per-dimension unit after de-normalisation, e.g. ``("m", ..., "rad", ..., "1")``.
        low: Lower bound of the normalised range.
        high: Upper bound of the normalised range.
        gripper: Gripper sign convention, e.g. ``"-1 open, +1 close"`` or ``"none"``.
        rotation: Rotation representation: ``"axis_angle"``, ``"rot6d"``, ``"quat"``, ``"none"``.
        control_hz: Control frequency in Hz.
        chunk_size: Expected chunk length (a model may emit longer chunks; the runner executes
            ``replan_every`` steps of it).
        image_orientation: Camera image orientation, e.g. ``"upright"`` (row 0 = top of scene).
    """

    kind: str
    dim: int
    names: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    low: float = -1.0
    high: float = 1.0
    gripper: str = "none"
    rotation: str = "none"
    control_hz: float = 20.0
    chunk_size: int = 1
    image_orientation: str = "upright"
