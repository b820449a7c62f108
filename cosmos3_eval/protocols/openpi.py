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

from cosmos3_eval.api.media import MediaLimits
from cosmos3_eval.api.types import ActionChunk, ActionSpec, ActRequest, Observation
from cosmos3_eval.errors import ConfigError, ModelOutputError
from cosmos3_eval.protocols import SEED_MAX, WireFormatError, loads_json

META_PREFIX = "cosmos3/"


def pack_msgpack(obj: Any) -> bytes:
    """Msgpack with numpy arrays (the OpenPI wire format; never pickle)."""
    from openpi_client import msgpack_numpy

    return msgpack_numpy.packb(obj)


def unpack_msgpack(data: bytes) -> Any:
    """Inverse of :func:`pack_msgpack`."""
    from openpi_client import msgpack_numpy

    return msgpack_numpy.unpackb(data)


_SAFE_KINDS = "biuf"  # bool, int, uint, float: never object / void / string arrays


def _untrusted_array(obj: dict[bytes, Any]) -> Any:
    if b"__ndarray__" in obj or b"__npgeneric__" in obj:
        dtype = np.dtype(obj[b"dtype"])
        if dtype.kind not in _SAFE_KINDS or dtype.itemsize > 8:
            # numpy builds an object array from raw bytes (pointers!) if asked: refuse.
            raise WireFormatError(f"array dtype {dtype.str!r} is not allowed")
        if b"__npgeneric__" in obj:
            return dtype.type(obj[b"data"])
        shape = tuple(int(n) for n in obj[b"shape"])
        return np.ndarray(buffer=obj[b"data"], dtype=dtype, shape=shape).copy()
    return obj


def unpack_untrusted(data: bytes) -> dict[str, Any]:
    """Unpack a client's msgpack-numpy observation (server side: any bytes may arrive).

    Only numeric arrays are rebuilt; the top level must be a map with string keys.

    Raises:
        WireFormatError: Not msgpack, a disallowed array, or not a string-keyed map.
    """
    import msgpack

    try:
        obj = msgpack.unpackb(data, object_hook=_untrusted_array)
    except WireFormatError:
        raise
    except Exception as exc:  # msgpack and numpy raise many types for garbage
        raise WireFormatError(f"not a msgpack-numpy message ({type(exc).__name__})") from None
    if not isinstance(obj, dict) or not all(isinstance(k, str) for k in obj):
        raise WireFormatError("an observation must be a map with string keys")
    return obj


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


def _meta_int(meta: dict[str, Any], key: str) -> int:
    value = meta.get(key, 0)
    if isinstance(value, np.integer):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= SEED_MAX:
        raise WireFormatError(f"'{META_PREFIX}{key}' must be an integer in [0, 2**63)")
    return value


def _vector(value: Any, what: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in _SAFE_KINDS or arr.ndim > 1 or arr.size > 4096:
        raise WireFormatError(f"{what} must be a numeric vector of at most 4096 values")
    arr = arr.astype(np.float32).ravel()
    if not np.isfinite(arr).all():
        raise WireFormatError(f"{what} must be finite")
    return arr


def _meta_spec(meta: dict[str, Any]) -> ActionSpec | None:
    spec = meta.get("action_spec")
    if not spec:
        return None
    data = loads_json(spec, "action_spec") if isinstance(spec, (str, bytes)) else None
    if not isinstance(data, dict):
        raise WireFormatError("'cosmos3/action_spec' must be a JSON object")
    try:
        return spec_from_json(data)
    except (ConfigError, TypeError, ValueError) as exc:
        raise WireFormatError(f"bad 'cosmos3/action_spec' ({type(exc).__name__})") from None


def act_request_from_obs(obs: dict[str, Any], limits: MediaLimits | None = None) -> ActRequest:
    """Rebuild an :class:`ActRequest` from an OpenPI observation dict.

    Exact when the client sent the ``cosmos3/...`` keys; otherwise every ``uint8 (H, W, 3)``
    value is a camera (named by its key) and the state vector is the proprio ``"state"``.

    Raises:
        WireFormatError: A malformed value (bad meta, non-finite state, a camera that is not
            ``(H, W, 3)``) or images over ``limits``.
    """
    limits = limits or MediaLimits()
    meta = {k[len(META_PREFIX) :]: v for k, v in obs.items() if k.startswith(META_PREFIX)}
    cameras = meta.get("cameras") or {}
    if not isinstance(cameras, dict) or not all(isinstance(v, str) for v in cameras.values()):
        raise WireFormatError("'cosmos3/cameras' must map keys to camera names")
    images = {}
    proprio: dict[str, np.ndarray] = {}
    prompt = ""
    pixels = 0
    for key, value in obs.items():
        if key.startswith(META_PREFIX):
            continue
        if isinstance(value, np.ndarray) and value.dtype == np.uint8 and value.ndim == 3:
            if value.shape[2] != 3:
                raise WireFormatError(f"camera {key[:40]!r} must be (H, W, 3)")
            try:
                limits.check_size(value.shape[1], value.shape[0], f"camera {key[:40]!r}")
            except ModelOutputError as exc:
                raise WireFormatError(str(exc)) from None
            pixels += value.shape[0] * value.shape[1]
            images[cameras.get(key, key)] = value
        elif isinstance(value, str):
            prompt = value
        elif isinstance(value, np.ndarray) and not meta.get("proprio"):
            proprio[key.rsplit("/", 1)[-1]] = _vector(value, f"{key[:40]!r}")
    if pixels > limits.max_total_pixels:
        raise WireFormatError(f"cameras exceed {limits.max_total_pixels} pixels")
    if meta.get("proprio"):
        if not isinstance(meta["proprio"], dict):
            raise WireFormatError("'cosmos3/proprio' must be a map of vectors")
        proprio = {
            str(k): _vector(v, f"proprio {str(k)[:40]!r}") for k, v in meta["proprio"].items()
        }
    return ActRequest(
        episode_id=str(meta.get("episode_id", ""))[:256],
        observation=Observation(images=images, proprio=proprio),
        instruction=prompt,
        step=_meta_int(meta, "step"),
        seed=_meta_int(meta, "seed"),
        action_spec=_meta_spec(meta),
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
