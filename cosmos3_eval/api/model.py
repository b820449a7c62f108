"""The common, batched model interface.

A model is a :class:`ModelInfo` plus one or more capabilities; each capability is one batched
method and the model does its own batching::

    answer(list[QARequest]) -> list[TextOutput]
    generate_images(list[T2IRequest]) -> list[ImageOutput]
    generate_videos(list[I2VRequest]) -> list[VideoOutput]
    act(list[ActRequest]) -> list[ActionChunk]
    act_with_video(list[VideoActRequest]) -> list[VideoActionOutput]
    infer_actions(list[InverseDynamicsRequest]) -> list[ActionChunk]

A method may raise for the whole batch (every sample in it records the error) or return an
:class:`Exception` instance in place of one output (only that sample records it).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cosmos3_eval.api.types import ActionSpec
from cosmos3_eval.errors import ModelOutputError


class Capability(str, enum.Enum):
    """What a model can do; the value is the name of the batched method."""

    ANSWER = "answer"
    GENERATE_IMAGES = "generate_images"
    GENERATE_VIDEOS = "generate_videos"
    ACT = "act"
    ACT_WITH_VIDEO = "act_with_video"
    INFER_ACTIONS = "infer_actions"


@dataclass(frozen=True)
class ModelInfo:
    """Identity and provenance of a model, written to every run manifest.

    Attributes:
        name: Registry name, e.g. ``"oracle"``.
        revision: Free-form revision (git sha, training step, served model name).
        checkpoint_sha256: sha256 of the weights file, if any.
        params: The model args (secrets are never stored here).
        privileged: Whether the model may receive privileged ground truth (oracles only).
        action_spec: The action convention this model emits, for ``act``-capable models.
            ``None`` means "adapts to the task's" (baselines that read the task spec).
    """

    name: str
    revision: str = ""
    checkpoint_sha256: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    privileged: bool = False
    action_spec: ActionSpec | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict for the manifest."""
        from dataclasses import asdict

        return asdict(self)


def check_outputs(result: Any, n_requests: int) -> list[Any]:
    """The outputs of a batched call, checked to be one per request.

    Every caller of a model method (the sample loop, the rollout engine, the cache, the Ray
    model actor, the server) checks through here, so a miscounting model fails the same way
    everywhere instead of silently pairing outputs with the wrong requests.

    Args:
        result: What a capability method returned.
        n_requests: How many requests it was given.

    Returns:
        The outputs as a list, in request order (items may be :class:`Exception`).

    Raises:
        ModelOutputError: ``result`` is not a list (or tuple) of ``n_requests`` items.
    """
    if not isinstance(result, list | tuple) or len(result) != n_requests:
        got = len(result) if isinstance(result, list | tuple) else type(result).__name__
        raise ModelOutputError(f"model returned {got} outputs for {n_requests} requests")
    return list(result)


def call_batched(method: Callable[[list[Any]], Any], requests: list[Any]) -> list[Any]:
    """Call one batched capability method (e.g. ``model.answer``) and :func:`check_outputs`.

    Whatever the method raises propagates unchanged.
    """
    return check_outputs(method(requests), len(requests))


def capabilities(model: object) -> frozenset[Capability]:
    """The capabilities a model implements: the capability methods it has.

    A model may narrow this by defining a ``capabilities`` attribute (e.g. a network adapter
    that only knows at run time what its server offers).
    """
    declared = getattr(model, "capabilities", None)
    if declared is not None and not callable(declared):
        return frozenset(Capability(c) for c in declared)
    return frozenset(c for c in Capability if callable(getattr(model, c.value, None)))


def close_model(model: object) -> None:
    """Release a model's resources (connections, servers) if it has a ``close`` method."""
    close = getattr(model, "close", None)
    if callable(close):
        close()
