"""The OpenPI policy wire format: msgpack-numpy frames over a WebSocket.

On connect the server sends its metadata (:func:`server_metadata`); then each client message
is an observation dict (:func:`observation_dict`) and each reply a dict whose ``"actions"`` is
``(T, action_dim)`` (:func:`actions_reply`, read back by :func:`chunk_from_reply`).

Besides the keys a real OpenPI server reads (cameras, state, prompt), the client may send
``cosmos3/...`` keys (seed, step, episode id, the task's action spec, the proprio by name)
that real servers ignore and ``cosmos3-eval serve`` uses to rebuild the exact request
(:func:`act_request_from_obs`; needed for seeded baselines).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from cosmos3_eval.api.types import ActionChunk, ActionSpec, ActRequest, Observation
from cosmos3_eval.errors import ConfigError, ModelOutputError

META_PREFIX = "cosmos3/"


def pack_msgpack(obj: Any) -> bytes:
    """Msgpack with numpy arrays (the OpenPI wire format; never pickle)."""
    from openpi_client import msgpack_numpy

    return msgpack_numpy.packb(obj)


def unpack_msgpack(data: bytes) -> Any:
    """Inverse of :func:`pack_msgpack`."""
    from openpi_client import msgpack_numpy

    return msgpack_numpy.unpackb(data)


def spec_to_json(spec: ActionSpec) -> dict[str, Any]:
    """An :class:`ActionSpec` as a JSON/msgpack-safe dict."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(spec).items()}


def spec_from_json(data: dict[str, Any]) -> ActionSpec:
    """Inverse of :func:`spec_to_json` (lists back to tuples; unknown keys are an error).

    Raises:
        ConfigError: An unknown key.
    """
    known = {f.name for f in fields(ActionSpec)}
    extra = set(data) - known
    if extra:
        raise ConfigError(f"action spec has unknown keys {sorted(extra)}")
    return ActionSpec(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


@dataclass(frozen=True)
class ObservationLayout:
    """How an :class:`ActRequest` maps onto a server's observation keys.

    Attributes:
        image_keys: Camera name -> server key; empty sends every camera as
            ``observation/<camera>``, otherwise only the cameras named.
        state_key: Key of the concatenated proprio state (empty: send no state).
        state_layout: Proprio names concatenated into the state (empty: all, sorted).
        prompt_key: Key of the instruction.
        image_size: Resize-with-pad target side (0 = images as they are).
        send_meta: Send the ``cosmos3/...`` extension keys.
    """

    image_keys: dict[str, str]
    state_key: str = "observation/state"
    state_layout: tuple[str, ...] = ()
    prompt_key: str = "prompt"
    image_size: int = 0
    send_meta: bool = True


def observation_dict(r: ActRequest, layout: ObservationLayout) -> dict[str, Any]:
    """The OpenPI observation dict for one request.

    Raises:
        ConfigError: ``state_layout`` names a proprio key the request lacks.
    """
    obs: dict[str, Any] = {}
    for cam, img in r.observation.images.items():
        key = layout.image_keys.get(cam, f"observation/{cam}")
        if layout.image_keys and cam not in layout.image_keys:
            continue  # an explicit mapping sends only the cameras it names
        img = np.asarray(img, dtype=np.uint8)
        if layout.image_size:
            from openpi_client import image_tools

            img = image_tools.convert_to_uint8(
                image_tools.resize_with_pad(img, layout.image_size, layout.image_size)
            )
        obs[key] = img
    if layout.state_key:
        names = layout.state_layout or sorted(r.observation.proprio)
        missing = [n for n in names if n not in r.observation.proprio]
        if missing:
            raise ConfigError(f"openpi: state_layout names unknown proprio keys {missing}")
        parts = [np.asarray(r.observation.proprio[n], np.float32).ravel() for n in names]
        obs[layout.state_key] = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    obs[layout.prompt_key] = r.instruction
    if layout.send_meta:
        obs[META_PREFIX + "episode_id"] = r.episode_id
        obs[META_PREFIX + "seed"] = int(r.seed)
        obs[META_PREFIX + "step"] = int(r.step)
        obs[META_PREFIX + "proprio"] = {
            k: np.asarray(v, np.float32) for k, v in r.observation.proprio.items()
        }
        obs[META_PREFIX + "cameras"] = {
            layout.image_keys.get(c, f"observation/{c}"): c for c in r.observation.images
        }
        if r.action_spec is not None:
            obs[META_PREFIX + "action_spec"] = json.dumps(spec_to_json(r.action_spec))
    return obs


def act_request_from_obs(obs: dict[str, Any]) -> ActRequest:
    """Rebuild an :class:`ActRequest` from an OpenPI observation dict.

    Exact when the client sent the ``cosmos3/...`` keys; otherwise every ``uint8 (H, W, 3)``
    value is a camera (named by its key) and the state vector is the proprio ``"state"``.
    """
    meta = {k[len(META_PREFIX) :]: v for k, v in obs.items() if k.startswith(META_PREFIX)}
    cameras = meta.get("cameras") or {}
    images = {}
    proprio: dict[str, np.ndarray] = {}
    prompt = ""
    for key, value in obs.items():
        if key.startswith(META_PREFIX):
            continue
        if isinstance(value, np.ndarray) and value.dtype == np.uint8 and value.ndim == 3:
            images[cameras.get(key, key)] = value
        elif isinstance(value, str):
            prompt = value
        elif isinstance(value, np.ndarray) and not meta.get("proprio"):
            proprio[key.rsplit("/", 1)[-1]] = value.astype(np.float32)
    if meta.get("proprio"):
        proprio = {k: np.asarray(v, np.float32) for k, v in meta["proprio"].items()}
    spec = meta.get("action_spec")
    return ActRequest(
        episode_id=str(meta.get("episode_id", "")),
        observation=Observation(images=images, proprio=proprio),
        instruction=prompt,
        step=int(meta.get("step", 0)),
        seed=int(meta.get("seed", 0)),
        action_spec=spec_from_json(json.loads(spec)) if spec else None,
    )


def server_metadata(model_name: str, spec: ActionSpec | None) -> dict[str, Any]:
    """The metadata a server sends first on every connection."""
    return {
        "model": model_name,
        "server": "cosmos3-eval",
        "action_spec": spec_to_json(spec) if spec is not None else None,
    }


def actions_reply(chunk: ActionChunk, infer_ms: float) -> dict[str, Any]:
    """The reply to one observation."""
    return {
        "actions": np.asarray(chunk.actions, dtype=np.float32),
        "server_timing": {"infer_ms": infer_ms},
    }


def chunk_from_reply(reply: Any, spec: ActionSpec | None) -> ActionChunk:
    """Validate a reply into an :class:`ActionChunk` (``(dim,)`` is read as one step).

    Raises:
        ModelOutputError: No actions, not ``(T, dim)`` numbers, non-finite, or a dim other
            than ``spec``'s.
    """
    if not isinstance(reply, dict) or "actions" not in reply:
        raise ModelOutputError("openpi: reply has no 'actions'")
    actions = np.asarray(reply["actions"])
    if actions.ndim == 1:
        actions = actions[None]
    if actions.ndim != 2 or actions.dtype.kind not in "fiu":
        raise ModelOutputError(f"openpi: actions must be (T, dim) numbers, got {actions.shape}")
    actions = actions.astype(np.float32)
    if not np.isfinite(actions).all():
        raise ModelOutputError("openpi: actions contain NaN or inf")
    if spec is not None and actions.shape[1] != spec.dim:
        raise ModelOutputError(
            f"openpi: declared action dim {spec.dim}, server sent {actions.shape[1]}"
        )
    return ActionChunk(actions)
