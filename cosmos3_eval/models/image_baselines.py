"""Non-learned text-to-image reference models.

* ``blank`` — a plain background, whatever the prompt: scores what an empty image earns.
* ``fixed-scene`` — always the same rendered scene (a red cube left of a blue sphere),
  whatever the prompt: shows that ignoring the prompt cannot game the benchmark.

``random`` (noise) and ``oracle`` (the true render) are the generic baselines of
:mod:`cosmos3_eval.models.baselines`.
"""

from __future__ import annotations

import numpy as np

from cosmos3_eval.api.model import ModelInfo
from cosmos3_eval.api.model_args import declare_args
from cosmos3_eval.api.types import ImageOutput, T2IRequest
from cosmos3_eval.sim.scenes.render import SceneRenderer
from cosmos3_eval.sim.scenes.t2i import Group, ObjectSpec, Relation, SceneSpec


@declare_args
class BlankModel:
    """Returns a uniform image of one grey level.

    Args:
        level: Grey level 0-255.
    """

    def __init__(self, level: int = 200):
        if not 0 <= int(level) <= 255:
            raise ValueError(f"level must be in 0..255, got {level}")
        self.level = int(level)
        self.info = ModelInfo(name="blank", params={"level": self.level})

    def generate_images(self, requests: list[T2IRequest]) -> list[ImageOutput]:
        """A plain image at each requested size."""
        return [
            ImageOutput(np.full((r.height, r.width, 3), self.level, dtype=np.uint8))
            for r in requests
        ]


@declare_args
class FixedSceneModel:
    """Always renders the same scene: a red cube left of a blue sphere.

    The scene is rendered once per requested size with MuJoCo (the same renderer the oracle
    uses), so it is a perfectly drawn image that simply ignores the prompt.
    """

    def __init__(self) -> None:
        self.info = ModelInfo(name="fixed-scene")
        self._cache: dict[tuple[int, int], np.ndarray] = {}

    @staticmethod
    def scene() -> object:
        """The fixed :class:`~cosmos3_eval.sim.scenes.t2i.SceneSpec`."""
        return SceneSpec(
            skill="position",
            groups=(Group(1, "cube", "red"), Group(1, "sphere", "blue")),
            objects=(
                ObjectSpec("cube", "red", -0.15, 0.0, 0.3, 0),
                ObjectSpec("sphere", "blue", 0.15, 0.0, 0.0, 1),
            ),
            relation=Relation(0, "left of", 1),
        )

    def _image(self, width: int, height: int) -> np.ndarray:
        key = (width, height)
        if key not in self._cache:
            renderer = SceneRenderer(width, height)
            try:
                self._cache[key] = renderer.t2i_image(self.scene())  # type: ignore[arg-type]
            finally:
                renderer.close()
        return self._cache[key]

    def generate_images(self, requests: list[T2IRequest]) -> list[ImageOutput]:
        """The fixed scene at each requested size."""
        return [ImageOutput(self._image(r.width, r.height).copy()) for r in requests]
