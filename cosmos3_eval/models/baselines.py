"""Baseline models shared by every benchmark family.

* ``random`` — chance: a uniformly random choice, noise images / videos, uniform actions.
  All randomness comes from the request's seed, so results do not depend on batching.
* ``oracle`` — returns the privileged ground truth the benchmark attaches for oracle models
  only (the correct answer, the true render / simulation, the scripted expert's chunk). It
  proves a task is solvable and its scorer right.
"""

from __future__ import annotations

import numpy as np

from cosmos3_eval.api.model import ModelInfo
from cosmos3_eval.api.model_args import declare_args
from cosmos3_eval.api.types import (
    ActionChunk,
    ActionSpec,
    ActRequest,
    I2VRequest,
    ImageOutput,
    InverseDynamicsRequest,
    QARequest,
    T2IRequest,
    TextOutput,
    VideoActionOutput,
    VideoActRequest,
    VideoOutput,
)
from cosmos3_eval.errors import UserError


def request_rng(seed: int, *salt: int) -> np.random.Generator:
    """A generator derived only from a request's seed (and e.g. the env step)."""
    return np.random.default_rng([seed, *salt])


def _action_spec(
    request: ActRequest | VideoActRequest | InverseDynamicsRequest, who: str
) -> ActionSpec:
    """The task's action spec on ``request``; random actions cannot be drawn without it."""
    if request.action_spec is None:
        raise UserError(f"random {who} needs the task's action_spec on the request")
    return request.action_spec


@declare_args
class RandomModel:
    """Chance-level baseline for every capability."""

    reads_images = False  # closed-loop engines skip rendering camera observations for it

    def __init__(self) -> None:
        self.info = ModelInfo(name="random")

    def answer(self, requests: list[QARequest]) -> list[TextOutput]:
        """Uniform over the choices (a letter), or a random small integer if none."""
        out = []
        for r in requests:
            rng = request_rng(r.seed)
            if r.choices:
                out.append(TextOutput(chr(ord("A") + int(rng.integers(len(r.choices))))))
            else:
                out.append(TextOutput(str(int(rng.integers(0, 10)))))
        return out

    def generate_images(self, requests: list[T2IRequest]) -> list[ImageOutput]:
        """Uniform noise at the requested size."""
        return [
            ImageOutput(
                request_rng(r.seed).integers(0, 256, (r.height, r.width, 3), dtype=np.uint8)
            )
            for r in requests
        ]

    def generate_videos(self, requests: list[I2VRequest]) -> list[VideoOutput]:
        """Uniform noise frames after the given conditioning frames."""
        out = []
        for r in requests:
            k, h, w, _ = r.frames.shape
            noise = request_rng(r.seed).integers(
                0, 256, (r.num_frames - k, h, w, 3), dtype=np.uint8
            )
            out.append(VideoOutput(np.concatenate([r.frames, noise], axis=0)))
        return out

    def act(self, requests: list[ActRequest]) -> list[ActionChunk]:
        """One action per request, uniform over the task's normalised range."""
        out = []
        for r in requests:
            spec = _action_spec(r, "policy")
            rng = request_rng(r.seed, r.step)
            out.append(
                ActionChunk(rng.uniform(spec.low, spec.high, (1, spec.dim)).astype(np.float32))
            )
        return out

    def act_with_video(self, requests: list[VideoActRequest]) -> list[VideoActionOutput]:
        """Uniform actions and noise frames of the requested sizes."""
        out = []
        for r in requests:
            spec = _action_spec(r, "policy")
            rng = request_rng(r.seed, r.step)
            acts = rng.uniform(spec.low, spec.high, (r.chunk_size, spec.dim)).astype(np.float32)
            _, h, w, _ = r.frames.shape
            video = rng.integers(0, 256, (r.num_frames, h, w, 3), dtype=np.uint8)
            out.append(VideoActionOutput(video, acts))
        return out

    def infer_actions(self, requests: list[InverseDynamicsRequest]) -> list[ActionChunk]:
        """Uniform actions over the task's normalised range."""
        out = []
        for r in requests:
            spec = _action_spec(r, "model")
            shape = (r.num_actions, spec.dim)
            a = request_rng(r.seed).uniform(spec.low, spec.high, shape)
            out.append(ActionChunk(a.astype(np.float32)))
        return out


@declare_args
class OracleModel:
    """Returns the privileged ground truth attached to each request.

    Args:
        degrade: A controlled degradation for testing comparisons and gates (0 = perfect).
            With probability ``degrade`` (drawn from the request seed) an answer is replaced
            by a random choice, an image or video by the ``random`` baseline's noise; actions
            get Gaussian noise of standard deviation ``degrade`` (in normalised units).
    """

    reads_images = False  # closed-loop engines skip rendering camera observations for it

    def __init__(self, degrade: float = 0.0) -> None:
        if not 0.0 <= float(degrade) <= 1.0:
            raise ValueError(f"degrade must be in [0, 1], got {degrade}")
        self.degrade = float(degrade)
        params = {"degrade": self.degrade} if self.degrade else {}
        self.info = ModelInfo(name="oracle", privileged=True, params=params)
        self._noise = RandomModel()

    @staticmethod
    def _truth(request: object, key: str) -> object:
        priv = getattr(request, "privileged", None)
        if not isinstance(priv, dict) or key not in priv:
            raise RuntimeError(f"oracle: the benchmark attached no privileged '{key}'")
        return priv[key]

    def _spoiled(self, seed: int) -> bool:
        # A separate stream (salt 7) from the random baseline's, so degradation is independent
        # of the noise that replaces the output.
        return self.degrade > 0 and request_rng(seed, 7).random() < self.degrade

    def answer(self, requests: list[QARequest]) -> list[TextOutput]:
        """The correct answer text (``privileged["answer"]``)."""
        return [
            self._noise.answer([r])[0]
            if self._spoiled(r.seed)
            else TextOutput(str(self._truth(r, "answer")))
            for r in requests
        ]

    def generate_images(self, requests: list[T2IRequest]) -> list[ImageOutput]:
        """The true render of the prompt's scene (``privileged["image"]``)."""
        return [
            self._noise.generate_images([r])[0]
            if self._spoiled(r.seed)
            else ImageOutput(np.asarray(self._truth(r, "image")))
            for r in requests
        ]

    def generate_videos(self, requests: list[I2VRequest]) -> list[VideoOutput]:
        """The true simulated video (``privileged["video"]``)."""
        return [
            self._noise.generate_videos([r])[0]
            if self._spoiled(r.seed)
            else VideoOutput(np.asarray(self._truth(r, "video")))
            for r in requests
        ]

    def act(self, requests: list[ActRequest]) -> list[ActionChunk]:
        """The scripted expert's chunk on privileged state (``privileged["actions"]``)."""
        out = []
        for r in requests:
            actions = np.asarray(self._truth(r, "actions"), dtype=np.float32)
            if self.degrade > 0:
                noise = request_rng(r.seed, r.step, 7).normal(0, self.degrade, actions.shape)
                actions = (actions + noise).astype(np.float32)
                if r.action_spec is not None:
                    actions = np.clip(actions, r.action_spec.low, r.action_spec.high)
            out.append(ActionChunk(actions))
        return out

    def act_with_video(self, requests: list[VideoActRequest]) -> list[VideoActionOutput]:
        """The expert's actions and the true video they cause (``privileged`` both).

        With ``degrade``, each chunk (drawn from the seed and step) is replaced by the random
        baseline's with that probability, so success and imagination error vary together.
        """
        out = []
        for r in requests:
            if self.degrade > 0 and request_rng(r.seed, r.step, 7).random() < self.degrade:
                out.append(self._noise.act_with_video([r])[0])
                continue
            video = np.asarray(self._truth(r, "video"))
            out.append(VideoActionOutput(video, np.asarray(self._truth(r, "actions"), np.float32)))
        return out

    def infer_actions(self, requests: list[InverseDynamicsRequest]) -> list[ActionChunk]:
        """The true actions of the clip (``privileged["actions"]``)."""
        return [ActionChunk(np.asarray(self._truth(r, "actions"), np.float32)) for r in requests]
