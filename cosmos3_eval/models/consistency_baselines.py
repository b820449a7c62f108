"""Reference models of the consistency tasks: "consistent but wrong" and "dreams of success".

Both are built-in references that read privileged simulator state (like the oracle), so they
are exact about what they claim and wrong only where they are meant to be:

* ``miscalibrated`` — a self-consistent model of the wrong world: it believes the pusher moves
  at ``scale`` times its true speed. Its video is what its own actions would do in that world
  (``act_with_video``: the scripted expert planned and rendered in its world), and its inverse
  dynamics are exact in that world (``infer_actions``: the true actions / ``scale``, clipped).
  Video and actions agree with each other; both disagree with the simulator.
* ``dreamer`` — its video shows the expert succeeding (the true future of the expert's
  actions) while it emits zero actions: imagination and action disagree, so the
  imagination-vs-reality and video-vs-replay agreements must be low.
"""

from __future__ import annotations

import numpy as np

from cosmos3_eval.api.model import ModelInfo
from cosmos3_eval.api.model_args import declare_args
from cosmos3_eval.api.types import (
    ActionChunk,
    InverseDynamicsRequest,
    VideoActionOutput,
    VideoActRequest,
)
from cosmos3_eval.sim.push_world import PushWorld, WorldState

TRUE_SPEED = 0.3
"""push-block's pusher speed at action 1 (m/s), as in the consistency task files."""


def _truth(request: object, key: str) -> object:
    priv = getattr(request, "privileged", None)
    if not isinstance(priv, dict) or key not in priv:
        raise RuntimeError(f"the benchmark attached no privileged '{key}' (not a push task?)")
    return priv[key]


@declare_args
class MiscalibratedModel:
    """Consistent with itself, wrong about the world (module doc).

    Args:
        scale: The pusher speed this model believes in, as a multiple of the true speed.
    """

    reads_images = False

    def __init__(self, scale: float = 0.5) -> None:
        if not 0.0 < float(scale) <= 4.0:
            raise ValueError(f"scale must be in (0, 4], got {scale}")
        self.scale = float(scale)
        self.info = ModelInfo(name="miscalibrated", privileged=True, params={"scale": scale})
        self._worlds: dict[int, PushWorld] = {}

    def _world(self, size: int) -> PushWorld:
        if size not in self._worlds:
            self._worlds[size] = PushWorld(size, TRUE_SPEED * self.scale)
        return self._worlds[size]

    def act_with_video(self, requests: list[VideoActRequest]) -> list[VideoActionOutput]:
        """The expert planned in the believed world and the video of it there."""
        out = []
        for r in requests:
            world = self._world(r.frames.shape[1])
            state = WorldState.from_json(_truth(r, "state"))
            acts = world.expert_actions(state, r.chunk_size)
            video = world.replay(state, acts, r.frame_every).frames
            out.append(VideoActionOutput(video[: r.num_frames], acts))
        return out

    def infer_actions(self, requests: list[InverseDynamicsRequest]) -> list[ActionChunk]:
        """The actions that reproduce the clip in the believed world."""
        return [
            ActionChunk(
                np.clip(np.asarray(_truth(r, "actions")) / self.scale, -1, 1).astype(np.float32)
            )
            for r in requests
        ]

    def close(self) -> None:
        """Free the worlds' renderers."""
        for w in self._worlds.values():
            w.close()
        self._worlds.clear()


@declare_args
class DreamerModel:
    """Imagines the expert's success, does nothing (module doc)."""

    reads_images = False

    def __init__(self) -> None:
        self.info = ModelInfo(name="dreamer", privileged=True)

    def act_with_video(self, requests: list[VideoActRequest]) -> list[VideoActionOutput]:
        """The true future of the expert's actions, and zero actions."""
        out = []
        for r in requests:
            dim = r.action_spec.dim if r.action_spec is not None else 2
            video = np.asarray(_truth(r, "video"))
            out.append(VideoActionOutput(video, np.zeros((r.chunk_size, dim), np.float32)))
        return out


@declare_args
class StillModel:
    """Predicts that nothing moves and does nothing: consistent, useless, not privileged.

    Its video repeats the current frame and its actions are zero, which the simulator confirms:
    the do-nothing floor. The ``v2`` agreements count moving frames only, so it scores 0 there
    (``v1`` gave it 1 with zero success). Reading only the request's frames, it is also the
    served vs in-process parity model.
    """

    def __init__(self) -> None:
        self.info = ModelInfo(name="still")

    def act_with_video(self, requests: list[VideoActRequest]) -> list[VideoActionOutput]:
        """The current frame repeated, zero actions."""
        out = []
        for r in requests:
            dim = r.action_spec.dim if r.action_spec is not None else 2
            video = np.repeat(r.frames[-1:], r.num_frames, axis=0)
            out.append(VideoActionOutput(video, np.zeros((r.chunk_size, dim), np.float32)))
        return out

    def infer_actions(self, requests: list[InverseDynamicsRequest]) -> list[ActionChunk]:
        """Zero actions."""
        dims = [r.action_spec.dim if r.action_spec is not None else 2 for r in requests]
        return [
            ActionChunk(np.zeros((r.num_actions, d), np.float32)) for r, d in zip(requests, dims)
        ]
